//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod browser;
pub mod conformance;
pub mod cutting_proxy;
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
pub mod node_idp;
pub mod rotating_idp;
pub mod server_conformance;
pub mod servers;
pub mod specs;
