//! PAR (RFC 9126 §2.2): the pushed request's `expires_in` is read and
//! honoured. It is required and must be a positive integer number of
//! seconds (anything else is refused without being quoted); a lifetime
//! longer than an hour is read as an hour. A sign-in whose pushed request
//! expired before the browser could be sent pushes it again, and gives up
//! with a clear error when every push expires on the way.

use crate::support::mock_http;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use oauthkit::flow::{AuthFlowManager, NativeOptions};
use oauthkit::provider::ParPolicy;
use oauthkit::provider::{AuthorizeRequest, OAuth2Config, OAuthProvider, Provider};
use oauthkit::unversioned::provider::par::MAX_PAR_LIFETIME;
use oauthkit::unversioned::provider::Pkce;
use oauthkit::{Error, ErrorKind};
use serde_json::json;

use mock_http::{MockServer, Recorded, Reply};

fn provider(server: &MockServer) -> OAuthProvider {
    let cfg = OAuth2Config::new(
        "par-test",
        "par-client",
        server.url("/authorize"),
        server.url("/token"),
    )
    .par(server.url("/par"), ParPolicy::Always);
    OAuthProvider::oauth2(cfg).unwrap()
}

fn push(p: &OAuthProvider) -> oauthkit::Result<oauthkit::provider::AuthorizationUrl> {
    let pkce = Pkce::generate();
    p.authorization_url(&AuthorizeRequest {
        redirect_uri: "http://127.0.0.1:1/callback",
        state: "state-1",
        pkce: Some(&pkce),
        nonce: None,
        extra_params: &[],
    })
}

#[test]
fn expires_in_is_read_and_bounded() {
    let server = MockServer::start();
    let p = provider(&server);
    for (expires_in, lifetime) in [
        (json!(60), Duration::from_secs(60)),
        (json!(1), Duration::from_secs(1)),
        (json!(3600), MAX_PAR_LIFETIME),
        (json!(86_400_000_000u64), MAX_PAR_LIFETIME),
        (json!(u64::MAX), MAX_PAR_LIFETIME),
    ] {
        server.json(
            "/par",
            201,
            &json!({"request_uri": "urn:ietf:params:oauth:request_uri:a1", "expires_in": expires_in}),
        );
        let url = push(&p).unwrap_or_else(|e| panic!("{expires_in}: {e}"));
        assert!(url.is_pushed());
        assert_eq!(url.lifetime(), Some(lifetime), "{expires_in}");
        assert!(!url.is_expired(), "{expires_in}");
        assert!(url
            .url()
            .ends_with("request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Aa1"));
    }
    // build_authorize_url still gives the URL alone
    let url = p
        .build_authorize_url(&AuthorizeRequest {
            redirect_uri: "http://127.0.0.1:1/callback",
            state: "s",
            pkce: Some(&Pkce::generate()),
            ..Default::default()
        })
        .unwrap();
    assert!(url.contains("request_uri="), "{url}");
}

#[test]
fn an_absent_or_absurd_expires_in_is_refused_without_being_quoted() {
    let server = MockServer::start();
    let p = provider(&server);
    let marker = "expires-marker-Qz7Xc";
    let mut answers: Vec<serde_json::Value> = [
        json!(0),
        json!(-1),
        json!(-60),
        json!(1.5),
        json!(60.0),
        json!(1e300),
        json!("60"),
        json!(marker),
        json!(true),
        json!([60]),
        json!({"seconds": 60}),
        serde_json::Value::Null,
    ]
    .into_iter()
    .map(|v| json!({"request_uri": "urn:x:1", "expires_in": v}))
    .collect();
    answers.push(json!({"request_uri": "urn:x:1"}));
    for answer in answers {
        server.json("/par", 201, &answer);
        let e = push(&p).expect_err(&answer.to_string());
        assert_eq!(e.kind(), ErrorKind::Http, "{answer}: {e}");
        let shown = format!("{e} {e:?}");
        assert!(shown.contains("expires_in"), "{answer}: {shown}");
        assert!(shown.contains("RFC 9126"), "{answer}: {shown}");
        assert!(!shown.contains(marker), "{answer}: {shown}");
    }
}

