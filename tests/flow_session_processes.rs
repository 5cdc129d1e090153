//! Four processes sharing one store (JSON file, and SQLite with the
//! `sqlite` feature) ask for an access token whose refresh is due, against
//! the dev provider rotating refresh tokens: exactly one refresh request
//! reaches the provider, and every process ends up with the same token.
//!
//! This binary is its own child: `child SPEC ISSUER CLIENT_ID KEY GO_FILE`
//! plays one process. Without arguments it runs the scenario for each
//! store and exits non-zero on any failure.

extern crate oauthkit_test_support as support;
use support::deploy_instance;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use oauthkit::session::SessionManager;
use oauthkit::unversioned::dev_provider::DevProviderOptions;
use oauthkit::{store, TokenStore};
use support::dev::{client_for, dev_pair, expire, sign_in};

const PROCESSES: usize = 4;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("child") {
        child(&args[1..]);
        return;
    }
    if args.first().map(String::as_str) == Some("instance") {
        deploy_instance::serve(&args[1..]);
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
    #[cfg_attr(not(feature = "redis"), allow(unused_mut))]
    let mut passed = specs.len() - failed;
    #[cfg(feature = "redis")]
    for (what, kill) in killed_mid_callback::SCENARIOS {
        match std::panic::catch_unwind(|| killed_mid_callback::run(*kill)) {
            Ok(()) => {
                println!("test deploy instance killed mid-callback {what} ... ok");
                passed += 1;
            }
            Err(_) => {
                println!("test deploy instance killed mid-callback {what} ... FAILED");
                failed += 1;
            }
        }
    }
    println!("flow_session_processes: {passed} passed, {failed} failed");
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

/// Issue 26 §3: a deploy-mode instance (a process of its own, on Redis)
/// killed with SIGKILL after it received the callback and before it
/// answered: during the code exchange (a slow token endpoint), before it
/// stored the user's tokens, and after (before the session record). The
/// user signs in again on another instance; the store then holds the
/// user's tokens (the retry's, live at the provider), one session record
/// and the used-state records of the two callbacks, nothing else.
#[cfg(feature = "redis")]
mod killed_mid_callback {
    use super::deploy_instance::{Instance, Pause};
    use super::support;
    use oauthkit::unversioned::dev_provider::{DevProviderOptions, HeadlessBrowser, PageResponse};
    use oauthkit::{store, TokenStore};
    use std::time::{Duration, Instant};

    /// Where the instance is killed.
    #[derive(Clone, Copy)]
    pub enum Kill {
        DuringExchange,
        At(Pause),
    }

    pub const SCENARIOS: &[(&str, Kill)] = &[
        ("during the code exchange", Kill::DuringExchange),
        ("before storing the tokens", Kill::At(Pause::BeforeSave)),
        (
            "after storing the tokens, before the session",
            Kill::At(Pause::AfterSave),
        ),
    ];

    const PUBLIC: &str = "http://127.0.0.1:9";

    fn cookie_pair(r: &PageResponse, name: &str) -> String {
        r.headers_named("set-cookie")
            .iter()
            .map(|v| v.split(';').next().unwrap().to_string())
            .find(|c| c.starts_with(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name} cookie: {}", r.body))
    }

    /// `/auth/login` on `at`, approved at the provider: the login cookie
    /// and the callback URL sent to `at`.
    fn login(at: &Instance) -> (String, String) {
        let login = HeadlessBrowser::get(&format!("{}/auth/login", at.base)).unwrap();
        assert_eq!(login.status, 302, "{}", login.body);
        let cookie = cookie_pair(&login, "oauthkit_login");
        let at_idp = HeadlessBrowser::get(login.header("location").unwrap()).unwrap();
        assert_eq!(at_idp.status, 302, "{}", at_idp.body);
        let back = at_idp.header("location").unwrap();
        let rest = back
            .strip_prefix(PUBLIC)
            .unwrap_or_else(|| panic!("{back}"));
        (cookie, format!("{}{rest}", at.base))
    }

    pub fn run(kill: Kill) {
        let delay = match kill {
            Kill::DuringExchange => Duration::from_millis(1500),
            Kill::At(_) => Duration::ZERO,
        };
        let idp = oauthkit::unversioned::dev_provider::DevProvider::start(
            DevProviderOptions::default()
                .auto_approve(true)
                .token_delay(delay),
        )
        .unwrap();
        let redis = support::servers::RedisServer::start();
        let spec = redis.url();
        let exe = std::env::current_exe().unwrap();
        let key: [u8; 32] = std::array::from_fn(|i| (i as u8).wrapping_mul(37) ^ 0x5a);
        let pause = match kill {
            Kill::DuringExchange => Pause::Never,
            Kill::At(p) => p,
        };
        let mut a = Instance::spawn(
            &exe,
            &spec,
            idp.issuer(),
            idp.client_id(),
            PUBLIC,
            &key,
            pause,
        );
        let b = Instance::spawn(
            &exe,
            &spec,
            idp.issuer(),
            idp.client_id(),
            PUBLIC,
            &key,
            Pause::Never,
        );
        let (cookie, url) = login(&a);
        let pending = std::thread::spawn(move || {
            HeadlessBrowser::send("GET", &url, &[("Cookie", &cookie)], None)
        });
        match kill {
            Kill::DuringExchange => {
                let until = Instant::now() + Duration::from_secs(20);
                while idp.token_requests("authorization_code") == 0 {
                    assert!(Instant::now() < until, "the exchange never started");
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
            Kill::At(_) => assert_eq!(a.next_line(), "PAUSED"),
        }
        a.kill();
        let answer = pending.join().unwrap();
        assert!(
            answer.is_err(),
            "the killed instance answered: {:?}",
            answer.map(|r| r.status)
        );
        let user = idp.user().sub.clone();
        let shared = store::open(&spec).unwrap();
        // The user signs in again, on B.
        let (cookie, url) = login(&b);
        let done = HeadlessBrowser::send("GET", &url, &[("Cookie", &cookie)], None).unwrap();
        assert_eq!(done.status, 302, "{}", done.body);
        let session = cookie_pair(&done, "oauthkit_session");
        let st = HeadlessBrowser::send(
            "GET",
            &format!("{}/auth/status", b.base),
            &[("Cookie", &session)],
            None,
        )
        .unwrap();
        assert!(st.body.contains(r#""authenticated":true"#), "{}", st.body);
        assert_eq!(idp.token_requests("authorization_code"), 2);
        // Nothing half-written: the user's tokens (the retry's, live), one
        // session, the two used callbacks.
        let mut keys = shared.list_keys().unwrap();
        keys.sort();
        let sessions = keys
            .iter()
            .filter(|k| k.starts_with("oauthkit-deploy-session:"))
            .count();
        let used = keys
            .iter()
            .filter(|k| k.starts_with("oauthkit-deploy-used:"))
            .count();
        assert_eq!((sessions, used, keys.len()), (1, 2, 4), "{keys:?}");
        assert!(keys.contains(&user), "{keys:?}");
        let stored = shared.load(&user).unwrap().unwrap();
        assert!(idp.is_token_active(stored.access_token.expose()));
        assert!(idp.is_token_active(stored.refresh_token.unwrap().expose()));
    }
}
