//! The Redis token store against a real redis-server: conformance, pywry
//! layout, TTLs, SCAN, locks, and outage and recovery.
#![cfg(feature = "redis")]

use crate::support;

use std::time::{Duration, Instant};

use oauthkit::store::{RedisConfig, RedisStore};
use oauthkit::{ErrorKind, TokenSet, TokenStore};
use serde_json::Value;
use support::servers::RedisServer;

fn config(server: &RedisServer) -> RedisConfig {
    RedisConfig::new(server.url())
}

fn fresh() -> (RedisStore, RedisServer) {
    let server = RedisServer::start();
    (RedisStore::open(config(&server)).unwrap(), server)
}

token_store_conformance!(fresh(), |s: &RedisStore| s.in_namespace("other"));

#[test]
fn default_namespace_uses_pywrys_exact_key_and_json() {
    needs!(Redis);
    let server = RedisServer::start();
    let store = RedisStore::open(config(&server).prefix("pywry")).unwrap();
    let mut t = TokenSet::bearer("AT-1")
        .with_refresh_token("RT-1")
        .with_id_token("ID-1")
        .with_scopes(["openid", "email"]);
    t.issued_at = 1_700_000_000;
    t.expires_at = Some(1_700_003_600);
    store.save("alice", &t).unwrap();

    assert_eq!(server.cli(&["TYPE", "pywry:oauth:tokens:alice"]), "string");
    let raw: Value =
        serde_json::from_str(&server.cli(&["GET", "pywry:oauth:tokens:alice"])).unwrap();
    assert_eq!(raw["access_token"], "AT-1");
    assert_eq!(raw["token_type"], "Bearer");
    assert_eq!(raw["refresh_token"], "RT-1");
    assert_eq!(raw["expires_in"], 3600);
    assert_eq!(raw["id_token"], "ID-1");
    assert_eq!(raw["scope"], "openid email");
    assert!(raw["raw"].is_object());
    assert_eq!(raw["issued_at"].as_f64(), Some(1_700_000_000.0));
    // pywry's key order, so json.loads/dumps round trips look the same.
    let text = server.cli(&["GET", "pywry:oauth:tokens:alice"]);
    let order: Vec<usize> = [
        "\"access_token\"",
        "\"token_type\"",
        "\"refresh_token\"",
        "\"expires_in\"",
        "\"id_token\"",
        "\"scope\"",
        "\"raw\"",
        "\"issued_at\"",
    ]
    .iter()
    .map(|k| text.find(k).unwrap())
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
}

#[test]
fn reads_what_pywry_writes() {
    needs!(Redis);
    let server = RedisServer::start();
    // Exactly what pywry's RedisTokenStore.save stores (json.dumps of
    // OAuthTokenSet fields, issued_at a float from time.time()).
    let pywry_json = r#"{"access_token": "py-at", "token_type": "Bearer", "refresh_token": "py-rt", "expires_in": 3600, "id_token": null, "scope": "openid profile", "raw": {"access_token": "py-at", "expires_in": 3600, "custom": "x"}, "issued_at": 1700000000.123456}"#;
    server.cli(&["SET", "pywry:oauth:tokens:carol", pywry_json]);
    let store = RedisStore::open(config(&server).prefix("pywry")).unwrap();
    let t = store.load("carol").unwrap().expect("pywry's record");
    assert_eq!(t.access_token.expose(), "py-at");
    assert_eq!(t.refresh_token.as_ref().unwrap().expose(), "py-rt");
    assert_eq!(t.scopes, vec!["openid", "profile"]);
    assert_eq!(t.issued_at, 1_700_000_000);
    assert_eq!(t.expires_at, Some(1_700_003_600));
    assert_eq!(store.list_keys().unwrap(), vec!["carol"]);
}

#[test]
fn other_namespaces_get_their_own_segment() {
    needs!(Redis);
    let server = RedisServer::start();
    let store = RedisStore::open(config(&server))
        .unwrap()
        .in_namespace("app:1");
    store.save("k", &TokenSet::bearer("a")).unwrap();
    assert_eq!(
        server.cli(&["EXISTS", "oauthkit:app%3A1:oauth:tokens:k"]),
        "1"
    );
    let default = store.in_namespace("DEFAULT");
    assert!(default.list_keys().unwrap().is_empty());
    assert_eq!(store.namespaces().unwrap(), vec!["app:1"]);
}

