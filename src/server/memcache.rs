//! [`MemcacheServerStore`]: the server stores in memcached, in
//! python-oauth2's key scheme (see [`keyvalue`](super::keyvalue)) with
//! JSON values (feature `memcache`).
//!
//! python-oauth2's own memcache store lets python-memcached pickle its
//! dicts; pickles are not read here. Keys match python-oauth2's
//! (`{prefix}_{id}`) except that characters memcached cannot hold are
//! percent-encoded.

use std::sync::Arc;

use super::keyvalue::{forward_server_stores, KeyValue, KvServer};
use crate::error::{Error, Result};
use crate::store::memcache::connection::Connection;
use crate::store::memcache::keys;
use crate::store::memcache::MemcacheConfig;
use crate::token::now_unix;

pub(crate) struct MemcacheKv {
    conn: Arc<Connection>,
}

fn mkey(key: &str) -> String {
    keys::join("", key)
}

impl KeyValue for MemcacheKv {
    fn backend(&self) -> &'static str {
        "memcache"
    }

    fn get(&self, key: &str) -> Result<Option<String>> {
        let k = mkey(key);
        self.conn.run(|c| c.get(&k))
    }

    fn set(&self, key: &str, value: &str, expires_at: Option<i64>) -> Result<()> {
        let k = mkey(key);
        let exptime = match expires_at {
            None => 0,
            Some(at) if at <= now_unix() => {
                self.delete(key)?;
                return Ok(());
            }
            // Absolute Unix times are always above memcached's 30-day
            // relative limit, so memcached reads them as absolute.
            Some(at) => u32::try_from(at).unwrap_or(u32::MAX),
        };
        self.conn.run(|c| c.set(&k, value, exptime))
    }

    fn delete(&self, key: &str) -> Result<bool> {
        let k = mkey(key);
        self.conn.run(|c| c.delete(&k))
    }
}

/// Clients, authorization codes and access tokens in memcached.
/// memcached may evict entries under memory pressure; a client registry
/// there should be re-seeded from a durable source.
pub struct MemcacheServerStore {
    inner: KvServer<MemcacheKv>,
}

impl MemcacheServerStore {
    /// A store on these servers with `config.prefix` (default `oauth2`,
    /// python-oauth2's). Nothing is connected until first use.
    pub fn open(config: MemcacheConfig) -> Result<Self> {
        if config.prefix.is_empty() {
            return Err(Error::InvalidArgument(
                "key prefix must not be empty".into(),
            ));
        }
        let prefix = config.prefix.clone();
        Ok(MemcacheServerStore {
            inner: KvServer {
                kv: MemcacheKv {
                    conn: Arc::new(config.connection()?),
                },
                prefix,
            },
        })
    }
}

forward_server_stores!(MemcacheServerStore);
