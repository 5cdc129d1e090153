//! [`SealingKeys`]: the data keys an [`EncryptedStore`](super::EncryptedStore)
//! seals and opens records with.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use crate::digest::sha256_parts;
use crate::hex::hex;
use aws_lc_rs::aead::{LessSafeKey, UnboundKey, AES_256_GCM};
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use zeroize::Zeroizing;

use super::kdf::KdfParams;
use crate::error::{Error, Result};
use crate::secret::Secret;

/// Length of a data key: AES-256.
pub const KEY_LEN: usize = 32;

/// The keys an [`EncryptedStore`](super::EncryptedStore) uses: one
/// **current** key that seals every write, and older keys that still open
/// records written before a rotation, until
/// [`rekey`](super::EncryptedStore::rekey) has re-sealed them and the old
/// keys are dropped.
///
/// Every key has an id that travels with each record it sealed: a raw key's
/// id is `k-` and 12 hex digits of a hash of the key; a passphrase key's id
/// names the KDF, its parameters and its salt, so any process that knows the
/// passphrase can derive it again.
///
/// Cloning is cheap (the keys are shared). `Debug` shows key ids, never key
/// material.
///
/// ```
/// use oauthkit::store::SealingKeys;
/// # fn main() -> oauthkit::Result<()> {
/// let text = SealingKeys::generate_key_text();   // keep this somewhere safe
/// let keys = SealingKeys::from_text(text.expose())?;
/// assert!(keys.current_key_id().starts_with("k-"));
/// assert!(!format!("{keys:?}").contains(text.expose()));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SealingKeys {
    inner: Arc<Inner>,
}

struct Inner {
    current: String,
    /// The current key, built once: every seal uses it without a lock or a
    /// map lookup.
    current_key: Arc<DataKey>,
    keys: Mutex<HashMap<String, Arc<DataKey>>>,
    passphrase: Option<Secret>,
    source: String,
}

/// One key: the AEAD key that seals records and, derived from the same
/// bytes, the HMAC key that turns secret lookup values (a server store's
/// access tokens, refresh tokens and codes) into stable lookup keys.
pub(crate) struct DataKey {
    pub aead: LessSafeKey,
    pub lookup: aws_lc_rs::hmac::Key,
}

impl DataKey {
    fn new(bytes: &[u8; KEY_LEN]) -> Self {
        let derive = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, bytes);
        let lookup_bytes = Zeroizing::new(
            aws_lc_rs::hmac::sign(&derive, b"oauthkit lookup key v1")
                .as_ref()
                .to_vec(),
        );
        DataKey {
            aead: aead_key(bytes),
            lookup: aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &lookup_bytes),
        }
    }
}

impl SealingKeys {
    /// Keys from raw 32-byte keys; the first is current.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `keys` is empty.
    pub fn from_raw_keys<I, K>(keys: I) -> Result<Self>
    where
        I: IntoIterator<Item = K>,
        K: std::borrow::Borrow<[u8; KEY_LEN]>,
    {
        let mut map = HashMap::new();
        let mut current = None;
        for k in keys {
            let k: &[u8; KEY_LEN] = k.borrow();
            let id = raw_key_id(k);
            current.get_or_insert_with(|| id.clone());
            map.insert(id, Arc::new(DataKey::new(k)));
        }
        let current = current.ok_or_else(|| {
            Error::InvalidArgument("an encrypted store needs at least one key".into())
        })?;
        Ok(Self::assemble(current, map, None, "raw keys".into()))
    }

