//! Deploy mode served by tiny_http against the dev provider: concurrent
//! sign-ins with separate cookies, states bound to the browser that
//! started them, single use, logout.

use crate::support;

use std::sync::Arc;
use std::time::Duration;

use oauthkit::provider::Provider;
use oauthkit::store::MemoryStore;
use oauthkit::unversioned::dev_provider::{
    DevProvider, DevProviderOptions, HeadlessBrowser, PageResponse,
};
use oauthkit::web::{http, DeployHandler, DeployOptions, DeployServer};
use oauthkit::TokenStore;
use support::deploy_http::{self, header, set_cookie as handler_cookie};
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
    let app = app(|o| o.pending_ttl(Duration::from_millis(200)));
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
    assert_eq!(h.handle(&deploy_http::get("/elsewhere")).status(), 404);
    assert_eq!(h.handle(&deploy_http::get("/auth/logout")).status(), 405);
    let login = h.handle(&deploy_http::get("/auth/login"));
    assert_eq!(login.status(), 302);
    let cookie = header(&login, "set-cookie").unwrap();
    assert!(
        cookie.contains("; Secure"),
        "https base URL gives Secure cookies: {cookie}"
    );
    let cb = h.handle(&deploy_http::get("/auth/callback?code=x&state=unknown"));
    assert_eq!(cb.status(), 400);
}

/// Deploy mode at the independent provider (panva's oidc-provider): two
/// users sign in at once, each in its own cookie jar, login and consent
/// forms submitted over HTTP; each ends with its own session.
#[test]
fn two_users_sign_in_at_the_independent_provider() {
    needs!(Node);
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

/// Starvation: a victim's sign-in is pending (login done, the provider has
/// redirected back with a code) while tens of thousands of anonymous
/// `/auth/login` requests arrive, from clients with no cookie and from one
/// client re-using one cookie. The victim's sign-in then completes.
#[test]
fn a_login_flood_does_not_evict_a_pending_sign_in() {
    let (idp, provider) = dev_pair(DevProviderOptions::default().auto_approve(true));
    let store = Arc::new(MemoryStore::new());
    let handler = Arc::new(DeployHandler::new(
        provider,
        store.clone(),
        DeployOptions::new("http://127.0.0.1:9"),
    ));
    let login = handler.handle(&deploy_http::get("/auth/login"));
    assert_eq!(login.status(), 302);
    let victim = handler_cookie(&login, "oauthkit_login");
    let at_idp = HeadlessBrowser::get(header(&login, "location").unwrap()).unwrap();
    assert_eq!(at_idp.status, 302);
    let back = at_idp.header("location").unwrap().to_string();
    let target = back.strip_prefix("http://127.0.0.1:9").unwrap().to_string();

    const PER_THREAD: usize = 12_000;
    std::thread::scope(|s| {
        for t in 0..3 {
            let handler = handler.clone();
            s.spawn(move || {
                // Thread 0 floods with one cookie of its own; the others
                // come without any cookie.
                let mut flooder_cookie: Option<String> = None;
                for _ in 0..PER_THREAD {
                    let rq = match (&flooder_cookie, t) {
                        (Some(c), 0) => deploy_http::get_with_cookie("/auth/login", c),
                        _ => deploy_http::get("/auth/login"),
                    };
                    let r = handler.handle(&rq);
                    assert_eq!(r.status(), 302);
                    if t == 0 && flooder_cookie.is_none() {
                        flooder_cookie = Some(handler_cookie(&r, "oauthkit_login"));
                    }
                }
            });
        }
    });
    let done = handler.handle(&deploy_http::get_with_cookie(&target, victim.clone()));
    assert_eq!(done.status(), 302, "{}", done.body());
    let session = handler_cookie(&done, "oauthkit_session");
    let st = handler.handle(&deploy_http::get_with_cookie("/auth/status", session));
    assert!(
        st.body().contains("\"authenticated\":true"),
        "{}",
        st.body()
    );
    assert_eq!(idp.token_requests("authorization_code"), 1);
    assert!(store.load(&idp.user().sub).unwrap().is_some());
    // Still single use after the flood.
    let replay = handler.handle(&deploy_http::get_with_cookie(&target, victim));
    assert_eq!(replay.status(), 400);
    assert_eq!(idp.token_requests("authorization_code"), 1);
}

/// The same over real TCP through `DeployServer`: a few thousand
/// anonymous logins between the victim's login and its callback.
#[test]
fn a_login_flood_over_tcp_does_not_evict_a_pending_sign_in() {
    let app = app(|o| o);
    let (cookie, cb) = start_login(&app);
    let login_url = format!("{}/auth/login", app.server.base_url());
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                for _ in 0..700 {
                    assert_eq!(HeadlessBrowser::get(&login_url).unwrap().status, 302);
                }
            });
        }
    });
    let done = callback(&cb, &cookie);
    assert_eq!(done.status, 302, "{}", done.body);
    assert_eq!(app.idp.token_requests("authorization_code"), 1);
}

/// Signs in through the server; the session cookie pair.
fn signed_in(app: &App) -> String {
    let (cookie, cb) = start_login(app);
    let done = callback(&cb, &cookie);
    assert_eq!(done.status, 302, "{}", done.body);
    cookie_pair(&done, "oauthkit_session")
}

fn post_logout(app: &App, headers: &[(&str, &str)]) -> PageResponse {
    let url = format!("{}/auth/logout", app.server.base_url());
    HeadlessBrowser::send("POST", &url, headers, None).unwrap()
}

