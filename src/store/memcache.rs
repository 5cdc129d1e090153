//! [`MemcacheStore`]: token sets in memcached (feature `memcache`).
//!
//! memcached is a cache: it forgets entries when it restarts or runs out of
//! memory. Use it where losing a token set only means signing in again, or
//! as a fast layer in front of a durable store; prefer Redis when tokens
//! must survive.
//!
//! # Layout
//!
//! With the default prefix `oauth2`:
//!
//! | what | memcached key |
//! |---|---|
//! | token set | `{prefix}_tokens_{namespace}_{key}` |
//! | keys of a namespace | `{prefix}_index_{namespace}` (JSON array) |
//! | namespaces | `{prefix}_namespaces` (JSON array) |
//! | per-key lock | `{prefix}_lock_{namespace}_{key}` |
//!
//! Values are the same JSON as everywhere ([`TokenSet::to_json`]). Keys and
//! namespaces are percent-encoded where memcached cannot hold a character
//! (space, control characters, and `%`, `#`; `_` too in namespaces); a key
//! that would still exceed memcached's 250 bytes is stored under `#` and its
//! SHA-256.
//!
//! # Listing keys
//!
//! memcached cannot enumerate keys, so this store keeps an index entry per
//! namespace, changed only by compare-and-swap (no lost updates between
//! processes). [`list_keys`](TokenStore::list_keys) reads it, checks which
//! entries still exist (expired ones are dropped from the index) and
//! returns those. If memcached evicts the index itself, keys saved before
//! are still loadable but no longer listed until saved again.
//!
//! # Expiry
//!
//! As for Redis: a token set with an expiry and no refresh token expires
//! [`EXPIRY_GRACE_SECS`] (300 s) after
//! its access token; one with a refresh token is kept (until evicted).
//!
//! ```no_run
//! use oauthkit::store::{MemcacheConfig, MemcacheStore};
//! use oauthkit::{TokenSet, TokenStore};
//! # fn main() -> oauthkit::Result<()> {
//! let store = MemcacheStore::open(MemcacheConfig::new("127.0.0.1:11211"))?;
//! store.save("alice", &TokenSet::bearer("at").with_expires_in(3600))?;
//! assert!(store.exists("alice")?);
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::digest::sha256;
use crate::hex::hex;

use super::remote_config::{
    shared_setters, UrlSettings, DEFAULT_CONNECT_TIMEOUT, DEFAULT_IO_TIMEOUT, DEFAULT_LOCK_LEASE,
    DEFAULT_POOL_SIZE,
};
use super::{check_key, KeyLock, TokenStore, DEFAULT_NAMESPACE};
use crate::error::{Error, Result};
use crate::token::{now_unix, TokenSet};

pub(crate) mod connection;
pub(crate) mod index;
pub(crate) mod keys;
mod lock;

use connection::{Connection, Endpoint};

use super::retention::retention;

/// memcached reads expiry times above 30 days as absolute Unix times.
const RELATIVE_LIMIT: i64 = 30 * 24 * 3600;

/// memcached's `exptime` for an entry that should live `secs` more
/// seconds (`None`: until evicted).
pub(crate) fn exptime(secs: Option<i64>, now: i64) -> u32 {
    match secs {
        None => 0,
        Some(s) if s <= 0 => 1,
        Some(s) if s <= RELATIVE_LIMIT => s as u32,
        Some(s) => u32::try_from(now.saturating_add(s)).unwrap_or(u32::MAX),
    }
}

/// Settings of a [`MemcacheStore`].
///
/// ```
/// use oauthkit::store::MemcacheConfig;
/// let c = MemcacheConfig::from_url("memcache://10.0.0.5:11211,10.0.0.6:11211?prefix=app").unwrap();
/// assert_eq!(c.servers, vec!["10.0.0.5:11211", "10.0.0.6:11211"]);
/// assert_eq!(c.prefix, "app");
/// assert_eq!(MemcacheConfig::new("h:1").prefix, "oauth2");
/// ```
#[derive(Clone, Debug)]
pub struct MemcacheConfig {
    /// `host:port` of each server (keys are spread over them by hash).
    pub servers: Vec<String>,
    /// The first part of every key (default `oauth2`).
    pub prefix: String,
    /// Most connections per server (default 10).
    pub pool_size: u32,
    /// Longest wait for a connection (default 2 s).
    pub connect_timeout: Duration,
    /// Longest wait for each reply or write (default 2 s).
    pub io_timeout: Duration,
    /// How long a per-key lock lives if its holder dies (default 30 s,
    /// whole seconds, plus up to one for memcached's one-second clock).
    /// While the holder lives a heartbeat renews it every third of this,
    /// so a refresh may take longer.
    pub lock_lease: Duration,
}