    /// Keys from text: one or more base64 (standard or URL-safe) encodings
    /// of 32 random bytes, separated by whitespace or commas; the first is
    /// current. This is the format of [`from_env`](Self::from_env),
    /// [`from_file`](Self::from_file) and
    /// [`generate_key_text`](Self::generate_key_text).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the position of a key that is not
    /// base64 of 32 bytes (never the text itself).
    pub fn from_text(text: &str) -> Result<Self> {
        let mut raw = Vec::new();
        for (i, word) in text
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|w| !w.is_empty())
            .enumerate()
        {
            let word = word.trim_end_matches('=');
            let bytes = Zeroizing::new(
                URL_SAFE_NO_PAD
                    .decode(word)
                    .or_else(|_| STANDARD_NO_PAD.decode(word))
                    .map_err(|_| {
                        Error::InvalidArgument(format!(
                            "encryption key #{} is not base64 (expected 32 random bytes, base64-encoded)",
                            i + 1
                        ))
                    })?,
            );
            let key: [u8; KEY_LEN] = bytes.as_slice().try_into().map_err(|_| {
                Error::InvalidArgument(format!(
                    "encryption key #{} is {} bytes long; a key is {KEY_LEN} bytes",
                    i + 1,
                    bytes.len()
                ))
            })?;
            raw.push(Zeroizing::new(key));
        }
        Self::from_raw_keys(raw.iter().map(|k| &**k))
    }

    /// Keys from an environment variable holding [`from_text`](Self::from_text)'s
    /// format (for servers that share a Redis or memcached).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the variable is unset, empty or not
    /// keys; the message names the variable, never its value.
    pub fn from_env(name: &str) -> Result<Self> {
        let value = Zeroizing::new(std::env::var(name).map_err(|_| {
            Error::InvalidArgument(format!(
                "the environment variable {name} holding the store's encryption key is not set"
            ))
        })?);
        Self::from_text(&value)
            .map_err(|e| Error::InvalidArgument(format!("{name}: {}", message_of(e))))
            .map(|k| k.with_source(format!("environment variable {name}")))
    }

    /// Keys from a file holding [`from_text`](Self::from_text)'s format. The
    /// file must be private to its owner (mode 0600 or stricter) and is not
    /// reached through a symbolic link.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the file is readable by others or not
    /// keys; [`Error::Io`] when it cannot be read.
    pub fn from_file(path: &std::path::Path) -> Result<Self> {
        let text = super::key_file::read_private(path)?;
        Self::from_text(&text)
            .map_err(|e| Error::InvalidArgument(format!("{}: {}", path.display(), message_of(e))))
            .map(|k| k.with_source(format!("key file {}", path.display())))
    }

    /// A key derived from a passphrase with Argon2id ([`KdfParams::default`]:
    /// 19 MiB, 2 passes, 1 lane) and a fresh random salt. Records name the
    /// salt and parameters, so a store written by several processes, each
    /// with its own salt, opens with the same passphrase.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an empty passphrase.
    pub fn from_passphrase(passphrase: impl Into<Secret>) -> Result<Self> {
        Self::from_passphrase_with(passphrase, KdfParams::default())
    }

    /// [`from_passphrase`](Self::from_passphrase) with other KDF parameters.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an empty passphrase or parameters out
    /// of [`KdfParams`]' bounds.
    pub fn from_passphrase_with(passphrase: impl Into<Secret>, params: KdfParams) -> Result<Self> {
        let passphrase = passphrase.into();
        if passphrase.is_empty() {
            return Err(Error::InvalidArgument(
                "the encryption passphrase is empty".into(),
            ));
        }
        params.check()?;
        let salt = super::kdf::fresh_salt();
        let id = params.key_id(&salt);
        let key = super::kdf::derive::<KEY_LEN>(&passphrase, &params, &salt)?;
        let mut map = HashMap::new();
        map.insert(id.clone(), Arc::new(DataKey::new(&key)));
        Ok(Self::assemble(
            id,
            map,
            Some(passphrase),
            "passphrase (Argon2id)".into(),
        ))
    }

    /// 32 fresh random bytes, base64-encoded: a key for
    /// [`from_text`](Self::from_text), an environment variable or a key
    /// file.
    ///
    /// # Panics
    ///
    /// When the operating system's random number generator fails (no key
    /// is better than a guessable one).
    pub fn generate_key_text() -> Secret {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        aws_lc_rs::rand::fill(&mut key[..]).expect("the system random generator failed");
        Secret::new(STANDARD.encode(&key[..]))
    }

    /// These keys with `older` added for opening (not sealing): the keys of
    /// a previous rotation, kept until [`rekey`](super::EncryptedStore::rekey)
    /// has run.
    pub fn with_older(self, older: &SealingKeys) -> Self {
        {
            let mut mine = self.inner.keys.lock().unwrap_or_else(|p| p.into_inner());
            let theirs = older.inner.keys.lock().unwrap_or_else(|p| p.into_inner());
            for (id, key) in theirs.iter() {
                mine.entry(id.clone()).or_insert_with(|| key.clone());
            }
        }
        self
    }

    /// The id of the key that seals new writes.
    pub fn current_key_id(&self) -> &str {
        &self.inner.current
    }

    /// The ids of every key that can open records, sorted.
    pub fn key_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .inner
            .keys
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .cloned()
            .collect();
        ids.sort();
        ids
    }

    /// Where the keys came from, for diagnostics (`environment variable
    /// OAUTHKIT_KEY`, `OS keyring service 'my-app'`, ...). Never key material.
    pub fn source(&self) -> &str {
        &self.inner.source
    }

    pub(crate) fn current(&self) -> &DataKey {
        &self.inner.current_key
    }

    /// The key named `id`: held, or derivable from the passphrase.
    pub(crate) fn key(&self, id: &str) -> Option<Arc<DataKey>> {
        if id == self.inner.current {
            return Some(Arc::clone(&self.inner.current_key));
        }
        if let Some(k) = self
            .inner
            .keys
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
        {
            return Some(k.clone());
        }
        let passphrase = self.inner.passphrase.as_ref()?;
        let (params, salt) = KdfParams::parse_key_id(id)?;
        let derived = super::kdf::derive::<KEY_LEN>(passphrase, &params, &salt).ok()?;
        let key = Arc::new(DataKey::new(&derived));
        self.inner
            .keys
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id.to_owned(), key.clone());
        Some(key)
    }

    pub(crate) fn with_source(self, source: String) -> Self {
        let inner = &self.inner;
        let keys = inner.keys.lock().unwrap_or_else(|p| p.into_inner()).clone();
        Self::assemble(
            inner.current.clone(),
            keys,
            inner.passphrase.clone(),
            source,
        )
    }

    fn assemble(
        current: String,
        keys: HashMap<String, Arc<DataKey>>,
        passphrase: Option<Secret>,
        source: String,
    ) -> Self {
        let current_key = Arc::clone(
            keys.get(&current)
                .expect("the current key is among the keys"),
        );
        SealingKeys {
            inner: Arc::new(Inner {
                current,
                current_key,
                keys: Mutex::new(keys),
                passphrase,
                source,
            }),
        }
    }
}

