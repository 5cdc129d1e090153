//! Token stores: one small trait, several backends.
//!
//! A store holds **namespaces** (one per application; the default is
//! `DEFAULT`); a namespace holds [`TokenSet`]s by **key**. The
//! key names whose tokens they are: a user, a session or a resource
//! server. A store value is bound to one namespace; every
//! backend has an `in_namespace` method that returns a handle on another
//! namespace of the same storage, and [`TokenStore::namespaces`] lists the
//! namespaces the storage holds.
//!
//! | backend | type | feature | shared by |
//! |---|---|---|---|
//! | memory | [`MemoryStore`] | – | threads of one process |
//! | JSON file | [`JsonFileStore`] | – | processes on one machine |
//! | SQLite | `SqliteStore` | `sqlite` | processes on one machine |
//! | OS keyring | `KeyringStore` | `keyring` | processes of one user |
//! | Redis / Redis Cluster | `RedisStore` | `redis` | processes on many machines |
//! | memcached | `MemcacheStore` | `memcache` | processes on many machines (cache only) |
//!
//! [`open`] builds any of them from a spec string such as
//! `file:/home/me/.local/share/oauthkit/tokens.json`.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::token::TokenSet;
use forward::Wraps;

#[macro_use]
mod forward;

pub(crate) mod default_store;
pub(crate) mod diagnose;
pub(crate) mod encrypted;
pub(crate) mod factory;
mod fair_queue;
pub(crate) mod file_lock;
mod file_snapshot;
pub(crate) mod globus_format;
pub(crate) mod json_file;
pub(crate) mod key_lock;
#[cfg(feature = "keyring")]
pub(crate) mod keyring;
pub(crate) mod keyring_backend;
#[cfg(feature = "keyring")]
mod keyring_search;
#[cfg(all(feature = "keyring", target_os = "linux"))]
mod keyutils_credential;
#[cfg(any(feature = "redis", feature = "memcache"))]
pub(crate) mod lease;
mod lock_wait;
#[cfg(feature = "memcache")]
pub(crate) mod memcache;
pub(crate) mod memory;
pub(crate) mod private_dir;
#[cfg(feature = "redis")]
pub(crate) mod redis;
#[cfg(any(feature = "redis", feature = "memcache"))]
pub(crate) mod remote_config;
#[cfg(any(feature = "redis", feature = "memcache"))]
pub(crate) mod retention;
pub(crate) mod spec_check;
#[cfg(feature = "sqlite")]
pub(crate) mod sqlite;
mod ticket_line;
pub(crate) mod token_store;
pub(crate) mod validating;

// What an application names; the rest is in `crate::unversioned`.
#[cfg(feature = "memcache")]
#[cfg_attr(docsrs, doc(cfg(feature = "memcache")))]
pub use self::memcache::MemcacheConfig;
#[cfg(feature = "memcache")]
#[cfg_attr(docsrs, doc(cfg(feature = "memcache")))]
pub use self::memcache::MemcacheStore;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use self::redis::RedisConfig;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use self::redis::RedisStore;
pub use default_store::{DefaultStore, Protection};
pub use encrypted::{EncryptedStore, SealingKeys};
pub use factory::{open, open_default, open_default_for};
pub use json_file::JsonFileStore;
#[cfg(feature = "keyring")]
#[cfg_attr(docsrs, doc(cfg(feature = "keyring")))]
pub use keyring::KeyringStore;
pub use memory::MemoryStore;
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub use sqlite::SqliteStore;
pub use validating::ValidatingStore;

// Within the crate: the advanced names (`crate::unversioned` re-exports them).
pub(crate) use encrypted::{RawRecord, SealedBytes};
pub(crate) use factory::default_store_path;
pub(crate) use key_lock::Fence;
pub(crate) use key_lock::KeyLock;
pub(crate) use keyring_backend::KeyringBackend;
pub(crate) use token_store::{check_key, TokenStore, DEFAULT_NAMESPACE};

/// The check every plain-text backend makes before writing: a DPoP-bound
/// token set is refused, naming the fix.
pub(crate) fn refuse_dpop_key(backend: &'static str, key: &str, tokens: &TokenSet) -> Result<()> {
    if tokens.dpop_key.is_some() {
        return Err(Error::DpopKeyUnprotected {
            backend,
            key: key.to_owned(),
        });
    }
    Ok(())
}

/// [`refuse_dpop_key`] for every set of a `save_all`.
pub(crate) fn refuse_dpop_keys(
    backend: &'static str,
    tokens: &BTreeMap<String, TokenSet>,
) -> Result<()> {
    tokens
        .iter()
        .try_for_each(|(k, t)| refuse_dpop_key(backend, k, t))
}

/// Forwards every method of [`TokenStore`] through a smart pointer.
macro_rules! forward_token_store {
    ($($ptr:ident)::+) => {
        impl<T: TokenStore + ?Sized> Wraps for $($ptr)::+<T> {
            type Inner = T;
            fn wrapped(&self) -> &T {
                self
            }
        }
        impl<T: TokenStore + ?Sized> TokenStore for $($ptr)::+<T> {
            forward_to_wrapped!(
                save, load, delete, exists, list_keys, namespace, namespaces, backend, load_all,
                save_all, lock_key, save_locked, delete_locked, protects_secrets, save_sealed,
                load_sealed,
            );
        }
    };
}

forward_token_store!(std::sync::Arc);
forward_token_store!(Box);
