//! Test binary `flow`: sign-in flows: the native (loopback) flow and its callback server,
//! the device grant, the browser, deploy mode, RP-initiated logout, the
//! session manager, client-credentials sessions and `needs_sign_in()`.
//!
//! One binary per part of the library (docs/ARCHITECTURE.md, "Tests"): this
//! file declares the shared helpers (`tests/support/`, reached as
//! `crate::support`) and the part's test modules, one file each in
//! `tests/flow/`.

#[macro_use]
extern crate oauthkit_test_support as support;

mod flow {
    #[cfg(feature = "dev-provider")]
    mod browser;
    mod callback_server;
    #[cfg(feature = "dev-provider")]
    mod deploy;
    mod device;
    mod device_browser;
    #[cfg(feature = "dev-provider")]
    mod native;
    #[cfg(feature = "dev-provider")]
    mod needs_sign_in;
    mod rp_logout;
    #[cfg(feature = "dev-provider")]
    mod session;
    mod session_client_credentials;
}
