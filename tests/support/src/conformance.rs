//! The token-store conformance suite: every backend runs these.
//!
//! Use it with [`token_store_conformance!`]: it expands to one `#[test]`
//! per check, each opening a fresh, empty store through the given
//! expression (which must yield `(store, guard)`; the guard keeps temporary
//! files or servers alive for the test's duration).

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Arc;

use oauthkit::{Secret, TokenSet, TokenStore};
use serde_json::Value;

/// A token set with every field set, distinct per `n`.
pub fn full_token_set(n: u32) -> TokenSet {
    let mut t = TokenSet::bearer(format!("access-{n}-é✓"))
        .with_refresh_token(format!("refresh-{n}"))
        .with_id_token(format!("eyJ.id-{n}.sig"))
        .with_scopes(["openid", "email", "offline_access"])
        .with_identity_id(format!("user-{n}"));
    t.issued_at = 1_700_000_000 + i64::from(n);
    t.expires_at = Some(1_700_003_600 + i64::from(n));
    t.resource_server = Some(format!("rs-{n}"));
    t.token_type = "Bearer".into();
    t.extra.insert("ext_expires_in".into(), Value::from(7200));
    t.extra.insert(
        "nested".into(),
        serde_json::json!({"a": [1, 2, {"b": null}]}),
    );
    t
}

/// DPoP-bound token sets carry their private key: a store that protects
/// secrets keeps the key exactly; any other refuses the set with
/// `DpopKeyUnprotected` and writes nothing (save and save_all).
pub fn dpop_keys_only_where_secrets_are_protected(s: &dyn TokenStore) {
    use oauthkit::provider::SigningAlgorithm;
    use oauthkit::unversioned::provider::DpopKey;
    let mut t =
        full_token_set(7).with_dpop_key(DpopKey::generate(SigningAlgorithm::ES256).unwrap());
    t.token_type = "DPoP".into();
    if s.protects_secrets() {
        s.save("bound", &t).unwrap();
        assert_eq!(s.load("bound").unwrap().unwrap().dpop_key, t.dpop_key);
    } else {
        for e in [
            s.save("bound", &t).unwrap_err(),
            s.save_all(&BTreeMap::from([("bound".to_owned(), t.clone())]))
                .unwrap_err(),
        ] {
            // the typed error; through the C ABI, its status and message
            assert!(
                matches!(e, oauthkit::Error::DpopKeyUnprotected { .. })
                    || (e.kind() == oauthkit::ErrorKind::Unsupported
                        && e.to_string().contains("cannot hold the DPoP private key")),
                "{}: {e:?}",
                s.backend()
            );
        }
        assert!(s.load("bound").unwrap().is_none());
    }
}

/// A token set with only an access token.
pub fn minimal_token_set() -> TokenSet {
    let mut t = TokenSet::bearer("only-access");
    t.issued_at = 1_700_000_000;
    t
}

/// Asserts that `loaded` is what was saved as `saved` under `key`.
/// Stores in globus-sdk's format fill an empty resource server with the key.
pub fn assert_same(key: &str, saved: &TokenSet, loaded: &TokenSet) {
    let mut expected = saved.clone();
    if expected.resource_server.is_none() && loaded.resource_server.as_deref() == Some(key) {
        expected.resource_server = Some(key.to_owned());
    }
    assert_eq!(loaded.access_token.expose(), expected.access_token.expose());
    assert_eq!(
        loaded.refresh_token.as_ref().map(Secret::expose),
        expected.refresh_token.as_ref().map(Secret::expose)
    );
    assert_eq!(
        loaded.id_token.as_ref().map(Secret::expose),
        expected.id_token.as_ref().map(Secret::expose)
    );
    assert_eq!(loaded.token_type, expected.token_type);
    assert_eq!(loaded.scopes, expected.scopes);
    assert_eq!(loaded.expires_at, expected.expires_at);
    assert_eq!(loaded.issued_at, expected.issued_at);
    assert_eq!(loaded.resource_server, expected.resource_server);
    assert_eq!(loaded.identity_id, expected.identity_id);
    assert_eq!(loaded.extra, expected.extra);
    assert_eq!(loaded, &expected);
}

pub fn round_trip_every_field(s: &dyn TokenStore) {
    let t = full_token_set(1);
    s.save("alice", &t).unwrap();
    assert_same("alice", &t, &s.load("alice").unwrap().expect("saved"));
}

pub fn round_trip_minimal(s: &dyn TokenStore) {
    let t = minimal_token_set();
    s.save("bob", &t).unwrap();
    assert_same("bob", &t, &s.load("bob").unwrap().expect("saved"));
}