#[test]
fn ttl_only_without_refresh_token() {
    needs!(Redis);
    let server = RedisServer::start();
    let store = RedisStore::open(config(&server)).unwrap();
    store
        .save("short", &TokenSet::bearer("a").with_expires_in(3600))
        .unwrap();
    let ttl: i64 = server
        .cli(&["TTL", "oauthkit:oauth:tokens:short"])
        .parse()
        .unwrap();
    assert!((3590..=3900).contains(&ttl), "ttl {ttl}");

    store
        .save(
            "long",
            &TokenSet::bearer("a")
                .with_expires_in(3600)
                .with_refresh_token("r"),
        )
        .unwrap();
    assert_eq!(server.cli(&["TTL", "oauthkit:oauth:tokens:long"]), "-1");

    // Re-saving with a refresh token removes an earlier TTL.
    store
        .save(
            "short",
            &TokenSet::bearer("b")
                .with_expires_in(60)
                .with_refresh_token("r"),
        )
        .unwrap();
    assert_eq!(server.cli(&["TTL", "oauthkit:oauth:tokens:short"]), "-1");

    store.save("forever", &TokenSet::bearer("a")).unwrap();
    assert_eq!(server.cli(&["TTL", "oauthkit:oauth:tokens:forever"]), "-1");
}

#[test]
fn a_dead_token_without_refresh_token_disappears() {
    needs!(Redis);
    let server = RedisServer::start();
    let store = RedisStore::open(config(&server)).unwrap();
    let dead = TokenSet::bearer("a").with_expires_at(oauthkit::unversioned::now_unix() - 10_000);
    store.save("dead", &dead).unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert!(store.load("dead").unwrap().is_none());
}

#[test]
fn list_keys_uses_scan_and_works_without_keys_command() {
    needs!(Redis);
    // KEYS is disabled on this server: list_keys must still work.
    let server = RedisServer::start_with(&["--rename-command", "KEYS", ""]);
    let store = RedisStore::open(config(&server)).unwrap();
    let unrelated = "someone-else:oauth:tokens:x";
    server.cli(&["SET", unrelated, "{}"]);
    let mut batch = std::collections::BTreeMap::new();
    for i in 0..1200 {
        batch.insert(format!("user-{i:04}"), TokenSet::bearer(format!("at-{i}")));
    }
    store.save_all(&batch).unwrap();
    let keys = store.list_keys().unwrap();
    assert_eq!(keys.len(), 1200);
    assert_eq!(keys.first().map(String::as_str), Some("user-0000"));
    assert!(keys.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(store.namespaces().unwrap(), vec!["DEFAULT"]);
}

#[test]
fn glob_characters_in_prefix_and_keys_match_only_themselves() {
    needs!(Redis);
    let server = RedisServer::start();
    let star = RedisStore::open(config(&server).prefix("a*")).unwrap();
    let plain = RedisStore::open(config(&server).prefix("ab")).unwrap();
    plain.save("k", &TokenSet::bearer("x")).unwrap();
    star.save("[k]?", &TokenSet::bearer("y")).unwrap();
    assert_eq!(star.list_keys().unwrap(), vec!["[k]?"]);
    assert_eq!(plain.list_keys().unwrap(), vec!["k"]);
}

#[test]
fn corrupt_value_is_a_typed_error_and_stays() {
    needs!(Redis);
    let server = RedisServer::start();
    let store = RedisStore::open(config(&server)).unwrap();
    server.cli(&[
        "SET",
        "oauthkit:oauth:tokens:bad",
        "{\"access_token\": \"SECRET-AT\"",
    ]);
    let err = store.load("bad").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Corrupt);
    assert!(
        err.to_string().contains("oauthkit:oauth:tokens:bad"),
        "{err}"
    );
    assert!(!err.to_string().contains("SECRET-AT"), "{err}");
    assert_eq!(
        server.cli(&["GET", "oauthkit:oauth:tokens:bad"]),
        "{\"access_token\": \"SECRET-AT\""
    );
}

