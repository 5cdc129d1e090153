//! Stores for an application that is itself an OAuth 2.0 authorization
//! server (or tests one): registered [`Client`]s, [`AuthorizationCode`]s
//! and issued [`AccessToken`]s. The records and the Redis and memcached
//! key scheme are python-oauth2's (`oauth2.store`): this module exists so
//! that an oauthkit service and a python-oauth2 one can share a store.
//!
//! Three traits ([`ClientStore`], [`AuthCodeStore`], [`AccessTokenStore`])
//! with typed not-found errors ([`Error::NotFound`](crate::Error::NotFound)),
//! and four backends that implement all three:
//!
//! | backend | type | feature |
//! |---|---|---|
//! | memory | [`MemoryServerStore`] | – |
//! | SQLite | `SqliteServerStore` | `sqlite` |
//! | Redis / Redis Cluster | `RedisServerStore` | `redis` |
//! | memcached | `MemcacheServerStore` | `memcache` |
//!
//! Expired codes and tokens are never returned by any backend. The Redis
//! and memcached backends use python-oauth2's key scheme so existing
//! deployments' data can be read (the repository's
//! [network stores guide](https://github.com/oauthkit/oauthkit/blob/main/docs/stores-network.md) has the details).
//!
//! ```
//! use oauthkit::server::*;
//! # fn main() -> oauthkit::Result<()> {
//! let store = MemoryServerStore::new();
//! store.save_client(&Client::new("app", "secret", ["http://127.0.0.1/cb"]))?;
//! let now = oauthkit::unversioned::now_unix();
//! store.save_code(&AuthorizationCode::new("app", "code-1", now + 600, "http://127.0.0.1/cb").user_id("u1"))?;
//! let code = store.take_code("code-1")?;            // single use
//! assert!(store.take_code("code-1").is_err());
//! let token = AccessToken::new("app", "authorization_code", "at-1")
//!     .expires_at(now + 3600)
//!     .refresh_token("rt-1", None)
//!     .user_id(code.user_id.clone().unwrap());
//! store.save_token(&token)?;
//! assert_eq!(store.fetch_by_refresh_token("rt-1")?.token.expose(), "at-1");
//! assert!(store.delete_refresh_token("rt-1")?);
//! assert!(store.fetch_by_token("at-1").is_err());
//! # Ok(()) }
//! ```

pub(crate) mod access_token;
pub(crate) mod auth_code;
pub(crate) mod client;
pub(crate) mod encrypted;
#[cfg(any(feature = "redis", feature = "memcache"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "redis", feature = "memcache"))))]
pub(crate) mod keyvalue;
#[cfg(feature = "memcache")]
#[cfg_attr(docsrs, doc(cfg(feature = "memcache")))]
pub(crate) mod memcache;
pub(crate) mod memory;
#[cfg(feature = "memcache")]
mod pickle;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub(crate) mod redis;
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub(crate) mod sqlite;
pub(crate) mod stores;
mod user_id;

#[cfg(feature = "memcache")]
#[cfg_attr(docsrs, doc(cfg(feature = "memcache")))]
pub use self::memcache::MemcacheServerStore;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use self::redis::RedisServerStore;
pub use access_token::AccessToken;
pub use auth_code::AuthorizationCode;
pub use client::Client;
pub use encrypted::EncryptedServerStore;
pub use memory::MemoryServerStore;
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub use sqlite::SqliteServerStore;
pub use stores::{AccessTokenStore, AuthCodeStore, ClientStore};
