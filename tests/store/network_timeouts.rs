//! Network stores honour their timeouts: against a server that stops
//! answering (a real redis-server or memcached frozen with SIGSTOP, a
//! loopback server that accepts and never answers, a port that never
//! accepts), one call fails with `Unavailable` within connect_timeout +
//! one io_timeout, and the error names the limit that fired.
//!
//! The bound is a correctness bound (no call may wait for two timeouts or
//! retry after one), asserted with a margin for a loaded 2-core machine;
//! measured times are printed (`--nocapture`).
#![cfg(all(feature = "redis", feature = "memcache"))]

use crate::support;

use std::time::{Duration, Instant};

use oauthkit::server::{AccessTokenStore, MemcacheServerStore, RedisServerStore};
use oauthkit::store::{MemcacheConfig, MemcacheStore};
use oauthkit::store::{RedisConfig, RedisStore};
use oauthkit::{Error, ErrorKind, TokenSet, TokenStore};
use support::servers::{Memcached, NeverAccepts, RedisCluster, RedisServer, SilentServer};

/// Distinct values, so that the message shows which one fired.
const CONNECT: Duration = Duration::from_millis(600);
const IO: Duration = Duration::from_millis(900);
/// Scheduling slack on a busy machine; well below one more timeout.
const MARGIN: Duration = Duration::from_millis(500);

/// Which limit the error must name.
#[derive(Clone, Copy, Debug)]
enum Limit {
    Connect,
    Io,
}

/// Runs `call`, checks it failed as Unavailable within the bound and
/// names `limit`; prints the time.
fn expect_timeout<T: std::fmt::Debug>(
    what: &str,
    limit: Limit,
    call: impl FnOnce() -> oauthkit::Result<T>,
) {
    let started = Instant::now();
    let result = call();
    let took = started.elapsed();
    let err: Error = result.expect_err(what);
    println!("{what}: {} ms: {err}", took.as_millis());
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{what}: {err}");
    assert!(
        took <= CONNECT + IO + MARGIN,
        "{what} took {took:?}, more than connect_timeout {CONNECT:?} + io_timeout {IO:?} (+{MARGIN:?}): {err}"
    );
    let text = err.to_string();
    let connect = text.contains("600 ms (connect_timeout");
    let io = text.contains("900 ms (io_timeout");
    let named = match limit {
        Limit::Connect => connect,
        Limit::Io => io,
    };
    assert!(
        named,
        "{what}: the error must name the {limit:?} limit that fired: {text} (after {took:?}; source: {:?})",
        std::error::Error::source(&err)
    );
}

fn redis_config(url: String) -> RedisConfig {
    RedisConfig::new(url)
        .connect_timeout(CONNECT)
        .io_timeout(IO)
}

fn memcache_config(port: u16) -> MemcacheConfig {
    MemcacheConfig::new(format!("127.0.0.1:{port}"))
        .connect_timeout(CONNECT)
        .io_timeout(IO)
}

/// Every token-store call against a server that stopped answering.
fn every_call(prefix: &str, store: &dyn TokenStore, first: Limit, later: Limit) {
    expect_timeout(&format!("{prefix} load"), first, || store.load("k"));
    expect_timeout(&format!("{prefix} load again"), later, || store.load("k"));
    expect_timeout(&format!("{prefix} save"), later, || {
        store.save("k", &TokenSet::bearer("x"))
    });
    expect_timeout(&format!("{prefix} exists"), later, || store.exists("k"));
    expect_timeout(&format!("{prefix} delete"), later, || store.delete("k"));
    expect_timeout(&format!("{prefix} list_keys"), later, || store.list_keys());
}

#[test]
fn redis_frozen_after_use() {
    needs!(Redis);
    let server = RedisServer::start();
    let store = RedisStore::open(redis_config(server.url())).unwrap();
    store.save("k", &TokenSet::bearer("a")).unwrap();
    server.signal("STOP");
    // The pooled connection waits for a reply; later calls connect anew
    // (the kernel still accepts) and wait for the reply too.
    every_call("redis frozen after use:", &store, Limit::Io, Limit::Io);
    expect_timeout("redis frozen after use: save_all", Limit::Io, || {
        store.save_all(&many_token_sets())
    });
    server.signal("CONT");
    // Works again (the commands that timed out may have run meanwhile).
    store.save("k", &TokenSet::bearer("b")).unwrap();
    assert_eq!(store.load("k").unwrap().unwrap().access_token.expose(), "b");
}

/// Twenty token sets: `save_all` must not wait once per key.
fn many_token_sets() -> std::collections::BTreeMap<String, TokenSet> {
    (0..20)
        .map(|i| (format!("k{i}"), TokenSet::bearer(format!("at{i}"))))
        .collect()
}

#[test]
fn redis_frozen_before_first_use() {
    needs!(Redis);
    let server = RedisServer::start();
    let store = RedisStore::open(redis_config(server.url())).unwrap();
    server.signal("STOP");
    every_call("redis frozen before use:", &store, Limit::Io, Limit::Io);
    server.signal("CONT");
    store.save("k", &TokenSet::bearer("a")).unwrap();
}

