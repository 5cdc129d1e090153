//! [`Client`]: an application registered with the authorization server.

use serde::{Deserialize, Serialize};

use crate::secret::Secret;

/// A registered client (python-oauth2's `Client`).
///
/// `authorized_grants` and `authorized_response_types` of `None` allow
/// every grant and response type, as in python-oauth2. The JSON shape is
/// python-oauth2's: `identifier`, `secret`, `redirect_uris`,
/// `authorized_grants`, `authorized_response_types`.
///
/// ```
/// use oauthkit::server::Client;
/// let c = Client::new("app", "s3cret", ["https://app.example/cb"])
///     .grants(["authorization_code", "refresh_token"]);
/// assert!(c.grant_type_supported("refresh_token"));
/// assert!(!c.grant_type_supported("password"));
/// assert!(c.response_type_supported("code"));
/// assert!(c.redirect_uri_allowed("https://app.example/cb"));
/// assert!(!c.redirect_uri_allowed("https://evil.example/cb"));
/// assert!(!format!("{c:?}").contains("s3cret"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    /// The client id.
    pub identifier: String,
    /// The client secret (empty for a public client).
    pub secret: Secret,
    /// The redirect URIs it may use; the first is the default.
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// The grant types it may use; `None`: all.
    #[serde(default)]
    pub authorized_grants: Option<Vec<String>>,
    /// The response types it may use; `None`: all.
    #[serde(default)]
    pub authorized_response_types: Option<Vec<String>>,
}

impl Client {
    /// A client allowed every grant and response type.
    pub fn new<I, S>(
        identifier: impl Into<String>,
        secret: impl Into<Secret>,
        redirect_uris: I,
    ) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Client {
            identifier: identifier.into(),
            secret: secret.into(),
            redirect_uris: redirect_uris.into_iter().map(Into::into).collect(),
            authorized_grants: None,
            authorized_response_types: None,
        }
    }

    /// Restricts the grant types.
    pub fn grants<I: IntoIterator<Item = S>, S: Into<String>>(mut self, grants: I) -> Self {
        self.authorized_grants = Some(grants.into_iter().map(Into::into).collect());
        self
    }

    /// Restricts the response types.
    pub fn response_types<I: IntoIterator<Item = S>, S: Into<String>>(mut self, types: I) -> Self {
        self.authorized_response_types = Some(types.into_iter().map(Into::into).collect());
        self
    }

    /// Whether the client may use this grant type.
    pub fn grant_type_supported(&self, grant_type: &str) -> bool {
        self.authorized_grants
            .as_ref()
            .is_none_or(|g| g.iter().any(|x| x == grant_type))
    }

    /// Whether the client may use this response type.
    pub fn response_type_supported(&self, response_type: &str) -> bool {
        self.authorized_response_types
            .as_ref()
            .is_none_or(|t| t.iter().any(|x| x == response_type))
    }

    /// Whether `uri` is one of the registered redirect URIs (exact match).
    pub fn redirect_uri_allowed(&self, uri: &str) -> bool {
        self.redirect_uris.iter().any(|u| u == uri)
    }

    /// The default (first) redirect URI.
    pub fn default_redirect_uri(&self) -> Option<&str> {
        self.redirect_uris.first().map(String::as_str)
    }

    /// Whether `secret` is this client's secret (constant time).
    pub fn secret_matches(&self, secret: &str) -> bool {
        crate::secret::constant_time_eq(self.secret.expose().as_bytes(), secret.as_bytes())
    }
}
