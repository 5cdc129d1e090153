//! Opening a store from a spec string, and the default store.

use std::path::PathBuf;

use super::{JsonFileStore, MemoryStore, TokenStore, DEFAULT_NAMESPACE};
use crate::error::{Error, Result};

/// The environment variable that overrides the default store's spec.
pub const STORE_ENV: &str = "OAUTHKIT_STORE";

/// Opens a store from a spec:
///
/// | spec | store |
/// |---|---|
/// | `memory:` | [`MemoryStore`] |
/// | `file:/path/tokens.json` | [`JsonFileStore`] |
/// | `sqlite:/path/tokens.db` | `SqliteStore` (feature `sqlite`) |
/// | `keyring:service-name` | `KeyringStore` (feature `keyring`) |
/// | `redis://host:port/db`, `rediss://...` (TLS) | `RedisStore` (feature `redis`) |
/// | `redis+cluster://h1:p1,h2:p2` (or `rediss+cluster://`) | `RedisStore` on a Redis Cluster |
/// | `memcache://host:port` | `MemcacheStore` (feature `memcache`) |
///
/// Any spec takes `?namespace=NAME` at the end (default `DEFAULT`); after
/// other query settings of a Redis or memcached URL (such as `prefix=`)
/// write it `&namespace=NAME`.
///
/// Any spec also takes `encrypt=SOURCE` (as `?encrypt=` or `&encrypt=`):
/// the store is wrapped in an [`EncryptedStore`](super::EncryptedStore)
/// whose key comes from SOURCE:
///
/// | SOURCE | key |
/// |---|---|
/// | `env:NAME` | base64 key(s) in the environment variable NAME ([`SealingKeys::from_env`](super::SealingKeys::from_env)) |
/// | `file:/path/key` | base64 key(s) in a file of mode 0600 ([`SealingKeys::from_file`](super::SealingKeys::from_file)) |
/// | `passphrase-env:NAME` | Argon2id of the passphrase in NAME ([`SealingKeys::from_passphrase`](super::SealingKeys::from_passphrase); feature `argon2`) |
/// | `keyring` or `keyring:SERVICE` | a key generated on first use in the OS keyring (feature `keyring`; service `oauthkit` by default) |
///
/// For example `file:/home/me/tokens.json?encrypt=keyring` or
/// `redis://cache:6379/0?prefix=app&encrypt=env:OAUTHKIT_KEY&namespace=web`.
///
/// # Errors
///
/// A backend (or a passphrase key) whose feature is off is an
/// [`Error::Unsupported`] naming the feature; an unknown scheme or a bad
/// spec an [`Error::InvalidArgument`]; a backend that cannot be reached
/// [`Error::Unavailable`]; a file that cannot be created or read
/// [`Error::Io`].
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let spec = format!("file:{}?namespace=my-app", dir.path().join("t.json").display());
/// let store = oauthkit::store::open(&spec).unwrap();
/// assert_eq!(store.backend(), "file");
/// assert_eq!(store.namespace(), "my-app");
/// assert!(oauthkit::store::open("floppy:/a").is_err());
/// ```
pub fn open(spec: &str) -> Result<Box<dyn TokenStore>> {
    let (scheme, rest) = spec.split_once(':').ok_or_else(|| {
        Error::InvalidArgument(format!(
            "store spec '{spec}' has no scheme (expected e.g. memory:, file:PATH, sqlite:PATH, keyring:SERVICE)"
        ))
    })?;
    let (rest, encrypt) = take_param(rest, "encrypt");
    let (target, namespace) = split_namespace(&rest)?;
    let store = open_plain(scheme, target, &namespace)?;
    match encrypt {
        None => Ok(store),
        Some(source) => Ok(Box::new(super::EncryptedStore::new(
            store,
            keys_from_source(&source)?,
        ))),
    }
}

fn open_plain(scheme: &str, target: &str, namespace: &str) -> Result<Box<dyn TokenStore>> {
    let namespace = namespace.to_owned();
    match scheme {
        "memory" => Ok(Box::new(MemoryStore::new().in_namespace(&namespace))),
        "file" => Ok(Box::new(
            JsonFileStore::open(path_of(target)?)?.in_namespace(&namespace),
        )),
        "sqlite" => open_sqlite(target, &namespace),
        "keyring" => open_keyring(target, &namespace),
        "redis" | "rediss" | "redis+cluster" | "rediss+cluster" => {
            open_redis(&format!("{scheme}:{target}"), &namespace)
        }
        "memcache" => open_memcache(&format!("{scheme}:{target}"), &namespace),
        other => Err(Error::InvalidArgument(format!(
            "unknown store scheme '{other}' (known: memory, file, sqlite, keyring, redis, rediss, redis+cluster, memcache)"
        ))),
    }
}

/// Opens the default store: the spec in `OAUTHKIT_STORE` when set, else the
/// JSON file at [`default_store_path`].
///
/// # Errors
///
/// As [`open`]; [`Error::InvalidArgument`] when no data directory is known
/// (no `$HOME` or `$XDG_DATA_HOME`).
pub fn open_default() -> Result<Box<dyn TokenStore>> {
    match std::env::var(STORE_ENV) {
        Ok(spec) if !spec.is_empty() => open(&spec),
        _ => Ok(Box::new(JsonFileStore::open(default_store_path()?)?)),
    }
}

