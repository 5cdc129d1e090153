//! The session manager against the dev provider: single flight across 32
//! threads, rotation, invalid_grant, the refresh hook, background refresh.

use crate::support;
use crate::support::mock_http;

use oauthkit::provider::TokenRevocation;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use oauthkit::flow::RpLogout;
use oauthkit::provider::{OAuthProvider, OidcConfig, Provider, TokenTypeHint};
use oauthkit::session::{BackgroundRefresh, LogoutReport, RevocationOutcome, SessionManager};
use oauthkit::store::{JsonFileStore, MemoryStore};
use oauthkit::unversioned::dev_provider::DevProviderOptions;
use oauthkit::{ErrorKind, TokenStore};
use support::dev::{dev_pair, expire, sign_in};

#[test]
fn thirty_two_threads_cause_exactly_one_refresh_with_rotation() {
    let (idp, provider) = dev_pair(
        DevProviderOptions::default()
            .rotate_refresh_tokens(true)
            .token_delay(Duration::from_millis(150)),
    );
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn TokenStore> =
        Arc::new(JsonFileStore::open(dir.path().join("t.json")).unwrap());
    let first = sign_in(&provider, store.clone(), "alice");
    expire(&*store, "alice");
    let hooked = Arc::new(AtomicUsize::new(0));
    let h = hooked.clone();
    let sessions = Arc::new(SessionManager::new(provider, store.clone()).on_refresh(
        move |key, t| {
            assert_eq!(key, "alice");
            assert!(!t.is_expired(60));
            h.fetch_add(1, Ordering::SeqCst);
        },
    ));
    let barrier = Arc::new(Barrier::new(32));
    let threads: Vec<_> = (0..32)
        .map(|_| {
            let (s, b) = (sessions.clone(), barrier.clone());
            std::thread::spawn(move || {
                b.wait();
                s.access_token("alice").unwrap().expose().to_string()
            })
        })
        .collect();
    let tokens: Vec<String> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(idp.token_requests("refresh_token"), 1);
    assert_eq!(hooked.load(Ordering::SeqCst), 1);
    assert!(
        tokens.iter().all(|t| t == &tokens[0]),
        "threads got different tokens"
    );
    assert_ne!(tokens[0], first.access_token.expose());
    let stored = store.load("alice").unwrap().unwrap();
    let new_rt = stored.refresh_token.clone().unwrap();
    let old_rt = first.refresh_token.clone().unwrap();
    assert_ne!(new_rt, old_rt, "the rotated refresh token was saved");
    assert!(!idp.is_token_active(old_rt.expose()));
    assert!(idp.is_token_active(new_rt.expose()));
    assert_eq!(
        stored.identity_id, first.identity_id,
        "identity kept across refresh"
    );
    assert!(stored.id_token.is_some(), "ID token kept across refresh");
}

#[test]
fn a_fresh_token_is_returned_without_a_refresh() {
    let (idp, provider) = dev_pair(DevProviderOptions::default());
    let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::new());
    let first = sign_in(&provider, store.clone(), "bob");
    let sessions = SessionManager::new(provider, store);
    assert_eq!(sessions.access_token("bob").unwrap(), first.access_token);
    assert_eq!(idp.token_requests("refresh_token"), 0);
    let err = sessions.access_token("nobody").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[test]
fn the_old_refresh_token_is_kept_when_none_is_returned() {
    let (idp, provider) = dev_pair(DevProviderOptions::default());
    let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::new());
    let first = sign_in(&provider, store.clone(), "carol");
    expire(&*store, "carol");
    let sessions = SessionManager::new(provider, store.clone());
    let fresh = sessions.tokens("carol").unwrap();
    assert_eq!(idp.token_requests("refresh_token"), 1);
    assert_ne!(fresh.access_token, first.access_token);
    assert_eq!(
        store.load("carol").unwrap().unwrap().refresh_token,
        first.refresh_token
    );
    // A forced refresh works again with the kept token.
    sessions.refresh("carol").unwrap();
    assert_eq!(idp.token_requests("refresh_token"), 2);
}

