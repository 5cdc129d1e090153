//! Test binary `store_diagnose_env`: `tests/store/diagnose.rs` alone.
//!
//! Its silent-keyring test points `DBUS_SESSION_BUS_ADDRESS` of the whole
//! process at a bus that never answers; inside `store` every keyring test
//! running after it would talk to that bus, so it keeps a process of its
//! own (docs/ARCHITECTURE.md, "Tests").

// `needs!` is used only by the keyring test
#[cfg_attr(feature = "keyring", macro_use)]
extern crate oauthkit_test_support as support;

mod store {
    mod diagnose;
}