#[test]
fn server_stopped_mid_run_gives_unavailable_within_timeout_then_recovers() {
    needs!(Redis);
    let mut server = RedisServer::start();
    let timeout = Duration::from_millis(500);
    let store =
        RedisStore::open(config(&server).connect_timeout(timeout).io_timeout(timeout)).unwrap();
    store.save("k", &TokenSet::bearer("before")).unwrap();
    assert!(store.exists("k").unwrap());

    server.stop();
    for attempt in 0..3 {
        let started = Instant::now();
        let err = store.load("k").unwrap_err();
        let took = started.elapsed();
        assert_eq!(
            err.kind(),
            ErrorKind::Unavailable,
            "attempt {attempt}: {err}"
        );
        assert!(err.to_string().contains(&server.port.to_string()), "{err}");
        assert!(took < timeout * 4, "attempt {attempt} took {took:?}");
    }
    let err = store.save("k", &TokenSet::bearer("x")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable);
    assert_eq!(
        store.list_keys().unwrap_err().kind(),
        ErrorKind::Unavailable
    );

    server.restart();
    // Same store object, no rebuild: works again (the data was in memory
    // of the killed server, so it is gone).
    assert!(store.load("k").unwrap().is_none());
    store.save("k", &TokenSet::bearer("after")).unwrap();
    assert_eq!(
        store.load("k").unwrap().unwrap().access_token.expose(),
        "after"
    );
}

#[test]
fn a_frozen_server_times_out_instead_of_hanging() {
    needs!(Redis);
    let server = RedisServer::start();
    let timeout = Duration::from_millis(400);
    let store =
        RedisStore::open(config(&server).connect_timeout(timeout).io_timeout(timeout)).unwrap();
    store.save("k", &TokenSet::bearer("a")).unwrap();
    server.signal("STOP");
    let started = Instant::now();
    let err = store.load("k").unwrap_err();
    let took = started.elapsed();
    server.signal("CONT");
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(took < timeout * 3, "took {took:?}");
    // Back to normal once the server runs again.
    assert_eq!(store.load("k").unwrap().unwrap().access_token.expose(), "a");
}

#[test]
fn unreachable_at_open_is_not_an_error_until_used() {
    let port = support::servers::free_port();
    let store = RedisStore::open(
        RedisConfig::new(format!("redis://:pw-secret@127.0.0.1:{port}/0"))
            .connect_timeout(Duration::from_millis(300)),
    )
    .unwrap();
    let err = store.ping().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable);
    assert!(!err.to_string().contains("pw-secret"), "{err}");
    assert!(!format!("{store:?}").contains("pw-secret"));
}

#[test]
fn bad_urls_are_invalid_arguments() {
    for url in [
        "http://x",
        "redis+cluster://",
        "redis://h?pool_size=0",
        "redis://h?timeout_ms=soon",
        "redis://h?timeout_ms=0",
        "redis://h?connect_timeout_ms=0",
        "redis://h?lock_lease_ms=0",
        "redis://h?prefix=",
    ] {
        let err = RedisConfig::from_url(url)
            .and_then(RedisStore::open)
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{url}: {err}");
    }
}

