//! Test binary `store`: the token stores (memory, JSON file, SQLite, Redis, Redis Cluster, Redis over TLS,
//! memcached, the keyrings, encrypted and validating wrappers), the
//! authorization-server stores, store specs and network timeouts.
//!
//! One binary per part of the library (docs/ARCHITECTURE.md, "Tests"): this
//! file declares the shared helpers (`tests/support/`, reached as
//! `crate::support`) and the part's test modules, one file each in
//! `tests/store/`.

#[macro_use]
extern crate oauthkit_test_support as support;

mod store {
    // diagnose: a binary of its own (tests/store_diagnose_env.rs)
    mod encrypted;
    mod encrypted_keyring;
    mod file_leftovers;
    mod file_symlinks;
    mod json_file;
    mod keyring;
    #[cfg(feature = "keyring")]
    mod keyutils;
    mod memcache;
    mod memory;
    mod network_timeouts;
    mod redis;
    mod redis_cluster;
    mod redis_tls;
    mod server_stores;
    mod server_stores_encrypted;
    mod spec_errors;
    mod sqlite;
    mod torn_replies;
    mod validating;
}
