//! [`KeyringStore`]: token sets in the operating system's keyring.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use super::file_lock::{create_private_dir, FileLock, DEFAULT_LOCK_TIMEOUT};
use super::{check_key, TokenStore, DEFAULT_NAMESPACE};
use crate::error::{Error, Result};
use crate::token::TokenSet;

/// The keyring entry (user name) that holds the index of keys.
pub const INDEX_ENTRY: &str = "oauthkit-index";

/// Prefix of entries that belong to a namespace other than the default.
const NAMESPACED_PREFIX: &str = "oauthkit-ns:";

/// Serialises index updates between threads of this process; a lock file
/// does the same between processes.
static INDEX_MUTEX: Mutex<()> = Mutex::new(());

/// Keeps each token set as one secret in the OS keyring (Secret Service on
/// Linux, Keychain on macOS, Credential Manager on Windows).
///
/// The entry for key `k` of the default namespace is service = the store's
/// service name, user = `k`, secret = the token set's JSON
/// ([`TokenSet::to_json`]), so programs that write this layout share
/// entries with it (see the crate root's Interoperability section). Other
/// namespaces use user `oauthkit-ns:{len}:{namespace}:{key}`.
///
/// Behaviour worth knowing:
/// - **`list_keys` works.** On Linux and the BSDs it searches the Secret
///   Service for every item of the service (attribute `service`), so
///   entries any other program wrote are listed too; it also keeps an
///   index entry ([`INDEX_ENTRY`]) updated under a lock, which is all macOS
///   and Windows list (entries other programs wrote there are not
///   listed).
/// - **No silent plaintext fallback.** When no keyring service is reachable
///   (no D-Bus session, no Secret Service daemon, a locked collection) every
///   call fails with [`Error::Unavailable`] saying so. Nothing is ever
///   written elsewhere instead.
/// - **Errors are not swallowed.** A delete that fails says so.
///
/// ```no_run
/// use oauthkit::{store::KeyringStore, TokenSet, TokenStore};
/// let store = KeyringStore::new("my-app").unwrap();
/// store.save("alice", &TokenSet::bearer("at")).unwrap();
/// assert_eq!(store.list_keys().unwrap(), vec!["alice".to_string()]);
/// ```
#[derive(Clone, Debug)]
pub struct KeyringStore {
    service: String,
    namespace: String,
    backend: super::KeyringBackend,
}

impl KeyringStore {
    /// A store on the keyring entries of `service`, default namespace.
    /// Fails with [`Error::Unsupported`] on platforms without a keyring
    /// backend in this build (rather than using an in-memory mock).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when `service` is empty, longer than
    /// [`MAX_KEY_LEN`](crate::unversioned::store::MAX_KEY_LEN) bytes or holds a control character;
    /// [`Error::Unsupported`] on a platform this build has no keyring for.
    /// Nothing is asked of the keyring yet: a keyring that does not answer is
    /// reported by the first operation ([`Error::Unavailable`]).
    pub fn new(service: impl Into<String>) -> Result<Self> {
        let service = service.into();
        check_key("keyring service name", &service)?;
        if !cfg!(any(
            target_os = "linux",
            target_os = "freebsd",
            target_os = "openbsd",
            target_os = "macos",
            target_os = "ios",
            target_os = "windows"
        )) {
            return Err(Error::Unsupported {
                backend: "the keyring store",
                operation: "store secrets on this platform",
            });
        }
        Ok(KeyringStore {
            service,
            namespace: DEFAULT_NAMESPACE.to_owned(),
            backend: super::KeyringBackend::Platform,
        })
    }

    /// The same store on another keyring backend, e.g.
    /// [`KeyringBackend::Keyutils`](super::KeyringBackend::Keyutils), the
    /// Linux kernel keyring (no D-Bus; nothing survives a reboot). On
    /// keyutils `list_keys` lists what oauthkit's index holds (entries
    /// other programs wrote are not searched).
    ///
    /// ```no_run
    /// use oauthkit::store::KeyringStore;
    /// use oauthkit::unversioned::store::KeyringBackend;
    /// let store = KeyringStore::new("my-app")?.using(KeyringBackend::Keyutils);
    /// assert_eq!(store.keyring_backend(), KeyringBackend::Keyutils);
    /// # Ok::<(), oauthkit::Error>(())
    /// ```
    pub fn using(mut self, backend: super::KeyringBackend) -> Self {
        self.backend = backend;
        self
    }

    /// The keyring backend in use.
    pub fn keyring_backend(&self) -> super::KeyringBackend {
        self.backend
    }

