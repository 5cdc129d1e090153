//! A store spec is configuration that may hold a password (`redis://:pw@h`,
//! `memcache://user:pw@h`). When a spec is refused, the error must not
//! quote the password, however the spec is mangled: a broken scheme
//! position (found by the `store_spec` fuzz target: `redis:/\n/:PW@x://h`)
//! is where a naive message quotes everything before `://`.
//!
//! A local spec (`file:`, `sqlite:`, `keyring:`, `memory:`) whose target
//! looks like a URL or credentials is refused before anything is created:
//! `sqlite:user:PW@redis://h` once made a plain-text database in the
//! current directory named after the password.
//!
//! The current directory is irrelevant to these tests: the process runs in
//! a fresh temporary directory (never the checkout), which must stay empty.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use oauthkit::store;
use oauthkit::ErrorKind;

const PASSWORD: &str = "stars3ePcsw0r9Q";

/// Moves the whole test process into a fresh, empty temporary directory
/// (once) and returns it; every test of this file calls it first.
fn scratch_cwd() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        std::env::set_current_dir(&dir).unwrap();
        dir
    })
}

fn assert_scratch_empty(after: &str) {
    let left: Vec<_> = std::fs::read_dir(scratch_cwd())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        left.is_empty(),
        "{after:?} created {left:?} in the current directory"
    );
}

fn refused(spec: &str) -> oauthkit::Error {
    let e = match store::open(spec) {
        Ok(_) => panic!("{spec:?} was accepted"),
        Err(e) => e,
    };
    let shown = format!("{e} | {e:?} | {}", e.report());
    assert!(!shown.contains(PASSWORD), "{spec:?} -> {shown}");
    assert_scratch_empty(spec);
    e
}

#[test]
fn a_password_in_a_mangled_scheme_is_never_quoted() {
    scratch_cwd();
    let mut specs = Vec::new();
    for scheme in [
        "redis",
        "rediss",
        "redis+cluster",
        "memcache",
        "file",
        "sqlite",
        "keyring",
        "x",
    ] {
        for sep in ["\n", "/", " ", "", "\t", "%2F", "\\"] {
            specs.push(format!(
                "{scheme}:/{sep}/:{PASSWORD}@host://127.0.0.1:6379/0"
            ));
            specs.push(format!(
                "{scheme}:/{sep}/user:{PASSWORD}@redis://127.0.0.1:6379"
            ));
            specs.push(format!("{scheme}{sep}:{PASSWORD}@x://h"));
            specs.push(format!(":{PASSWORD}@{scheme}{sep}://h"));
        }
    }
    specs.push(format!(
        "redis:/\n/:{PASSWORD}@redmemcache://127.0.0.1:11211,1i"
    ));
    specs.push(format!("user:{PASSWORD}@redis://127.0.0.1"));
    specs.push(format!("user%3A{PASSWORD}%40redis%3A%2F%2F127.0.0.1"));
    for spec in &specs {
        if spec.starts_with("redis") || spec.starts_with("memcache") {
            // a network URL may be accepted (its client connects lazily);
            // whatever happens, nothing is written here
            if let Err(e) = store::open(spec) {
                let shown = format!("{e} | {e:?} | {}", e.report());
                assert!(!shown.contains(PASSWORD), "{spec:?} -> {shown}");
            }
            assert_scratch_empty(spec);
        } else {
            refused(spec);
        }
    }
}

/// An absolute folder that must never be created (unique to this process).
fn never_created() -> PathBuf {
    std::env::temp_dir().join(format!("oak-spec-test-{}", std::process::id()))
}

/// Every shape of "a URL or credentials where a path or name belongs".
fn url_shaped_targets() -> Vec<String> {
    let p = PASSWORD;
    let abs = never_created().display().to_string();
    let mut t = vec![
        format!("user:{p}@redis://127.0.0.1:6379"),
        format!("redis://user:{p}@host"),
        format!("{p}@x://h"),
        format!("//:{p}@host://127.0.0.1"),
        format!("//user:{p}@host/tokens.json"),
        format!("//{p}/tokens.json"),
        format!("//{p}@host"),
        format!("user:{p}@host:6379"),
        format!("user:{p}@host/0"),
        format!("{p}@host"),
        format!("{abs}/user:{p}@host"),
        format!("{abs}/{p}@host:6379"),
        format!("{abs}/{p}@host/tokens.json"),
        // percent-encoded, once and twice
        format!("user%3A{p}%40redis%3A%2F%2Fhost"),
        format!("redis%3A%2F%2Fuser%3A{p}%40host"),
        format!("redis%253A%252F%252Fuser%253A{p}%2540host"),
        format!("{p}%40host"),
        format!("%2F%2F{p}%40host%2Ftokens.json"),
        // backslashes
        format!("redis:\\\\user:{p}@host"),
        format!("redis:/\\user:{p}@host"),
        format!("\\\\user:{p}@host\\share\\tokens.json"),
        // blanks, controls and invisible characters inside `://`
        format!("redis:/\n/user:{p}@host"),
        format!("redis:/ /user:{p}@host"),
        format!("redis:/\t/user:{p}@host"),
        format!("redis:/\u{200B}/user:{p}@host"),
        format!("redis:/\u{202E}/user:{p}@host"),
        format!("tokens\r{p}.json"),
        // look-alikes: fullwidth, division slash, small commercial at
        format!("user\u{FF1A}{p}\u{FF20}redis\u{FF1A}\u{FF0F}\u{FF0F}host"),
        format!("redis:\u{2215}\u{2215}user:{p}\u{FE6B}host"),
        // query strings: settings that are not namespace= or encrypt=
        format!("{abs}/t.json?password={p}"),
        format!("t.json?user=me&password={p}"),
        format!("t.json%3Fpassword%3D{p}"),
    ];
    // with the settings a spec may carry after the target
    let with_settings: Vec<String> = t
        .iter()
        .flat_map(|x| [format!("{x}?namespace=ns"), format!("{x}&namespace=ns")])
        .collect();
    t.extend(with_settings);
    t
}

