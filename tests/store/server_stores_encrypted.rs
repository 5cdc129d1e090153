//! Server-side stores wrapped in `EncryptedServerStore`: the conformance
//! suite on every backend, and scans of the raw storage (the SQLite file,
//! every Redis value, every memcached value) for any token, refresh token,
//! code or client secret in plain text.
use crate::support;

use oauthkit::server::*;
use oauthkit::store::SealingKeys;
use oauthkit::ErrorKind;
use support::server_conformance::{code, token, ServerStore};

fn keys(byte: u8) -> SealingKeys {
    SealingKeys::from_raw_keys([[byte; 32]]).unwrap()
}

/// Saves a client, codes 0..3 and tokens 0..3 (with refresh tokens).
fn fill(s: &dyn ServerStore) {
    s.save_client(&Client::new(
        "app",
        "client-secret-xyz",
        ["http://127.0.0.1/cb"],
    ))
    .unwrap();
    let now = oauthkit::unversioned::now_unix();
    for n in 0..3 {
        s.save_code(&code(n, now + 600)).unwrap();
        s.save_token(&token(n, &format!("user-{n}"), &["a"]))
            .unwrap();
    }
}

/// Every secret `fill` wrote.
#[cfg_attr(not(any(feature = "sqlite", feature = "redis")), allow(dead_code))]
fn secrets() -> Vec<String> {
    let mut all = vec!["client-secret-xyz".to_owned()];
    for n in 0..3 {
        all.push(format!("code-{n}-secret"));
        all.push(format!("at-{n}-secret"));
        all.push(format!("rt-{n}-secret"));
    }
    all
}

/// Every secret found in `bytes`, as `"{what} holds '{secret}'"`.
#[cfg_attr(not(any(feature = "sqlite", feature = "redis")), allow(dead_code))]
fn find_secrets(found: &mut Vec<String>, what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for s in secrets() {
        if text.contains(&s) {
            found.push(format!("{what} holds '{s}'"));
        }
    }
}

/// What `fill` wrote reads back through the wrapper.
fn assert_readable(s: &dyn ServerStore) {
    assert_eq!(
        s.fetch_by_client_id("app").unwrap().secret.expose(),
        "client-secret-xyz"
    );
    for n in 0..3 {
        let t = s.fetch_by_token(&format!("at-{n}-secret")).unwrap();
        assert_eq!(t.refresh_token.unwrap().expose(), format!("rt-{n}-secret"));
        assert_eq!(t.data["n"], n);
        let c = s.fetch_by_code(&format!("code-{n}-secret")).unwrap();
        assert_eq!(c.data["nonce"], "n-1");
    }
}

mod memory {
    use super::*;
    fn fresh() -> (EncryptedServerStore<MemoryServerStore>, ()) {
        (
            EncryptedServerStore::new(MemoryServerStore::new(), keys(1)),
            (),
        )
    }
    support::server_store_conformance!(fresh());

    #[test]
    fn the_backend_is_searched_by_lookup_keys_only() {
        let (s, _) = fresh();
        fill(&s);
        assert_readable(&s);
        for n in 0..3 {
            let raw = s.inner();
            assert_eq!(
                raw.fetch_by_token(&format!("at-{n}-secret"))
                    .unwrap_err()
                    .kind(),
                ErrorKind::NotFound
            );
            assert_eq!(
                raw.fetch_by_code(&format!("code-{n}-secret"))
                    .unwrap_err()
                    .kind(),
                ErrorKind::NotFound
            );
        }
        let raw_client = s.inner().fetch_by_client_id("app").unwrap();
        assert!(raw_client.secret.expose().starts_with("oak:v1:"));
    }

