//! Tokens encrypted at rest: [`EncryptedStore`] seals every token set before
//! any backend sees it.
//!
//! Each token set is serialised to JSON and sealed with AES-256-GCM (from
//! aws-lc-rs, the crypto library oauthkit already links) under a fresh
//! random nonce. The associated data binds the record to its namespace, its
//! key and its key id, so a record copied under another key or namespace
//! fails to open. The backend stores a placeholder token set whose access
//! token is the sealed record `oak:v1:{key id}:{base64url}` and whose token
//! type is `oauthkit-sealed-v1`; every other field is empty, so the backend
//! learns nothing but the key and that a record exists.
//!
//! Keys ([`SealingKeys`]) come from an environment variable, a private key
//! file, a passphrase (Argon2id) or the OS keyring
//! ([`SealingKeys::from_keyring`], feature `keyring`). Rotation: build the
//! new keys [`with_older`](SealingKeys::with_older) keys, call
//! [`EncryptedStore::rekey`], then drop the old keys.
//!
//! A plain-text record found by an encrypted store is refused (it could
//! have been planted); [`EncryptedStore::rekey`] encrypts such records on
//! purpose, which is how an existing plain store is migrated.
//!
//! ```
//! use oauthkit::store::{EncryptedStore, SealingKeys};
//! use oauthkit::store::MemoryStore;
//! use oauthkit::{TokenSet, TokenStore};
//! # fn main() -> oauthkit::Result<()> {
//! let keys = SealingKeys::from_text(SealingKeys::generate_key_text().expose())?;
//! let plain = MemoryStore::new();
//! let store = EncryptedStore::new(plain.clone(), keys);
//! store.save("alice", &TokenSet::bearer("at-123").with_refresh_token("rt-456"))?;
//!
//! let raw = plain.load("alice")?.unwrap();        // what the backend holds
//! assert!(raw.access_token.expose().starts_with("oak:v1:"));
//! assert!(raw.refresh_token.is_none());
//! assert_eq!(store.load("alice")?.unwrap().access_token.expose(), "at-123");
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::token::TokenSet;

use super::forward::Wraps;
use super::{KeyLock, TokenStore};

mod envelope;
mod kdf;
mod key_file;
#[cfg(feature = "keyring")]
mod keyring_key;
mod keys;
mod raw;

use envelope::Envelope;
pub(crate) use envelope::SEALED_TOKEN_TYPE;
pub(crate) use envelope::{seal as seal_record, Binding, Envelope as SealedRecord, OpenError};
pub use kdf::KdfParams;
#[cfg(feature = "keyring")]
pub(crate) use keyring_key::probe_keyring;
#[cfg(feature = "keyring")]
pub use keyring_key::{DEFAULT_KEYRING_TIMEOUT, KEYRING_ACCOUNT};
pub use keys::{SealingKeys, KEY_LEN};
#[doc(hidden)]
pub use raw::{RawRecord, SealedBytes};

/// How long [`EncryptedStore::rekey`] waits for each key's lock.
const REKEY_LOCK_TIMEOUT: Duration = Duration::from_secs(30);

/// A [`TokenStore`] that encrypts every token set before the backend `S`
/// stores it. See the repository's [stores guide](https://github.com/oauthkit/oauthkit/blob/main/docs/stores.md).
pub struct EncryptedStore<S = Box<dyn TokenStore>> {
    inner: S,
    keys: SealingKeys,
}

/// What [`EncryptedStore::rekey`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RekeyReport {
    /// Records re-sealed from an older key to the current one.
    pub resealed: usize,
    /// Plain-text records that are now encrypted.
    pub encrypted: usize,
    /// Records already sealed with the current key (left as they were).
    pub unchanged: usize,
}

impl<S: TokenStore> EncryptedStore<S> {
    /// Wraps `inner`; every record is sealed with `keys`' current key.
    pub fn new(inner: S, keys: SealingKeys) -> Self {
        EncryptedStore { inner, keys }
    }