/// A forced refresh of a token with an hour left and no refresh token
/// says what is true: the token is still valid and cannot be refreshed,
/// not that it "has expired"; the stored token is kept and still served.
#[test]
fn forced_refresh_without_refresh_token_does_not_claim_expiry() {
    let (idp, provider) = dev_pair(DevProviderOptions::default());
    let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::new());
    let bare = oauthkit::TokenSet::bearer("at-still-valid").with_expires_in(3600);
    store.save("erin", &bare).unwrap();
    let sessions = SessionManager::new(provider, store.clone());
    let err = sessions.refresh("erin").unwrap_err();
    let text = err.to_string();
    assert!(!text.contains("expired"), "{text}");
    assert!(
        text.contains("no refresh token") && text.contains("still valid"),
        "{text}"
    );
    assert!(!text.contains("at-still-valid"), "{text}");
    assert_eq!(idp.token_requests("refresh_token"), 0);
    assert_eq!(
        sessions.access_token("erin").unwrap().expose(),
        "at-still-valid"
    );
    // once it has expired, the message says so (and asks for a sign-in)
    expire(&*store, "erin");
    let err = sessions.refresh("erin").unwrap_err();
    assert!(
        err.to_string().contains("has expired") && err.needs_sign_in(),
        "{err}"
    );
}

#[test]
fn invalid_grant_deletes_the_stored_tokens_and_says_so() {
    let (_idp, provider) = dev_pair(DevProviderOptions::default());
    let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::new());
    let first = sign_in(&provider, store.clone(), "dave");
    assert!(provider
        .revoke_token(
            &TokenRevocation::new(first.refresh_token.as_ref().unwrap().expose())
                .hint(TokenTypeHint::RefreshToken)
        )
        .unwrap());
    expire(&*store, "dave");
    let sessions = SessionManager::new(provider, store.clone());
    let err = sessions.access_token("dave").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidGrant);
    assert!(err.to_string().contains("deleted"), "{err}");
    assert!(store.load("dave").unwrap().is_none());
}

#[test]
fn logout_revokes_and_deletes() {
    let (idp, provider) = dev_pair(DevProviderOptions::default());
    let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::new());
    let first = sign_in(&provider, store.clone(), "erin");
    let sessions = SessionManager::new(provider, store.clone());
    let report = sessions.logout("erin").unwrap();
    assert!(report.had_tokens && report.tokens_deleted);
    assert_eq!(report.revocation, RevocationOutcome::Revoked);
    assert_eq!(
        report.revoked_tokens,
        [TokenTypeHint::RefreshToken, TokenTypeHint::AccessToken]
    );
    // Signed out here only: no end-session facts.
    assert_eq!(report.end_session_url, None);
    assert_eq!(report.state, "");
    assert!(!report.provider_session_ended);
    assert!(report.revoked());
    assert!(store.load("erin").unwrap().is_none());
    let again = sessions.logout("erin").unwrap();
    assert!(!again.had_tokens && !again.tokens_deleted);
    assert_eq!(again.revocation, RevocationOutcome::NothingToRevoke);
    assert!(again.revoked_tokens.is_empty());
    assert!(!idp.is_token_active(first.access_token.expose()));
    assert!(!idp.is_token_active(first.refresh_token.unwrap().expose()));
}

#[test]
fn background_refresh_refreshes_and_stops_on_drop() {
    let (idp, provider) = dev_pair(DevProviderOptions::default());
    let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::new());
    sign_in(&provider, store.clone(), "frank");
    expire(&*store, "frank");
    let sessions = Arc::new(SessionManager::new(provider, store.clone()));
    let bg = BackgroundRefresh::start(sessions, vec!["frank".into()], Duration::from_millis(50));
    let until = Instant::now() + Duration::from_secs(5);
    // the refresh is done when its tokens are stored (the provider counts
    // the request before the session manager has saved its answer)
    while store.load("frank").unwrap().unwrap().is_expired(60) && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(!store.load("frank").unwrap().unwrap().is_expired(60));
    assert_eq!(idp.token_requests("refresh_token"), 1);
    let t = Instant::now();
    drop(bg);
    assert!(t.elapsed() < Duration::from_millis(500));
    // Stopped: an expired token is no longer refreshed behind our back.
    expire(&*store, "frank");
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(idp.token_requests("refresh_token"), 1);
}

