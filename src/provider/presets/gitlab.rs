//! GitLab (gitlab.com or a self-managed instance) as an OpenID provider:
//! the issuer is the instance's base URL (with its relative URL root, if
//! any).
//!
//! Quirks:
//! - Every sign-in brings a refresh token, and every refresh rotates it
//!   (the old one stops working); access tokens live two hours.
//! - Scopes `openid profile email` sign the user in; the API needs more
//!   (`read_user`, `read_api`, `api`).
//! - The device grant is at `/oauth/authorize_device` (GitLab 17.1 and
//!   later); there is no RP-initiated logout endpoint.

use crate::error::Result;
use crate::provider::oauth_provider::OAuthProvider;
use crate::provider::oidc::config::OidcConfig;
use crate::provider::presets::preset_url::base_url;

/// gitlab.com, the base URL used when none is given.
pub const GITLAB_COM: &str = "https://gitlab.com";
/// Scopes requested when none are configured.
pub const DEFAULT_SCOPES: [&str; 3] = ["openid", "profile", "email"];

/// What a GitLab sign-in needs for a refresh token.
pub const REFRESH_TOKEN_ADVICE: &str = "GitLab issues a refresh token with every sign-in; if \
     none came back, the application is not a GitLab OAuth application (check its settings)";

/// The GitLab preset as data for the instance at `base_url` (empty:
/// [`GITLAB_COM`]).
///
/// ```
/// use oauthkit::provider::gitlab;
/// let c = gitlab::config("", "app-id")?;
/// assert_eq!(c.issuer, "https://gitlab.com");
/// assert_eq!(c.endpoints.device_authorization.as_deref(),
///            Some("https://gitlab.com/oauth/authorize_device"));
/// let c = gitlab::config("https://git.example/gitlab/", "app-id")?;
/// assert_eq!(c.issuer, "https://git.example/gitlab");
/// # Ok::<(), oauthkit::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::InvalidArgument`](crate::Error::InvalidArgument) when
/// `base_url` is not an `https` URL (`http` only on loopback) without
/// credentials, query or fragment.
pub fn config(base_url_: &str, client_id: &str) -> Result<OidcConfig> {
    let base = if base_url_.trim().is_empty() {
        GITLAB_COM.to_owned()
    } else {
        base_url("GitLab base URL", base_url_)?
    };
    let mut c = OidcConfig::new(&base, client_id).scopes(DEFAULT_SCOPES);
    c.name = "gitlab".into();
    c.endpoints.device_authorization = Some(format!("{base}/oauth/authorize_device"));
    c.refresh_token_advice = Some(REFRESH_TOKEN_ADVICE.into());
    Ok(c)
}

/// A ready GitLab provider for a public client.
///
/// ```
/// let p = oauthkit::provider::gitlab::provider(oauthkit::provider::gitlab::GITLAB_COM, "app-id")?;
/// # Ok::<(), oauthkit::Error>(())
/// ```
///
/// # Errors
///
/// As [`config`] and [`OAuthProvider::oidc`].
pub fn provider(base_url: &str, client_id: &str) -> Result<OAuthProvider> {
    OAuthProvider::oidc(config(base_url, client_id)?)
}