#[test]
fn a_url_shaped_local_spec_creates_nothing_and_quotes_nothing() {
    scratch_cwd();
    for scheme in ["file", "sqlite", "keyring", "memory"] {
        for target in url_shaped_targets() {
            let spec = format!("{scheme}:{target}");
            let e = refused(&spec);
            assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{spec:?}: {e}");
            assert!(
                std::fs::metadata(never_created()).is_err(),
                "{spec:?} created {}",
                never_created().display()
            );
        }
    }
}

#[test]
fn the_four_reported_specs_are_refused() {
    scratch_cwd();
    for spec in [
        format!("sqlite:user:{PASSWORD}@redis://127.0.0.1:6379"),
        format!("file:redis://user:{PASSWORD}@host"),
        format!("sqlite:{PASSWORD}@x://h"),
        format!("file://:{PASSWORD}@host://127.0.0.1:6379/0"),
    ] {
        let e = refused(&spec);
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(e.to_string().contains("URL"), "{e}");
    }
}

#[test]
fn diagnose_refuses_the_same_specs() {
    scratch_cwd();
    for target in url_shaped_targets() {
        for scheme in ["file", "sqlite", "keyring"] {
            let spec = format!("{scheme}:{target}");
            let e = oauthkit::unversioned::store::diagnose(&spec).expect_err(&spec);
            assert!(!format!("{e} {e:?}").contains(PASSWORD), "{spec:?}: {e}");
            assert_scratch_empty(&spec);
        }
    }
}

#[test]
fn settings_never_quote_what_they_refuse() {
    scratch_cwd();
    for spec in [
        format!("memory:?encrypt=user:{PASSWORD}@redis://h"),
        format!("memory:?encrypt={PASSWORD}"),
        format!("memory:?encrypt=env:user:{PASSWORD}@redis://h"),
        format!("memory:?encrypt=passphrase-env:{PASSWORD}@h"),
        format!("memory:?encrypt=file:user:{PASSWORD}@redis://h"),
        format!("memory:?encrypt=keyring:user:{PASSWORD}@redis://h"),
        format!("keyring:svc?backend={PASSWORD}@x"),
        format!("user%3A{PASSWORD}%40redis"),
        PASSWORD.to_owned(),
    ] {
        refused(&spec);
    }
}

#[test]
fn real_paths_and_names_still_open() {
    scratch_cwd();
    let dir = tempfile::tempdir().unwrap();
    let at = dir.path();
    for spec in [
        format!("file:{}", dir.path().join("a.json").display()),
        format!("file://{}", dir.path().join("b.json").display()),
        format!("file:{}?namespace=ns", at.join("c@work.json").display()),
        format!("sqlite:{}", at.join("d@work.db").display()),
        "memory:".to_owned(),
        "memory:?namespace=ns".to_owned(),
    ] {
        let s = store::open(&spec).unwrap_or_else(|e| panic!("{spec}: {e}"));
        s.save("k", &oauthkit::TokenSet::bearer("at-1")).unwrap();
    }
    assert!(dir.path().join("a.json").exists());
    assert!(dir.path().join("b.json").exists());
    assert!(at.join("c@work.json").exists());
    assert!(at.join("d@work.db").exists());
    assert_scratch_empty("real paths");
}

#[test]
fn a_plain_unknown_scheme_is_still_named() {
    scratch_cwd();
    assert!(refused("nosuchstore:/tmp/x")
        .to_string()
        .contains("'nosuchstore'"));
    assert!(refused("redis+sideways://127.0.0.1")
        .to_string()
        .contains("redis+sideways"));
}

#[test]
fn a_network_spec_is_shown_without_its_password() {
    let shown = oauthkit::unversioned::store::redacted_spec(&format!(
        "redis://app:{PASSWORD}@cache:6379/0"
    ));
    assert!(!shown.contains(PASSWORD), "{shown}");
    assert!(shown.contains("cache:6379"), "{shown}");
    let shown =
        oauthkit::unversioned::store::redacted_spec(&format!("sqlite:user:{PASSWORD}@redis:/x"));
    assert!(!shown.contains(PASSWORD), "{shown}");
}
