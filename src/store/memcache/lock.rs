//! A per-key lock in memcached, shared by every process that uses it.
//!
//! Taking it: `add` a random token (stores only if the lock entry is
//! absent) and read it back, or `cas` a released entry over to the token.
//! Releasing: `cas` the entry to a released marker only if it still holds
//! this token, so a holder whose lease ran out never frees someone else's
//! lock. The lease is memcached's expiry, in whole seconds, renewed by a
//! heartbeat (`store/lease.rs`) with a compare-and-swap on the token while
//! the lock is held.
//!
//! Fencing (memcached has no multi-key atomic step): a new holder first
//! rewrites the token set's entry unchanged, which gives it a new CAS id;
//! a write under the lock reads the entry's CAS id, checks the lock still
//! holds this token, then writes with `cas` on that id. A holder that lost
//! the lock either sees another token in the lock entry or, if its read
//! came before the new holder's rewrite, fails the `cas`. Either way
//! nothing is written.

use std::sync::Arc;
use std::time::Duration;

use super::connection::Connection;
use crate::error::{Error, Result};
use crate::store::lease::{wait_for_lock, Heartbeat};
use crate::store::Fence;
use crate::token::{now_unix, TokenSet};

const RELEASED: &str = "released";

/// An absolute expiry in 1970: memcached drops the entry at once (the
/// fenced delete, since `delete` has no compare-and-swap).
const EXPIRED_AT_ONCE: u32 = 30 * 24 * 3600 + 1;

/// A value with its flags and CAS id, as the client reads it.
type WithCas = Option<(String, u32, Option<u64>)>;

/// A held lock; released on drop.
pub(crate) struct MemcacheLock {
    conn: Arc<Connection>,
    key: String,
    token: String,
    secs: u32,
    what: String,
    heartbeat: Heartbeat,
}

/// A reply without the CAS id `gets` asks for.
fn no_cas_id() -> Error {
    Error::storage(
        "memcache",
        "reading a token set's entry",
        "the server sent no CAS id",
    )
}

/// The lock entry's expiry for `lease`: whole seconds, plus one, since
/// memcached's clock ticks once a second and an entry may expire at the
/// next tick after its last second began (so a lease of 1 s lives between
/// 1 and 2 s, never less than asked).
fn lease_secs(lease: Duration) -> u32 {
    lease.as_secs().clamp(1, 30 * 24 * 3600 - 1) as u32 + 1
}

/// Extends the lock entry `key` when it still holds `token`: whether it does.
fn renew(conn: &Connection, key: &str, token: &str, secs: u32) -> Result<bool> {
    // A concurrent renewal of the same lock (heartbeat and a confirm) can
    // fail the `cas`: read again.
    for _ in 0..3 {
        let current: WithCas = conn.run(|c| c.get(key))?;
        match current {
            Some((v, _, Some(cas))) if v == token => {
                if conn.run(|c| c.cas(key, token, secs, cas))? {
                    return Ok(true);
                }
            }
            _ => return Ok(false),
        }
    }
    let current: Option<String> = conn.run(|c| c.get(key))?;
    Ok(current.as_deref() == Some(token))
}

/// How long a token set's entry lives when rewritten (as `save` sets it).
fn entry_exptime(json: &str) -> u32 {
    let now = now_unix();
    TokenSet::from_json(json)
        .map(|t| super::exptime(super::retention(&t, now), now))
        .unwrap_or(0)
}

impl MemcacheLock {
    /// Waits at most `timeout` for the lock entry `key` on the token set
    /// entry `value_key`; `what` names it in errors.
    pub(crate) fn acquire(
        conn: Arc<Connection>,
        key: String,
        value_key: &str,
        what: &str,
        timeout: Duration,
        lease: Duration,
    ) -> Result<Self> {
        let token = crate::random::token(24);
        let secs = lease_secs(lease);
        wait_for_lock(what, timeout, || {
            let current: WithCas = conn.run(|c| c.get(&key))?;
            Ok(match current {
                None => {
                    conn.run(|c| c.add(&key, token.as_str(), secs))?;
                    let now: Option<String> = conn.run(|c| c.get(&key))?;
                    now.as_deref() == Some(token.as_str())
                }
                Some((v, _, Some(cas))) if v == RELEASED => {
                    conn.run(|c| c.cas(&key, token.as_str(), secs, cas))?
                }
                Some(_) => false,
            })
        })?;
        let beat = {
            let (conn, key, token) = (Arc::clone(&conn), key.clone(), token.clone());
            Box::new(move || renew(&conn, &key, &token, secs))
        };
        let lock = MemcacheLock {
            heartbeat: Heartbeat::start(Duration::from_secs((secs - 1).into()), beat),
            conn,
            key,
            token,
            secs,
            what: what.to_owned(),
        };
        lock.fence_out_earlier_holders(value_key)?;
        Ok(lock)
    }