/// With a password and a database the connection needs a handshake
/// (`AUTH`, `SELECT`): all of it within one connect timeout.
#[test]
fn redis_with_password_and_database_frozen() {
    needs!(Redis);
    let server = RedisServer::start();
    server.cli(&["CONFIG", "SET", "requirepass", "pw-secret"]);
    let url = format!("redis://:pw-secret@127.0.0.1:{}/3", server.port);
    let store = RedisStore::open(redis_config(url.clone())).unwrap();
    store.save("k", &TokenSet::bearer("a")).unwrap();
    assert_eq!(
        server.cli(&[
            "-a",
            "pw-secret",
            "--no-auth-warning",
            "-n",
            "3",
            "EXISTS",
            "oauthkit:oauth:tokens:k"
        ]),
        "1"
    );
    server.signal("STOP");
    expect_timeout("redis+auth+db frozen after use: load", Limit::Io, || {
        store.load("k")
    });
    every_call(
        "redis+auth+db frozen after use, new connection:",
        &store,
        Limit::Connect,
        Limit::Connect,
    );
    let cold = RedisStore::open(redis_config(url)).unwrap();
    every_call(
        "redis+auth+db frozen before use:",
        &cold,
        Limit::Connect,
        Limit::Connect,
    );
    server.signal("CONT");
    cold.save("k", &TokenSet::bearer("b")).unwrap();
    assert_eq!(cold.load("k").unwrap().unwrap().access_token.expose(), "b");
    // A wrong password is not a timeout.
    let wrong = RedisStore::open(redis_config(format!(
        "redis://:nope@127.0.0.1:{}/3",
        server.port
    )))
    .unwrap();
    let err = wrong.load("k").unwrap_err();
    assert!(!err.to_string().contains("nope"), "{err}");
    assert!(!err.to_string().contains("timeout"), "{err}");
}

#[test]
fn redis_server_that_accepts_and_never_answers() {
    let silent = SilentServer::start();
    let store =
        RedisStore::open(redis_config(format!("redis://127.0.0.1:{}/0", silent.port))).unwrap();
    every_call("redis silent:", &store, Limit::Io, Limit::Io);
    let with_db =
        RedisStore::open(redis_config(format!("redis://127.0.0.1:{}/2", silent.port))).unwrap();
    every_call(
        "redis silent, database 2:",
        &with_db,
        Limit::Connect,
        Limit::Connect,
    );
    // TLS: the handshake is part of connecting.
    let tls = RedisStore::open(redis_config(format!(
        "rediss://127.0.0.1:{}/0",
        silent.port
    )))
    .unwrap();
    every_call("rediss silent:", &tls, Limit::Connect, Limit::Connect);
}

#[test]
fn redis_port_that_never_accepts() {
    let never = NeverAccepts::start();
    let port = never.port;
    let store = RedisStore::open(redis_config(format!("redis://127.0.0.1:{port}/0"))).unwrap();
    every_call(
        "redis never accepts:",
        &store,
        Limit::Connect,
        Limit::Connect,
    );
    let tls = RedisStore::open(redis_config(format!("rediss://127.0.0.1:{port}/0"))).unwrap();
    expect_timeout("rediss never accepts: load", Limit::Connect, || {
        tls.load("k")
    });
}

fn cluster_config(urls: Vec<String>) -> RedisConfig {
    RedisConfig::cluster(urls)
        .connect_timeout(CONNECT)
        .io_timeout(IO)
}

#[test]
fn redis_cluster_frozen_after_use_and_never_accepting() {
    needs!(Redis);
    let cluster = RedisCluster::start();
    let store = RedisStore::open(cluster_config(cluster.urls())).unwrap();
    store.save("k", &TokenSet::bearer("a")).unwrap();
    for n in &cluster.nodes {
        n.signal("STOP");
    }
    expect_timeout("cluster frozen after use: load", Limit::Io, || {
        store.load("k")
    });
    for n in &cluster.nodes {
        n.signal("CONT");
    }
    store.save("k", &TokenSet::bearer("b")).unwrap();
    assert_eq!(store.load("k").unwrap().unwrap().access_token.expose(), "b");

    let never = NeverAccepts::start();
    let store = RedisStore::open(cluster_config(vec![format!(
        "redis://127.0.0.1:{}",
        never.port
    )]))
    .unwrap();
    expect_timeout("cluster never accepts: load", Limit::Connect, || {
        store.load("k")
    });
}

