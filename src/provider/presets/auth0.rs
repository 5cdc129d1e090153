//! Auth0: one OpenID provider per tenant domain
//! (`tenant.eu.auth0.com` or a custom domain), issuer `https://{domain}/`
//! with its trailing `/`.
//!
//! Quirks:
//! - A refresh token only for the scope `offline_access` (in the default
//!   scopes) and only when the API the token is for allows offline access
//!   ("Allow Offline Access"); rotation is a per-application setting.
//! - Access tokens for an API need the `audience` authorization parameter
//!   ([`with_audience`]; without it Auth0 issues a token for its own
//!   userinfo endpoint only).
//! - RP-initiated logout at `/oidc/logout` (set here: the tenant lists it
//!   in discovery only when "RP-Initiated Logout End Session Endpoint
//!   Discovery" is on); the device grant at `/oauth/device/code`.

use crate::error::Result;
use crate::provider::oauth_provider::OAuthProvider;
use crate::provider::oidc::config::OidcConfig;
use crate::provider::presets::preset_url::host_url;

/// Scopes requested when none are configured (`offline_access` for a
/// refresh token).
pub const DEFAULT_SCOPES: [&str; 4] = ["openid", "profile", "email", "offline_access"];

/// What an Auth0 sign-in needs for a refresh token.
pub const REFRESH_TOKEN_ADVICE: &str = "Auth0 issues a refresh token only for the scope \
     offline_access, and only when the API named by the audience parameter has 'Allow Offline \
     Access' on: add the scope and turn the setting on";

/// The Auth0 preset as data for the tenant `domain` (a host name such as
/// `tenant.eu.auth0.com`, or `https://` and that host).
///
/// ```
/// use oauthkit::provider::{auth0, OAuthProvider};
/// let c = auth0::config("acme.eu.auth0.com", "app")?;
/// assert_eq!(c.issuer, "https://acme.eu.auth0.com/");
/// assert_eq!(c.endpoints.end_session.as_deref(), Some("https://acme.eu.auth0.com/oidc/logout"));
/// let c = auth0::with_audience(c, "https://api.acme.example");
/// assert!(auth0::config("acme.eu.auth0.com/x", "app").is_err());
/// # Ok::<(), oauthkit::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::InvalidArgument`](crate::Error::InvalidArgument) when
/// `domain` is empty, has a path, query or credentials, or is not a host
/// name.
pub fn config(domain: &str, client_id: &str) -> Result<OidcConfig> {
    let base = host_url("Auth0 domain", domain)?;
    let mut c = OidcConfig::new(format!("{base}/"), client_id).scopes(DEFAULT_SCOPES);
    c.name = "auth0".into();
    c.endpoints.end_session = Some(format!("{base}/oidc/logout"));
    c.endpoints.device_authorization = Some(format!("{base}/oauth/device/code"));
    c.refresh_token_advice = Some(REFRESH_TOKEN_ADVICE.into());
    Ok(c)
}

/// `config` asking for access tokens for the API `audience` (Auth0's
/// `audience` authorization parameter, replacing an earlier one); an
/// empty `audience` removes it.
///
/// ```
/// use oauthkit::provider::auth0;
/// let c = auth0::with_audience(auth0::config("acme.auth0.com", "app")?, "https://api.example");
/// assert!(c.authorize_params.contains(&("audience".into(), "https://api.example".into())));
/// # Ok::<(), oauthkit::Error>(())
/// ```
pub fn with_audience(mut config: OidcConfig, audience: impl Into<String>) -> OidcConfig {
    let audience = audience.into();
    config.authorize_params.retain(|(k, _)| k != "audience");
    if !audience.is_empty() {
        config.authorize_params.push(("audience".into(), audience));
    }
    config
}

/// A ready Auth0 provider for a public client (native applications).
///
/// ```
/// let p = oauthkit::provider::auth0::provider("acme.us.auth0.com", "app")?;
/// # Ok::<(), oauthkit::Error>(())
/// ```
///
/// # Errors
///
/// As [`config`] and [`OAuthProvider::oidc`].
pub fn provider(domain: &str, client_id: &str) -> Result<OAuthProvider> {
    OAuthProvider::oidc(config(domain, client_id)?)
}
