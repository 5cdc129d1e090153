//! What encryption at rest costs: save + load of one realistic token set
//! (an 800-byte access token, a refresh token, scopes, identity) on each
//! backend, plain and wrapped in an `EncryptedStore`, measured in the same
//! run: wall-clock time (`save+load/...`), then this thread's CPU time
//! (`save+load-cpu/...`), which a busy machine does not inflate.
//!
//! `cargo bench --bench encrypted --features sqlite,redis -- --warm-up-time 1 --measurement-time 3`
//!
//! First, the figures docs/stores.md reports, interleaved (see
//! `interleaved_figures`); that part alone:
//! `cargo bench --bench encrypted --features sqlite,redis -- no-criterion-case`.
//!
//! Redis: the bench starts its own redis-server on loopback (it fails,
//! saying how to install it, when redis-server is missing), or uses the
//! server named by `OAUTHKIT_BENCH_REDIS_URL` (e.g. `redis://127.0.0.1:6379/0`;
//! the bench writes under the prefixes `oak-bench-plain` and
//! `oak-bench-sealed`).

use std::hint::black_box;

use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{BenchmarkId, Criterion, Throughput};
use oauthkit::store::{EncryptedStore, SealingKeys};
use oauthkit::store::{JsonFileStore, MemoryStore};
use oauthkit::{TokenSet, TokenStore};

extern crate oauthkit_test_support as support;
use support::servers;

fn token() -> TokenSet {
    TokenSet::bearer(format!("access-token-{}", "x".repeat(800)))
        .with_refresh_token(format!("refresh-{}", "y".repeat(100)))
        .with_scopes(["openid", "email", "profile", "offline_access"])
        .with_identity_id("user-1")
        .with_expires_in(3600)
}

/// This thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`): what an operation
/// costs the caller, unaffected by other processes taking the CPU away (the
/// wall-clock groups on a busy machine count those pauses too). For the
/// network stores it leaves out the wait for the server.
struct ThreadCpuTime;

use support::thread_cpu_ns;

impl Measurement for ThreadCpuTime {
    type Intermediate = u64;
    type Value = u64;
    fn start(&self) -> u64 {
        thread_cpu_ns()
    }
    fn end(&self, started: u64) -> u64 {
        thread_cpu_ns() - started
    }
    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }
    fn zero(&self) -> u64 {
        0
    }
    fn to_f64(&self, v: &u64) -> f64 {
        *v as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &CpuFormatter
    }
}

struct CpuFormatter;

impl ValueFormatter for CpuFormatter {
    fn scale_values(&self, typical: f64, values: &mut [f64]) -> &'static str {
        let (div, unit) = match typical {
            t if t < 1e3 => (1.0, "ns cpu"),
            t if t < 1e6 => (1e3, "µs cpu"),
            t if t < 1e9 => (1e6, "ms cpu"),
            _ => (1e9, "s cpu"),
        };
        values.iter_mut().for_each(|v| *v /= div);
        unit
    }
    fn scale_throughputs(&self, _: f64, _: &Throughput, values: &mut [f64]) -> &'static str {
        values.iter_mut().for_each(|v| *v = 0.0);
        "n/a"
    }
    fn scale_for_machines(&self, _: &mut [f64]) -> &'static str {
        "ns"
    }
}

fn save_load<M: Measurement>(
    c: &mut Criterion<M>,
    group_name: &str,
    backend: &str,
    plain: Box<dyn TokenStore>,
    sealed: Box<dyn TokenStore>,
) {
    let t = token();
    let mut group = c.benchmark_group(group_name);
    for (variant, store) in [("plain", plain), ("encrypted", sealed)] {
        group.bench_function(BenchmarkId::new(backend, variant), |b| {
            b.iter(|| {
                store.save("bench", black_box(&t)).unwrap();
                black_box(store.load("bench").unwrap());
            })
        });
    }
    group.finish();
}

