//! The OS keyring store against a real Secret Service (gnome-keyring on a
//! private D-Bus session; scripts/test.sh starts one).
#![cfg(feature = "keyring")]
use crate::support;

use oauthkit::store::KeyringStore;
use oauthkit::{ErrorKind, TokenSet, TokenStore};

/// A store on a service name no other test uses, emptied when dropped.
struct Fresh(KeyringStore);

impl Drop for Fresh {
    fn drop(&mut self) {
        for ns in self.0.namespaces().unwrap_or_default() {
            let s = self.0.in_namespace(&ns);
            for k in s.list_keys().unwrap_or_default() {
                let _ = s.delete(&k);
            }
        }
    }
}

fn require_secret_service() {
    support::needs::require(support::needs::Need::SecretService);
}

fn fresh() -> (KeyringStore, Fresh) {
    require_secret_service();
    let service = format!("oauthkit-test-{:016x}", rand::random::<u64>());
    let s = KeyringStore::new(&service).unwrap();
    (s.clone(), Fresh(s))
}

token_store_conformance!(fresh(), |s: &KeyringStore| s.in_namespace("other"));

#[test]
fn entries_are_pywry_compatible() {
    needs!(SecretService);
    let (s, _g) = fresh();
    let t = TokenSet::bearer("AT")
        .with_refresh_token("RT")
        .with_expires_in(60);
    s.save("user-1", &t).unwrap();
    // pywry: keyring.get_password(service, key) holds the OAuthTokenSet JSON.
    let raw = keyring::Entry::new(s.service(), "user-1")
        .unwrap()
        .get_password()
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(v["access_token"], "AT");
    assert_eq!(v["refresh_token"], "RT");
    assert_eq!(v["expires_in"], 60);
    assert!(v["issued_at"].is_number());
    // And an entry pywry wrote is readable.
    keyring::Entry::new(s.service(), "from-pywry")
        .unwrap()
        .set_password(r#"{"access_token": "P", "token_type": "Bearer", "refresh_token": null, "expires_in": null, "id_token": null, "scope": "a b", "raw": {}, "issued_at": 1700000000.5}"#)
        .unwrap();
    let p = s.load("from-pywry").unwrap().unwrap();
    assert_eq!(p.access_token.expose(), "P");
    assert_eq!(p.scopes, vec!["a", "b"]);
    keyring::Entry::new(s.service(), "from-pywry")
        .unwrap()
        .delete_credential()
        .unwrap();
}

#[test]
fn reserved_keys_are_refused() {
    needs!(SecretService);
    let (s, _g) = fresh();
    let err = s
        .save("oauthkit-index", &TokenSet::bearer("a"))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
}

/// With no reachable Secret Service the store fails loudly: no plaintext
/// fallback. Runs itself in a child process with a dead D-Bus address.
#[test]
fn unreachable_keyring_is_unavailable_never_a_fallback() {
    needs!(SecretService);
    const CHILD: &str = "OAUTHKIT_KEYRING_CHILD";
    if std::env::var_os(CHILD).is_some() {
        let s = KeyringStore::new("oauthkit-test-unreachable").unwrap();
        let err = s.save("k", &TokenSet::bearer("a")).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
        assert!(err.to_string().contains("plain text"), "{err}");
        assert_eq!(s.load("k").unwrap_err().kind(), ErrorKind::Unavailable);
        let home = std::env::var("HOME").unwrap();
        let leftovers = std::fs::read_dir(&home).map(|d| d.count()).unwrap_or(0);
        assert!(leftovers <= 1, "something was written to {home}");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            &support::test_name(
                module_path!(),
                "unreachable_keyring_is_unavailable_never_a_fallback",
            ),
            "--nocapture",
        ])
        .env(CHILD, "1")
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/oauthkit-test-bus",
        )
        .env("HOME", home.path())
        .env_remove("XDG_DATA_HOME")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The venv of scripts/setup-python-keyring.sh (Python's `keyring`, the
/// library pywry's `KeyringTokenStore` calls).
fn python_keyring() -> std::path::PathBuf {
    let venv = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/python-keyring-venv/bin/python");
    let ok = std::process::Command::new(&venv)
        .args(["-c", "import keyring, secretstorage"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        ok,
        "Python's keyring is not installed: run scripts/setup-python-keyring.sh"
    );
    venv
}

/// Runs `code` with Python's keyring on the Secret Service backend.
fn run_python_keyring(code: &str) {
    let out = std::process::Command::new(python_keyring())
        .args(["-c", &format!("import json, keyring\n{code}")])
        .env(
            "PYTHON_KEYRING_BACKEND",
            "keyring.backends.SecretService.Keyring",
        )
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python keyring failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// pywry's `KeyringTokenStore.save`: `keyring.set_password(service, key,
/// json.dumps(OAuthTokenSet))`, and no index.
const PYWRY_SAVE: &str = r#"
def save(service, key, at):
    keyring.set_password(service, key, json.dumps({"access_token": at, "token_type": "Bearer",
        "refresh_token": None, "expires_in": 3600, "id_token": None, "scope": "",
        "raw": {}, "issued_at": 1700000000.25}))
"#;

#[test]
fn lists_entries_pywry_wrote_through_python_keyring() {
    needs!(SecretService, PythonKeyring);
    let (s, _g) = fresh();
    let service = s.service().to_owned();
    run_python_keyring(&format!(
        "{PYWRY_SAVE}\nsave({service:?}, 'alice', 'AT-a')\nsave({service:?}, 'bob@example.com', 'AT-b')\n\
         save({service:?} + '-other', 'mallory', 'AT-m')\n"
    ));
    assert_eq!(s.list_keys().unwrap(), ["alice", "bob@example.com"]);
    assert_eq!(s.namespaces().unwrap(), ["DEFAULT"]);
    assert_eq!(
        s.load("alice").unwrap().unwrap().access_token.expose(),
        "AT-a"
    );
    // Entries oauthkit writes (indexed) and pywry's are listed together.
    s.save("carol", &TokenSet::bearer("AT-c")).unwrap();
    s.in_namespace("app")
        .save("dave", &TokenSet::bearer("AT-d"))
        .unwrap();
    assert_eq!(
        s.list_keys().unwrap(),
        ["alice", "bob@example.com", "carol"]
    );
    assert_eq!(s.in_namespace("app").list_keys().unwrap(), ["dave"]);
    assert_eq!(s.namespaces().unwrap(), ["DEFAULT", "app"]);
    // pywry deletes an entry oauthkit indexed: it is no longer listed.
    run_python_keyring(&format!("keyring.delete_password({service:?}, 'carol')"));
    assert_eq!(s.list_keys().unwrap(), ["alice", "bob@example.com"]);
    // oauthkit deletes one pywry wrote.
    assert!(s.delete("alice").unwrap());
    assert_eq!(s.list_keys().unwrap(), ["bob@example.com"]);
    run_python_keyring(&format!(
        "keyring.delete_password({service:?} + '-other', 'mallory')"
    ));
}

#[test]
fn lists_entries_the_keyring_crate_wrote_without_the_index() {
    needs!(SecretService);
    let (s, _g) = fresh();
    for user in ["erin", "frank"] {
        keyring::Entry::new(s.service(), user)
            .unwrap()
            .set_password(&TokenSet::bearer(format!("AT-{user}")).to_json())
            .unwrap();
    }
    // Not keys of this store: the index entry itself and another service.
    keyring::Entry::new(&format!("{}-x", s.service()), "grace")
        .unwrap()
        .set_password("{}")
        .unwrap();
    assert_eq!(s.list_keys().unwrap(), ["erin", "frank"]);
    assert_eq!(
        s.load("frank").unwrap().unwrap().access_token.expose(),
        "AT-frank"
    );
    keyring::Entry::new(&format!("{}-x", s.service()), "grace")
        .unwrap()
        .delete_credential()
        .unwrap();
}
