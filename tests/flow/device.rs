//! The device authorization grant (RFC 8628) end to end.
//!
//! Against panva's oidc-provider (tests/browser/oidc-server.mjs with
//! `features.deviceFlow`, one process per test): the user's side is driven
//! over HTTP with a cookie jar (tests/support/src/device_user.rs) on another
//! thread while the flow polls; typing the code and opening the complete
//! URI; denial at the confirmation page; `slow_down` (the server's
//! `-device-slow` client answers it as RFC 8628 §3.5 allows, and records
//! every poll that comes sooner than the interval in force); a device code
//! that expires (`-device-short`, 3 s); cancel; timeout; ID-token
//! validation and storage.
//!
//! A loopback fake (tests/support/src/fake_device.rs) is used only where the
//! real provider cannot be made to answer on cue: `expired_token` while
//! the code still has time left here, hostile device authorization
//! responses, GitHub's quirks, and the request's exact form.

use crate::support;
use crate::support::mock_http;

use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use oauthkit::flow::DeviceFlow;
use oauthkit::provider::{
    github, DeviceAuthorization, GrantRequest, OAuth2Config, OAuthProvider, OidcConfig, Provider,
};
use oauthkit::store::MemoryStore;
use oauthkit::unversioned::flow::PollStatus;
use oauthkit::{Error, ErrorKind, TokenStore};
use serde_json::json;
use support::device_user::{self, Choice};
use support::fake_device::FakeDeviceServer;
use support::node_idp::NodeIdp;

const SCOPES: [&str; 3] = ["openid", "email", "profile"];

fn device_provider(idp: &NodeIdp, kind: &str) -> Arc<dyn Provider> {
    Arc::new(
        OAuthProvider::oidc(OidcConfig::new(&idp.issuer, idp.client(kind)).scopes(SCOPES)).unwrap(),
    )
}

/// A prompt that hands the authorization to the test and runs `user` on a
/// thread after `delay` (the user picking up their phone).
fn user_after(
    delay: Duration,
    user: impl Fn(&DeviceAuthorization) + Send + Sync + Clone + 'static,
    seen: Arc<Mutex<Option<DeviceAuthorization>>>,
) -> impl Fn(&DeviceAuthorization) -> oauthkit::Result<()> + Send + Sync + 'static {
    move |a: &DeviceAuthorization| {
        *seen.lock().unwrap() = Some(a.clone());
        let (a, user) = (a.clone(), user.clone());
        thread::spawn(move || {
            thread::sleep(delay);
            user(&a);
        });
        Ok(())
    }
}