/// CSRF on logout: without `Origin`, only `Sec-Fetch-Site: same-origin`
/// or the session's CSRF token proves the request same-origin; a foreign,
/// `null` or sibling origin is refused whatever else the request says.
#[test]
fn logout_needs_proof_of_same_origin() {
    let app = app(|o| o);
    let session = signed_in(&app);
    let base = app.server.base_url().to_string();
    let port: u16 = base.rsplit(':').next().unwrap().parse().unwrap();
    let other_port = format!("http://127.0.0.1:{}", port.wrapping_add(1));
    let https = base.replacen("http://", "https://", 1);
    let refused: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("no Origin, no proof", vec![]),
        (
            "Sec-Fetch-Site: cross-site",
            vec![("Sec-Fetch-Site", "cross-site")],
        ),
        (
            "Sec-Fetch-Site: same-site",
            vec![("Sec-Fetch-Site", "same-site")],
        ),
        ("Sec-Fetch-Site: none", vec![("Sec-Fetch-Site", "none")]),
        ("Origin: null", vec![("Origin", "null")]),
        ("foreign Origin", vec![("Origin", "http://evil.test")]),
        (
            "foreign Origin claiming same-origin",
            vec![
                ("Origin", "http://evil.test"),
                ("Sec-Fetch-Site", "same-origin"),
            ],
        ),
        ("another port", vec![("Origin", &other_port)]),
        ("another scheme", vec![("Origin", &https)]),
        (
            "own Origin but a cross-site fetch",
            vec![("Origin", &base), ("Sec-Fetch-Site", "cross-site")],
        ),
        ("a wrong CSRF token", vec![("X-CSRF-Token", "forged")]),
        ("an empty CSRF token", vec![("X-CSRF-Token", "")]),
    ];
    for (what, extra) in &refused {
        let mut headers = vec![("Cookie", session.as_str())];
        headers.extend(extra.iter().cloned());
        let r = post_logout(&app, &headers);
        assert_eq!(r.status, 403, "{what}: {}", r.body);
        assert_eq!(status(&app, &session)["authenticated"], true, "{what}");
    }
    // Sec-Fetch-Site: same-origin without Origin is enough.
    let r = post_logout(
        &app,
        &[("Cookie", &session), ("Sec-Fetch-Site", "same-origin")],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(status(&app, &session)["authenticated"], false);
    // So is the session's CSRF token, read from /auth/status.
    let session = signed_in(&app);
    let token = status(&app, &session)["csrf_token"]
        .as_str()
        .expect("/auth/status names the CSRF token")
        .to_string();
    let other = signed_in(&app);
    let foreign_token = status(&app, &other)["csrf_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(token, foreign_token);
    let r = post_logout(
        &app,
        &[("Cookie", &session), ("X-CSRF-Token", &foreign_token)],
    );
    assert_eq!(r.status, 403, "another session's token: {}", r.body);
    let r = post_logout(&app, &[("Cookie", &session), ("X-CSRF-Token", &token)]);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(status(&app, &session)["authenticated"], false);
    // And the own Origin, as before.
    let r = post_logout(&app, &[("Cookie", &other), ("Origin", &base)]);
    assert_eq!(r.status, 200, "{}", r.body);
}

/// A fresh random 256-bit cookie key.
fn fresh_key() -> [u8; 32] {
    rand::random()
}

/// A handler at `base` for the dev provider, with `options` applied.
fn handler_at(
    provider: Arc<dyn Provider>,
    store: Arc<MemoryStore>,
    base: &str,
    options: impl FnOnce(DeployOptions) -> DeployOptions,
) -> DeployHandler {
    DeployHandler::new(provider, store, options(DeployOptions::new(base)))
}

/// `/auth/login` on `h`, then the provider: the login cookie pair and the
/// callback target (path and query) the provider redirects to.
fn handler_login(h: &DeployHandler, base: &str) -> (String, String) {
    let login = h.handle(&deploy_http::get("/auth/login"));
    assert_eq!(login.status(), 302, "{}", login.body());
    let cookie = handler_cookie(&login, "oauthkit_login");
    let at_idp = HeadlessBrowser::get(header(&login, "location").unwrap()).unwrap();
    assert_eq!(at_idp.status, 302);
    let back = at_idp.header("location").unwrap();
    (cookie, back.strip_prefix(base).unwrap().to_string())
}

/// Login cookies are sealed: altered, truncated, re-encoded, made by
/// another deployment, or carrying another sign-in's state, they fail
/// with 400 and nothing reaches the provider; the genuine one then works.
/// Instances sharing a cookie key finish each other's sign-ins.
#[test]
fn login_cookies_are_sealed_and_bound_to_the_deployment() {
    let (idp, provider) = dev_pair(DevProviderOptions::default().auto_approve(true));
    let store = Arc::new(MemoryStore::new());
    let base = "http://127.0.0.1:9";
    let key = fresh_key();
    let a = handler_at(provider.clone(), store.clone(), base, |o| o.cookie_key(key));
    let b = handler_at(provider.clone(), store.clone(), base, |o| o.cookie_key(key));
    let stranger = handler_at(provider.clone(), store.clone(), base, |o| o);
    let other_site = handler_at(provider, store.clone(), "http://127.0.0.1:10", |o| {
        o.cookie_key(key)
    });
    let (cookie, target) = handler_login(&a, base);
    let value = cookie.strip_prefix("oauthkit_login=").unwrap().to_string();
    let mut forged: Vec<String> = Vec::new();
    for i in [0, value.len() / 2, value.len() - 1] {
        let mut v = value.clone().into_bytes();
        v[i] = if v[i] == b'A' { b'B' } else { b'A' };
        forged.push(String::from_utf8(v).unwrap());
    }
    forged.push(value[..value.len() - 4].to_string());
    forged.push(format!("{value}AAAA"));
    forged.push(String::new());
    forged.push("x".repeat(10_000));
    let (_, other_target) = handler_login(&a, base);
    for v in &forged {
        let r = a.handle(&deploy_http::get_with_cookie(
            &target,
            format!("oauthkit_login={v}"),
        ));
        assert_eq!(r.status(), 400, "{v}");
        assert!(r.body().contains("invalid_state"), "{}", r.body());
    }
    // Genuine cookie, but the callback of another sign-in.
    let r = a.handle(&deploy_http::get_with_cookie(&other_target, cookie.clone()));
    assert_eq!(r.status(), 400);
    assert!(r.body().contains("another browser"), "{}", r.body());
    // Another key, another deployment with the same key.
    for h in [&stranger, &other_site] {
        let r = h.handle(&deploy_http::get_with_cookie(&target, cookie.clone()));
        assert_eq!(r.status(), 400, "{}", r.body());
    }
    assert_eq!(idp.token_requests("authorization_code"), 0);
    // Started on `a`, finished on `b` (same key, same base URL).
    let done = b.handle(&deploy_http::get_with_cookie(&target, cookie));
    assert_eq!(done.status(), 302, "{}", done.body());
    assert_eq!(idp.token_requests("authorization_code"), 1);
}

/// Extreme lifetimes (item 5): `Duration::MAX` for sessions and pending
/// sign-ins neither panics nor overflows; cookies are capped at 400 days.
#[test]
fn extreme_lifetimes_are_capped_not_overflowed() {
    let (idp, provider) = dev_pair(DevProviderOptions::default().auto_approve(true));
    let store = Arc::new(MemoryStore::new());
    let base = "http://127.0.0.1:9";
    let h = handler_at(provider, store, base, |o| {
        o.session_ttl(Duration::MAX).pending_ttl(Duration::MAX)
    });
    let login = h.handle(&deploy_http::get("/auth/login"));
    let set = header(&login, "set-cookie").unwrap().to_string();
    assert!(set.contains("Max-Age=34560000"), "{set}");
    let (cookie, target) = handler_login(&h, base);
    let done = h.handle(&deploy_http::get_with_cookie(&target, cookie));
    assert_eq!(done.status(), 302, "{}", done.body());
    let session = handler_cookie(&done, "oauthkit_session");
    let all = done
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect::<Vec<_>>()
        .join(" | ");
    assert!(all.contains("Max-Age=34560000"), "{all}");
    let st = h.handle(&deploy_http::get_with_cookie("/auth/status", session));
    assert!(
        st.body().contains("\"authenticated\":true"),
        "{}",
        st.body()
    );
    assert_eq!(idp.token_requests("authorization_code"), 1);
    // Zero lifetimes: a pending sign-in is expired at once.
    let (_idp2, provider) = dev_pair(DevProviderOptions::default().auto_approve(true));
    let h = handler_at(provider, Arc::new(MemoryStore::new()), base, |o| {
        o.session_ttl(Duration::ZERO).pending_ttl(Duration::ZERO)
    });
    let (cookie, target) = handler_login(&h, base);
    let r = h.handle(&deploy_http::get_with_cookie(&target, cookie));
    assert_eq!(r.status(), 400, "{}", r.body());
}

/// Logout in deploy mode when the provider's revocation endpoint fails:
/// signed out (session and stored tokens gone), and the answer says the
/// revocation failed, for which tokens, without any token in it.
#[test]
fn deploy_logout_reports_a_failed_revocation() {
    let idp = DevProvider::start(DevProviderOptions::default().auto_approve(true)).unwrap();
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/revoke", l.local_addr().unwrap())
    };
    let mut cfg = oauthkit::provider::OidcConfig::new(idp.issuer(), idp.client_id()).scopes([
        "openid",
        "email",
        "profile",
        "offline_access",
    ]);
    cfg.endpoints.revocation = Some(closed);
    let provider: Arc<dyn Provider> =
        Arc::new(oauthkit::provider::OAuthProvider::oidc(cfg).unwrap());
    let store = Arc::new(MemoryStore::new());
    let base = "http://127.0.0.1:9";
    let h = handler_at(provider, store.clone(), base, |o| o);
    let (cookie, target) = handler_login(&h, base);
    let done = h.handle(&deploy_http::get_with_cookie(&target, cookie));
    let session = handler_cookie(&done, "oauthkit_session");
    let tokens = store.load(&idp.user().sub).unwrap().unwrap();
    let out = h.handle(&deploy_http::request(
        "POST",
        "/auth/logout",
        &[("cookie", &session), ("origin", base)],
    ));
    assert_eq!(out.status(), 200, "{}", out.body());
    let v: serde_json::Value = serde_json::from_str(out.body()).unwrap();
    assert_eq!(v["success"], true, "{v}");
    assert_eq!(v["revoked"], false, "{v}");
    assert_eq!(v["revocation"], "failed", "{v}");
    assert_eq!(v["tokens_deleted"], true, "{v}");
    let errors = v["revocation_errors"].as_array().unwrap();
    assert_eq!(errors[0]["token"], "refresh_token");
    assert_eq!(errors[1]["token"], "access_token");
    assert!(
        errors[0]["error"].as_str().unwrap().contains("revocation"),
        "{v}"
    );
    assert!(!out.body().contains(tokens.access_token.expose()));
    assert!(!out
        .body()
        .contains(tokens.refresh_token.as_ref().unwrap().expose()));
    assert!(store.load(&idp.user().sub).unwrap().is_none());
    let st = h.handle(&deploy_http::get_with_cookie("/auth/status", session));
    assert!(
        st.body().contains("\"authenticated\":false"),
        "{}",
        st.body()
    );
    assert!(idp.is_token_active(tokens.access_token.expose()));
}

