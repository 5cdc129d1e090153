//! Forwarding [`TokenStore`](super::TokenStore) methods to a wrapped
//! store: one table of the trait's methods, used by the smart-pointer
//! impls (`Arc`, `Box`) and by wrapper stores for the methods they leave
//! alone, so no wrapper forwards by hand.

/// A store that hands some or all of its [`TokenStore`](super::TokenStore)
/// methods to another.
pub(crate) trait Wraps {
    /// The wrapped store.
    type Inner: super::TokenStore + ?Sized;
    /// The store the forwarded methods call.
    fn wrapped(&self) -> &Self::Inner;
}

/// Inside an `impl TokenStore for W` where `W: Wraps`: writes each named
/// method as a call of the same method on `W::wrapped()`.
macro_rules! forward_to_wrapped {
    ($($method:ident),+ $(,)?) => { $(forward_to_wrapped!(@ $method);)+ };
    (@ save) => {
        fn save(&self, key: &str, tokens: &TokenSet) -> Result<()> {
            Wraps::wrapped(self).save(key, tokens)
        }
    };
    (@ load) => {
        fn load(&self, key: &str) -> Result<Option<TokenSet>> {
            Wraps::wrapped(self).load(key)
        }
    };
    (@ delete) => {
        fn delete(&self, key: &str) -> Result<bool> {
            Wraps::wrapped(self).delete(key)
        }
    };
    (@ exists) => {
        fn exists(&self, key: &str) -> Result<bool> {
            Wraps::wrapped(self).exists(key)
        }
    };
    (@ list_keys) => {
        fn list_keys(&self) -> Result<Vec<String>> {
            Wraps::wrapped(self).list_keys()
        }
    };
    (@ namespace) => {
        fn namespace(&self) -> &str {
            Wraps::wrapped(self).namespace()
        }
    };
    (@ namespaces) => {
        fn namespaces(&self) -> Result<Vec<String>> {
            Wraps::wrapped(self).namespaces()
        }
    };
    (@ backend) => {
        fn backend(&self) -> &'static str {
            Wraps::wrapped(self).backend()
        }
    };
    (@ load_all) => {
        fn load_all(&self) -> Result<BTreeMap<String, TokenSet>> {
            Wraps::wrapped(self).load_all()
        }
    };
    (@ save_all) => {
        fn save_all(&self, tokens: &BTreeMap<String, TokenSet>) -> Result<()> {
            Wraps::wrapped(self).save_all(tokens)
        }
    };
    (@ lock_key) => {
        fn lock_key(&self, key: &str, timeout: Duration) -> Result<KeyLock> {
            Wraps::wrapped(self).lock_key(key, timeout)
        }
    };
    (@ save_locked) => {
        fn save_locked(&self, key: &str, tokens: &TokenSet, lock: &KeyLock) -> Result<()> {
            Wraps::wrapped(self).save_locked(key, tokens, lock)
        }
    };
    (@ delete_locked) => {
        fn delete_locked(&self, key: &str, lock: &KeyLock) -> Result<bool> {
            Wraps::wrapped(self).delete_locked(key, lock)
        }
    };
    (@ save_sealed) => {
        fn save_sealed(
            &self,
            key: &str,
            record: &$crate::store::SealedBytes,
            lock: Option<&KeyLock>,
        ) -> Result<()> {
            Wraps::wrapped(self).save_sealed(key, record, lock)
        }
    };
    (@ load_sealed) => {
        fn load_sealed(&self, key: &str) -> Result<Option<$crate::store::RawRecord>> {
            Wraps::wrapped(self).load_sealed(key)
        }
    };
    (@ protects_secrets) => {
        fn protects_secrets(&self) -> bool {
            Wraps::wrapped(self).protects_secrets()
        }
    };
}