fn answers(idp: &NodeIdp) -> Vec<String> {
    idp.stats()["polls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["answer"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn typing_the_code_signs_in_validates_the_id_token_and_stores() {
    needs!(Node);
    let idp = NodeIdp::start();
    let store = Arc::new(MemoryStore::new());
    let seen = Arc::new(Mutex::new(None));
    let statuses = Arc::new(Mutex::new(Vec::<PollStatus>::new()));
    let s2 = statuses.clone();
    let flow = DeviceFlow::new(device_provider(&idp, "device"))
        .store(store.clone())
        .prompt(user_after(
            Duration::from_millis(1500),
            |a| {
                let page = device_user::enter_code(
                    &a.verification_uri,
                    &a.user_code,
                    "alice",
                    Choice::Approve,
                );
                assert!(page.contains("Sign-in Success"), "{page}");
            },
            seen.clone(),
        ))
        .on_poll(move |s| s2.lock().unwrap().push(*s));
    let result = flow.run().unwrap();
    assert_eq!(result.key, "alice");
    assert_eq!(result.tokens.identity_id.as_deref(), Some("alice"));
    assert!(
        result.tokens.id_token.is_some(),
        "the ID token came back and was validated"
    );
    assert_eq!(
        result.user_info.unwrap().email.as_deref(),
        Some("alice@example.test")
    );
    let stored = store
        .load("alice")
        .unwrap()
        .expect("stored under the identity");
    assert_eq!(stored.access_token, result.tokens.access_token);

    let a = seen.lock().unwrap().clone().unwrap();
    assert!(a.verification_uri.starts_with(&idp.issuer));
    assert!(a.verification_uri_complete.unwrap().contains("user_code="));
    assert_eq!(a.interval, Duration::from_secs(1));
    // The user took 1.5 s: at least one poll was told to wait, none came
    // sooner than the interval, the last one got the tokens.
    let got = answers(&idp);
    assert_eq!(
        got.first().map(String::as_str),
        Some("authorization_pending")
    );
    assert_eq!(got.last().map(String::as_str), Some("tokens"));
    assert_eq!(idp.stats()["early_polls"], 0, "{:?}", idp.stats());
    let statuses = statuses.lock().unwrap();
    assert_eq!(statuses.len(), got.len() - 1);
    assert!(statuses.iter().all(|s| !s.slowed_down));
}

#[test]
fn the_complete_uri_signs_in_without_typing_and_the_prompt_text_carries_it() {
    needs!(Node);
    let idp = NodeIdp::start();
    let seen = Arc::new(Mutex::new(None));
    let flow = DeviceFlow::new(device_provider(&idp, "device"))
        .token_key("device-key")
        .prompt(user_after(
            Duration::ZERO,
            |a| {
                let uri = a.verification_uri_complete.as_deref().unwrap();
                let page = device_user::open_complete(uri, "bob", Choice::Approve);
                assert!(page.contains("Sign-in Success"), "{page}");
            },
            seen.clone(),
        ));
    let result = flow.run().unwrap();
    assert_eq!(result.key, "device-key");
    assert_eq!(result.tokens.identity_id.as_deref(), Some("bob"));
    let a = seen.lock().unwrap().clone().unwrap();
    let text = oauthkit::unversioned::flow::prompt_text(&a);
    assert!(text.contains(&a.verification_uri) && text.contains(&a.user_code));
    assert!(text.contains(a.verification_uri_complete.as_deref().unwrap()));
    assert!(
        !text.contains(a.device_code.expose()),
        "the device code is never shown"
    );
    assert!(!format!("{a:?}").contains(a.device_code.expose()));
}

#[test]
fn the_user_refusing_ends_the_flow_with_access_denied_and_stores_nothing() {
    needs!(Node);
    let idp = NodeIdp::start();
    let store = Arc::new(MemoryStore::new());
    let flow = DeviceFlow::new(device_provider(&idp, "device"))
        .store(store.clone())
        .prompt(user_after(
            Duration::from_millis(200),
            |a| {
                let uri = a.verification_uri_complete.as_deref().unwrap();
                let page = device_user::open_complete(uri, "carol", Choice::Deny);
                assert!(page.contains("interrupted"), "{page}");
            },
            Arc::default(),
        ));
    let e = flow.run().unwrap_err();
    match &e {
        Error::OAuth { error, .. } => assert_eq!(error, "access_denied", "{e}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(e.kind(), ErrorKind::OAuth);
    assert!(store.list_keys().unwrap().is_empty());
}

/// The `-device-slow` client answers `slow_down` to the first pending poll
/// and to any poll sooner than the interval it asked for (+5 s each time).
/// The user approves after 8 s, so the flow polls at about 1 s
/// (slow_down), 7 s (pending) and 13 s (tokens): the longer interval holds
/// for every later poll, and the server never saw an early poll.
#[test]
fn slow_down_adds_five_seconds_to_this_and_every_later_poll() {
    needs!(Node);
    let idp = NodeIdp::start();
    let statuses = Arc::new(Mutex::new(Vec::<PollStatus>::new()));
    let s2 = statuses.clone();
    let flow = DeviceFlow::new(device_provider(&idp, "device-slow"))
        .prompt(user_after(
            Duration::from_secs(8),
            |a| {
                device_user::enter_code(&a.verification_uri, &a.user_code, "dave", Choice::Approve);
            },
            Arc::default(),
        ))
        .on_poll(move |s| s2.lock().unwrap().push(*s));
    flow.run().unwrap();
    let stats = idp.stats();
    assert_eq!(stats["early_polls"], 0, "{stats}");
    assert_eq!(
        answers(&idp),
        ["slow_down", "authorization_pending", "tokens"],
        "{stats}"
    );
    let statuses = statuses.lock().unwrap();
    assert_eq!(statuses[0].next_interval, Duration::from_secs(6));
    assert!(statuses[0].slowed_down);
    assert_eq!(statuses[1].next_interval, Duration::from_secs(6));
    assert!(!statuses[1].slowed_down);
    for p in stats["polls"].as_array().unwrap().iter().skip(1) {
        assert!(p["gap_ms"].as_u64().unwrap() >= 6000, "{p}");
    }
}

#[test]
fn a_device_code_nobody_approves_expires() {
    needs!(Node);
    let idp = NodeIdp::start();
    let flow = DeviceFlow::new(device_provider(&idp, "device-short")).prompt(|_| Ok(()));
    let e = flow.run().unwrap_err();
    match &e {
        Error::OAuth { error, .. } => assert_eq!(error, "expired_token", "{e}"),
        other => panic!("{other:?}"),
    }
    let got = answers(&idp);
    assert!(!got.is_empty(), "it polled while the code lived");
    assert!(
        got.iter()
            .all(|a| a == "authorization_pending" || a == "expired_token"),
        "{got:?}"
    );
}

#[test]
fn cancel_from_another_thread_ends_the_wait_and_polling() {
    needs!(Node);
    let idp = NodeIdp::start();
    let flow = Arc::new(DeviceFlow::new(device_provider(&idp, "device")).prompt(|_| Ok(())));
    let handle = flow.cancel_handle();
    let canceller = thread::spawn(move || {
        thread::sleep(Duration::from_millis(2500));
        handle.cancel();
        Instant::now()
    });
    let e = flow.run().unwrap_err();
    let returned = Instant::now();
    let cancelled_at = canceller.join().unwrap();
    assert!(matches!(e, Error::Cancelled), "{e:?}");
    assert_eq!(e.kind(), ErrorKind::Cancelled);
    // Not a timing assertion on the machine's speed: the wait is a condvar,
    // so cancel ends it long before the next 1 s poll would be due.
    assert!(returned.duration_since(cancelled_at) < Duration::from_millis(900));
    let polls = answers(&idp).len();
    thread::sleep(Duration::from_millis(1500));
    assert_eq!(answers(&idp).len(), polls, "no poll after cancel");
}

#[test]
fn the_callers_timeout_ends_the_flow_before_the_code_expires() {
    needs!(Node);
    let idp = NodeIdp::start();
    let flow = DeviceFlow::new(device_provider(&idp, "device"))
        .prompt(|_| Ok(()))
        .timeout(Duration::from_secs(2));
    let e = flow.run().unwrap_err();
    assert!(matches!(e, Error::Timeout { seconds: 2 }), "{e:?}");
    assert_eq!(e.kind(), ErrorKind::Timeout);
}

#[test]
fn a_prompt_error_ends_the_flow_before_any_poll() {
    needs!(Node);
    let idp = NodeIdp::start();
    let flow = DeviceFlow::new(device_provider(&idp, "device"))
        .prompt(|_| Err(Error::InvalidArgument("no display".into())));
    let e = flow.run().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(answers(&idp).is_empty());
}

#[test]
fn a_client_not_registered_for_the_grant_gets_the_providers_error() {
    needs!(Node);
    let idp = NodeIdp::start();
    // The public code-flow client has no device_code grant type.
    let p = OAuthProvider::oidc(OidcConfig::new(&idp.issuer, &idp.client_id)).unwrap();
    let e = p
        .request_device_authorization(&GrantRequest::device_authorization())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OAuth, "{e}");
}

#[test]
fn a_provider_without_the_endpoint_gets_a_typed_error_naming_it() {
    // Plain OAuth 2.0 without a device endpoint: no I/O at all.
    let p: Arc<dyn Provider> = Arc::new(
        OAuthProvider::oauth2(OAuth2Config::new(
            "corp-sso",
            "id",
            "https://sso.example/authorize",
            "https://sso.example/token",
        ))
        .unwrap(),
    );
    let e = DeviceFlow::new(p)
        .prompt(|_| panic!("no prompt"))
        .run()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    assert!(matches!(&e, Error::ProviderUnsupported { provider, .. } if provider == "corp-sso"));
    assert!(e.to_string().contains("corp-sso"), "{e}");
    assert!(
        e.to_string().contains("device_authorization_endpoint"),
        "{e}"
    );

    // OpenID provider whose discovery document has no device endpoint.
    let fake = FakeDeviceServer::start(1, 60);
    let mock = mock_http::MockServer::start();
    mock.route(
        "/.well-known/openid-configuration",
        mock_http::Reply::json(
            200,
            &json!({"issuer": mock.base(), "token_endpoint": fake.token_url(),
                    "authorization_endpoint": format!("{}/authorize", mock.base())}),
        ),
    );
    let mut cfg = OidcConfig::new(mock.base(), "id");
    cfg.name = "no-device-idp".into();
    let p: Arc<dyn Provider> = Arc::new(OAuthProvider::oidc(cfg).unwrap());
    let e = DeviceFlow::new(p)
        .prompt(|_| panic!("no prompt"))
        .run()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    assert!(e.to_string().contains("no-device-idp"), "{e}");
    assert!(fake.polls().is_empty());
}

fn fake_provider(fake: &FakeDeviceServer) -> Arc<dyn Provider> {
    let mut cfg = OAuth2Config::new(
        "fake",
        "device-client",
        format!("{}/authorize", fake.base),
        fake.token_url(),
    )
    .scopes(["read"]);
    cfg.device_authorization_url = Some(fake.device_url());
    Arc::new(OAuthProvider::oauth2(cfg).unwrap())
}

/// The request's exact form: scope and extra parameters at the device
/// endpoint, the RFC's grant type and the device code at the token
/// endpoint, the client id each time (a public client).
#[test]
fn the_requests_carry_what_rfc_8628_says() {
    let fake = FakeDeviceServer::start(1, 60);
    fake.queue([
        (400, json!({"error": "authorization_pending"})),
        FakeDeviceServer::tokens(),
    ]);
    let store = Arc::new(MemoryStore::new());
    let r = DeviceFlow::new(fake_provider(&fake))
        .scopes(["read", "write"])
        .param("audience", "https://api.example")
        .store(store.clone())
        .prompt(|_| Ok(()))
        .run()
        .unwrap();
    assert_eq!(r.tokens.access_token.expose(), "at-from-device");
    assert_eq!(
        r.tokens.scopes,
        ["read", "write"],
        "the requested scopes when none come back"
    );
    assert_eq!(r.key, "default");
    assert!(store.load("default").unwrap().is_some());
    let dev = &fake.device_requests()[0];
    let value = |form: &[(String, String)], k: &str| {
        form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    };
    assert_eq!(value(dev, "scope").as_deref(), Some("read write"));
    assert_eq!(
        value(dev, "audience").as_deref(),
        Some("https://api.example")
    );
    assert_eq!(value(dev, "client_id").as_deref(), Some("device-client"));
    let polls = fake.polls();
    assert_eq!(polls.len(), 2);
    for p in &polls {
        assert_eq!(
            value(&p.form, "grant_type").as_deref(),
            Some("urn:ietf:params:oauth:grant-type:device_code")
        );
        assert_eq!(
            value(&p.form, "device_code").as_deref(),
            Some("the-device-code-0123456789")
        );
        assert_eq!(
            value(&p.form, "client_id").as_deref(),
            Some("device-client")
        );
    }
    // An extra parameter cannot smuggle in another client id.
    let e = DeviceFlow::new(fake_provider(&fake))
        .param("client_id", "other")
        .prompt(|_| Ok(()))
        .run()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
}

/// oidc-provider decides expiry itself and cannot be made to say
/// `expired_token` while the code has time left here; the fake can.
#[test]
fn the_providers_expired_token_and_other_errors_end_the_flow() {
    for (error, kind) in [
        ("expired_token", ErrorKind::OAuth),
        ("access_denied", ErrorKind::OAuth),
        ("invalid_grant", ErrorKind::InvalidGrant),
    ] {
        let fake = FakeDeviceServer::start(1, 600);
        fake.queue([(400, json!({"error": error, "error_description": "nope"}))]);
        let e = DeviceFlow::new(fake_provider(&fake))
            .prompt(|_| Ok(()))
            .run()
            .unwrap_err();
        assert_eq!(e.kind(), kind, "{error}: {e}");
        assert!(e.to_string().contains(error), "{e}");
        assert_eq!(
            fake.polls().len(),
            1,
            "{error}: no poll after a final answer"
        );
    }
}

/// A provider that asks for more and more patience: each slow_down adds
/// 5 s on top of the previous ones (the wait is checked at the fake from
/// the answer to the next arrival).
#[test]
fn repeated_slow_down_keeps_adding() {
    let fake = FakeDeviceServer::start(1, 600);
    fake.queue([
        (400, json!({"error": "slow_down"})),
        (400, json!({"error": "slow_down"})),
        FakeDeviceServer::tokens(),
    ]);
    let statuses = Arc::new(Mutex::new(Vec::<PollStatus>::new()));
    let s2 = statuses.clone();
    DeviceFlow::new(fake_provider(&fake))
        .prompt(|_| Ok(()))
        .on_poll(move |s| s2.lock().unwrap().push(*s))
        .run()
        .unwrap();
    let intervals: Vec<u64> = statuses
        .lock()
        .unwrap()
        .iter()
        .map(|s| s.next_interval.as_secs())
        .collect();
    assert_eq!(intervals, [6, 11]);
    let polls = fake.polls();
    assert!(polls[1].arrived.duration_since(polls[0].answered) >= Duration::from_secs(6));
    assert!(polls[2].arrived.duration_since(polls[1].answered) >= Duration::from_secs(11));
}

/// Hostile device authorization responses: terminal escapes in the user
/// code or URI, a non-https verification URI, a missing device code. The
/// flow refuses before showing anything or polling.
#[test]
fn hostile_device_authorization_responses_are_refused_before_the_prompt() {
    let fake = FakeDeviceServer::start(1, 60);
    for bad in [
        json!({"device_code": "d", "user_code": "AB\u{1b}]0;pwned\u{7}", "verification_uri": format!("{}/a", fake.base)}),
        json!({"device_code": "d", "user_code": "AB", "verification_uri": "http://evil.example/activate"}),
        json!({"device_code": "d", "user_code": "AB", "verification_uri": "javascript:alert(1)"}),
        json!({"user_code": "AB", "verification_uri": format!("{}/a", fake.base)}),
        json!(["not", "an", "object"]),
    ] {
        fake.set_device_response(200, bad.clone());
        let e = DeviceFlow::new(fake_provider(&fake))
            .prompt(|_| panic!("nothing hostile reaches the prompt"))
            .run()
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Http, "{bad}: {e}");
    }
    fake.set_device_response(
        400,
        json!({"error": "invalid_scope", "error_description": "no"}),
    );
    let e = DeviceFlow::new(fake_provider(&fake))
        .prompt(|_| panic!("no prompt"))
        .run()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OAuth);
    assert!(e.to_string().contains("invalid_scope"));
    assert!(fake.polls().is_empty());
}