/// The Redis and memcached URLs read their shared settings with one
/// parser: every bad value of every setting is refused by both, with the
/// same words but for the store's name.
#[cfg(feature = "memcache")]
#[test]
fn redis_and_memcache_url_settings_are_refused_alike() {
    use oauthkit::store::MemcacheConfig;
    let mut checked = 0;
    for k in [
        "prefix",
        "pool_size",
        "connect_timeout_ms",
        "timeout_ms",
        "lock_lease_ms",
    ] {
        for v in ["", "0", "-1", "2.5", "soon", "18446744073709551616"] {
            if k == "prefix" && !v.is_empty() {
                continue; // any other prefix is a prefix
            }
            let r = RedisConfig::from_url(&format!("redis://127.0.0.1:6379?{k}={v}")).unwrap_err();
            let m = MemcacheConfig::from_url(&format!("memcache://127.0.0.1:11211?{k}={v}"))
                .unwrap_err();
            assert_eq!(r.kind(), ErrorKind::InvalidArgument, "{k}={v}: {r}");
            assert_eq!(m.kind(), ErrorKind::InvalidArgument, "{k}={v}: {m}");
            assert_eq!(
                r.to_string().replace("redis", "memcache"),
                m.to_string(),
                "{k}={v}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 25);
    // What both accept they read the same way.
    let q = "prefix=p&pool_size=3&connect_timeout_ms=4&timeout_ms=5&lock_lease_ms=6";
    let r = RedisConfig::from_url(&format!("redis://127.0.0.1:6379?{q}")).unwrap();
    let m = MemcacheConfig::from_url(&format!("memcache://127.0.0.1:11211?{q}")).unwrap();
    assert_eq!((r.prefix.as_str(), r.pool_size), ("p", 3));
    assert_eq!((m.prefix.as_str(), m.pool_size), ("p", 3));
    for (a, b, ms) in [
        (r.connect_timeout, m.connect_timeout, 4),
        (r.io_timeout, m.io_timeout, 5),
        (r.lock_lease, m.lock_lease, 6),
    ] {
        assert_eq!(
            (a, b),
            (Duration::from_millis(ms), Duration::from_millis(ms))
        );
    }
    // Redis passes other settings on to the server's URL; memcached has
    // none and refuses them.
    let r = RedisConfig::from_url("redis://127.0.0.1:6379/0?prefix=p&protocol=resp3").unwrap();
    assert_eq!(r.nodes, ["redis://127.0.0.1:6379/0?protocol=resp3"]);
    let m = MemcacheConfig::from_url("memcache://127.0.0.1:11211?protocol=resp3").unwrap_err();
    assert!(
        m.to_string()
            .contains("unknown memcache URL setting 'protocol'"),
        "{m}"
    );
}

#[test]
fn pool_size_bounds_connections() {
    needs!(Redis);
    let server = RedisServer::start();
    let store = RedisStore::open(config(&server).pool_size(3)).unwrap();
    std::thread::scope(|s| {
        for t in 0..12 {
            let store = store.clone();
            s.spawn(move || {
                for i in 0..50 {
                    store
                        .save(&format!("{t}-{i}"), &TokenSet::bearer("a"))
                        .unwrap();
                }
            });
        }
    });
    assert_eq!(store.list_keys().unwrap().len(), 600);
    let clients: usize = server
        .cli(&["CLIENT", "LIST"])
        .lines()
        .filter(|l| !l.contains("cmd=client"))
        .count();
    assert!(clients <= 3, "{clients} connections open");
}

#[test]
fn key_lock_excludes_another_client_and_is_released_on_drop() {
    needs!(Redis);
    let server = RedisServer::start();
    // Two stores with separate pools: as two processes would be.
    let a = RedisStore::open(config(&server)).unwrap();
    let b = RedisStore::open(config(&server)).unwrap();
    let held = a.lock_key("alice", Duration::from_secs(1)).unwrap();
    let lock = lock_key_of(&server, "alice");
    let pttl: i64 = server.cli(&["PTTL", &lock]).parse().unwrap();
    assert!(pttl > 0 && pttl <= 30_000, "lock lease {pttl}");
    let started = Instant::now();
    let err = b.lock_key("alice", Duration::from_millis(200)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LockTimeout);
    assert!(started.elapsed() >= Duration::from_millis(200));
    // Other keys and other namespaces are not blocked.
    drop(b.lock_key("bob", Duration::from_millis(100)).unwrap());
    drop(
        b.in_namespace("x")
            .lock_key("alice", Duration::from_millis(100))
            .unwrap(),
    );
    drop(held);
    assert_eq!(server.cli(&["EXISTS", &lock]), "0");
    drop(b.lock_key("alice", Duration::from_millis(100)).unwrap());
}

#[test]
fn key_lock_waits_for_release_across_threads() {
    needs!(Redis);
    let server = RedisServer::start();
    let a = RedisStore::open(config(&server)).unwrap();
    let b = RedisStore::open(config(&server)).unwrap();
    let counter = std::sync::atomic::AtomicU32::new(0);
    std::thread::scope(|s| {
        for store in [&a, &b, &a, &b] {
            let counter = &counter;
            s.spawn(move || {
                for _ in 0..10 {
                    let _l = store.lock_key("shared", Duration::from_secs(10)).unwrap();
                    // A read-modify-write that loses updates without the lock.
                    let v = counter.load(std::sync::atomic::Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(1));
                    counter.store(v + 1, std::sync::atomic::Ordering::SeqCst);
                }
            });
        }
    });
    assert_eq!(counter.into_inner(), 40);
}

/// The Redis key of the held lock on `key` (its hash tag puts it in the
/// token set's cluster slot: `oauthkit:oauth:locks:{TAG}:key`).
fn lock_key_of(server: &RedisServer, key: &str) -> String {
    let found = server.cli(&[
        "--scan",
        "--pattern",
        &format!("oauthkit:oauth:locks:*:{key}"),
    ]);
    let keys: Vec<&str> = found.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(keys.len(), 1, "{keys:?}");
    keys[0].to_owned()
}

#[test]
fn a_held_lock_outlives_its_lease_while_the_heartbeat_renews_it() {
    needs!(Redis);
    let server = RedisServer::start();
    let a = RedisStore::open(config(&server).lock_lease(Duration::from_millis(150))).unwrap();
    let b = RedisStore::open(config(&server)).unwrap();
    let held = a.lock_key("k", Duration::from_secs(1)).unwrap();
    std::thread::sleep(Duration::from_millis(600));
    let err = b.lock_key("k", Duration::from_millis(100)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LockTimeout);
    held.confirm().unwrap();
    a.save_locked("k", &TokenSet::bearer("a"), &held).unwrap();
    drop(held);
    // Released: the heartbeat stopped and the lease is gone.
    drop(b.lock_key("k", Duration::from_millis(500)).unwrap());
}

#[test]
fn a_holder_whose_lease_ran_out_writes_deletes_and_releases_nothing() {
    needs!(Redis);
    let server = RedisServer::start();
    let a = RedisStore::open(config(&server)).unwrap();
    let b = RedisStore::open(config(&server)).unwrap();
    a.save("k", &TokenSet::bearer("before")).unwrap();
    let stale = a.lock_key("k", Duration::from_secs(1)).unwrap();
    // The lease runs out as it does when its holder is paused as a whole
    // (heartbeat included): Redis drops the key.
    let lock = lock_key_of(&server, "k");
    server.cli(&["DEL", &lock]);
    let fresh = b.lock_key("k", Duration::from_secs(1)).unwrap();
    b.save_locked("k", &TokenSet::bearer("b"), &fresh).unwrap();
    for err in [
        a.save_locked("k", &TokenSet::bearer("stale"), &stale)
            .unwrap_err(),
        a.delete_locked("k", &stale).unwrap_err(),
        stale.confirm().unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::LockTimeout, "{err}");
        assert!(matches!(err, oauthkit::Error::LockLost { .. }), "{err:?}");
    }
    assert_eq!(a.load("k").unwrap().unwrap().access_token.expose(), "b");
    // a's late release must not free b's lock.
    drop(stale);
    assert_eq!(server.cli(&["EXISTS", &lock]), "1");
    let err = a.lock_key("k", Duration::from_millis(100)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LockTimeout);
    assert!(b.delete_locked("k", &fresh).unwrap());
    drop(fresh);
}

#[test]
fn a_lock_is_refused_for_another_key() {
    needs!(Redis);
    let server = RedisServer::start();
    let a = RedisStore::open(config(&server)).unwrap();
    let bob = a.lock_key("bob", Duration::from_secs(1)).unwrap();
    let err = a
        .save_locked("alice", &TokenSet::bearer("x"), &bob)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    let other = a.in_namespace("other");
    assert_eq!(
        other.delete_locked("bob", &bob).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    assert!(a.load("alice").unwrap().is_none());
}

#[test]
fn factory_opens_redis_specs() {
    needs!(Redis);
    let server = RedisServer::start();
    let spec = format!(
        "redis://127.0.0.1:{}/0?prefix=pywry&namespace=app",
        server.port
    );
    let store = oauthkit::store::open(&spec).unwrap();
    assert_eq!(store.backend(), "redis");
    assert_eq!(store.namespace(), "app");
    store.save("k", &TokenSet::bearer("a")).unwrap();
    assert_eq!(server.cli(&["EXISTS", "pywry:app:oauth:tokens:k"]), "1");
    let default =
        oauthkit::store::open(&format!("redis://127.0.0.1:{}/0?prefix=pywry", server.port))
            .unwrap();
    assert_eq!(default.namespace(), "DEFAULT");
    default.save("k", &TokenSet::bearer("b")).unwrap();
    assert_eq!(server.cli(&["EXISTS", "pywry:oauth:tokens:k"]), "1");
}
