//! Deploy mode's sessions and used callbacks, kept in the token store so
//! every instance sharing that store sees the same ones.
//!
//! The session cookie is an opaque random id (256 bits). The store holds,
//! under `oauthkit-deploy-session:{sha256(id) in hex}`, a record naming the
//! user's token-store key, the session's expiry, its CSRF token and the
//! user info: any instance answers `/auth/status` and `/auth/logout` for
//! it, a logout on one instance deletes the record so every instance sees
//! the session end, and a restart loses nothing. The store never sees the
//! id itself, so reading the store does not let anyone ride a session.
//!
//! A used callback state is recorded under
//! `oauthkit-deploy-used:{sha256(state) in hex}`, taken under the store's
//! key lock, so a callback replayed on another instance is refused before
//! the provider is asked. Both kinds of record carry their expiry and are
//! swept out once expired.
//!
//! Records are [`TokenSet`]s (the one thing every store holds) whose
//! access token is a fixed marker, not a credential.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::digest::sha256;
use crate::error::Result;
use crate::hex::hex;
use crate::secret::Secret;
use crate::store::TokenStore;
use crate::token::TokenSet;

/// Key prefix of session records.
pub const SESSION_PREFIX: &str = "oauthkit-deploy-session:";
/// Key prefix of used-callback records.
pub const USED_PREFIX: &str = "oauthkit-deploy-used:";
/// The access token of a record: a marker, not a credential.
const MARKER: &str = "oauthkit-deploy-record";
/// How long a replay check waits for the state's lock.
const LOCK_WAIT: Duration = Duration::from_secs(5);
/// Expired records are swept every this many writes per instance.
const SWEEP_EVERY: u64 = 256;

/// One signed-in browser, as the store keeps it.
#[derive(Debug, Clone)]
pub(crate) struct SessionRecord {
    /// The token-store key of the user's tokens.
    pub key: String,
    /// The user info read at sign-in.
    pub user_info: Option<Value>,
    /// Unix seconds after which the session is over.
    pub expires_at: i64,
    /// Proves a logout without `Origin` same-origin.
    pub csrf_token: Secret,
}

/// Sessions and used states in a shared store.
pub(crate) struct SharedRecords {
    store: Arc<dyn TokenStore>,
    writes: AtomicU64,
}

impl std::fmt::Debug for SharedRecords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedRecords")
            .field("store", &self.store.backend())
            .finish_non_exhaustive()
    }
}

fn now_secs() -> i64 {
    crate::token::now_unix()
}

impl SharedRecords {
    pub(crate) fn new(store: Arc<dyn TokenStore>) -> Self {
        SharedRecords {
            store,
            writes: AtomicU64::new(0),
        }
    }

    fn session_key(id: &str) -> String {
        format!("{SESSION_PREFIX}{}", hex(&sha256(id.as_bytes())))
    }

    /// Saves a new session under `id`.
    pub(crate) fn create(&self, id: &str, record: &SessionRecord) -> Result<()> {
        let mut set = TokenSet::bearer(MARKER);
        set.identity_id = Some(record.key.clone());
        set.expires_at = Some(record.expires_at);
        set.extra.insert(
            "csrf".into(),
            Value::String(record.csrf_token.expose().into()),
        );
        if let Some(info) = &record.user_info {
            set.extra.insert("user_info".into(), info.clone());
        }
        self.store.save(&Self::session_key(id), &set)?;
        self.maybe_sweep();
        Ok(())
    }

    /// The live session of `id`; `Ok(None)` when there is none (never
    /// issued, signed out, expired: an expired record is deleted).
    pub(crate) fn get(&self, id: &str) -> Result<Option<SessionRecord>> {
        let key = Self::session_key(id);
        let Some(set) = self.store.load(&key)? else {
            return Ok(None);
        };
        let expires_at = set.expires_at.unwrap_or(0);
        let (Some(user), Some(Value::String(csrf))) = (set.identity_id, set.extra.get("csrf"))
        else {
            return Ok(None);
        };
        if set.access_token.expose() != MARKER {
            return Ok(None);
        }
        if expires_at <= now_secs() {
            let _ = self.store.delete(&key);
            return Ok(None);
        }
        Ok(Some(SessionRecord {
            key: user,
            user_info: set.extra.get("user_info").cloned(),
            expires_at,
            csrf_token: Secret::new(csrf.clone()),
        }))
    }

    /// Ends the session of `id` everywhere; whether it existed.
    pub(crate) fn end(&self, id: &str) -> Result<bool> {
        self.store.delete(&Self::session_key(id))
    }

    /// Records `state` as used until `forget_at_ms`; `Ok(false)` when
    /// another instance (or this one) recorded it first.
    pub(crate) fn use_state(&self, state: &str, forget_at_ms: u64) -> Result<bool> {
        let key = format!("{USED_PREFIX}{}", hex(&sha256(state.as_bytes())));
        let lock = self.store.lock_key(&key, LOCK_WAIT)?;
        if self.store.exists(&key)? {
            return Ok(false);
        }
        let mut set = TokenSet::bearer(MARKER);
        set.expires_at = Some(i64::try_from(forget_at_ms / 1000).unwrap_or(i64::MAX));
        self.store.save_locked(&key, &set, &lock)?;
        drop(lock);
        self.maybe_sweep();
        Ok(true)
    }

    /// Every [`SWEEP_EVERY`] writes, deletes the expired records (best
    /// effort: a failure leaves them for the next sweep).
    fn maybe_sweep(&self) {
        if self.writes.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY != SWEEP_EVERY - 1 {
            return;
        }
        let _ = self.sweep();
    }

    /// Deletes the expired session and used-state records; how many.
    pub(crate) fn sweep(&self) -> Result<usize> {
        let now = now_secs();
        let mut gone = 0;
        for key in self.store.list_keys()? {
            if !(key.starts_with(SESSION_PREFIX) || key.starts_with(USED_PREFIX)) {
                continue;
            }
            let expired = match self.store.load(&key) {
                Ok(Some(set)) => set.expires_at.unwrap_or(0) <= now,
                _ => false,
            };
            if expired && self.store.delete(&key).unwrap_or(false) {
                gone += 1;
            }
        }
        Ok(gone)
    }
}
