//! Opening a store from a spec string, and the default store.

use std::path::PathBuf;
use std::sync::Arc;

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
/// | `keyring:service-name` | `KeyringStore` (feature `keyring`) on the platform keyring |
/// | `keyring:service-name?backend=keyutils` | `KeyringStore` on the Linux kernel keyring (no D-Bus; nothing survives a reboot, see [`KeyringBackend`](super::KeyringBackend)) |
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
/// | `keyutils` or `keyutils:SERVICE` | the same in the Linux kernel keyring (lost on reboot, and with it the records it sealed) |
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
pub fn open(spec: &str) -> Result<Arc<dyn TokenStore>> {
    let (scheme, rest) = spec.split_once(':').ok_or_else(no_scheme)?;
    let (rest, encrypt) = take_param(rest, "encrypt");
    let (rest, backend) = if scheme == "keyring" {
        take_param(&rest, "backend")
    } else {
        (rest, None)
    };
    let (target, namespace) = split_namespace(&rest)?;
    // before anything is created: a mistyped network URL never becomes a
    // file named after its password
    super::spec_check::check_local_target(scheme, target)?;
    let store = match backend {
        Some(backend) => open_keyring_on(target, &namespace, keyring_backend(&backend)?)?,
        None => open_plain(scheme, target, &namespace)?,
    };
    match encrypt {
        None => Ok(store),
        Some(source) => Ok(Arc::new(super::EncryptedStore::new(
            store,
            keys_from_source(&source)?,
        ))),
    }
}

/// `spec` as a status line or log may show it: the password of a network
/// store's URL replaced by `***`, and a mangled spec that may hold
/// credentials not shown at all.
///
/// ```
/// use oauthkit::unversioned::store::redacted_spec;
/// assert_eq!(redacted_spec("redis://app:s3cret@cache:6379/0"), "redis://app:***@cache:6379/0");
/// assert_eq!(redacted_spec("file:/home/me/tokens.json"), "file:/home/me/tokens.json");
/// assert!(!redacted_spec("sqlite:user:s3cret@redis:/x").contains("s3cret"));
/// ```
pub fn redacted_spec(spec: &str) -> String {
    crate::url_text::redact_url(spec)
}

/// The error for a spec without `scheme:`; the spec is not quoted (it may
/// be a mangled URL holding a password).
pub(crate) fn no_scheme() -> Error {
    Error::InvalidArgument(
        "store spec has no scheme (expected e.g. memory:, file:PATH, sqlite:PATH, keyring:SERVICE); the spec is not shown".into(),
    )
}

/// The `?backend=` of a keyring spec; an unknown value is not quoted (a
/// mangled spec can put a password there).
pub(crate) fn keyring_backend(value: &str) -> Result<super::KeyringBackend> {
    value.parse().map_err(|_| {
        Error::InvalidArgument(
            "unknown keyring backend in the store spec's backend= (known: platform, keyutils; the value is not shown)".into(),
        )
    })
}

fn open_plain(scheme: &str, target: &str, namespace: &str) -> Result<Arc<dyn TokenStore>> {
    let namespace = namespace.to_owned();
    match scheme {
        "memory" => Ok(Arc::new(MemoryStore::new().in_namespace(&namespace))),
        "file" => Ok(Arc::new(
            JsonFileStore::open(path_of(target)?)?.in_namespace(&namespace),
        )),
        "sqlite" => open_sqlite(target, &namespace),
        "keyring" => open_keyring(target, &namespace),
        "redis" | "rediss" | "redis+cluster" | "rediss+cluster" => {
            open_redis(&format!("{scheme}:{target}"), &namespace)
        }
        "memcache" => open_memcache(&format!("{scheme}:{target}"), &namespace),
        other => Err(Error::InvalidArgument(format!(
            "unknown store scheme {} (known: memory, file, sqlite, keyring, redis, rediss, redis+cluster, memcache)",
            crate::url_text::shown_scheme(other)
        ))),
    }
}

/// The environment variable that names the application whose default
/// store [`open_default`] opens (instead of the program's file name).
pub const APP_ENV: &str = "OAUTHKIT_APP";

