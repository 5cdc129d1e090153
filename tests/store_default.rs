//! The default store: each application's own file, encrypted with a key in
//! the OS keyring (gnome-keyring through scripts/with-keyring.sh), a clear
//! error when no keyring answers, plain text only when allowed.
//!
//! The default store reads the environment (data directory, D-Bus address,
//! `OAUTHKIT_*`), so every scenario runs in a child process of this test
//! binary with an environment of its own (`harness = false`: `main` runs
//! the checks, or one scenario when started as a child).
extern crate oauthkit_test_support as support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use oauthkit::store::SealingKeys;
use oauthkit::store::{DefaultStore, JsonFileStore, Protection};
use oauthkit::{ErrorKind, TokenStore};
use support::conformance::full_token_set;

const SCENARIO: &str = "OAK_DEFAULT_STORE_SCENARIO";
const DONE: &str = "OAK_DEFAULT_STORE_DONE";

fn main() {
    if let Ok(name) = std::env::var(SCENARIO) {
        scenario(&name);
        return;
    }
    let checks: [(&str, fn()); 6] = [
        (
            "each app gets its own encrypted file and a second run finds its tokens",
            each_app_gets_its_own_encrypted_file_and_a_second_run_finds_its_tokens,
        ),
        (
            "no keyring is one clear error and plain text needs an explicit yes",
            no_keyring_is_one_clear_error_and_plain_text_needs_an_explicit_yes,
        ),
        (
            "a plain file is encrypted once a keyring answers and never read back as plain",
            a_plain_file_is_encrypted_once_a_keyring_answers_and_never_read_back_as_plain,
        ),
        (
            "a spec in the environment replaces the default",
            a_spec_in_the_environment_replaces_the_default,
        ),
        (
            "application names are checked",
            application_names_are_checked,
        ),
        (
            "open_default is per application and a second run finds the signed-in key",
            open_default_is_per_application_and_a_second_run_finds_the_signed_in_key,
        ),
    ];
    let mut failed = 0;
    for (what, check) in checks {
        match std::panic::catch_unwind(check) {
            Ok(()) => println!("test {what} ... ok"),
            Err(_) => {
                println!("test {what} ... FAILED");
                failed += 1;
            }
        }
    }
    println!(
        "\nstore_default: {} passed, {failed} failed",
        checks.len() - failed
    );
    if failed > 0 {
        std::process::exit(1);
    }
}