fn benches<M: Measurement>(c: &mut Criterion<M>, group: &str) {
    let keys = SealingKeys::from_text(SealingKeys::generate_key_text().expose()).unwrap();

    save_load(
        c,
        group,
        "memory",
        Box::new(MemoryStore::new()),
        Box::new(EncryptedStore::new(MemoryStore::new(), keys.clone())),
    );

    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str| JsonFileStore::open(dir.path().join(name)).unwrap();
    save_load(
        c,
        group,
        "json-file",
        Box::new(file("plain.json")),
        Box::new(EncryptedStore::new(file("sealed.json"), keys.clone())),
    );

    {
        use oauthkit::store::SqliteStore;
        let db = |name: &str| SqliteStore::open(dir.path().join(name)).unwrap();
        save_load(
            c,
            group,
            "sqlite",
            Box::new(db("plain.db")),
            Box::new(EncryptedStore::new(db("sealed.db"), keys.clone())),
        );
    }

    {
        use oauthkit::store::{RedisConfig, RedisStore};
        // Started here unless a server is named; kept alive to the end.
        let (_server, url) = redis_server();
        let redis = |prefix: &str| {
            RedisStore::open(RedisConfig::new(url.clone()).prefix(prefix))
                .unwrap_or_else(|e| panic!("cannot open the Redis store at {url}: {e}"))
        };
        save_load(
            c,
            group,
            "redis",
            Box::new(redis("oak-bench-plain")),
            Box::new(EncryptedStore::new(redis("oak-bench-sealed"), keys.clone())),
        );
    }
}

/// The figures docs/stores.md reports, measured interleaved
/// (`support::interleaved`): one seal and one open in thread CPU time (the
/// encrypted memory store's save+load minus the plain one's, halved), and
/// the encrypted Redis store's wall-clock save+load against the plain
/// one's on the same server.
fn interleaved_figures(redis_url: &str) {
    use oauthkit::store::{RedisConfig, RedisStore};
    let keys = SealingKeys::from_text(SealingKeys::generate_key_text().expose()).unwrap();
    let t = token();
    let pair = |store: &dyn TokenStore| {
        store.save("bench", black_box(&t)).unwrap();
        black_box(store.load("bench").unwrap());
    };
    let plain = MemoryStore::new();
    let sealed = EncryptedStore::new(MemoryStore::new(), keys.clone());
    let cpu = support::interleaved(40, 500, || pair(&sealed), || pair(&plain));
    println!(
        "encrypted memory store interleaved (40 rounds of 500, best round, thread CPU): \
         save+load {:.2} µs, plain {:.2} µs: {:.2} µs per seal or open",
        cpu.subject / 1e3,
        cpu.reference / 1e3,
        (cpu.subject - cpu.reference) / 2e3
    );
    let redis = |prefix: &str| {
        RedisStore::open(RedisConfig::new(redis_url).prefix(prefix))
            .unwrap_or_else(|e| panic!("cannot open the Redis store at {redis_url}: {e}"))
    };
    let plain = redis("oak-bench-plain");
    let sealed = EncryptedStore::new(redis("oak-bench-sealed"), keys);
    // the client's CPU over Redis (sealing, the command, the reply; not
    // the wait for the server)
    let cpu = support::interleaved(40, 200, || pair(&sealed), || pair(&plain));
    println!(
        "encrypted Redis store interleaved (40 rounds of 200, best round, thread CPU): \
         save+load {:.2} µs, plain {:.2} µs: {:.2} µs of client CPU per seal or open",
        cpu.subject / 1e3,
        cpu.reference / 1e3,
        (cpu.subject - cpu.reference) / 2e3
    );
    // wall clock: the round trips are what the overhead is compared with
    let mut best = (f64::MAX, f64::MAX);
    for _ in 0..40 {
        for (slot, store) in [
            (&mut best.0, &sealed as &dyn TokenStore),
            (&mut best.1, &plain),
        ] {
            let start = std::time::Instant::now();
            for _ in 0..200 {
                pair(store);
            }
            *slot = slot.min(start.elapsed().as_nanos() as f64 / 200.0);
        }
    }
    println!(
        "encrypted Redis store interleaved (40 rounds of 200, best round, wall clock): \
         save+load {:.1} µs, plain {:.1} µs: overhead {:+.1} %",
        best.0 / 1e3,
        best.1 / 1e3,
        100.0 * (best.0 - best.1) / best.1
    );
}

/// A Redis server for the bench: `OAUTHKIT_BENCH_REDIS_URL`, or one started
/// here (kept alive by the returned handle).
fn redis_server() -> (Option<servers::RedisServer>, String) {
    match std::env::var("OAUTHKIT_BENCH_REDIS_URL") {
        Ok(url) => (None, url),
        Err(_) => {
            let server = servers::RedisServer::start();
            let url = server.url();
            (Some(server), url)
        }
    }
}

fn main() {
    let (_server, redis_url) = redis_server();
    interleaved_figures(&redis_url);
    // short by default; command-line options (--measurement-time ...) win
    let mut c = Criterion::default()
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3))
        .configure_from_args();
    benches(&mut c, "save+load");
    c.final_summary();
    let mut cpu = Criterion::default()
        .with_measurement(ThreadCpuTime)
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3))
        .configure_from_args();
    benches(&mut cpu, "save+load-cpu");
    cpu.final_summary();
}