/// Opens this application's default store: [`open_default_for`] with the
/// application name [`default_app_name`] gives (`OAUTHKIT_APP`, else the
/// program's file name). Each program thus gets its own token file and its
/// own keyring-held key, and the same program finds its tokens again on the
/// next run; it is never one file shared by every program on the machine.
///
/// Programs run by an interpreter (every Python script is `python3`) should
/// name themselves: [`open_default_for`] or `OAUTHKIT_APP`.
///
/// # Errors
/// As [`open_default_for`]; [`Error::InvalidArgument`] when no application
/// name can be found.
pub fn open_default() -> Result<Arc<dyn TokenStore>> {
    open_default_for(&default_app_name()?)
}

/// Opens application `app`'s default store, a [`DefaultStore`](super::DefaultStore):
/// `tokens.json` in `oauthkit/{app}` of the user's data directory, sealed
/// with a key the OS keyring keeps (service `oauthkit:{app}`), or the spec
/// in `OAUTHKIT_STORE`. Use [`DefaultStore`](super::DefaultStore) directly
/// to learn how the tokens are protected or to allow plain text.
///
/// ```no_run
/// use oauthkit::{store, TokenSet, TokenStore};
/// # fn main() -> oauthkit::Result<()> {
/// // first run: sign in and save
/// store::open_default_for("my-app")?.save("alice", &TokenSet::bearer("at"))?;
/// // any later run of my-app finds it
/// assert!(store::open_default_for("my-app")?.load("alice")?.is_some());
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`Error::InvalidArgument`] for an application name that is not 1 to 64
/// letters, digits, `.`, `_` or `-`; [`Error::Unavailable`] when no keyring
/// answers within 5 s and plain text was not allowed
/// (`OAUTHKIT_ALLOW_PLAINTEXT=1`); [`Error::Unsupported`] naming the cargo
/// feature when this build lacks `keyring` (the key's home) and neither
/// `OAUTHKIT_STORE` nor plain text was chosen; the errors of the store
/// itself.
pub fn open_default_for(app: impl Into<String>) -> Result<Arc<dyn TokenStore>> {
    Ok(super::DefaultStore::open(app)?.into_store())
}

/// The application name [`open_default`] uses: `OAUTHKIT_APP` when set,
/// else the running program's file name without extension, with any
/// character other than letters, digits, `.`, `_` and `-` replaced by `_`
/// (at most 64 characters).
///
/// # Errors
/// [`Error::InvalidArgument`] when `OAUTHKIT_APP` is set to an invalid
/// name, or the program's name cannot be found.
pub fn default_app_name() -> Result<String> {
    if let Ok(app) = std::env::var(APP_ENV) {
        if !app.is_empty() {
            super::DefaultStore::builder(&app)?;
            return Ok(app);
        }
    }
    let exe = std::env::current_exe().map_err(|e| {
        Error::InvalidArgument(format!(
            "cannot find this program's name for its default store ({e}); set {APP_ENV} or call open_default_for"
        ))
    })?;
    let stem = exe
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    match name.as_str() {
        "" | "." | ".." => Err(Error::InvalidArgument(format!(
            "this program's name gives no application name for its default store; set {APP_ENV} or call open_default_for"
        ))),
        _ => Ok(name),
    }
}

