//! [`RedisServerStore`]: the server stores in Redis, in python-oauth2's
//! key scheme (see [`keyvalue`](super::keyvalue) for the layout), readable
//! by and from python-oauth2's `oauth2.store.redisdb` (feature `redis`).

use std::sync::Arc;

use ::redis::{cmd, from_redis_value};

use super::keyvalue::{forward_server_stores, KeyValue, KvServer};
use crate::error::{Error, Result};
use crate::store::redis::pool::Pool;
use crate::store::redis::RedisConfig;
use crate::token::now_unix;

/// python-oauth2's default key prefix.
pub const DEFAULT_PREFIX: &str = "oauth2";

pub(crate) struct RedisKv {
    pool: Arc<Pool>,
}

impl KeyValue for RedisKv {
    fn backend(&self) -> &'static str {
        "redis"
    }

    fn get(&self, key: &str) -> Result<Option<String>> {
        let mut c = cmd("GET");
        c.arg(key);
        self.pool.run(|conn| Ok(from_redis_value(conn.query(&c)?)?))
    }

    fn set(&self, key: &str, value: &str, expires_at: Option<i64>) -> Result<()> {
        if expires_at.is_some_and(|at| at <= now_unix()) {
            self.delete(key)?;
            return Ok(());
        }
        let mut c = cmd("SET");
        c.arg(key).arg(value);
        if let Some(at) = expires_at {
            c.arg("EXAT").arg(at);
        }
        self.pool.run(|conn| conn.query(&c).map(drop))
    }

    fn delete(&self, key: &str) -> Result<bool> {
        let mut c = cmd("DEL");
        c.arg(key);
        let n: i64 = self
            .pool
            .run(|conn| Ok(from_redis_value(conn.query(&c)?)?))?;
        Ok(n > 0)
    }

    /// `GETDEL`: atomic, so of two concurrent redeemers only one wins.
    fn take(&self, key: &str) -> Result<Option<String>> {
        let mut c = cmd("GETDEL");
        c.arg(key);
        self.pool.run(|conn| Ok(from_redis_value(conn.query(&c)?)?))
    }
}

/// Clients, authorization codes and access tokens in Redis (one server or
/// a cluster), shared by every process that reaches it.
///
/// ```no_run
/// use oauthkit::server::{AccessToken, AccessTokenStore, RedisServerStore};
/// use oauthkit::store::RedisConfig;
/// # fn main() -> oauthkit::Result<()> {
/// let store = RedisServerStore::open(RedisConfig::new("redis://127.0.0.1:6379/0"), "oauth2")?;
/// store.save_token(&AccessToken::new("app", "client_credentials", "t1"))?;
/// // python-oauth2 finds it under "oauth2_t1".
/// # Ok(()) }
/// ```
pub struct RedisServerStore {
    inner: KvServer<RedisKv>,
}

impl RedisServerStore {
    /// A store on this Redis with this key prefix (python-oauth2's is
    /// [`DEFAULT_PREFIX`]). The config's own `prefix` (used by the token
    /// store) is ignored. Nothing is connected until first use.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when `prefix` is empty or the URL in
    /// `config` cannot be parsed. A server that is down is reported by the
    /// first operation ([`Error::Unavailable`]).
    pub fn open(config: RedisConfig, prefix: impl Into<String>) -> Result<Self> {
        let prefix = prefix.into();
        if prefix.is_empty() {
            return Err(Error::InvalidArgument(
                "key prefix must not be empty".into(),
            ));
        }
        Ok(RedisServerStore {
            inner: KvServer {
                kv: RedisKv {
                    pool: Arc::new(config.pool()?),
                },
                prefix,
                unprefixed_aliases: false,
            },
        })
    }
}

forward_server_stores!(RedisServerStore);
