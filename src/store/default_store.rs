//! [`DefaultStore`]: each application's own store, encrypted with a key in
//! the OS keyring, never a silent plain-text fallback.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use std::collections::BTreeMap;

use super::factory::STORE_ENV;
use super::forward::Wraps;
use super::{JsonFileStore, KeyLock, TokenStore};
use crate::error::{Error, Result};
use crate::token::TokenSet;

/// The environment variable that allows plain text when no keyring answers
/// (`1`, `true` or `yes`), like [`DefaultStoreBuilder::allow_plain_text`].
pub const ALLOW_PLAINTEXT_ENV: &str = "OAUTHKIT_ALLOW_PLAINTEXT";

/// The store an application gets when it does not choose one: a JSON file
/// of its own under the user's data directory
/// (`$XDG_DATA_HOME/oauthkit/{app}/tokens.json` on Linux), its token sets
/// sealed with a key that the OS keyring keeps (service `oauthkit:{app}`,
/// generated on first use; see [`EncryptedStore`](super::EncryptedStore)).
///
/// When no keyring answers (a headless server, a container, a locked
/// Secret Service), opening fails with [`Error::Unavailable`] saying what to
/// do — unless the application
/// ([`allow_plain_text`](DefaultStoreBuilder::allow_plain_text)), or the
/// user through `OAUTHKIT_ALLOW_PLAINTEXT=1`, allowed plain text, in which
/// case the file is kept unencrypted (0600) and
/// [`protection`](Self::protection) says so. A spec in `OAUTHKIT_STORE`
/// replaces all of this.
///
/// An opened `DefaultStore` is a [`TokenStore`]; share it as
/// `Arc::new(store)`.
///
/// ```no_run
/// use oauthkit::store::{DefaultStore, Protection};
/// use oauthkit::{TokenSet, TokenStore};
/// # fn main() -> oauthkit::Result<()> {
/// let store = DefaultStore::open("my-app")?;
/// if let Protection::PlainText { why } = store.protection() {
///     eprintln!("warning: tokens are stored unencrypted in {}: {why}", store.location());
/// }
/// store.save("alice", &TokenSet::bearer("at"))?;
/// // Plain text allowed when no keyring answers, a shorter keyring wait:
/// let store = DefaultStore::builder("my-app")?
///     .allow_plain_text(true)
///     .keyring_timeout(std::time::Duration::from_secs(2))
///     .open()?;
/// # let _ = store; Ok(()) }
/// ```
pub struct DefaultStore {
    store: Arc<dyn TokenStore>,
    protection: Protection,
    location: String,
}

impl fmt::Debug for DefaultStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DefaultStore")
            .field("backend", &self.store.backend())
            .field("protection", &self.protection)
            .field("location", &self.location)
            .finish()
    }
}

/// How a [`DefaultStore`] keeps token sets at rest.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Protection {
    /// Sealed with AES-256-GCM; the key comes from `key_source`.
    Encrypted {
        /// Where the key lives (never key material).
        key_source: String,
    },
    /// Unencrypted (file mode 0600 only), because plain text was allowed.
    PlainText {
        /// Why no encryption was possible.
        why: String,
    },
    /// Chosen by the spec in `OAUTHKIT_STORE`.
    FromSpec,
}

impl DefaultStore {
    /// Opens application `app`'s default store with the default options
    /// (encrypted or an error; keyring answer within 5 s).
    ///
    /// # Errors
    /// As [`DefaultStoreBuilder::open`]; [`Error::InvalidArgument`] for an
    /// application name other than 1 to 64 letters, digits, `.`, `_` or
    /// `-`.
    pub fn open(app: impl Into<String>) -> Result<Self> {
        Self::builder(app)?.open()
    }