impl MemcacheConfig {
    /// One server at `host:port`, other settings default.
    pub fn new(server: impl Into<String>) -> Self {
        MemcacheConfig {
            servers: vec![server.into()],
            prefix: "oauth2".to_owned(),
            pool_size: DEFAULT_POOL_SIZE,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            io_timeout: DEFAULT_IO_TIMEOUT,
            lock_lease: DEFAULT_LOCK_LEASE,
        }
    }

    /// Parses `memcache://host:port[,host:port...][?prefix=P&pool_size=N&connect_timeout_ms=T&timeout_ms=T&lock_lease_ms=T]`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when `url` does not start with `memcache://`,
    /// names no `host:port` server, the `prefix` is empty, `pool_size` or a
    /// `*_ms` setting is not a positive whole number, or a setting is
    /// unknown (the message hides any password).
    pub fn from_url(url: &str) -> Result<Self> {
        let rest = url.strip_prefix("memcache://").ok_or_else(|| {
            Error::InvalidArgument(format!(
                "'{}' is not a memcache://host:port URL",
                crate::url_text::redact_url(url)
            ))
        })?;
        let (hosts, query) = rest.split_once('?').unwrap_or((rest, ""));
        let hosts = hosts.trim_end_matches('/');
        let servers: Vec<String> = hosts
            .split(',')
            .filter(|h| !h.is_empty())
            .map(str::to_owned)
            .collect();
        if servers.is_empty() || servers.iter().any(|s| !s.contains(':')) {
            return Err(Error::InvalidArgument(format!(
                "memcache URL '{}' must name host:port servers",
                crate::url_text::redact_url(url)
            )));
        }
        let mut c = MemcacheConfig::new(String::new());
        c.servers = servers;
        let settings = UrlSettings::parse("memcache", query)?;
        settings.refuse_others("memcache")?;
        c.apply_url_settings(&settings);
        Ok(c)
    }

    shared_setters!(u32);

    pub(crate) fn connection(&self) -> Result<Connection> {
        if self.prefix.is_empty()
            || self.prefix.len() > 64
            || self
                .prefix
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(Error::InvalidArgument(
                "memcache key prefix must be 1 to 64 characters without spaces".into(),
            ));
        }
        Ok(Connection::new(Endpoint {
            servers: self.servers.clone(),
            pool_size: self.pool_size.max(1),
            connect_timeout: self.connect_timeout,
            io_timeout: self.io_timeout,
        }))
    }
}

/// A token store in memcached. Cheap to clone; clones share connections.
#[derive(Clone)]
pub struct MemcacheStore {
    conn: Arc<Connection>,
    config: Arc<MemcacheConfig>,
    namespace: String,
    /// The namespace as it appears in keys.
    ns_part: String,
}

impl fmt::Debug for MemcacheStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemcacheStore")
            .field("config", &self.config)
            .field("namespace", &self.namespace)
            .finish()
    }
}

fn ns_part(namespace: &str) -> String {
    let enc = keys::encode(namespace, &['_']);
    if enc.len() <= 100 {
        enc
    } else {
        let digest = sha256(namespace.as_bytes());
        format!("#{}", hex(&digest))
    }
}

impl MemcacheStore {
    /// A store with these settings, in the default namespace. Nothing is
    /// connected until the first operation.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when the key prefix is empty, longer than 64
    /// characters or holds spaces or control characters. A server that is down
    /// is reported by the first operation ([`Error::Unavailable`]), not here.
    pub fn open(config: MemcacheConfig) -> Result<Self> {
        let conn = config.connection()?;
        Ok(MemcacheStore {
            conn: Arc::new(conn),
            config: Arc::new(config),
            namespace: DEFAULT_NAMESPACE.to_owned(),
            ns_part: ns_part(DEFAULT_NAMESPACE),
        })
    }

    /// [`open`](Self::open) from a `memcache://` URL.
    ///
    /// # Errors
    ///
    /// As [`MemcacheConfig::from_url`] and [`open`](Self::open).
    pub fn open_url(url: &str) -> Result<Self> {
        Self::open(MemcacheConfig::from_url(url)?)
    }

