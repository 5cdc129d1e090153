//! [`MemoryStore`]: token sets in process memory.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use super::{check_key, TokenStore, DEFAULT_NAMESPACE};
use crate::error::Result;
use crate::token::TokenSet;

/// One namespace's sets, key -> token set. A hash map: a save or load is
/// one hash and one comparison however many sets are stored; lists are
/// sorted when asked for.
type Sets = Arc<RwLock<HashMap<String, TokenSet>>>;

/// Namespace -> its sets. A namespace stays here once a handle has been
/// made for it (so every handle keeps reaching the same sets); one without
/// sets is not listed.
type Namespaces = HashMap<String, Sets>;

/// Keeps token sets in memory, shared by every clone and by every handle
/// from [`in_namespace`](MemoryStore::in_namespace). Thread-safe; gone when
/// the process ends. Loads return copies, so a caller cannot change what is
/// stored by mutating what it loaded.
///
/// ```
/// use oauthkit::{store::MemoryStore, TokenSet, TokenStore};
/// let store = MemoryStore::new();
/// let other = store.in_namespace("other-app");
/// other.save("k", &TokenSet::bearer("at")).unwrap();
/// assert!(store.load("k").unwrap().is_none());
/// assert_eq!(store.namespaces().unwrap(), vec!["other-app".to_string()]);
/// ```
#[derive(Clone, Debug)]
pub struct MemoryStore {
    namespace: String,
    /// This handle's namespace, looked up once when the handle is made:
    /// a save or load hashes the key only (as a bare map would).
    sets: Sets,
    all: Arc<RwLock<Namespaces>>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    /// An empty store on the default namespace.
    pub fn new() -> Self {
        let all: Arc<RwLock<Namespaces>> = Arc::default();
        Self::handle(&all, DEFAULT_NAMESPACE.to_owned())
    }

    /// A handle on `namespace` of the same memory.
    pub fn in_namespace(&self, namespace: impl Into<String>) -> Self {
        Self::handle(&self.all, namespace.into())
    }

    fn handle(all: &Arc<RwLock<Namespaces>>, namespace: String) -> Self {
        let sets = Arc::clone(write(all).entry(namespace.clone()).or_default());
        MemoryStore {
            namespace,
            sets,
            all: Arc::clone(all),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, TokenSet>> {
        read(&self.sets)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, TokenSet>> {
        write(&self.sets)
    }
}

// A panic while holding a lock cannot leave a half-written map (every
// write is a single insert or remove), so poison is ignored.
fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|p| p.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|p| p.into_inner())
}

impl TokenStore for MemoryStore {
    fn save(&self, key: &str, tokens: &TokenSet) -> Result<()> {
        check_key("key", key)?;
        // Clone outside the lock; allocate the key only when it is new (a
        // refresh overwrites an existing key); the replaced set is freed
        // after the lock is released.
        let tokens = tokens.clone();
        let mut sets = self.write();
        let old = match sets.get_mut(key) {
            Some(slot) => Some(std::mem::replace(slot, tokens)),
            None => sets.insert(key.to_owned(), tokens),
        };
        drop(sets);
        drop(old);
        Ok(())
    }

    fn load(&self, key: &str) -> Result<Option<TokenSet>> {
        check_key("key", key)?;
        Ok(self.read().get(key).cloned())
    }

    fn delete(&self, key: &str) -> Result<bool> {
        check_key("key", key)?;
        let removed = self.write().remove(key);
        Ok(removed.is_some())
    }

    fn exists(&self, key: &str) -> Result<bool> {
        check_key("key", key)?;
        Ok(self.read().contains_key(key))
    }

    fn list_keys(&self) -> Result<Vec<String>> {
        let mut keys: Vec<String> = self.read().keys().cloned().collect();
        keys.sort_unstable();
        Ok(keys)
    }

    fn namespace(&self) -> &str {
        &self.namespace
    }

    fn namespaces(&self) -> Result<Vec<String>> {
        let mut names: Vec<String> = read(&self.all)
            .iter()
            .filter(|(_, sets)| !read(sets).is_empty())
            .map(|(name, _)| name.clone())
            .collect();
        names.sort_unstable();
        Ok(names)
    }

    /// Nothing leaves the process.
    fn protects_secrets(&self) -> bool {
        true
    }

    fn backend(&self) -> &'static str {
        "memory"
    }

    fn save_all(&self, tokens: &BTreeMap<String, TokenSet>) -> Result<()> {
        for key in tokens.keys() {
            check_key("key", key)?;
        }
        let copies: Vec<(String, TokenSet)> =
            tokens.iter().map(|(k, t)| (k.clone(), t.clone())).collect();
        self.write().extend(copies);
        Ok(())
    }
}
