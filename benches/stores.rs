//! Save and load per operation for each local backend, with 10, 1,000 and
//! 10,000 token sets already stored.
//!
//! `cargo bench --bench stores --features sqlite,keyring` (the keyring
//! group needs a Secret Service: run it through `scripts/with-keyring.sh`).
//! The JSON file store's load alone, short:
//! `cargo bench --bench stores -- 'json_file/load' --warm-up-time 1 --measurement-time 3`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use oauthkit::{TokenSet, TokenStore};

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

fn stores(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let sizes = [10, 1_000, 10_000];
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
}

criterion_group!(benches, stores);
criterion_main!(benches);