    /// The same keys over another handle, e.g. another namespace of the
    /// same storage: `store.rewrap(file.in_namespace("other"))`.
    pub fn rewrap<T: TokenStore>(&self, inner: T) -> EncryptedStore<T> {
        EncryptedStore::new(inner, self.keys.clone())
    }

    /// The wrapped store (which holds only sealed records).
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// The keys in use.
    pub fn keys(&self) -> &SealingKeys {
        &self.keys
    }

    /// Re-seals every record of this namespace with the current key and
    /// encrypts plain-text records, each under its key lock so that no
    /// concurrent save is lost. Afterwards the older keys can be dropped.
    ///
    /// ```
    /// use oauthkit::store::{EncryptedStore, SealingKeys};
    /// use oauthkit::store::MemoryStore;
    /// use oauthkit::{TokenSet, TokenStore};
    /// # fn main() -> oauthkit::Result<()> {
    /// let backend = MemoryStore::new();
    /// let old = SealingKeys::from_raw_keys([[1u8; 32]])?;
    /// EncryptedStore::new(backend.clone(), old.clone()).save("k", &TokenSet::bearer("at"))?;
    ///
    /// let new = SealingKeys::from_raw_keys([[2u8; 32]])?;
    /// let report = EncryptedStore::new(backend.clone(), new.clone().with_older(&old)).rekey()?;
    /// assert_eq!(report.resealed, 1);
    /// // the old key is no longer needed
    /// assert!(EncryptedStore::new(backend, new).load("k")?.is_some());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The first record that cannot be opened (tampered, or sealed with a
    /// key these keys do not hold) stops the run with
    /// [`Error::Decryption`]; records already re-sealed stay re-sealed and
    /// nothing is lost.
    pub fn rekey(&self) -> Result<RekeyReport> {
        let mut report = RekeyReport::default();
        for key in self.inner.list_keys()? {
            let _lock = self.inner.lock_key(&key, REKEY_LOCK_TIMEOUT)?;
            let Some(raw) = self.inner.load_sealed(&key)? else {
                continue;
            };
            let opened = match raw {
                RawRecord::Tokens(raw) => match self.open(&key, &raw) {
                    Ok((tokens, key_id)) => Ok((tokens, key_id == self.keys.current_key_id())),
                    Err(Sealed::Plain(())) => Err(Sealed::Plain(raw)),
                    Err(Sealed::Error(e)) => Err(Sealed::Error(e)),
                },
                RawRecord::Binary(record) => self
                    .open_binary(&key, record)
                    .map(|(tokens, key_id)| (tokens, key_id == self.keys.current_key_id()))
                    .map_err(|e| match e {
                        // a binary record is never plain text
                        Sealed::Plain(()) => Sealed::Error(self.plain_refused(&key)),
                        Sealed::Error(e) => Sealed::Error(e),
                    }),
            };
            let plain = match opened {
                Ok((tokens, true)) => {
                    report.unchanged += 1;
                    drop(tokens);
                    continue;
                }
                Ok((tokens, _)) => {
                    report.resealed += 1;
                    tokens
                }
                Err(Sealed::Plain(raw)) => {
                    report.encrypted += 1;
                    raw
                }
                Err(Sealed::Error(e)) => return Err(e),
            };
            self.inner
                .save_sealed(&key, &self.seal(&key, &plain), None)?;
        }
        Ok(report)
    }

    fn binding<'a>(&'a self, key: &'a str) -> Binding<'a> {
        Binding {
            namespace: self.inner.namespace(),
            key,
        }
    }

