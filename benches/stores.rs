//! Save and load per operation for each local backend, with 10, 1,000 and
//! 10,000 token sets already stored, beside the bare reference for the
//! memory store (`bare_mutex_hashmap`: a `Mutex<HashMap<String, TokenSet>>`
//! of clones). Memory store against it:
//! `cargo bench --bench stores -- 'memory/|bare_mutex'`.
//!
//! `cargo bench --bench stores --features sqlite,keyring` (the keyring
//! group needs a Secret Service: run it through `scripts/with-keyring.sh`).
//! At the end, memory store against the bare map at each size, measured
//! interleaved in thread CPU time (the figure docs/stores.md reports);
//! that part alone: `cargo bench --bench stores -- no-criterion-case`.
//!
//! The JSON file store's load alone, short:
//! `cargo bench --bench stores -- 'json_file/load' --warm-up-time 1 --measurement-time 3`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use oauthkit::{TokenSet, TokenStore};

extern crate oauthkit_test_support as support;

fn token(n: usize) -> TokenSet {
    TokenSet::bearer(format!("access-token-{n}-{}", "x".repeat(800)))
        .with_refresh_token(format!("refresh-{n}-{}", "y".repeat(100)))
        .with_scopes(["openid", "email", "profile", "offline_access"])
        .with_identity_id(format!("user-{n}"))
        .with_expires_in(3600)
}

fn fill(store: &dyn TokenStore, count: usize) {
    let batch = (0..count)
        .map(|n| (format!("user-{n}"), token(n)))
        .collect();
    store.save_all(&batch).unwrap();
}

fn bench_store(
    c: &mut Criterion,
    name: &str,
    sizes: &[usize],
    open: &dyn Fn() -> Box<dyn TokenStore>,
) {
    let mut group = c.benchmark_group(name);
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500));
    for &size in sizes {
        let store = open();
        fill(store.as_ref(), size);
        let t = token(size + 1);
        group.bench_with_input(BenchmarkId::new("save", size), &size, |b, _| {
            let mut i = 0usize;
            b.iter(|| {
                i += 1;
                store
                    .save(&format!("user-{}", i % size), black_box(&t))
                    .unwrap()
            })
        });
        group.bench_with_input(BenchmarkId::new("load", size), &size, |b, _| {
            let mut i = 0usize;
            b.iter(|| {
                i += 1;
                black_box(store.load(&format!("user-{}", i % size)).unwrap().unwrap())
            })
        });
    }
    group.finish();
}

/// The bare reference for the memory store: a `Mutex<HashMap>` holding
/// clones, no key checks, no namespaces (issue: memory store >= 90 % of it).
#[derive(Default)]
struct BareMap(std::sync::Mutex<std::collections::HashMap<String, TokenSet>>);

impl BareMap {
    fn save(&self, key: &str, t: &TokenSet) {
        self.0.lock().unwrap().insert(key.to_owned(), t.clone());
    }
    fn load(&self, key: &str) -> Option<TokenSet> {
        self.0.lock().unwrap().get(key).cloned()
    }
}

fn bare(c: &mut Criterion, sizes: &[usize]) {
    let mut group = c.benchmark_group("bare_mutex_hashmap");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500));
    for &size in sizes {
        let map = BareMap::default();
        for n in 0..size {
            map.save(&format!("user-{n}"), &token(n));
        }
        let t = token(size + 1);
        group.bench_with_input(BenchmarkId::new("save", size), &size, |b, _| {
            let mut i = 0usize;
            b.iter(|| {
                i += 1;
                map.save(&format!("user-{}", i % size), black_box(&t))
            })
        });
        group.bench_with_input(BenchmarkId::new("load", size), &size, |b, _| {
            let mut i = 0usize;
            b.iter(|| {
                i += 1;
                black_box(map.load(&format!("user-{}", i % size)).unwrap())
            })
        });
    }
    group.finish();
}

/// Memory store against the bare map, interleaved (`support::interleaved`):
/// save+load pairs of the same keys and token set on both sides.
fn memory_against_bare(sizes: &[usize]) {
    const ROUNDS: usize = 30;
    const PER_ROUND: u32 = 2_000;
    for &size in sizes {
        let keys: Vec<String> = (0..size).map(|n| format!("user-{n}")).collect();
        let store = oauthkit::store::MemoryStore::new();
        fill(&store, size);
        let map = BareMap::default();
        for (n, key) in keys.iter().enumerate() {
            map.save(key, &token(n));
        }
        let t = token(size + 1);
        let (mut i, mut j) = (0usize, 0usize);
        let best = support::interleaved(
            ROUNDS,
            PER_ROUND,
            || {
                i += 1;
                let key = &keys[i % size];
                store.save(key, black_box(&t)).unwrap();
                black_box(store.load(key).unwrap().unwrap());
            },
            || {
                j += 1;
                let key = &keys[j % size];
                map.save(key, black_box(&t));
                black_box(map.load(key).unwrap());
            },
        );
        println!(
            "memory store interleaved, {size} keys ({ROUNDS} rounds of {PER_ROUND}, best round, \
             thread CPU): save+load {:.0} ns, bare map {:.0} ns, memory store at {:.1} % of bare",
            best.subject,
            best.reference,
            best.percent()
        );
    }
}

fn stores(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let sizes = [10, 1_000, 10_000];
    bare(c, &sizes);
    bench_store(c, "memory", &sizes, &|| {
        Box::new(oauthkit::store::MemoryStore::new())
    });
    let n = std::cell::Cell::new(0);
    let path = |ext: &str| {
        n.set(n.get() + 1);
        dir.path().join(format!("tokens-{}.{ext}", n.get()))
    };
    bench_store(c, "json_file", &sizes, &|| {
        Box::new(oauthkit::store::JsonFileStore::open(path("json")).unwrap())
    });
    #[cfg(feature = "sqlite")]
    bench_store(c, "sqlite", &sizes, &|| {
        Box::new(oauthkit::store::SqliteStore::open(path("db")).unwrap())
    });
    #[cfg(feature = "keyring")]
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some() {
        // gnome-keyring rewrites its whole keyring file on every change, so
        // 10,000 entries would take hours to fill; 10 and 200 show the trend.
        let service = format!("oauthkit-bench-{}", std::process::id());
        bench_store(c, "keyring", &[10, 200], &|| {
            Box::new(oauthkit::store::KeyringStore::new(&service).unwrap())
        });
    } else {
        eprintln!("keyring benchmark not run: no D-Bus session (use scripts/with-keyring.sh)");
    }
    memory_against_bare(&sizes);
}

criterion_group!(benches, stores);
criterion_main!(benches);
