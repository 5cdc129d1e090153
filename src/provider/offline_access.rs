//! Whether an OpenID Connect sign-in asks for `offline_access`, and what
//! to tell the operator when a sign-in ends without a refresh token.
//!
//! `offline_access` (OpenID Connect Core §11) is a scope a provider may
//! refuse, and refuse late: Keycloak lists it in every realm's discovery
//! document but grants it only to users holding the `offline_access`
//! role; for everyone else the code exchange fails with
//! `400 not_allowed: Offline tokens not allowed` after the user has
//! signed in. Keycloak issues a refresh token without it anyway. So
//! oauthkit never adds a scope on its own: by default
//! ([`OfflineAccess::AsConfigured`]) an authorization request carries
//! exactly the configured scopes. The presets ask for what their
//! provider needs for a refresh token (Microsoft, Auth0 and Okta:
//! `offline_access` in their default scopes; Google:
//! `access_type=offline`), and [`OfflineAccess::WhenListed`] is an
//! explicit opt-in for providers that need `offline_access` and grant it
//! to everyone.
//!
//! When a sign-in ends without a refresh token, the flow logs a warning
//! saying what to add for that provider
//! ([`Provider::refresh_token_advice`](super::Provider::refresh_token_advice))
//! and the result carries the same text
//! ([`AuthFlowResult::refresh_token_advice`](crate::flow::AuthFlowResult::refresh_token_advice)).

use std::fmt;

/// Whether to add `offline_access` to an OpenID Connect authorization
/// request (see the repository's [providers guide](https://github.com/oauthkit/oauthkit/blob/main/docs/providers.md)).
///
/// ```
/// use oauthkit::provider::OidcConfig;
/// use oauthkit::unversioned::provider::OfflineAccess;
/// let mut cfg = OidcConfig::new("https://idp.example", "client");
/// assert_eq!(cfg.offline_access, OfflineAccess::AsConfigured); // exactly cfg.scopes
/// cfg.offline_access = OfflineAccess::WhenListed; // opt in
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OfflineAccess {
    /// Send exactly the configured scopes (the default): a provider can
    /// never refuse a sign-in because of a scope oauthkit added.
    #[default]
    AsConfigured,
    /// Add `offline_access` to a request with `openid` that lacks it when
    /// discovery lists it in `scopes_supported`. Opt in only for a
    /// provider that grants it to every user (Keycloak, for one, refuses
    /// the sign-in of users without its `offline_access` role).
    WhenListed,
}

impl fmt::Display for OfflineAccess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OfflineAccess::WhenListed => "when listed",
            OfflineAccess::AsConfigured => "as configured",
        })
    }
}

impl std::str::FromStr for OfflineAccess {
    type Err = crate::Error;

    /// `as_configured` (also `off`) or `when_listed` (also `on`), any case,
    /// `-` or `_`: the values of `OAUTHKIT_OFFLINE_ACCESS`.
    ///
    /// ```
    /// use oauthkit::unversioned::provider::OfflineAccess;
    /// assert_eq!("when-listed".parse::<OfflineAccess>()?, OfflineAccess::WhenListed);
    /// assert!("always".parse::<OfflineAccess>().is_err());
    /// # Ok::<(), oauthkit::Error>(())
    /// ```
    fn from_str(s: &str) -> crate::Result<Self> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "as_configured" | "off" => Ok(OfflineAccess::AsConfigured),
            "when_listed" | "on" => Ok(OfflineAccess::WhenListed),
            _ => Err(crate::Error::InvalidArgument(format!(
                "OAUTHKIT_OFFLINE_ACCESS '{}' is not one of as_configured, when_listed",
                s.chars().take(20).collect::<String>()
            ))),
        }
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

/// What a generic provider's configuration needs for a refresh token,
/// from its scopes and (when discovery ran) `scopes_supported`.
pub(crate) fn generic_refresh_token_advice(
    configured: &[String],
    supported: Option<&[String]>,
) -> String {
    let has = |list: &[String], s: &str| list.iter().any(|x| x == s);
    if has(configured, "offline_access") {
        return "the scopes already include offline_access: the provider did not grant it to \
                this client or user (Keycloak: the user needs the offline_access role; check the \
                client's refresh-token settings at the provider)"
            .to_owned();
    }
    if supported.is_some_and(|s| has(s, "offline_access")) {
        return "add the scope offline_access (the provider lists it) to the configured scopes, \
                or set OidcConfig::offline_access = OfflineAccess::WhenListed; a provider may \
                refuse it to users without the right (Keycloak's offline_access role)"
            .to_owned();
    }
    "add what the provider documents for refresh tokens: a scope (often offline_access) or an \
     authorization parameter (Google: access_type=offline)"
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn advice_names_what_to_add() {
        let listed = v(&["openid", "offline_access"]);
        let a = generic_refresh_token_advice(&v(&["openid"]), Some(&listed));
        assert!(a.contains("add the scope offline_access"), "{a}");
        let a = generic_refresh_token_advice(&v(&["openid", "offline_access"]), Some(&listed));
        assert!(a.contains("already include"), "{a}");
        let a = generic_refresh_token_advice(&v(&["openid"]), None);
        assert!(a.contains("documents"), "{a}");
    }
}
