//! [`RedisStore`]: token sets in Redis (one server or a Redis Cluster),
//! shared by every process and machine that reaches it (feature `redis`).
//!
//! # Layout
//!
//! The default namespace keeps each token set under key
//! `{prefix}:oauth:tokens:{key}`, a plain string holding its JSON
//! ([`TokenSet::to_json`]). Other namespaces live under
//! `{prefix}:{namespace}:oauth:tokens:{key}` (`%` and `:` in the namespace
//! written `%25` and `%3A`). The prefix defaults to `oauthkit`. (This
//! layout is shared with other programs; the crate root's
//! Interoperability section names them.)
//!
//! # Expiry
//!
//! A token set with an expiry and **no** refresh token gets a TTL of its
//! remaining lifetime plus [`EXPIRY_GRACE_SECS`], counted from the expiry
//! rather than from the save. A token set **with** a refresh token is kept
//! until deleted: expiring it with the access token would lose the refresh
//! token and force a sign-in that was not needed.
//!
//! # Failures
//!
//! Connections come from a small pool (default 10). Every wait is bounded:
//! connecting by [`RedisConfig::connect_timeout`], each reply by
//! [`RedisConfig::io_timeout`]. An unreachable server is an
//! [`Error::Unavailable`]; when it comes back the same store works again
//! (broken connections are dropped, never reused).
//!
//! ```no_run
//! use oauthkit::store::{RedisConfig, RedisStore};
//! use oauthkit::{TokenSet, TokenStore};
//! # fn main() -> oauthkit::Result<()> {
//! let store = RedisStore::open(RedisConfig::new("redis://127.0.0.1:6379/0").prefix("myapp"))?;
//! store.save("alice", &TokenSet::bearer("at").with_refresh_token("rt"))?;
//! assert_eq!(store.list_keys()?, vec!["alice".to_string()]);
//! # Ok(()) }
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use ::redis::{cmd, from_redis_value};

use super::encrypted::{RawRecord, SealedBytes};
use super::retention::retention_until;
use super::{check_key, KeyLock, TokenStore, DEFAULT_NAMESPACE};
use crate::error::{Error, Result};
use crate::token::{now_unix, TokenSet};

mod config;
mod layout;
mod lock;
pub(crate) mod pool;
pub(crate) mod scan;
mod slot;

pub use config::RedisConfig;
use layout::Layout;
use pool::Pool;

use super::retention::retention;

/// `save_all` on one server: `SET` every key (`KEYS[i]`) to its value
/// (`ARGV[2i-1]`) with its TTL in seconds (`ARGV[2i]`, 0: none), atomically.
const SAVE_ALL_SCRIPT: &str = "for i = 1, #KEYS do \
    local ttl = tonumber(ARGV[2 * i]) \
    if ttl > 0 then redis.call('SET', KEYS[i], ARGV[2 * i - 1], 'EX', ttl) \
    else redis.call('SET', KEYS[i], ARGV[2 * i - 1]) end \
  end \
  return #KEYS";

/// A token store in Redis. Cheap to clone; clones share the pool.
#[derive(Clone)]
pub struct RedisStore {
    pool: Arc<Pool>,
    config: Arc<RedisConfig>,
    namespace: String,
    layout: Layout,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("config", &self.config)
            .field("namespace", &self.namespace)
            .finish()
    }
}

impl RedisStore {
    /// A store with these settings, in the default namespace. Nothing is
    /// connected yet: a server that is down now is reported by the first
    /// operation (see [`ping`](Self::ping)), not here. A URL that cannot be
    /// parsed is an [`Error::InvalidArgument`].
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when the URL in `config` cannot be parsed or
    /// a cluster URL names no node. A server that is down is reported by the
    /// first operation ([`Error::Unavailable`]), not here.
    pub fn open(config: RedisConfig) -> Result<Self> {
        let pool = config.pool()?;
        let layout = Layout::new(&config.prefix, DEFAULT_NAMESPACE);
        Ok(RedisStore {
            pool: Arc::new(pool),
            config: Arc::new(config),
            namespace: DEFAULT_NAMESPACE.to_owned(),
            layout,
        })
    }

    /// [`open`](Self::open) from a URL with optional settings in its query
    /// (see [`RedisConfig::from_url`]).
    ///
    /// # Errors
    ///
    /// As [`RedisConfig::from_url`] and [`open`](Self::open).
    pub fn open_url(url: &str) -> Result<Self> {
        Self::open(RedisConfig::from_url(url)?)
    }

    /// A handle on namespace `namespace` of the same Redis, sharing the pool.
    ///
    /// # Panics
    /// Never; an unusable namespace name makes every later call fail with
    /// [`Error::InvalidArgument`].
    pub fn in_namespace(&self, namespace: impl Into<String>) -> Self {
        let namespace = namespace.into();
        RedisStore {
            pool: Arc::clone(&self.pool),
            config: Arc::clone(&self.config),
            layout: Layout::new(&self.config.prefix, &namespace),
            namespace,
        }
    }

