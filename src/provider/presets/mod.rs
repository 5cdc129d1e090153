//! Provider presets: the configuration each well-known provider needs,
//! built on the generic OAuth 2.0 and OpenID Connect providers.

pub mod auth0;
pub mod github;
pub mod gitlab;
pub mod google;
pub mod keycloak;
pub mod microsoft;
pub mod okta;
pub(crate) mod preset_url;
