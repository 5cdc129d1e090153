//! The [`TokenStore`] trait, the one interface every backend implements.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::error::Result;
use crate::token::TokenSet;

use super::KeyLock;
use crate::error::Error;

/// The namespace a store uses unless told otherwise (also the namespace
/// of the shared token file format, see [`JsonFileStore`](crate::store::JsonFileStore)).
pub const DEFAULT_NAMESPACE: &str = "DEFAULT";

/// Longest key or namespace accepted, in bytes.
pub const MAX_KEY_LEN: usize = 512;

/// A place that keeps token sets by key. Blocking, and shareable between
/// threads.
///
/// Implementations keep what they are given: a loaded token set equals the
/// saved one field for field (the JSON file and SQLite stores fill an
/// empty `resource_server` with the key). A missing key is `Ok(None)`, never
/// an error; storage that cannot be read is [`Error::Corrupt`](crate::Error::Corrupt) and is left as
/// it was.
///
/// ```
/// use oauthkit::{store::MemoryStore, TokenSet, TokenStore};
/// # fn main() -> oauthkit::Result<()> {
/// let store = MemoryStore::new();
/// store.save("alice", &TokenSet::bearer("at").with_refresh_token("rt"))?;
/// assert!(store.exists("alice")?);
/// assert_eq!(store.list_keys()?, vec!["alice".to_string()]);
/// let tokens = store.load("alice")?.expect("saved above");
/// assert_eq!(tokens.access_token.expose(), "at");
/// assert!(store.delete("alice")?);
/// assert!(store.load("alice")?.is_none());
/// # Ok(()) }
/// ```
pub trait TokenStore: Send + Sync {
    /// Saves (inserts or replaces) the token set under `key`.
    ///
    /// # Errors
    ///
    /// Implementations return [`Error::InvalidArgument`](crate::Error::InvalidArgument) for a key or namespace
    /// that [`check_key`] refuses, [`Error::DpopKeyUnprotected`](crate::Error::DpopKeyUnprotected) for a DPoP-bound
    /// set when [`protects_secrets`](Self::protects_secrets) is `false`, and their
    /// backend's failure otherwise: [`Error::Io`](crate::Error::Io) or [`Error::Storage`](crate::Error::Storage) when the
    /// write fails, [`Error::Unavailable`](crate::Error::Unavailable) when the backend cannot be reached,
    /// [`Error::LockTimeout`](crate::Error::LockTimeout) when a file or row lock is not taken in time. A
    /// failed save leaves the token set stored before in place.
    fn save(&self, key: &str, tokens: &TokenSet) -> Result<()>;