    #[test]
    fn a_wrong_key_is_a_typed_error_naming_the_key_id() {
        let (s, _) = fresh();
        fill(&s);
        // the same backend records, opened with another key: the lookup key
        // differs, so nothing is found; a sealed client secret names its key
        let other = EncryptedServerStore::new(s.inner(), keys(2));
        assert_eq!(
            other.fetch_by_token("at-0-secret").unwrap_err().kind(),
            ErrorKind::NotFound
        );
        let e = other.fetch_by_client_id("app").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decryption);
        assert!(e.to_string().contains(keys(1).current_key_id()), "{e}");
        assert!(!e.to_string().contains("client-secret-xyz"), "{e}");
    }

    #[test]
    fn records_stay_found_after_a_rotation_until_the_old_key_is_dropped() {
        let (s, _) = fresh();
        fill(&s);
        let rotated = EncryptedServerStore::new(s.inner(), keys(3).with_older(&keys(1)));
        assert_readable(&rotated);
        let t = rotated.take_code("code-1-secret").unwrap();
        assert_eq!(t.code.expose(), "code-1-secret");
        assert!(rotated.delete_refresh_token("rt-2-secret").unwrap());
        // new writes use the new key; the old key alone does not open them
        rotated.save_token(&token(9, "user-9", &["a"])).unwrap();
        let old_only = EncryptedServerStore::new(s.inner(), keys(1));
        assert_eq!(
            old_only.fetch_by_token("at-9-secret").unwrap_err().kind(),
            ErrorKind::NotFound
        );
    }

    #[test]
    fn a_plain_record_in_the_backend_is_refused() {
        let (s, _) = fresh();
        // a client planted in plain text next to the encrypted ones
        s.inner()
            .save_client(&Client::new("planted", "plain", ["http://127.0.0.1/cb"]))
            .unwrap();
        let e = s.fetch_by_client_id("planted").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decryption);
    }

    #[test]
    fn a_sealed_record_moved_to_another_entry_does_not_open() {
        let (s, _) = fresh();
        fill(&s);
        let raw = s.inner();
        let mut a = raw.fetch_by_client_id("app").unwrap();
        a.identifier = "other-app".into();
        raw.save_client(&a).unwrap();
        let e = s.fetch_by_client_id("other-app").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decryption, "{e}");
        // the original is untouched
        assert_readable(&s);
    }
}

#[cfg(feature = "sqlite")]
mod sqlite {
    use super::*;
    use tempfile::TempDir;

    fn fresh() -> (EncryptedServerStore<SqliteServerStore>, TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let db = SqliteServerStore::open(dir.path().join("server.db")).unwrap();
        (EncryptedServerStore::new(db, keys(4)), dir)
    }
    support::server_store_conformance!(fresh());

    #[test]
    fn the_database_holds_no_secret() {
        let (s, dir) = fresh();
        // a second database for the bare (control) run
        let bare = SqliteServerStore::open(dir.path().join("bare/server.db")).unwrap();
        let scan = |sub: &str| {
            let mut found = Vec::new();
            let mut scanned = 0;
            for entry in std::fs::read_dir(dir.path().join(sub)).unwrap() {
                let path = entry.unwrap().path();
                if path.is_file() {
                    find_secrets(
                        &mut found,
                        &path.display().to_string(),
                        &std::fs::read(&path).unwrap(),
                    );
                    scanned += 1;
                }
            }
            assert!(scanned >= 1);
            found
        };
        fill(&s);
        assert_readable(&s);
        let found = scan("");
        assert!(found.is_empty(), "in plain text: {found:#?}");
        // the control: the same data on the bare backend is all found
        fill(&bare);
        let found = scan("bare");
        for secret in secrets() {
            assert!(
                found.iter().any(|f| f.contains(&format!("'{secret}'"))),
                "the scan missed '{secret}' written in plain text: {found:#?}"
            );
        }
    }
}

#[cfg(feature = "redis")]
mod redis {
    use super::*;
    use crate::support::servers::RedisServer;
    use oauthkit::store::RedisConfig;

    fn fresh() -> (EncryptedServerStore<RedisServerStore>, RedisServer) {
        let server = RedisServer::start();
        let store = RedisServerStore::open(RedisConfig::new(server.url()), "oauth2").unwrap();
        (EncryptedServerStore::new(store, keys(5)), server)
    }
    support::server_store_conformance!(fresh());