    /// A handle on another namespace of the same service.
    pub fn in_namespace(&self, namespace: impl Into<String>) -> Self {
        let namespace = namespace.into();
        KeyringStore {
            namespace,
            ..self.clone()
        }
    }

    /// The service name.
    pub fn service(&self) -> &str {
        &self.service
    }

    fn user_for(&self, key: &str) -> Result<String> {
        check_key("key", key)?;
        check_key("namespace", &self.namespace)?;
        if key == INDEX_ENTRY || key.starts_with(NAMESPACED_PREFIX) {
            return Err(Error::InvalidArgument(format!(
                "keys named '{INDEX_ENTRY}' or starting with '{NAMESPACED_PREFIX}' are reserved by the keyring store"
            )));
        }
        if self.namespace == DEFAULT_NAMESPACE {
            Ok(key.to_owned())
        } else {
            Ok(format!(
                "{NAMESPACED_PREFIX}{}:{}:{key}",
                self.namespace.len(),
                self.namespace
            ))
        }
    }

    fn entry(&self, user: &str) -> Result<keyring::Entry> {
        self.backend
            .entry(&self.service, user)
            .map_err(|e| keyring_error("opening an entry", e))
    }

    fn read_secret(&self, user: &str) -> Result<Option<String>> {
        match self.entry(user)?.get_password() {
            Ok(s) => Ok(Some(s)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(keyring_error("reading", e)),
        }
    }

    fn read_index(&self) -> Result<BTreeMap<String, BTreeSet<String>>> {
        match self.read_secret(INDEX_ENTRY)? {
            None => Ok(BTreeMap::new()),
            Some(json) => serde_json::from_str(&json).map_err(|e| {
                Error::corrupt(
                    format!("keyring entry {}/{INDEX_ENTRY}", self.service),
                    crate::token::json_error(&e),
                )
            }),
        }
    }

    /// Changes the index under the in-process mutex and a cross-process
    /// lock file.
    fn update_index(&self, change: impl FnOnce(&mut BTreeSet<String>)) -> Result<()> {
        let _thread = INDEX_MUTEX.lock().unwrap_or_else(|p| p.into_inner());
        let _process = FileLock::acquire(&self.index_lock_path()?, DEFAULT_LOCK_TIMEOUT)?;
        let mut index = self.read_index()?;
        let keys = index.entry(self.namespace.clone()).or_default();
        change(keys);
        if keys.is_empty() {
            index.remove(&self.namespace);
        }
        if index.is_empty() {
            // Nothing indexed in any namespace: no index entry left behind.
            return match self.entry(INDEX_ENTRY)?.delete_credential() {
                Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
                Err(e) => Err(keyring_error("removing the empty index", e)),
            };
        }
        let json = serde_json::to_string(&index).expect("an index serialises");
        self.entry(INDEX_ENTRY)?
            .set_password(&json)
            .map_err(|e| keyring_error("writing the index", e))
    }

    fn index_lock_path(&self) -> Result<PathBuf> {
        let dir = super::default_store_path()
            .ok()
            .and_then(|p| p.parent().map(|p| p.to_path_buf()))
            .unwrap_or_else(std::env::temp_dir);
        create_private_dir(&dir)?;
        let safe: String = self
            .service
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        Ok(dir.join(format!("keyring-{safe}.lock")))
    }
}

impl KeyringStore {
    /// The entries a keyring search finds for this service, as keys by
    /// namespace (`None` where the platform cannot search). The index
    /// entry, and user names that are not valid keys, are skipped.
    fn searched(&self) -> Result<Option<BTreeMap<String, BTreeSet<String>>>> {
        if self.backend != super::KeyringBackend::Platform {
            return Ok(None);
        }
        let Some(users) = super::keyring_search::users_of(&self.service)? else {
            return Ok(None);
        };
        let mut found: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for user in users {
            let (namespace, key) = if user == INDEX_ENTRY {
                continue;
            } else if user.starts_with(NAMESPACED_PREFIX) {
                match split_namespaced(&user) {
                    Some((ns, key)) => (ns.to_owned(), key.to_owned()),
                    None => continue,
                }
            } else {
                (DEFAULT_NAMESPACE.to_owned(), user)
            };
            if check_key("namespace", &namespace).is_ok() && check_key("key", &key).is_ok() {
                found.entry(namespace).or_default().insert(key);
            }
        }
        Ok(Some(found))
    }
}

/// `oauthkit-ns:{len}:{namespace}:{key}` → `(namespace, key)`.
fn split_namespaced(user: &str) -> Option<(&str, &str)> {
    let rest = user.strip_prefix(NAMESPACED_PREFIX)?;
    let (len, rest) = rest.split_once(':')?;
    let len: usize = len.parse().ok()?;
    let namespace = rest.get(..len)?;
    let key = rest.get(len..)?.strip_prefix(':')?;
    Some((namespace, key))
}

fn keyring_error(doing: &str, e: keyring::Error) -> Error {
    // Display only: Debug of BadEncoding would print the secret's bytes.
    match e {
        keyring::Error::PlatformFailure(inner) | keyring::Error::NoStorageAccess(inner) => {
            log::warn!("OS keyring unavailable while {doing}: {inner}");
            Error::Unavailable {
                backend: "keyring",
                message: format!(
                    "{doing}: no usable OS keyring ({inner}). On Linux a Secret Service \
                     (gnome-keyring, KWallet, KeePassXC) must run on the session D-Bus and be \
                     unlocked. oauthkit does not fall back to storing tokens in plain text; \
                     choose another store explicitly if that is what you want"
                ),
                source: None,
            }
        }
        keyring::Error::BadEncoding(_) => {
            Error::corrupt("keyring entry", "the secret is not UTF-8")
        }
        other => Error::Storage {
            backend: "keyring",
            message: format!("{doing}: {other}"),
            source: None,
        },
    }
}

impl TokenStore for KeyringStore {
    fn save(&self, key: &str, tokens: &TokenSet) -> Result<()> {
        let user = self.user_for(key)?;
        self.entry(&user)?
            .set_password(&tokens.to_json())
            .map_err(|e| keyring_error("writing", e))?;
        self.update_index(|keys| {
            keys.insert(key.to_owned());
        })
    }

