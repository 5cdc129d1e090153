//! The native flow end to end against the dev provider: real loopback
//! server, real code exchange with PKCE, real ID-token validation by the
//! generic OIDC provider; hostile callbacks, timeout and cancel.

use crate::support;

use oauthkit::provider::{CodeExchange, TokenRefresh, TokenRevocation, UserinfoRequest};
use std::io::Read;
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use oauthkit::flow::{AuthFlowManager, NativeOptions};
use oauthkit::store::MemoryStore;
use oauthkit::unversioned::dev_provider::{DevProviderOptions, HeadlessBrowser};
use oauthkit::unversioned::flow::AuthFlowState;
use oauthkit::unversioned::flow::PasteInput;
use oauthkit::{ErrorKind, Result, TokenStore};
use support::dev::dev_pair;
use support::flow_http::{addr_of, raw_get, refuses_connections, slow_client};

fn memory() -> Arc<MemoryStore> {
    Arc::new(MemoryStore::new())
}

/// An opener that hands the URL to a thread running `act`.
fn opener(act: impl Fn(String) + Send + Sync + Clone + 'static) -> impl Fn(&str) -> Result<()> {
    move |url: &str| {
        let (url, act) = (url.to_string(), act.clone());
        std::thread::spawn(move || act(url));
        Ok(())
    }
}

fn redirect_uri_of(authorize_url: &str) -> String {
    url::Url::parse(authorize_url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .unwrap()
        .1
        .into_owned()
}

#[test]
fn signs_in_exchanges_once_validates_and_stores_under_sub() {
    let (idp, provider) = dev_pair(DevProviderOptions::default());
    let store = memory();
    let flow = AuthFlowManager::builder(provider.clone())
        .store(store.clone())
        .build();
    assert_eq!(flow.state(), AuthFlowState::Idle);
    let (tx, rx) = mpsc::channel();
    let open = opener(move |url| {
        tx.send(url.clone()).unwrap();
        let out = HeadlessBrowser::approve(&url).unwrap();
        assert_eq!(out.callback_status, 200);
    });
    let closed = std::cell::Cell::new(false);
    let result = flow
        .run_native(
            NativeOptions::new()
                .open_browser(&open)
                .close_window(|| closed.set(true)),
        )
        .unwrap();
    assert!(closed.get());
    assert_eq!(flow.state(), AuthFlowState::Completed);
    let url = rx.recv().unwrap();
    for p in [
        "code_challenge=",
        "code_challenge_method=S256",
        "nonce=",
        "state=",
    ] {
        assert!(url.contains(p), "{p} missing from {url}");
    }
    assert!(redirect_uri_of(&url).starts_with("http://127.0.0.1:"));
    assert_eq!(result.key, idp.user().sub);
    assert_eq!(
        result.tokens.identity_id.as_deref(),
        Some(idp.user().sub.as_str())
    );
    assert!(result.tokens.id_token.is_some() && result.tokens.refresh_token.is_some());
    assert_eq!(
        result.user_info.as_ref().unwrap().email.as_deref(),
        Some(&*idp.user().email)
    );
    let stored = store.load(&result.key).unwrap().unwrap();
    assert_eq!(stored.access_token, result.tokens.access_token);
    assert_eq!(idp.token_requests("authorization_code"), 1);
    assert!(provider
        .get_userinfo(&UserinfoRequest::new(stored.access_token.expose()))
        .is_ok());
    // The listener is gone: a second callback after success is refused.
    assert!(refuses_connections(addr_of(&redirect_uri_of(&url))));
}

#[test]
fn forged_callbacks_before_the_real_one_are_ignored_and_never_exchanged() {
    let (idp, provider) = dev_pair(DevProviderOptions::default());
    let flow = AuthFlowManager::builder(provider)
        .store(memory())
        .token_key("me")
        .build();
    let open = opener(|url| {
        let addr = addr_of(&redirect_uri_of(&url));
        for target in [
            "/callback?code=forged&state=wrong",
            "/callback?code=forged",
            "/callback",
            "/callback?error=access_denied",
            "/callback?error=access_denied&state=wrong",
            "/favicon.ico",
        ] {
            let r = raw_get(addr, target).unwrap();
            assert!(r.status == 400 || r.status == 404, "{target}");
        }
        HeadlessBrowser::approve(&url).unwrap();
    });
    let result = flow
        .run_native(NativeOptions::new().open_browser(&open))
        .unwrap();
    assert_eq!(result.key, "me");
    assert_eq!(idp.token_requests("authorization_code"), 1);
}

#[test]
fn access_denied_with_the_right_state_ends_the_flow_with_the_provider_error() {
    let (idp, provider) = dev_pair(DevProviderOptions::default());
    let store = memory();
    let flow = AuthFlowManager::builder(provider)
        .store(store.clone())
        .build();
    let open = opener(|url| {
        let out = HeadlessBrowser::deny(&url).unwrap();
        assert_eq!(out.callback_status, 400);
    });
    let err = flow
        .run_native(NativeOptions::new().open_browser(&open))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OAuth);
    assert!(err.to_string().contains("access_denied"), "{err}");
    assert_eq!(flow.state(), AuthFlowState::Failed);
    assert_eq!(idp.token_requests("authorization_code"), 0);
    assert!(store.list_keys().unwrap().is_empty());
}

