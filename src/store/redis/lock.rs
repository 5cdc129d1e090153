//! A per-key lock shared by every process that uses the same Redis:
//! `SET lock-key token NX PX lease`, released only by its holder (the
//! release compares the token, so a lock that expired and was taken by
//! someone else is never released by mistake).

use std::sync::Arc;
use std::time::{Duration, Instant};

use ::redis::{cmd, from_redis_value};

use super::pool::Pool;
use crate::error::{Error, Result};

/// Takes the lock or re-confirms one this token already holds (so a retry
/// after a lost reply is harmless). Returns 1 when held.
const ACQUIRE: &str = "if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 \
elseif redis.call('GET', KEYS[1]) == ARGV[1] then return 1 else return 0 end";

/// Deletes the lock only when it still holds this token.
const RELEASE: &str = "if redis.call('GET', KEYS[1]) == ARGV[1] then \
return redis.call('DEL', KEYS[1]) else return 0 end";

/// A held lock; released on drop.
pub(crate) struct RedisLock {
    pool: Arc<Pool>,
    key: String,
    token: String,
}

impl RedisLock {
    /// Waits at most `timeout` for the lock on `redis_key`, which expires
    /// by itself after `lease` if the holder dies. `what` names it in the
    /// timeout error.
    pub(crate) fn acquire(
        pool: Arc<Pool>,
        redis_key: String,
        what: &str,
        timeout: Duration,
        lease: Duration,
    ) -> Result<Self> {
        let token = crate::provider::random::token(24);
        let lease_ms = lease.as_millis().max(1) as u64;
        let deadline = Instant::now() + timeout;
        let mut pause = Duration::from_millis(2);
        loop {
            let got: i64 = pool.run(|c| {
                let mut script = cmd("EVAL");
                script
                    .arg(ACQUIRE)
                    .arg(1)
                    .arg(&redis_key)
                    .arg(&token)
                    .arg(lease_ms);
                Ok(from_redis_value(c.query(&script)?)?)
            })?;
            if got == 1 {
                return Ok(RedisLock {
                    pool,
                    key: redis_key,
                    token,
                });
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

impl Drop for RedisLock {
    fn drop(&mut self) {
        // Best effort: if Redis is unreachable now, the lease frees it.
        let _ = self.pool.run(|c| {
            let mut script = cmd("EVAL");
            script.arg(RELEASE).arg(1).arg(&self.key).arg(&self.token);
            c.query(&script).map(drop)
        });
    }
}
