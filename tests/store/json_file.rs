//! The JSON file store: conformance, file safety and globus-sdk interop.
use crate::support;

use std::fs;
use std::path::PathBuf;

use oauthkit::store::JsonFileStore;
use oauthkit::{ErrorKind, TokenSet, TokenStore};
use serde_json::Value;
use tempfile::TempDir;

fn fresh() -> (JsonFileStore, TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = JsonFileStore::open(dir.path().join("sub/dir/tokens.json")).unwrap();
    (store, dir)
}

token_store_conformance!(fresh(), |s: &JsonFileStore| s.in_namespace("other"));

fn file_of(s: &JsonFileStore) -> PathBuf {
    s.path().to_path_buf()
}

#[cfg(unix)]
#[test]
fn file_is_created_0600_and_dir_0700() {
    use std::os::unix::fs::PermissionsExt;
    let (s, _d) = fresh();
    s.save("k", &TokenSet::bearer("a")).unwrap();
    let mode = fs::metadata(file_of(&s)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "file mode {mode:o}");
    let dir_mode = fs::metadata(file_of(&s).parent().unwrap())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(dir_mode, 0o700, "dir mode {dir_mode:o}");
}

#[cfg(unix)]
#[test]
fn a_world_readable_file_becomes_private_on_the_next_write() {
    use std::os::unix::fs::PermissionsExt;
    let (s, _d) = fresh();
    s.save("k", &TokenSet::bearer("a")).unwrap();
    fs::set_permissions(file_of(&s), fs::Permissions::from_mode(0o644)).unwrap();
    s.save("k2", &TokenSet::bearer("b")).unwrap();
    let mode = fs::metadata(file_of(&s)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn writes_globus_sdk_format_2() {
    let (s, _d) = fresh();
    let mut t = TokenSet::bearer("AT")
        .with_refresh_token("RT")
        .with_scopes(["a", "b"])
        .with_identity_id("u1")
        .with_expires_at(1_700_003_600);
    t.resource_server = Some("transfer.api.globus.org".into());
    s.save("transfer.api.globus.org", &t).unwrap();
    let doc: Value = serde_json::from_slice(&fs::read(file_of(&s)).unwrap()).unwrap();
    assert_eq!(doc["format_version"], "2.0");
    assert!(
        doc["globus-sdk.version"].is_string(),
        "globus-sdk requires this key"
    );
    let rec = &doc["data"]["DEFAULT"]["transfer.api.globus.org"];
    assert_eq!(rec["resource_server"], "transfer.api.globus.org");
    assert_eq!(rec["identity_id"], "u1");
    assert_eq!(rec["scope"], "a b");
    assert_eq!(rec["access_token"], "AT");
    assert_eq!(rec["refresh_token"], "RT");
    assert_eq!(rec["expires_at_seconds"], 1_700_003_600);
    assert_eq!(rec["token_type"], "Bearer");
}

#[test]
fn reads_a_file_written_by_globus_sdk_and_keeps_its_extras() {
    let (s, _d) = fresh();
    // As globus-sdk 4.10 writes it (json.dump, no indent).
    fs::write(
        file_of(&s),
        r#"{"data": {"DEFAULT": {"auth.globus.org": {"resource_server": "auth.globus.org", "identity_id": "ae1", "scope": "openid profile", "access_token": "AT1", "refresh_token": "RT1", "expires_at_seconds": 1900000000, "token_type": "Bearer"}}, "other-app": {"x": {"resource_server": "x", "scope": "", "access_token": "AT2", "expires_at_seconds": 1, "token_type": "Bearer", "custom": 7}}}, "format_version": "2.0", "globus-sdk.version": "4.10.0"}"#,
    )
    .unwrap();
    let t = s.load("auth.globus.org").unwrap().unwrap();
    assert_eq!(t.access_token.expose(), "AT1");
    assert_eq!(t.identity_id.as_deref(), Some("ae1"));
    assert_eq!(t.expires_at, Some(1_900_000_000));
    assert_eq!(s.namespaces().unwrap(), vec!["DEFAULT", "other-app"]);
    let other = s.in_namespace("other-app");
    assert_eq!(other.load("x").unwrap().unwrap().extra["custom"], 7);
    // A write keeps the other namespace's extras and globus's version key.
    s.save("new", &TokenSet::bearer("n")).unwrap();
    let doc: Value = serde_json::from_slice(&fs::read(file_of(&s)).unwrap()).unwrap();
    assert_eq!(doc["globus-sdk.version"], "4.10.0");
    assert_eq!(doc["data"]["other-app"]["x"]["custom"], 7);
}

#[test]
fn reads_format_1_as_default_namespace_and_upgrades_on_write() {
    let (s, _d) = fresh();
    fs::write(
        file_of(&s),
        r#"{"by_rs": {"rs1": {"resource_server": "rs1", "scope": "s", "access_token": "A", "refresh_token": null, "expires_at_seconds": 5, "token_type": "Bearer"}}, "format_version": "1.0", "globus-sdk.version": "3.0.0"}"#,
    )
    .unwrap();
    assert_eq!(s.load("rs1").unwrap().unwrap().access_token.expose(), "A");
    assert!(s.in_namespace("other").load("rs1").unwrap().is_none());
    s.save("rs2", &TokenSet::bearer("B")).unwrap();
    let doc: Value = serde_json::from_slice(&fs::read(file_of(&s)).unwrap()).unwrap();
    assert_eq!(doc["format_version"], "2.0");
    assert!(doc.get("by_rs").is_none());
    assert_eq!(doc["data"]["DEFAULT"]["rs1"]["access_token"], "A");
}

#[test]
fn corrupt_file_is_a_typed_error_and_is_never_overwritten() {
    let (s, _d) = fresh();
    let garbage = b"{\"data\": {\"DEFAULT\": {\"k\": {\"access_token\": \"SECRET-AT\"";
    fs::write(file_of(&s), garbage).unwrap();
    for err in [
        s.load("k").unwrap_err(),
        s.save("k", &TokenSet::bearer("x")).unwrap_err(),
        s.delete("k").unwrap_err(),
        s.list_keys().unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::Corrupt, "{err}");
        assert!(err.to_string().contains("tokens.json"), "{err}");
        assert!(!err.to_string().contains("SECRET-AT"), "{err}");
    }
    assert_eq!(fs::read(file_of(&s)).unwrap(), garbage);
}

#[test]
fn quarantine_moves_a_corrupt_file_aside() {
    let (s, _d) = fresh();
    fs::write(file_of(&s), b"not json").unwrap();
    let aside = s.quarantine().unwrap().expect("moved");
    assert_eq!(fs::read(&aside).unwrap(), b"not json");
    assert!(aside.to_string_lossy().contains("tokens.json.corrupt-"));
    s.save("k", &TokenSet::bearer("a")).unwrap();
    assert!(s.exists("k").unwrap());
    assert_eq!(s.quarantine().unwrap(), None);
}

#[test]
fn unknown_format_version_and_bad_shapes_are_corrupt() {
    let (s, _d) = fresh();
    for body in [
        r#"{"data": {}, "format_version": "9.0"}"#,
        r#"[1, 2]"#,
        r#"{"data": {"DEFAULT": 5}, "format_version": "2.0"}"#,
        r#"{"data": {"DEFAULT": {"k": {"token_type": "Bearer"}}}, "format_version": "2.0"}"#,
    ] {
        fs::write(file_of(&s), body).unwrap();
        assert_eq!(
            s.load("k").unwrap_err().kind(),
            ErrorKind::Corrupt,
            "{body}"
        );
    }
}

#[test]
fn deleting_a_missing_key_writes_nothing() {
    let (s, _d) = fresh();
    assert!(!s.delete("k").unwrap());
    assert!(!file_of(&s).exists());
}

#[test]
fn no_temporary_files_are_left_behind() {
    let (s, _d) = fresh();
    for i in 0..5 {
        s.save(&format!("k{i}"), &TokenSet::bearer("a")).unwrap();
    }
    let names: Vec<String> = fs::read_dir(file_of(&s).parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains(".tmp-")), "{names:?}");
}

