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
}

impl TokenGrant {
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
}

/// Locks a mutex, ignoring poisoning (a panicked request must not stop the
/// provider).
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