    /// A handle on another namespace, sharing the connections.
    pub fn in_namespace(&self, namespace: impl Into<String>) -> Self {
        let namespace = namespace.into();
        MemcacheStore {
            conn: Arc::clone(&self.conn),
            config: Arc::clone(&self.config),
            ns_part: ns_part(&namespace),
            namespace,
        }
    }

    /// The memcached key a token set saved under `key` lives at.
    ///
    /// ```
    /// use oauthkit::store::{MemcacheConfig, MemcacheStore};
    /// let s = MemcacheStore::open(MemcacheConfig::new("127.0.0.1:11211")).unwrap();
    /// assert_eq!(s.memcache_key("alice"), "oauth2_tokens_DEFAULT_alice");
    /// assert_eq!(s.in_namespace("my_app").memcache_key("a b"), "oauth2_tokens_my%5Fapp_a%20b");
    /// ```
    pub fn memcache_key(&self, key: &str) -> String {
        keys::join(
            &format!("{}_tokens_{}_", self.config.prefix, self.ns_part),
            key,
        )
    }

    fn lock_entry_key(&self, key: &str) -> String {
        keys::join(
            &format!("{}_lock_{}_", self.config.prefix, self.ns_part),
            key,
        )
    }

    /// The memcached lock inside `lock`, which must be this store's lock on `key`.
    fn held<'a>(&self, key: &str, lock: &'a KeyLock) -> Result<&'a lock::MemcacheLock> {
        match lock.fence::<lock::MemcacheLock>() {
            Some(l) if l.key() == self.lock_entry_key(key) => Ok(l),
            _ => Err(Error::InvalidArgument(format!(
                "the lock given is not this memcached store's lock on '{key}' in namespace '{}'",
                self.namespace
            ))),
        }
    }

    fn index_key(&self) -> String {
        format!("{}_index_{}", self.config.prefix, self.ns_part)
    }

    fn namespaces_key(&self) -> String {
        format!("{}_namespaces", self.config.prefix)
    }

    fn check(&self, key: &str) -> Result<()> {
        check_key("namespace", &self.namespace)?;
        check_key("key", key)
    }

    fn parse(&self, key: &str, json: &str) -> Result<TokenSet> {
        TokenSet::from_json(json).map_err(|e| match e {
            Error::Corrupt { message, .. } => {
                Error::corrupt(format!("memcached key {}", self.memcache_key(key)), message)
            }
            other => other,
        })
    }

    /// Adds keys to the namespace's index, and the namespace to the list
    /// of namespaces when the index changed (a namespace whose index
    /// already held the keys was registered then).
    fn register(&self, keys: &[&str]) -> Result<()> {
        if index::update(&self.conn, &self.index_key(), keys, true)? {
            index::update(
                &self.conn,
                &self.namespaces_key(),
                &[self.namespace.as_str()],
                true,
            )?;
        }
        Ok(())
    }
}

impl TokenStore for MemcacheStore {
    fn save(&self, key: &str, tokens: &TokenSet) -> Result<()> {
        self.check(key)?;
        super::refuse_dpop_key("memcache", key, tokens)?;
        let mkey = self.memcache_key(key);
        let json = tokens.to_json();
        let exp = exptime(retention(tokens, now_unix()), now_unix());
        self.conn.run(|c| c.set(&mkey, json.as_str(), exp))?;
        self.register(&[key])
    }

    fn load(&self, key: &str) -> Result<Option<TokenSet>> {
        self.check(key)?;
        let mkey = self.memcache_key(key);
        let json: Option<String> = self.conn.run(|c| c.get(&mkey))?;
        json.map(|j| self.parse(key, &j)).transpose()
    }

    fn delete(&self, key: &str) -> Result<bool> {
        self.check(key)?;
        let mkey = self.memcache_key(key);
        let existed = self.conn.run(|c| c.delete(&mkey))?;
        index::update(&self.conn, &self.index_key(), &[key], false)?;
        Ok(existed)
    }

    fn exists(&self, key: &str) -> Result<bool> {
        self.check(key)?;
        let mkey = self.memcache_key(key);
        let v: Option<String> = self.conn.run(|c| c.get(&mkey))?;
        Ok(v.is_some())
    }

