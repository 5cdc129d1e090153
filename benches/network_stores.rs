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
//!
//! Then, for the ratio (Redis store save+load with one client
//! against `redis-benchmark -c 1` SET+GET of a value of the token's JSON
//! size on the same server), paired rounds: each round times 2,000 store
//! operations and one short `redis-benchmark` run back to back, so both
//! see the same machine load; the median of the per-round ratios is
//! printed. And what one save and one load cost on the wire, read from the
//! server's own counters (`INFO stats`: commands processed, bytes in and
//! out): the round trips and bytes of the hot path. Only this part:
//! `OAUTHKIT_BENCH_RATIO_ONLY=1 cargo bench --bench network_stores --features redis,memcache`.

use std::hint::black_box;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use oauthkit::store::{MemcacheConfig, MemcacheStore};
use oauthkit::store::{RedisConfig, RedisStore};
use oauthkit::{TokenSet, TokenStore};

extern crate oauthkit_test_support as support;
use support::servers;

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

/// The server's counters: (commands processed, bytes received, bytes sent).
fn redis_counters(port: u16) -> (u64, u64, u64) {
    let out = Command::new("redis-cli")
        .args(["-p", &port.to_string(), "INFO", "stats"])
        .output()
        .expect("redis-cli runs (run scripts/setup-servers.sh)");
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |name: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("INFO stats has no {name}"))
    };
    (
        field("total_commands_processed"),
        field("total_net_input_bytes"),
        field("total_net_output_bytes"),
    )
}

/// Round trips and bytes per operation, from the server's counters around
/// `n` operations (the `redis-cli INFO` call itself is one command, whose
/// request and reply sizes are taken off by measuring an empty run).
fn wire_cost(port: u16, n: u64, mut op: impl FnMut()) -> (f64, f64, f64) {
    let a = redis_counters(port);
    let b = redis_counters(port);
    for _ in 0..n {
        op();
    }
    let c = redis_counters(port);
    let per = |i: fn(&(u64, u64, u64)) -> u64| {
        let empty = i(&b) - i(&a);
        (i(&c) - i(&b)).saturating_sub(empty) as f64 / n as f64
    };
    (per(|t| t.0), per(|t| t.1), per(|t| t.2))
}

/// `redis-benchmark -c 1` SET and GET of `size`-byte values, `n` each:
/// the mean time of one SET + one GET, µs.
fn redis_benchmark_pair_us(port: u16, size: usize, n: u32) -> f64 {
    let out = Command::new("redis-benchmark")
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(["-c", "1", "-n", &n.to_string(), "-t", "set,get", "--csv"])
        .args(["-d", &size.to_string()])
        .output()
        .expect("redis-benchmark runs (run scripts/setup-servers.sh)");
    assert!(out.status.success(), "redis-benchmark failed");
    let text = String::from_utf8_lossy(&out.stdout);
    let rps = |test: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(&format!("\"{test}\"")))
            .and_then(|l| l.split(',').nth(1))
            .and_then(|v| v.trim_matches('"').parse().ok())
            .unwrap_or_else(|| panic!("redis-benchmark --csv printed no {test} line: {text}"))
    };
    1e6 / rps("SET") + 1e6 / rps("GET")
}

/// Paired rounds of the store's save+load against redis-benchmark's
/// SET+GET; prints every round and the median ratio.
fn redis_ratio(store: &RedisStore, port: u16, t: &TokenSet, json_len: usize) {
    const OPS: u32 = 2_000;
    let mut ratios = Vec::new();
    let (mut best_ours, mut best_theirs) = (f64::MAX, f64::MAX);
    println!(
        "\nRedis store save+load vs redis-benchmark -c 1 -d {json_len} SET+GET, paired rounds:"
    );
    for round in 0..9 {
        let started = Instant::now();
        for _ in 0..OPS {
            store.save("bench-ratio", black_box(t)).unwrap();
            black_box(store.load("bench-ratio").unwrap());
        }
        let ours = started.elapsed().as_secs_f64() * 1e6 / f64::from(OPS);
        let theirs = redis_benchmark_pair_us(port, json_len, OPS);
        let ratio = theirs / ours;
        best_ours = best_ours.min(ours);
        best_theirs = best_theirs.min(theirs);
        println!(
            "  round {round}: store {ours:.1} µs, redis-benchmark {theirs:.1} µs, ratio {ratio:.3}"
        );
        ratios.push(ratio);
    }
    ratios.sort_by(f64::total_cmp);
    println!(
        "  median ratio (redis-benchmark time / store time): {:.3} (min {:.3}, max {:.3})",
        ratios[ratios.len() / 2],
        ratios[0],
        ratios[ratios.len() - 1]
    );
    println!(
        "  fastest rounds: store {best_ours:.1} µs, redis-benchmark {best_theirs:.1} µs, ratio {:.3}",
        best_theirs / best_ours
    );
    let n = 1_000;
    let (cmds, inb, outb) = wire_cost(port, n, || store.save("bench-wire", t).unwrap());
    println!("  one save: {cmds:.2} commands (round trips), {inb:.0} bytes to the server, {outb:.0} back");
    let (cmds, inb, outb) = wire_cost(port, n, || {
        black_box(store.load("bench-wire").unwrap());
    });
    println!("  one load: {cmds:.2} commands (round trips), {inb:.0} bytes to the server, {outb:.0} back");
}

fn main() {
    servers::require("redis-benchmark");
    servers::require("redis-cli");
    let redis = servers::RedisServer::start();
    let memcached = servers::Memcached::start();
    let json_len = token(1).to_json().len();

    redis_ratio(
        &RedisStore::open(RedisConfig::new(redis.url())).unwrap(),
        redis.port,
        &token(1),
        json_len,
    );
    if std::env::var_os("OAUTHKIT_BENCH_RATIO_ONLY").is_some() {
        return;
    }

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
