//! [`MemcacheServerStore`]: the server stores in memcached, in
//! python-oauth2's key scheme (see [`keyvalue`](super::keyvalue)) with
//! python-oauth2's values (feature `memcache`).
//!
//! python-oauth2's memcache store lets python-memcached pickle its dicts
//! (flag 1). This store reads those pickles as data only (nothing in them
//! is ever run; see [`ValueFormat`]) as well as JSON records, and by
//! default writes pickled dicts python-oauth2 reads back. Keys match
//! python-oauth2's (`{prefix}_{id}`) except that characters memcached
//! cannot hold are percent-encoded.

use std::io::Write;
use std::sync::Arc;

use ::memcache::{Stream, ToMemcacheValue};

use super::keyvalue::{forward_server_stores, KeyValue, KvServer};
use super::pickle;
use crate::error::{Error, Result};
use crate::store::memcache::connection::Connection;
use crate::store::memcache::keys;
use crate::store::memcache::MemcacheConfig;
use crate::token::now_unix;

/// python-memcached's flag for a pickled value.
pub const FLAG_PICKLE: u32 = 1;
/// python-memcached's flag for a zlib-compressed value.
pub const FLAG_COMPRESSED: u32 = 8;

/// How [`MemcacheServerStore`] writes its records. Both are always read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ValueFormat {
    /// python-memcached's pickled dict, flag [`FLAG_PICKLE`], pickle
    /// protocol 2: what python-oauth2's memcache store writes and reads.
    #[default]
    Pickle,
    /// JSON text, flag 0 (what oauthkit wrote before it read pickles;
    /// python-memcached hands it to python-oauth2 as bytes, which it
    /// cannot use).
    Json,
}

pub(crate) struct MemcacheKv {
    conn: Arc<Connection>,
    format: ValueFormat,
}

fn mkey(key: &str) -> String {
    keys::join("", key)
}

/// A value with the flags python-memcached reads.
struct Flagged<'a> {
    bytes: &'a [u8],
    flags: u32,
}

impl ToMemcacheValue<Stream> for Flagged<'_> {
    fn get_flags(&self) -> u32 {
        self.flags
    }

    fn get_length(&self) -> usize {
        self.bytes.len()
    }

    fn write_to(&self, stream: &mut Stream) -> std::io::Result<()> {
        stream.write_all(self.bytes)
    }
}

/// A stored value as JSON text: pickles are decoded (data only), text is
/// returned as it is.
fn as_json(bytes: Vec<u8>, flags: u32) -> Result<String> {
    if flags & FLAG_COMPRESSED != 0 {
        return Err(Error::corrupt(
            "memcache entry",
            "a zlib-compressed python-memcached value (set min_compress_len=0 on the Python side)",
        ));
    }
    if flags & FLAG_PICKLE != 0 {
        let value = pickle::decode(&bytes).map_err(|r| {
            Error::corrupt(
                "memcache entry",
                format!("python-memcached pickle refused: {r}"),
            )
        })?;
        return Ok(value.to_string());
    }
    String::from_utf8(bytes).map_err(|_| Error::corrupt("memcache entry", "the value is not UTF-8"))
}

impl KeyValue for MemcacheKv {
    fn backend(&self) -> &'static str {
        "memcache"
    }

    fn get(&self, key: &str) -> Result<Option<String>> {
        let k = mkey(key);
        let found: Option<(Vec<u8>, u32)> = self.conn.run(|c| c.get(&k))?;
        found
            .map(|(bytes, flags)| as_json(bytes, flags))
            .transpose()
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
        let (bytes, flags) = match self.format {
            ValueFormat::Json => (value.as_bytes().to_vec(), 0),
            ValueFormat::Pickle => {
                let v: serde_json::Value = serde_json::from_str(value).expect("records are JSON");
                (pickle::encode(&v), FLAG_PICKLE)
            }
        };
        self.conn.run(|c| {
            c.set(
                &k,
                Flagged {
                    bytes: &bytes,
                    flags,
                },
                exptime,
            )
        })
    }

    fn delete(&self, key: &str) -> Result<bool> {
        let k = mkey(key);
        self.conn.run(|c| c.delete(&k))
    }
}

/// Clients, authorization codes and access tokens in memcached.
/// memcached may evict entries under memory pressure; a client registry
/// there should be re-seeded from a durable source.
///
/// ```no_run
/// use oauthkit::server::MemcacheServerStore;
/// use oauthkit::server::{AccessToken, AccessTokenStore};
/// use oauthkit::store::MemcacheConfig;
/// # fn main() -> oauthkit::Result<()> {
/// // Shared with an unpatched python-oauth2 1.1.1 service:
/// let store = MemcacheServerStore::open(MemcacheConfig::new("127.0.0.1:11211"))?
///     .python_oauth2_aliases(true);
/// store.save_token(&AccessToken::new("app", "client_credentials", "t1"))?;
/// // python-oauth2 reads the pickled dict under "oauth2_t1".
/// # Ok(()) }
/// ```
pub struct MemcacheServerStore {
    inner: KvServer<MemcacheKv>,
}

impl MemcacheServerStore {
    /// A store on these servers with `config.prefix` (default `oauth2`,
    /// python-oauth2's), writing pickled dicts, without the unprefixed
    /// aliases (see [`format`](Self::format) and
    /// [`python_oauth2_aliases`](Self::python_oauth2_aliases)). Nothing is
    /// connected until first use.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when the key prefix is empty, longer than 64
    /// characters or holds spaces or control characters. A server that is down
    /// is reported by the first operation ([`Error::Unavailable`]).
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
                    format: ValueFormat::default(),
                },
                prefix,
                unprefixed_aliases: false,
            },
        })
    }

    /// How records are written (default [`ValueFormat::Pickle`],
    /// python-oauth2's); both formats are always read.
    ///
    /// ```no_run
    /// use oauthkit::server::MemcacheServerStore;
    /// use oauthkit::store::MemcacheConfig;
    /// use oauthkit::unversioned::server::ValueFormat;
    /// let store = MemcacheServerStore::open(MemcacheConfig::new("127.0.0.1:11211"))?
    ///     .format(ValueFormat::Json);
    /// # let _ = store;
    /// # Ok::<(), oauthkit::Error>(())
    /// ```
    pub fn format(mut self, format: ValueFormat) -> Self {
        self.inner.kv.format = format;
        self
    }

    /// Also writes each token under the **unprefixed** keys python-oauth2
    /// 1.1.1 looks in (its `fetch_by_refresh_token` and
    /// `fetch_existing_token_of_user` forget the prefix): the refresh token
    /// itself and `{client_id}_{grant_type}_{user_id}`. Off by default:
    /// those keys live outside the prefix and may collide with other data
    /// in the same memcached. oauthkit never reads them; it deletes them
    /// with the refresh token, and skips an alias that would fall inside
    /// its own prefix.
    pub fn python_oauth2_aliases(mut self, on: bool) -> Self {
        self.inner.unprefixed_aliases = on;
        self
    }
}

forward_server_stores!(MemcacheServerStore);
