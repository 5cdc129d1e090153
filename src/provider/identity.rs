//! Who a token set belongs to, and the OIDC Core §12.2 rule that a
//! refresh never changes it: an ID token returned by a refresh must have
//! the same `iss` and `sub` as the one of the original sign-in (and, as
//! every ID token, an `aud` containing the client id).
//!
//! The previous identity comes from the token set being refreshed
//! ([`TokenRefresh::of`](crate::provider::TokenRefresh::of), which the
//! session manager uses), or, for a bare
//! [`TokenRefresh::new`](crate::provider::TokenRefresh::new) refresh, from what this provider object saw when it issued or last
//! refreshed that refresh token ([`RefreshIdentities`], in memory only).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use crate::digest::sha256;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::token::TokenSet;

/// The user an ID token (or a stored token set) names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The issuer, when known (from the ID token).
    pub iss: Option<String>,
    /// The subject.
    pub sub: String,
}

impl Identity {
    /// The identity of a stored token set: `identity_id` as the subject
    /// (else the ID token's `sub`), and the ID token's `iss`. The stored
    /// ID token was validated when it was received; it is only read here.
    ///
    /// ```
    /// use oauthkit::unversioned::provider::Identity;
    /// use oauthkit::TokenSet;
    /// let t = TokenSet::bearer("at").with_identity_id("user-1");
    /// assert_eq!(Identity::of(&t).unwrap().sub, "user-1");
    /// assert!(Identity::of(&TokenSet::bearer("at")).is_none());
    /// ```
    pub fn of(tokens: &TokenSet) -> Option<Identity> {
        let claims = tokens
            .id_token
            .as_ref()
            .and_then(|t| unverified_claims(t.expose()));
        let claim = |name: &str| {
            claims
                .as_ref()
                .and_then(|c| c.get(name))
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let sub = tokens
            .identity_id
            .clone()
            .filter(|s| !s.is_empty())
            .or_else(|| claim("sub"))?;
        Some(Identity {
            iss: claim("iss"),
            sub,
        })
    }

    /// Checks that a refreshed ID token with `iss` and `sub` names this
    /// user (OIDC Core §12.2); an [`Error::IdToken`] otherwise.
    ///
    /// # Errors
    ///
    /// [`Error::IdToken`] when `iss` is not the issuer of the original
    /// sign-in (when it had one) or `sub` is another user's.
    pub fn check_same(&self, iss: &str, sub: &str) -> Result<()> {
        if let Some(want) = &self.iss {
            if want != iss {
                return Err(Error::id_token(format!(
                    "the ID token returned by the refresh is from issuer '{iss}', not '{want}' of the original sign-in (OpenID Connect Core 12.2); the stored tokens were kept"
                )));
            }
        }
        if self.sub != sub {
            return Err(Error::id_token(
                "the ID token returned by the refresh names another user (its sub differs from the original sign-in's; OpenID Connect Core 12.2); the stored tokens were kept"
            ));
        }
        Ok(())
    }
}

/// Checks that a refreshed token set belongs to the same user as the one
/// it replaces (when both name one): what
/// [`Provider::refresh_tokens`](crate::provider::Provider::refresh_tokens)
/// and the session manager check whatever the provider.
///
/// ```
/// use oauthkit::unversioned::provider::check_same_identity;
/// use oauthkit::{ErrorKind, TokenSet};
/// let old = TokenSet::bearer("a").with_identity_id("alice");
/// assert!(check_same_identity(&old, &TokenSet::bearer("b").with_identity_id("alice")).is_ok());
/// assert!(check_same_identity(&old, &TokenSet::bearer("b")).is_ok());
/// let e = check_same_identity(&old, &TokenSet::bearer("b").with_identity_id("mallory")).unwrap_err();
/// assert_eq!(e.kind(), ErrorKind::IdToken);
/// ```
///
/// # Errors
///
/// [`Error::IdToken`] when both sets name an identity and the identities
/// differ (another issuer or another `sub`). A set that names none passes.
pub fn check_same_identity(old: &TokenSet, fresh: &TokenSet) -> Result<()> {
    match (Identity::of(old), Identity::of(fresh)) {
        (Some(before), Some(after)) => match after.iss {
            Some(iss) => before.check_same(&iss, &after.sub),
            None => Identity {
                iss: None,
                sub: before.sub,
            }
            .check_same("", &after.sub),
        },
        _ => Ok(()),
    }
}

/// The claims of a compact JWS, not verified.
pub(crate) fn unverified_claims(token: &str) -> Option<Map<String, Value>> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// How many refresh tokens [`RefreshIdentities`] remembers.
const REMEMBERED: usize = 4096;

/// Identities by token hash, and the hashes oldest first.
type Remembered = (HashMap<[u8; 32], Identity>, VecDeque<[u8; 32]>);

/// The identity each refresh token was issued to, as this provider object
/// saw it (keyed by the SHA-256 of the token, never the token), bounded.
#[derive(Debug, Default)]
pub struct RefreshIdentities {
    inner: Mutex<Remembered>,
}

impl RefreshIdentities {
    fn key(refresh_token: &str) -> [u8; 32] {
        sha256(refresh_token.as_bytes())
    }

    /// Remembers that `refresh_token` belongs to `who`.
    pub fn remember(&self, refresh_token: &str, who: Identity) {
        let key = Self::key(refresh_token);
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let (map, order) = &mut *g;
        if map.insert(key, who).is_none() {
            order.push_back(key);
            while order.len() > REMEMBERED {
                if let Some(old) = order.pop_front() {
                    map.remove(&old);
                }
            }
        }
    }

    /// Who `refresh_token` was issued to, if this object saw it.
    pub fn lookup(&self, refresh_token: &str) -> Option<Identity> {
        let g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        g.0.get(&Self::key(refresh_token)).cloned()
    }
}
