//! Four processes sharing one store (JSON file, and SQLite with the
//! `sqlite` feature) ask for an access token whose refresh is due, against
//! the dev provider rotating refresh tokens: exactly one refresh request
//! reaches the provider, and every process ends up with the same token.
//!
//! This binary is its own child: `child SPEC ISSUER CLIENT_ID KEY GO_FILE`
//! plays one process. Without arguments it runs the scenario for each
//! store and exits non-zero on any failure.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use oauthkit::dev_provider::DevProviderOptions;
use oauthkit::session::SessionManager;
use oauthkit::{store, TokenStore};
use support::dev::{client_for, dev_pair, expire, sign_in};

const PROCESSES: usize = 4;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("child") {
        child(&args[1..]);
        return;
    }
    // cargo test passes harness flags (e.g. --nocapture); ignore them.
    let dir = tempfile::tempdir().unwrap();
    let specs = support::specs::local_store_specs(dir.path());
    let mut failed = 0;
    for (name, spec) in &specs {
        match std::panic::catch_unwind(|| one_refresh_across_processes(spec, dir.path())) {
            Ok(()) => println!(
                "test {name}: {PROCESSES} processes, rotating refresh token -> one refresh ... ok"
            ),
            Err(_) => {
                println!("test {name}: {PROCESSES} processes, rotating refresh token -> one refresh ... FAILED");
                failed += 1;
            }
        }
    }
    println!(
        "flow_session_processes: {} passed, {failed} failed",
        specs.len() - failed
    );
    if failed > 0 {
        std::process::exit(1);
    }
}

fn one_refresh_across_processes(spec: &str, dir: &Path) {
    let (idp, provider) = dev_pair(
        DevProviderOptions::default()
            .rotate_refresh_tokens(true)
            .token_delay(Duration::from_millis(200)),
    );
    let shared: Arc<dyn TokenStore> = store::open(spec).unwrap();
    let first = sign_in(&provider, shared.clone(), "alice");
    expire(&*shared, "alice");
    let go = dir.join(format!("go-{}", spec.len()));
    let _ = std::fs::remove_file(&go);
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..PROCESSES)
        .map(|_| {
            Command::new(&exe)
                .args(["child", spec, idp.issuer(), idp.client_id(), "alice"])
                .arg(&go)
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .unwrap()
        })
        .collect();
    // Let every child reach the starting line, then release them together.
    std::thread::sleep(Duration::from_millis(300));
    std::fs::write(&go, b"go").unwrap();
    let outputs: Vec<String> = children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().unwrap();
            assert!(out.status.success(), "a child failed: {:?}", out.status);
            String::from_utf8(out.stdout).unwrap().trim().to_string()
        })
        .collect();
    assert_eq!(
        idp.token_requests("refresh_token"),
        1,
        "refresh requests at the provider"
    );
    assert!(
        outputs.iter().all(|o| o == &outputs[0] && !o.is_empty()),
        "{outputs:?}"
    );
    let stored = shared.load("alice").unwrap().unwrap();
    assert_eq!(fingerprint(stored.access_token.expose()), outputs[0]);
    assert_ne!(
        stored.refresh_token, first.refresh_token,
        "rotated token saved"
    );
    assert!(idp.is_token_active(stored.refresh_token.unwrap().expose()));
}

/// Prints a fingerprint of the access token it got (not the token).
fn child(args: &[String]) {
    let [spec, issuer, client_id, key, go] = args else {
        panic!("usage: child SPEC ISSUER CLIENT_ID KEY GO_FILE");
    };
    let store: Arc<dyn TokenStore> = store::open(spec).unwrap();
    let sessions = SessionManager::new(client_for(issuer, client_id), store);
    let until = Instant::now() + Duration::from_secs(20);
    while !Path::new(go).exists() {
        assert!(Instant::now() < until, "never released");
        std::thread::sleep(Duration::from_millis(2));
    }
    let token = sessions.access_token(key).unwrap();
    println!("{}", fingerprint(token.expose()));
}

fn fingerprint(token: &str) -> String {
    use sha2::Digest;
    let d = sha2::Sha256::digest(token.as_bytes());
    d[..8].iter().map(|b| format!("{b:02x}")).collect()
}