    fn seal(&self, key: &str, tokens: &TokenSet) -> SealedBytes {
        // serialised straight into the buffer it is sealed in, sized so
        // that it never grows (a grown buffer would leave a copy of the
        // plaintext behind in freed memory, and cost a copy)
        let record = envelope::seal_binary_with(
            &self.keys.current().aead,
            self.keys.current_key_id(),
            self.binding(key),
            json_size_hint(tokens),
            |buf| serde_json::to_writer(buf, tokens).expect("a TokenSet always serialises"),
        );
        // What the backend's retention reads (`store::redis::retention`):
        // a set without a refresh token expires with its access token, as
        // it would in plain text; a refreshable set shows no expiry, so it
        // is kept. The expiry time of such a set is the only thing about
        // the tokens the backend sees in the clear.
        let expires_at = if tokens.refresh_token.is_none() {
            tokens.expires_at
        } else {
            None
        };
        SealedBytes::new(record, expires_at)
    }

    /// Opens a backend record in either form.
    fn open_raw(&self, key: &str, raw: RawRecord) -> std::result::Result<TokenSet, Sealed> {
        match raw {
            RawRecord::Tokens(raw) => self.open(key, &raw).map(|(tokens, _)| tokens),
            RawRecord::Binary(record) => self.open_binary(key, record).map(|(tokens, _)| tokens),
        }
    }

    /// Opens a binary-form record: the token set and the id of the key
    /// that sealed it.
    fn open_binary(
        &self,
        key: &str,
        mut record: Vec<u8>,
    ) -> std::result::Result<(TokenSet, String), Sealed> {
        let key_id = Envelope::parse_binary(&mut record)
            .map_err(|e| Sealed::Error(self.error(key, None, &e)))?;
        let tokens = self.open_envelope(
            key,
            Envelope {
                key_id: &key_id,
                body: record,
            },
        )?;
        Ok((tokens, key_id))
    }

    /// Opens a backend record: the token set and the id of the key that
    /// sealed it.
    fn open<'r>(
        &self,
        key: &str,
        raw: &'r TokenSet,
    ) -> std::result::Result<(TokenSet, &'r str), Sealed> {
        let text = raw.access_token.expose();
        let envelope = match Envelope::parse(text) {
            Err(OpenError::NotSealed) if raw.token_type != SEALED_TOKEN_TYPE => {
                return Err(Sealed::Plain(()))
            }
            Err(e) => return Err(Sealed::Error(self.error(key, None, &e))),
            Ok(env) => env,
        };
        let key_id = envelope.key_id;
        Ok((self.open_envelope(key, envelope)?, key_id))
    }

    /// Opens a parsed record.
    fn open_envelope(
        &self,
        key: &str,
        envelope: Envelope<'_>,
    ) -> std::result::Result<TokenSet, Sealed> {
        let key_id = envelope.key_id;
        let Some(data_key) = self.keys.key(key_id) else {
            return Err(Sealed::Error(Error::Decryption {
                location: self.location(key),
                key_id: Some(key_id.to_owned()),
                reason: format!(
                    "it was sealed with key '{key_id}', which this store does not hold (it holds {})",
                    self.keys.key_ids().join(", ")
                ),
            }));
        };
        let plain = envelope
            .open(&data_key.aead, self.binding(key))
            .map(crate::secret::WipedBytes)
            .map_err(|e| Sealed::Error(self.error(key, Some(key_id), &e)))?;
        let json = std::str::from_utf8(&plain.0).map_err(|_| {
            Sealed::Error(self.error(key, Some(key_id), &OpenError::Malformed("not UTF-8")))
        })?;
        let tokens = TokenSet::from_json(json).map_err(|_| {
            Sealed::Error(self.error(
                key,
                Some(key_id),
                &OpenError::Malformed("the opened record is not a token set"),
            ))
        })?;
        Ok(tokens)
    }

    fn location(&self, key: &str) -> String {
        format!(
            "{} store, namespace '{}', key '{key}'",
            self.inner.backend(),
            self.inner.namespace()
        )
    }

    fn plain_refused(&self, key: &str) -> Error {
        Error::Decryption {
            location: self.location(key),
            key_id: None,
            reason: "the record is plain text, not encrypted; an encrypted store does not \
                     read plain records (call rekey() to encrypt existing records)"
                .into(),
        }
    }

    fn error(&self, key: &str, key_id: Option<&str>, e: &OpenError) -> Error {
        let reason = match e {
            OpenError::NotSealed => "the record is not in oauthkit's sealed format".to_owned(),
            OpenError::Malformed(why) => format!("the sealed record is malformed ({why})"),
            OpenError::Integrity => "the integrity check failed: the record was altered, \
                 truncated or moved from another key or namespace, or the key is wrong"
                .to_owned(),
        };
        Error::Decryption {
            location: self.location(key),
            key_id: key_id.map(str::to_owned),
            reason,
        }
    }
}