pub fn missing_key_is_none(s: &dyn TokenStore) {
    assert!(s.load("nobody").unwrap().is_none());
    assert!(!s.exists("nobody").unwrap());
    assert!(!s.delete("nobody").unwrap());
}

pub fn save_replaces(s: &dyn TokenStore) {
    s.save("k", &full_token_set(1)).unwrap();
    let newer = full_token_set(2);
    s.save("k", &newer).unwrap();
    assert_same("k", &newer, &s.load("k").unwrap().unwrap());
    assert_eq!(s.list_keys().unwrap(), vec!["k".to_string()]);
}

pub fn delete_removes(s: &dyn TokenStore) {
    s.save("a", &full_token_set(1)).unwrap();
    s.save("b", &full_token_set(2)).unwrap();
    assert!(s.exists("a").unwrap());
    assert!(s.delete("a").unwrap());
    assert!(!s.exists("a").unwrap());
    assert!(s.load("a").unwrap().is_none());
    assert!(!s.delete("a").unwrap());
    assert!(s.exists("b").unwrap());
}

pub fn list_keys_sorted(s: &dyn TokenStore) {
    assert!(s.list_keys().unwrap().is_empty());
    for k in ["zeta", "alpha", "user:with/odd chars?", "mu"] {
        s.save(k, &minimal_token_set()).unwrap();
    }
    let mut keys = s.list_keys().unwrap();
    keys.sort();
    assert_eq!(keys, vec!["alpha", "mu", "user:with/odd chars?", "zeta"]);
    assert!(s.load("user:with/odd chars?").unwrap().is_some());
}

pub fn namespaces_are_separate(s: &dyn TokenStore, other: &dyn TokenStore) {
    assert_ne!(s.namespace(), other.namespace());
    s.save("shared-key", &full_token_set(1)).unwrap();
    other.save("shared-key", &full_token_set(2)).unwrap();
    other.save("only-other", &full_token_set(3)).unwrap();
    assert_same(
        "shared-key",
        &full_token_set(1),
        &s.load("shared-key").unwrap().unwrap(),
    );
    assert_same(
        "shared-key",
        &full_token_set(2),
        &other.load("shared-key").unwrap().unwrap(),
    );
    assert_eq!(s.list_keys().unwrap(), vec!["shared-key".to_string()]);
    assert!(s.load("only-other").unwrap().is_none());
    let ns = s.namespaces().unwrap();
    assert!(ns.contains(&s.namespace().to_string()), "{ns:?}");
    assert!(ns.contains(&other.namespace().to_string()), "{ns:?}");
    assert!(other.delete("shared-key").unwrap());
    assert!(s.exists("shared-key").unwrap());
}

pub fn load_all_and_save_all(s: &dyn TokenStore) {
    let batch: BTreeMap<String, TokenSet> = (1..=3)
        .map(|n| (format!("rs-{n}"), full_token_set(n)))
        .collect();
    s.save_all(&batch).unwrap();
    let all = s.load_all().unwrap();
    assert_eq!(all.len(), 3);
    for (k, t) in &batch {
        assert_same(k, t, &all[k]);
    }
}

pub fn empty_key_is_invalid(s: &dyn TokenStore) {
    let err = s.save("", &minimal_token_set()).unwrap_err();
    assert_eq!(err.kind(), oauthkit::ErrorKind::InvalidArgument);
}

pub fn concurrent_threads(s: Arc<dyn TokenStore>) {
    const THREADS: u32 = 8;
    const PER_THREAD: u32 = 10;
    std::thread::scope(|scope| {
        for t in 0..THREADS {
            let s = Arc::clone(&s);
            scope.spawn(move || {
                for i in 0..PER_THREAD {
                    let key = format!("t{t}-k{i}");
                    let tokens = full_token_set(t * 100 + i);
                    s.save(&key, &tokens).unwrap();
                    assert_same(&key, &tokens, &s.load(&key).unwrap().unwrap());
                }
            });
        }
    });
    let keys = s.list_keys().unwrap();
    assert_eq!(
        keys.len() as u32,
        THREADS * PER_THREAD,
        "lost updates: {keys:?}"
    );
    for t in 0..THREADS {
        for i in 0..PER_THREAD {
            let key = format!("t{t}-k{i}");
            assert_same(
                &key,
                &full_token_set(t * 100 + i),
                &s.load(&key).unwrap().unwrap(),
            );
        }
    }
}

pub fn debug_output_has_no_secrets(s: &dyn TokenStore) {
    let t = full_token_set(9);
    s.save("k", &t).unwrap();
    let loaded = s.load("k").unwrap().unwrap();
    let debug = format!("{loaded:?}");
    assert!(!debug.contains("access-9"), "{debug}");
    assert!(!debug.contains("refresh-9"), "{debug}");
}

