//! [`MemoryStore`]: token sets in process memory.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::{check_key, TokenStore, DEFAULT_NAMESPACE};
use crate::error::Result;
use crate::token::TokenSet;

/// One namespace's sets, key -> token set. A hash map: a save or load is
/// one hash and one comparison however many sets are stored; lists are
/// sorted when asked for.
#[derive(Debug, Default)]
struct Sets {
    sets: HashMap<String, TokenSet>,
    /// Whether this map is the one [`Namespaces`] holds for its namespace
    /// (changed only with both locks held, the namespaces' first). A
    /// detached map is empty and stays empty: a handle holding one goes
    /// through [`Namespaces`] instead.
    attached: bool,
}

type Space = Arc<RwLock<Sets>>;

/// Namespace -> its sets, for the namespaces that hold sets: a namespace
/// whose last set is deleted is dropped from here (a program that makes
/// handles for many short-lived namespaces keeps nothing of them), and
/// made again by the next save through any of its handles.
type Namespaces = HashMap<String, Space>;

/// Keeps token sets in memory, shared by every clone and by every handle
/// from [`in_namespace`](MemoryStore::in_namespace). Thread-safe; gone when
/// the process ends. Loads return copies, so a caller cannot change what is
/// stored by mutating what it loaded. A namespace without sets takes no
/// memory, whatever handles on it exist.
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
    /// This handle's namespace map, looked up once when the handle is
    /// made: while it is attached, a save or load hashes the key only (as
    /// a bare map would). Once the namespace was emptied it is detached,
    /// and the handle reaches the namespace through `all` (or attaches
    /// this map again with its next save when nobody made a new one).
    space: Space,
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
        // a namespace without sets gets a detached map of this handle's
        // own, attached by its first save
        let space = read(all).get(&namespace).cloned().unwrap_or_default();
        MemoryStore {
            namespace,
            space,
            all: Arc::clone(all),
        }
    }

    /// Reads this namespace's sets: through the handle's own map while it
    /// is attached, else through the one the namespaces hold (if any).
    fn reading<T>(&self, f: impl FnOnce(&HashMap<String, TokenSet>) -> T) -> T {
        {
            let own = read(&self.space);
            if own.attached {
                return f(&own.sets);
            }
        }
        let all = read(&self.all);
        match all.get(&self.namespace) {
            Some(space) => f(&read(space).sets),
            None => f(&HashMap::new()),
        }
    }

    /// Changes this namespace's sets with `f`: in the handle's own map
    /// while it is attached; otherwise in the map the namespaces hold,
    /// this handle's map attached again when there is none and `create`.
    /// A map that `f` left empty is dropped from the namespaces.
    fn writing<T>(&self, create: bool, f: impl FnOnce(&mut HashMap<String, TokenSet>) -> T) -> T {
        let mut own = write(&self.space);
        if own.attached {
            let out = f(&mut own.sets);
            let emptied = own.sets.is_empty();
            drop(own);
            if emptied {
                self.drop_if_empty(&self.space);
            }
            return out;
        }
        drop(own);
        // detached: the namespaces' lock first, then a map's (the order
        // every path takes)
        let mut all = write(&self.all);
        let space = match all.get(&self.namespace) {
            Some(space) => Arc::clone(space),
            None if create => {
                write(&self.space).attached = true;
                all.insert(self.namespace.clone(), Arc::clone(&self.space));
                Arc::clone(&self.space)
            }
            None => return f(&mut HashMap::new()),
        };
        let mut sets = write(&space);
        let out = f(&mut sets.sets);
        if sets.sets.is_empty() {
            sets.attached = false;
            all.remove(&self.namespace);
        }
        out
    }

    /// Drops `space` from the namespaces if it is still attached there
    /// and empty (a save may have come between).
    fn drop_if_empty(&self, space: &Space) {
        let mut all = write(&self.all);
        let mut sets = write(space);
        if sets.attached && sets.sets.is_empty() {
            sets.attached = false;
            all.remove(&self.namespace);
        }
    }
}

// A panic while holding a lock cannot leave a half-written map (every
// write is a single insert or remove), so poison is ignored.
fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|p| p.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|p| p.into_inner())
}

impl TokenStore for MemoryStore {
    fn save(&self, key: &str, tokens: &TokenSet) -> Result<()> {
        check_key("key", key)?;
        // Clone outside the lock; allocate the key only when it is new (a
        // refresh overwrites an existing key); the replaced set is freed
        // after the lock is released.
        let tokens = tokens.clone();
        let old = self.writing(true, |sets| match sets.get_mut(key) {
            Some(slot) => Some(std::mem::replace(slot, tokens)),
            None => sets.insert(key.to_owned(), tokens),
        });
        drop(old);
        Ok(())
    }

    fn load(&self, key: &str) -> Result<Option<TokenSet>> {
        check_key("key", key)?;
        Ok(self.reading(|sets| sets.get(key).cloned()))
    }

    fn delete(&self, key: &str) -> Result<bool> {
        check_key("key", key)?;
        let removed = self.writing(false, |sets| sets.remove(key));
        Ok(removed.is_some())
    }

    fn exists(&self, key: &str) -> Result<bool> {
        check_key("key", key)?;
        Ok(self.reading(|sets| sets.contains_key(key)))
    }

    fn list_keys(&self) -> Result<Vec<String>> {
        let mut keys: Vec<String> = self.reading(|sets| sets.keys().cloned().collect());
        keys.sort_unstable();
        Ok(keys)
    }

