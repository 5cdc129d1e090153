//! Encrypted stores: the conformance suite on every backend wrapped in an
//! `EncryptedStore`, tampering, wrong keys, rotation, plain-text refusal,
//! and scans of the raw storage for any token text.
use crate::support;

use std::path::Path;

use oauthkit::store::{EncryptedStore, SealingKeys};
use oauthkit::store::{JsonFileStore, MemoryStore};
use oauthkit::unversioned::store::KdfParams;
use oauthkit::unversioned::store::SEALED_FORMAT_VERSION as JSON_SEALED_FORMAT_VERSION;
use oauthkit::{ErrorKind, TokenSet, TokenStore};
use support::conformance::full_token_set;
use tempfile::TempDir;

fn keys(byte: u8) -> SealingKeys {
    SealingKeys::from_raw_keys([[byte; 32]]).unwrap()
}

/// Every piece of token text `full_token_set(n)` holds.
fn token_texts(n: u32) -> Vec<String> {
    vec![
        format!("access-{n}"),
        format!("refresh-{n}"),
        format!("id-{n}.sig"),
        format!("user-{n}"),
        "offline_access".into(),
        "ext_expires_in".into(),
        "nested".into(),
    ]
}

/// Fails when any token text of sets 0..count appears in `bytes`.
fn assert_no_token_text(what: &str, bytes: &[u8], count: u32) {
    let text = String::from_utf8_lossy(bytes);
    for n in 0..count {
        for t in token_texts(n) {
            assert!(!text.contains(&t), "{what} holds '{t}' in plain text");
        }
    }
}

fn save_several(store: &dyn TokenStore, count: u32) {
    for n in 0..count {
        store.save(&format!("key-{n}"), &full_token_set(n)).unwrap();
    }
}

mod memory {
    use super::*;
    token_store_conformance!(
        (EncryptedStore::new(MemoryStore::new(), keys(1)), ()),
        |s: &EncryptedStore<MemoryStore>| s.rewrap(s.inner().in_namespace("other"))
    );
}

fn json_store() -> (EncryptedStore<JsonFileStore>, TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let file = JsonFileStore::open(dir.path().join("tokens.json")).unwrap();
    (EncryptedStore::new(file, keys(2)), dir)
}

mod json_file {
    use super::*;
    token_store_conformance!(json_store(), |s: &EncryptedStore<JsonFileStore>| s
        .rewrap(s.inner().in_namespace("other")));
}

#[cfg(feature = "sqlite")]
mod sqlite {
    use super::*;
    use oauthkit::store::SqliteStore;

    pub fn fresh() -> (EncryptedStore<SqliteStore>, TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let db = SqliteStore::open(dir.path().join("tokens.db")).unwrap();
        (EncryptedStore::new(db, keys(3)), dir)
    }

    token_store_conformance!(fresh(), |s: &EncryptedStore<SqliteStore>| s
        .rewrap(s.inner().in_namespace("other")));

    #[test]
    fn the_database_holds_no_token_text() {
        let (store, dir) = fresh();
        save_several(&store, 5);
        store.delete("key-4").unwrap();
        drop(store);
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let path = entry.unwrap().path();
            assert_no_token_text(
                &path.display().to_string(),
                &std::fs::read(&path).unwrap(),
                5,
            );
        }
    }
}

#[cfg(feature = "redis")]
mod redis {
    use super::*;
    use oauthkit::store::{RedisConfig, RedisStore};
    use support::servers::RedisServer;

    pub fn fresh() -> (EncryptedStore<RedisStore>, RedisServer) {
        let server = RedisServer::start();
        let store = RedisStore::open(RedisConfig::new(server.url())).unwrap();
        (EncryptedStore::new(store, keys(4)), server)
    }

    token_store_conformance!(fresh(), |s: &EncryptedStore<RedisStore>| s
        .rewrap(s.inner().in_namespace("other")));

