//! The SQLite store: conformance, globus-sdk schema interop, file safety.
#![cfg(feature = "sqlite")]
use crate::support;

use std::fs;

use oauthkit::store::SqliteStore;
use oauthkit::{ErrorKind, TokenSet, TokenStore};
use tempfile::TempDir;

fn fresh() -> (SqliteStore, TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("nested/tokens.db")).unwrap();
    (store, dir)
}

token_store_conformance!(fresh(), |s: &SqliteStore| s.in_namespace("other"));

#[test]
fn uses_the_globus_sdk_schema() {
    let (s, _d) = fresh();
    s.save(
        "rs1",
        &TokenSet::bearer("AT").with_expires_at(1_900_000_000),
    )
    .unwrap();
    s.close().unwrap();
    let c = rusqlite::Connection::open(s.path()).unwrap();
    let v: String = c
        .query_row(
            "SELECT value FROM sdk_storage_adapter_internal WHERE attribute='globus-sdk.database_schema_version'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(v, "2");
    let (ns, rs, json): (String, String, String) = c
        .query_row(
            "SELECT namespace, resource_server, token_data_json FROM token_storage",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!((ns.as_str(), rs.as_str()), ("DEFAULT", "rs1"));
    let rec: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(rec["access_token"], "AT");
    assert_eq!(rec["expires_at_seconds"], 1_900_000_000);
}

#[test]
fn reads_a_database_written_by_globus_sdk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("globus.db");
    let c = rusqlite::Connection::open(&path).unwrap();
    // The statements globus-sdk 4.10 runs on a new file.
    c.execute_batch(
        r#"CREATE TABLE token_storage (namespace VARCHAR NOT NULL, resource_server VARCHAR NOT NULL,
              token_data_json VARCHAR NOT NULL, PRIMARY KEY (namespace, resource_server));
           CREATE TABLE sdk_storage_adapter_internal (attribute VARCHAR NOT NULL, value VARCHAR NOT NULL,
              PRIMARY KEY (attribute));
           INSERT INTO sdk_storage_adapter_internal VALUES ('globus-sdk.version', '4.10.0');
           INSERT INTO sdk_storage_adapter_internal VALUES ('globus-sdk.database_schema_version', '2');
           INSERT INTO token_storage VALUES ('userapp-x', 'auth.globus.org',
              '{"resource_server": "auth.globus.org", "identity_id": "id1", "scope": "openid", "access_token": "AT", "refresh_token": "RT", "expires_at_seconds": 1900000000, "token_type": "Bearer"}');"#,
    )
    .unwrap();
    drop(c);
    let s = SqliteStore::open(&path).unwrap().in_namespace("userapp-x");
    let t = s.load("auth.globus.org").unwrap().unwrap();
    assert_eq!(t.refresh_token.unwrap().expose(), "RT");
    assert_eq!(s.namespaces().unwrap(), vec!["userapp-x"]);
}

#[test]
fn another_schema_version_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.db");
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch(
        "CREATE TABLE sdk_storage_adapter_internal (attribute VARCHAR NOT NULL, value VARCHAR NOT NULL, PRIMARY KEY (attribute));
         INSERT INTO sdk_storage_adapter_internal VALUES ('globus-sdk.database_schema_version', '1');",
    )
    .unwrap();
    drop(c);
    let err = SqliteStore::open(&path).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Corrupt, "{err}");
    let c = rusqlite::Connection::open(&path).unwrap();
    let tables: i64 = c
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name='token_storage'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tables, 0, "nothing may be written to a refused database");
}

#[test]
fn a_file_that_is_not_a_database_is_corrupt_and_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("junk.db");
    let junk = vec![b'x'; 4096];
    fs::write(&path, &junk).unwrap();
    let err = SqliteStore::open(&path).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Corrupt, "{err}");
    assert_eq!(fs::read(&path).unwrap(), junk);
}

#[test]
fn a_corrupt_row_is_a_typed_error_without_secrets() {
    let (s, _d) = fresh();
    s.save("k", &TokenSet::bearer("x")).unwrap();
    let c = rusqlite::Connection::open(s.path()).unwrap();
    c.execute(
        "UPDATE token_storage SET token_data_json = '{\"access_token\": \"SECRET\", ' ",
        [],
    )
    .unwrap();
    let err = s.load("k").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Corrupt);
    assert!(!err.to_string().contains("SECRET"), "{err}");
}

#[cfg(unix)]
#[test]
fn database_file_is_created_0600() {
    use std::os::unix::fs::PermissionsExt;
    let (s, _d) = fresh();
    s.save("k", &TokenSet::bearer("a")).unwrap();
    let mode = fs::metadata(s.path()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "mode {mode:o}");
}

#[test]
fn closed_store_refuses_calls() {
    let (s, _d) = fresh();
    s.close().unwrap();
    assert_eq!(s.load("k").unwrap_err().kind(), ErrorKind::InvalidArgument);
}