    #[test]
    fn no_redis_key_or_value_holds_a_secret() {
        needs!(Redis);
        let (s, server) = fresh();
        let bare_server = RedisServer::start();
        let bare = RedisServerStore::open(RedisConfig::new(bare_server.url()), "oauth2").unwrap();
        fill(&s);
        assert_readable(&s);
        let found = scan_redis(&server);
        assert!(found.is_empty(), "in plain text: {found:#?}");
        // the control: the same data on the bare backend is all found
        fill(&bare);
        let found = scan_redis(&bare_server);
        for secret in secrets() {
            assert!(
                found.iter().any(|f| f.contains(&format!("'{secret}'"))),
                "the scan missed '{secret}' written in plain text: {found:#?}"
            );
        }
    }

    fn scan_redis(server: &RedisServer) -> Vec<String> {
        let mut found = Vec::new();
        let keys = server.cli(&["--scan"]);
        let names: Vec<&str> = keys.lines().filter(|l| !l.is_empty()).collect();
        assert!(names.len() >= 10, "{names:?}");
        find_secrets(&mut found, "the Redis key names", keys.as_bytes());
        for name in names {
            let kind = server.cli(&["TYPE", name]);
            let value = match kind.as_str() {
                "string" => server.cli(&["GET", name]),
                "hash" => server.cli(&["HGETALL", name]),
                "set" => server.cli(&["SMEMBERS", name]),
                "list" => server.cli(&["LRANGE", name, "0", "-1"]),
                "zset" => server.cli(&["ZRANGE", name, "0", "-1"]),
                other => panic!("{name} has type {other}, which this scan does not read"),
            };
            find_secrets(
                &mut found,
                &format!("Redis {kind} {name}"),
                value.as_bytes(),
            );
        }
        found
    }
}

#[cfg(feature = "memcache")]
mod memcache {
    use super::*;
    use crate::support::servers::Memcached;
    use oauthkit::store::MemcacheConfig;

    fn fresh() -> (EncryptedServerStore<MemcacheServerStore>, Memcached) {
        let m = Memcached::start();
        let store = MemcacheServerStore::open(MemcacheConfig::new(format!("127.0.0.1:{}", m.port)))
            .unwrap();
        (EncryptedServerStore::new(store, keys(6)), m)
    }
    support::server_store_conformance!(fresh());

    #[test]
    fn no_memcached_value_holds_a_secret() {
        needs!(Memcached);
        let (s, m) = fresh();
        let bare_m = Memcached::start();
        let bare =
            MemcacheServerStore::open(MemcacheConfig::new(format!("127.0.0.1:{}", bare_m.port)))
                .unwrap();
        fill(&s);
        assert_readable(&s);
        let found = scan_memcached(&m);
        assert!(found.is_empty(), "in plain text: {found:#?}");
        // the control: the same data on the bare backend is all found
        fill(&bare);
        let found = scan_memcached(&bare_m);
        for secret in secrets() {
            assert!(
                found.iter().any(|f| f.contains(&format!("'{secret}'"))),
                "the scan missed '{secret}' written in plain text: {found:#?}"
            );
        }
    }

    fn scan_memcached(m: &Memcached) -> Vec<String> {
        let mut found = Vec::new();
        // every key memcached holds, then every value
        let dump = m.raw("lru_crawler metadump all\r\n");
        let names: Vec<String> = dump
            .lines()
            .filter_map(|l| l.strip_prefix("key="))
            .map(|k| k.split(' ').next().unwrap().to_owned())
            .collect();
        assert!(names.len() >= 10, "{dump}");
        find_secrets(&mut found, "memcached's key names", dump.as_bytes());
        for name in names {
            let name = percent_decode(&name);
            let value = m.raw(&format!("get {name}\r\n"));
            assert!(value.starts_with("VALUE"), "{name}: {value}");
            find_secrets(
                &mut found,
                &format!("memcached value {name}"),
                value.as_bytes(),
            );
        }
        found
    }

    /// metadump writes keys URL-encoded.
    fn percent_decode(s: &str) -> String {
        let b = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%' && i + 2 < b.len() {
                if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                    out.push(v);
                    i += 3;
                    continue;
                }
            }
            out.push(b[i]);
            i += 1;
        }
        String::from_utf8(out).unwrap()
    }
}