/// The refresh hook may call back into the session for the same key: it
/// runs after the locks are released, so this does not deadlock.
#[test]
fn the_refresh_hook_can_use_the_session_for_the_same_key() {
    let (_idp, provider) =
        support::dev::dev_pair(oauthkit::unversioned::dev_provider::DevProviderOptions::default());
    let store: Arc<dyn oauthkit::TokenStore> = Arc::new(oauthkit::store::MemoryStore::new());
    support::dev::sign_in(&provider, store.clone(), "k");
    support::dev::expire(&*store, "k");
    let slot: Arc<std::sync::OnceLock<Arc<oauthkit::session::SessionManager>>> = Arc::default();
    let inner = slot.clone();
    let seen = Arc::new(std::sync::Mutex::new(None));
    let seen2 = seen.clone();
    let sessions = Arc::new(
        oauthkit::session::SessionManager::new(provider, store).on_refresh(move |key, _| {
            // Once: a forced refresh of the same key from inside the hook.
            let mut seen = seen2.lock().unwrap();
            if seen.is_none() {
                *seen = Some(String::new());
                drop(seen);
                let again = inner.get().unwrap().refresh(key).unwrap();
                *seen2.lock().unwrap() = Some(again.access_token.expose().to_string());
            }
        }),
    );
    let _ = slot.set(sessions.clone());
    let (tx, rx) = std::sync::mpsc::channel();
    let s2 = sessions.clone();
    std::thread::spawn(move || tx.send(s2.access_token("k").map(|t| t.expose().to_string())));
    let first = rx
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("no deadlock")
        .unwrap();
    let again = seen.lock().unwrap().clone().unwrap();
    assert!(
        !again.is_empty() && again != first,
        "the hook refreshed again"
    );
    assert_eq!(sessions.tokens("k").unwrap().access_token.expose(), again);
}

/// The dev provider's client with its revocation endpoint moved to `url`.
fn with_revocation_at(issuer: &str, client_id: &str, url: &str) -> Arc<dyn Provider> {
    let mut cfg =
        OidcConfig::new(issuer, client_id).scopes(["openid", "email", "profile", "offline_access"]);
    cfg.endpoints.revocation = Some(url.to_string());
    Arc::new(OAuthProvider::oidc(cfg).unwrap())
}

/// Logout against revocation endpoints that fail: nothing listening, a
/// 404, and an error response echoing both tokens. The report says which
/// token failed and why, never contains a token, and the stored tokens are
/// deleted all the same (they stay valid at the provider, and the report
/// says that revocation failed).
#[test]
fn logout_reports_a_failed_revocation_without_secrets() {
    let (idp, provider) = dev_pair(DevProviderOptions::default());
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/revoke", l.local_addr().unwrap())
    };
    let echo = mock_http::MockServer::start();
    for (i, url) in [
        closed,
        format!("{}/no-such-revocation-endpoint", idp.issuer()),
        echo.url("/revoke"),
    ]
    .into_iter()
    .enumerate()
    {
        let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::new());
        let key = format!("user{i}");
        let tokens = sign_in(&provider, store.clone(), &key);
        let at = tokens.access_token.expose().to_string();
        let rt = tokens.refresh_token.as_ref().unwrap().expose().to_string();
        echo.json(
            "/revoke",
            400,
            &serde_json::json!({"error": "invalid_request",
                "error_description": format!("cannot revoke {rt} nor {at}")}),
        );
        let failing = with_revocation_at(idp.issuer(), idp.client_id(), &url);
        let report = SessionManager::new(failing, store.clone())
            .logout(&key)
            .unwrap();
        assert!(
            report.had_tokens && report.tokens_deleted,
            "{url}: {report:?}"
        );
        assert!(!report.revoked(), "{url}");
        let RevocationOutcome::Failed(failures) = &report.revocation else {
            panic!("{url}: {report:?}");
        };
        let which: Vec<TokenTypeHint> = failures.iter().map(|f| f.token).collect();
        assert_eq!(
            which,
            [TokenTypeHint::RefreshToken, TokenTypeHint::AccessToken],
            "{url}"
        );
        let shown = format!("{report:?}");
        for f in failures {
            assert!(!f.reason.is_empty(), "{url}");
            assert!(
                matches!(f.kind, ErrorKind::Http | ErrorKind::OAuth),
                "{url}: {f:?}"
            );
        }
        assert!(!shown.contains(&at) && !shown.contains(&rt), "{shown}");
        assert!(store.load(&key).unwrap().is_none(), "{url}");
        // Revocation really did fail: the tokens are still alive.
        assert!(idp.is_token_active(&rt), "{url}");
    }
    assert_eq!(echo.count("/revoke"), 2);
}

