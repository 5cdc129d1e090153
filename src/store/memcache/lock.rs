//! A per-key lock in memcached, shared by every process that uses it.
//!
//! Taking it: `add` a random token (stores only if the lock entry is
//! absent) and read it back, or `cas` a released entry over to the token.
//! Releasing: `cas` the entry to a released marker only if it still holds
//! this token, so a holder whose lease ran out never frees someone else's
//! lock. The lease is memcached's expiry, in whole seconds.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::connection::Connection;
use crate::error::{Error, Result};

const RELEASED: &str = "released";

/// A held lock; released on drop.
pub(crate) struct MemcacheLock {
    conn: Arc<Connection>,
    key: String,
    token: String,
}

fn lease_secs(lease: Duration) -> u32 {
    lease.as_secs().clamp(1, 30 * 24 * 3600) as u32
}

impl MemcacheLock {
    pub(crate) fn acquire(
        conn: Arc<Connection>,
        key: String,
        what: &str,
        timeout: Duration,
        lease: Duration,
    ) -> Result<Self> {
        let token = crate::provider::random::token(24);
        let secs = lease_secs(lease);
        let deadline = Instant::now() + timeout;
        let mut pause = Duration::from_millis(2);
        loop {
            let current: Option<(String, u32, Option<u64>)> = conn.run(|c| c.get(&key))?;
            let held = match current {
                None => {
                    conn.run(|c| c.add(&key, token.as_str(), secs))?;
                    let now: Option<String> = conn.run(|c| c.get(&key))?;
                    now.as_deref() == Some(token.as_str())
                }
                Some((v, _, Some(cas))) if v == RELEASED => {
                    conn.run(|c| c.cas(&key, token.as_str(), secs, cas))?
                }
                Some(_) => false,
            };
            if held {
                return Ok(MemcacheLock { conn, key, token });
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(Error::LockTimeout(what.to_owned()));
            }
            std::thread::sleep(pause.min(deadline - now));
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }
}

impl Drop for MemcacheLock {
    fn drop(&mut self) {
        // Best effort: if memcached is unreachable now, the lease frees it.
        let _ = self.conn.run(|c| {
            let current: Option<(String, u32, Option<u64>)> = c.get(&self.key)?;
            if let Some((v, _, Some(cas))) = current {
                if v == self.token {
                    c.cas(&self.key, RELEASED, 60, cas)?;
                }
            }
            Ok(())
        });
    }
}
