//! Helpers shared by the integration tests and the benches: the package
//! `oauthkit-test-support` (never published). Every test binary and bench
//! reaches it the same way, at its root:
//!
//! ```ignore
//! #[macro_use]
//! extern crate oauthkit_test_support as support;
//! ```
//!
//! so `support::servers::...` (or `crate::support::...`) names a module
//! and the exported macros (`needs!`, `token_store_conformance!`,
//! `server_store_conformance!`, `forward_to_inner!`) are in scope in every
//! module. The `oauthkit` it uses is the one the test binary links (the
//! root package's library, compiled once).
#![allow(dead_code)]

mod bench;
pub mod browser;
pub mod conformance;
pub mod cutting_proxy;
pub mod deploy_http;
pub mod deploy_instance;
pub mod deploy_tls;
#[cfg(feature = "dev-provider")]
pub mod dev;
pub mod device_user;
pub mod fake_device;
pub mod fake_proxy;
pub mod flow_http;
mod forward_inner;
pub mod idp_tokens;
pub mod interactions;
pub mod keycloak;
pub mod log_capture;
pub mod mock_http;
pub mod needs;
pub mod node_idp;
pub mod provider_docs;
pub mod rotating_idp;
pub mod server_conformance;
pub mod servers;
pub mod specs;
pub mod test_jwt;
pub mod tls_server;

pub use bench::{interleaved, thread_cpu_ns, Pair};

/// The root of the repository (the root package's directory), where
/// `tests/browser` and `target/*-venv` are.
pub fn repo() -> &'static std::path::Path {
    std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// The name libtest gives test `name` of the module whose `module_path!()`
/// is `module_path` (the crate's name dropped: `store::keyring::name` in the
/// `store` binary), for a child run of this binary that selects one test
/// with `--exact`.
pub fn test_name(module_path: &str, name: &str) -> String {
    match module_path.split_once("::") {
        Some((_crate, path)) => format!("{path}::{name}"),
        None => name.to_string(),
    }
}