    #[test]
    fn redis_values_hold_no_token_text_and_keep_no_ttl() {
        needs!(Redis);
        let (store, server) = fresh();
        save_several(&store, 5);
        let keys = server.cli(&["--scan"]);
        let keys: Vec<&str> = keys.lines().filter(|k| !k.is_empty()).collect();
        assert!(keys.len() >= 5, "{keys:?}");
        for key in keys {
            if server.cli(&["TYPE", key]) == "string" {
                assert_no_token_text(key, server.cli(&["GET", key]).as_bytes(), 5);
            }
        }
        // a sealed record has no refresh token in the clear, so it must not
        // get the access-token TTL that would lose the refresh token
        assert_eq!(server.cli(&["TTL", "oauthkit:oauth:tokens:key-0"]), "-1");
    }

    /// Sealing keeps the backend's retention: a set without a refresh token
    /// expires in Redis as the plain store lets it expire (its access token's
    /// expiry plus the grace period); a refreshable one is kept; a set
    /// without an expiry is kept.
    #[test]
    fn sealed_records_expire_like_plain_ones() {
        needs!(Redis);
        let (store, server) = fresh();
        let plain = store.inner().in_namespace("plain");
        let ttl = |key: &str| -> i64 { server.cli(&["TTL", key]).parse().unwrap() };
        for (name, tokens, kept) in [
            ("short", TokenSet::bearer("a").with_expires_in(3600), false),
            (
                "dead",
                TokenSet::bearer("a").with_expires_in(-10_000),
                false,
            ),
            (
                "refreshable",
                TokenSet::bearer("a")
                    .with_expires_in(60)
                    .with_refresh_token("r"),
                true,
            ),
            ("no-expiry", TokenSet::bearer("a"), true),
        ] {
            store.save(name, &tokens).unwrap();
            plain.save(name, &tokens).unwrap();
            let sealed = ttl(&format!("oauthkit:oauth:tokens:{name}"));
            let reference = ttl(&format!("oauthkit:plain:oauth:tokens:{name}"));
            if kept {
                assert_eq!((sealed, reference), (-1, -1), "{name}");
            } else {
                assert!(
                    sealed > 0 && (sealed - reference).abs() <= 2,
                    "{name}: sealed TTL {sealed}, plain {reference}"
                );
            }
            assert_eq!(store.load(name).unwrap().unwrap(), tokens, "{name}");
        }
    }
    /// An encrypted Redis store opened from a spec (the factory's boxed
    /// store between the encrypted store and Redis) writes the binary form
    /// too, and a store opened the same way reads it.
    #[test]
    fn a_spec_opened_encrypted_redis_store_writes_sealed_bytes() {
        needs!(Redis);
        let server = RedisServer::start();
        let var = "OAUTHKIT_TEST_REDIS_SPEC_KEY";
        std::env::set_var(var, SealingKeys::generate_key_text().expose());
        let spec = format!("{}?encrypt=env:{var}", server.url());
        let store = oauthkit::store::open(&spec).unwrap();
        store.save("alice", &full_token_set(0)).unwrap();
        let raw = server.cli(&["GET", "oauthkit:oauth:tokens:alice"]);
        assert!(raw.starts_with("oak:v1b:"), "{raw}");
        assert_no_token_text("alice", raw.as_bytes(), 1);
        let again = oauthkit::store::open(&spec).unwrap();
        assert_eq!(again.load("alice").unwrap().unwrap(), full_token_set(0));
    }

