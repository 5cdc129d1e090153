//! Save and load per operation for the Redis and memcached token stores,
//! with one client thread and with eight, against servers this benchmark
//! starts on loopback; and, in the same run, `redis-benchmark -c 1` and
//! `-c 8` GET/SET against the same Redis for comparison.
//!
//! `cargo bench --bench network_stores --features redis,memcache`
//! (needs redis-server, redis-benchmark and memcached: run
//! scripts/setup-servers.sh).
//!
//! With eight threads the reported time is wall time divided by all
//! operations of all threads, so it is the inverse of the throughput.

use std::hint::black_box;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use oauthkit::store::memcache::{MemcacheConfig, MemcacheStore};
use oauthkit::store::redis::{RedisConfig, RedisStore};
use oauthkit::{TokenSet, TokenStore};

#[path = "../tests/support/servers.rs"]
mod servers;

fn token(n: usize) -> TokenSet {
    TokenSet::bearer(format!("access-token-{n}-{}", "x".repeat(800)))
        .with_refresh_token(format!("refresh-{n}-{}", "y".repeat(100)))
        .with_scopes(["openid", "email", "profile", "offline_access"])
        .with_identity_id(format!("user-{n}"))
        .with_expires_in(3600)
}

/// Runs `ops` operations split over `threads` threads; returns wall time.
fn run_threads(
    store: &Arc<dyn TokenStore>,
    threads: u64,
    ops: u64,
    save: bool,
    t: &TokenSet,
) -> Duration {
    let started = Instant::now();
    std::thread::scope(|s| {
        for th in 0..threads {
            let store = Arc::clone(store);
            let share = ops / threads + u64::from(th < ops % threads);
            s.spawn(move || {
                let key = format!("bench-{th}");
                for _ in 0..share {
                    if save {
                        store.save(&key, black_box(t)).unwrap();
                    } else {
                        black_box(store.load(&key).unwrap());
                    }
                }
            });
        }
    });
    started.elapsed()
}

fn bench_backend(c: &mut Criterion, name: &str, store: Arc<dyn TokenStore>) {
    let t = token(1);
    for th in 0..8 {
        store.save(&format!("bench-{th}"), &t).unwrap();
    }
    let mut group = c.benchmark_group(name);
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .throughput(Throughput::Elements(1));
    for threads in [1u64, 8] {
        for (op, save) in [("save", true), ("load", false)] {
            group.bench_with_input(
                BenchmarkId::new(op, format!("{threads}-threads")),
                &threads,
                |b, &threads| b.iter_custom(|iters| run_threads(&store, threads, iters, save, &t)),
            );
        }
    }
    group.finish();
}

fn redis_benchmark(port: u16, clients: u32, value_size: usize) -> String {
    let out = Command::new("redis-benchmark")
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args([
            "-c",
            &clients.to_string(),
            "-n",
            "100000",
            "-t",
            "get,set",
            "-q",
        ])
        .args(["-d", &value_size.to_string()])
        .output()
        .expect("redis-benchmark runs (run scripts/setup-servers.sh)");
    assert!(out.status.success(), "redis-benchmark failed");
    String::from_utf8_lossy(&out.stdout)
        .split(['\r', '\n'])
        .filter(|l| l.contains("requests per second"))
        .map(|l| l.trim().to_owned())
        .collect::<Vec<_>>()
        .join("; ")
}

fn main() {
    servers::require("redis-benchmark");
    let redis = servers::RedisServer::start();
    let memcached = servers::Memcached::start();
    let json_len = token(1).to_json().len();

    let mut c = Criterion::default().configure_from_args();
    let redis_store: Arc<dyn TokenStore> =
        Arc::new(RedisStore::open(RedisConfig::new(redis.url())).unwrap());
    bench_backend(&mut c, "redis", redis_store);
    let mc_store: Arc<dyn TokenStore> = Arc::new(
        MemcacheStore::open(MemcacheConfig::new(format!("127.0.0.1:{}", memcached.port))).unwrap(),
    );
    bench_backend(&mut c, "memcache", mc_store);
    c.final_summary();

    println!("\nredis-benchmark against the same redis-server (loopback, -n 100000, -t get,set):");
    for clients in [1, 8] {
        println!(
            "  -c {clients} -d 3:           {}",
            redis_benchmark(redis.port, clients, 3)
        );
        println!(
            "  -c {clients} -d {json_len} (token JSON size): {}",
            redis_benchmark(redis.port, clients, json_len)
        );
    }
}
