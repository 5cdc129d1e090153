//! The keyring store and keyring-held encryption keys on the Linux kernel
//! keyring (keyutils; no D-Bus): the conformance suite, proof that the
//! entries are kernel keys (`/proc/keys` lists them), specs and key
//! sources. Runs in the user's persistent kernel keyring (no session
//! keyring needed).
use crate::support;

use oauthkit::store::{KeyringStore, SealingKeys};
use oauthkit::unversioned::store::KeyringBackend;
use oauthkit::unversioned::store::KEYRING_ACCOUNT;
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

fn service() -> String {
    format!("oauthkit-keyutils-{:016x}", rand::random::<u64>())
}

/// Fails (never skips) when this kernel offers no session keyring.
fn require_keyutils() {
    let keys = std::fs::read_to_string("/proc/keys").unwrap_or_else(|e| {
        panic!(
            "the keyutils tests need the kernel key retention service (/proc/keys: {e}); \
             a kernel with CONFIG_KEYS and a container that allows the keyctl system call"
        )
    });
    assert!(!keys.is_empty(), "/proc/keys lists no keyring at all");
}

fn fresh() -> (KeyringStore, Fresh) {
    require_keyutils();
    let s = KeyringStore::new(service())
        .unwrap()
        .using(KeyringBackend::Keyutils);
    (s.clone(), Fresh(s))
}

/// The descriptions of the kernel keys this process can see.
fn kernel_key_descriptions() -> String {
    std::fs::read_to_string("/proc/keys").unwrap()
}

token_store_conformance!(fresh(), |s: &KeyringStore| s.in_namespace("other"));

#[test]
fn entries_are_kernel_keys_not_secret_service_items() {
    let (s, _g) = fresh();
    s.save(
        "alice",
        &TokenSet::bearer("AT-kernel").with_refresh_token("RT"),
    )
    .unwrap();
    // keyring-rs names keyutils keys `keyring-rs:{user}@{service}`
    let description = format!("keyring-rs:alice@{}", s.service());
    assert!(
        kernel_key_descriptions().contains(&description),
        "{description} is not in /proc/keys"
    );
    // a fresh handle reads it back; the platform keyring does not have it
    let again = KeyringStore::new(s.service())
        .unwrap()
        .using(KeyringBackend::Keyutils);
    let t = again.load("alice").unwrap().unwrap();
    assert_eq!(t.access_token.expose(), "AT-kernel");
    assert!(s.delete("alice").unwrap());
    // invalidated at once (the kernel's collector removes it from
    // /proc/keys a moment later)
    assert!(again.load("alice").unwrap().is_none());
    assert!(!s.delete("alice").unwrap());
}

#[test]
fn specs_choose_keyutils() {
    require_keyutils();
    let svc = service();
    let store = oauthkit::store::open(&format!("keyring:{svc}?backend=keyutils")).unwrap();
    store.save("k", &TokenSet::bearer("AT-spec")).unwrap();
    assert!(kernel_key_descriptions().contains(&format!("keyring-rs:k@{svc}")));
    assert!(store.delete("k").unwrap());

    let store =
        oauthkit::store::open(&format!("keyring:{svc}?backend=keyutils&namespace=ns2")).unwrap();
    assert_eq!(store.namespace(), "ns2");

    let Err(e) = oauthkit::store::open(&format!("keyring:{svc}?backend=kwallet")) else {
        panic!("an unknown keyring backend was accepted");
    };
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.to_string().contains("keyutils"), "{e}");
}