    /// Records written before the binary form (a placeholder token set's
    /// JSON, the record base64 in its access token) still open, list,
    /// exist and delete, and rekey leaves a current one as it is.
    #[test]
    fn records_in_the_old_placeholder_form_still_open() {
        needs!(Redis);
        let (store, server) = fresh();
        let tokens = TokenSet::bearer("old-at").with_refresh_token("old-rt");
        // the old form, exactly as the placeholder path writes it: an
        // encrypted store over a backend without the bytes path, whose
        // placeholder token set is then saved by the plain Redis store
        let memory = MemoryStore::new();
        assert_eq!(memory.namespace(), store.inner().namespace());
        EncryptedStore::new(memory.clone(), keys(4))
            .save("old", &tokens)
            .unwrap();
        let placeholder = memory.load("old").unwrap().unwrap();
        store.inner().save("old", &placeholder).unwrap();
        let raw = server.cli(&["GET", "oauthkit:oauth:tokens:old"]);
        assert!(raw.starts_with('{') && raw.contains("oak:v1:"), "{raw}");
        assert!(!raw.contains("old-at") && !raw.contains("old-rt"), "{raw}");
        assert_eq!(store.load("old").unwrap().unwrap(), tokens);
        assert_eq!(store.load_all().unwrap()["old"], tokens);
        assert!(store.exists("old").unwrap());
        assert_eq!(store.list_keys().unwrap(), vec!["old".to_string()]);
        assert_eq!(store.rekey().unwrap().unchanged, 1);
        // an old record sealed with an older key: rekey re-seals it (in
        // the new form) and it still opens
        let newer = SealingKeys::from_raw_keys([[9u8; 32]])
            .unwrap()
            .with_older(&keys(4));
        let rotated = EncryptedStore::new(store.inner().clone(), newer.clone());
        assert_eq!(rotated.rekey().unwrap().resealed, 1);
        let raw = server.cli(&["GET", "oauthkit:oauth:tokens:old"]);
        assert!(raw.starts_with("oak:v1b:"), "{raw}");
        assert_eq!(
            EncryptedStore::new(
                store.inner().clone(),
                SealingKeys::from_raw_keys([[9u8; 32]]).unwrap()
            )
            .load("old")
            .unwrap()
            .unwrap(),
            tokens
        );
        assert!(store.delete("old").unwrap());
        assert!(!store.exists("old").unwrap());
    }

    /// New records go to Redis as the sealed bytes (no JSON, no base64):
    /// no token text, the key layout unchanged, a plain reader sees the
    /// placeholder token set it always saw, and the binding to the key
    /// holds (a value copied to another key does not open).
    #[test]
    fn new_records_are_sealed_bytes_that_every_reader_recognises() {
        needs!(Redis);
        let (store, server) = fresh();
        let tokens = full_token_set(0);
        store.save("alice", &tokens).unwrap();
        let raw = server.cli(&["GET", "oauthkit:oauth:tokens:alice"]);
        assert!(raw.starts_with("oak:v1b:"), "{raw}");
        assert_no_token_text("alice", raw.as_bytes(), 1);
        for secret in [
            tokens.access_token.expose(),
            tokens.refresh_token.as_ref().unwrap().expose(),
        ] {
            assert!(!raw.contains(secret), "token text in the value");
        }
        assert_eq!(store.load("alice").unwrap().unwrap(), tokens);
        assert_eq!(store.list_keys().unwrap(), vec!["alice".to_string()]);
        assert!(store.exists("alice").unwrap());
        // what a plain reader (diagnostics, the CLI without a key) sees
        let seen = store.inner().load("alice").unwrap().unwrap();
        assert_eq!(seen.token_type, "oauthkit-sealed-v1");
        assert!(seen.access_token.expose().starts_with("oak:v1:"));
        assert!(seen.refresh_token.is_none());
        // under a key lock (the session manager's path)
        let lock = store
            .lock_key("alice", std::time::Duration::from_secs(5))
            .unwrap();
        let rotated = tokens.clone().with_refresh_token("rotated-rt");
        store.save_locked("alice", &rotated, &lock).unwrap();
        drop(lock);
        assert_eq!(store.load("alice").unwrap().unwrap(), rotated);
        assert!(server
            .cli(&["GET", "oauthkit:oauth:tokens:alice"])
            .starts_with("oak:v1b:"));
        // moved to another key: refused, typed, nothing else lost
        server.cli(&[
            "COPY",
            "oauthkit:oauth:tokens:alice",
            "oauthkit:oauth:tokens:bob",
        ]);
        let err = store.load("bob").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decryption);
        assert_eq!(store.load("alice").unwrap().unwrap(), rotated);
        // a broken header: typed errors for both readers
        server.cli(&[
            "SET",
            "oauthkit:oauth:tokens:carol",
            "oak:v1b:k$:xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        ]);
        assert_eq!(
            store.load("carol").unwrap_err().kind(),
            ErrorKind::Decryption
        );
        assert_eq!(
            store.inner().load("carol").unwrap_err().kind(),
            ErrorKind::Corrupt
        );
        assert!(store.delete("alice").unwrap());
        assert!(store.load("alice").unwrap().is_none());
    }
}

#[cfg(feature = "memcache")]
mod memcache {
    use super::*;
    use oauthkit::store::MemcacheStore;
    use support::servers::Memcached;

