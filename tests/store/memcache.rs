//! The memcached token store against a real memcached: conformance, key
//! layout, expiry, the CAS-kept index, locks, and outage and recovery.
#![cfg(feature = "memcache")]

use crate::support;

use std::time::{Duration, Instant};

use oauthkit::store::{MemcacheConfig, MemcacheStore};
use oauthkit::{ErrorKind, TokenSet, TokenStore};
use support::servers::Memcached;

fn config(m: &Memcached) -> MemcacheConfig {
    MemcacheConfig::new(format!("127.0.0.1:{}", m.port))
}

fn fresh() -> (MemcacheStore, Memcached) {
    let m = Memcached::start();
    (MemcacheStore::open(config(&m)).unwrap(), m)
}

token_store_conformance!(fresh(), |s: &MemcacheStore| s.in_namespace("other"));

/// The value memcached holds under `key` (text protocol), if any.
fn raw_get(m: &Memcached, key: &str) -> Option<String> {
    let reply = m.raw(&format!("get {key}\r\n"));
    if reply.starts_with("END") {
        return None;
    }
    let mut lines = reply.split("\r\n");
    let header = lines.next().unwrap();
    assert!(header.starts_with(&format!("VALUE {key} ")), "{reply}");
    Some(lines.next().unwrap().to_owned())
}

#[test]
fn keys_use_the_python_oauth2_prefix_and_json_values() {
    needs!(Memcached);
    let (s, m) = fresh();
    let t = TokenSet::bearer("AT")
        .with_refresh_token("RT")
        .with_scopes(["a"]);
    s.save("alice", &t).unwrap();
    let raw: serde_json::Value =
        serde_json::from_str(&raw_get(&m, "oauth2_tokens_DEFAULT_alice").unwrap()).unwrap();
    assert_eq!(raw["access_token"], "AT");
    assert_eq!(raw["refresh_token"], "RT");
    assert_eq!(raw["scope"], "a");
    let index: Vec<String> =
        serde_json::from_str(&raw_get(&m, "oauth2_index_DEFAULT").unwrap()).unwrap();
    assert_eq!(index, vec!["alice"]);
    let custom = MemcacheStore::open(config(&m).prefix("myapp")).unwrap();
    custom.save("bob", &t).unwrap();
    assert!(raw_get(&m, "myapp_tokens_DEFAULT_bob").is_some());
}

#[test]
fn keys_memcached_cannot_hold_are_encoded_or_hashed() {
    needs!(Memcached);
    let (s, m) = fresh();
    let spaced = "user with spaces\u{2003}and%#";
    let long = "x".repeat(400);
    s.save(spaced, &TokenSet::bearer("a")).unwrap();
    s.save(&long, &TokenSet::bearer("b")).unwrap();
    assert!(raw_get(
        &m,
        "oauth2_tokens_DEFAULT_user%20with%20spaces%E2%80%83and%25%23"
    )
    .is_some());
    assert_eq!(s.load(&long).unwrap().unwrap().access_token.expose(), "b");
    let mut keys = s.list_keys().unwrap();
    keys.sort();
    let mut expected = vec![spaced.to_string(), long.clone()];
    expected.sort();
    assert_eq!(keys, expected);
}

#[test]
fn expiry_follows_the_token() {
    needs!(Memcached);
    let (s, _m) = fresh();
    let now = oauthkit::unversioned::now_unix();
    // Long dead, no refresh token: kept one second.
    s.save("dead", &TokenSet::bearer("a").with_expires_at(now - 10_000))
        .unwrap();
    // Dead but refreshable: kept.
    s.save(
        "refreshable",
        &TokenSet::bearer("a")
            .with_expires_at(now - 10_000)
            .with_refresh_token("r"),
    )
    .unwrap();
    s.save("fresh", &TokenSet::bearer("a").with_expires_in(3600))
        .unwrap();
    assert!(s.exists("dead").unwrap());
    std::thread::sleep(Duration::from_millis(3100));
    assert!(s.load("dead").unwrap().is_none());
    assert!(s.load("refreshable").unwrap().is_some());
    assert!(s.load("fresh").unwrap().is_some());
    // The index forgets entries that expired.
    assert_eq!(s.list_keys().unwrap(), vec!["fresh", "refreshable"]);
}