#[test]
fn an_encryption_key_in_the_kernel_keyring() {
    require_keyutils();
    let svc = service();
    let dir = tempfile::tempdir().unwrap();
    let spec = format!(
        "file:{}?encrypt=keyutils:{svc}",
        dir.path().join("tokens.json").display()
    );
    let store = oauthkit::store::open(&spec).unwrap();
    store
        .save("alice", &TokenSet::bearer("AT-sealed-by-kernel-key"))
        .unwrap();
    let file = std::fs::read_to_string(dir.path().join("tokens.json")).unwrap();
    assert!(!file.contains("AT-sealed-by-kernel-key"));
    assert!(kernel_key_descriptions().contains(&format!("keyring-rs:{KEYRING_ACCOUNT}@{svc}")));

    // a second open finds the same key
    let again = oauthkit::store::open(&spec).unwrap();
    assert_eq!(
        again.load("alice").unwrap().unwrap().access_token.expose(),
        "AT-sealed-by-kernel-key"
    );
    let keys = SealingKeys::from_keyring_backend(
        &svc,
        KeyringBackend::Keyutils,
        std::time::Duration::from_secs(5),
    )
    .unwrap();
    assert!(keys.source().contains("keyutils"), "{}", keys.source());

    // the key gone (as after a reboot): a typed error naming the key id, not
    // a silent new empty store
    assert!(SealingKeys::delete_keyring_key_on(&svc, KeyringBackend::Keyutils).unwrap());
    let after = oauthkit::store::open(&spec).unwrap();
    let e = after.load("alice").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Decryption, "{e}");
    assert!(e.to_string().contains(keys.current_key_id()), "{e}");
    SealingKeys::delete_keyring_key_on(&svc, KeyringBackend::Keyutils).unwrap();
}

/// Another process of the same user (no shared session keyring needed)
/// finds what this one saved: the child is this test binary running
/// `child_reads_the_entry` (ignored unless asked for).
#[test]
fn another_process_finds_the_entry() {
    let (s, _g) = fresh();
    s.save("shared", &TokenSet::bearer("AT-cross-process"))
        .unwrap();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            &support::test_name(module_path!(), "child_reads_the_entry"),
            "--nocapture",
        ])
        .env("OAK_KEYUTILS_SERVICE", s.service())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("1 passed"), "the child did not run: {text}");
}

#[test]
#[ignore = "run by another_process_finds_the_entry in a child process"]
fn child_reads_the_entry() {
    let service = std::env::var("OAK_KEYUTILS_SERVICE").expect("started by the parent test");
    let s = KeyringStore::new(&service)
        .unwrap()
        .using(KeyringBackend::Keyutils);
    let t = s.load("shared").unwrap().expect("the parent's entry");
    assert_eq!(t.access_token.expose(), "AT-cross-process");
}

/// Whether /proc/keys lists a live (not invalidated, revoked or dead) key
/// with this description.
fn live_kernel_key(description: &str) -> bool {
    kernel_key_descriptions().lines().any(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        fields.len() > 8
            && fields[8].trim_end_matches(':') == description
            && !fields[1].contains(['i', 'R', 'D'])
    })
}

/// Deleting the last entry leaves nothing in the kernel keyring: not even
/// the index entry (`keyring-rs:oauthkit-index@SERVICE`), in any namespace
/// order; an index is written again when an entry comes back.
#[test]
fn deleting_the_last_entry_removes_the_index_too() {
    let (s, _g) = fresh();
    let index = format!("keyring-rs:oauthkit-index@{}", s.service());
    let other = s.in_namespace("other");
    s.save("alice", &TokenSet::bearer("AT-1")).unwrap();
    other.save("bob", &TokenSet::bearer("AT-2")).unwrap();
    assert!(live_kernel_key(&index), "{index} was never written");
    assert!(s.delete("alice").unwrap());
    assert!(live_kernel_key(&index), "bob is still indexed");
    assert!(other.delete("bob").unwrap());
    assert!(!live_kernel_key(&index), "{index} outlived the last entry");
    assert!(s.namespaces().unwrap().is_empty());
    assert!(s.list_keys().unwrap().is_empty());
    // Deleting what is not there changes nothing and writes no index.
    assert!(!s.delete("alice").unwrap());
    assert!(!live_kernel_key(&index));
    s.save("carol", &TokenSet::bearer("AT-3")).unwrap();
    assert!(live_kernel_key(&index));
    assert_eq!(s.list_keys().unwrap(), ["carol"]);
    assert!(s.delete("carol").unwrap());
    assert!(!live_kernel_key(&index));
}