    /// The options of application `app`'s default store, to open it with
    /// [`DefaultStoreBuilder::open`]. `app` (1 to 64 letters, digits, `.`,
    /// `_` or `-`) is used as a folder name and in the keyring service.
    ///
    /// ```
    /// use oauthkit::store::DefaultStore;
    /// let options = DefaultStore::builder("my-app")?;
    /// assert_eq!(options.keyring_service(), "oauthkit:my-app");
    /// assert!(DefaultStore::builder("../etc").is_err());
    /// # Ok::<(), oauthkit::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for any other name.
    pub fn builder(app: impl Into<String>) -> Result<DefaultStoreBuilder> {
        let app = app.into();
        let ok = !app.is_empty()
            && app.len() <= 64
            && app != "."
            && app != ".."
            && app
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if !ok {
            return Err(Error::InvalidArgument(format!(
                "application name {app:?} must be 1 to 64 letters, digits, '.', '_' or '-'"
            )));
        }
        Ok(DefaultStoreBuilder {
            app,
            allow_plain_text: false,
            keyring_timeout: Duration::from_secs(5),
        })
    }

    /// How the token sets are kept at rest.
    pub fn protection(&self) -> &Protection {
        &self.protection
    }

    /// Where: the token file's path, or the spec from `OAUTHKIT_STORE`.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// The opened store itself, for callers that share an
    /// `Arc<dyn TokenStore>` (no wrapper in between).
    pub(crate) fn into_store(self) -> Arc<dyn TokenStore> {
        self.store
    }
}

impl Wraps for DefaultStore {
    type Inner = dyn TokenStore;
    fn wrapped(&self) -> &Self::Inner {
        &*self.store
    }
}

impl TokenStore for DefaultStore {
    forward_to_wrapped!(
        save,
        load,
        delete,
        exists,
        list_keys,
        namespace,
        namespaces,
        backend,
        load_all,
        save_all,
        lock_key,
        save_locked,
        delete_locked,
        save_sealed,
        load_sealed,
        protects_secrets,
    );
}

/// The options of a [`DefaultStore`], from [`DefaultStore::builder`];
/// [`open`](Self::open) opens it.
#[derive(Debug, Clone)]
pub struct DefaultStoreBuilder {
    app: String,
    allow_plain_text: bool,
    keyring_timeout: Duration,
}

impl DefaultStoreBuilder {
    /// Keeps tokens unencrypted (0600) when no keyring answers, instead of
    /// failing. Off by default; `OAUTHKIT_ALLOW_PLAINTEXT=1` turns it on too.
    pub fn allow_plain_text(mut self, allow: bool) -> Self {
        self.allow_plain_text = allow;
        self
    }

    /// How long the keyring may take to answer (default 5 s).
    pub fn keyring_timeout(mut self, timeout: Duration) -> Self {
        self.keyring_timeout = timeout;
        self
    }

    /// The token file: `tokens.json` in `oauthkit/{app}` of the user's data
    /// directory.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when there is no data directory (HOME unset).
    pub fn path(&self) -> Result<PathBuf> {
        Ok(super::default_store_path()?
            .with_file_name(&self.app)
            .join("tokens.json"))
    }

    /// The keyring service that keeps the key: `oauthkit:{app}`.
    pub fn keyring_service(&self) -> String {
        format!("oauthkit:{}", self.app)
    }