    /// The keys in this namespace's index whose entries still exist; keys
    /// of expired entries are removed from the index on the way.
    fn list_keys(&self) -> Result<Vec<String>> {
        check_key("namespace", &self.namespace)?;
        let listed = index::read(&self.conn, &self.index_key())?;
        if listed.is_empty() {
            return Ok(Vec::new());
        }
        let by_mkey: BTreeMap<String, &String> =
            listed.iter().map(|k| (self.memcache_key(k), k)).collect();
        let mkeys: Vec<&str> = by_mkey.keys().map(String::as_str).collect();
        let mut live = Vec::with_capacity(listed.len());
        for chunk in mkeys.chunks(100) {
            let found: std::collections::HashMap<String, String> =
                self.conn.run(|c| c.gets(chunk))?;
            live.extend(
                chunk
                    .iter()
                    .filter(|m| found.contains_key(**m))
                    .map(|m| by_mkey[*m].clone()),
            );
        }
        if live.len() < listed.len() {
            let dead: Vec<&str> = listed
                .iter()
                .filter(|k| !live.contains(k))
                .map(String::as_str)
                .collect();
            index::update(&self.conn, &self.index_key(), &dead, false)?;
        }
        live.sort();
        Ok(live)
    }

    fn namespace(&self) -> &str {
        &self.namespace
    }

    fn namespaces(&self) -> Result<Vec<String>> {
        let all = index::read(&self.conn, &self.namespaces_key())?;
        let mut out = Vec::new();
        for ns in all {
            if !self.in_namespace(&ns).list_keys()?.is_empty() {
                out.push(ns);
            }
        }
        Ok(out)
    }

    fn backend(&self) -> &'static str {
        "memcache"
    }

    fn save_all(&self, tokens: &BTreeMap<String, TokenSet>) -> Result<()> {
        super::refuse_dpop_keys("memcache", tokens)?;
        for key in tokens.keys() {
            self.check(key)?;
        }
        let now = now_unix();
        for (key, t) in tokens {
            let mkey = self.memcache_key(key);
            let json = t.to_json();
            self.conn
                .run(|c| c.set(&mkey, json.as_str(), exptime(retention(t, now), now)))?;
        }
        let keys: Vec<&str> = tokens.keys().map(String::as_str).collect();
        self.register(&keys)
    }

    /// A lock entry in memcached (`add` plus compare-and-swap, released
    /// only by its holder), so processes on different machines exclude
    /// each other. While held, a heartbeat renews it every third of
    /// [`MemcacheConfig::lock_lease`]; if the holder dies the lock frees
    /// itself one lease later (whole seconds).
    fn lock_key(&self, key: &str, timeout: Duration) -> Result<KeyLock> {
        self.check(key)?;
        let lock_key = self.lock_entry_key(key);
        let lock = lock::MemcacheLock::acquire(
            Arc::clone(&self.conn),
            lock_key,
            &self.memcache_key(key),
            &format!("memcached key '{key}' in namespace '{}'", self.namespace),
            timeout,
            self.config.lock_lease,
        )?;
        Ok(KeyLock::fenced(lock))
    }

    /// Fenced by compare-and-swap (see the lock module): nothing is written
    /// once the lock ran out or was taken over.
    fn save_locked(&self, key: &str, tokens: &TokenSet, lock: &KeyLock) -> Result<()> {
        self.check(key)?;
        super::refuse_dpop_key("memcache", key, tokens)?;
        let held = self.held(key, lock)?;
        let now = now_unix();
        held.save(
            &self.memcache_key(key),
            &tokens.to_json(),
            exptime(retention(tokens, now), now),
        )?;
        self.register(&[key])
    }

    fn delete_locked(&self, key: &str, lock: &KeyLock) -> Result<bool> {
        self.check(key)?;
        let existed = self.held(key, lock)?.delete(&self.memcache_key(key))?;
        index::update(&self.conn, &self.index_key(), &[key], false)?;
        Ok(existed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exptime_is_relative_up_to_30_days_then_absolute() {
        assert_eq!(exptime(None, 1_000), 0);
        assert_eq!(exptime(Some(3600), 1_000), 3600);
        assert_eq!(exptime(Some(-5), 1_000), 1);
        let far = 40 * 24 * 3600;
        assert_eq!(
            exptime(Some(far), 1_700_000_000),
            (1_700_000_000 + far) as u32
        );
    }
}
