//! How to describe a plain OAuth 2.0 server with fixed endpoints (no
//! discovery, no ID token): custom servers and GitHub. The provider built
//! from it is [`OAuthProvider::oauth2`](crate::provider::OAuthProvider::oauth2).

use crate::error::Result;
use crate::provider::client_settings::{
    client_settings_builders, wraps_client_settings, ClientSettings, ProviderFacts,
};
use crate::provider::grants::par::ParPolicy;
use crate::provider::http::check_endpoint_url;

/// How a configuration's `revocation_url` is called. Crate-internal:
/// applications set an RFC 7009 endpoint
/// ([`OAuth2Config::revocation_url`]); only the GitHub preset uses its
/// Applications API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RevocationApi {
    /// An RFC 7009 endpoint.
    Rfc7009,
    /// GitHub's Applications API: `DELETE {url}` with Basic auth and
    /// `{"access_token": ...}`; the URL is
    /// `https://api.github.com/applications/{client_id}/token`.
    GitHubApplications,
}

/// Everything a plain OAuth 2.0 [`OAuthProvider`](crate::provider::OAuthProvider)
/// needs ([`OAuthProvider::oauth2`](crate::provider::OAuthProvider::oauth2)); plain data.
///
/// ```
/// use oauthkit::provider::{OAuth2Config, OAuthProvider, Provider, AuthorizeRequest};
/// use oauthkit::unversioned::provider::Pkce;
/// let cfg = OAuth2Config::new(
///     "custom", "my-client",
///     "https://auth.example.com/authorize", "https://auth.example.com/token",
/// ).scopes(["read", "write"]);
/// let p = OAuthProvider::oauth2(cfg).unwrap();
/// let pkce = Pkce::generate();
/// let url = p.build_authorize_url(&AuthorizeRequest {
///     redirect_uri: "http://127.0.0.1:8400/callback",
///     state: "st",
///     pkce: Some(&pkce),
///     ..Default::default()
/// }).unwrap();
/// assert!(url.starts_with("https://auth.example.com/authorize?response_type=code&client_id=my-client"));
/// assert!(url.contains("scope=read+write"));
/// assert!(url.contains("code_challenge_method=S256"));
/// ```
#[derive(Debug, Clone)]
pub struct OAuth2Config {
    /// A short name for messages.
    pub name: String,
    /// The client settings every provider configuration shares (client
    /// id and secret, scopes, resources, authorization parameters, HTTP,
    /// `private_key_jwt`, PAR policy, profile, DPoP); their fields also
    /// read and write directly on the configuration (`cfg.scopes`).
    pub client: ClientSettings,
    /// The authorization endpoint.
    pub authorize_url: String,
    /// The token endpoint.
    pub token_url: String,
    /// The userinfo endpoint, when there is one.
    pub userinfo_url: Option<String>,
    /// The token revocation endpoint, when there is one (`None`:
    /// `revoke_token` returns `Ok(false)`). An RFC 7009 endpoint, set by
    /// [`revocation_url`](Self::revocation_url); the GitHub preset's is
    /// its Applications API (`DELETE` with Basic auth), which it keeps
    /// when this field is written directly.
    pub revocation_url: Option<String>,
    /// How `revocation_url` is called (RFC 7009 unless the GitHub preset
    /// made the configuration).
    pub(crate) revocation_api: RevocationApi,
    /// The issuer identifier, when the server has one (RFC 8414); callbacks
    /// carrying `iss` are then checked against it (RFC 9207).
    pub issuer: Option<String>,
    /// Whether callbacks must carry `iss` (the server's metadata sets
    /// `authorization_response_iss_parameter_supported`).
    pub requires_iss: bool,
    /// The RFC 8628 device authorization endpoint, when the server has one.
    pub device_authorization_url: Option<String>,
    /// The RFC 9126 pushed authorization request endpoint, when the server
    /// has one.
    pub par_url: Option<String>,
    /// The server requires PAR (its metadata's
    /// `require_pushed_authorization_requests`).
    pub requires_par: bool,
    /// What to tell the operator when a sign-in ends without a refresh
    /// token (a preset's own advice; `None`: a generic one).
    pub refresh_token_advice: Option<String>,
}

