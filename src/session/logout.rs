//! Signing out: revoke at the provider (refresh token first, RFC 7009
//! §2.1), delete the stored tokens, and say what happened.
//!
//! [`LogoutReport`] tells the caller whether the provider revoked the
//! tokens, had no revocation endpoint, or failed (which token, and why, in
//! words that never contain a token), and whether the stored tokens were
//! deleted. The stored tokens are deleted whatever the network said: a
//! failed revocation leaves the tokens valid at the provider until they
//! expire, and the report says so instead of hiding it. After
//! RP-initiated logout ([`RpLogout`](crate::flow::RpLogout)) the same
//! report also says whether the provider ended the user's session there.

use crate::error::{ErrorKind, Result};
use crate::provider::{Provider, TokenRevocation, TokenTypeHint};
use crate::store::TokenStore;
use crate::token::TokenSet;

/// The longest reason kept for a failed revocation.
const MAX_REASON_CHARS: usize = 300;

/// What signing out did: here (revoked, deleted) and, after RP-initiated
/// logout, at the provider (its session ended).
///
/// [`SessionManager::logout`](crate::session::SessionManager::logout)
/// signs out here only: its report has no end-session URL, an empty
/// `state` and `provider_session_ended: false`.
/// [`RpLogout`](crate::flow::RpLogout) fills those in too.
///
/// ```
/// use std::sync::Arc;
/// use oauthkit::provider::{OAuth2Config, OAuthProvider};
/// use oauthkit::session::{RevocationOutcome, SessionManager};
/// use oauthkit::store::MemoryStore;
/// let provider = OAuthProvider::oauth2(OAuth2Config::new(
///     "example",
///     "client-id",
///     "https://as.example/authorize",
///     "https://as.example/token",
/// ))?;
/// let sessions = SessionManager::new(Arc::new(provider), Arc::new(MemoryStore::new()));
/// let report = sessions.logout("alice")?; // nothing was stored
/// assert!(!report.had_tokens && !report.tokens_deleted);
/// assert_eq!(report.revocation, RevocationOutcome::NothingToRevoke);
/// assert!(report.revoked() && report.revoked_tokens.is_empty());
/// assert_eq!(report.end_session_url, None);
/// # Ok::<(), oauthkit::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LogoutReport {
    /// Whether tokens were stored under the key.
    pub had_tokens: bool,
    /// What the provider did with them.
    pub revocation: RevocationOutcome,
    /// The tokens the provider accepted to revoke, in the order sent
    /// (refresh token first); empty when nothing was revoked.
    pub revoked_tokens: Vec<TokenTypeHint>,
    /// Whether stored tokens were deleted (false when there were none).
    pub tokens_deleted: bool,
    /// The provider's end-session URL (RP-initiated logout, carrying
    /// `state` below); `None` when no end-session was done (the provider
    /// has no end-session endpoint, or only the local sign-out was asked).
    pub end_session_url: Option<String>,
    /// The `state` sent in the end-session URL; empty without one.
    pub state: String,
    /// The provider redirected back with the right `state`: it ended the
    /// user's session (only [`RpLogout::run`](crate::flow::RpLogout::run)
    /// and [`RpLogout::end_session_only`](crate::flow::RpLogout::end_session_only)
    /// wait for that; `false` otherwise).
    pub provider_session_ended: bool,
}

impl LogoutReport {
    /// Whether every token that was stored is now revoked at the provider
    /// (true when there was nothing to revoke). For "the provider revoked
    /// at least one", see [`revoked_tokens`](Self::revoked_tokens).
    pub fn revoked(&self) -> bool {
        matches!(
            self.revocation,
            RevocationOutcome::Revoked | RevocationOutcome::NothingToRevoke
        )
    }

    /// The report of a sign-out that found nothing stored.
    pub(crate) fn nothing_stored() -> Self {
        LogoutReport {
            had_tokens: false,
            revocation: RevocationOutcome::NothingToRevoke,
            revoked_tokens: Vec::new(),
            tokens_deleted: false,
            end_session_url: None,
            state: String::new(),
            provider_session_ended: false,
        }
    }
}