    fn load(&self, key: &str) -> Result<Option<TokenSet>> {
        let user = self.user_for(key)?;
        match self.read_secret(&user)? {
            None => Ok(None),
            Some(json) => TokenSet::from_json(&json).map(Some).map_err(|e| match e {
                Error::Corrupt { message, .. } => {
                    Error::corrupt(format!("keyring entry {}/{user}", self.service), message)
                }
                other => other,
            }),
        }
    }

    fn delete(&self, key: &str) -> Result<bool> {
        let user = self.user_for(key)?;
        let existed = match self.entry(&user)?.delete_credential() {
            Ok(()) => true,
            Err(keyring::Error::NoEntry) => false,
            Err(e) => return Err(keyring_error("deleting", e)),
        };
        self.update_index(|keys| {
            keys.remove(key);
        })?;
        Ok(existed)
    }

    fn exists(&self, key: &str) -> Result<bool> {
        let user = self.user_for(key)?;
        Ok(self.read_secret(&user)?.is_some())
    }

    /// The keys of this namespace: where the platform can search its
    /// keyring (the Secret Service), every entry of the service, including
    /// those another program wrote (which keep no index), plus index
    /// entries that still exist; elsewhere the index.
    fn list_keys(&self) -> Result<Vec<String>> {
        check_key("namespace", &self.namespace)?;
        let listed = self
            .read_index()?
            .remove(&self.namespace)
            .unwrap_or_default();
        let Some(mut found) = self.searched()? else {
            return Ok(listed.into_iter().collect());
        };
        let mut keys = found.remove(&self.namespace).unwrap_or_default();
        for key in listed {
            if !keys.contains(&key) && self.exists(&key)? {
                keys.insert(key);
            }
        }
        Ok(keys.into_iter().collect())
    }

    fn namespace(&self) -> &str {
        &self.namespace
    }

    fn namespaces(&self) -> Result<Vec<String>> {
        let mut names: BTreeSet<String> = self.read_index()?.into_keys().collect();
        if let Some(found) = self.searched()? {
            names.extend(found.into_keys());
        }
        Ok(names.into_iter().collect())
    }

    /// The OS keyring encrypts its items at rest.
    fn protects_secrets(&self) -> bool {
        true
    }

    fn backend(&self) -> &'static str {
        "keyring"
    }

    fn lock_key(&self, key: &str, timeout: Duration) -> Result<super::KeyLock> {
        let user = self.user_for(key)?;
        let index_lock = self.index_lock_path()?;
        let path = super::file_lock::key_lock_path(&index_lock, &self.namespace, &user)?;
        Ok(super::KeyLock::from_guard(FileLock::acquire(
            &path, timeout,
        )?))
    }
}
