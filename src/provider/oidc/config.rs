//! How to describe an OpenID Connect provider: its issuer (for
//! discovery), endpoint overrides, ID-token settings. The provider built
//! from it is [`OAuthProvider::oidc`](crate::provider::OAuthProvider::oidc).

use std::time::Duration;

use crate::provider::client_settings::{
    client_settings_builders, wraps_client_settings, ClientSettings,
};
use crate::provider::grants::par::ParPolicy;
use crate::provider::offline_access::OfflineAccess;
use crate::provider::oidc::id_token::IdTokenSettings;
use crate::provider::oidc::jwks::{DEFAULT_MAX_AGE, DEFAULT_MIN_REFETCH_INTERVAL};

/// Endpoints that replace (or stand in for) the discovered ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndpointOverrides {
    /// The authorization endpoint.
    pub authorization: Option<String>,
    /// The token endpoint.
    pub token: Option<String>,
    /// The userinfo endpoint.
    pub userinfo: Option<String>,
    /// The RFC 7009 revocation endpoint.
    pub revocation: Option<String>,
    /// The JWKS URI.
    pub jwks_uri: Option<String>,
    /// The RFC 8628 device authorization endpoint.
    pub device_authorization: Option<String>,
    /// The RP-initiated logout endpoint (`end_session_endpoint`).
    pub end_session: Option<String>,
    /// The RFC 9126 pushed authorization request endpoint.
    pub pushed_authorization_request: Option<String>,
}

/// Issuers with a tenant placeholder (Microsoft's multi-tenant
/// endpoints): discovery answers `.../{tenantid}/v2.0`, tokens carry the
/// user's own tenant in `iss` and `tid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantIssuer {
    /// The tenant segment of the configured issuer (`common`,
    /// `organizations`, `consumers` or a tenant id).
    pub tenant: String,
    /// A `tid` every token must have, when the endpoint is restricted to
    /// one tenant (`consumers`).
    pub required_tid: Option<String>,
}

/// Everything an OpenID Connect [`OAuthProvider`](crate::provider::OAuthProvider)
/// needs ([`OAuthProvider::oidc`](crate::provider::OAuthProvider::oidc)); plain data.
///
/// ```
/// use oauthkit::provider::{OidcConfig, OAuthProvider};
/// let mut cfg = OidcConfig::new("https://idp.example", "my-client");
/// cfg.endpoints.authorization = Some("https://idp.example/authorize".into());
/// assert!(cfg.require_id_token_validation);
/// assert_eq!(cfg.scopes, ["openid", "email", "profile"]);
/// let p = OAuthProvider::oidc(cfg).unwrap(); // no I/O until needed
/// ```
#[derive(Debug, Clone)]
pub struct OidcConfig {
    /// A short name for messages (`"oidc"`, `"google"`, ...).
    pub name: String,
    /// The issuer; discovery must return exactly this `issuer`.
    pub issuer: String,
    /// The client settings every provider configuration shares (client
    /// id and secret, scopes, resources, authorization parameters, HTTP,
    /// `private_key_jwt`, PAR policy, profile, DPoP); their fields also
    /// read and write directly on the configuration (`cfg.scopes`). With
    /// a secret and no `client_auth`, the method is picked from discovery
    /// (`client_secret_basic` first).
    pub client: ClientSettings,
    /// Whether `offline_access` is added when discovery lists it (default
    /// [`OfflineAccess::AsConfigured`]: never; see [`OfflineAccess`]).
    pub offline_access: OfflineAccess,
    /// What to tell the operator when a sign-in ends without a refresh
    /// token (a preset's own advice; `None`: one from the scopes and
    /// discovery's `scopes_supported`).
    pub refresh_token_advice: Option<String>,
    /// Endpoints used instead of the discovered ones.
    pub endpoints: EndpointOverrides,
    /// Validate ID tokens after code exchange and refresh (default on).
    pub require_id_token_validation: bool,
    /// ID-token validation knobs.
    pub id_token: IdTokenSettings,
    /// A tenant placeholder in the issuer (Microsoft multi-tenant).
    pub tenant_issuer: Option<TenantIssuer>,
    /// Shortest time between JWKS refetches for unknown `kid`s.
    pub jwks_min_refetch_interval: Duration,
    /// How long fetched JWKS keys are trusted before the key set is
    /// fetched again, so a key the provider withdraws stops verifying.
    pub jwks_max_age: Duration,
}

wraps_client_settings!(OidcConfig);

impl OidcConfig {
    /// A public client of `issuer` with scopes `openid email profile`.
    pub fn new(issuer: impl Into<String>, client_id: impl Into<String>) -> Self {
        OidcConfig {
            name: "oidc".to_owned(),
            issuer: issuer.into(),
            client: ClientSettings::new(client_id).scopes(["openid", "email", "profile"]),
            offline_access: OfflineAccess::default(),
            refresh_token_advice: None,
            endpoints: EndpointOverrides::default(),
            require_id_token_validation: true,
            id_token: IdTokenSettings::default(),
            tenant_issuer: None,
            jwks_min_refetch_interval: DEFAULT_MIN_REFETCH_INTERVAL,
            jwks_max_age: DEFAULT_MAX_AGE,
        }
    }

    client_settings_builders!(
        "let cfg = oauthkit::provider::OidcConfig::new(\"https://idp.example\", \"app\")"
    );

    /// Sets when authorization requests are pushed (RFC 9126).
    ///
    /// ```
    /// use oauthkit::provider::{OidcConfig, ParPolicy};
    /// let cfg = OidcConfig::new("https://idp.example", "app").par(ParPolicy::Always);
    /// assert_eq!(cfg.par, ParPolicy::Always);
    /// ```
    pub fn par(mut self, par: ParPolicy) -> Self {
        self.client.par = par;
        self
    }
}