    pub fn fresh() -> (EncryptedStore<MemcacheStore>, Memcached) {
        let server = Memcached::start();
        let store = MemcacheStore::open_url(&server.url()).unwrap();
        (EncryptedStore::new(store, keys(5)), server)
    }

    token_store_conformance!(fresh(), |s: &EncryptedStore<MemcacheStore>| s
        .rewrap(s.inner().in_namespace("other")));

    #[test]
    fn memcached_values_hold_no_token_text() {
        needs!(Memcached);
        let (store, server) = fresh();
        save_several(&store, 5);
        let dump = server.raw("lru_crawler metadump all\r\n");
        let mut seen = 0;
        for line in dump.lines() {
            let Some(key) = line.split_whitespace().find_map(|f| f.strip_prefix("key=")) else {
                continue;
            };
            let key = percent_decode(key);
            let value = server.raw(&format!("get {key}\r\n"));
            assert_no_token_text(&key, value.as_bytes(), 5);
            seen += 1;
        }
        assert!(seen >= 5, "metadump listed {seen} keys: {dump}");
    }

    /// As in Redis: a set without a refresh token expires with its access
    /// token (plus the grace period), sealed or not.
    #[test]
    fn sealed_records_expire_like_plain_ones() {
        needs!(Memcached);
        let (store, _server) = fresh();
        let dead = TokenSet::bearer("a").with_expires_in(-10_000);
        let refreshable = dead.clone().with_refresh_token("r");
        store.save("dead", &dead).unwrap();
        store.save("refreshable", &refreshable).unwrap();
        assert!(store.exists("dead").unwrap());
        std::thread::sleep(std::time::Duration::from_millis(3100));
        assert!(
            store.load("dead").unwrap().is_none(),
            "kept past its expiry"
        );
        assert_eq!(store.load("refreshable").unwrap().unwrap(), refreshable);
    }

    fn percent_decode(s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' && i + 2 < bytes.len() {
                if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                    out.push(b);
                    i += 3;
                    continue;
                }
            }
            out.push(bytes[i]);
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
}

#[test]
fn the_json_file_holds_no_token_text() {
    let (store, dir) = json_store();
    save_several(&store, 5);
    let bytes = std::fs::read(dir.path().join("tokens.json")).unwrap();
    assert_no_token_text("tokens.json", &bytes, 5);
    assert!(String::from_utf8_lossy(&bytes).contains("oauthkit-sealed-v1"));
}