    /// Opens the store.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when no keyring answers and plain text is not
    /// allowed; [`Error::Unsupported`] naming the cargo feature when this
    /// build lacks `keyring`; [`Error::Decryption`] when plain text is
    /// allowed but the file holds sealed records (its key is in the
    /// unreachable keyring); the errors of [`JsonFileStore::open`] and of a
    /// spec in `OAUTHKIT_STORE`.
    pub fn open(&self) -> Result<DefaultStore> {
        if let Ok(spec) = std::env::var(STORE_ENV) {
            if !spec.is_empty() {
                return Ok(DefaultStore {
                    store: super::open(&spec)?,
                    protection: Protection::FromSpec,
                    location: spec,
                });
            }
        }
        let path = self.path()?;
        let file = JsonFileStore::open(&path)?;
        let location = path.display().to_string();
        match self.keyring_keys() {
            Ok(keys) => {
                let key_source = keys.source().to_owned();
                log::debug!("default store {location}: encrypted, key from {key_source}");
                let sealed = super::EncryptedStore::new(file, keys);
                // plain records left by an earlier plain-text run are
                // encrypted now: an upgrade, never a downgrade
                sealed.rekey()?;
                Ok(DefaultStore {
                    store: Arc::new(sealed),
                    protection: Protection::Encrypted { key_source },
                    location,
                })
            }
            Err(e) if self.plain_text_allowed() => {
                log::warn!(
                    "default store {location}: no keyring key ({e}); tokens are stored in plain text \
                     as allowed"
                );
                refuse_sealed_records(&file)?;
                Ok(DefaultStore {
                    store: Arc::new(file),
                    protection: Protection::PlainText { why: e.to_string() },
                    location,
                })
            }
            // A build without the `keyring` feature: no keyring can help,
            // the build (or the spec) has to change.
            Err(e) if e.kind() == crate::ErrorKind::Unsupported => Err(Error::Unsupported {
                backend: "the default store",
                operation: "encrypt tokens: its key lives in the OS keyring and this build of \
                            oauthkit lacks the cargo feature `keyring` (build it with --features \
                            keyring), or set OAUTHKIT_STORE to a spec with encrypt=env:NAME, \
                            file:PATH or passphrase-env:NAME, or allow plain text with \
                            OAUTHKIT_ALLOW_PLAINTEXT=1",
            }),
            Err(e) => {
                // The keyring's own "keyring unavailable: ..." would repeat
                // this error's prefix (and, as a cause, the whole sentence
                // in the report a C or Python program shows): its message
                // says why, its cause stays this error's cause.
                let (why, source) = match e {
                    Error::Unavailable {
                        message, source, ..
                    } => (message, source),
                    other => (
                        other.to_string(),
                        Some(Box::new(other) as crate::error::BoxError),
                    ),
                };
                Err(Error::Unavailable {
                    backend: "keyring",
                    message: format!(
                        "the default store encrypts tokens with a key kept in the OS keyring, and \
                         {why}. Start a keyring (e.g. gnome-keyring), set {STORE_ENV} to a spec \
                         with encrypt=env:NAME, file:PATH or passphrase-env:NAME, or allow plain \
                         text with {ALLOW_PLAINTEXT_ENV}=1",
                        why = lowercase_first(&why)
                    ),
                    source,
                })
            }
        }
    }

    fn plain_text_allowed(&self) -> bool {
        self.allow_plain_text
            || std::env::var(ALLOW_PLAINTEXT_ENV)
                .map(|v| matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes"))
                .unwrap_or(false)
    }

    #[cfg(feature = "keyring")]
    fn keyring_keys(&self) -> Result<super::SealingKeys> {
        super::SealingKeys::from_keyring_with_timeout(&self.keyring_service(), self.keyring_timeout)
    }

    #[cfg(not(feature = "keyring"))]
    fn keyring_keys(&self) -> Result<super::SealingKeys> {
        let _ = self.keyring_timeout;
        Err(crate::feature_off!(
            "the OS keyring",
            "keep an encryption key",
            "keyring"
        ))
    }
}

/// In plain-text mode, a file that holds sealed records is an error: its key
/// is in a keyring that did not answer, and the sealed text is no token.
fn refuse_sealed_records(file: &JsonFileStore) -> Result<()> {
    for ns in file.namespaces()? {
        let handle = file.in_namespace(&ns);
        for (key, t) in handle.load_all()? {
            if t.token_type == super::encrypted::SEALED_TOKEN_TYPE {
                return Err(Error::Decryption {
                    location: format!("file store, namespace '{ns}', key '{key}'"),
                    key_id: None,
                    reason: "the record is encrypted and its key is in the OS keyring, which \
                             did not answer; plain-text mode cannot read it"
                        .into(),
                });
            }
        }
    }
    Ok(())
}

fn lowercase_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}
