//! Keycloak: one OpenID provider per realm, issuer
//! `{base URL}/realms/{realm}` (older servers and some deployments keep
//! the legacy `/auth` in the base URL). Everything else comes from the
//! realm's discovery document.
//!
//! Quirks, as Keycloak 26 behaves:
//! - Refresh tokens come with every sign-in (unless the client's "Use
//!   refresh tokens" is off); `offline_access` is not needed, and a user
//!   without the realm's `offline_access` role who asks for it is refused
//!   at the code exchange (`400 not_allowed`), so the preset never asks.
//!   Rotation depends on the realm's "Revoke refresh token" setting.
//! - A loopback redirect URI registered as `http://127.0.0.1/callback`
//!   matches any port (RFC 8252 §7.3), so the native flow's random port
//!   works.
//! - A client with "Pushed authorization request required" needs
//!   [`ParPolicy::Always`](crate::provider::ParPolicy::Always)
//!   (`config(..)?.par(ParPolicy::Always)`; C `par_required`):
//!   discovery says `require_pushed_authorization_requests: false`
//!   because that is the realm's default, not the client's.
//! - A wrong client secret answers `401 unauthorized_client`, an unknown
//!   token-exchange audience `400 invalid_client` ("Audience not found"):
//!   both [`ErrorKind::OAuth`](crate::ErrorKind::OAuth), for which
//!   [`needs_sign_in`](crate::Error::needs_sign_in) is false (the
//!   configuration, not the user, must change); an expired or revoked
//!   refresh token is `invalid_grant`.
//! - RP-initiated logout, revocation, the device grant and PAR endpoints
//!   are in discovery.

use crate::error::Result;
use crate::provider::oauth_provider::OAuthProvider;
use crate::provider::oidc::config::OidcConfig;
use crate::provider::presets::preset_url::{base_url, segment};

/// Scopes requested when none are configured.
pub const DEFAULT_SCOPES: [&str; 3] = ["openid", "email", "profile"];

/// What a Keycloak sign-in needs for a refresh token.
pub const REFRESH_TOKEN_ADVICE: &str = "Keycloak issues a refresh token with every sign-in \
     unless the client's 'Use refresh tokens' setting (Advanced, OpenID Connect Compatibility \
     Modes) is off: turn it on";

/// The issuer of `realm` on the Keycloak server at `base_url`:
/// `{base_url}/realms/{realm}`, the base URL with or without a trailing
/// `/` and with its path kept (legacy `/auth`).
///
/// ```
/// use oauthkit::provider::keycloak;
/// assert_eq!(keycloak::issuer("https://sso.example/", "acme")?, "https://sso.example/realms/acme");
/// assert_eq!(keycloak::issuer("https://sso.example/auth", "acme")?,
///            "https://sso.example/auth/realms/acme");
/// assert!(keycloak::issuer("https://sso.example", "").is_err());
/// # Ok::<(), oauthkit::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::InvalidArgument`](crate::Error::InvalidArgument) when
/// `base_url` is not an `https` URL (`http` only on loopback) without
/// credentials, query or fragment, or already names a realm
/// (`.../realms/x`), or `realm` is empty or holds `/`,
/// `?`, `#`, `%`, spaces or control characters.
pub fn issuer(base_url_: &str, realm: &str) -> Result<String> {
    let base = base_url("Keycloak base URL", base_url_)?;
    if base.contains("/realms/") || base.ends_with("/realms") {
        return Err(crate::Error::InvalidArgument(
            "Keycloak base URL must be the server's (https://sso.example or .../auth), not a \
             realm's issuer: give the realm separately"
                .into(),
        ));
    }
    let realm = segment("Keycloak realm", realm)?;
    Ok(format!("{base}/realms/{realm}"))
}

/// The Keycloak preset as data for `realm` on the server at `base_url`
/// (see [`issuer`]); adjust fields (secret, scopes, PAR) before building
/// with [`OAuthProvider::oidc`].
///
/// ```
/// use oauthkit::provider::{OAuthProvider, ParPolicy, keycloak};
/// let c = keycloak::config("https://sso.example", "acme", "cli")?;
/// assert_eq!(c.issuer, "https://sso.example/realms/acme");
/// assert_eq!(c.scopes, ["openid", "email", "profile"]);
/// // a client with "Pushed authorization request required":
/// let p = OAuthProvider::oidc(c.par(ParPolicy::Always))?;
/// # Ok::<(), oauthkit::Error>(())
/// ```
///
/// # Errors
///
/// As [`issuer`].
pub fn config(base_url: &str, realm: &str, client_id: &str) -> Result<OidcConfig> {
    let mut c = OidcConfig::new(&issuer(base_url, realm)?, client_id).scopes(DEFAULT_SCOPES);
    c.name = "keycloak".into();
    c.refresh_token_advice = Some(REFRESH_TOKEN_ADVICE.into());
    Ok(c)
}

/// A ready Keycloak provider for a public client. A confidential client
/// adds its secret to the configuration:
///
/// ```
/// use oauthkit::provider::{keycloak, OAuthProvider};
/// let c = keycloak::config("https://sso.example", "acme", "web")?.client_secret("s");
/// let p = OAuthProvider::oidc(c)?;
/// # Ok::<(), oauthkit::Error>(())
/// ```
///
/// # Errors
///
/// As [`config`] and [`OAuthProvider::oidc`].
pub fn provider(base_url: &str, realm: &str, client_id: &str) -> Result<OAuthProvider> {
    OAuthProvider::oidc(config(base_url, realm, client_id)?)
}
