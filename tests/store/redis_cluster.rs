//! The Redis token store on a real three-node Redis Cluster (joined with
//! `redis-cli --cluster create`).
#![cfg(feature = "redis")]

use crate::support;

use oauthkit::store::{RedisConfig, RedisStore};
use oauthkit::{TokenSet, TokenStore};
use support::servers::RedisCluster;

fn fresh() -> (RedisStore, RedisCluster) {
    let cluster = RedisCluster::start();
    (
        RedisStore::open(RedisConfig::cluster(cluster.urls())).unwrap(),
        cluster,
    )
}

token_store_conformance!(fresh(), |s: &RedisStore| s.in_namespace("other"));

#[test]
fn keys_spread_over_all_primaries_and_list_keys_sees_them_all() {
    needs!(Redis);
    let (store, cluster) = fresh();
    for i in 0..60 {
        store
            .save(&format!("user-{i}"), &TokenSet::bearer("a"))
            .unwrap();
    }
    // Each node holds only its slots' keys...
    let per_node: Vec<usize> = cluster
        .nodes
        .iter()
        .map(|n| n.cli(&["DBSIZE"]).parse().unwrap())
        .collect();
    assert_eq!(per_node.iter().sum::<usize>(), 60, "{per_node:?}");
    assert!(per_node.iter().all(|n| *n > 0), "{per_node:?}");
    // ...and SCAN on every primary finds them all.
    assert_eq!(store.list_keys().unwrap().len(), 60);
    assert_eq!(store.namespaces().unwrap(), vec!["DEFAULT"]);
}

#[test]
fn layout_is_pywrys_on_a_cluster_too() {
    needs!(Redis);
    let cluster = RedisCluster::start();
    let store = RedisStore::open(RedisConfig::cluster(cluster.urls()).prefix("pywry")).unwrap();
    store
        .save("alice", &TokenSet::bearer("AT").with_expires_in(60))
        .unwrap();
    let raw: serde_json::Value =
        serde_json::from_str(&cluster.cli(&["GET", "pywry:oauth:tokens:alice"])).unwrap();
    assert_eq!(raw["access_token"], "AT");
    let ttl: i64 = cluster
        .cli(&["TTL", "pywry:oauth:tokens:alice"])
        .parse()
        .unwrap();
    assert!((300..=360).contains(&ttl), "{ttl}");
}

#[test]
fn factory_opens_a_cluster_spec() {
    needs!(Redis);
    let cluster = RedisCluster::start();
    let store = oauthkit::store::open(&format!("{}?namespace=app", cluster.spec())).unwrap();
    assert_eq!(store.backend(), "redis");
    store.save("k", &TokenSet::bearer("a")).unwrap();
    assert_eq!(cluster.cli(&["EXISTS", "oauthkit:app:oauth:tokens:k"]), "1");
    assert_eq!(store.list_keys().unwrap(), vec!["k"]);
}

#[test]
fn key_locks_work_on_a_cluster() {
    needs!(Redis);
    let (a, cluster) = fresh();
    let b = RedisStore::open(RedisConfig::cluster(cluster.urls())).unwrap();
    let held = a.lock_key("k", std::time::Duration::from_secs(1)).unwrap();
    let err = b
        .lock_key("k", std::time::Duration::from_millis(100))
        .unwrap_err();
    assert_eq!(err.kind(), oauthkit::ErrorKind::LockTimeout);
    drop(held);
    drop(
        b.lock_key("k", std::time::Duration::from_millis(500))
            .unwrap(),
    );
}

#[test]
fn fenced_writes_work_on_every_slot_and_refuse_a_lost_lock() {
    needs!(Redis);
    use std::time::Duration;
    let (store, cluster) = fresh();
    // The lock and the token set share a slot, or the script is refused
    // (CROSSSLOT): keys spread over every node, with and without hash tags.
    for key in [
        "alice", "bob", "{carol}", "x{y}z", "a}b{", "user-17", "user-42",
    ] {
        let lock = store.lock_key(key, Duration::from_secs(2)).unwrap();
        store
            .save_locked(key, &TokenSet::bearer("a"), &lock)
            .unwrap();
        assert_eq!(store.load(key).unwrap().unwrap().access_token.expose(), "a");
        assert!(store.delete_locked(key, &lock).unwrap());
        assert!(store.load(key).unwrap().is_none());
    }
    let stale = store.lock_key("alice", Duration::from_secs(2)).unwrap();
    let mut removed = 0;
    for node in &cluster.nodes {
        let found = node.cli(&["--scan", "--pattern", "oauthkit:oauth:locks:*"]);
        for k in found.lines().filter(|l| !l.is_empty()) {
            node.cli(&["DEL", k]);
            removed += 1;
        }
    }
    assert_eq!(removed, 1);
    let err = store
        .save_locked("alice", &TokenSet::bearer("stale"), &stale)
        .unwrap_err();
    assert!(matches!(err, oauthkit::Error::LockLost { .. }), "{err:?}");
    assert!(store.load("alice").unwrap().is_none());
}

/// The encrypted store writes its sealed bytes on every slot of a cluster
/// and reads them back; a plain reader sees the placeholder token set.
#[test]
fn sealed_records_round_trip_on_a_cluster() {
    needs!(Redis);
    let (store, cluster) = fresh();
    let keys = oauthkit::store::SealingKeys::from_raw_keys([[3u8; 32]]).unwrap();
    let sealed = oauthkit::store::EncryptedStore::new(store.clone(), keys);
    for i in 0..20 {
        let tokens = TokenSet::bearer(format!("at-{i}")).with_refresh_token(format!("rt-{i}"));
        sealed.save(&format!("k{i}"), &tokens).unwrap();
        let raw = cluster.cli(&["GET", &format!("oauthkit:oauth:tokens:k{i}")]);
        assert!(raw.starts_with("oak:v1b:") && !raw.contains("at-"), "{raw}");
        assert_eq!(sealed.load(&format!("k{i}")).unwrap().unwrap(), tokens);
        let lock = sealed
            .lock_key(&format!("k{i}"), std::time::Duration::from_secs(5))
            .unwrap();
        sealed
            .save_locked(&format!("k{i}"), &tokens, &lock)
            .unwrap();
        drop(lock);
        assert_eq!(
            store.load(&format!("k{i}")).unwrap().unwrap().token_type,
            "oauthkit-sealed-v1"
        );
    }
    assert_eq!(sealed.list_keys().unwrap().len(), 20);
    assert_eq!(sealed.load_all().unwrap().len(), 20);
}