/// The child side: runs one scenario.
fn scenario(name: &str) {
    let app = std::env::var("OAK_APP").unwrap();
    match name {
        "encrypted" => {
            let opened = DefaultStore::open(&app).unwrap();
            match opened.protection() {
                Protection::Encrypted { key_source } => {
                    assert!(
                        key_source.contains(&format!("oauthkit:{app}")),
                        "{key_source}"
                    )
                }
                other => panic!("not encrypted: {other:?}"),
            }
            // The opened store is the token store itself.
            opened.save("alice", &full_token_set(1)).unwrap();
            assert!(opened.protects_secrets());
            assert!(opened
                .location()
                .ends_with(&format!("oauthkit/{app}/tokens.json")));
        }
        "reads-back" => {
            let opened = DefaultStore::open(&app).unwrap();
            let t = opened
                .load("alice")
                .unwrap()
                .expect("the first run's tokens");
            assert_eq!(t.refresh_token.unwrap().expose(), "refresh-1");
        }
        "no-keyring" => {
            let err = DefaultStore::builder(&app)
                .unwrap()
                .keyring_timeout(Duration::from_millis(500))
                .open()
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
            let text = err.to_string();
            for hint in ["OAUTHKIT_ALLOW_PLAINTEXT=1", "encrypt=env:NAME", "500 ms"] {
                assert!(text.contains(hint), "{text}");
            }
            // one sentence, not the keyring's error wrapped in another
            // "keyring unavailable: ..." (what Python's Store.default() shows)
            assert_eq!(text.matches("unavailable:").count(), 1, "{text}");
            // the report C and Python programs get says it once too
            let report = err.report().to_string();
            assert_eq!(report.matches("unavailable:").count(), 1, "{report}");
        }
        "plain-allowed" => {
            let opened = DefaultStore::builder(&app)
                .unwrap()
                .keyring_timeout(Duration::from_millis(500))
                .open()
                .unwrap();
            assert!(
                matches!(opened.protection(), Protection::PlainText { .. }),
                "{opened:?}"
            );
            assert!(!opened.protects_secrets());
            opened.save("alice", &full_token_set(1)).unwrap();
        }
        "encrypted-but-keyring-gone" => {
            let err = DefaultStore::builder(&app)
                .unwrap()
                .allow_plain_text(true)
                .keyring_timeout(Duration::from_millis(500))
                .open()
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Decryption, "{err}");
        }
        "from-spec" => {
            let opened = DefaultStore::open(&app).unwrap();
            assert_eq!(*opened.protection(), Protection::FromSpec);
            assert_eq!(opened.backend(), "memory");
            assert_eq!(opened.location(), "memory:");
        }
        "open-default-saves" => {
            // OAUTHKIT_APP names the application
            assert_eq!(
                oauthkit::unversioned::store::default_app_name().unwrap(),
                app
            );
            let store = oauthkit::store::open_default().unwrap();
            store.save("me", &full_token_set(1)).unwrap();
        }
        "open-default-finds" => {
            let store = oauthkit::store::open_default().unwrap();
            assert!(store.exists("me").unwrap(), "the second run lost the key");
            let t = store.load("me").unwrap().unwrap();
            assert_eq!(t.refresh_token.unwrap().expose(), "refresh-1");
            // another application does not see it
            let other = oauthkit::store::open_default_for(format!("{app}-other")).unwrap();
            assert!(!other.exists("me").unwrap());
            let _ = SealingKeys::delete_keyring_key(&format!("oauthkit:{app}-other"));
        }
        "exe-name" => {
            // without OAUTHKIT_APP: the program's file name
            let name = oauthkit::unversioned::store::default_app_name().unwrap();
            assert!(name.starts_with("store_default"), "{name}");
            assert!(DefaultStore::builder(&name).is_ok());
        }
        other => panic!("unknown scenario {other}"),
    }
    std::fs::write(std::env::var_os(DONE).unwrap(), "done").unwrap();
}

/// A D-Bus address whose socket accepts and never answers.
fn hung_bus(dir: &Path) -> String {
    let socket = dir.join("hung-bus");
    let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming().flatten() {
            held.push(conn);
        }
    });
    format!("unix:path={}", socket.display())
}

fn run(scenario: &str, app: &str, data: &Path, env: &[(&str, &str)]) {
    let done = data.join(format!("done-{scenario}"));
    let _ = std::fs::remove_file(&done);
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.env(SCENARIO, scenario)
        .env(DONE, &done)
        .env("OAK_APP", app)
        .env("XDG_DATA_HOME", data)
        .env_remove("OAUTHKIT_STORE")
        .env_remove("OAUTHKIT_ALLOW_PLAINTEXT")
        .env_remove("OAUTHKIT_APP")
        .stdout(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let status = cmd.status().unwrap();
    assert!(status.success(), "scenario {scenario} failed: {status}");
    assert!(done.exists(), "scenario {scenario} did not run");
}

fn require_secret_service() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "the default-store tests need a Secret Service on a D-Bus session bus; run them \
         through scripts/with-keyring.sh (apt packages dbus, gnome-keyring)"
    );
}

fn app_name() -> String {
    format!("oak-test-{:012x}", rand::random::<u64>() >> 16)
}

struct ForgetKey(String);
impl Drop for ForgetKey {
    fn drop(&mut self) {
        let _ = SealingKeys::delete_keyring_key(&format!("oauthkit:{}", self.0));
    }
}

fn token_text_in(path: &Path) -> bool {
    let text = std::fs::read_to_string(path).unwrap();
    text.contains("refresh-1") || text.contains("access-1")
}

fn each_app_gets_its_own_encrypted_file_and_a_second_run_finds_its_tokens() {
    require_secret_service();
    let data = tempfile::tempdir().unwrap();
    let (a, b) = (app_name(), app_name());
    let _forget = (ForgetKey(a.clone()), ForgetKey(b.clone()));
    run("encrypted", &a, data.path(), &[]);
    run("reads-back", &a, data.path(), &[]);
    run("encrypted", &b, data.path(), &[]);
    let file_a = data.path().join(format!("oauthkit/{a}/tokens.json"));
    let file_b = data.path().join(format!("oauthkit/{b}/tokens.json"));
    assert!(!token_text_in(&file_a) && !token_text_in(&file_b));
    // a's file does not open with b's key
    let keys_b = SealingKeys::from_keyring(&format!("oauthkit:{b}")).unwrap();
    let a_with_b =
        oauthkit::store::EncryptedStore::new(JsonFileStore::open(&file_a).unwrap(), keys_b);
    assert_eq!(
        a_with_b.load("alice").unwrap_err().kind(),
        ErrorKind::Decryption
    );
}

