//! Signing out: revoke at the provider (refresh token first, RFC 7009
//! §2.1), delete the stored tokens, and say what happened.
//!
//! [`LogoutReport`] tells the caller whether the provider revoked the
//! tokens, had no revocation endpoint, or failed (which token, and why, in
//! words that never contain a token), and whether the stored tokens were
//! deleted. The stored tokens are deleted whatever the network said: a
//! failed revocation leaves the tokens valid at the provider until they
//! expire, and the report says so instead of hiding it.

use crate::error::{ErrorKind, Result};
use crate::provider::{Provider, TokenRevocation, TokenTypeHint};
use crate::store::TokenStore;

/// The longest reason kept for a failed revocation.
const MAX_REASON_CHARS: usize = 300;

/// What signing out did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutReport {
    /// Whether tokens were stored under the key.
    pub had_tokens: bool,
    /// What the provider did with them.
    pub revocation: RevocationOutcome,
    /// Whether stored tokens were deleted (false when there were none).
    pub tokens_deleted: bool,
}

impl LogoutReport {
    /// Whether every token that was stored is now revoked at the provider
    /// (true when there was nothing to revoke).
    ///
    /// ```
    /// use oauthkit::session::{LogoutReport, RevocationOutcome};
    /// let r = LogoutReport {
    ///     had_tokens: true,
    ///     revocation: RevocationOutcome::NotSupported,
    ///     tokens_deleted: true,
    /// };
    /// assert!(!r.revoked());
    /// ```
    pub fn revoked(&self) -> bool {
        matches!(
            self.revocation,
            RevocationOutcome::Revoked | RevocationOutcome::NothingToRevoke
        )
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
    let Some(tokens) = store.load(key)? else {
        return Ok(LogoutReport {
            had_tokens: false,
            revocation: RevocationOutcome::NothingToRevoke,
            tokens_deleted: false,
        });
    };
    let mut sent: Vec<(&str, TokenTypeHint)> = Vec::new();
    if let Some(rt) = &tokens.refresh_token {
        sent.push((rt.expose(), TokenTypeHint::RefreshToken));
    }
    sent.push((tokens.access_token.expose(), TokenTypeHint::AccessToken));
    let secrets: Vec<&str> = sent.iter().map(|(t, _)| *t).collect();
    let mut failures = Vec::new();
    let mut any_revoked = false;
    let mut unsupported = false;
    for (token, hint) in &sent {
        let mut request = TokenRevocation::new(*token).hint(*hint);
        if let Some(k) = &tokens.dpop_key {
            request = request.dpop(k);
        }
        match provider.revoke_token(&request) {
            Ok(true) => any_revoked = true,
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
    } else if unsupported && !any_revoked {
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
        tokens_deleted,
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
