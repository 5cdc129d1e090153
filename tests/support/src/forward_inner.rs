//! [`forward_to_inner!`](crate::forward_to_inner), for the tests whose
//! fault-injecting stores wrap another.

/// Writes, inside `impl TokenStore for W`, the methods a wrapper with a
/// field `inner` (an `Arc<dyn TokenStore>` or a store) passes on unchanged,
/// so each wrapper spells out only the methods where it injects its fault.
#[macro_export]
macro_rules! forward_to_inner {
    ($($method:ident),+ $(,)?) => { $($crate::forward_to_inner!(@ $method);)+ };
    (@ save) => {
        fn save(&self, key: &str, tokens: &oauthkit::TokenSet) -> oauthkit::Result<()> {
            self.inner.save(key, tokens)
        }
    };
    (@ load) => {
        fn load(&self, key: &str) -> oauthkit::Result<Option<oauthkit::TokenSet>> {
            self.inner.load(key)
        }
    };
    (@ delete) => {
        fn delete(&self, key: &str) -> oauthkit::Result<bool> {
            self.inner.delete(key)
        }
    };
    (@ list_keys) => {
        fn list_keys(&self) -> oauthkit::Result<Vec<String>> {
            self.inner.list_keys()
        }
    };
    (@ namespace) => {
        fn namespace(&self) -> &str {
            self.inner.namespace()
        }
    };
    (@ namespaces) => {
        fn namespaces(&self) -> oauthkit::Result<Vec<String>> {
            self.inner.namespaces()
        }
    };
    (@ backend) => {
        fn backend(&self) -> &'static str {
            self.inner.backend()
        }
    };
    (@ lock_key) => {
        fn lock_key(
            &self,
            key: &str,
            timeout: std::time::Duration,
        ) -> oauthkit::Result<oauthkit::unversioned::store::KeyLock> {
            self.inner.lock_key(key, timeout)
        }
    };
    (@ save_locked) => {
        fn save_locked(
            &self,
            key: &str,
            tokens: &oauthkit::TokenSet,
            lock: &oauthkit::unversioned::store::KeyLock,
        ) -> oauthkit::Result<()> {
            self.inner.save_locked(key, tokens, lock)
        }
    };
    (@ delete_locked) => {
        fn delete_locked(
            &self,
            key: &str,
            lock: &oauthkit::unversioned::store::KeyLock,
        ) -> oauthkit::Result<bool> {
            self.inner.delete_locked(key, lock)
        }
    };
}