    /// Loads the token set under `key`; `None` when there is none.
    ///
    /// # Errors
    ///
    /// A missing key is `Ok(None)`, never an error. Implementations return
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) for a key or namespace [`check_key`] refuses,
    /// [`Error::Corrupt`](crate::Error::Corrupt) when the stored data cannot be parsed (and leave it as
    /// it was), and the backend failures listed under [`save`](Self::save).
    /// Wrappers add their own: [`Error::Decryption`](crate::Error::Decryption) from an [`EncryptedStore`](crate::store::EncryptedStore)
    /// whose record does not open, [`Error::Validation`](crate::Error::Validation) from a
    /// [`ValidatingStore`](crate::store::ValidatingStore) whose validator refuses the set.
    fn load(&self, key: &str) -> Result<Option<TokenSet>>;

    /// Deletes the token set under `key`; whether there was one.
    ///
    /// # Errors
    ///
    /// Nothing stored under `key` is `Ok(false)`, never an error. Otherwise the
    /// errors of [`save`](Self::save) (without the DPoP refusal); a failed
    /// delete leaves the token set in place.
    fn delete(&self, key: &str) -> Result<bool>;

    /// Whether a token set is stored under `key`.
    ///
    /// # Errors
    ///
    /// As [`load`](Self::load), which the default implementation calls.
    fn exists(&self, key: &str) -> Result<bool> {
        Ok(self.load(key)?.is_some())
    }

    /// The keys of this namespace, sorted.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`](crate::Error::Unsupported) from a backend that cannot enumerate its
    /// keys, [`Error::Corrupt`](crate::Error::Corrupt) when the storage cannot be parsed, and
    /// the backend failures listed under [`save`](Self::save).
    fn list_keys(&self) -> Result<Vec<String>>;

    /// The namespace this handle reads and writes.
    fn namespace(&self) -> &str;

    /// Every namespace the underlying storage holds, sorted.
    ///
    /// # Errors
    ///
    /// As [`list_keys`](Self::list_keys).
    fn namespaces(&self) -> Result<Vec<String>>;

    /// A short name of the backend, for messages (`"memory"`, `"file"`...).
    fn backend(&self) -> &'static str;

    /// Every token set of this namespace by key.
    ///
    /// # Errors
    ///
    /// As [`list_keys`](Self::list_keys) and [`load`](Self::load); the first
    /// failure ends the call.
    fn load_all(&self) -> Result<BTreeMap<String, TokenSet>> {
        let mut all = BTreeMap::new();
        for key in self.list_keys()? {
            if let Some(t) = self.load(&key)? {
                all.insert(key, t);
            }
        }
        Ok(all)
    }

    /// Saves several token sets. Backends that can do so write them in one
    /// atomic step.
    ///
    /// # Errors
    ///
    /// As [`save`](Self::save) for each set. The default implementation stops
    /// at the first failure, leaving the sets saved before it; backends that
    /// write in one atomic step (JSON file, SQLite) save none of them then.
    fn save_all(&self, tokens: &BTreeMap<String, TokenSet>) -> Result<()> {
        for (key, t) in tokens {
            self.save(key, t)?;
        }
        Ok(())
    }

    /// Takes an exclusive lock on `key` that other processes sharing this
    /// storage respect, waiting at most `timeout`. The session manager holds
    /// it while it re-reads and refreshes, so that two processes never spend
    /// the same rotating refresh token. Backends with no cross-process reach
    /// return a lock that only orders nothing ([`KeyLock::noop`]); in-process
    /// ordering is the caller's job.
    ///
    /// # Errors
    ///
    /// [`Error::LockTimeout`](crate::Error::LockTimeout) when the lock is not taken within `timeout`;
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) for a key [`check_key`] refuses;
    /// [`Error::Io`](crate::Error::Io) when a lock file cannot be created or locked;
    /// [`Error::Unavailable`](crate::Error::Unavailable) or [`Error::Storage`](crate::Error::Storage) when a network backend
    /// (Redis, memcached) cannot be asked. The default implementation never
    /// fails.
    fn lock_key(&self, key: &str, timeout: Duration) -> Result<KeyLock> {
        let _ = (key, timeout);
        Ok(KeyLock::noop())
    }

    /// [`save`](Self::save) made while holding `lock` (from
    /// [`lock_key`](Self::lock_key) on the same key): written only if the
    /// lock is still held. Stores whose locks can be lost (a lease that
    /// ran out, a lock file someone removed) check it in the same atomic
    /// step as the write (Redis: one Lua script; memcached: compare-and-swap;
    /// JSON file: under the file's write lock; SQLite: inside the write
    /// transaction). The default checks [`KeyLock::confirm`] and then
    /// saves, which is exact for locks that cannot be lost.
    ///
    /// # Errors
    ///
    /// [`Error::LockLost`](crate::Error::LockLost) when the lock is no longer held (nothing was
    /// written); [`Error::InvalidArgument`](crate::Error::InvalidArgument) for a lock taken on another
    /// key; otherwise as [`save`](Self::save).
    fn save_locked(&self, key: &str, tokens: &TokenSet, lock: &KeyLock) -> Result<()> {
        lock.confirm_before("saving tokens")?;
        self.save(key, tokens)
    }

    /// [`delete`](Self::delete) made while holding `lock`, fenced as
    /// [`save_locked`](Self::save_locked) is.
    ///
    /// # Errors
    ///
    /// [`Error::LockLost`](crate::Error::LockLost) when the lock is no longer held (nothing was
    /// deleted); [`Error::InvalidArgument`](crate::Error::InvalidArgument) for a lock taken on another
    /// key; otherwise as [`delete`](Self::delete).
    fn delete_locked(&self, key: &str, lock: &KeyLock) -> Result<bool> {
        lock.confirm_before("deleting tokens")?;
        self.delete(key)
    }

    /// Whether the storage keeps secrets safe enough to hold private keys:
    /// encrypted at rest ([`EncryptedStore`](crate::store::EncryptedStore)), in the OS keyring, or never
    /// written anywhere ([`MemoryStore`](crate::store::MemoryStore)). Stores that answer `false` (the
    /// default: JSON file, SQLite, Redis, memcached without encryption)
    /// refuse DPoP-bound token sets with
    /// [`Error::DpopKeyUnprotected`](crate::Error::DpopKeyUnprotected), since those carry their private key
    /// ([`TokenSet::dpop_key`]).
    ///
    /// ```
    /// use oauthkit::store::{EncryptedStore, JsonFileStore, MemoryStore, SealingKeys};
    /// use oauthkit::provider::SigningAlgorithm;
    /// use oauthkit::unversioned::provider::DpopKey;
    /// use oauthkit::{ErrorKind, TokenSet, TokenStore};
    /// # let dir = tempfile::tempdir().unwrap();
    /// let bound = TokenSet::bearer("at").with_dpop_key(DpopKey::generate(SigningAlgorithm::ES256)?);
    /// let plain = JsonFileStore::open(dir.path().join("tokens.json"))?;
    /// assert!(!plain.protects_secrets());
    /// assert_eq!(plain.save("k", &bound).unwrap_err().kind(), ErrorKind::Unsupported);
    /// let sealed = EncryptedStore::new(plain, SealingKeys::from_text(SealingKeys::generate_key_text().expose())?);
    /// assert!(sealed.protects_secrets());
    /// sealed.save("k", &bound)?;
    /// assert_eq!(sealed.load("k")?.unwrap().dpop_key, bound.dpop_key);
    /// assert!(MemoryStore::new().protects_secrets());
    /// # Ok::<(), oauthkit::Error>(())
    /// ```
    fn protects_secrets(&self) -> bool {
        false
    }

    /// Stores a record [`EncryptedStore`](crate::store::EncryptedStore)
    /// sealed (under `lock` when given). Internal to oauthkit: the default
    /// stores its placeholder token set with [`save`](Self::save) /
    /// [`save_locked`](Self::save_locked); backends that keep bytes (Redis)
    /// store the record as it is.
    ///
    /// # Errors
    /// As [`save`](Self::save) and [`save_locked`](Self::save_locked).
    #[doc(hidden)]
    fn save_sealed(
        &self,
        key: &str,
        record: &crate::store::SealedBytes,
        lock: Option<&KeyLock>,
    ) -> Result<()> {
        let placeholder = record.placeholder();
        match lock {
            Some(lock) => self.save_locked(key, &placeholder, lock),
            None => self.save(key, &placeholder),
        }
    }

    /// Reads what [`save_sealed`](Self::save_sealed) (or a plain
    /// [`save`](Self::save)) stored. Internal to oauthkit: the default is
    /// [`load`](Self::load).
    ///
    /// # Errors
    /// As [`load`](Self::load).
    #[doc(hidden)]
    fn load_sealed(&self, key: &str) -> Result<Option<crate::store::RawRecord>> {
        Ok(self.load(key)?.map(crate::store::RawRecord::Tokens))
    }
}

/// Checks a key or namespace: non-empty, at most [`MAX_KEY_LEN`] bytes, no
/// control characters.
///
/// # Errors
///
/// [`Error::InvalidArgument`], naming `what`, when `key` is empty, longer
/// than [`MAX_KEY_LEN`] bytes or holds a control character.
pub fn check_key(what: &str, key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(Error::InvalidArgument(format!("{what} must not be empty")));
    }
    if key.len() > MAX_KEY_LEN {
        return Err(Error::InvalidArgument(format!(
            "{what} is {} bytes long; the limit is {MAX_KEY_LEN}",
            key.len()
        )));
    }
    // Control characters (Unicode Cc: C0, DEL, C1). Keys are nearly always
    // ASCII, where a byte test is enough; C1 needs the characters.
    let control = if key.is_ascii() {
        key.bytes().any(|b| b < 0x20 || b == 0x7f)
    } else {
        key.chars().any(char::is_control)
    };
    if control {
        return Err(Error::InvalidArgument(format!(
            "{what} must not contain control characters"
        )));
    }
    Ok(())
}