/// The refresh token's revocation accepted, the access token's refused
/// (503): the act is reported alike by `SessionManager::logout` and
/// `RpLogout` (one type, `LogoutReport`), which token was revoked and which
/// failed, and the tokens are deleted either way.
#[test]
fn a_partly_failed_revocation_is_reported_alike_by_both_sign_outs() {
    fn refresh_ok_access_503(r: &mock_http::Recorded, _: usize) -> mock_http::Reply {
        match r.form_value("token_type_hint").as_deref() {
            Some("refresh_token") => mock_http::Reply::status(200),
            _ => mock_http::Reply::json(
                503,
                &serde_json::json!({"error": "temporarily_unavailable"}),
            ),
        }
    }
    let (idp, provider) = dev_pair(DevProviderOptions::default());
    let revoke = mock_http::MockServer::start();
    revoke.route(
        "/revoke",
        mock_http::Reply::Computed(refresh_ok_access_503, 0),
    );
    let partial = with_revocation_at(idp.issuer(), idp.client_id(), &revoke.url("/revoke"));
    let mut reports: Vec<LogoutReport> = Vec::new();
    for (i, rp) in [false, true].into_iter().enumerate() {
        let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::new());
        let key = format!("partial{i}");
        sign_in(&provider, store.clone(), &key);
        let report = if rp {
            RpLogout::new(partial.clone(), store.clone())
                .browser(|_| panic!("the dev provider has no end-session endpoint"))
                .url(&key)
                .unwrap()
        } else {
            SessionManager::new(partial.clone(), store.clone())
                .logout(&key)
                .unwrap()
        };
        assert!(report.had_tokens && report.tokens_deleted, "{report:?}");
        assert_eq!(report.revoked_tokens, [TokenTypeHint::RefreshToken]);
        let RevocationOutcome::Failed(failures) = &report.revocation else {
            panic!("{report:?}");
        };
        assert_eq!(failures.len(), 1, "{report:?}");
        assert_eq!(failures[0].token, TokenTypeHint::AccessToken);
        assert!(!report.revoked());
        assert_eq!(
            (report.end_session_url.as_deref(), report.state.as_str()),
            (None, "")
        );
        assert!(store.load(&key).unwrap().is_none());
        reports.push(report);
    }
    assert_eq!(reports[0], reports[1]);
    assert_eq!(revoke.count("/revoke"), 4);
}

/// Extreme refresh margins (item 5): `Duration::MAX` means "always due",
/// never a wrapped negative margin that makes an expired token look fresh;
/// `Duration::ZERO` refreshes only expired tokens.
#[test]
fn extreme_refresh_margins_do_not_wrap() {
    let (idp, provider) = dev_pair(DevProviderOptions::default());
    let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::new());
    sign_in(&provider, store.clone(), "max");
    let zero = SessionManager::new(provider.clone(), store.clone()).margin(Duration::ZERO);
    zero.tokens("max").unwrap();
    assert_eq!(
        idp.token_requests("refresh_token"),
        0,
        "a fresh token is kept"
    );
    let max = SessionManager::new(provider, store.clone()).margin(Duration::MAX);
    assert!(max.needs_refresh_now("max").unwrap());
    max.tokens("max").unwrap();
    assert_eq!(idp.token_requests("refresh_token"), 1, "always due");
    // An expired token with no expiry margin at all is refreshed.
    expire(&*store, "max");
    zero.tokens("max").unwrap();
    assert_eq!(idp.token_requests("refresh_token"), 2);
}