    fn namespace(&self) -> &str {
        &self.namespace
    }

    fn namespaces(&self) -> Result<Vec<String>> {
        let mut names: Vec<String> = read(&self.all)
            .iter()
            .filter(|(_, space)| !read(space).sets.is_empty())
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
        if tokens.is_empty() {
            return Ok(());
        }
        let copies: Vec<(String, TokenSet)> =
            tokens.iter().map(|(k, t)| (k.clone(), t.clone())).collect();
        self.writing(true, |sets| sets.extend(copies));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl MemoryStore {
        /// How many namespace maps the memory shared by this handle holds.
        fn namespace_maps(&self) -> usize {
            read(&self.all).len()
        }
    }

    #[test]
    fn namespaces_emptied_leave_no_map_behind() {
        let store = MemoryStore::new();
        let handles: Vec<MemoryStore> = (0..10_000)
            .map(|n| store.in_namespace(format!("short-lived-{n}")))
            .collect();
        for h in &handles {
            h.save("k", &TokenSet::bearer("at")).unwrap();
        }
        assert_eq!(store.namespace_maps(), 10_000);
        assert_eq!(store.namespaces().unwrap().len(), 10_000);
        for h in &handles {
            assert!(h.delete("k").unwrap());
        }
        // the handles are still alive: nothing of them is kept
        assert_eq!(store.namespace_maps(), 0);
        assert!(store.namespaces().unwrap().is_empty());
        // handles made and dropped without a save leave nothing either
        for n in 0..1_000 {
            let h = store.in_namespace(format!("never-saved-{n}"));
            assert!(h.load("k").unwrap().is_none());
            assert!(!h.delete("k").unwrap());
            assert!(h.list_keys().unwrap().is_empty());
        }
        assert_eq!(store.namespace_maps(), 0);
    }

    #[test]
    fn a_live_handle_works_after_its_map_was_dropped_and_made_again() {
        let store = MemoryStore::new();
        let a = store.in_namespace("ns");
        let b = store.in_namespace("ns");
        let a2 = a.clone();
        a.save("k", &TokenSet::bearer("one")).unwrap();
        assert_eq!(b.load("k").unwrap().unwrap().access_token.expose(), "one");
        assert!(b.delete("k").unwrap());
        assert_eq!(store.namespace_maps(), 0);
        assert!(a.load("k").unwrap().is_none());

        // made again by another handle: every handle reaches the new map
        b.save("k", &TokenSet::bearer("two")).unwrap();
        assert_eq!(store.namespace_maps(), 1);
        for h in [&a, &a2, &b, &store.in_namespace("ns")] {
            assert_eq!(h.load("k").unwrap().unwrap().access_token.expose(), "two");
            assert!(h.exists("k").unwrap());
            assert_eq!(h.list_keys().unwrap(), vec!["k".to_string()]);
        }
        // written through a handle whose own map was dropped
        a.save("k2", &TokenSet::bearer("three")).unwrap();
        assert_eq!(
            b.list_keys().unwrap(),
            vec!["k".to_string(), "k2".to_string()]
        );
        assert_eq!(store.namespaces().unwrap(), vec!["ns".to_string()]);
        assert_eq!(store.namespace_maps(), 1);
        // emptied through the handle that did not make the map
        assert!(a.delete("k").unwrap());
        assert!(a2.delete("k2").unwrap());
        assert_eq!(store.namespace_maps(), 0);
        assert!(b.list_keys().unwrap().is_empty());
        // and made again by the first handle, with several sets at once
        let batch: BTreeMap<String, TokenSet> = [("x", "four"), ("y", "five")]
            .map(|(k, t)| (k.to_string(), TokenSet::bearer(t)))
            .into_iter()
            .collect();
        a.save_all(&batch).unwrap();
        assert_eq!(
            b.list_keys().unwrap(),
            vec!["x".to_string(), "y".to_string()]
        );
        a.save_all(&BTreeMap::new()).unwrap();
        assert_eq!(store.namespace_maps(), 1);
        // other namespaces are untouched throughout
        assert!(store.list_keys().unwrap().is_empty());
    }

    #[test]
    fn an_empty_save_all_makes_no_map() {
        let store = MemoryStore::new();
        store.in_namespace("n").save_all(&BTreeMap::new()).unwrap();
        assert_eq!(store.namespace_maps(), 0);
    }

    #[test]
    fn concurrent_saves_and_deletes_lose_nothing() {
        // threads on one namespace, each through its own handle, each
        // emptying the namespace now and then (its map dropped and made
        // again under the others): every set saved last is there
        let store = MemoryStore::new();
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let h = store.in_namespace("shared");
                std::thread::spawn(move || {
                    for i in 0..2_000 {
                        let key = format!("t{t}");
                        h.save(&key, &TokenSet::bearer(format!("{t}-{i}"))).unwrap();
                        let got = h.load(&key).unwrap().expect("just saved");
                        assert_eq!(got.access_token.expose(), format!("{t}-{i}"));
                        if i % 3 == 0 {
                            assert!(h.delete(&key).unwrap());
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let h = store.in_namespace("shared");
        // 1999 % 3 != 0: each thread's last set stays
        assert_eq!(h.list_keys().unwrap().len(), 8);
        for t in 0..8 {
            let got = h.load(&format!("t{t}")).unwrap().unwrap();
            assert_eq!(got.access_token.expose(), format!("{t}-1999"));
        }
        assert_eq!(store.namespace_maps(), 1);
    }
}