/// GitHub: the device endpoint on github.com, polls at the token endpoint,
/// errors answered with HTTP 200 (`{"error":"authorization_pending"}`).
#[test]
fn github_preset_device_flow_with_errors_on_http_200() {
    let fake = FakeDeviceServer::start(1, 60);
    let mut cfg = github::config_at(&fake.base, "Iv1.device").unwrap();
    assert_eq!(
        cfg.device_authorization_url.as_deref(),
        Some(format!("{}/login/device/code", fake.base).as_str())
    );
    cfg.device_authorization_url = Some(fake.device_url());
    cfg.token_url = fake.token_url();
    cfg.userinfo_url = None;
    fake.queue([
        (200, json!({"error": "authorization_pending"})),
        FakeDeviceServer::tokens(),
    ]);
    let r = DeviceFlow::new(Arc::new(OAuthProvider::oauth2(cfg).unwrap()))
        .prompt(|_| Ok(()))
        .run()
        .unwrap();
    assert_eq!(r.tokens.access_token.expose(), "at-from-device");
    assert_eq!(fake.polls().len(), 2);
    assert_eq!(
        github::config("x")
            .unwrap()
            .device_authorization_url
            .as_deref(),
        Some("https://github.com/login/device/code")
    );
}

#[test]
fn presets_name_their_device_endpoints() {
    let g = oauthkit::provider::google::config("id").unwrap();
    assert_eq!(
        g.endpoints.device_authorization.as_deref(),
        Some("https://oauth2.googleapis.com/device/code")
    );
    let m = oauthkit::provider::microsoft::config("organizations", "id").unwrap();
    assert_eq!(
        m.endpoints.device_authorization.as_deref(),
        Some("https://login.microsoftonline.com/organizations/oauth2/v2.0/devicecode")
    );
}