/// `tokens.json` in oauthkit's folder of the user's data directory (the
/// applications' default stores are in folders beside it,
/// `oauthkit/{app}/tokens.json`; [`open_default`] no longer uses this shared
/// file, which stays for lock files and for specs that name it):
/// `$XDG_DATA_HOME/oauthkit` (or `~/.local/share/oauthkit`) on Linux,
/// `~/Library/Application Support/oauthkit` on macOS and
/// `%LOCALAPPDATA%\oauthkit` on Windows (where per-user ACLs, not Unix
/// modes, keep it private).
///
/// # Errors
///
/// [`Error::InvalidArgument`] when there is no user data directory: `HOME`
/// (on Windows `LOCALAPPDATA` and `APPDATA`) unset or empty.
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
pub(crate) fn take_param(spec: &str, name: &str) -> (String, Option<String>) {
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
    // the key source's own argument is checked like a spec's target: a
    // mangled URL there is refused, never quoted
    match kind {
        "env" | "passphrase-env" if !is_env_name(arg) => {
            return Err(Error::InvalidArgument(format!(
                "the store spec's encrypt={kind}: needs an environment variable name (letters, digits, '_'); the value is not shown"
            )))
        }
        "file" => super::spec_check::check_local_target("file", arg)?,
        "keyring" | "keyutils" => super::spec_check::check_local_target("keyring", arg)?,
        _ => {}
    }
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
        ("keyring", service) => keyring_keys(
            if service.is_empty() { "oauthkit" } else { service },
            super::KeyringBackend::Platform,
        ),
        ("keyutils", service) => keyring_keys(
            if service.is_empty() { "oauthkit" } else { service },
            super::KeyringBackend::Keyutils,
        ),
        _ => Err(Error::InvalidArgument(
            "unknown encryption key source in the store spec's encrypt= (expected env:NAME, file:PATH, passphrase-env:NAME, keyring, keyring:SERVICE, keyutils or keyutils:SERVICE; the value is not shown)".into(),
        )),
    }
}

/// A portable environment variable name: `[A-Za-z_][A-Za-z0-9_]*`.
fn is_env_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(feature = "keyring")]
fn keyring_keys(service: &str, backend: super::KeyringBackend) -> Result<super::SealingKeys> {
    super::SealingKeys::from_keyring_backend(
        service,
        backend,
        super::encrypted::DEFAULT_KEYRING_TIMEOUT,
    )
}

#[cfg(not(feature = "keyring"))]
fn keyring_keys(_: &str, _: super::KeyringBackend) -> Result<super::SealingKeys> {
    Err(crate::feature_off!(
        "the OS keyring",
        "keep an encryption key",
        "keyring"
    ))
}

pub(crate) fn split_namespace(rest: &str) -> Result<(&str, String)> {
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

pub(crate) fn path_of(target: &str) -> Result<PathBuf> {
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
fn open_sqlite(target: &str, namespace: &str) -> Result<Arc<dyn TokenStore>> {
    Ok(Arc::new(
        super::SqliteStore::open(path_of(target)?)?.in_namespace(namespace),
    ))
}

#[cfg(not(feature = "sqlite"))]
fn open_sqlite(_: &str, _: &str) -> Result<Arc<dyn TokenStore>> {
    Err(crate::feature_off!(
        "the sqlite store",
        "be opened",
        "sqlite"
    ))
}

fn open_keyring(target: &str, namespace: &str) -> Result<Arc<dyn TokenStore>> {
    open_keyring_on(target, namespace, super::KeyringBackend::Platform)
}

#[cfg(feature = "keyring")]
fn open_keyring_on(
    target: &str,
    namespace: &str,
    backend: super::KeyringBackend,
) -> Result<Arc<dyn TokenStore>> {
    Ok(Arc::new(
        super::KeyringStore::new(target)?
            .using(backend)
            .in_namespace(namespace),
    ))
}

#[cfg(not(feature = "keyring"))]
fn open_keyring_on(_: &str, _: &str, _: super::KeyringBackend) -> Result<Arc<dyn TokenStore>> {
    Err(crate::feature_off!(
        "the keyring store",
        "be opened",
        "keyring"
    ))
}

#[cfg(feature = "redis")]
fn open_redis(url: &str, namespace: &str) -> Result<Arc<dyn TokenStore>> {
    Ok(Arc::new(
        super::RedisStore::open_url(url)?.in_namespace(namespace),
    ))
}

#[cfg(not(feature = "redis"))]
fn open_redis(_: &str, _: &str) -> Result<Arc<dyn TokenStore>> {
    Err(crate::feature_off!("the redis store", "be opened", "redis"))
}

#[cfg(feature = "memcache")]
fn open_memcache(url: &str, namespace: &str) -> Result<Arc<dyn TokenStore>> {
    Ok(Arc::new(
        super::MemcacheStore::open_url(url)?.in_namespace(namespace),
    ))
}

#[cfg(not(feature = "memcache"))]
fn open_memcache(_: &str, _: &str) -> Result<Arc<dyn TokenStore>> {
    Err(crate::feature_off!(
        "the memcache store",
        "be opened",
        "memcache"
    ))
}