    /// The settings.
    pub fn config(&self) -> &RedisConfig {
        &self.config
    }

    /// The Redis key a token set saved under `key` lives at.
    ///
    /// ```
    /// use oauthkit::store::{RedisConfig, RedisStore};
    /// let s = RedisStore::open(RedisConfig::default().prefix("myapp")).unwrap();
    /// assert_eq!(s.redis_key("alice"), "myapp:oauth:tokens:alice");
    /// assert_eq!(s.in_namespace("app").redis_key("alice"), "myapp:app:oauth:tokens:alice");
    /// ```
    pub fn redis_key(&self, key: &str) -> String {
        self.layout.token_key(key)
    }

    /// Checks that the server answers (`PING`).
    ///
    /// # Errors
    ///
    /// [`Error::Unavailable`] when no connection to the server can be made
    /// (down, refused, timed out, TLS or authentication failure);
    /// [`Error::Storage`] when the server answers `PING` with an error.
    pub fn ping(&self) -> Result<()> {
        self.pool.run(|c| c.query(&cmd("PING")).map(drop))
    }

    fn check(&self, key: &str) -> Result<()> {
        check_key("namespace", &self.namespace)?;
        check_key("key", key)
    }

    fn set_cmd(&self, key: &str, tokens: &TokenSet) -> ::redis::Cmd {
        let mut c = cmd("SET");
        c.arg(self.layout.token_key(key)).arg(tokens.to_json());
        if let Some(secs) = retention(tokens, now_unix()) {
            c.arg("EX").arg(secs);
        }
        c
    }

    /// [`parse`](Self::parse) of a value read as bytes.
    fn parse_bytes(&self, key: &str, value: Vec<u8>) -> Result<TokenSet> {
        let json =
            String::from_utf8(value).map_err(|_| self.corrupt(key, "the value is not UTF-8"))?;
        self.parse(key, &json)
    }

    fn corrupt(&self, key: &str, why: &str) -> Error {
        Error::corrupt(format!("redis key {}", self.layout.token_key(key)), why)
    }

    fn parse(&self, key: &str, json: &str) -> Result<TokenSet> {
        TokenSet::from_json(json).map_err(|e| match e {
            Error::Corrupt { message, .. } => {
                Error::corrupt(format!("redis key {}", self.layout.token_key(key)), message)
            }
            other => other,
        })
    }
}

impl TokenStore for RedisStore {
    fn save(&self, key: &str, tokens: &TokenSet) -> Result<()> {
        self.check(key)?;
        super::refuse_dpop_key("redis", key, tokens)?;
        let set = self.set_cmd(key, tokens);
        self.pool.run(|c| c.query(&set).map(drop))
    }

    fn load(&self, key: &str) -> Result<Option<TokenSet>> {
        self.check(key)?;
        let mut get = cmd("GET");
        get.arg(self.layout.token_key(key));
        let value: Option<Vec<u8>> = self.pool.run(|c| Ok(from_redis_value(c.query(&get)?)?))?;
        match value {
            // a record the encrypted store wrote as bytes: the placeholder
            // token set it stands for, as other backends hold it
            Some(v) if RawRecord::is_binary(&v) => RawRecord::binary_placeholder(&v)
                .map(Some)
                .ok_or_else(|| self.corrupt(key, "a sealed record with a broken header")),
            Some(v) => self.parse_bytes(key, v).map(Some),
            None => Ok(None),
        }
    }

    /// Sealed records go to Redis as the bytes they are (binary form, no
    /// placeholder token set, no base64), with the expiry rule of
    /// [`retention`].
    fn save_sealed(&self, key: &str, record: &SealedBytes, lock: Option<&KeyLock>) -> Result<()> {
        self.check(key)?;
        let ttl = retention_until(record.expires_at(), now_unix());
        let redis_key = self.layout.token_key(key);
        if let Some(lock) = lock {
            return self
                .held(key, lock)?
                .save(&redis_key, record.as_bytes(), ttl.unwrap_or(0));
        }
        let mut set = cmd("SET");
        set.arg(redis_key).arg(record.as_bytes());
        if let Some(secs) = ttl {
            set.arg("EX").arg(secs);
        }
        self.pool.run(|c| c.query(&set).map(drop))
    }

    fn load_sealed(&self, key: &str) -> Result<Option<RawRecord>> {
        self.check(key)?;
        let mut get = cmd("GET");
        get.arg(self.layout.token_key(key));
        let value: Option<Vec<u8>> = self.pool.run(|c| Ok(from_redis_value(c.query(&get)?)?))?;
        match value {
            Some(v) if RawRecord::is_binary(&v) => Ok(Some(RawRecord::Binary(v))),
            Some(v) => self.parse_bytes(key, v).map(|t| Some(RawRecord::Tokens(t))),
            None => Ok(None),
        }
    }