#[test]
fn two_clients_updating_the_index_lose_nothing() {
    needs!(Memcached);
    let m = Memcached::start();
    let stores: Vec<MemcacheStore> = (0..4)
        .map(|_| MemcacheStore::open(config(&m)).unwrap())
        .collect();
    std::thread::scope(|sc| {
        for (n, s) in stores.iter().enumerate() {
            sc.spawn(move || {
                for i in 0..25 {
                    s.save(&format!("c{n}-{i}"), &TokenSet::bearer("a"))
                        .unwrap();
                }
                for i in 0..5 {
                    assert!(s.delete(&format!("c{n}-{i}")).unwrap());
                }
            });
        }
    });
    assert_eq!(stores[0].list_keys().unwrap().len(), 4 * 20);
}

#[test]
fn corrupt_value_is_a_typed_error() {
    needs!(Memcached);
    let (s, m) = fresh();
    let body = "{\"access_token\": \"SECRET\"";
    let reply = m.raw(&format!(
        "set oauth2_tokens_DEFAULT_k 0 0 {}\r\n{body}\r\n",
        body.len()
    ));
    assert!(reply.starts_with("STORED"), "{reply}");
    let err = s.load("k").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Corrupt);
    assert!(!err.to_string().contains("SECRET"));
}

#[test]
fn stopped_server_gives_unavailable_within_timeout_then_recovers() {
    needs!(Memcached);
    let mut m = Memcached::start();
    let timeout = Duration::from_millis(500);
    let s = MemcacheStore::open(config(&m).connect_timeout(timeout).io_timeout(timeout)).unwrap();
    s.save("k", &TokenSet::bearer("before")).unwrap();
    m.stop();
    for attempt in 0..3 {
        let started = Instant::now();
        let err = s.load("k").unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::Unavailable,
            "attempt {attempt}: {err}"
        );
        assert!(
            started.elapsed() < timeout * 6,
            "attempt {attempt} took {:?}",
            started.elapsed()
        );
    }
    m.restart();
    // memcached starts empty; the same store object works again at once.
    assert!(s.load("k").unwrap().is_none());
    s.save("k", &TokenSet::bearer("after")).unwrap();
    assert_eq!(s.load("k").unwrap().unwrap().access_token.expose(), "after");
}

#[test]
fn a_frozen_server_times_out_instead_of_hanging() {
    needs!(Memcached);
    let m = Memcached::start();
    let timeout = Duration::from_millis(400);
    let s = MemcacheStore::open(config(&m).connect_timeout(timeout).io_timeout(timeout)).unwrap();
    s.save("k", &TokenSet::bearer("a")).unwrap();
    m.signal("STOP");
    let started = Instant::now();
    let err = s.load("k").unwrap_err();
    let took = started.elapsed();
    m.signal("CONT");
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(took < timeout * 3, "took {took:?}");
    assert_eq!(s.load("k").unwrap().unwrap().access_token.expose(), "a");
}

#[test]
fn unreachable_at_open_is_not_an_error_until_used() {
    let port = support::servers::free_port();
    let s = MemcacheStore::open(
        MemcacheConfig::new(format!("127.0.0.1:{port}"))
            .connect_timeout(Duration::from_millis(300)),
    )
    .unwrap();
    assert_eq!(s.load("k").unwrap_err().kind(), ErrorKind::Unavailable);
}

#[test]
fn key_lock_excludes_another_client() {
    needs!(Memcached);
    let m = Memcached::start();
    let a = MemcacheStore::open(config(&m)).unwrap();
    let b = MemcacheStore::open(config(&m)).unwrap();
    let held = a.lock_key("alice", Duration::from_secs(1)).unwrap();
    let err = b.lock_key("alice", Duration::from_millis(150)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LockTimeout);
    drop(b.lock_key("bob", Duration::from_millis(150)).unwrap());
    drop(held);
    drop(b.lock_key("alice", Duration::from_millis(500)).unwrap());
    // Mutual exclusion under contention.
    let counter = std::sync::atomic::AtomicU32::new(0);
    std::thread::scope(|sc| {
        for s in [&a, &b, &a, &b] {
            let counter = &counter;
            sc.spawn(move || {
                for _ in 0..10 {
                    let _l = s.lock_key("shared", Duration::from_secs(20)).unwrap();
                    let v = counter.load(std::sync::atomic::Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(1));
                    counter.store(v + 1, std::sync::atomic::Ordering::SeqCst);
                }
            });
        }
    });
    assert_eq!(counter.into_inner(), 40);
}

