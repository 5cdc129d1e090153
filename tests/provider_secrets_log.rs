//! Test binary `provider_secrets_log`: `tests/provider/secrets.rs` alone.
//!
//! Its checks scan everything oauthkit logged in the binary so far for
//! every secret of every hostile answer; inside `provider` that log holds
//! the trace records of the whole part and the scans grow with it, so it
//! keeps a process (and a log) of its own (docs/ARCHITECTURE.md, "Tests").

extern crate oauthkit_test_support as support;

mod provider {
    mod secrets;
}