#[test]
fn a_missing_code_with_the_right_state_fails_without_a_token_request() {
    let (idp, provider) = dev_pair(DevProviderOptions::default());
    let flow = AuthFlowManager::builder(provider).store(memory()).build();
    let open = opener(|url| {
        let state = url::Url::parse(&url)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "state")
            .unwrap()
            .1
            .into_owned();
        let addr = addr_of(&redirect_uri_of(&url));
        let target = format!("/callback?state={state}");
        assert_eq!(raw_get(addr, &target).unwrap().status, 400);
    });
    let err = flow
        .run_native(NativeOptions::new().open_browser(&open))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication);
    assert_eq!(idp.token_requests("authorization_code"), 0);
}

#[test]
fn times_out_on_schedule_despite_a_slow_client_and_frees_the_port() {
    let (_idp, provider) = dev_pair(DevProviderOptions::default());
    let flow = AuthFlowManager::builder(provider)
        .timeout(Duration::from_millis(700))
        .build();
    let (tx, rx) = mpsc::channel();
    let open = opener(move |url| {
        let addr = addr_of(&redirect_uri_of(&url));
        let slow = slow_client(addr);
        tx.send((addr, slow)).unwrap();
    });
    let t = Instant::now();
    let err = flow
        .run_native(NativeOptions::new().open_browser(&open))
        .unwrap_err();
    let took = t.elapsed();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(flow.state(), AuthFlowState::TimedOut);
    assert!(
        took >= Duration::from_millis(700) && took < Duration::from_millis(1500),
        "{took:?}"
    );
    let (addr, _slow) = rx.recv().unwrap();
    assert!(refuses_connections(addr));
    std::net::TcpListener::bind(addr).expect("the port can be bound again");
}

#[test]
fn cancel_from_another_thread_ends_the_flow_well_under_a_second() {
    let (_idp, provider) = dev_pair(DevProviderOptions::default());
    let flow = Arc::new(AuthFlowManager::new(provider));
    let handle = flow.cancel_handle();
    let (tx, rx) = mpsc::channel();
    let open = opener(move |url| {
        tx.send(addr_of(&redirect_uri_of(&url))).unwrap();
    });
    let f2 = flow.clone();
    let canceller = std::thread::spawn(move || {
        while f2.state() != AuthFlowState::WaitingForCallback {
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(150));
        let at = Instant::now();
        handle.cancel();
        at
    });
    let err = flow
        .run_native(NativeOptions::new().open_browser(&open))
        .unwrap_err();
    let ended = Instant::now();
    let cancelled_at = canceller.join().unwrap();
    assert_eq!(err.kind(), ErrorKind::Cancelled);
    assert_eq!(flow.state(), AuthFlowState::Cancelled);
    let latency = ended.duration_since(cancelled_at);
    assert!(
        latency < Duration::from_millis(300),
        "cancel took {latency:?}"
    );
    let addr = rx.recv().unwrap();
    assert!(refuses_connections(addr));
    std::net::TcpListener::bind(addr).expect("the port can be bound again");
}

