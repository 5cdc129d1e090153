//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod browser;
#[macro_use]
pub mod conformance;
pub mod cutting_proxy;
pub mod deploy_tls;
#[cfg(feature = "dev-provider")]
pub mod dev;
pub mod device_user;
pub mod fake_device;
pub mod fake_proxy;
pub mod flow_http;
pub mod idp_tokens;
pub mod interactions;
pub mod keycloak;
pub mod log_capture;
pub mod mock_http;
#[macro_use]
pub mod needs;
pub mod node_idp;
pub mod provider_docs;
pub mod rotating_idp;
#[macro_use]
pub mod server_conformance;
pub mod servers;
pub mod specs;
pub mod test_jwt;
pub mod tls_server;

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
