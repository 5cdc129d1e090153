//! Okta: an org (`https://{org}.okta.com` or a custom domain) with
//! authorization servers. A custom authorization server (the `default`
//! one, or an id such as `aus1a2b3c4d5e6f7g8h9`) has the issuer
//! `{org}/oauth2/{id}`; the org authorization server ([`ORG_SERVER`]) has
//! the org URL itself.
//!
//! Quirks:
//! - A refresh token only for the scope `offline_access` (in the default
//!   scopes) and only when the application has the Refresh Token grant
//!   on; rotation is a per-application setting.
//! - RP-initiated logout (`{issuer}/v1/logout`), revocation and the
//!   device grant (`{issuer}/v1/device/authorize`) come from discovery.
//! - API scopes and access-token audiences belong to custom
//!   authorization servers; the org server's access tokens are for Okta's
//!   own APIs.

use crate::error::Result;
use crate::provider::oauth_provider::OAuthProvider;
use crate::provider::oidc::config::OidcConfig;
use crate::provider::presets::preset_url::{base_url, segment};

/// The authorization server used when none is named.
pub const DEFAULT_SERVER: &str = "default";
/// The name that picks the org authorization server (issuer = the org
/// URL).
pub const ORG_SERVER: &str = "org";
/// Scopes requested when none are configured (`offline_access` for a
/// refresh token).
pub const DEFAULT_SCOPES: [&str; 4] = ["openid", "profile", "email", "offline_access"];

/// What an Okta sign-in needs for a refresh token.
pub const REFRESH_TOKEN_ADVICE: &str = "Okta issues a refresh token only for the scope \
     offline_access, and only when the application's Refresh Token grant is on: add the scope \
     and turn the grant on";

/// The issuer of `authorization_server` in the org at `org_url`:
/// `{org_url}/oauth2/{id}`, or the org URL for [`ORG_SERVER`]; an empty
/// name means [`DEFAULT_SERVER`].
///
/// ```
/// use oauthkit::provider::okta;
/// assert_eq!(okta::issuer("https://acme.okta.com/", "")?, "https://acme.okta.com/oauth2/default");
/// assert_eq!(okta::issuer("https://acme.okta.com", "aus1x2")?, "https://acme.okta.com/oauth2/aus1x2");
/// assert_eq!(okta::issuer("https://acme.okta.com", okta::ORG_SERVER)?, "https://acme.okta.com");
/// # Ok::<(), oauthkit::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::InvalidArgument`](crate::Error::InvalidArgument) when
/// `org_url` is not an `https` URL (`http` only on loopback) without
/// credentials, query or fragment, or has an `/oauth2` path (an issuer,
/// not the org), or the server name holds `/`, `?`,
/// `#`, `%`, spaces or control characters.
pub fn issuer(org_url: &str, authorization_server: &str) -> Result<String> {
    let org = base_url("Okta org URL", org_url)?;
    if org.contains("/oauth2") {
        return Err(crate::Error::InvalidArgument(
            "Okta org URL must be the org's (https://acme.okta.com), not an authorization \
             server's issuer: name the server separately"
                .into(),
        ));
    }
    Ok(match authorization_server {
        "" => format!("{org}/oauth2/{DEFAULT_SERVER}"),
        ORG_SERVER => org,
        id => format!("{org}/oauth2/{}", segment("Okta authorization server", id)?),
    })
}

/// The Okta preset as data (see [`issuer`]).
///
/// ```
/// use oauthkit::provider::okta;
/// let c = okta::config("https://acme.okta.com", okta::DEFAULT_SERVER, "0oa1")?;
/// assert_eq!(c.issuer, "https://acme.okta.com/oauth2/default");
/// assert!(c.scopes.iter().any(|s| s == "offline_access"));
/// # Ok::<(), oauthkit::Error>(())
/// ```
///
/// # Errors
///
/// As [`issuer`].
pub fn config(org_url: &str, authorization_server: &str, client_id: &str) -> Result<OidcConfig> {
    let mut c =
        OidcConfig::new(&issuer(org_url, authorization_server)?, client_id).scopes(DEFAULT_SCOPES);
    c.name = "okta".into();
    c.refresh_token_advice = Some(REFRESH_TOKEN_ADVICE.into());
    Ok(c)
}

/// A ready Okta provider for a public client.
///
/// ```
/// let p = oauthkit::provider::okta::provider("https://acme.okta.com", "default", "0oa1")?;
/// # Ok::<(), oauthkit::Error>(())
/// ```
///
/// # Errors
///
/// As [`config`] and [`OAuthProvider::oidc`].
pub fn provider(
    org_url: &str,
    authorization_server: &str,
    client_id: &str,
) -> Result<OAuthProvider> {
    OAuthProvider::oidc(config(org_url, authorization_server, client_id)?)
}
