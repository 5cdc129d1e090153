//! `store::diagnose`: backend, key source, keyring answers (a silent
//! keyring within the time limit), file modes, and never a key value.
use oauthkit::store::SealingKeys;
use oauthkit::unversioned::store::{diagnose, Encryption};

#[cfg(unix)]
fn chmod(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn file_stores_report_encryption_key_sources_and_modes() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens.json");
    let key = SealingKeys::generate_key_text();
    std::env::set_var("OAK_DIAG_KEY_SET", key.expose());

    let plain = diagnose(&format!("file:{}", tokens.display())).unwrap();
    assert_eq!(plain.backend, "file");
    assert_eq!(plain.encryption, Encryption::Off);
    assert!(
        plain.problems.iter().any(|p| p.contains("plain text")),
        "{plain}"
    );

    let d = diagnose(&format!(
        "file:{}?encrypt=env:OAK_DIAG_KEY_SET",
        tokens.display()
    ))
    .unwrap();
    assert_eq!(
        d.encryption,
        Encryption::On {
            key_source: "environment variable OAK_DIAG_KEY_SET".into()
        }
    );
    assert!(d.problems.is_empty(), "{d}");
    for text in [d.to_string(), format!("{d:?}")] {
        assert!(!text.contains(key.expose()), "the key leaked: {text}");
    }

    let unset = diagnose(&format!(
        "file:{}?encrypt=env:OAK_DIAG_KEY_UNSET&namespace=n1",
        tokens.display()
    ))
    .unwrap();
    assert_eq!(unset.namespace, "n1");
    assert!(
        unset
            .problems
            .iter()
            .any(|p| p.contains("OAK_DIAG_KEY_UNSET is not set")),
        "{unset}"
    );

    #[cfg(unix)]
    {
        std::fs::write(&tokens, "{}").unwrap();
        chmod(&tokens, 0o644);
        let loose = diagnose(&format!("file:{}", tokens.display())).unwrap();
        assert_eq!(loose.files[0].mode, Some(0o644));
        assert!(!loose.files[0].is_private());
        assert!(
            loose.problems.iter().any(|p| p.contains("chmod 600")),
            "{loose}"
        );

        let key_file = dir.path().join("key");
        std::fs::write(&key_file, key.expose()).unwrap();
        chmod(&key_file, 0o640);
        let d = diagnose(&format!(
            "sqlite:{}?encrypt=file:{}",
            dir.path().join("t.db").display(),
            key_file.display()
        ))
        .unwrap();
        assert_eq!(d.backend, "sqlite");
        let kf = d.files.iter().find(|f| f.role == "key file").unwrap();
        assert_eq!(kf.mode, Some(0o640));
        assert!(d.problems.iter().any(|p| p.contains("key file")), "{d}");
        assert!(!d.to_string().contains(key.expose()));

        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink(&tokens, &link).unwrap();
        let d = diagnose(&format!("file:{}", link.display())).unwrap();
        assert!(d.files[0].symlink);
        assert!(
            d.problems.iter().any(|p| p.contains("symbolic link")),
            "{d}"
        );
    }
}

#[test]
fn network_urls_are_shown_without_their_password() {
    let d = diagnose("redis://:hunter2-secret@127.0.0.1:6379/0?encrypt=env:K").unwrap();
    assert_eq!(d.backend, "redis");
    assert!(!d.location.contains("hunter2-secret"), "{}", d.location);
    assert!(!d.to_string().contains("hunter2-secret"));
    assert!(diagnose("floppy:/a").is_err());
}

/// A Secret Service that accepts the connection and never answers: the
/// probe gives up within its time limit and says so (no hang).
#[cfg(all(unix, feature = "keyring"))]
#[test]
fn a_silent_keyring_is_reported_within_the_time_limit() {
    needs!(SecretService);
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("bus");
    let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let _held = std::thread::spawn(move || {
        let mut conns = Vec::new();
        for c in listener.incoming().flatten() {
            conns.push(c); // accepted, never answered
        }
    });
    std::env::set_var(
        "DBUS_SESSION_BUS_ADDRESS",
        format!("unix:path={}", socket.display()),
    );
    use oauthkit::unversioned::store::diagnose_with_timeout;
    use std::time::{Duration, Instant};
    let started = Instant::now();
    let d = diagnose_with_timeout(
        &format!(
            "file:{}?encrypt=keyring:oak-diag-silent",
            dir.path().join("t.json").display()
        ),
        Duration::from_millis(300),
    )
    .unwrap();
    assert!(started.elapsed() < Duration::from_secs(5), "it hung");
    let k = &d.keyrings[0];
    let why = k.answer.as_ref().unwrap_err();
    assert!(why.contains("did not answer within 300 ms"), "{why}");
    assert!(
        d.problems.iter().any(|p| p.contains("did not answer")),
        "{d}"
    );
    assert!(d.to_string().contains("NO ANSWER"), "{d}");
}

/// The kernel keyring answers without any D-Bus.
#[cfg(all(target_os = "linux", feature = "keyring"))]
#[test]
fn the_kernel_keyring_answers() {
    let service = format!("oak-diag-{:016x}", rand::random::<u64>());
    let d = diagnose(&format!("keyring:{service}?backend=keyutils")).unwrap();
    assert_eq!(d.backend, "keyring");
    assert_eq!(d.keyrings[0].answer, Ok(false), "{d}");
    assert!(d.location.contains("kernel"), "{}", d.location);

    let dir = tempfile::tempdir().unwrap();
    let spec = format!(
        "file:{}?encrypt=keyutils:{service}",
        dir.path().join("t.json").display()
    );
    oauthkit::store::open(&spec)
        .unwrap()
        .save("k", &oauthkit::TokenSet::bearer("at"))
        .unwrap();
    let d = diagnose(&spec).unwrap();
    assert_eq!(d.keyrings[0].answer, Ok(true), "{d}");
    assert!(
        matches!(&d.encryption, Encryption::On { key_source } if key_source.contains("keyutils")),
        "{d}"
    );
    SealingKeys::delete_keyring_key_on(
        &service,
        oauthkit::unversioned::store::KeyringBackend::Keyutils,
    )
    .unwrap();
}
