//! Test binary `c_abi`: the C ABI called the way C calls it (`extern "C"` functions, raw
//! pointers, callbacks, C-implemented stores, the grants from C).
//!
//! One binary per part of the library (docs/ARCHITECTURE.md, "Tests"): this
//! file declares the shared helpers (`tests/support/`, reached as
//! `crate::support`) and the part's test modules, one file each in
//! `tests/c_abi/`.

#[macro_use]
extern crate oauthkit_test_support as support;

mod c_abi {
    mod callback_store;
    mod callbacks;
    mod calls;
    mod client_credentials;
    mod deploy;
    #[cfg(feature = "dev-provider")]
    mod device;
    mod dpop;
    mod logout;
    mod options;
    mod par_pkjwt;
    mod server_store;
    mod token_exchange;
}
