//! OpenID Connect as a layer of [`OAuthProvider`](crate::provider::OAuthProvider):
//! the configuration ([`OidcConfig`], `config.rs`), discovery
//! (`discovery.rs`), the JWKS cache (`jwks.rs`), ID-token validation
//! (`id_token.rs`), the RFC 9207 `iss` check (`iss_check.rs`) and the layer
//! that ties them to a provider (`layer.rs`): discovery (cached), explicit
//! endpoint overrides, and ID-token validation after every code exchange
//! and refresh unless turned off.

pub(crate) mod config;
pub mod discovery;
pub mod id_token;
pub(crate) mod iss_check;
pub mod jwks;
pub(crate) mod layer;

pub use config::OidcConfig;