#[test]
fn key_locks_exclude_each_other() {
    use std::time::Duration;
    let (s, _d) = fresh();
    let held = s.lock_key("k", Duration::from_secs(1)).unwrap();
    let err = s.lock_key("k", Duration::from_millis(50)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LockTimeout);
    let other_key = s.lock_key("other", Duration::from_millis(50));
    assert!(other_key.is_ok());
    drop(held);
    assert!(s.lock_key("k", Duration::from_millis(50)).is_ok());
}

#[test]
fn quarantine_moves_aside_a_file_with_a_single_malformed_record() {
    // One good record beside one bad one, for each way a record can be bad.
    let bad_records = [
        ("not an object", r#""a string""#),
        ("an array", r#"["AT"]"#),
        ("null", "null"),
        ("no access_token", r#"{"token_type": "Bearer"}"#),
        ("null access_token", r#"{"access_token": null}"#),
        ("numeric access_token", r#"{"access_token": 5}"#),
        ("object access_token", r#"{"access_token": {"a": 1}}"#),
        (
            "numeric refresh_token",
            r#"{"access_token": "A", "refresh_token": 7}"#,
        ),
        ("array id_token", r#"{"access_token": "A", "id_token": []}"#),
        (
            "numeric token_type",
            r#"{"access_token": "A", "token_type": 1}"#,
        ),
        ("array scope", r#"{"access_token": "A", "scope": ["a"]}"#),
        (
            "numeric resource_server",
            r#"{"access_token": "A", "resource_server": 1}"#,
        ),
        (
            "boolean identity_id",
            r#"{"access_token": "A", "identity_id": true}"#,
        ),
        (
            "string expiry",
            r#"{"access_token": "A", "expires_at_seconds": "soon"}"#,
        ),
        (
            "object expiry",
            r#"{"access_token": "A", "expires_at_seconds": {}}"#,
        ),
        (
            "string issued_at",
            r#"{"access_token": "A", "issued_at": "then"}"#,
        ),
    ];
    for (what, bad) in bad_records {
        for namespace in ["DEFAULT", "other-app"] {
            let (s, _d) = fresh();
            let body = format!(
                r#"{{"data": {{"DEFAULT": {{"good": {{"access_token": "GOOD"}}}}, "{namespace}": {{"bad": {bad}}}}}, "format_version": "2.0", "globus-sdk.version": "4.10.0"}}"#
            );
            fs::write(file_of(&s), &body).unwrap();
            let aside = s
                .quarantine()
                .unwrap()
                .unwrap_or_else(|| panic!("{what} in {namespace} was not moved aside"));
            assert_eq!(fs::read_to_string(&aside).unwrap(), body, "{what}");
            assert!(!file_of(&s).exists(), "{what}");
            assert!(s.list_keys().unwrap().is_empty(), "{what}: starts empty");
        }
    }
}

#[test]
fn quarantine_leaves_a_good_file_alone() {
    let (s, _d) = fresh();
    let mut t = TokenSet::bearer("A")
        .with_refresh_token("R")
        .with_expires_at(5)
        .with_identity_id("u");
    t.id_token = Some(oauthkit::Secret::new("I"));
    s.save("k", &t).unwrap();
    s.in_namespace("other").save("k2", &t).unwrap();
    let before = fs::read(file_of(&s)).unwrap();
    assert_eq!(s.quarantine().unwrap(), None);
    assert_eq!(fs::read(file_of(&s)).unwrap(), before);
}

#[cfg(unix)]
#[test]
fn a_token_file_readable_by_others_is_reported_and_made_private_on_the_next_write() {
    use std::os::unix::fs::PermissionsExt;
    support::log_capture::install();
    let (s, d) = fresh();
    let needle = d.path().display().to_string();
    s.save("k", &TokenSet::bearer("SECRET-AT-1")).unwrap();
    assert!(support::log_capture::lines_with(log::Level::Warn, &needle).is_empty());
    for loose in [0o644, 0o640, 0o604, 0o660, 0o666] {
        fs::set_permissions(file_of(&s), fs::Permissions::from_mode(loose)).unwrap();
        // A reader notices and says so.
        s.load("k").unwrap();
        let seen = support::log_capture::lines_with(log::Level::Warn, &needle);
        assert!(
            seen.iter()
                .any(|l| l.contains(&format!("{loose:o}")) && l.contains("tokens.json")),
            "{loose:o}: {seen:?}"
        );
        // The next write tightens it and says so.
        s.save("k", &TokenSet::bearer("SECRET-AT-2")).unwrap();
        let mode = fs::metadata(file_of(&s)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let seen = support::log_capture::lines_with(log::Level::Warn, &needle);
        assert!(
            seen.iter().any(|l| l.contains("0600 now")),
            "{loose:o}: {seen:?}"
        );
    }
    assert!(!support::log_capture::all().contains("SECRET-AT"));
}

#[test]
fn a_load_sees_every_rewrite_of_the_same_size() {
    // In place (as globus-sdk writes: same inode), in place with the old
    // modification time put back (as `cp -p`, `rsync -t` and `tar` do), and
    // through the store (a new inode by rename, whose number may be reused);
    // always the same size, faster than a coarse file clock ticks.
    let (s, _d) = fresh();
    let other = JsonFileStore::open(file_of(&s)).unwrap();
    s.save("k", &TokenSet::bearer("AT-start")).unwrap();
    for i in 0..600 {
        let token = format!("AT-{i:06}");
        let in_place = format!(
            r#"{{"data": {{"DEFAULT": {{"k": {{"access_token": "{token}"}}}}}}, "format_version": "2.0"}}"#
        );
        match i % 3 {
            0 => fs::write(file_of(&s), in_place).unwrap(),
            1 => {
                let before = fs::metadata(file_of(&s)).unwrap().modified().unwrap();
                let f = fs::OpenOptions::new()
                    .write(true)
                    .truncate(true)
                    .open(file_of(&s))
                    .unwrap();
                std::io::Write::write_all(&mut &f, in_place.as_bytes()).unwrap();
                f.set_modified(before).unwrap();
            }
            _ => other.save("k", &TokenSet::bearer(token.clone())).unwrap(),
        }
        assert_eq!(
            s.load("k").unwrap().unwrap().access_token.expose(),
            token,
            "round {i}: a stale load"
        );
    }
}