/// The PAR endpoint of these tests: its first `n` answers come after
/// 1.2 s with `expires_in: 1` (so they have expired on arrival), the
/// later ones at once with `expires_in: 60`. Each `request_uri` is unique.
fn slow_then_fast(_: &Recorded, slow: usize) -> Reply {
    static PUSHES: AtomicUsize = AtomicUsize::new(0);
    let i = PUSHES.fetch_add(1, Ordering::SeqCst);
    let uri = format!("urn:ietf:params:oauth:request_uri:push-{i}");
    if SLOW_LEFT.with_slow(slow) {
        std::thread::sleep(Duration::from_millis(1200));
        Reply::json(201, &json!({"request_uri": uri, "expires_in": 1}))
    } else {
        Reply::json(201, &json!({"request_uri": uri, "expires_in": 60}))
    }
}

/// How many slow answers are still owed: a countdown started at the first
/// push of each sign-in (the tests that use it run one at a time).
struct SlowLeft(Mutex<Option<usize>>);

static SLOW_LEFT: SlowLeft = SlowLeft(Mutex::new(None));

impl SlowLeft {
    fn with_slow(&self, slow: usize) -> bool {
        let mut left = self.0.lock().unwrap();
        let n = left.get_or_insert(slow);
        if *n > 0 {
            *n -= 1;
            true
        } else {
            false
        }
    }
}

static SERIAL: Mutex<()> = Mutex::new(());

/// Runs a sign-in whose browser records the URL it is sent to and stops
/// there; returns the error and that URL.
fn sign_in(server: &MockServer, slow: usize) -> (Error, Option<String>) {
    *SLOW_LEFT.0.lock().unwrap() = None;
    server.route("/par", Reply::Computed(slow_then_fast, slow));
    let flow = AuthFlowManager::new(Arc::new(provider(server)));
    let opened = Mutex::new(None);
    let e = flow
        .run_native(NativeOptions::new().open_browser(|url| {
            *opened.lock().unwrap() = Some(url.to_owned());
            Err(Error::Cancelled)
        }))
        .unwrap_err();
    (e, opened.into_inner().unwrap())
}

#[test]
fn a_pushed_request_that_expired_before_the_browser_was_sent_is_pushed_again() {
    let _one_at_a_time = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let server = MockServer::start();
    let (e, opened) = sign_in(&server, 1);
    assert_eq!(e.kind(), ErrorKind::Cancelled, "{e}");
    let pushes = server.requests_to("/par");
    assert_eq!(pushes.len(), 2, "pushed once more after the expired push");
    let opened = opened.expect("the browser was sent");
    // the browser gets the second (fresh) request_uri, not the expired one
    let fresh = url::Url::parse(&opened)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "request_uri")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    assert!(fresh.starts_with("urn:ietf:params:oauth:request_uri:push-"));
    // both pushes carried the same request (state, PKCE)
    assert_eq!(pushes[0].form_value("state"), pushes[1].form_value("state"));
    assert_eq!(
        pushes[0].form_value("code_challenge"),
        pushes[1].form_value("code_challenge")
    );
}

#[test]
fn a_sign_in_whose_every_push_expires_on_the_way_says_so() {
    let _one_at_a_time = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let server = MockServer::start();
    let (e, opened) = sign_in(&server, usize::MAX);
    assert!(
        opened.is_none(),
        "an expired request_uri was sent to the browser"
    );
    assert_eq!(
        server.requests_to("/par").len(),
        3,
        "three pushes, then no more"
    );
    let text = e.to_string();
    assert!(text.contains("expired before the browser"), "{text}");
    assert!(text.contains("expires_in"), "{text}");
}

/// Deploy mode's `/auth/login` redirects the browser to a fresh pushed
/// request: one that expired on the way is pushed again first.
#[test]
fn deploy_login_pushes_again_when_the_pushed_request_expired() {
    use crate::support::deploy_http;
    use oauthkit::store::MemoryStore;
    use oauthkit::web::{DeployHandler, DeployOptions};
    let _one_at_a_time = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let server = MockServer::start();
    *SLOW_LEFT.0.lock().unwrap() = None;
    server.route("/par", Reply::Computed(slow_then_fast, 1));
    let handler = DeployHandler::new(
        Arc::new(provider(&server)),
        Arc::new(MemoryStore::new()),
        DeployOptions::new("https://app.example/"),
    );
    let login = handler.handle(&deploy_http::get("/auth/login"));
    assert_eq!(login.status(), 302, "{}", login.body());
    let location = deploy_http::header(&login, "location").expect("a Location");
    let pushes = server.requests_to("/par");
    assert_eq!(pushes.len(), 2, "pushed once more after the expired push");
    assert!(
        location.starts_with(&server.url("/authorize")),
        "{location}"
    );
    assert!(location.contains("request_uri="), "{location}");
}
