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
//! `cargo bench --bench flow --features dev-provider`

use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use oauthkit::dev_provider::{DevProvider, DevProviderOptions, HeadlessBrowser};
use oauthkit::flow::{AuthFlowManager, WindowConfig};
use oauthkit::provider::{OidcConfig, OidcProvider, Provider};
use oauthkit::store::MemoryStore;

fn setup() -> (DevProvider, Arc<dyn Provider>) {
    let idp = DevProvider::start(DevProviderOptions::default().auto_approve(true)).unwrap();
    let p: Arc<dyn Provider> = Arc::new(
        OidcProvider::new(OidcConfig::new(idp.issuer(), idp.client_id()).with_scopes([
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
        let flow = AuthFlowManager::new(provider.clone(), None, None);
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let ready = Mutex::new(None);
                let start = Instant::now();
                let open = |url: &str, _: &WindowConfig| -> oauthkit::Result<()> {
                    let at = start.elapsed();
                    TcpStream::connect(("127.0.0.1", port_of(url))).expect("listening");
                    *ready.lock().unwrap() = Some(at);
                    flow.cancel();
                    Ok(())
                };
                let _ = flow.run_native(Some(&open), None, None);
                total += ready.lock().unwrap().expect("opener ran");
            }
            total
        })
    });
    g.sample_size(20);
    g.bench_function("full_sign_in", |b| {
        let flow = AuthFlowManager::new(provider.clone(), Some(Arc::new(MemoryStore::new())), None);
        let open = |url: &str, _: &WindowConfig| -> oauthkit::Result<()> {
            let url = url.to_string();
            std::thread::spawn(move || HeadlessBrowser::approve(&url).unwrap());
            Ok(())
        };
        b.iter(|| flow.run_native(Some(&open), None, None).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
