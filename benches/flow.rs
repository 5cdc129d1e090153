//! Flow timings against the dev provider:
//!
//! - `native/start_to_listening`: from `run_native` being called to the
//!   callback server accepting connections (measured when the flow hands
//!   the authorization URL to the opener, which it does only after the
//!   listener is up; the opener checks with a real TCP connect);
//! - `native/full_sign_in`: a whole sign-in (loopback server, authorize
//!   with auto-approve, callback, code exchange with PKCE, ID-token
//!   validation, userinfo, store write).
//!
//! - `deploy/login`: deploy mode's `GET /auth/login` (state, nonce, PKCE,
//!   authorization URL, sealing the login cookie), what a login flood
//!   costs the server per request;
//! - `deploy/seal_and_open`: sealing a pending sign-in into a cookie and
//!   opening it again at the callback (AES-256-GCM-SIV, JSON, used-state
//!   memory).
//!
//! `cargo bench --bench flow --features dev-provider`

use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use oauthkit::flow::{AuthFlowManager, NativeOptions};
use oauthkit::provider::{OAuthProvider, OidcConfig, Provider};
use oauthkit::store::MemoryStore;
use oauthkit::unversioned::dev_provider::{DevProvider, DevProviderOptions, HeadlessBrowser};
use oauthkit::unversioned::web::PendingSignIns;
use oauthkit::web::{http, DeployHandler, DeployOptions};

fn setup() -> (DevProvider, Arc<dyn Provider>) {
    let idp = DevProvider::start(DevProviderOptions::default().auto_approve(true)).unwrap();
    let p: Arc<dyn Provider> = Arc::new(
        OAuthProvider::oidc(OidcConfig::new(idp.issuer(), idp.client_id()).scopes([
            "openid",
            "email",
            "offline_access",
        ]))
        .unwrap(),
    );
    (idp, p)
}

fn port_of(url: &str) -> u16 {
    let redirect = url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .unwrap()
        .1
        .into_owned();
    url::Url::parse(&redirect).unwrap().port().unwrap()
}

fn bench(c: &mut Criterion) {
    let (_idp, provider) = setup();
    let mut g = c.benchmark_group("native");
    g.sample_size(50);
    g.bench_function("start_to_listening", |b| {
        let flow = AuthFlowManager::new(provider.clone());
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let ready = Mutex::new(None);
                let start = Instant::now();
                let open = |url: &str| -> oauthkit::Result<()> {
                    let at = start.elapsed();
                    TcpStream::connect(("127.0.0.1", port_of(url))).expect("listening");
                    *ready.lock().unwrap() = Some(at);
                    flow.cancel();
                    Ok(())
                };
                let _ = flow.run_native(NativeOptions::new().open_browser(open));
                total += ready.lock().unwrap().expect("opener ran");
            }
            total
        })
    });
    g.sample_size(20);
    g.bench_function("full_sign_in", |b| {
        let flow = AuthFlowManager::builder(provider.clone())
            .store(Arc::new(MemoryStore::new()))
            .build();
        let open = |url: &str| -> oauthkit::Result<()> {
            let url = url.to_string();
            std::thread::spawn(move || HeadlessBrowser::approve(&url).unwrap());
            Ok(())
        };
        b.iter(|| {
            flow.run_native(NativeOptions::new().open_browser(open))
                .unwrap()
        })
    });
    g.finish();
}

fn bench_deploy(c: &mut Criterion) {
    let (_idp, provider) = setup();
    let mut g = c.benchmark_group("deploy");
    let handler = DeployHandler::new(
        provider,
        Arc::new(MemoryStore::new()),
        DeployOptions::new("https://app.example"),
    );
    let login = http::Request::get("/auth/login").body(()).unwrap();
    g.bench_function("login", |b| {
        b.iter(|| assert_eq!(handler.handle(&login).status(), 302))
    });
    let pending = PendingSignIns::new(
        rand::random(),
        "https://app.example",
        Duration::from_secs(600),
    );
    let verifier = "v".repeat(43);
    let nonce = "n".repeat(43);
    g.bench_function("seal_and_open", |b| {
        b.iter(|| {
            let state = oauthkit::unversioned::random::state();
            let cookie = pending.begin(&state, Some(&verifier), &nonce);
            pending.take(&state, Some(&cookie)).unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, bench, bench_deploy);
criterion_main!(benches);
