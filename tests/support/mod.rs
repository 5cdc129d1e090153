//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod conformance;
pub mod flow_http;
#[cfg(feature = "dev-provider")]
pub mod dev;
pub mod browser;