/// What the provider did with the tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevocationOutcome {
    /// No tokens were stored, so none was sent.
    NothingToRevoke,
    /// The provider revoked every token sent (refresh token and access
    /// token).
    Revoked,
    /// The provider has no revocation endpoint: the tokens stay valid at
    /// the provider until they expire.
    NotSupported,
    /// At least one revocation failed; each failure says which token and
    /// why. Tokens not listed were revoked.
    Failed(Vec<RevocationFailure>),
}

/// One failed revocation request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationFailure {
    /// Which token.
    pub token: TokenTypeHint,
    /// The error's kind (`Http`, `OAuth`, `Timeout`, ...).
    pub kind: ErrorKind,
    /// The error's message, without any token in it, at most 300
    /// characters.
    pub reason: String,
}

/// Revokes the tokens stored under `key` (refresh token first), then
/// deletes them. A store error (reading or deleting) is returned as the
/// error: the tokens may still be stored.
pub(crate) fn sign_out(
    provider: &dyn Provider,
    store: &dyn TokenStore,
    key: &str,
) -> Result<LogoutReport> {
    let tokens = store.load(key)?;
    revoke_and_delete(provider, store, key, tokens.as_ref())
}

/// [`sign_out`] of `tokens`, already loaded from `key` (the caller keeps
/// the ID token as its end-session hint).
pub(crate) fn revoke_and_delete(
    provider: &dyn Provider,
    store: &dyn TokenStore,
    key: &str,
    tokens: Option<&TokenSet>,
) -> Result<LogoutReport> {
    let Some(tokens) = tokens else {
        log::info!("sign-out of '{key}': no stored tokens");
        return Ok(LogoutReport::nothing_stored());
    };
    let mut sent: Vec<(&str, TokenTypeHint)> = Vec::new();
    if let Some(rt) = &tokens.refresh_token {
        sent.push((rt.expose(), TokenTypeHint::RefreshToken));
    }
    sent.push((tokens.access_token.expose(), TokenTypeHint::AccessToken));
    let secrets: Vec<&str> = sent.iter().map(|(t, _)| *t).collect();
    let mut failures = Vec::new();
    let mut revoked_tokens = Vec::new();
    let mut unsupported = false;
    for (token, hint) in &sent {
        let mut request = TokenRevocation::new(*token).hint(*hint);
        if let Some(k) = &tokens.dpop_key {
            request = request.dpop(k);
        }
        match provider.revoke_token(&request) {
            Ok(true) => revoked_tokens.push(*hint),
            Ok(false) => unsupported = true,
            Err(e) => failures.push(RevocationFailure {
                token: *hint,
                kind: e.kind(),
                reason: scrub(&e.to_string(), &secrets),
            }),
        }
    }
    let revocation = if !failures.is_empty() {
        RevocationOutcome::Failed(failures)
    } else if unsupported && revoked_tokens.is_empty() {
        RevocationOutcome::NotSupported
    } else {
        RevocationOutcome::Revoked
    };
    let tokens_deleted = store.delete(key)?;
    match &revocation {
        RevocationOutcome::Failed(failures) => {
            for f in failures {
                log::warn!(
                    "sign-out of '{key}': revoking the {:?} failed ({:?}): {}",
                    f.token,
                    f.kind,
                    f.reason
                );
            }
        }
        other => log::info!("sign-out of '{key}': revocation {other:?}"),
    }
    log::info!(
        "sign-out of '{key}': stored tokens {}",
        if tokens_deleted {
            "deleted"
        } else {
            "already gone"
        }
    );
    Ok(LogoutReport {
        had_tokens: true,
        revocation,
        revoked_tokens,
        tokens_deleted,
        ..LogoutReport::nothing_stored()
    })
}

/// `text` without any of `secrets` (a provider may echo the token it was
/// sent), printable and bounded.
fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_string();
    for s in secrets.iter().filter(|s| !s.is_empty()) {
        out = out.replace(s, "[redacted]");
    }
    let mut kept: String = out
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_REASON_CHARS)
        .collect();
    if out.chars().count() > MAX_REASON_CHARS {
        kept.push('…');
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::scrub;

    #[test]
    fn reasons_lose_tokens_and_control_characters_and_are_bounded() {
        let r = scrub("bad token rt-123 and at-9\nnext", &["rt-123", "at-9", ""]);
        assert_eq!(r, "bad token [redacted] and [redacted] next");
        let long = scrub(&"x".repeat(1000), &[]);
        assert_eq!(long.chars().count(), 301);
    }
}
