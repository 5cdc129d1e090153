//! oauthkit and a real globus-sdk (4.10, Python) share token files and
//! databases: each reads what the other wrote.
//!
//! Needs the venv made by scripts/setup-python-interop.sh.

use std::path::{Path, PathBuf};
use std::process::Command;

use oauthkit::store::JsonFileStore;
use oauthkit::{TokenSet, TokenStore};
use serde_json::Value;

fn python() -> PathBuf {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/interop-venv/bin/python");
    let ok = Command::new(&venv)
        .args(["-c", "import globus_sdk"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        ok,
        "globus-sdk is not installed: run scripts/setup-python-interop.sh"
    );
    venv
}

fn run_python(code: &str) -> Value {
    let out = Command::new(python()).args(["-c", code]).output().unwrap();
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn our_tokens() -> TokenSet {
    TokenSet::bearer("AT-rust")
        .with_refresh_token("RT-rust")
        .with_scopes(["openid", "profile"])
        .with_identity_id("id-rust")
        .with_resource_server("auth.globus.org")
        .with_expires_at(1_900_000_000)
}

const READ_WITH_GLOBUS: &str = r#"
import json, sys
from globus_sdk.token_storage import {cls}
s = {cls}({path!r}, namespace={ns!r})
d = s.get_token_data("auth.globus.org")
print(json.dumps(d.to_dict(include_extra=True)))
"#;

const WRITE_WITH_GLOBUS: &str = r#"
import json
from globus_sdk.token_storage import {cls}, TokenStorageData
s = {cls}({path!r}, namespace={ns!r})
s.store_token_data_by_resource_server({{
  "transfer.api.globus.org": TokenStorageData(
    resource_server="transfer.api.globus.org", identity_id="id-py", scope="urn:transfer:all",
    access_token="AT-py", refresh_token="RT-py", expires_at_seconds=1900000001,
    token_type="Bearer", extra={{"custom": 1}})}})
print(json.dumps(True))
"#;

fn fill(template: &str, cls: &str, path: &Path, ns: &str) -> String {
    template
        .replace("{cls}", cls)
        .replace("{path!r}", &format!("{:?}", path.display().to_string()))
        .replace("{ns!r}", &format!("{ns:?}"))
        .replace("{{", "{")
        .replace("}}", "}")
}

fn check_globus_read(v: &Value) {
    assert_eq!(v["access_token"], "AT-rust");
    assert_eq!(v["refresh_token"], "RT-rust");
    assert_eq!(v["identity_id"], "id-rust");
    assert_eq!(v["scope"], "openid profile");
    assert_eq!(v["expires_at_seconds"], 1_900_000_000);
    assert_eq!(v["resource_server"], "auth.globus.org");
}

fn check_rust_read(store: &dyn TokenStore) {
    let t = store
        .load("transfer.api.globus.org")
        .unwrap()
        .expect("written by globus-sdk");
    assert_eq!(t.access_token.expose(), "AT-py");
    assert_eq!(t.refresh_token.unwrap().expose(), "RT-py");
    assert_eq!(t.identity_id.as_deref(), Some("id-py"));
    assert_eq!(t.expires_at, Some(1_900_000_001));
    // globus-sdk stores `to_dict()` without extra, so "custom" is not kept.
    assert!(!t.extra.contains_key("custom"));
}

#[test]
fn globus_sdk_reads_our_json_file_and_we_read_its() {
    needs!(GlobusSdk);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    let ours = JsonFileStore::open(&path).unwrap().in_namespace("userapp");
    ours.save("auth.globus.org", &our_tokens()).unwrap();
    check_globus_read(&run_python(&fill(
        READ_WITH_GLOBUS,
        "JSONTokenStorage",
        &path,
        "userapp",
    )));
    run_python(&fill(
        WRITE_WITH_GLOBUS,
        "JSONTokenStorage",
        &path,
        "userapp",
    ));
    check_rust_read(&ours);
    // globus-sdk's rewrite kept our record.
    assert!(ours.load("auth.globus.org").unwrap().is_some());
}

#[cfg(feature = "sqlite")]
#[test]
fn globus_sdk_reads_our_sqlite_db_and_we_read_its() {
    needs!(GlobusSdk);
    use oauthkit::store::SqliteStore;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.db");
    // globus-sdk creates the database; we open it as it is.
    run_python(&fill(
        WRITE_WITH_GLOBUS,
        "SQLiteTokenStorage",
        &path,
        "userapp",
    ));
    let ours = SqliteStore::open(&path).unwrap().in_namespace("userapp");
    check_rust_read(&ours);
    ours.save("auth.globus.org", &our_tokens()).unwrap();
    ours.close().unwrap();
    check_globus_read(&run_python(&fill(
        READ_WITH_GLOBUS,
        "SQLiteTokenStorage",
        &path,
        "userapp",
    )));
}

/// globus-sdk meets a file whose records oauthkit sealed: every read and
/// write fails with a plain `ValueError` naming the unknown format (it never
/// takes a sealed record for an access token), and the file is left as it
/// was, so oauthkit still opens every record.
#[test]
fn globus_sdk_refuses_an_encrypted_file_cleanly_and_loses_nothing() {
    needs!(GlobusSdk);
    use oauthkit::store::{EncryptedStore, SealingKeys};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    let keys = SealingKeys::from_raw_keys([[5u8; 32]]).unwrap();
    let ours = EncryptedStore::new(
        JsonFileStore::open(&path).unwrap().in_namespace("userapp"),
        keys.clone(),
    );
    ours.save("auth.globus.org", &our_tokens()).unwrap();
    let before = std::fs::read(&path).unwrap();

    let code = r#"
import json
from globus_sdk.token_storage import JSONTokenStorage, TokenStorageData
s = JSONTokenStorage({path!r}, namespace={ns!r})
out = {}
def attempt(name, f):
    try:
        f()
        out[name] = "no error"
    except ValueError as e:
        out[name] = "ValueError: " + str(e)
    except Exception as e:
        out[name] = "unexpected " + type(e).__name__ + ": " + str(e)
attempt("get", lambda: s.get_token_data("auth.globus.org"))
attempt("get_all", lambda: s.get_token_data_by_resource_server())
attempt("store", lambda: s.store_token_data_by_resource_server({{
  "transfer.api.globus.org": TokenStorageData(
    resource_server="transfer.api.globus.org", identity_id="id-py", scope="s",
    access_token="AT-py", refresh_token="RT-py", expires_at_seconds=1900000001,
    token_type="Bearer")}}))
attempt("remove", lambda: s.remove_token_data("auth.globus.org"))
print(json.dumps(out))
"#;
    let out = run_python(&fill(code, "JSONTokenStorage", &path, "userapp"));
    for op in ["get", "get_all", "store", "remove"] {
        let msg = out[op].as_str().unwrap();
        assert!(
            msg.starts_with("ValueError: ") && msg.contains("unknown format"),
            "globus-sdk {op}: {msg}"
        );
        assert!(
            !msg.contains("oak:v1"),
            "globus-sdk {op} leaked the record: {msg}"
        );
    }
    assert_eq!(std::fs::read(&path).unwrap(), before, "the file changed");
    let t = ours.load("auth.globus.org").unwrap().unwrap();
    assert_eq!(t.refresh_token.unwrap().expose(), "RT-rust");
}