/// Cookie tossing: a sibling site (or an earlier login in another tab)
/// can make the browser send a second `oauthkit_login` cookie, placed
/// first. The genuine cookie still finishes its own sign-in, once.
#[test]
fn a_tossed_login_cookie_does_not_shadow_the_genuine_one() {
    let (idp, provider) = dev_pair(DevProviderOptions::default().auto_approve(true));
    let store = Arc::new(MemoryStore::new());
    let base = "http://127.0.0.1:9";
    let h = handler_at(provider, store, base, |o| o);
    let (attacker, _) = handler_login(&h, base);
    for shape in ["another genuine", "garbage", "empty"] {
        let (victim, target) = handler_login(&h, base);
        let header = match shape {
            "another genuine" => format!("{attacker}; {victim}"),
            "garbage" => format!("oauthkit_login=garbage; {victim}"),
            _ => format!("oauthkit_login=; other=1; {victim}"),
        };
        let r = h.handle(&deploy_http::get_with_cookie(&target, header.clone()));
        assert_eq!(r.status(), 302, "{shape}: {}", r.body());
        let replay = h.handle(&deploy_http::get_with_cookie(&target, header));
        assert_eq!(replay.status(), 400, "{shape}: single use");
    }
    assert_eq!(idp.token_requests("authorization_code"), 3);
    // Only the attacker's cookie: refused as another browser's sign-in.
    let (_, target) = handler_login(&h, base);
    let r = h.handle(&deploy_http::get_with_cookie(&target, attacker));
    assert_eq!(r.status(), 400);
    assert!(r.body().contains("another browser"), "{}", r.body());
}