#[test]
fn a_second_run_while_one_is_running_is_refused() {
    let (_idp, provider) = dev_pair(DevProviderOptions::default());
    let flow = Arc::new(
        AuthFlowManager::builder(provider)
            .timeout(Duration::from_secs(5))
            .build(),
    );
    let f2 = flow.clone();
    let noop = |_: &str| -> Result<()> { Ok(()) };
    let runner = std::thread::spawn(move || f2.run_native(NativeOptions::new().open_browser(noop)));
    while flow.state() != AuthFlowState::WaitingForCallback {
        std::thread::sleep(Duration::from_millis(5));
    }
    let err = flow
        .run_native(NativeOptions::new().open_browser(noop))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    flow.cancel();
    assert_eq!(
        runner.join().unwrap().unwrap_err().kind(),
        ErrorKind::Cancelled
    );
}

#[test]
fn paste_mode_takes_the_final_redirect_url_after_rejecting_a_wrong_one() {
    let (idp, provider) = dev_pair(DevProviderOptions::default().auto_approve(true));
    let (writer, lines) = mpsc::channel::<String>();
    let flow = AuthFlowManager::builder(provider)
        .store(memory())
        .paste_input(PasteInput::from_reader(std::io::BufReader::new(
            ChannelReader(lines, Vec::new()),
        )))
        .build();
    let open = move |url: &str| -> Result<()> {
        // The browser "cannot reach" the loopback: take the redirect the
        // provider answers with and paste it instead of following it.
        let r = HeadlessBrowser::get(url)?;
        let location = r.header("location").unwrap().to_string();
        writer
            .send("http://127.0.0.1:1/callback?code=x&state=forged\n".into())
            .unwrap();
        writer.send(format!("{location}\n")).unwrap();
        Ok(())
    };
    let result = flow
        .run_native(NativeOptions::new().open_browser(&open))
        .unwrap();
    assert_eq!(result.key, idp.user().sub);
    assert_eq!(idp.token_requests("authorization_code"), 1);
}

/// A terminal stand-in: lines sent on a channel, read as a byte stream.
struct ChannelReader(mpsc::Receiver<String>, Vec<u8>);

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.1.is_empty() {
            match self.0.recv() {
                Ok(line) => self.1 = line.into_bytes(),
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.1.len());
        buf[..n].copy_from_slice(&self.1[..n]);
        self.1.drain(..n);
        Ok(n)
    }
}

/// A provider whose RFC 9207 rule is its own (as Microsoft's multi-tenant
/// endpoints, whose callbacks name the user's tenant rather than the
/// configured `{tenantid}` issuer): the flow must ask the provider to check
/// `iss`, not compare with `issuer()` itself.
struct OwnIssRule {
    inner: Arc<dyn oauthkit::provider::Provider>,
    accept: Option<String>,
}

impl oauthkit::provider::Provider for OwnIssRule {
    fn name(&self) -> &str {
        "own-iss-rule"
    }
    fn build_authorize_url(&self, r: &oauthkit::provider::AuthorizeRequest<'_>) -> Result<String> {
        self.inner.build_authorize_url(r)
    }
    fn exchange_code(&self, request: &CodeExchange) -> Result<oauthkit::TokenSet> {
        self.inner.exchange_code(request)
    }
    fn refresh_tokens(&self, request: &TokenRefresh) -> Result<oauthkit::TokenSet> {
        self.inner.refresh_tokens(request)
    }
    fn get_userinfo(&self, at: &UserinfoRequest) -> Result<Option<oauthkit::Claims>> {
        self.inner.get_userinfo(at)
    }
    fn revoke_token(&self, request: &TokenRevocation) -> Result<bool> {
        self.inner.revoke_token(request)
    }
    fn issuer(&self) -> Option<String> {
        Some("https://login.example/{tenantid}/v2.0".into())
    }
    fn check_authorization_response_iss(&self, iss: Option<&str>) -> Result<()> {
        match (iss, &self.accept) {
            (Some(got), Some(ok)) if got == ok => Ok(()),
            _ => Err(oauthkit::Error::Authentication(
                "iss refused by the provider's own rule".into(),
            )),
        }
    }
}

fn approve_in_background() -> impl Fn(&str) -> Result<()> {
    opener(|url| {
        let _ = HeadlessBrowser::approve(&url);
    })
}

