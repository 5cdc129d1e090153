//! What encryption at rest costs: save + load of one realistic token set
//! (an 800-byte access token, a refresh token, scopes, identity) on each
//! backend, plain and wrapped in an `EncryptedStore`, measured in the same
//! run.
//!
//! `cargo bench --bench encrypted --features sqlite,redis -- --warm-up-time 1 --measurement-time 3`
//!
//! Redis: the bench starts its own redis-server on loopback (it fails,
//! saying how to install it, when redis-server is missing), or uses the
//! server named by `OAUTHKIT_BENCH_REDIS_URL` (e.g. `redis://127.0.0.1:6379/0`;
//! the bench writes under the prefixes `oak-bench-plain` and
//! `oak-bench-sealed`).

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion};
use oauthkit::store::encrypted::{EncryptedStore, SealingKeys};
use oauthkit::store::{JsonFileStore, MemoryStore};
use oauthkit::{TokenSet, TokenStore};

#[path = "../tests/support/servers.rs"]
mod servers;

fn token() -> TokenSet {
    TokenSet::bearer(format!("access-token-{}", "x".repeat(800)))
        .with_refresh_token(format!("refresh-{}", "y".repeat(100)))
        .with_scopes(["openid", "email", "profile", "offline_access"])
        .with_identity_id("user-1")
        .with_expires_in(3600)
}

fn save_load(
    c: &mut Criterion,
    backend: &str,
    plain: Box<dyn TokenStore>,
    sealed: Box<dyn TokenStore>,
) {
    let t = token();
    let mut group = c.benchmark_group("save+load");
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

fn benches(c: &mut Criterion) {
    let keys = SealingKeys::from_text(SealingKeys::generate_key_text().expose()).unwrap();

    save_load(
        c,
        "memory",
        Box::new(MemoryStore::new()),
        Box::new(EncryptedStore::new(MemoryStore::new(), keys.clone())),
    );

    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str| JsonFileStore::open(dir.path().join(name)).unwrap();
    save_load(
        c,
        "json-file",
        Box::new(file("plain.json")),
        Box::new(EncryptedStore::new(file("sealed.json"), keys.clone())),
    );

    {
        use oauthkit::store::SqliteStore;
        let db = |name: &str| SqliteStore::open(dir.path().join(name)).unwrap();
        save_load(
            c,
            "sqlite",
            Box::new(db("plain.db")),
            Box::new(EncryptedStore::new(db("sealed.db"), keys.clone())),
        );
    }

    {
        use oauthkit::store::redis::{RedisConfig, RedisStore};
        // Started here unless a server is named; kept alive to the end.
        let (_server, url) = match std::env::var("OAUTHKIT_BENCH_REDIS_URL") {
            Ok(url) => (None, url),
            Err(_) => {
                let server = servers::RedisServer::start();
                let url = server.url();
                (Some(server), url)
            }
        };
        let redis = |prefix: &str| {
            RedisStore::open(RedisConfig::new(url.clone()).with_prefix(prefix))
                .unwrap_or_else(|e| panic!("cannot open the Redis store at {url}: {e}"))
        };
        save_load(
            c,
            "redis",
            Box::new(redis("oak-bench-plain")),
            Box::new(EncryptedStore::new(redis("oak-bench-sealed"), keys.clone())),
        );
    }
}

fn main() {
    // short by default; command-line options (--measurement-time ...) win
    let mut c = Criterion::default()
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3))
        .configure_from_args();
    benches(&mut c);
    c.final_summary();
}
