//! The SQLite store: conformance, globus-sdk schema interop, file safety.
#![cfg(feature = "sqlite")]
mod support;

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
