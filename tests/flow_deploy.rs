//! Deploy mode served by tiny_http against the dev provider: concurrent
//! sign-ins with separate cookies, states bound to the browser that
//! started them, single use, logout.

mod support;

use std::sync::Arc;
use std::time::Duration;

use oauthkit::dev_provider::{DevProvider, DevProviderOptions, HeadlessBrowser, PageResponse};
use oauthkit::flow::{DeployHandler, DeployOptions, DeployRequest, DeployServer};
use oauthkit::provider::Provider;
use oauthkit::store::MemoryStore;
use oauthkit::TokenStore;
use support::dev::dev_pair;

struct App {
    idp: DevProvider,
    store: Arc<MemoryStore>,
    server: DeployServer,
}

fn app(options: impl FnOnce(DeployOptions) -> DeployOptions) -> App {
    let (idp, provider) = dev_pair(DevProviderOptions::default().auto_approve(true));
    let store = Arc::new(MemoryStore::new());
    let s2: Arc<dyn TokenStore> = store.clone();
    let server = DeployServer::start("127.0.0.1:0".parse().unwrap(), move |base| {
        DeployHandler::new(
            provider as Arc<dyn Provider>,
            s2,
            options(DeployOptions::new(base)),
        )
    })
    .unwrap();
    App { idp, store, server }
}