/// An upper bound, nearly always, on the length of `tokens`' JSON: the
/// lengths of its strings plus room for the field names, numbers and the
/// `extra` members (whose JSON is not known without writing it).
fn json_size_hint(tokens: &TokenSet) -> usize {
    let secret = |s: &Option<crate::secret::Secret>| s.as_ref().map_or(0, |s| s.expose().len());
    let text = |s: &Option<String>| s.as_ref().map_or(0, String::len);
    tokens.access_token.expose().len()
        + secret(&tokens.refresh_token)
        + secret(&tokens.id_token)
        + tokens.token_type.len()
        + tokens.scopes.iter().map(|s| s.len() + 3).sum::<usize>()
        + text(&tokens.resource_server)
        + text(&tokens.identity_id)
        + tokens.extra.len() * 64
        + 512
}

/// Why a backend record did not open.
enum Sealed<P = ()> {
    /// It is plain text (`P`: the record, where the caller needs it).
    Plain(P),
    Error(Error),
}

impl<S: TokenStore> Wraps for EncryptedStore<S> {
    type Inner = S;
    fn wrapped(&self) -> &S {
        &self.inner
    }
}

impl<S: TokenStore> TokenStore for EncryptedStore<S> {
    // what needs no sealing or opening goes to the backend as it is
    forward_to_wrapped!(
        delete,
        exists,
        list_keys,
        namespace,
        namespaces,
        backend,
        lock_key,
        delete_locked,
    );

    fn save(&self, key: &str, tokens: &TokenSet) -> Result<()> {
        super::check_key("key", key)?;
        self.inner.save_sealed(key, &self.seal(key, tokens), None)
    }

    fn load(&self, key: &str) -> Result<Option<TokenSet>> {
        let Some(raw) = self.inner.load_sealed(key)? else {
            return Ok(None);
        };
        match self.open_raw(key, raw) {
            Ok(tokens) => Ok(Some(tokens)),
            Err(Sealed::Plain(())) => Err(self.plain_refused(key)),
            Err(Sealed::Error(e)) => Err(e),
        }
    }

    /// Records are sealed with AES-256-GCM before the backend sees them.
    fn protects_secrets(&self) -> bool {
        true
    }

    fn load_all(&self) -> Result<BTreeMap<String, TokenSet>> {
        let mut all = BTreeMap::new();
        for (key, raw) in self.inner.load_all()? {
            let tokens = match self.open(&key, &raw) {
                Ok((tokens, _)) => tokens,
                Err(Sealed::Plain(())) => return Err(self.plain_refused(&key)),
                Err(Sealed::Error(e)) => return Err(e),
            };
            all.insert(key, tokens);
        }
        Ok(all)
    }

    fn save_all(&self, tokens: &BTreeMap<String, TokenSet>) -> Result<()> {
        let mut sealed = BTreeMap::new();
        for (key, t) in tokens {
            super::check_key("key", key)?;
            sealed.insert(key.clone(), self.seal(key, t).placeholder());
        }
        self.inner.save_all(&sealed)
    }

    fn save_locked(&self, key: &str, tokens: &TokenSet, lock: &KeyLock) -> Result<()> {
        super::check_key("key", key)?;
        self.inner
            .save_sealed(key, &self.seal(key, tokens), Some(lock))
    }
}

impl<S: TokenStore> fmt::Debug for EncryptedStore<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptedStore")
            .field("backend", &self.inner.backend())
            .field("namespace", &self.inner.namespace())
            .field("keys", &self.keys)
            .finish()
    }
}
