//! Google: OpenID Connect with fixed endpoints, and offline access so a
//! refresh token comes back.

use crate::error::Result;
use crate::provider::base_url::rebase;
use crate::provider::oauth_provider::OAuthProvider;
use crate::provider::oidc::config::OidcConfig;

/// The endpoints and fixed values this preset configures; outside semver
/// (`oauthkit::unversioned::provider::presets::google`).
pub(crate) mod urls {
    /// Google's issuer (discovery and ID-token `iss`).
    pub const ISSUER: &str = "https://accounts.google.com";
    /// The other `iss` value Google documents for its ID tokens ("equal to
    /// `accounts.google.com` or `https://accounts.google.com`").
    pub const ISSUER_WITHOUT_SCHEME: &str = "accounts.google.com";
    /// The authorization endpoint.
    pub const AUTHORIZE_URL: &str = "https://accounts.google.com/o/oauth2/v2/auth";
    /// The token endpoint.
    pub const TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
    /// The userinfo endpoint.
    pub const USERINFO_URL: &str = "https://openidconnect.googleapis.com/v1/userinfo";
    /// The RFC 7009 revocation endpoint.
    pub const REVOCATION_URL: &str = "https://oauth2.googleapis.com/revoke";
    /// The RFC 8628 device authorization endpoint ("TVs and limited input
    /// devices" clients).
    pub const DEVICE_AUTHORIZATION_URL: &str = "https://oauth2.googleapis.com/device/code";
    /// Added to every authorization URL: without `access_type=offline` Google
    /// issues no refresh token, and without `prompt=consent` only on the first
    /// consent. A request's extra parameters can override both.
    pub const AUTHORIZE_PARAMS: [(&str, &str); 2] =
        [("access_type", "offline"), ("prompt", "consent")];
}
use urls::*;

/// Scopes requested when none are configured.
pub const DEFAULT_SCOPES: [&str; 3] = ["openid", "email", "profile"];

/// What a Google sign-in needs for a refresh token.
pub const REFRESH_TOKEN_ADVICE: &str =
    "Google issues a refresh token only for access_type=offline, \
     and only at the first consent unless prompt=consent: keep both authorization parameters \
     (the preset sets them; a request's extra parameters replaced them)";

/// The Google preset as data: adjust fields (secret, scopes, timeouts)
/// before building with [`OAuthProvider::oidc`].
///
/// ```
/// use oauthkit::provider::{google, Provider, AuthorizeRequest};
/// let p = oauthkit::provider::OAuthProvider::oidc(google::config("id.apps.googleusercontent.com")?)?;
/// let url = p.build_authorize_url(&AuthorizeRequest {
///     redirect_uri: "http://127.0.0.1:9000/callback", state: "s", ..Default::default()
/// }).unwrap();
/// assert!(url.starts_with("https://accounts.google.com/o/oauth2/v2/auth?"));
/// assert!(url.contains("access_type=offline&prompt=consent"));
/// # Ok::<(), oauthkit::Error>(())
/// ```
///
/// # Errors
///
/// None today; the `Result` keeps the three presets
/// ([`github::config`](super::github::config),
/// [`microsoft::config`](super::microsoft::config)) one shape.
pub fn config(client_id: &str) -> Result<OidcConfig> {
    let mut c = OidcConfig::new(ISSUER, client_id).scopes(DEFAULT_SCOPES);
    c.name = "google".into();
    c.endpoints.authorization = Some(AUTHORIZE_URL.into());
    c.endpoints.token = Some(TOKEN_URL.into());
    c.endpoints.userinfo = Some(USERINFO_URL.into());
    c.endpoints.revocation = Some(REVOCATION_URL.into());
    c.endpoints.device_authorization = Some(DEVICE_AUTHORIZATION_URL.into());
    c.id_token.additional_issuers = vec![ISSUER_WITHOUT_SCHEME.into()];
    c.authorize_params = AUTHORIZE_PARAMS
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    c.refresh_token_advice = Some(REFRESH_TOKEN_ADVICE.into());
    Ok(c)
}

/// [`config`] with the issuer and every endpoint moved onto `base`
/// (tests against a loopback server; the issuer becomes `base` itself, and
/// `base` without its scheme its other spelling).
///
/// # Errors
///
/// [`Error::InvalidArgument`](crate::Error::InvalidArgument) when `base` is not an absolute URL.
pub fn config_at(base: &str, client_id: &str) -> Result<OidcConfig> {
    let mut c = config(client_id)?;
    c.issuer = base.trim_end_matches('/').to_owned();
    let bare = c.issuer.split_once("://").map_or("", |(_, rest)| rest);
    c.id_token.additional_issuers = vec![bare.to_owned()];
    let e = &mut c.endpoints;
    for slot in [
        &mut e.authorization,
        &mut e.token,
        &mut e.userinfo,
        &mut e.revocation,
        &mut e.device_authorization,
    ] {
        if let Some(u) = slot.as_mut() {
            *u = rebase(u, base)?;
        }
    }
    Ok(c)
}

/// A ready Google provider for a public client. A confidential client
/// adds its secret to the configuration:
///
/// ```
/// use oauthkit::provider::{google, OAuthProvider};
/// let p = OAuthProvider::oidc(google::config("id")?.client_secret("GOCSPX-..."))?;
/// # Ok::<(), oauthkit::Error>(())
/// ```
///
/// # Errors
///
/// As [`OAuthProvider::oidc`].
pub fn provider(client_id: &str) -> Result<OAuthProvider> {
    OAuthProvider::oidc(config(client_id)?)
}