/// The file's header says it is encrypted while it holds a sealed record,
/// so globus-sdk (which knows format versions 1.0 and 2.0 only) refuses it
/// instead of taking `oak:v1:...` for an access token; a file whose sealed
/// records are all gone is plain 2.0 again.
#[test]
fn an_encrypted_json_file_says_so_in_its_header() {
    let (store, dir) = json_store();
    let path = dir.path().join("tokens.json");
    let header = |path: &Path| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    };
    save_several(&store, 2);
    let doc = header(&path);
    assert_eq!(doc["format_version"], JSON_SEALED_FORMAT_VERSION);
    assert_eq!(doc["oauthkit.encryption"]["records"], "oak:v1");
    assert_eq!(doc["oauthkit.encryption"]["cipher"], "AES-256-GCM");
    assert!(doc["globus-sdk.version"].is_string());

    // readable again by a fresh handle, plain or encrypted
    let again = EncryptedStore::new(JsonFileStore::open(&path).unwrap(), keys(2));
    assert_eq!(again.list_keys().unwrap().len(), 2);
    assert_eq!(again.load_all().unwrap().len(), 2);

    // a plain record in another namespace keeps the file marked
    let plain = store.inner().in_namespace("plain-ns");
    plain.save("p", &full_token_set(9)).unwrap();
    assert_eq!(header(&path)["format_version"], JSON_SEALED_FORMAT_VERSION);

    // every sealed record gone: plain 2.0 again, globus-sdk can read it
    store.delete("key-0").unwrap();
    store.delete("key-1").unwrap();
    let doc = header(&path);
    assert_eq!(doc["format_version"], "2.0");
    assert!(doc.get("oauthkit.encryption").is_none());
    assert!(plain.load("p").unwrap().is_some());
}

/// A plain file never carries the encryption header.
#[test]
fn a_plain_json_file_stays_format_2_0() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    let plain = JsonFileStore::open(&path).unwrap();
    save_several(&plain, 2);
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(doc["format_version"], "2.0");
    assert!(doc.get("oauthkit.encryption").is_none());
}

/// Rewrites the raw record under `key` of a JSON token file with `f`.
fn edit_raw(path: &Path, key: &str, f: impl FnOnce(&mut serde_json::Value)) {
    let mut doc: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    f(&mut doc["data"]["DEFAULT"][key]);
    std::fs::write(path, serde_json::to_vec(&doc).unwrap()).unwrap();
}

#[test]
fn tampering_is_a_typed_error_and_loses_nothing_else() {
    let (store, dir) = json_store();
    let path = dir.path().join("tokens.json");
    save_several(&store, 3);
    let original = store.inner().load("key-1").unwrap().unwrap();
    let sealed = original.access_token.expose().to_owned();
    let body_start = sealed.rfind(':').unwrap() + 1;

    let mut tampered: Vec<String> = Vec::new();
    // a flipped character at every position of the body
    for i in body_start..sealed.len() {
        let mut chars: Vec<char> = sealed.chars().collect();
        chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
        tampered.push(chars.into_iter().collect());
    }
    // every truncation
    for len in 0..sealed.len() {
        tampered.push(sealed[..len].to_owned());
    }
    // the record of another key (moved)
    tampered.push(
        store
            .inner()
            .load("key-2")
            .unwrap()
            .unwrap()
            .access_token
            .expose()
            .to_owned(),
    );
    for bad in tampered {
        if bad == sealed {
            continue;
        }
        edit_raw(&path, "key-1", |rec| {
            rec["access_token"] = bad.clone().into()
        });
        let err = store.load("key-1").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decryption, "{bad}: {err}");
        // the other records still open
        assert!(store.load("key-0").unwrap().is_some());
        assert!(store.load("key-2").unwrap().is_some());
    }
    // putting the original back restores it: nothing was lost
    edit_raw(&path, "key-1", |rec| {
        rec["access_token"] = sealed.clone().into()
    });
    assert_eq!(
        store.load("key-1").unwrap().unwrap().access_token.expose(),
        full_token_set(1).access_token.expose()
    );
}

#[test]
fn a_record_moved_to_another_namespace_does_not_open() {
    let backend = MemoryStore::new();
    let store = EncryptedStore::new(backend.clone(), keys(9));
    store.save("k", &full_token_set(0)).unwrap();
    let raw = backend.load("k").unwrap().unwrap();
    let other = backend.in_namespace("other");
    other.save("k", &raw).unwrap();
    let err = store.rewrap(other).load("k").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decryption);
}