fn no_keyring_is_one_clear_error_and_plain_text_needs_an_explicit_yes() {
    let data = tempfile::tempdir().unwrap();
    let bus = hung_bus(data.path());
    let app = app_name();
    run(
        "no-keyring",
        &app,
        data.path(),
        &[("DBUS_SESSION_BUS_ADDRESS", &bus)],
    );
    assert!(
        !data
            .path()
            .join(format!("oauthkit/{app}/tokens.json"))
            .exists()
            || {
                // opening may create the empty file; it must hold no record
                JsonFileStore::open(data.path().join(format!("oauthkit/{app}/tokens.json")))
                    .unwrap()
                    .list_keys()
                    .unwrap()
                    .is_empty()
            }
    );
    run(
        "plain-allowed",
        &app,
        data.path(),
        &[
            ("DBUS_SESSION_BUS_ADDRESS", &bus),
            ("OAUTHKIT_ALLOW_PLAINTEXT", "1"),
        ],
    );
    let file = data.path().join(format!("oauthkit/{app}/tokens.json"));
    assert!(token_text_in(&file), "plain text was allowed and chosen");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}

fn a_plain_file_is_encrypted_once_a_keyring_answers_and_never_read_back_as_plain() {
    require_secret_service();
    let data = tempfile::tempdir().unwrap();
    let bus = hung_bus(data.path());
    let app = app_name();
    let _forget = ForgetKey(app.clone());
    run(
        "plain-allowed",
        &app,
        data.path(),
        &[
            ("DBUS_SESSION_BUS_ADDRESS", &bus),
            ("OAUTHKIT_ALLOW_PLAINTEXT", "1"),
        ],
    );
    let file = data.path().join(format!("oauthkit/{app}/tokens.json"));
    assert!(token_text_in(&file));
    // the keyring is back: the next open encrypts what is there
    run("reads-back", &app, data.path(), &[]);
    assert!(
        !token_text_in(&file),
        "the plain records were not encrypted"
    );
    // the keyring is gone again: plain-text mode refuses the sealed records
    run(
        "encrypted-but-keyring-gone",
        &app,
        data.path(),
        &[("DBUS_SESSION_BUS_ADDRESS", &bus)],
    );
}

fn a_spec_in_the_environment_replaces_the_default() {
    let data = tempfile::tempdir().unwrap();
    run(
        "from-spec",
        &app_name(),
        data.path(),
        &[("OAUTHKIT_STORE", "memory:")],
    );
}

fn open_default_is_per_application_and_a_second_run_finds_the_signed_in_key() {
    require_secret_service();
    let data = tempfile::tempdir().unwrap();
    let app = app_name();
    let _forget = ForgetKey(app.clone());
    run(
        "open-default-saves",
        &app,
        data.path(),
        &[("OAUTHKIT_APP", &app)],
    );
    run(
        "open-default-finds",
        &app,
        data.path(),
        &[("OAUTHKIT_APP", &app)],
    );
    let own = data.path().join(format!("oauthkit/{app}/tokens.json"));
    assert!(own.exists(), "no {}", own.display());
    assert!(!token_text_in(&own), "the default store is not encrypted");
    assert!(
        !data.path().join("oauthkit/tokens.json").exists(),
        "open_default wrote the old shared file"
    );
    run("exe-name", &app, data.path(), &[]);
}

fn application_names_are_checked() {
    for bad in ["", ".", "..", "a/b", "a b", "ü", &"x".repeat(65), "a\0b"] {
        let err = DefaultStore::builder(bad).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{bad:?}");
        // Opening refuses it the same way, before touching anything.
        let err = DefaultStore::open(bad).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{bad:?}");
    }
    assert!(DefaultStore::builder("my-app_2.0").is_ok());
}