/// `tokens.json` in oauthkit's folder of the user's data directory:
/// `$XDG_DATA_HOME/oauthkit` (or `~/.local/share/oauthkit`) on Linux,
/// `~/Library/Application Support/oauthkit` on macOS and
/// `%LOCALAPPDATA%\oauthkit` on Windows (where per-user ACLs, not Unix
/// modes, keep it private).
pub fn default_store_path() -> Result<PathBuf> {
    let env_dir = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let base = if cfg!(windows) {
        env_dir("LOCALAPPDATA").or_else(|| env_dir("APPDATA"))
    } else if cfg!(target_os = "macos") {
        env_dir("HOME").map(|h| h.join("Library/Application Support"))
    } else {
        env_dir("XDG_DATA_HOME").or_else(|| env_dir("HOME").map(|h| h.join(".local/share")))
    };
    base.map(|b| b.join("oauthkit").join("tokens.json"))
        .ok_or_else(|| {
            Error::InvalidArgument(
                "no user data directory (HOME is not set); set OAUTHKIT_STORE".into(),
            )
        })
}

/// Removes `?name=value` or `&name=value` from a spec: the spec without it
/// and the value.
fn take_param(spec: &str, name: &str) -> (String, Option<String>) {
    for sep in ['?', '&'] {
        let needle = format!("{sep}{name}=");
        if let Some(start) = spec.find(&needle) {
            let value_start = start + needle.len();
            let value_end = spec[value_start..]
                .find('&')
                .map_or(spec.len(), |i| value_start + i);
            let value = spec[value_start..value_end].to_owned();
            let mut rest = spec[..start].to_owned();
            if value_end < spec.len() {
                // keep what followed, re-attached with the separator this
                // parameter had (`?a&b` -> `?b`)
                rest.push(sep);
                rest.push_str(&spec[value_end + 1..]);
            }
            return (rest, Some(value));
        }
    }
    (spec.to_owned(), None)
}

fn keys_from_source(source: &str) -> Result<super::SealingKeys> {
    use super::SealingKeys;
    let (kind, arg) = source.split_once(':').unwrap_or((source, ""));
    match (kind, arg) {
        ("env", name) if !name.is_empty() => SealingKeys::from_env(name),
        ("file", path) if !path.is_empty() => SealingKeys::from_file(std::path::Path::new(path)),
        ("passphrase-env", name) if !name.is_empty() => {
            let pass = std::env::var(name).map_err(|_| {
                Error::InvalidArgument(format!(
                    "the environment variable {name} holding the store's passphrase is not set"
                ))
            })?;
            SealingKeys::from_passphrase(pass)
                .map(|k| k.with_source(format!("passphrase in environment variable {name}")))
        }
        ("keyring", service) => keyring_keys(if service.is_empty() { "oauthkit" } else { service }),
        _ => Err(Error::InvalidArgument(format!(
            "unknown encryption key source '{source}' (expected env:NAME, file:PATH, passphrase-env:NAME, keyring or keyring:SERVICE)"
        ))),
    }
}

#[cfg(feature = "keyring")]
fn keyring_keys(service: &str) -> Result<super::SealingKeys> {
    super::SealingKeys::from_keyring(service)
}

#[cfg(not(feature = "keyring"))]
fn keyring_keys(_: &str) -> Result<super::SealingKeys> {
    Err(Error::Unsupported {
        backend: "keyring (build oauthkit with --features keyring)",
        operation: "keeping an encryption key",
    })
}

fn split_namespace(rest: &str) -> Result<(&str, String)> {
    match rest
        .rsplit_once("?namespace=")
        .or_else(|| rest.rsplit_once("&namespace="))
    {
        Some((target, ns)) => {
            super::check_key("namespace", ns)?;
            Ok((target, ns.to_owned()))
        }
        None => Ok((rest, DEFAULT_NAMESPACE.to_owned())),
    }
}

fn path_of(target: &str) -> Result<PathBuf> {
    // Accept both file:/abs/path and file:///abs/path.
    let path = target.strip_prefix("//").unwrap_or(target);
    if path.is_empty() {
        return Err(Error::InvalidArgument(
            "the store spec names no path".into(),
        ));
    }
    Ok(PathBuf::from(path))
}

#[cfg(feature = "sqlite")]
fn open_sqlite(target: &str, namespace: &str) -> Result<Box<dyn TokenStore>> {
    Ok(Box::new(
        super::SqliteStore::open(path_of(target)?)?.in_namespace(namespace),
    ))
}

#[cfg(not(feature = "sqlite"))]
fn open_sqlite(_: &str, _: &str) -> Result<Box<dyn TokenStore>> {
    Err(crate::feature_off!(
        "the sqlite store",
        "be opened",
        "sqlite"
    ))
}

#[cfg(feature = "keyring")]
fn open_keyring(target: &str, namespace: &str) -> Result<Box<dyn TokenStore>> {
    Ok(Box::new(
        super::KeyringStore::new(target)?.in_namespace(namespace),
    ))
}

#[cfg(not(feature = "keyring"))]
fn open_keyring(_: &str, _: &str) -> Result<Box<dyn TokenStore>> {
    Err(crate::feature_off!(
        "the keyring store",
        "be opened",
        "keyring"
    ))
}

#[cfg(feature = "redis")]
fn open_redis(url: &str, namespace: &str) -> Result<Box<dyn TokenStore>> {
    Ok(Box::new(
        super::RedisStore::open_url(url)?.in_namespace(namespace),
    ))
}

#[cfg(not(feature = "redis"))]
fn open_redis(_: &str, _: &str) -> Result<Box<dyn TokenStore>> {
    Err(crate::feature_off!("the redis store", "be opened", "redis"))
}

#[cfg(feature = "memcache")]
fn open_memcache(url: &str, namespace: &str) -> Result<Box<dyn TokenStore>> {
    Ok(Box::new(
        super::MemcacheStore::open_url(url)?.in_namespace(namespace),
    ))
}

#[cfg(not(feature = "memcache"))]
fn open_memcache(_: &str, _: &str) -> Result<Box<dyn TokenStore>> {
    Err(crate::feature_off!(
        "the memcache store",
        "be opened",
        "memcache"
    ))
}