/// The cluster client would try every seed and wait for each setup reply
/// (3668 ms for three frozen seeds and a 600 ms connect timeout); the pool
/// probes the seeds itself within one connect timeout first.
#[test]
fn redis_cluster_frozen_before_first_use() {
    needs!(Redis);
    let cluster = RedisCluster::start();
    for n in &cluster.nodes {
        n.signal("STOP");
    }
    let cold = RedisStore::open(cluster_config(cluster.urls())).unwrap();
    expect_timeout("cluster frozen before use: load", Limit::Connect, || {
        cold.load("k")
    });
    for n in &cluster.nodes {
        n.signal("CONT");
    }
    cold.save("k", &TokenSet::bearer("a")).unwrap();
    assert_eq!(cold.load("k").unwrap().unwrap().access_token.expose(), "a");

    let silent: Vec<SilentServer> = (0..3).map(|_| SilentServer::start()).collect();
    let store = RedisStore::open(cluster_config(
        silent
            .iter()
            .map(|s| format!("redis://127.0.0.1:{}", s.port))
            .collect(),
    ))
    .unwrap();
    expect_timeout("cluster silent: load", Limit::Connect, || store.load("k"));
}

#[test]
fn redis_server_store_frozen_silent_and_never_accepting() {
    needs!(Redis);
    let server = RedisServer::start();
    let store = RedisServerStore::open(redis_config(server.url()), "oauth2").unwrap();
    assert_eq!(
        store.fetch_by_token("t").unwrap_err().kind(),
        ErrorKind::NotFound
    );
    server.signal("STOP");
    expect_timeout(
        "redis server store frozen: fetch_by_token",
        Limit::Io,
        || store.fetch_by_token("t"),
    );
    expect_timeout(
        "redis server store frozen: fetch_by_refresh_token",
        Limit::Io,
        || store.fetch_by_refresh_token("t"),
    );
    server.signal("CONT");
    let silent = SilentServer::start();
    let store = RedisServerStore::open(
        redis_config(format!("redis://127.0.0.1:{}/0", silent.port)),
        "oauth2",
    )
    .unwrap();
    expect_timeout(
        "redis server store silent: fetch_by_token",
        Limit::Io,
        || store.fetch_by_token("t"),
    );
    let never = NeverAccepts::start();
    let port = never.port;
    let store = RedisServerStore::open(
        redis_config(format!("redis://127.0.0.1:{port}/0")),
        "oauth2",
    )
    .unwrap();
    expect_timeout(
        "redis server store never accepts: fetch_by_token",
        Limit::Connect,
        || store.fetch_by_token("t"),
    );
}

#[test]
fn memcached_frozen_after_use() {
    needs!(Memcached);
    let m = Memcached::start();
    let store = MemcacheStore::open(memcache_config(m.port)).unwrap();
    store.save("k", &TokenSet::bearer("a")).unwrap();
    m.signal("STOP");
    // memcached has no handshake: a new connection is made (the kernel
    // accepts for the frozen process) and then the reply never comes.
    every_call("memcached frozen after use:", &store, Limit::Io, Limit::Io);
    m.signal("CONT");
    // Works again (the commands that timed out may have run meanwhile).
    store.save("k", &TokenSet::bearer("b")).unwrap();
    assert_eq!(store.load("k").unwrap().unwrap().access_token.expose(), "b");
}

#[test]
fn memcached_frozen_before_first_use_and_silent() {
    needs!(Memcached);
    let m = Memcached::start();
    let store = MemcacheStore::open(memcache_config(m.port)).unwrap();
    m.signal("STOP");
    every_call("memcached frozen before use:", &store, Limit::Io, Limit::Io);
    m.signal("CONT");
    let silent = SilentServer::start();
    let store = MemcacheStore::open(memcache_config(silent.port)).unwrap();
    every_call("memcached silent:", &store, Limit::Io, Limit::Io);
}

#[test]
fn memcached_port_that_never_accepts() {
    let never = NeverAccepts::start();
    let port = never.port;
    let store = MemcacheStore::open(memcache_config(port)).unwrap();
    every_call(
        "memcached never accepts:",
        &store,
        Limit::Connect,
        Limit::Connect,
    );
}

#[test]
fn memcache_server_store_frozen_silent_and_never_accepting() {
    needs!(Memcached);
    let m = Memcached::start();
    let store = MemcacheServerStore::open(memcache_config(m.port)).unwrap();
    assert_eq!(
        store.fetch_by_token("t").unwrap_err().kind(),
        ErrorKind::NotFound
    );
    m.signal("STOP");
    expect_timeout(
        "memcache server store frozen: fetch_by_token",
        Limit::Io,
        || store.fetch_by_token("t"),
    );
    expect_timeout(
        "memcache server store frozen: fetch_by_refresh_token",
        Limit::Io,
        || store.fetch_by_refresh_token("t"),
    );
    m.signal("CONT");
    let silent = SilentServer::start();
    let store = MemcacheServerStore::open(memcache_config(silent.port)).unwrap();
    expect_timeout(
        "memcache server store silent: fetch_by_token",
        Limit::Io,
        || store.fetch_by_token("t"),
    );
    let never = NeverAccepts::start();
    let port = never.port;
    let store = MemcacheServerStore::open(memcache_config(port)).unwrap();
    expect_timeout(
        "memcache server store never accepts: fetch_by_token",
        Limit::Connect,
        || store.fetch_by_token("t"),
    );
}