#[test]
fn a_wrong_key_names_the_key_id() {
    let backend = MemoryStore::new();
    let writer = EncryptedStore::new(backend.clone(), keys(1));
    writer.save("k", &full_token_set(0)).unwrap();
    let reader = EncryptedStore::new(backend, keys(2));
    let err = reader.load("k").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decryption);
    let text = err.to_string();
    assert!(text.contains(keys(1).current_key_id()), "{text}");
    assert!(text.contains(keys(2).current_key_id()), "{text}");
}

#[test]
fn rotation_keeps_old_records_readable_until_rekey() {
    let backend = MemoryStore::new();
    let old = keys(1);
    EncryptedStore::new(backend.clone(), old.clone())
        .save_all(
            &(0..4)
                .map(|n| (format!("key-{n}"), full_token_set(n)))
                .collect(),
        )
        .unwrap();

    let new = keys(2).with_older(&old);
    let rotated = EncryptedStore::new(backend.clone(), new.clone());
    // old data readable, new writes use the new key
    assert!(rotated.load("key-0").unwrap().is_some());
    rotated.save("key-0", &full_token_set(10)).unwrap();
    let raw = backend.load("key-0").unwrap().unwrap();
    assert!(raw.access_token.expose().contains(keys(2).current_key_id()));

    let report = rotated.rekey().unwrap();
    assert_eq!(
        (report.resealed, report.unchanged, report.encrypted),
        (3, 1, 0)
    );
    // the old key can go
    let only_new = EncryptedStore::new(backend, keys(2));
    for n in 1..4 {
        let t = only_new.load(&format!("key-{n}")).unwrap().unwrap();
        assert_eq!(
            t.access_token.expose(),
            full_token_set(n).access_token.expose()
        );
    }
    assert_eq!(
        only_new
            .load("key-0")
            .unwrap()
            .unwrap()
            .access_token
            .expose(),
        full_token_set(10).access_token.expose()
    );
}

#[test]
fn plain_records_are_refused_until_rekey_encrypts_them() {
    let dir = tempfile::tempdir().unwrap();
    let plain = JsonFileStore::open(dir.path().join("tokens.json")).unwrap();
    save_several(&plain, 3);
    let store = EncryptedStore::new(plain.clone(), keys(7));
    let err = store.load("key-0").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decryption);
    assert!(err.to_string().contains("plain text"), "{err}");
    assert!(!err.to_string().contains("access-0"), "{err}");
    assert_eq!(store.load_all().unwrap_err().kind(), ErrorKind::Decryption);

    let report = store.rekey().unwrap();
    assert_eq!(report.encrypted, 3);
    for n in 0..3 {
        let t = store.load(&format!("key-{n}")).unwrap().unwrap();
        assert_eq!(t.refresh_token.unwrap().expose(), format!("refresh-{n}"));
    }
    let bytes = std::fs::read(dir.path().join("tokens.json")).unwrap();
    assert_no_token_text("migrated file", &bytes, 3);
}

#[test]
fn a_planted_plain_record_is_not_taken_as_a_token() {
    let backend = MemoryStore::new();
    let store = EncryptedStore::new(backend.clone(), keys(1));
    store.save("alice", &full_token_set(0)).unwrap();
    // someone with write access to the backend plants their own tokens
    backend
        .save("alice", &TokenSet::bearer("attacker-token"))
        .unwrap();
    assert_eq!(
        store.load("alice").unwrap_err().kind(),
        ErrorKind::Decryption
    );
    // even labelled as sealed
    let mut fake = TokenSet::bearer("attacker-token");
    fake.token_type = "oauthkit-sealed-v1".into();
    backend.save("alice", &fake).unwrap();
    assert_eq!(
        store.load("alice").unwrap_err().kind(),
        ErrorKind::Decryption
    );
}

