//! Errors keep their kind under faults (issue 21, item 9): whatever point a
//! network store's reply is cut at (the server killed mid-reply, a
//! connection reset), the failure is `ErrorKind::Unavailable`, never
//! `Storage` or anything else. A loopback proxy in front of a real
//! memcached and a real Redis cuts the reply at every byte offset of a
//! conversation of each operation (save, load, list, load all, lock,
//! delete), on a fresh store and on one whose connections were in use.
#![cfg(all(feature = "memcache", feature = "redis"))]

use crate::support;

use std::time::Duration;

use oauthkit::store::{MemcacheConfig, MemcacheStore};
use oauthkit::store::{RedisConfig, RedisStore};
use oauthkit::{ErrorKind, TokenSet, TokenStore};
use support::cutting_proxy::CuttingProxy;
use support::servers::{Memcached, RedisServer};

type Op = fn(&dyn TokenStore, &str) -> Result<(), oauthkit::Error>;

/// Every kind of conversation a store has with its server.
const OPERATIONS: [(&str, Op); 6] = [
    ("save", |s, _| {
        s.save(
            "alice",
            &TokenSet::bearer("at-torn").with_refresh_token("rt-torn"),
        )
    }),
    ("load", |s, _| s.load("alice").map(drop)),
    ("list", |s, _| s.list_keys().map(drop)),
    ("load_all", |s, _| s.load_all().map(drop)),
    // A lock taken by a request whose reply was lost stays taken until its
    // lease ends: each attempt locks its own key.
    ("lock", |s, lock| {
        s.lock_key(lock, Duration::from_secs(2)).map(drop)
    }),
    ("delete", |s, _| s.delete("alice").map(drop)),
];

/// Runs `op`; a failure must be `Unavailable`. Whether it failed.
fn run(store: &dyn TokenStore, (what, op): (&str, Op), cut: usize, lock: &str) -> bool {
    match op(store, lock) {
        Ok(()) => false,
        Err(e) => {
            assert_eq!(
                e.kind(),
                ErrorKind::Unavailable,
                "{} cut after {cut} bytes of reply: {what} failed with {:?}: {e}",
                store.backend(),
                e.kind()
            );
            true
        }
    }
}

/// For each operation: measures its reply's length, then runs it once per
/// cut offset, on a fresh store (the cut hits its first connection) and on
/// a store that already worked (its pooled connections are closed under
/// it, so the cut hits the retry on a new connection too).
fn sweep(proxy: &CuttingProxy, open: impl Fn() -> Box<dyn TokenStore>) {
    let warm = open();
    let mut failures = 0;
    let mut offsets = 0;
    for (i, op) in OPERATIONS.into_iter().enumerate() {
        proxy.cut_after(None);
        // What the operation finds: a saved record.
        assert!(!run(&*warm, OPERATIONS[0], usize::MAX, "setup"));
        let _ = proxy.take_forwarded();
        assert!(!run(&*open(), op, usize::MAX, &format!("measure-{i}")));
        let total = proxy.take_forwarded();
        assert!(total > 3, "{}: {total} bytes of reply", op.0);
        for cut in 0..=total {
            proxy.cut_after(Some(cut));
            failures += usize::from(run(&*open(), op, cut, &format!("fresh-{i}-{cut}")));
            failures += usize::from(run(&*warm, op, cut, &format!("warm-{i}-{cut}")));
        }
        offsets += total;
    }
    proxy.cut_after(None);
    assert!(
        failures > offsets,
        "the cuts broke only {failures} operations over {offsets} offsets"
    );
    // The store works again once replies are whole.
    for op in OPERATIONS {
        assert!(
            !run(&*warm, op, usize::MAX, "after"),
            "{} after the sweep",
            op.0
        );
    }
}

#[test]
fn memcached_replies_cut_at_every_offset_are_unavailable() {
    needs!(Memcached);
    let m = Memcached::start();
    let proxy = CuttingProxy::start(m.port);
    let port = proxy.port;
    sweep(&proxy, || {
        Box::new(
            MemcacheStore::open(
                MemcacheConfig::new(format!("127.0.0.1:{port}"))
                    .connect_timeout(Duration::from_secs(2))
                    .io_timeout(Duration::from_secs(2)),
            )
            .unwrap(),
        )
    });
}

#[test]
fn redis_replies_cut_at_every_offset_are_unavailable() {
    needs!(Redis);
    let r = RedisServer::start();
    let proxy = CuttingProxy::start(r.port);
    let port = proxy.port;
    sweep(&proxy, || {
        Box::new(
            RedisStore::open(
                RedisConfig::new(format!("redis://127.0.0.1:{port}/0"))
                    .connect_timeout(Duration::from_secs(2))
                    .io_timeout(Duration::from_secs(2)),
            )
            .unwrap(),
        )
    });
}
