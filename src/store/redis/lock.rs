//! A per-key lock shared by every process that uses the same Redis:
//! `SET lock-key token NX PX lease` (waited for, kept alive by a heartbeat
//! while held: `store/lease.rs`), released only by its holder (the release compares
//! the token, so a lock that expired and was taken by someone else is
//! never released by mistake).
//!
//! Fencing: writes made under the lock ([`RedisLock::save`],
//! [`RedisLock::delete`]) are one Lua script that first checks the lock
//! still holds this token, so a holder whose lease ran out writes nothing.
//! The lock key shares its token set's cluster slot (`layout.rs`), so this
//! works on a Redis Cluster too.

use std::sync::Arc;
use std::time::Duration;

use ::redis::{cmd, from_redis_value};

use super::pool::Pool;
use crate::error::{Error, Result};
use crate::store::lease::{wait_for_lock, Heartbeat};
use crate::store::Fence;

/// Takes the lock or re-confirms one this token already holds (so a retry
/// after a lost reply is harmless). Returns 1 when held.
const ACQUIRE: &str = "if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 \
elseif redis.call('GET', KEYS[1]) == ARGV[1] then return 1 else return 0 end";

/// Extends the lease only when the lock still holds this token.
const RENEW: &str = "if redis.call('GET', KEYS[1]) == ARGV[1] then \
return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end";

/// Deletes the lock only when it still holds this token.
const RELEASE: &str = "if redis.call('GET', KEYS[1]) == ARGV[1] then \
return redis.call('DEL', KEYS[1]) else return 0 end";

/// `SET KEYS[2] ARGV[2]` (with `EX ARGV[3]` when it is above 0) only when
/// the lock `KEYS[1]` holds `ARGV[1]`: 1 written, -1 lock lost.
const SAVE_FENCED: &str = "if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end \
local ttl = tonumber(ARGV[3]) \
if ttl > 0 then redis.call('SET', KEYS[2], ARGV[2], 'EX', ttl) \
else redis.call('SET', KEYS[2], ARGV[2]) end \
return 1";

/// `DEL KEYS[2]` only when the lock `KEYS[1]` holds `ARGV[1]`: how many
/// keys were deleted, -1 lock lost.
const DELETE_FENCED: &str = "if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end \
return redis.call('DEL', KEYS[2])";

/// A held lock; released on drop.
pub(crate) struct RedisLock {
    pool: Arc<Pool>,
    key: String,
    token: String,
    lease_ms: u64,
    /// What the lock is on, for errors.
    what: String,
    heartbeat: Heartbeat,
}

fn run_script<A: AsRef<[u8]>>(pool: &Pool, script: &str, keys: &[&str], args: &[A]) -> Result<i64> {
    pool.run(|c| {
        let mut eval = cmd("EVAL");
        eval.arg(script).arg(keys.len());
        for k in keys {
            eval.arg(*k);
        }
        for a in args {
            eval.arg(a.as_ref());
        }
        Ok(from_redis_value(c.query(&eval)?)?)
    })
}

impl RedisLock {
    /// Waits at most `timeout` for the lock on `redis_key`, which expires
    /// by itself after `lease` if the holder dies (it is renewed while
    /// held). `what` names it in errors.
    pub(crate) fn acquire(
        pool: Arc<Pool>,
        redis_key: String,
        what: &str,
        timeout: Duration,
        lease: Duration,
    ) -> Result<Self> {
        let token = crate::random::token(24);
        let lease_ms = lease.as_millis().clamp(1, u128::from(u64::MAX)) as u64;
        let lease_arg = lease_ms.to_string();
        wait_for_lock(what, timeout, || {
            Ok(run_script(&pool, ACQUIRE, &[&redis_key], &[&token, &lease_arg])? == 1)
        })?;
        let renew = {
            let (pool, key, token, lease) = (
                Arc::clone(&pool),
                redis_key.clone(),
                token.clone(),
                lease_arg,
            );
            Box::new(move || Ok(run_script(&pool, RENEW, &[&key], &[&token, &lease])? == 1))
        };
        Ok(RedisLock {
            heartbeat: Heartbeat::start(lease, renew),
            pool,
            key: redis_key,
            token,
            lease_ms,
            what: what.to_owned(),
        })
    }

    /// The Redis key of the lock.
    pub(crate) fn key(&self) -> &str {
        &self.key
    }

    fn lost(&self, action: &'static str) -> Error {
        self.heartbeat.lost_error(&self.what, action)
    }

    /// Sets `value_key` to `json` (TTL `ttl_secs`, 0: none) only while
    /// this lock is held.
    pub(crate) fn save(&self, value_key: &str, value: &[u8], ttl_secs: i64) -> Result<()> {
        if self.heartbeat.lost() {
            return Err(self.lost("saving tokens"));
        }
        let ttl = ttl_secs.to_string();
        match run_script(
            &self.pool,
            SAVE_FENCED,
            &[&self.key, value_key],
            &[self.token.as_bytes(), value, ttl.as_bytes()],
        )? {
            -1 => Err(self.lost("saving tokens")),
            _ => Ok(()),
        }
    }

    /// Deletes `value_key` only while this lock is held; whether it existed.
    pub(crate) fn delete(&self, value_key: &str) -> Result<bool> {
        if self.heartbeat.lost() {
            return Err(self.lost("deleting tokens"));
        }
        match run_script(
            &self.pool,
            DELETE_FENCED,
            &[&self.key, value_key],
            &[&self.token],
        )? {
            -1 => Err(self.lost("deleting tokens")),
            n => Ok(n > 0),
        }
    }
}

impl Fence for RedisLock {
    /// Asks Redis (and extends the lease on the way).
    fn confirm(&self, action: &'static str) -> Result<()> {
        if self.heartbeat.lost() {
            return Err(self.lost(action));
        }
        let lease = self.lease_ms.to_string();
        match run_script(&self.pool, RENEW, &[&self.key], &[&self.token, &lease])? {
            1 => Ok(()),
            _ => Err(self.lost(action)),
        }
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

impl Drop for RedisLock {
    fn drop(&mut self) {
        // Best effort: if Redis is unreachable now, the lease frees it.
        let _ = run_script(&self.pool, RELEASE, &[&self.key], &[&self.token]);
    }
}
