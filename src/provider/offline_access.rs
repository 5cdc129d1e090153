//! Whether an OpenID Connect sign-in asks for `offline_access`.
//!
//! Many providers (Okta, Auth0, Keycloak, panva's oidc-provider) issue a
//! refresh token only when the authorization request names the
//! `offline_access` scope (OpenID Connect Core 11), and an application that
//! forgot it finds out only when the first access token expires. So by
//! default [`OidcProvider`](super::OidcProvider) adds it to the scopes of
//! an `openid` request when the provider's discovery document lists it in
//! `scopes_supported`, and logs that it did. Providers that hand out
//! refresh tokens another way (Google's `access_type=offline`, in its
//! preset) do not list it and are left alone.

use std::fmt;

/// Whether to add `offline_access` to an OpenID Connect authorization
/// request (see the [module docs](self)).
///
/// ```
/// use oauthkit::provider::{OfflineAccess, OidcConfig};
/// let mut cfg = OidcConfig::new("https://idp.example", "client");
/// assert_eq!(cfg.offline_access, OfflineAccess::WhenListed);
/// cfg.offline_access = OfflineAccess::AsConfigured; // exactly cfg.scopes
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OfflineAccess {
    /// Add `offline_access` to a request with `openid` that lacks it when
    /// discovery lists it in `scopes_supported` (the default).
    #[default]
    WhenListed,
    /// Send exactly the configured scopes.
    AsConfigured,
}

impl fmt::Display for OfflineAccess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OfflineAccess::WhenListed => "when listed",
            OfflineAccess::AsConfigured => "as configured",
        })
    }
}

/// The scopes to send: `configured` plus `offline_access` when `rule`
/// asks for it, the request is an OpenID one and `supported` (discovery's
/// `scopes_supported`) lists it; `None` when nothing is added.
pub(crate) fn scopes_with_offline_access(
    rule: OfflineAccess,
    configured: &[String],
    supported: &[String],
) -> Option<String> {
    let has = |list: &[String], s: &str| list.iter().any(|x| x == s);
    (rule == OfflineAccess::WhenListed
        && has(configured, "openid")
        && !has(configured, "offline_access")
        && has(supported, "offline_access"))
    .then(|| {
        let mut all = configured.to_vec();
        all.push("offline_access".to_owned());
        all.join(" ")
    })
}
