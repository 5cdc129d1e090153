//! Encryption keys kept in the OS keyring: generated once, shared, and a
//! keyring that does not answer is a clear error, never a hang or a
//! plain-text fallback. Runs against a real Secret Service (gnome-keyring,
//! started by scripts/with-keyring.sh).
#![cfg(feature = "keyring")]
use crate::support;

use std::time::{Duration, Instant};

use oauthkit::store::MemoryStore;
use oauthkit::store::{EncryptedStore, SealingKeys};
use oauthkit::{ErrorKind, TokenStore};
use support::conformance::full_token_set;

fn require_secret_service() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "the keyring tests need a Secret Service on a D-Bus session bus; run them through \
         scripts/with-keyring.sh (apt packages dbus, gnome-keyring)"
    );
}

/// Deletes the test's keyring entry when dropped.
struct Cleanup(String);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = SealingKeys::delete_keyring_key(&self.0);
    }
}

#[test]
fn the_key_is_generated_once_and_shared() {
    needs!(SecretService);
    if std::env::var_os("OAK_TEST_HUNG_BUS").is_some() {
        return;
    }
    require_secret_service();
    let service = format!("oauthkit-key-test-{:016x}", rand::random::<u64>());
    let _cleanup = Cleanup(service.clone());
    // several threads asking at once for a key that does not exist yet
    // agree on one key
    let ids: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..6)
            .map(|_| s.spawn(|| SealingKeys::from_keyring(&service).unwrap()))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap().current_key_id().to_owned())
            .collect()
    });
    assert!(ids.windows(2).all(|w| w[0] == w[1]), "{ids:?}");

    let backend = MemoryStore::new();
    let first = SealingKeys::from_keyring(&service).unwrap();
    assert!(first.source().contains(&service));
    EncryptedStore::new(backend.clone(), first)
        .save("k", &full_token_set(0))
        .unwrap();
    // a later process finds the same key in the keyring
    let again = SealingKeys::from_keyring(&service).unwrap();
    assert_eq!(again.current_key_id(), ids[0]);
    let loaded = EncryptedStore::new(backend, again)
        .load("k")
        .unwrap()
        .unwrap();
    assert_eq!(
        loaded.access_token.expose(),
        full_token_set(0).access_token.expose()
    );
}

#[test]
fn a_store_spec_can_keep_its_key_in_the_keyring() {
    needs!(SecretService);
    if std::env::var_os("OAK_TEST_HUNG_BUS").is_some() {
        return;
    }
    require_secret_service();
    let service = format!("oauthkit-key-test-{:016x}", rand::random::<u64>());
    let _cleanup = Cleanup(service.clone());
    let dir = tempfile::tempdir().unwrap();
    let spec = format!(
        "file:{}?encrypt=keyring:{service}",
        dir.path().join("t.json").display()
    );
    let store = oauthkit::store::open(&spec).unwrap();
    store.save("k", &full_token_set(3)).unwrap();
    let reopened = oauthkit::store::open(&spec).unwrap();
    assert!(reopened.load("k").unwrap().is_some());
    let raw = std::fs::read_to_string(dir.path().join("t.json")).unwrap();
    assert!(!raw.contains("refresh-3"));
}

/// A D-Bus address whose socket accepts connections and never answers:
/// the keyring call must give up within its limit with a clear error.
#[test]
fn a_keyring_that_does_not_answer_is_a_clear_error_not_a_hang() {
    needs!(SecretService);
    if std::env::var_os("OAK_TEST_HUNG_BUS").is_some() {
        let started = Instant::now();
        let err = SealingKeys::from_keyring_with_timeout(
            "oauthkit-hung-bus-test",
            Duration::from_millis(700),
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
        assert!(err.to_string().contains("700 ms"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(10));
        // tell the parent the check really ran
        std::fs::write(std::env::var_os("OAK_TEST_HUNG_BUS").unwrap(), "checked").unwrap();
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("bus");
    let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming().flatten() {
            held.push(conn); // accepted, never answered
        }
    });
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            &support::test_name(
                module_path!(),
                "a_keyring_that_does_not_answer_is_a_clear_error_not_a_hang",
            ),
            "--nocapture",
        ])
        .env("OAK_TEST_HUNG_BUS", dir.path().join("checked"))
        .stdout(std::process::Stdio::null())
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            format!("unix:path={}", socket.display()),
        )
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "the child saw no clear error: {status}");
            assert!(
                dir.path().join("checked").exists(),
                "the child process did not run the check"
            );
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the keyring call hung past its limit");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn deleting_the_key_is_reported() {
    needs!(SecretService);
    if std::env::var_os("OAK_TEST_HUNG_BUS").is_some() {
        return;
    }
    require_secret_service();
    let service = format!("oauthkit-key-test-{:016x}", rand::random::<u64>());
    assert!(!SealingKeys::delete_keyring_key(&service).unwrap());
    let first = SealingKeys::from_keyring(&service).unwrap();
    assert!(SealingKeys::delete_keyring_key(&service).unwrap());
    let second = SealingKeys::from_keyring(&service).unwrap();
    assert_ne!(first.current_key_id(), second.current_key_id());
    assert!(SealingKeys::delete_keyring_key(&service).unwrap());
}