/// Follows `/auth/login` with `prompt=none` in `browser` and returns the
/// `error` the provider sends back to the callback.
fn prompt_none_error(browser: &mut support::interactions::Browser, base: &str) -> String {
    let login = browser.get(&format!("{base}/auth/login"));
    let mut page = browser.get(&format!("{}&prompt=none", login.location.unwrap()));
    for _ in 0..10 {
        let next = page.location.clone().expect("a redirect");
        if next.starts_with(&format!("{base}/auth/callback")) {
            let u = url::Url::parse(&next).unwrap();
            return u
                .query_pairs()
                .find(|(k, _)| k == "error")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
        }
        page = browser.get(&next);
    }
    panic!("no redirect back to the deployment");
}

/// RP-initiated logout from deploy mode at panva's oidc-provider: `POST
/// /auth/logout` revokes and deletes, then sends the browser to the
/// provider's end-session endpoint; once the user confirms there, the
/// provider's session is over (a `prompt=none` sign-in in the same browser
/// gets `login_required`, where before it got `interaction_required`).
#[test]
fn logout_redirects_to_the_provider_and_ends_its_session() {
    needs!(Node);
    let idp = support::node_idp::NodeIdp::start();
    let provider = support::dev::client_for(&idp.issuer, &idp.client_id);
    let store = Arc::new(MemoryStore::new());
    let s2: Arc<dyn TokenStore> = store.clone();
    let server = DeployServer::start("127.0.0.1:0".parse().unwrap(), move |base| {
        DeployHandler::new(
            provider,
            s2,
            DeployOptions::new(base).post_logout_redirect_uri("/logged-out"),
        )
    })
    .unwrap();
    let base = server.base_url().to_string();
    let mut browser = support::interactions::Browser::new(&idp.issuer);
    let login = browser.get(&format!("{base}/auth/login"));
    let redirect = support::interactions::sign_in_with(
        &mut browser,
        &login.location.unwrap(),
        &format!("{base}/auth/callback"),
        "ivan",
    );
    let done = browser.get(&redirect.url);
    assert_eq!(done.status, 302, "{}", done.body);
    let tokens = store.load("ivan").unwrap().expect("signed in");
    let id_token = tokens.id_token.clone().expect("an ID token");
    assert_eq!(
        prompt_none_error(&mut browser, &base),
        "interaction_required"
    );

    let agent = ureq::Agent::config_builder()
        .max_redirects(0)
        .max_redirects_will_error(false)
        .http_status_as_error(false)
        .build()
        .new_agent();
    let mut out = agent
        .post(&format!("{base}/auth/logout"))
        .header("cookie", browser.cookie_header())
        .header("origin", &base)
        .send_empty()
        .unwrap();
    assert_eq!(out.status().as_u16(), 303);
    let location = out
        .headers()
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let body: serde_json::Value =
        serde_json::from_str(&out.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(body["provider_logout"], "redirect", "{body}");
    assert_eq!(body["tokens_deleted"], true, "{body}");
    assert_eq!(body["revoked"], true, "{body}");
    assert!(store.load("ivan").unwrap().is_none());
    let end = url::Url::parse(&location).unwrap();
    assert!(location.starts_with(&idp.issuer), "{location}");
    let param = |name: &str| {
        end.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    assert_eq!(
        param("id_token_hint").as_deref(),
        Some(id_token.expose()),
        "{location}"
    );
    assert_eq!(param("client_id").as_deref(), Some(idp.client_id.as_str()));
    assert_eq!(
        param("post_logout_redirect_uri"),
        Some(format!("{base}/logged-out"))
    );
    let state = param("state").expect("a state");
    assert!(state.len() >= 32, "{state}");

    // the user confirms at the provider, which sends the browser back
    let page = browser.get(&location);
    let (action, hidden) =
        support::interactions::form_of(&page.body).expect("the provider's logout form");
    let action = browser.origin.join(&action).unwrap().to_string();
    let mut form: Vec<(&str, &str)> = hidden
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    form.push(("logout", "yes"));
    let mut page = browser.post(&action, &form);
    let back = loop {
        let next = page.location.clone().expect("a redirect after the logout");
        if next.starts_with(&format!("{base}/logged-out")) {
            break next;
        }
        page = browser.get(&next);
    };
    assert!(back.contains(&format!("state={state}")), "{back}");
    assert_eq!(prompt_none_error(&mut browser, &base), "login_required");
}

/// A provider without an end-session endpoint (the dev provider): the JSON
/// answer as before, saying the provider's session was not ended.
#[test]
fn logout_without_an_end_session_endpoint_answers_json() {
    let app = app(|o| o.post_logout_redirect_uri("/bye"));
    let (cookie, cb) = start_login(&app);
    let session = cookie_pair(&callback(&cb, &cookie), "oauthkit_session");
    let own = app.server.base_url().to_string();
    let out = HeadlessBrowser::send(
        "POST",
        &format!("{own}/auth/logout"),
        &[("Cookie", &session), ("Origin", &own)],
        None,
    )
    .unwrap();
    assert_eq!(out.status, 200, "{}", out.body);
    let body: serde_json::Value = serde_json::from_str(&out.body).unwrap();
    assert_eq!(body["provider_logout"], "not_supported", "{body}");
    assert_eq!(body["tokens_deleted"], true, "{body}");
}

/// Deploy-mode instances behind one public URL (a load balancer's), each
/// with its own connection to one shared store.
struct Fleet {
    public: String,
    key: [u8; 32],
    provider: Arc<dyn Provider>,
}

impl Fleet {
    fn instance(&self, store: Arc<dyn TokenStore>) -> DeployServer {
        let (public, key, provider) = (self.public.clone(), self.key, self.provider.clone());
        let handler =
            DeployHandler::new(provider, store, DeployOptions::new(public).cookie_key(key));
        DeployServer::serve("127.0.0.1:0".parse().unwrap(), handler).unwrap()
    }

    /// `url` (on the public address) sent to `server` instead, as the
    /// load balancer would.
    fn via(&self, server: &DeployServer, url: &str) -> String {
        let rest = url
            .strip_prefix(&self.public)
            .unwrap_or_else(|| panic!("{url}"));
        format!("{}{rest}", server.base_url())
    }
}

fn status_at(server: &DeployServer, cookie: &str) -> serde_json::Value {
    let r = HeadlessBrowser::send(
        "GET",
        &format!("{}/auth/status", server.base_url()),
        &[("Cookie", cookie)],
        None,
    )
    .unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    serde_json::from_str(&r.body).unwrap()
}

fn logout_at(fleet: &Fleet, server: &DeployServer, cookie: &str) -> PageResponse {
    HeadlessBrowser::send(
        "POST",
        &format!("{}/auth/logout", server.base_url()),
        &[("Cookie", cookie), ("Origin", &fleet.public)],
        None,
    )
    .unwrap()
}

/// Opens one more handle on a shared store.
type OpenStore<'a> = dyn Fn() -> Arc<dyn TokenStore> + 'a;

/// Issue 26 §1: three instances sharing a store (Redis; one SQLite file;
/// one JSON file, each instance with its own handle) and a cookie key,
/// against panva's oidc-provider. Login on A, callback on B; status from
/// every instance; the callback replayed on C is refused before the
/// provider is asked; a restarted instance keeps the session; logout on C
/// ends it on every instance and deletes the tokens.
#[test]
fn sessions_and_used_callbacks_are_shared_by_every_instance() {
    let idp = support::node_idp::NodeIdp::start();
    let redis = support::servers::RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let stores: Vec<(&str, Box<OpenStore>)> = vec![
        (
            "redis",
            Box::new(|| Arc::new(oauthkit::store::RedisStore::open_url(&redis.url()).unwrap())),
        ),
        (
            "sqlite",
            Box::new(|| {
                Arc::new(oauthkit::store::SqliteStore::open(dir.path().join("t.db")).unwrap())
            }),
        ),
        (
            "file",
            Box::new(|| {
                Arc::new(oauthkit::store::JsonFileStore::open(dir.path().join("t.json")).unwrap())
            }),
        ),
    ];
    for (i, (kind, open)) in stores.iter().enumerate() {
        let fleet = Fleet {
            public: format!("http://127.0.0.1:{}", support::servers::free_port()),
            key: fresh_key(),
            provider: support::dev::client_for(&idp.issuer, &idp.client_id),
        };
        let user = format!("user-{kind}");
        let a = fleet.instance(open());
        let b = fleet.instance(open());
        let c = fleet.instance(open());
        let login = HeadlessBrowser::get(&format!("{}/auth/login", a.base_url())).unwrap();
        assert_eq!(login.status, 302, "{kind}: {}", login.body);
        let login_cookie = cookie_pair(&login, "oauthkit_login");
        let redirect = support::interactions::sign_in(
            login.header("location").unwrap(),
            &format!("{}/auth/callback", fleet.public),
            &user,
        );
        let done = callback(&fleet.via(&b, &redirect.url), &login_cookie);
        assert_eq!(done.status, 302, "{kind}: {}", done.body);
        let session = cookie_pair(&done, "oauthkit_session");
        let exchanges = idp.stats()["token_requests"]["authorization_code"].clone();
        assert_eq!(exchanges, i + 1, "{kind}");
        for server in [&a, &b, &c] {
            let st = status_at(server, &session);
            assert_eq!(st["authenticated"], true, "{kind}: {st}");
            assert_eq!(st["key"], user.as_str(), "{kind}: {st}");
        }
        // The same callback with the same cookie, replayed on C and on B:
        // refused here, the provider never asked again.
        for server in [&c, &b] {
            let replay = callback(&fleet.via(server, &redirect.url), &login_cookie);
            assert_eq!(replay.status, 400, "{kind}: {}", replay.body);
            assert!(
                replay.body.contains("already used"),
                "{kind}: {}",
                replay.body
            );
        }
        assert_eq!(
            idp.stats()["token_requests"]["authorization_code"],
            exchanges,
            "{kind}: a replayed callback reached the provider"
        );
        // A restart keeps the session.
        drop(a);
        let a = fleet.instance(open());
        assert_eq!(status_at(&a, &session)["authenticated"], true, "{kind}");
        // Logout on C ends it everywhere and deletes the tokens.
        let store = open();
        assert!(store.load(&user).unwrap().is_some(), "{kind}");
        let out = logout_at(&fleet, &c, &session);
        assert_eq!(out.status, 200, "{kind}: {}", out.body);
        assert!(store.load(&user).unwrap().is_none(), "{kind}");
        for server in [&a, &b, &c] {
            assert_eq!(
                status_at(server, &session)["authenticated"],
                false,
                "{kind}"
            );
        }
        assert_eq!(logout_at(&fleet, &b, &session).status, 401, "{kind}");
        // The store holds the records under hashed ids: the cookie's id is
        // nowhere in it.
        let id = session.split_once('=').unwrap().1;
        assert!(
            store.list_keys().unwrap().iter().all(|k| !k.contains(id)),
            "{kind}"
        );
    }
}

/// Cookie key rotation (issue 26): an instance with the new key as current
/// and the old as previous finishes sign-ins started under the old key and
/// seals new ones with the new key only; an instance without the old key
/// refuses an old cookie, and nothing reaches the provider for it.
#[test]
fn cookie_keys_rotate_without_breaking_pending_sign_ins() {
    let (idp, provider) = dev_pair(DevProviderOptions::default().auto_approve(true));
    let store = Arc::new(MemoryStore::new());
    let base = "http://127.0.0.1:9";
    let (old, new) = (fresh_key(), fresh_key());
    let before = handler_at(provider.clone(), store.clone(), base, |o| o.cookie_key(old));
    let rotated = handler_at(provider.clone(), store.clone(), base, |o| {
        o.cookie_key(new).previous_cookie_keys([old])
    });
    let dropped_old = handler_at(provider.clone(), store.clone(), base, |o| o.cookie_key(new));
    let (old_cookie, old_target) = handler_login(&before, base);
    let (old_cookie2, old_target2) = handler_login(&before, base);
    let r = dropped_old.handle(&deploy_http::get_with_cookie(
        &old_target2,
        old_cookie2.clone(),
    ));
    assert_eq!(r.status(), 400, "{}", r.body());
    assert_eq!(idp.token_requests("authorization_code"), 0);
    let done = rotated.handle(&deploy_http::get_with_cookie(&old_target, old_cookie));
    assert_eq!(done.status(), 302, "{}", done.body());
    assert_eq!(idp.token_requests("authorization_code"), 1);
    // New cookies: sealed with the new key (the old-key-only instance
    // cannot open them, the new-key-only one can).
    let (new_cookie, new_target) = handler_login(&rotated, base);
    let r = before.handle(&deploy_http::get_with_cookie(
        &new_target,
        new_cookie.clone(),
    ));
    assert_eq!(r.status(), 400, "{}", r.body());
    assert_eq!(idp.token_requests("authorization_code"), 1);
    let done = dropped_old.handle(&deploy_http::get_with_cookie(&new_target, new_cookie));
    assert_eq!(done.status(), 302, "{}", done.body());
}

/// The redirect URI a login response sends to the provider.
fn redirect_uri_of(r: &oauthkit::unversioned::dev_provider::PageResponse) -> String {
    let u = url::Url::parse(r.header("location").unwrap()).unwrap();
    u.query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .map(|(_, v)| v.into_owned())
        .unwrap()
}

/// Forwarded headers (issue 26): by default `Forwarded` and
/// `X-Forwarded-*` are ignored, whatever they say (the redirect URI stays
/// the configured public one, a logout from the forged origin is refused,
/// cookies keep their `Secure` setting); trusted, the proxy's origin is
/// used. The server serves a handler built for a public URL that is not its
/// own listening address.
#[test]
fn forwarded_headers_are_ignored_unless_trusted() {
    let (_idp, provider) = dev_pair(DevProviderOptions::default().auto_approve(true));
    let store = Arc::new(MemoryStore::new());
    let public = "http://127.0.0.1:9/app";
    let forged: &[&[(&str, &str)]] = &[
        &[
            ("X-Forwarded-Host", "evil.example"),
            ("X-Forwarded-Proto", "https"),
        ],
        &[("Forwarded", "proto=https;host=evil.example")],
        &[(
            "Forwarded",
            "for=1.2.3.4;host=\"evil.example\";proto=https, host=app.example",
        )],
        &[("X-Forwarded-Host", "evil.example:444")],
    ];
    let plain = DeployServer::serve(
        "127.0.0.1:0".parse().unwrap(),
        handler_at(provider.clone(), store.clone(), public, |o| o),
    )
    .unwrap();
    let trusting = DeployServer::serve(
        "127.0.0.1:0".parse().unwrap(),
        handler_at(provider.clone(), store.clone(), public, |o| {
            o.trust_forwarded_headers(true)
        }),
    )
    .unwrap();
    for headers in forged {
        let r = HeadlessBrowser::send(
            "GET",
            &format!("{}/auth/login", plain.base_url()),
            headers,
            None,
        )
        .unwrap();
        assert_eq!(r.status, 302, "{}", r.body);
        assert_eq!(
            redirect_uri_of(&r),
            format!("{public}/auth/callback"),
            "{headers:?}"
        );
        assert!(!r.headers_named("set-cookie").join(";").contains("Secure"));
        // Trusted: the proxy's origin, with the configured path.
        let r = HeadlessBrowser::send(
            "GET",
            &format!("{}/auth/login", trusting.base_url()),
            headers,
            None,
        )
        .unwrap();
        let uri = redirect_uri_of(&r);
        assert!(uri.contains("://evil.example"), "{headers:?}: {uri}");
        assert!(uri.ends_with("/app/auth/callback"), "{uri}");
    }
    // Trusted https: Secure cookies.
    let r = HeadlessBrowser::send(
        "GET",
        &format!("{}/auth/login", trusting.base_url()),
        forged[1],
        None,
    )
    .unwrap();
    assert!(r.headers_named("set-cookie").join(";").contains("Secure"));
    // Garbage in a trusted header falls back to the configured URL.
    for junk in ["evil.example/path", "user@evil.example", "", "evil example"] {
        let r = HeadlessBrowser::send(
            "GET",
            &format!("{}/auth/login", trusting.base_url()),
            &[("X-Forwarded-Host", junk)],
            None,
        )
        .unwrap();
        assert_eq!(
            redirect_uri_of(&r),
            format!("{public}/auth/callback"),
            "{junk:?}"
        );
    }
    // Logout: a forged forwarded origin does not make a foreign Origin
    // look same-origin, unless the deployment trusts the proxy.
    let h = handler_at(provider.clone(), store.clone(), public, |o| o);
    let r = h.handle(&deploy_http::request(
        "POST",
        "/auth/logout",
        &[
            ("cookie", "oauthkit_session=x"),
            ("origin", "https://evil.example"),
            ("x-forwarded-host", "evil.example"),
        ],
    ));
    assert_eq!(r.status(), 403, "{}", r.body());
    let h = handler_at(provider, store, public, |o| o.trust_forwarded_headers(true));
    let r = h.handle(&deploy_http::request(
        "POST",
        "/auth/logout",
        &[
            ("cookie", "oauthkit_session=x"),
            ("origin", "https://evil.example"),
            ("x-forwarded-host", "evil.example"),
        ],
    ));
    assert_eq!(
        r.status(),
        401,
        "origin accepted, then no session: {}",
        r.body()
    );
}

/// A store that takes Redis down the moment the callback saves the user's
/// tokens (after the code exchange), and remembers what it was given.
struct DiesAtSave {
    inner: oauthkit::store::RedisStore,
    redis: std::sync::Mutex<support::servers::RedisServer>,
    seen: std::sync::Mutex<Vec<oauthkit::TokenSet>>,
    armed: std::sync::atomic::AtomicBool,
}

impl TokenStore for DiesAtSave {
    fn save(&self, key: &str, tokens: &oauthkit::TokenSet) -> oauthkit::Result<()> {
        if !key.starts_with("oauthkit-deploy-")
            && self.armed.swap(false, std::sync::atomic::Ordering::SeqCst)
        {
            self.seen.lock().unwrap().push(tokens.clone());
            self.redis.lock().unwrap().stop();
        }
        self.inner.save(key, tokens)
    }
    forward_to_inner!(load, delete, list_keys, namespace, namespaces, backend, lock_key);
}

/// Issue 26 §3: Redis dies at the callback, after the code exchange. The
/// grant is revoked at the provider (its refresh token no longer works),
/// the browser gets one clear 503, no session; once Redis is back the
/// user signs in again.
#[test]
fn a_store_failure_after_the_exchange_revokes_the_grant_and_the_user_can_retry() {
    let (idp, provider) = dev_pair(DevProviderOptions::default().auto_approve(true));
    let redis = support::servers::RedisServer::start();
    let store = Arc::new(DiesAtSave {
        inner: oauthkit::store::RedisStore::open_url(&redis.url()).unwrap(),
        redis: std::sync::Mutex::new(redis),
        seen: std::sync::Mutex::new(Vec::new()),
        armed: std::sync::atomic::AtomicBool::new(true),
    });
    let base = "http://127.0.0.1:9";
    let h = DeployHandler::new(provider.clone(), store.clone(), DeployOptions::new(base));
    let (cookie, target) = handler_login(&h, base);
    let r = h.handle(&deploy_http::get_with_cookie(&target, cookie.clone()));
    assert_eq!(r.status(), 503, "{}", r.body());
    assert!(r.body().contains("temporarily_unavailable"), "{}", r.body());
    assert!(
        header(&r, "set-cookie").is_none(),
        "no session: {:?}",
        r.headers()
    );
    assert_eq!(idp.token_requests("authorization_code"), 1);
    let lost = store
        .seen
        .lock()
        .unwrap()
        .pop()
        .expect("the exchange's tokens");
    let rt = lost.refresh_token.expect("a refresh token");
    assert!(!r.body().contains(rt.expose()) && !r.body().contains(lost.access_token.expose()));
    let refused = provider
        .refresh_tokens(&oauthkit::provider::TokenRefresh::new(rt.expose()))
        .unwrap_err();
    assert_eq!(
        refused.kind(),
        oauthkit::ErrorKind::InvalidGrant,
        "{refused}"
    );
    assert!(provider
        .get_userinfo(&oauthkit::provider::UserinfoRequest::new(
            lost.access_token.expose()
        ))
        .is_err());
    // Status while Redis is down: one clear answer, not "signed out".
    let st = h.handle(&deploy_http::get_with_cookie(
        "/auth/status",
        "oauthkit_session=x",
    ));
    assert_eq!(st.status(), 503, "{}", st.body());
    // Redis back: the user signs in again.
    store.redis.lock().unwrap().restart();
    let (cookie, target) = handler_login(&h, base);
    let r = h.handle(&deploy_http::get_with_cookie(&target, cookie));
    assert_eq!(r.status(), 302, "{}", r.body());
    let session = handler_cookie(&r, "oauthkit_session");
    let st = h.handle(&deploy_http::get_with_cookie("/auth/status", session));
    assert!(
        st.body().contains(r#""authenticated":true"#),
        "{}",
        st.body()
    );
}

/// A request with `headers` given as raw bytes (values an `&str` cannot
/// hold), no body.
fn raw_request(method: &str, target: &str, headers: &[(&str, &[u8])]) -> http::Request<()> {
    let mut rq = http::Request::builder().method(method).uri(target);
    for (k, v) in headers {
        rq = rq.header(
            *k,
            http::HeaderValue::from_bytes(v).expect("no control character"),
        );
    }
    rq.body(()).unwrap()
}

/// The `error` and `error_description` of a JSON answer.
fn error_of(r: &deploy_http::Answer) -> (String, String) {
    let v: serde_json::Value =
        serde_json::from_str(r.body()).unwrap_or_else(|_| panic!("{}", r.body()));
    (
        v["error"].as_str().unwrap_or_default().to_string(),
        v["error_description"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

/// Hostile headers through `DeployHandler::handle` (an application's own
/// server passes whatever arrived): every header a check decides on that
/// is repeated (`Origin`, `Sec-Fetch-Site`, `X-CSRF-Token`) or not UTF-8
/// text (those, every `Cookie` line, the proxy headers when trusted) is
/// refused on every route with `400 invalid_request` naming the header,
/// never a panic, never a decision on one of two values. Every byte from
/// 0x80 to 0xff alone and in broken UTF-8 sequences; the same bytes in
/// headers no check reads, or in untrusted proxy headers, change nothing;
/// UTF-8 text that is no origin is judged, not refused as unreadable.
#[test]
fn repeated_or_non_text_headers_are_refused_clearly() {
    let (_idp, provider) = dev_pair(DevProviderOptions::default().auto_approve(true));
    let store = Arc::new(MemoryStore::new());
    let base = "http://127.0.0.1:9";
    let h = handler_at(provider.clone(), store.clone(), base, |o| o);
    let routes = [
        ("GET", "/auth/login"),
        ("GET", "/auth/callback?state=x&code=y"),
        ("POST", "/auth/logout"),
        ("GET", "/auth/status"),
        ("GET", "/elsewhere"),
    ];
    let refused = |r: &deploy_http::Answer, shown: &str, why: &str| {
        assert_eq!(r.status(), 400, "{shown}: {}", r.body());
        let (error, description) = error_of(r);
        assert_eq!(error, "invalid_request", "{shown}");
        assert_eq!(description, format!("the {shown} header is {why}"));
    };
    // Repeated, with the same value or two different ones.
    for (name, shown) in [
        ("origin", "Origin"),
        ("sec-fetch-site", "Sec-Fetch-Site"),
        ("x-csrf-token", "X-CSRF-Token"),
    ] {
        for (a, b) in [
            (base, base),
            (base, "https://evil.example"),
            ("same-origin", "cross-site"),
        ] {
            for (method, target) in routes {
                let r = h.handle(&raw_request(
                    method,
                    target,
                    &[
                        (name, a.as_bytes()),
                        ("cookie", b"oauthkit_session=x"),
                        (name, b.as_bytes()),
                    ],
                ));
                refused(&r, shown, "repeated");
            }
        }
    }
    // Not UTF-8: every lone high byte, truncated and overlong sequences,
    // Latin-1 text, a valid prefix then garbage.
    let mut bad: Vec<Vec<u8>> = (0x80..=0xffu8).map(|b| vec![b]).collect();
    bad.extend([
        b"caf\xe9".to_vec(),
        b"\xc3\x28".to_vec(),
        b"\xe2\x82".to_vec(),
        b"\xc0\xaf".to_vec(),
        b"\xed\xa0\x80".to_vec(),
        b"oauthkit_session=abc\xff".to_vec(),
        [base.as_bytes(), b"\xfe"].concat(),
    ]);
    for value in &bad {
        for (name, shown) in [
            ("cookie", "Cookie"),
            ("origin", "Origin"),
            ("sec-fetch-site", "Sec-Fetch-Site"),
            ("x-csrf-token", "X-CSRF-Token"),
        ] {
            for (method, target) in routes {
                refused(
                    &h.handle(&raw_request(method, target, &[(name, value)])),
                    shown,
                    "not UTF-8 text",
                );
            }
        }
        // A second Cookie line that is not text spoils the first.
        let r = h.handle(&raw_request(
            "GET",
            "/auth/status",
            &[("cookie", b"a=b"), ("cookie", value)],
        ));
        refused(&r, "Cookie", "not UTF-8 text");
        // The application's own routes ask for the session: none, no panic.
        assert_eq!(
            h.session_key(&raw_request("GET", "/", &[("cookie", value)])),
            None
        );
        // Headers no check reads, and proxy headers the deployment does
        // not trust, are not looked at: the login works.
        let r = h.handle(&raw_request(
            "GET",
            "/auth/login",
            &[
                ("user-agent", value),
                ("forwarded", value),
                ("x-forwarded-host", value),
            ],
        ));
        assert_eq!(r.status(), 302, "{}", r.body());
    }
    // Trusted proxy headers are read, so they must be text.
    let trusting = handler_at(provider, store, base, |o| o.trust_forwarded_headers(true));
    for (name, shown) in [
        ("forwarded", "Forwarded"),
        ("x-forwarded-host", "X-Forwarded-Host"),
        ("x-forwarded-proto", "X-Forwarded-Proto"),
    ] {
        for value in &bad {
            refused(
                &trusting.handle(&raw_request("GET", "/auth/login", &[(name, value)])),
                shown,
                "not UTF-8 text",
            );
        }
    }
    // Text that is no origin is judged as an origin: cross-origin.
    let r = h.handle(&raw_request(
        "POST",
        "/auth/logout",
        &[
            ("origin", "https://\u{e9}vil.example".as_bytes()),
            ("cookie", b"oauthkit_session=x"),
        ],
    ));
    assert_eq!(r.status(), 403, "{}", r.body());
    assert_eq!(error_of(&r).0, "csrf_failed");
}

/// Repeated list headers are one list: `Cookie` lines are joined (a proxy
/// or an HTTP/2 gateway may split them), and with trusted proxy headers
/// the first `Forwarded` element of the first line decides.
#[test]
fn cookie_lines_join_and_the_first_forwarded_element_decides() {
    let (_idp, provider) = dev_pair(DevProviderOptions::default().auto_approve(true));
    let store = Arc::new(MemoryStore::new());
    let base = "http://127.0.0.1:9";
    let h = handler_at(provider.clone(), store.clone(), base, |o| o);
    let (cookie, target) = handler_login(&h, base);
    let r = h.handle(&raw_request(
        "GET",
        &target,
        &[
            ("cookie", b"other=1"),
            ("cookie", cookie.as_bytes()),
            ("cookie", b"more=2"),
        ],
    ));
    assert_eq!(r.status(), 302, "{}", r.body());
    let session = handler_cookie(&r, "oauthkit_session");
    let st = h.handle(&raw_request(
        "GET",
        "/auth/status",
        &[("cookie", b"x=1"), ("cookie", session.as_bytes())],
    ));
    assert!(
        st.body().contains("\"authenticated\":true"),
        "{}",
        st.body()
    );
    let trusting = handler_at(provider, store, base, |o| o.trust_forwarded_headers(true));
    let r = trusting.handle(&raw_request(
        "GET",
        "/auth/login",
        &[
            ("forwarded", b"proto=https;host=app.example"),
            ("forwarded", b"proto=http;host=evil.example"),
        ],
    ));
    assert_eq!(r.status(), 302, "{}", r.body());
    let location = url::Url::parse(header(&r, "location").unwrap()).unwrap();
    let redirect = location
        .query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .map(|(_, v)| v.into_owned());
    assert_eq!(
        redirect.as_deref(),
        Some("https://app.example/auth/callback")
    );
}

/// The same through `DeployServer` over TCP, bytes as a hostile client
/// sends them: a repeated `Origin` or `X-CSRF-Token` and a control
/// character get a JSON `400 invalid_request`; a header line with a byte
/// that is not ASCII never reaches the handler (tiny_http's parser closes
/// the connection without an answer); the server keeps serving.
#[test]
fn deploy_server_refuses_hostile_headers_over_tcp() {
    use std::io::{Read, Write};
    let app = app(|o| o);
    let addr = app
        .server
        .base_url()
        .trim_start_matches("http://")
        .to_string();
    let send = |head: &[u8]| -> (u16, String) {
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        s.write_all(head).unwrap();
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        let text = String::from_utf8_lossy(&out).into_owned();
        let status = text
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        (status, text)
    };
    for (head, says) in [
        (
            &b"POST /auth/logout HTTP/1.1\r\nHost: x\r\nOrigin: http://a\r\nOrigin: http://b\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"[..],
            Some("the Origin header is repeated"),
        ),
        (
            &b"GET /auth/status HTTP/1.1\r\nHost: x\r\nX-CSRF-Token: a\r\nx-csrf-token: b\r\nConnection: close\r\n\r\n"[..],
            Some("the X-CSRF-Token header is repeated"),
        ),
        (
            &b"GET /auth/login HTTP/1.1\r\nHost: x\r\nSec-Fetch-Site: same\x01origin\r\nConnection: close\r\n\r\n"[..],
            Some("control character"),
        ),
        (
            &b"GET /auth/status HTTP/1.1\r\nHost: x\r\nCookie: oauthkit_session=\xff\r\nConnection: close\r\n\r\n"[..],
            None,
        ),
    ] {
        let (status, text) = send(head);
        match says {
            Some(says) => {
                assert_eq!(status, 400, "{text}");
                assert!(text.contains("invalid_request") && text.contains(says), "{text}");
            }
            None => assert_eq!((status, text.as_str()), (0, ""), "no answer"),
        }
    }
    let ok = send(b"GET /auth/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert_eq!(ok.0, 200, "{}", ok.1);
}
