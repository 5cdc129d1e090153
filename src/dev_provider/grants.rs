//! What the dev provider remembers: pending authorization requests,
//! authorization codes, access and refresh tokens, and request counters.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::token::now_unix;

/// An authorization request waiting for the approve page.
#[derive(Debug, Clone)]
pub(crate) struct AuthRequest {
    pub redirect_uri: String,
    pub state: Option<String>,
    pub scope: String,
    pub nonce: Option<String>,
    pub code_challenge: String,
    /// `dpop_jkt` (RFC 9449 §10): the code may be redeemed only with a
    /// proof of this key.
    pub dpop_jkt: Option<String>,
}

/// An issued authorization code.
#[derive(Debug, Clone)]
pub(crate) struct CodeGrant {
    pub request: AuthRequest,
    pub expires_at: i64,
}

/// An issued access or refresh token.
#[derive(Debug, Clone)]
pub(crate) struct TokenGrant {
    pub scope: String,
    pub expires_at: Option<i64>,
    pub active: bool,
    /// The JWK thumbprint the token is bound to (RFC 9449 `cnf.jkt`).
    pub jkt: Option<String>,
    /// The sign-in (authorization code) every token descends from: reuse
    /// of a rotated refresh token revokes the whole family.
    pub family: String,
    /// A refresh token that was exchanged under rotation (its successor
    /// exists); presenting it again is reuse.
    pub rotated: bool,
}

impl TokenGrant {
    pub(crate) fn new(
        scope: &str,
        expires_at: Option<i64>,
        jkt: Option<String>,
        family: &str,
    ) -> Self {
        TokenGrant {
            scope: scope.to_string(),
            expires_at,
            active: true,
            jkt,
            family: family.to_string(),
            rotated: false,
        }
    }

    pub(crate) fn is_valid(&self) -> bool {
        self.active && self.expires_at.is_none_or(|e| now_unix() < e)
    }
}

/// All of it, each behind its own lock.
#[derive(Debug, Default)]
pub(crate) struct Grants {
    pub requests: Mutex<HashMap<String, AuthRequest>>,
    pub codes: Mutex<HashMap<String, CodeGrant>>,
    pub access: Mutex<HashMap<String, TokenGrant>>,
    pub refresh: Mutex<HashMap<String, TokenGrant>>,
    pub token_requests: Mutex<HashMap<String, usize>>,
    /// `jti` of accepted DPoP proofs, with when they may be forgotten.
    pub proof_jtis: Mutex<HashMap<String, i64>>,
    /// The nonce DPoP proofs must carry (when nonces are on).
    pub dpop_nonce: Mutex<String>,
}

impl Grants {
    /// Revokes every access and refresh token of a sign-in.
    pub(crate) fn revoke_family(&self, family: &str) {
        for map in [&self.access, &self.refresh] {
            for g in lock(map).values_mut().filter(|g| g.family == family) {
                g.active = false;
            }
        }
    }
}

/// Locks a mutex, ignoring poisoning (a panicked request must not stop the
/// provider).
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