#[test]
fn memory_database_is_refused() {
    assert_eq!(
        SqliteStore::open(":memory:").unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
}

/// Every file in `dir` with its bytes.
fn snapshot(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut all: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    all.sort();
    all
}

/// Databases this store must refuse, each made by `setup` in `journal`
/// mode (`DELETE` or `WAL`).
fn refused_databases() -> Vec<(&'static str, &'static str)> {
    vec![
        (
            "a newer schema version",
            "CREATE TABLE token_storage (namespace VARCHAR NOT NULL, resource_server VARCHAR NOT NULL, token_data_json VARCHAR NOT NULL, PRIMARY KEY (namespace, resource_server));
             CREATE TABLE sdk_storage_adapter_internal (attribute VARCHAR NOT NULL, value VARCHAR NOT NULL, PRIMARY KEY (attribute));
             INSERT INTO sdk_storage_adapter_internal VALUES ('globus-sdk.database_schema_version', '3');",
        ),
        (
            "an older schema version",
            "CREATE TABLE sdk_storage_adapter_internal (attribute VARCHAR NOT NULL, value VARCHAR NOT NULL, PRIMARY KEY (attribute));
             INSERT INTO sdk_storage_adapter_internal VALUES ('globus-sdk.database_schema_version', '1');",
        ),
        (
            "another application's tables only",
            "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers VALUES (1, 'a');",
        ),
        (
            "globus-sdk's tables beside a foreign table",
            "CREATE TABLE token_storage (namespace VARCHAR NOT NULL, resource_server VARCHAR NOT NULL, token_data_json VARCHAR NOT NULL, PRIMARY KEY (namespace, resource_server));
             CREATE TABLE sdk_storage_adapter_internal (attribute VARCHAR NOT NULL, value VARCHAR NOT NULL, PRIMARY KEY (attribute));
             INSERT INTO sdk_storage_adapter_internal VALUES ('globus-sdk.database_schema_version', '2');
             CREATE TABLE notes (x);",
        ),
        (
            "a foreign view",
            "CREATE VIEW v AS SELECT 1;",
        ),
        (
            "a foreign index on globus-sdk's table",
            "CREATE TABLE token_storage (namespace VARCHAR NOT NULL, resource_server VARCHAR NOT NULL, token_data_json VARCHAR NOT NULL, PRIMARY KEY (namespace, resource_server));
             CREATE INDEX extra ON token_storage (token_data_json);",
        ),
    ]
}

#[test]
fn a_refused_database_is_byte_for_byte_unchanged() {
    for journal in ["DELETE", "WAL"] {
        for (what, sql) in refused_databases() {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("app.db");
            let c = rusqlite::Connection::open(&path).unwrap();
            c.pragma_update(None, "journal_mode", journal).unwrap();
            c.execute_batch(sql).unwrap();
            c.close().unwrap();
            let before = snapshot(dir.path());
            let err = SqliteStore::open(&path).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Corrupt, "{what} ({journal}): {err}");
            assert_eq!(
                snapshot(dir.path()),
                before,
                "{what} ({journal}): the database or its directory changed"
            );
        }
    }
}

#[test]
fn a_database_holding_other_tables_never_gets_oauthkits_tables() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch("CREATE TABLE customers (id INTEGER PRIMARY KEY);")
        .unwrap();
    drop(c);
    let err = SqliteStore::open(&path).unwrap_err();
    assert!(err.to_string().contains("customers"), "{err}");
    let c = rusqlite::Connection::open(&path).unwrap();
    let n: i64 = c
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name IN ('token_storage', 'sdk_storage_adapter_internal')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 0);
}

#[test]
fn an_empty_file_and_an_empty_database_become_stores() {
    let dir = tempfile::tempdir().unwrap();
    let empty_file = dir.path().join("empty.db");
    fs::write(&empty_file, b"").unwrap();
    let s = SqliteStore::open(&empty_file).unwrap();
    s.save("k", &TokenSet::bearer("a")).unwrap();
    let empty_db = dir.path().join("emptydb.db");
    rusqlite::Connection::open(&empty_db)
        .unwrap()
        .pragma_update(None, "user_version", 1)
        .unwrap();
    let s = SqliteStore::open(&empty_db).unwrap();
    s.save("k", &TokenSet::bearer("a")).unwrap();
    assert!(s.exists("k").unwrap());
}

#[cfg(unix)]
#[test]
fn a_database_readable_by_others_is_made_private_and_reported() {
    use std::os::unix::fs::PermissionsExt;
    support::log_capture::install();
    let (s, d) = fresh();
    s.save("k", &TokenSet::bearer("SECRET-AT")).unwrap();
    s.close().unwrap();
    fs::set_permissions(s.path(), fs::Permissions::from_mode(0o644)).unwrap();
    // A -wal file left behind, readable by all.
    let wal = d.path().join("nested/tokens.db-wal");
    fs::write(&wal, b"").unwrap();
    fs::set_permissions(&wal, fs::Permissions::from_mode(0o664)).unwrap();
    let s = SqliteStore::open(s.path()).unwrap();
    let mode = fs::metadata(s.path()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    if wal.exists() {
        let mode = fs::metadata(&wal).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the -wal file");
    }
    let seen = support::log_capture::lines_with(log::Level::Warn, &d.path().display().to_string());
    assert!(seen.iter().any(|l| l.contains("644")), "{seen:?}");
    assert!(!support::log_capture::all().contains("SECRET-AT"));
}