wraps_client_settings!(OAuth2Config);

impl OAuth2Config {
    /// A public client with the given endpoints and no scopes.
    pub fn new(
        name: impl Into<String>,
        client_id: impl Into<String>,
        authorize_url: impl Into<String>,
        token_url: impl Into<String>,
    ) -> Self {
        OAuth2Config {
            name: name.into(),
            client: ClientSettings::new(client_id),
            authorize_url: authorize_url.into(),
            token_url: token_url.into(),
            userinfo_url: None,
            revocation_url: None,
            revocation_api: RevocationApi::Rfc7009,
            issuer: None,
            requires_iss: false,
            device_authorization_url: None,
            par_url: None,
            requires_par: false,
            refresh_token_advice: None,
        }
    }

    client_settings_builders!(
        "let cfg = oauthkit::provider::OAuth2Config::new(\"custom\", \"app\", \"https://as.example/authorize\", \"https://as.example/token\")"
    );

    /// Revokes tokens at `url`, an RFC 7009 endpoint (none by default:
    /// `revoke_token` then returns `Ok(false)`); checked when the provider
    /// is built (https, or http to a loopback host).
    ///
    /// ```
    /// use oauthkit::provider::{OAuth2Config, OAuthProvider};
    /// let cfg = OAuth2Config::new("custom", "app",
    ///         "https://as.example/authorize", "https://as.example/token")
    ///     .revocation_url("https://as.example/revoke");
    /// assert_eq!(cfg.revocation_url.as_deref(), Some("https://as.example/revoke"));
    /// OAuthProvider::oauth2(cfg)?;
    /// # Ok::<(), oauthkit::Error>(())
    /// ```
    pub fn revocation_url(mut self, url: impl Into<String>) -> Self {
        self.revocation_url = Some(url.into());
        self.revocation_api = RevocationApi::Rfc7009;
        self
    }

    /// Revokes tokens through GitHub's Applications API at `url` (the
    /// GitHub preset).
    pub(crate) fn github_revocation_url(mut self, url: impl Into<String>) -> Self {
        self.revocation_url = Some(url.into());
        self.revocation_api = RevocationApi::GitHubApplications;
        self
    }

    /// Pushes authorization requests to `par_url` (RFC 9126) according
    /// to `policy`.
    ///
    /// ```
    /// use oauthkit::provider::{OAuth2Config, OAuthProvider, ParPolicy};
    /// let cfg = OAuth2Config::new("custom", "app",
    ///         "https://as.example/authorize", "https://as.example/token")
    ///     .par("https://as.example/par", ParPolicy::Always);
    /// OAuthProvider::oauth2(cfg)?;
    /// # Ok::<(), oauthkit::Error>(())
    /// ```
    pub fn par(mut self, par_url: impl Into<String>, policy: ParPolicy) -> Self {
        self.par_url = Some(par_url.into());
        self.client.par = policy;
        self
    }

    /// The checks of [`OAuthProvider::oauth2`](crate::provider::OAuthProvider::oauth2)
    /// (no I/O).
    pub(crate) fn check(&self) -> Result<()> {
        self.client.check_client(&self.name)?;
        check_endpoint_url("authorization", &self.authorize_url)?;
        check_endpoint_url("token", &self.token_url)?;
        if let Some(u) = &self.userinfo_url {
            check_endpoint_url("userinfo", u)?;
        }
        if let Some(u) = &self.device_authorization_url {
            check_endpoint_url("device_authorization", u)?;
        }
        if let Some(u) = &self.par_url {
            check_endpoint_url("pushed_authorization_request", u)?;
        }
        self.client.check_authentication(
            &self.name,
            ProviderFacts {
                has_par_endpoint_or_discovery: self.par_url.is_some(),
                // no ID tokens here
                id_token_algorithms: None,
                has_issuer: self.issuer.is_some(),
            },
        )?;
        match &self.revocation_url {
            Some(u) => check_endpoint_url("revocation", u).map(drop),
            None => Ok(()),
        }
    }
}