#[test]
fn factory_opens_memcache_specs() {
    needs!(Memcached);
    let m = Memcached::start();
    let s = oauthkit::store::open(&format!(
        "memcache://127.0.0.1:{}?prefix=svc&namespace=app",
        m.port
    ))
    .unwrap();
    assert_eq!(s.backend(), "memcache");
    assert_eq!(s.namespace(), "app");
    s.save("k", &TokenSet::bearer("a")).unwrap();
    assert!(raw_get(&m, "svc_tokens_app_k").is_some());
    let err = oauthkit::store::open("memcache://nohostport")
        .err()
        .expect("refused");
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
}

#[test]
fn a_held_lock_outlives_its_lease_while_the_heartbeat_renews_it() {
    needs!(Memcached);
    let m = Memcached::start();
    let a = MemcacheStore::open(config(&m).lock_lease(Duration::from_secs(1))).unwrap();
    let b = MemcacheStore::open(config(&m)).unwrap();
    let held = a.lock_key("k", Duration::from_secs(1)).unwrap();
    // Three leases (and memcached's one-second clock) go by.
    std::thread::sleep(Duration::from_millis(3500));
    let err = b.lock_key("k", Duration::from_millis(100)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LockTimeout);
    held.confirm().unwrap();
    a.save_locked("k", &TokenSet::bearer("a"), &held).unwrap();
    drop(held);
    drop(b.lock_key("k", Duration::from_millis(500)).unwrap());
}

#[test]
fn a_holder_whose_lease_ran_out_writes_deletes_and_releases_nothing() {
    needs!(Memcached);
    let m = Memcached::start();
    let a = MemcacheStore::open(config(&m)).unwrap();
    let b = MemcacheStore::open(config(&m)).unwrap();
    a.save("k", &TokenSet::bearer("before")).unwrap();
    let stale = a.lock_key("k", Duration::from_secs(1)).unwrap();
    // The lease runs out as it does when its holder is paused as a whole.
    assert_eq!(m.raw("delete oauth2_lock_DEFAULT_k\r\n").trim(), "DELETED");
    let fresh = b.lock_key("k", Duration::from_secs(1)).unwrap();
    for err in [
        a.save_locked("k", &TokenSet::bearer("stale"), &stale)
            .unwrap_err(),
        a.delete_locked("k", &stale).unwrap_err(),
        stale.confirm().unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::LockTimeout, "{err}");
        assert!(matches!(err, oauthkit::Error::LockLost { .. }), "{err:?}");
    }
    assert_eq!(
        a.load("k").unwrap().unwrap().access_token.expose(),
        "before"
    );
    b.save_locked("k", &TokenSet::bearer("b"), &fresh).unwrap();
    drop(stale);
    let err = a.lock_key("k", Duration::from_millis(100)).unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::LockTimeout,
        "a's late release freed b's lock"
    );
    assert!(b.delete_locked("k", &fresh).unwrap());
    assert!(
        b.load("k").unwrap().is_none(),
        "the fenced delete removes at once"
    );
    assert!(b.list_keys().unwrap().is_empty());
}

#[test]
fn a_write_read_before_a_new_holder_took_the_lock_fails_its_cas() {
    needs!(Memcached);
    // The window memcached cannot close atomically: a's write read the
    // entry, then its lease ran out and b took the lock (which rewrites the
    // entry), then a's write would land. b's rewrite changed the CAS id.
    let m = Memcached::start();
    let a = MemcacheStore::open(config(&m)).unwrap();
    let b = MemcacheStore::open(config(&m)).unwrap();
    a.save("k", &TokenSet::bearer("before")).unwrap();
    let stale = a.lock_key("k", Duration::from_secs(1)).unwrap();
    let cas_before = m.raw("gets oauth2_tokens_DEFAULT_k\r\n");
    assert_eq!(m.raw("delete oauth2_lock_DEFAULT_k\r\n").trim(), "DELETED");
    let _fresh = b.lock_key("k", Duration::from_secs(1)).unwrap();
    let cas_after = m.raw("gets oauth2_tokens_DEFAULT_k\r\n");
    assert_ne!(
        cas_before, cas_after,
        "taking the lock gives the entry a new CAS id"
    );
    let err = a
        .save_locked("k", &TokenSet::bearer("stale"), &stale)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LockTimeout);
    assert_eq!(
        a.load("k").unwrap().unwrap().access_token.expose(),
        "before"
    );
}