#[test]
fn the_flow_asks_the_provider_to_check_iss() {
    let (idp, inner) = dev_pair(DevProviderOptions::default());
    let provider = Arc::new(OwnIssRule {
        inner,
        accept: Some(idp.issuer().to_string()),
    });
    let flow = AuthFlowManager::builder(provider)
        .store(memory())
        .timeout(Duration::from_secs(20))
        .build();
    let open = approve_in_background();
    let result = flow.run_native(NativeOptions::new().open_browser(&open));
    assert!(result.is_ok(), "the provider accepted the iss: {result:?}");
}

#[test]
fn an_iss_the_provider_refuses_ends_the_flow_without_an_exchange() {
    let (idp, inner) = dev_pair(DevProviderOptions::default());
    let provider = Arc::new(OwnIssRule {
        inner,
        accept: None,
    });
    let flow = AuthFlowManager::builder(provider)
        .store(memory())
        .timeout(Duration::from_secs(20))
        .build();
    let open = approve_in_background();
    let err = flow
        .run_native(NativeOptions::new().open_browser(&open))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication, "{err}");
    assert!(err.to_string().contains("own rule"), "{err}");
    assert_eq!(
        idp.token_requests("authorization_code"),
        0,
        "no code exchange after a refused iss"
    );
}

/// The whole native flow at the independent provider (panva's
/// oidc-provider), its login and consent forms submitted over HTTP and the
/// final redirect delivered to the real loopback callback server: one
/// exchange, the ID token validated with the nonce, userinfo fetched, the
/// tokens stored under `sub`.
#[test]
fn signs_in_at_the_independent_provider() {
    needs!(Node);
    let idp = support::node_idp::NodeIdp::start();
    let provider = support::dev::client_for(&idp.issuer, &idp.client_id);
    let store = memory();
    let flow = AuthFlowManager::builder(provider.clone())
        .store(store.clone())
        .extra_param("prompt", "consent")
        .timeout(Duration::from_secs(30))
        .build();
    let open = opener(|url| {
        let redirect_uri = redirect_uri_of(&url);
        let redirect = support::interactions::sign_in(&url, &redirect_uri, "frank");
        assert!(redirect.param("iss").is_some(), "RFC 9207 iss sent");
        let status = ureq::get(&redirect.url)
            .config()
            .http_status_as_error(false)
            .build()
            .call()
            .expect("deliver the redirect")
            .status();
        assert_eq!(status, 200);
    });
    let result = flow
        .run_native(NativeOptions::new().open_browser(&open))
        .unwrap();
    assert_eq!(flow.state(), AuthFlowState::Completed);
    assert_eq!(result.key, "frank");
    assert_eq!(
        result.user_info.as_ref().unwrap().email.as_deref(),
        Some("frank@example.test")
    );
    let stored = store.load("frank").unwrap().expect("stored under sub");
    assert!(stored.refresh_token.is_some() && stored.id_token.is_some());
    assert_eq!(
        provider
            .get_userinfo(&UserinfoRequest::new(stored.access_token.expose()))
            .unwrap()
            .unwrap()
            .sub
            .as_deref(),
        Some("frank")
    );
}

#[test]
fn a_timeout_too_large_is_an_error_and_leaves_the_flow_usable() {
    let (_idp, provider) = dev_pair(DevProviderOptions::default());
    let flow = AuthFlowManager::builder(provider)
        .store(memory())
        .timeout(Duration::MAX)
        .build();
    let open = |_: &str| -> Result<()> { Ok(()) };
    let err = flow
        .run_native(NativeOptions::new().open_browser(open))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    assert_ne!(flow.state(), AuthFlowState::WaitingForCallback);
}

#[test]
fn new_takes_only_the_provider_signs_in_and_stores_nowhere() {
    let (idp, provider) = dev_pair(DevProviderOptions::default());
    let flow = AuthFlowManager::new(provider);
    let result = flow
        .run_native(NativeOptions::new().open_browser(approve_in_background()))
        .unwrap();
    assert!(!result.key.is_empty());
    assert!(!result.tokens.access_token.expose().is_empty());
    assert_eq!(flow.state(), AuthFlowState::Completed);
    assert_eq!(idp.token_requests("authorization_code"), 1);
}

