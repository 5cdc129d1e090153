//! OpenID Provider metadata (OIDC Discovery 1.0, RFC 8414 fields).

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::provider::http::{Auth, Body, HttpClient, Method};

/// The metadata fields oauthkit uses; the rest are kept in `other`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct ProviderMetadata {
    /// The issuer identifier; must equal the configured issuer.
    pub issuer: String,
    /// The authorization endpoint.
    pub authorization_endpoint: Option<String>,
    /// The token endpoint.
    pub token_endpoint: Option<String>,
    /// The userinfo endpoint.
    pub userinfo_endpoint: Option<String>,
    /// The JWKS URI.
    pub jwks_uri: Option<String>,
    /// The RFC 7009 revocation endpoint.
    pub revocation_endpoint: Option<String>,
    /// The RFC 7662 introspection endpoint.
    pub introspection_endpoint: Option<String>,
    /// The RP-initiated logout endpoint.
    pub end_session_endpoint: Option<String>,
    /// `id_token_signing_alg_values_supported`: the ID-token allow-list.
    #[serde(default)]
    pub id_token_signing_alg_values_supported: Vec<String>,
    /// `token_endpoint_auth_methods_supported`.
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
    /// `code_challenge_methods_supported`.
    #[serde(default)]
    pub code_challenge_methods_supported: Vec<String>,
    /// `scopes_supported`.
    #[serde(default)]
    pub scopes_supported: Vec<String>,
    /// RFC 9207: callbacks carry `iss`, and a callback without it is
    /// refused.
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
    /// RFC 9126: the pushed authorization request endpoint.
    pub pushed_authorization_request_endpoint: Option<String>,
    /// RFC 9126 §5: authorization requests must be pushed.
    #[serde(default)]
    pub require_pushed_authorization_requests: bool,
    /// Every other member.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// `{issuer}/.well-known/openid-configuration` (a trailing `/` of the
/// issuer is not doubled).
///
/// ```
/// use oauthkit::unversioned::provider::discovery::discovery_url;
/// assert_eq!(discovery_url("https://idp.example/tenant/"),
///            "https://idp.example/tenant/.well-known/openid-configuration");
/// ```
pub fn discovery_url(issuer: &str) -> String {
    format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    )
}

/// Fetches and parses the metadata of `issuer`. The caller checks the
/// `issuer` member.
///
/// # Errors
///
/// [`Error::InvalidArgument`] when the discovery URL is not `https` (or
/// `http` to a loopback host); [`Error::Http`] when it cannot be fetched,
/// answers with a status other than 2xx, or the body is not provider
/// metadata (not JSON, a required member missing or of the wrong type).
pub fn fetch(http: &HttpClient, issuer: &str) -> Result<ProviderMetadata> {
    let url = discovery_url(issuer);
    let r = http.request("discovery", Method::Get, &url, Body::Empty, Auth::None, &[])?;
    if !r.is_success() {
        return Err(Error::Http {
            endpoint: "discovery".into(),
            message: format!("{url} answered HTTP {}", r.status),
            source: None,
        });
    }
    let v = r.json("discovery")?;
    serde_json::from_value(v).map_err(|e| Error::Http {
        endpoint: "discovery".into(),
        message: format!(
            "{url}: invalid provider metadata: {}",
            crate::token::json_error(&e)
        ),
        source: None,
    })
}