    /// Rewrites the token set's entry unchanged, so it gets a new CAS id and
    /// a write prepared by an earlier holder fails its `cas`.
    fn fence_out_earlier_holders(&self, value_key: &str) -> Result<()> {
        for _ in 0..3 {
            let current: WithCas = self.conn.run(|c| c.get(value_key))?;
            let Some((json, _, Some(cas))) = current else {
                return Ok(());
            };
            let exp = entry_exptime(&json);
            if self
                .conn
                .run(|c| c.cas(value_key, json.as_str(), exp, cas))?
            {
                return Ok(());
            }
        }
        // Still changing under us: someone writes without the lock. The
        // fenced writes below still compare CAS ids.
        Ok(())
    }

    /// The memcached key of the lock entry.
    pub(crate) fn key(&self) -> &str {
        &self.key
    }

    fn lost(&self, action: &'static str) -> Error {
        self.heartbeat.lost_error(&self.what, action)
    }

    fn check(&self, action: &'static str) -> Result<()> {
        if self.heartbeat.lost() {
            return Err(self.lost(action));
        }
        let current: Option<String> = self.conn.run(|c| c.get(&self.key))?;
        if current.as_deref() != Some(self.token.as_str()) {
            return Err(self.lost(action));
        }
        Ok(())
    }

    /// Writes `json` to `value_key` (expiry `exp`) only while this lock is
    /// held.
    pub(crate) fn save(&self, value_key: &str, json: &str, exp: u32) -> Result<()> {
        const ACTION: &str = "saving tokens";
        let current: WithCas = self.conn.run(|c| c.get(value_key))?;
        self.check(ACTION)?;
        let written = match current {
            Some((_, _, Some(cas))) => self.conn.run(|c| c.cas(value_key, json, exp, cas))?,
            Some((_, _, None)) => return Err(no_cas_id()),
            None => {
                // `add` stores only when the entry is still absent (the
                // client does not say which: read it back).
                self.conn.run(|c| c.add(value_key, json, exp))?;
                let now: Option<String> = self.conn.run(|c| c.get(value_key))?;
                now.as_deref() == Some(json)
            }
        };
        if written {
            Ok(())
        } else {
            Err(self.lost(ACTION))
        }
    }

    /// Deletes `value_key` only while this lock is held; whether it existed.
    pub(crate) fn delete(&self, value_key: &str) -> Result<bool> {
        const ACTION: &str = "deleting tokens";
        let current: WithCas = self.conn.run(|c| c.get(value_key))?;
        self.check(ACTION)?;
        match current {
            None => Ok(false),
            Some((_, _, Some(cas))) => {
                if self
                    .conn
                    .run(|c| c.cas(value_key, "", EXPIRED_AT_ONCE, cas))?
                {
                    Ok(true)
                } else {
                    Err(self.lost(ACTION))
                }
            }
            Some((_, _, None)) => Err(no_cas_id()),
        }
    }
}

impl Fence for MemcacheLock {
    /// Asks memcached (and extends the lease on the way).
    fn confirm(&self, action: &'static str) -> Result<()> {
        if self.heartbeat.lost() || !renew(&self.conn, &self.key, &self.token, self.secs)? {
            return Err(self.lost(action));
        }
        Ok(())
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

impl Drop for MemcacheLock {
    fn drop(&mut self) {
        // Best effort: if memcached is unreachable now, the lease frees it.
        let _ = self.conn.run(|c| {
            let current: WithCas = c.get(&self.key)?;
            if let Some((v, _, Some(cas))) = current {
                if v == self.token {
                    c.cas(&self.key, RELEASED, 60, cas)?;
                }
            }
            Ok(())
        });
    }
}
