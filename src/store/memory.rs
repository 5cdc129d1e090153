//! [`MemoryStore`]: token sets in process memory.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use super::{check_key, TokenStore, DEFAULT_NAMESPACE};
use crate::error::Result;
use crate::token::TokenSet;

/// Namespace -> key -> token set. Hash maps: a save or load is one hash and
/// one comparison however many sets are stored; the lists are sorted when
/// asked for.
type Namespaces = HashMap<String, HashMap<String, TokenSet>>;

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
    data: Arc<RwLock<Namespaces>>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    /// An empty store on the default namespace.
    pub fn new() -> Self {
        MemoryStore {
            namespace: DEFAULT_NAMESPACE.to_owned(),
            data: Arc::default(),
        }
    }

    /// A handle on `namespace` of the same memory.
    pub fn in_namespace(&self, namespace: impl Into<String>) -> Self {
        let namespace = namespace.into();
        MemoryStore {
            namespace,
            data: Arc::clone(&self.data),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Namespaces> {
        // A panic while holding the lock cannot leave a half-written map
        // (every write is a single insert or remove), so poison is ignored.
        self.data.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Namespaces> {
        self.data.write().unwrap_or_else(|p| p.into_inner())
    }
}

impl TokenStore for MemoryStore {
    fn save(&self, key: &str, tokens: &TokenSet) -> Result<()> {
        check_key("key", key)?;
        // Clone outside the lock; allocate the namespace and key strings
        // only when they are new (a refresh overwrites an existing key).
        let tokens = tokens.clone();
        let mut data = self.write();
        let ns = match data.get_mut(self.namespace.as_str()) {
            Some(ns) => ns,
            None => data.entry(self.namespace.clone()).or_default(),
        };
        match ns.get_mut(key) {
            Some(slot) => *slot = tokens,
            None => {
                ns.insert(key.to_owned(), tokens);
            }
        }
        Ok(())
    }

    fn load(&self, key: &str) -> Result<Option<TokenSet>> {
        check_key("key", key)?;
        Ok(self
            .read()
            .get(&self.namespace)
            .and_then(|ns| ns.get(key))
            .cloned())
    }

    fn delete(&self, key: &str) -> Result<bool> {
        check_key("key", key)?;
        let mut data = self.write();
        let Some(ns) = data.get_mut(&self.namespace) else {
            return Ok(false);
        };
        let removed = ns.remove(key).is_some();
        if ns.is_empty() {
            data.remove(&self.namespace);
        }
        Ok(removed)
    }

    fn exists(&self, key: &str) -> Result<bool> {
        check_key("key", key)?;
        Ok(self
            .read()
            .get(&self.namespace)
            .is_some_and(|ns| ns.contains_key(key)))
    }

    fn list_keys(&self) -> Result<Vec<String>> {
        let mut keys: Vec<String> = self
            .read()
            .get(&self.namespace)
            .map(|ns| ns.keys().cloned().collect())
            .unwrap_or_default();
        keys.sort_unstable();
        Ok(keys)
    }

    fn namespace(&self) -> &str {
        &self.namespace
    }

    fn namespaces(&self) -> Result<Vec<String>> {
        let mut names: Vec<String> = self.read().keys().cloned().collect();
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
        let mut data = self.write();
        let ns = data.entry(self.namespace.clone()).or_default();
        ns.extend(copies);
        Ok(())
    }
}
