//! What encryption at rest costs: save + load of one realistic token set
//! (an 800-byte access token, a refresh token, scopes, identity) on each
//! backend, plain and wrapped in an `EncryptedStore`, measured in the same
//! run.
//!
//! `cargo bench --bench encrypted --features sqlite,redis`
//! (Redis: needs redis-server, see scripts/setup-servers.sh).

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion};
use oauthkit::store::encrypted::{EncryptedStore, SealingKeys};
use oauthkit::store::{JsonFileStore, MemoryStore};
use oauthkit::{TokenSet, TokenStore};

#[cfg(feature = "redis")]
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

    #[cfg(feature = "sqlite")]
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

    #[cfg(feature = "redis")]
    {
        use oauthkit::store::redis::{RedisConfig, RedisStore};
        let server = servers::RedisServer::start();
        let redis = |prefix: &str| {
            RedisStore::open(RedisConfig::new(server.url()).with_prefix(prefix)).unwrap()
        };
        save_load(
            c,
            "redis",
            Box::new(redis("plain")),
            Box::new(EncryptedStore::new(redis("sealed"), keys.clone())),
        );
    }
}

fn main() {
    let mut c = Criterion::default()
        .configure_from_args()
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3));
    benches(&mut c);
    c.final_summary();
}