    fn delete(&self, key: &str) -> Result<bool> {
        self.check(key)?;
        let mut del = cmd("DEL");
        del.arg(self.layout.token_key(key));
        let n: i64 = self.pool.run(|c| Ok(from_redis_value(c.query(&del)?)?))?;
        Ok(n > 0)
    }

    fn exists(&self, key: &str) -> Result<bool> {
        self.check(key)?;
        let mut ex = cmd("EXISTS");
        ex.arg(self.layout.token_key(key));
        let n: i64 = self.pool.run(|c| Ok(from_redis_value(c.query(&ex)?)?))?;
        Ok(n > 0)
    }

    fn list_keys(&self) -> Result<Vec<String>> {
        check_key("namespace", &self.namespace)?;
        let pattern = self.layout.token_pattern();
        let found = self.pool.run(|c| scan::scan_keys(c, &pattern))?;
        let keys: BTreeSet<String> = found
            .iter()
            .filter_map(|k| self.layout.key_of(k).map(str::to_owned))
            .collect();
        Ok(keys.into_iter().collect())
    }

    fn namespace(&self) -> &str {
        &self.namespace
    }

    fn namespaces(&self) -> Result<Vec<String>> {
        let pattern = self.layout.all_tokens_pattern();
        let found = self.pool.run(|c| scan::scan_keys(c, &pattern))?;
        let names: BTreeSet<String> = found
            .iter()
            .filter_map(|k| self.layout.namespace_of(k))
            .collect();
        Ok(names.into_iter().collect())
    }

    fn backend(&self) -> &'static str {
        "redis"
    }

    /// On one server all sets are written atomically by one Lua script
    /// (one request, one reply: a server that stops answering costs one
    /// I/O timeout, where a `MULTI`/`EXEC` pipeline waits once per reply);
    /// on a cluster (where the keys live on different nodes) one after the
    /// other.
    fn save_all(&self, tokens: &BTreeMap<String, TokenSet>) -> Result<()> {
        super::refuse_dpop_keys("redis", tokens)?;
        for key in tokens.keys() {
            self.check(key)?;
        }
        if tokens.is_empty() {
            return Ok(());
        }
        let now = now_unix();
        let mut script = cmd("EVAL");
        script.arg(SAVE_ALL_SCRIPT).arg(tokens.len());
        for key in tokens.keys() {
            script.arg(self.layout.token_key(key));
        }
        for t in tokens.values() {
            script.arg(t.to_json()).arg(retention(t, now).unwrap_or(0));
        }
        let cmds: Vec<::redis::Cmd> = tokens.iter().map(|(k, t)| self.set_cmd(k, t)).collect();
        self.pool.run(|c| match c {
            pool::Conn::Single(_) => c.query(&script).map(drop),
            pool::Conn::Cluster(_) => {
                for set in &cmds {
                    c.query(set)?;
                }
                Ok(())
            }
        })
    }

    /// A lock in Redis itself (`SET NX PX` with a random token, released
    /// only by its holder), so processes on different machines exclude
    /// each other. While held, a heartbeat renews it every third of
    /// [`RedisConfig::lock_lease`]; if the holder dies the lock frees itself
    /// one lease later. Writes under it go through
    /// [`save_locked`](TokenStore::save_locked) and
    /// [`delete_locked`](TokenStore::delete_locked), which check the lock in
    /// the same script as the write.
    fn lock_key(&self, key: &str, timeout: Duration) -> Result<KeyLock> {
        self.check(key)?;
        let lock = lock::RedisLock::acquire(
            Arc::clone(&self.pool),
            self.layout.lock_key(key),
            &format!("redis key '{key}' in namespace '{}'", self.namespace),
            timeout,
            self.config.lock_lease,
        )?;
        Ok(KeyLock::fenced(lock))
    }

    /// One Lua script: the lock is checked and the token set written in
    /// one atomic step (the lock key shares the token set's cluster slot).
    fn save_locked(&self, key: &str, tokens: &TokenSet, lock: &KeyLock) -> Result<()> {
        self.check(key)?;
        super::refuse_dpop_key("redis", key, tokens)?;
        let held = self.held(key, lock)?;
        let ttl = retention(tokens, now_unix()).unwrap_or(0);
        held.save(
            &self.layout.token_key(key),
            tokens.to_json().as_bytes(),
            ttl,
        )
    }

    fn delete_locked(&self, key: &str, lock: &KeyLock) -> Result<bool> {
        self.check(key)?;
        self.held(key, lock)?.delete(&self.layout.token_key(key))
    }
}

impl RedisStore {
    /// The Redis lock inside `lock`, which must be this store's lock on `key`.
    fn held<'a>(&self, key: &str, lock: &'a KeyLock) -> Result<&'a lock::RedisLock> {
        match lock.fence::<lock::RedisLock>() {
            Some(l) if l.key() == self.layout.lock_key(key) => Ok(l),
            _ => Err(Error::InvalidArgument(format!(
                "the lock given is not this Redis store's lock on '{key}' in namespace '{}'",
                self.namespace
            ))),
        }
    }
}