fn cookie_pair(r: &PageResponse, name: &str) -> String {
    r.headers_named("set-cookie")
        .into_iter()
        .find(|c| c.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie in {:?}", r.headers))
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

/// `/auth/login` then the provider: the login cookie and the callback URL
/// the provider redirects to.
fn start_login(app: &App) -> (String, String) {
    let r = HeadlessBrowser::get(&format!("{}/auth/login", app.server.base_url())).unwrap();
    assert_eq!(r.status, 302);
    let login_cookie = cookie_pair(&r, "oauthkit_login");
    let set = r.headers_named("set-cookie").join(" | ");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    let at_idp = HeadlessBrowser::get(r.header("location").unwrap()).unwrap();
    assert_eq!(at_idp.status, 302);
    (login_cookie, at_idp.header("location").unwrap().to_string())
}

fn callback(callback_url: &str, cookie: &str) -> PageResponse {
    HeadlessBrowser::send("GET", callback_url, &[("Cookie", cookie)], None).unwrap()
}

fn status(app: &App, cookie: &str) -> serde_json::Value {
    let r = HeadlessBrowser::send(
        "GET",
        &format!("{}/auth/status", app.server.base_url()),
        &[("Cookie", cookie)],
        None,
    )
    .unwrap();
    serde_json::from_str(&r.body).unwrap()
}

#[test]
fn two_concurrent_sign_ins_with_separate_cookies_both_succeed() {
    let app = app(|o| o);
    let (cookie_a, cb_a) = start_login(&app);
    let (cookie_b, cb_b) = start_login(&app);
    assert_ne!(cookie_a, cookie_b);
    // Finish them in the opposite order, concurrently.
    let (rb, ra) = std::thread::scope(|s| {
        let b = s.spawn(|| callback(&cb_b, &cookie_b));
        let a = s.spawn(|| callback(&cb_a, &cookie_a));
        (b.join().unwrap(), a.join().unwrap())
    });
    for r in [&ra, &rb] {
        assert_eq!(r.status, 302, "{}", r.body);
        assert_eq!(r.header("location"), Some("/"));
        let set = r.headers_named("set-cookie").join(" | ");
        assert!(
            set.contains("oauthkit_session=")
                && set.contains("HttpOnly")
                && set.contains("SameSite=Lax")
        );
    }
    let (sa, sb) = (
        cookie_pair(&ra, "oauthkit_session"),
        cookie_pair(&rb, "oauthkit_session"),
    );
    assert_ne!(sa, sb);
    for s in [&sa, &sb] {
        let st = status(&app, s);
        assert_eq!(st["authenticated"], true, "{st}");
        assert_eq!(st["key"], app.idp.user().sub);
    }
    assert_eq!(
        status(&app, "oauthkit_session=forged")["authenticated"],
        false
    );
    assert_eq!(app.idp.token_requests("authorization_code"), 2);
    assert!(app.store.load(&app.idp.user().sub).unwrap().is_some());
}

#[test]
fn a_callback_with_another_sessions_state_fails_and_does_not_burn_it() {
    let app = app(|o| o);
    let (cookie_a, cb_a) = start_login(&app);
    let (cookie_b, _cb_b) = start_login(&app);
    let stolen = callback(&cb_a, &cookie_b);
    assert_eq!(stolen.status, 400);
    assert!(stolen.body.contains("invalid_state"), "{}", stolen.body);
    let none = callback(&cb_a, "other=1");
    assert_eq!(none.status, 400);
    assert_eq!(app.idp.token_requests("authorization_code"), 0);
    // The rightful browser still completes, once.
    assert_eq!(callback(&cb_a, &cookie_a).status, 302);
    let replay = callback(&cb_a, &cookie_a);
    assert_eq!(replay.status, 400, "a state is single use");
    assert_eq!(app.idp.token_requests("authorization_code"), 1);
}

#[test]
fn pending_states_expire() {
    let app = app(|o| o.pending_limits(Duration::from_millis(200), 10));
    let (cookie, cb) = start_login(&app);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(callback(&cb, &cookie).status, 400);
    assert_eq!(app.idp.token_requests("authorization_code"), 0);
}

#[test]
fn logout_revokes_deletes_and_refuses_foreign_origins() {
    let app = app(|o| o);
    let (cookie, cb) = start_login(&app);
    let session = cookie_pair(&callback(&cb, &cookie), "oauthkit_session");
    let tokens = app.store.load(&app.idp.user().sub).unwrap().unwrap();
    let url = format!("{}/auth/logout", app.server.base_url());
    let foreign = HeadlessBrowser::send(
        "POST",
        &url,
        &[("Cookie", &session), ("Origin", "http://evil.test")],
        None,
    )
    .unwrap();
    assert_eq!(foreign.status, 403);
    assert_eq!(status(&app, &session)["authenticated"], true);
    let own = app.server.base_url().to_string();
    let out = HeadlessBrowser::send(
        "POST",
        &url,
        &[("Cookie", &session), ("Origin", &own)],
        None,
    )
    .unwrap();
    assert_eq!(out.status, 200, "{}", out.body);
    assert!(out
        .headers_named("set-cookie")
        .join(" ")
        .contains("Max-Age=0"));
    assert_eq!(status(&app, &session)["authenticated"], false);
    assert!(app.store.load(&app.idp.user().sub).unwrap().is_none());
    assert!(!app.idp.is_token_active(tokens.access_token.expose()));
    assert!(!app
        .idp
        .is_token_active(tokens.refresh_token.unwrap().expose()));
}

#[test]
fn the_handler_can_be_mounted_without_the_server() {
    let (_idp, provider) = dev_pair(DevProviderOptions::default());
    let h = DeployHandler::new(
        provider,
        Arc::new(MemoryStore::new()),
        DeployOptions::new("https://app.example/"),
    );
    assert_eq!(h.redirect_uri(), "https://app.example/auth/callback");
    assert_eq!(
        h.handle(&DeployRequest::new("GET", "/elsewhere")).status,
        404
    );
    assert_eq!(
        h.handle(&DeployRequest::new("GET", "/auth/logout")).status,
        405
    );
    let login = h.handle(&DeployRequest::new("GET", "/auth/login"));
    assert_eq!(login.status, 302);
    let cookie = login.header("set-cookie").unwrap();
    assert!(
        cookie.contains("; Secure"),
        "https base URL gives Secure cookies: {cookie}"
    );
    let cb = h.handle(&DeployRequest::new(
        "GET",
        "/auth/callback?code=x&state=unknown",
    ));
    assert_eq!(cb.status, 400);
}

/// Deploy mode at the independent provider (panva's oidc-provider): two
/// users sign in at once, each in its own cookie jar, login and consent
/// forms submitted over HTTP; each ends with its own session.
#[test]
fn two_users_sign_in_at_the_independent_provider() {
    let idp = support::node_idp::NodeIdp::start();
    let provider = support::dev::client_for(&idp.issuer, &idp.client_id);
    let store = Arc::new(MemoryStore::new());
    let s2: Arc<dyn TokenStore> = store.clone();
    let server = DeployServer::start("127.0.0.1:0".parse().unwrap(), move |base| {
        DeployHandler::new(provider, s2, DeployOptions::new(base))
    })
    .unwrap();
    let base = server.base_url().to_string();
    let sessions: Vec<(String, String)> = std::thread::scope(|s| {
        let runs: Vec<_> = ["grace", "heidi"]
            .into_iter()
            .map(|user| {
                let base = base.clone();
                s.spawn(move || {
                    let r = HeadlessBrowser::get(&format!("{base}/auth/login")).unwrap();
                    assert_eq!(r.status, 302);
                    let cookie = cookie_pair(&r, "oauthkit_login");
                    let redirect = support::interactions::sign_in(
                        r.header("location").unwrap(),
                        &format!("{base}/auth/callback"),
                        user,
                    );
                    let done = callback(&redirect.url, &cookie);
                    assert_eq!(done.status, 302, "{}", done.body);
                    (user.to_string(), cookie_pair(&done, "oauthkit_session"))
                })
            })
            .collect();
        runs.into_iter().map(|r| r.join().unwrap()).collect()
    });
    for (user, session) in &sessions {
        let r = HeadlessBrowser::send(
            "GET",
            &format!("{base}/auth/status"),
            &[("Cookie", session)],
            None,
        )
        .unwrap();
        let st: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(st["authenticated"], true, "{st}");
        assert_eq!(st["key"], user.as_str(), "{st}");
        assert!(store.load(user).unwrap().is_some());
    }
}