#[test]
fn passphrase_stores_open_in_another_process_with_the_passphrase_only() {
    let backend = MemoryStore::new();
    let a = SealingKeys::from_passphrase_with("a long passphrase", KdfParams::for_tests()).unwrap();
    EncryptedStore::new(backend.clone(), a)
        .save("k", &full_token_set(0))
        .unwrap();
    let b = SealingKeys::from_passphrase_with("a long passphrase", KdfParams::for_tests()).unwrap();
    let t = EncryptedStore::new(backend.clone(), b)
        .load("k")
        .unwrap()
        .unwrap();
    assert_eq!(
        t.access_token.expose(),
        full_token_set(0).access_token.expose()
    );
    let wrong = SealingKeys::from_passphrase_with("another one", KdfParams::for_tests()).unwrap();
    let err = EncryptedStore::new(backend, wrong).load("k").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decryption);
    assert!(!err.to_string().contains("passphrase\""));
    assert!(!err.to_string().contains("a long passphrase"));
}

#[test]
fn keys_and_passphrases_never_appear_in_debug_or_errors() {
    let text = SealingKeys::generate_key_text();
    let keys = SealingKeys::from_text(text.expose()).unwrap();
    let store = EncryptedStore::new(MemoryStore::new(), keys.clone());
    for shown in [format!("{keys:?}"), format!("{store:?}")] {
        assert!(!shown.contains(text.expose()), "{shown}");
        assert!(shown.contains(keys.current_key_id()), "{shown}");
    }
    let pass = "hunter2-but-longer";
    let p = SealingKeys::from_passphrase_with(pass, KdfParams::for_tests()).unwrap();
    assert!(!format!("{p:?}").contains(pass));
    // a malformed key in the environment: the message names the variable only
    let var = "OAUTHKIT_TEST_BAD_KEY_FOR_ERRORS";
    std::env::set_var(var, "c2VjcmV0LWJ1dC10b28tc2hvcnQ=");
    let err = SealingKeys::from_env(var).unwrap_err();
    assert!(err.to_string().contains(var));
    assert!(!err.to_string().contains("c2VjcmV0"), "{err}");
}

#[cfg(unix)]
#[test]
fn key_files_must_be_private_and_not_symlinks() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("key");
    std::fs::write(&path, SealingKeys::generate_key_text().expose()).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = SealingKeys::from_file(&path).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.to_string().contains("chmod 600"), "{err}");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let keys = SealingKeys::from_file(&path).unwrap();
    assert!(keys.source().contains("key file"));
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&path, &link).unwrap();
    assert!(SealingKeys::from_file(&link).is_err());
}

#[test]
fn specs_express_encryption() {
    let var = "OAUTHKIT_TEST_SPEC_KEY";
    std::env::set_var(var, SealingKeys::generate_key_text().expose());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t.json");
    for spec in [
        format!("file:{}?encrypt=env:{var}", file.display()),
        format!("file:{}?encrypt=env:{var}&namespace=app", file.display()),
        format!("file:{}?namespace=app2&encrypt=env:{var}", file.display()),
    ] {
        let store = oauthkit::store::open(&spec).unwrap();
        store.save("k", &full_token_set(0)).unwrap();
        assert_eq!(
            store.load("k").unwrap().unwrap().access_token.expose(),
            full_token_set(0).access_token.expose(),
            "{spec}"
        );
    }
    let plain = JsonFileStore::open(&file).unwrap();
    assert_eq!(plain.namespaces().unwrap(), ["DEFAULT", "app", "app2"]);
    assert_no_token_text("spec file", &std::fs::read(&file).unwrap(), 1);

    std::env::set_var("OAUTHKIT_TEST_SPEC_PASS", "a passphrase");
    let s =
        oauthkit::store::open("memory:?encrypt=passphrase-env:OAUTHKIT_TEST_SPEC_PASS").unwrap();
    s.save("k", &full_token_set(0)).unwrap();
    assert!(s.load("k").unwrap().is_some());

    for bad in [
        "memory:?encrypt=",
        "memory:?encrypt=env:",
        "memory:?encrypt=rot13",
        "memory:?encrypt=env:OAUTHKIT_TEST_UNSET_VARIABLE",
    ] {
        let Err(err) = oauthkit::store::open(bad) else {
            panic!("{bad} opened")
        };
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{bad}: {err}");
    }
}
