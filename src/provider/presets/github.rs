//! GitHub: OAuth 2.0 without OpenID Connect, with three quirks: the token
//! endpoint needs `Accept: application/json` (sent on every call) and
//! reports errors with HTTP 200; user info comes from the REST API
//! (`/user`); revocation is `DELETE /applications/{client_id}/token` with
//! Basic auth instead of RFC 7009.

use url::Url;

use crate::error::{Error, Result};
use crate::provider::base_url::rebase;
use crate::provider::client_auth::ClientAuthMethod;
use crate::provider::oauth2_config::OAuth2Config;
use crate::provider::oauth_provider::OAuthProvider;

/// The endpoints and fixed values this preset configures; outside semver
/// (`oauthkit::unversioned::provider::presets::github`).
pub(crate) mod urls {
    /// The authorization endpoint.
    pub const AUTHORIZE_URL: &str = "https://github.com/login/oauth/authorize";
    /// The token endpoint.
    pub const TOKEN_URL: &str = "https://github.com/login/oauth/access_token";
    /// The RFC 8628 device authorization endpoint (polled at [`TOKEN_URL`]).
    pub const DEVICE_AUTHORIZATION_URL: &str = "https://github.com/login/device/code";
    /// The REST API root (user info and revocation).
    pub const API_BASE: &str = "https://api.github.com";
}
use urls::*;

/// Scopes requested when none are configured.
pub const DEFAULT_SCOPES: [&str; 2] = ["read:user", "user:email"];

/// What a GitHub sign-in needs for a refresh token.
pub const REFRESH_TOKEN_ADVICE: &str = "GitHub issues refresh tokens only to GitHub Apps with \
     expiring user access tokens turned on (an OAuth app's tokens do not expire and have none)";

/// The GitHub preset as data. Confidential clients send their secret in
/// the form (`client_secret_post`), as GitHub documents.
///
/// ```
/// use oauthkit::provider::github;
/// let c = github::config("Iv1.abc").unwrap();
/// assert_eq!(c.userinfo_url.as_deref(), Some("https://api.github.com/user"));
/// // revoked through GitHub's Applications API (DELETE with Basic auth)
/// assert_eq!(c.revocation_url.as_deref(),
///     Some("https://api.github.com/applications/Iv1.abc/token"));
/// ```
///
/// # Errors
///
/// None for a client id: the `Result` keeps the three presets
/// ([`google::config`](super::google::config),
/// [`microsoft::config`](super::microsoft::config)) one shape.
pub fn config(client_id: &str) -> Result<OAuth2Config> {
    build(
        client_id,
        AUTHORIZE_URL.into(),
        TOKEN_URL.into(),
        DEVICE_AUTHORIZATION_URL.into(),
        API_BASE,
    )
}

/// [`config`] with the web and API URLs on `base` (tests against a
/// loopback server, or GitHub Enterprise Server with its own host).
///
/// # Errors
///
/// [`Error::InvalidArgument`] when `base` is not an absolute URL or cannot
/// have a path (`mailto:...`).
pub fn config_at(base: &str, client_id: &str) -> Result<OAuth2Config> {
    build(
        client_id,
        rebase(AUTHORIZE_URL, base)?,
        rebase(TOKEN_URL, base)?,
        rebase(DEVICE_AUTHORIZATION_URL, base)?,
        base,
    )
}

fn build(
    client_id: &str,
    authorize: String,
    token: String,
    device: String,
    api: &str,
) -> Result<OAuth2Config> {
    let mut api_url =
        Url::parse(api).map_err(|e| Error::InvalidArgument(format!("bad API URL '{api}': {e}")))?;
    let mut user = api_url.clone();
    user.path_segments_mut()
        .map_err(|_| Error::InvalidArgument("the API URL cannot have a path".into()))?
        .pop_if_empty()
        .push("user");
    api_url
        .path_segments_mut()
        .map_err(|_| Error::InvalidArgument("the API URL cannot have a path".into()))?
        .pop_if_empty()
        .extend(["applications", client_id, "token"]);
    let mut c = OAuth2Config::new("github", client_id, &authorize, &token)
        .scopes(DEFAULT_SCOPES)
        .github_revocation_url(api_url);
    c.client_auth = Some(ClientAuthMethod::ClientSecretPost);
    c.userinfo_url = Some(user.into());
    c.device_authorization_url = Some(device);
    c.refresh_token_advice = Some(REFRESH_TOKEN_ADVICE.into());
    Ok(c)
}

/// A ready GitHub provider for a public client (GitHub Apps and OAuth
/// apps using the device grant or PKCE). A confidential client adds its
/// secret to the configuration:
///
/// ```
/// use oauthkit::provider::{github, OAuthProvider};
/// let p = OAuthProvider::oauth2(github::config("Iv1.abc")?.client_secret("secret"))?;
/// # Ok::<(), oauthkit::Error>(())
/// ```
///
/// # Errors
///
/// As [`OAuthProvider::oauth2`].
pub fn provider(client_id: &str) -> Result<OAuthProvider> {
    OAuthProvider::oauth2(config(client_id)?)
}