impl fmt::Debug for SealingKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealingKeys")
            .field("current", &self.inner.current)
            .field("key_ids", &self.key_ids())
            .field("source", &self.inner.source)
            .finish()
    }
}

fn aead_key(bytes: &[u8; KEY_LEN]) -> LessSafeKey {
    LessSafeKey::new(UnboundKey::new(&AES_256_GCM, bytes).expect("32 bytes is an AES-256 key"))
}

fn raw_key_id(key: &[u8; KEY_LEN]) -> String {
    let digest = sha256_parts(&[b"oauthkit key id v1\0", key]);
    format!("k-{}", hex(&digest[..6]))
}

fn message_of(e: Error) -> String {
    match e {
        Error::InvalidArgument(m) => m,
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ids_are_stable_and_distinct() {
        let a = SealingKeys::from_raw_keys([[1u8; 32]]).unwrap();
        let b = SealingKeys::from_raw_keys([[1u8; 32]]).unwrap();
        let c = SealingKeys::from_raw_keys([[2u8; 32]]).unwrap();
        assert_eq!(a.current_key_id(), b.current_key_id());
        assert_ne!(a.current_key_id(), c.current_key_id());
        assert_eq!(a.current_key_id().len(), 14);
    }

    #[test]
    fn text_accepts_both_alphabets_and_several_keys() {
        let k1 = STANDARD.encode([0xfbu8; 32]);
        let k2 = URL_SAFE_NO_PAD.encode([0xfbu8; 32]);
        let k3 = STANDARD.encode([3u8; 32]);
        let keys = SealingKeys::from_text(&format!(" {k1}, {k3}\n")).unwrap();
        let same = SealingKeys::from_text(&k2).unwrap();
        assert_eq!(keys.current_key_id(), same.current_key_id());
        assert_eq!(keys.key_ids().len(), 2);
    }

    #[test]
    fn bad_text_is_refused_without_echoing_it() {
        for bad in ["", "not-base64!!", "AAAA", &STANDARD.encode([1u8; 31])] {
            let e = SealingKeys::from_text(bad).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidArgument);
            if !bad.is_empty() {
                assert!(!e.to_string().contains(bad), "{e}");
            }
        }
    }

    #[test]
    fn passphrase_keys_open_across_salts() {
        let params = KdfParams::for_tests();
        let a = SealingKeys::from_passphrase_with("correct horse", params).unwrap();
        let b = SealingKeys::from_passphrase_with("correct horse", params).unwrap();
        assert_ne!(a.current_key_id(), b.current_key_id(), "fresh salts");
        assert!(b.key(a.current_key_id()).is_some());
        let wrong = SealingKeys::from_passphrase_with("wrong", params).unwrap();
        let derived = wrong.key(a.current_key_id()).unwrap();
        // derivable, but a different key: opening fails in the envelope
        let k = a.current();
        let sealed = super::super::envelope::seal(
            &k.aead,
            a.current_key_id(),
            super::super::envelope::Binding {
                namespace: "n",
                key: "k",
            },
            b"x",
        );
        let env = super::super::envelope::Envelope::parse(&sealed).unwrap();
        assert!(env
            .open(
                &derived.aead,
                super::super::envelope::Binding {
                    namespace: "n",
                    key: "k"
                }
            )
            .is_err());
    }
}