#[test]
fn an_open_browser_error_ends_the_flow_as_it_is_and_close_window_still_runs() {
    let (idp, provider) = dev_pair(DevProviderOptions::default());
    let store = memory();
    let flow = AuthFlowManager::builder(provider)
        .store(store.clone())
        .build();
    let closed = std::cell::Cell::new(0);
    let err = flow
        .run_native(
            NativeOptions::new()
                .open_browser(|_| {
                    Err(oauthkit::Error::Unavailable {
                        backend: "the app's window",
                        message: "no display".into(),
                        source: None,
                    })
                })
                .close_window(|| closed.set(closed.get() + 1)),
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert_eq!(closed.get(), 1);
    assert_eq!(flow.state(), AuthFlowState::Failed);
    assert!(store.list_keys().unwrap().is_empty());
    assert_eq!(idp.token_requests("authorization_code"), 0);
}

/// Every configuration error knowable before the user acts is raised
/// before the browser opens (the open hook is never called, no callback
/// can arrive): PKCE off under OAuth 2.1, PAR required (discovery's
/// `require_pushed_authorization_requests`) without a PAR endpoint, DPoP
/// with a store that cannot protect the key, a DPoP key for a provider
/// without DPoP. The endpoints are on a reserved name: any network use
/// would fail differently.
#[test]
fn configuration_errors_are_refused_before_the_browser_opens() {
    use oauthkit::provider::DpopConfig;
    use oauthkit::provider::SecurityProfile;
    use oauthkit::provider::SigningAlgorithm;
    use oauthkit::provider::{OAuth2Config, OAuthProvider, Provider};
    use oauthkit::store::JsonFileStore;
    use oauthkit::unversioned::provider::DpopKey;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let base = || {
        OAuth2Config::new(
            "cfg",
            "app",
            "https://idp.invalid/authorize",
            "https://idp.invalid/token",
        )
    };
    let provider =
        |cfg: OAuth2Config| -> Arc<dyn Provider> { Arc::new(OAuthProvider::oauth2(cfg).unwrap()) };
    let dir = tempfile::tempdir().unwrap();
    let plain = JsonFileStore::open(dir.path().join("plain.json")).unwrap();
    let mut par_required = base();
    par_required.requires_par = true;
    let cases: Vec<(&str, AuthFlowManager, ErrorKind)> = vec![
        (
            "PKCE off under OAuth 2.1",
            AuthFlowManager::builder(provider(base().profile(SecurityProfile::OAuth21)))
                .pkce(false)
                .build(),
            ErrorKind::InvalidArgument,
        ),
        (
            "PAR required without a PAR endpoint",
            AuthFlowManager::builder(provider(par_required)).build(),
            ErrorKind::Unsupported,
        ),
        (
            "DPoP with a plain-text store",
            AuthFlowManager::builder(provider(base().dpop(DpopConfig::new())))
                .store(plain)
                .build(),
            ErrorKind::Unsupported,
        ),
        (
            "a token key the store refuses",
            AuthFlowManager::builder(provider(base()))
                .store(MemoryStore::new())
                .token_key("alice\nbob")
                .build(),
            ErrorKind::InvalidArgument,
        ),
        (
            "a DPoP key for a provider without DPoP",
            AuthFlowManager::builder(provider(base()))
                .dpop_key(DpopKey::generate(SigningAlgorithm::ES256).unwrap())
                .build(),
            ErrorKind::InvalidArgument,
        ),
    ];
    for (what, flow, kind) in cases {
        let opened = AtomicUsize::new(0);
        let e = flow
            .run_native(NativeOptions::new().open_browser(|_| {
                opened.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }))
            .unwrap_err();
        assert_eq!(e.kind(), kind, "{what}: {e}");
        assert_eq!(
            opened.load(Ordering::SeqCst),
            0,
            "{what}: the browser was opened"
        );
        assert_eq!(flow.state(), AuthFlowState::Failed, "{what}");
    }
    assert!(
        !dir.path().join("plain.json").exists()
            || !std::fs::read_to_string(dir.path().join("plain.json"))
                .unwrap()
                .contains("access_token"),
        "nothing stored"
    );
}