/// Writes made while holding the key's lock (`save_locked`,
/// `delete_locked`) land like plain ones while the lock is held.
pub fn writes_under_the_key_lock<S: TokenStore>(s: &S) {
    let lock = s
        .lock_key("locked", std::time::Duration::from_secs(5))
        .unwrap();
    lock.confirm().unwrap();
    let t = TokenSet::bearer("at-locked").with_refresh_token("rt-locked");
    s.save_locked("locked", &t, &lock).unwrap();
    let got = s.load("locked").unwrap().unwrap();
    assert_eq!(got.access_token.expose(), "at-locked");
    assert_eq!(got.refresh_token, t.refresh_token);
    let t2 = TokenSet::bearer("at-locked-2").with_refresh_token("rt-locked-2");
    s.save_locked("locked", &t2, &lock).unwrap();
    let got = s.load("locked").unwrap().unwrap();
    assert_eq!(got.access_token.expose(), "at-locked-2");
    assert_eq!(got.refresh_token, t2.refresh_token);
    assert!(s.delete_locked("locked", &lock).unwrap());
    assert!(!s.delete_locked("locked", &lock).unwrap());
    assert!(s.load("locked").unwrap().is_none());
    assert!(!s.exists("locked").unwrap());
    assert!(!s.list_keys().unwrap().contains(&"locked".to_string()));
}

/// Expands to the conformance tests for one backend. `$open` is an
/// expression yielding `(store, guard)`; `$other_ns` maps `&store` to a
/// handle on another namespace of the same storage.
#[macro_export]
macro_rules! token_store_conformance {
    ($open:expr, $other_ns:expr) => {
        mod conformance {
            #[allow(unused_imports)]
            use super::*;
            use std::sync::Arc;
            use $crate::conformance as c;

            #[test]
            fn round_trip_every_field() {
                let Some((s, _g)) = $crate::needs::opened(|| $open) else {
                    return;
                };
                c::round_trip_every_field(&s);
            }
            #[test]
            fn round_trip_minimal() {
                let Some((s, _g)) = $crate::needs::opened(|| $open) else {
                    return;
                };
                c::round_trip_minimal(&s);
            }
            #[test]
            fn missing_key_is_none() {
                let Some((s, _g)) = $crate::needs::opened(|| $open) else {
                    return;
                };
                c::missing_key_is_none(&s);
            }
            #[test]
            fn save_replaces() {
                let Some((s, _g)) = $crate::needs::opened(|| $open) else {
                    return;
                };
                c::save_replaces(&s);
            }
            #[test]
            fn delete_removes() {
                let Some((s, _g)) = $crate::needs::opened(|| $open) else {
                    return;
                };
                c::delete_removes(&s);
            }
            #[test]
            fn list_keys_sorted() {
                let Some((s, _g)) = $crate::needs::opened(|| $open) else {
                    return;
                };
                c::list_keys_sorted(&s);
            }
            #[test]
            fn namespaces_are_separate() {
                let Some((s, _g)) = $crate::needs::opened(|| $open) else {
                    return;
                };
                let other = ($other_ns)(&s);
                c::namespaces_are_separate(&s, &other);
            }
            #[test]
            fn load_all_and_save_all() {
                let Some((s, _g)) = $crate::needs::opened(|| $open) else {
                    return;
                };
                c::load_all_and_save_all(&s);
            }
            #[test]
            fn empty_key_is_invalid() {
                let Some((s, _g)) = $crate::needs::opened(|| $open) else {
                    return;
                };
                c::empty_key_is_invalid(&s);
            }
            #[test]
            fn concurrent_threads() {
                let Some((s, _g)) = $crate::needs::opened(|| $open) else {
                    return;
                };
                c::concurrent_threads(Arc::new(s));
            }
            #[test]
            fn dpop_keys_only_where_secrets_are_protected() {
                let Some((s, _g)) = $crate::needs::opened(|| $open) else {
                    return;
                };
                c::dpop_keys_only_where_secrets_are_protected(&s);
            }
            #[test]
            fn debug_output_has_no_secrets() {
                let Some((s, _g)) = $crate::needs::opened(|| $open) else {
                    return;
                };
                c::debug_output_has_no_secrets(&s);
            }
            #[test]
            fn writes_under_the_key_lock() {
                let Some((s, _g)) = $crate::needs::opened(|| $open) else {
                    return;
                };
                c::writes_under_the_key_lock(&s);
            }
        }
    };
}