#[test]
fn a_second_run_while_one_is_running_is_refused() {
    let fake = FakeDeviceServer::start(1, 60);
    let flow = Arc::new(DeviceFlow::new(fake_provider(&fake)).prompt(|_| Ok(())));
    let f2 = flow.clone();
    let first = thread::spawn(move || f2.run());
    while fake.device_requests().is_empty() {
        thread::sleep(Duration::from_millis(10));
    }
    let e = flow.run().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    flow.cancel();
    assert!(matches!(first.join().unwrap(), Err(Error::Cancelled)));
}

/// Absurd numbers from a provider (an interval or lifetime of 2^62
/// seconds, negative values) neither panic on instant arithmetic nor hang
/// past the caller's timeout.
#[test]
fn absurd_intervals_and_lifetimes_do_not_panic_or_hang() {
    for (interval, expires_in) in [
        (json!(4_611_686_018_427_387_904u64), json!(600)),
        (json!(1), json!(4_611_686_018_427_387_904u64)),
        (json!("9223372036854775807"), json!("9223372036854775807")),
        (json!(-5), json!(-5)),
    ] {
        let fake = FakeDeviceServer::start(1, 60);
        fake.set_device_response(
            200,
            json!({"device_code": "d", "user_code": "U", "verification_uri": format!("{}/a", fake.base),
                   "interval": interval, "expires_in": expires_in}),
        );
        let e = DeviceFlow::new(fake_provider(&fake))
            .prompt(|_| Ok(()))
            .timeout(Duration::from_millis(1500))
            .run()
            .unwrap_err();
        assert!(
            matches!(e.kind(), ErrorKind::Timeout | ErrorKind::OAuth),
            "{interval} {expires_in}: {e}"
        );
    }
}
