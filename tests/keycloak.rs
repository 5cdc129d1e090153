//! oauthkit against a real Keycloak (tests/support/src/keycloak.rs: one
//! server for this whole binary, started on a free loopback port and
//! configured through its admin REST API). Keycloak's pages are played
//! over HTTP with a cookie jar; everything else goes through oauthkit's
//! public API: the native flow, the device flow, the session manager,
//! RP-initiated logout, token exchange, PAR, DPoP, private_key_jwt, and
//! deploy mode over HTTPS under Keycloak's FAPI 2.0 DPoP profile.
//!
//! Needs scripts/setup-keycloak.sh (Keycloak's distribution from Maven
//! Central and a Java 21+ runtime); a missing piece fails with that hint.
//!
//! One binary with its own runner (`harness = false`): the server is
//! started once and the tests run one after another against it; the
//! refresh race needs this binary as its own child process
//! (`race-child SPEC ISSUER CLIENT_ID KEY GO_FILE`). Arguments that are not
//! flags select tests by substring, as libtest's filter does.

extern crate oauthkit_test_support as support;

use support::{deploy_tls, tls_server};

use oauthkit::provider::{TokenRefresh, TokenRevocation, UserinfoRequest};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use oauthkit::flow::{AuthFlowManager, AuthFlowResult, DeviceFlow, NativeOptions, RpLogout};
use oauthkit::provider::DpopConfig;
use oauthkit::unversioned::flow::{CallbackServerOptions, PortChoice};
use oauthkit::unversioned::provider::dpop::{DpopHeaders, DpopNonces};

use oauthkit::provider::ParPolicy;
use oauthkit::provider::{
    AuthorizeRequest, GrantRequest, OAuthProvider, OidcConfig, Provider, TokenTypeHint,
};
use oauthkit::provider::{SigningAlgorithm, SigningKey};
use oauthkit::session::SessionManager;
use oauthkit::store::{JsonFileStore, MemoryStore};
use oauthkit::unversioned::provider::token_exchange::token_types;
use oauthkit::unversioned::provider::Pkce;
use oauthkit::unversioned::random;
use oauthkit::{Error, ErrorKind, TokenSet, TokenStore};
use serde_json::Value;
use support::interactions::Browser;
use support::keycloak::{
    self, play, shared, Ended, CLIENT_CONFIDENTIAL, CLIENT_DPOP, CLIENT_NATIVE, CLIENT_PAR,
    CLIENT_PKJWT, CLIENT_RACE, USER_DISABLED, USER_OFFLINE, USER_PLAIN,
};

type TestFn = fn();

const TESTS: &[(&str, TestFn)] = &[
    (
        "default_settings_sign_in_users_with_and_without_the_offline_access_role",
        default_settings_sign_in_users_with_and_without_the_offline_access_role,
    ),
    (
        "offline_access_asked_explicitly_gives_offline_tokens_to_users_holding_the_role",
        offline_access_asked_explicitly_gives_offline_tokens_to_users_holding_the_role,
    ),
    (
        "refresh_race_of_four_threads_and_two_processes_spends_the_rotating_token_once",
        refresh_race_of_four_threads_and_two_processes_spends_the_rotating_token_once,
    ),
    (
        "rp_initiated_logout_ends_the_keycloak_session",
        rp_initiated_logout_ends_the_keycloak_session,
    ),
    (
        "device_grant_signs_in_a_user_approving_on_keycloaks_pages",
        device_grant_signs_in_a_user_approving_on_keycloaks_pages,
    ),
    (
        "token_exchange_by_a_confidential_client_and_an_unknown_audience",
        token_exchange_by_a_confidential_client_and_an_unknown_audience,
    ),
    (
        "par_required_client_signs_in_only_through_par",
        par_required_client_signs_in_only_through_par,
    ),
    (
        "dpop_bound_tokens_are_refused_as_bearer_and_accepted_with_proofs",
        dpop_bound_tokens_are_refused_as_bearer_and_accepted_with_proofs,
    ),
    (
        "client_credentials_with_private_key_jwt",
        client_credentials_with_private_key_jwt,
    ),
    (
        "errors_need_sign_in_only_where_the_user_must_act",
        errors_need_sign_in_only_where_the_user_must_act,
    ),
    (
        "fapi2_dpop_profile_signs_in_deploy_mode_served_over_https",
        fapi2_dpop_profile_signs_in_deploy_mode_served_over_https,
    ),
    (
        "native_app_signs_in_with_oauth21_rules_which_keycloaks_profile_refuses",
        native_app_signs_in_with_oauth21_rules_which_keycloaks_profile_refuses,
    ),
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("race-child") {
        race_child(&args[1..]);
        return;
    }
    // libtest-style arguments: flags are ignored (with the value of those
    // that take one), anything else filters by substring.
    let mut filters = Vec::new();
    let mut skip_value = false;
    for a in &args {
        if skip_value {
            skip_value = false;
        } else if a.starts_with('-') {
            skip_value = matches!(a.as_str(), "--test-threads" | "--skip" | "--format" | "-Z");
        } else {
            filters.push(a.as_str());
        }
    }
    let selected: Vec<_> = TESTS
        .iter()
        .filter(|(name, _)| filters.is_empty() || filters.iter().any(|f| name.contains(f)))
        .collect();
    if selected.is_empty() {
        println!("keycloak: 0 tests selected");
        return;
    }
    // Keycloak and its Java runtime: a counted skip of every selected test
    // when missing, a failure under OAUTHKIT_REQUIRE_ALL=1 (shared() says how).
    if let Some(why) = support::needs::missing(&[support::needs::Need::Keycloak]) {
        if !support::needs::required() {
            for (name, _) in &selected {
                support::needs::skip_test(name, &why);
            }
            return;
        }
    }
    let started = Instant::now();
    shared();
    println!(
        "keycloak: Keycloak {} started and configured in {:.1} s",
        keycloak::VERSION,
        started.elapsed().as_secs_f64()
    );
    let mut failed = Vec::new();
    for (name, test) in &selected {
        let t = Instant::now();
        let outcome = std::panic::catch_unwind(test);
        let secs = t.elapsed().as_secs_f64();
        match outcome {
            Ok(()) => println!("test {name} ... ok ({secs:.1} s)"),
            Err(_) => {
                println!("test {name} ... FAILED ({secs:.1} s)");
                failed.push(*name);
            }
        }
    }
    println!(
        "keycloak: {} passed, {} failed, {:.1} s in all",
        selected.len() - failed.len(),
        failed.len(),
        started.elapsed().as_secs_f64()
    );
    if !failed.is_empty() {
        println!(
            "failed: {failed:?}\nKeycloak's last lines:\n{}",
            shared().log_tail()
        );
        std::process::exit(1);
    }
}

// ---------------------------------------------------------------- helpers

/// oauthkit's generic OpenID Connect provider for `client_id` with its
/// default settings.
fn default_provider(client_id: &str) -> OidcConfig {
    OidcConfig::new(&shared().issuer, client_id)
}

fn build(config: OidcConfig) -> Arc<dyn Provider> {
    Arc::new(OAuthProvider::oidc(config).expect("provider settings"))
}

fn query_names(url: &str) -> Vec<String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .map(|(k, _)| k.into_owned())
        .collect()
}

fn query_param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// What a native sign-in did: the browser URL's parameter names and the
/// flow's result.
struct NativeSignIn {
    opened: Vec<String>,
    result: oauthkit::Result<AuthFlowResult>,
}

/// Signs `user` in through the native flow (loopback callback server on a
/// port fixed here, so that a pushed request's redirect is known), playing
/// Keycloak's pages in `browser`. The tokens go to `store` under `key`.
fn native_sign_in_with(
    provider: Arc<dyn Provider>,
    store: Arc<dyn TokenStore>,
    key: &str,
    user: &str,
    browser: Arc<Mutex<Browser>>,
) -> NativeSignIn {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let callback = format!("http://127.0.0.1:{port}/callback");
    let flow = AuthFlowManager::builder(provider)
        .store(store)
        .token_key(key)
        .callback_options(CallbackServerOptions::new().port(PortChoice::Fixed(port)))
        .timeout(Duration::from_secs(60))
        .build();
    let opened = Arc::new(Mutex::new(Vec::new()));
    let seen = opened.clone();
    let user = user.to_string();
    let open = move |url: &str| -> oauthkit::Result<()> {
        *seen.lock().unwrap() = query_names(url);
        let (url, user, callback, browser) = (
            url.to_string(),
            user.clone(),
            callback.clone(),
            browser.clone(),
        );
        std::thread::spawn(move || {
            let ended = play(&mut browser.lock().unwrap(), &url, &callback, &user);
            // the redirect reaches the flow's loopback server
            let redirect = ended.redirect();
            let _ = keycloak::agent().get(&redirect.url).call();
        });
        Ok(())
    };
    let result = flow.run_native(NativeOptions::new().open_browser(open));
    let opened = opened.lock().unwrap().clone();
    NativeSignIn { opened, result }
}

/// [`native_sign_in_with`] in a fresh browser, into a memory store;
/// panics when the sign-in fails.
fn sign_in(provider: &Arc<dyn Provider>, user: &str) -> TokenSet {
    let browser = Arc::new(Mutex::new(keycloak::browser()));
    native_sign_in_with(
        provider.clone(),
        Arc::new(MemoryStore::new()),
        user,
        user,
        browser,
    )
    .result
    .unwrap_or_else(|e| panic!("{user} signs in: {e}"))
    .tokens
}

/// The claims of a JWT (no signature check: for assertions only).
fn claims(jwt: &str) -> Value {
    use base64::Engine as _;
    let payload = jwt.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// A raw GET with headers: (status, body).
fn get(url: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let mut req = keycloak::agent().get(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut r = req.call().expect("Keycloak answers");
    (
        r.status().as_u16(),
        r.body_mut().read_to_string().unwrap_or_default(),
    )
}

fn userinfo_url() -> String {
    format!("{}/protocol/openid-connect/userinfo", shared().issuer)
}

/// Asserts that `e` is Keycloak's `status` answer `code`; returns its
/// description.
#[track_caller]
fn assert_oauth_error(e: &Error, status: u16, code: &str) -> String {
    match e {
        Error::OAuth {
            error,
            status: got,
            description,
            ..
        } => {
            assert_eq!((error.as_str(), *got), (code, Some(status)), "{e}");
            description.clone().unwrap_or_default()
        }
        other => panic!("expected OAuth error {code}, got {other:?}"),
    }
}

// ------------------------------------------------------------------ tests

/// Keycloak lists `offline_access` in every realm's discovery but grants it
/// only to users holding the role. With oauthkit's defaults both users sign
/// in, get a refresh token (an ordinary one: Keycloak issues it without
/// `offline_access`), refresh it and read userinfo; so does the Keycloak
/// preset (`provider::keycloak::config(base, realm, client)`).
fn default_settings_sign_in_users_with_and_without_the_offline_access_role() {
    let generic = build(default_provider(CLIENT_NATIVE));
    let preset = build(
        oauthkit::provider::keycloak::config(&shared().base, keycloak::REALM, CLIENT_NATIVE)
            .unwrap(),
    );
    let users = [USER_OFFLINE, USER_PLAIN];
    for (provider, user) in [&generic, &preset]
        .into_iter()
        .flat_map(|p| users.map(|u| (p, u)))
    {
        let tokens = sign_in(provider, user);
        let id = tokens.id_token.as_ref().expect("an ID token");
        assert_eq!(claims(id.expose())["preferred_username"], user);
        let refresh = tokens.refresh_token.as_ref().expect("a refresh token");
        assert_eq!(
            claims(refresh.expose())["typ"],
            "Refresh",
            "an online refresh token, tied to the browser session"
        );
        let fresh = provider
            .refresh_tokens(&TokenRefresh::of(&tokens).unwrap())
            .unwrap();
        assert_ne!(fresh.access_token, tokens.access_token);
        let info = provider
            .get_userinfo(&UserinfoRequest::new(fresh.access_token.expose()))
            .unwrap()
            .unwrap();
        assert_eq!(info.preferred_username.as_deref(), Some(user));
        assert_eq!(info.email, Some(format!("{user}@example.test")));
    }
}

/// The explicit opt-in still works where Keycloak allows it, and where it
/// does not the error is Keycloak's, typed, and does not tell the
/// application to sign the user in again (it would fail the same way).
fn offline_access_asked_explicitly_gives_offline_tokens_to_users_holding_the_role() {
    let provider =
        build(default_provider(CLIENT_NATIVE).scopes(["openid", "email", "offline_access"]));
    let browser = Arc::new(Mutex::new(keycloak::browser()));
    let tokens = native_sign_in_with(
        provider.clone(),
        Arc::new(MemoryStore::new()),
        USER_OFFLINE,
        USER_OFFLINE,
        browser.clone(),
    )
    .result
    .expect("sign-in with offline_access")
    .tokens;
    let refresh = tokens.refresh_token.as_ref().expect("a refresh token");
    assert_eq!(claims(refresh.expose())["typ"], "Offline");
    let fresh = provider
        .refresh_tokens(&TokenRefresh::of(&tokens).unwrap())
        .unwrap();
    assert!(fresh.refresh_token.is_some());
    // Keycloak keeps no browser session for an offline sign-in.
    assert_eq!(
        silent_authorize(&mut browser.lock().unwrap(), &provider),
        Err("login_required".to_string())
    );

    let browser = Arc::new(Mutex::new(keycloak::browser()));
    let e = native_sign_in_with(
        provider,
        Arc::new(MemoryStore::new()),
        USER_PLAIN,
        USER_PLAIN,
        browser,
    )
    .result
    .expect_err("Keycloak refuses offline tokens to a user without the role");
    assert_oauth_error(&e, 400, "not_allowed");
    assert!(!e.needs_sign_in(), "{e}");
}

/// Refresh-token rotation with reuse detection (`revokeRefreshToken`,
/// `refreshTokenMaxReuse` 0): four threads and two other processes ask for
/// an access token whose refresh is due through SessionManager over one
/// token file. Exactly one refresh reaches Keycloak (its REFRESH_TOKEN
/// events), everyone gets the same token, and the rotated refresh token
/// works while the spent one is refused.
fn refresh_race_of_four_threads_and_two_processes_spends_the_rotating_token_once() {
    let kc = shared();
    let dir = tempfile::tempdir().unwrap();
    let spec = format!("file:{}", dir.path().join("tokens.json").display());
    let store: Arc<dyn TokenStore> = oauthkit::store::open(&spec).unwrap();
    let provider = build(default_provider(CLIENT_RACE));
    let browser = Arc::new(Mutex::new(keycloak::browser()));
    let first = native_sign_in_with(
        provider.clone(),
        store.clone(),
        "racer",
        USER_OFFLINE,
        browser,
    )
    .result
    .expect("sign-in")
    .tokens;
    let spent = first.refresh_token.clone().expect("a refresh token");
    // Keycloak dates tokens and the client session's last refresh in whole
    // seconds and refuses a reused refresh token only when it was issued
    // before that second: let the sign-in's second pass, so the spent token
    // is older than the race's refresh however fast this machine is.
    std::thread::sleep(Duration::from_millis(1100));
    let mut due = store.load("racer").unwrap().expect("stored tokens");
    due.expires_at = Some(oauthkit::unversioned::now_unix() - 1);
    store.save("racer", &due).unwrap();
    let before = kc.refresh_events(CLIENT_RACE);

    let go = dir.path().join("go");
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..2)
        .map(|_| {
            Command::new(&exe)
                .args(["race-child", &spec, &kc.issuer, CLIENT_RACE, "racer"])
                .arg(&go)
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .unwrap()
        })
        .collect();
    let sessions = Arc::new(SessionManager::new(provider.clone(), store.clone()));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (sessions, go) = (sessions.clone(), go.clone());
            std::thread::spawn(move || {
                wait_for(&go);
                fingerprint(sessions.access_token("racer").unwrap().expose())
            })
        })
        .collect();
    // Let the children start, then release everyone together.
    std::thread::sleep(Duration::from_millis(500));
    std::fs::write(&go, b"go").unwrap();
    let mut seen: Vec<String> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "a child process failed: {:?}",
            out.status
        );
        seen.push(String::from_utf8(out.stdout).unwrap().trim().to_string());
    }
    assert_eq!(seen.len(), 6);
    assert!(
        seen.iter().all(|s| s == &seen[0] && !s.is_empty()),
        "{seen:?}"
    );
    assert_eq!(
        kc.refresh_events(CLIENT_RACE) - before,
        1,
        "refreshes that reached Keycloak"
    );
    let stored = store.load("racer").unwrap().unwrap();
    assert_eq!(fingerprint(stored.access_token.expose()), seen[0]);
    assert_ne!(
        stored.refresh_token.as_ref(),
        Some(&spent),
        "rotated token saved"
    );
    // The rotated token refreshes; the spent one is refused as reused.
    sessions
        .refresh("racer")
        .expect("the rotated refresh token works");
    let e = provider
        .refresh_tokens(&TokenRefresh::new(spent.expose()))
        .unwrap_err();
    assert_oauth_error(&e, 400, "invalid_grant");
    assert_eq!(e.kind(), ErrorKind::InvalidGrant, "{e}");
    assert!(e.needs_sign_in());
}

fn wait_for(go: &Path) {
    let until = Instant::now() + Duration::from_secs(60);
    while !go.exists() {
        assert!(Instant::now() < until, "never released");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// One process of the race: prints a fingerprint of the access token its
/// SessionManager gave (never the token).
fn race_child(args: &[String]) {
    let [spec, issuer, client_id, key, go] = args else {
        panic!("usage: race-child SPEC ISSUER CLIENT_ID KEY GO_FILE");
    };
    let store: Arc<dyn TokenStore> = oauthkit::store::open(spec).unwrap();
    let provider = build(OidcConfig::new(issuer, client_id));
    let sessions = SessionManager::new(provider, store);
    wait_for(Path::new(go));
    println!(
        "{}",
        fingerprint(sessions.access_token(key).unwrap().expose())
    );
}

fn fingerprint(token: &str) -> String {
    use sha2::Digest;
    let d = sha2::Sha256::digest(token.as_bytes());
    d[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// `prompt=none` in `browser`: `Ok(())` when Keycloak answers with a code
/// (it has a session), else the redirect's `error`.
fn silent_authorize(browser: &mut Browser, provider: &Arc<dyn Provider>) -> Result<(), String> {
    let (state, pkce) = (random::state(), Pkce::generate());
    let redirect_uri = "http://127.0.0.1:4567/callback";
    let url = provider
        .build_authorize_url(&AuthorizeRequest {
            redirect_uri,
            state: &state,
            pkce: Some(&pkce),
            nonce: Some(&random::nonce()),
            extra_params: &[("prompt", "none")],
        })
        .unwrap();
    let redirect = play(browser, &url, redirect_uri, USER_OFFLINE).redirect();
    match redirect.param("error") {
        None => {
            assert!(redirect.param("code").is_some(), "{}", redirect.url);
            Ok(())
        }
        Some(e) => Err(e),
    }
}

/// RP-initiated logout: oauthkit revokes and deletes the tokens, opens
/// Keycloak's end-session URL with the ID token hint and waits for the
/// redirect to its loopback `logged-out` page. Afterwards Keycloak says the
/// access and refresh tokens are inactive (introspection) and the browser
/// has no session (`prompt=none` answers `login_required`).
fn rp_initiated_logout_ends_the_keycloak_session() {
    let kc = shared();
    let provider = build(default_provider(CLIENT_NATIVE));
    let browser = Arc::new(Mutex::new(keycloak::browser()));
    let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::new());
    let tokens = native_sign_in_with(
        provider.clone(),
        store.clone(),
        "me",
        USER_OFFLINE,
        browser.clone(),
    )
    .result
    .expect("sign-in")
    .tokens;
    let refresh = tokens.refresh_token.clone().unwrap();
    assert_eq!(kc.introspect(tokens.access_token.expose())["active"], true);
    assert_eq!(
        silent_authorize(&mut browser.lock().unwrap(), &provider),
        Ok(())
    );

    let opener_browser = browser.clone();
    let outcome = RpLogout::new(provider.clone(), store.clone())
        .timeout(Duration::from_secs(60))
        .browser(move |url: &str| {
            let (url, browser) = (url.to_string(), opener_browser.clone());
            let back = query_param(&url, "post_logout_redirect_uri").expect("a redirect back");
            assert!(query_param(&url, "id_token_hint").is_some(), "{url}");
            std::thread::spawn(move || {
                let ended = play(&mut browser.lock().unwrap(), &url, &back, USER_OFFLINE);
                let _ = keycloak::agent().get(&ended.redirect().url).call();
            });
            Ok(())
        })
        .run("me")
        .unwrap();
    assert!(
        outcome.tokens_deleted && !outcome.revoked_tokens.is_empty(),
        "{outcome:?}"
    );
    assert!(outcome.provider_session_ended, "{outcome:?}");
    assert!(store.load("me").unwrap().is_none());
    assert_eq!(kc.introspect(tokens.access_token.expose())["active"], false);
    assert_eq!(kc.introspect(refresh.expose())["active"], false);
    assert_eq!(
        silent_authorize(&mut browser.lock().unwrap(), &provider),
        Err("login_required".to_string())
    );
}

/// RFC 8628 with Keycloak: the prompt hook gets the user code and the
/// verification URL, a "user" signs in and grants access on Keycloak's
/// pages, and the polling flow stores the tokens.
fn device_grant_signs_in_a_user_approving_on_keycloaks_pages() {
    let provider = build(default_provider(CLIENT_NATIVE));
    let store = Arc::new(MemoryStore::new());
    let final_page = Arc::new(Mutex::new(None));
    let page = final_page.clone();
    let result = DeviceFlow::new(provider.clone())
        .store(store.clone())
        .token_key("tv")
        .timeout(Duration::from_secs(120))
        .prompt(move |auth| {
            assert!(!auth.user_code.is_empty());
            assert!(
                auth.verification_uri.ends_with("/device"),
                "{}",
                auth.verification_uri
            );
            let url = auth
                .verification_uri_complete
                .clone()
                .expect("Keycloak sends verification_uri_complete");
            let page = page.clone();
            std::thread::spawn(move || {
                let mut browser = keycloak::browser();
                let ended = play(&mut browser, &url, "http://nowhere.invalid/", USER_PLAIN);
                *page.lock().unwrap() = Some(match ended {
                    Ended::Page(status, text) => (status, text),
                    Ended::Redirect(r) => (0, r.url),
                });
            });
            Ok(())
        })
        .run()
        .unwrap();
    let (status, text) = final_page.lock().unwrap().clone().expect("the user's page");
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("Device Login Successful"), "{text}");
    assert_eq!(result.key, "tv");
    assert!(result.tokens.refresh_token.is_some());
    assert_eq!(
        claims(result.tokens.access_token.expose())["preferred_username"],
        USER_PLAIN
    );
    assert_eq!(
        result
            .user_info
            .as_ref()
            .expect("userinfo")
            .preferred_username
            .as_deref(),
        Some(USER_PLAIN)
    );
    assert!(store.load("tv").unwrap().is_some());
}

/// RFC 8693 standard token exchange (Keycloak's V2): the confidential
/// client, named in the user's access token's audience, exchanges it for
/// its own token for the same user; an audience Keycloak does not know is
/// refused with its typed error.
fn token_exchange_by_a_confidential_client_and_an_unknown_audience() {
    let kc = shared();
    let user_tokens = sign_in(&build(default_provider(CLIENT_NATIVE)), USER_OFFLINE);
    let subject = user_tokens.access_token.expose().to_string();
    let exchanger =
        build(default_provider(CLIENT_CONFIDENTIAL).client_secret(kc.confidential_secret()));
    let exchanged = exchanger
        .exchange_token(&GrantRequest::token_exchange(
            subject.as_str(),
            token_types::ACCESS_TOKEN,
        ))
        .unwrap();
    assert_eq!(
        exchanged.issued_token_type(),
        Some(token_types::ACCESS_TOKEN)
    );
    assert_ne!(exchanged.access_token.expose(), subject);
    let seen = kc.introspect(exchanged.access_token.expose());
    assert_eq!(seen["active"], true, "{seen}");
    assert_eq!(seen["azp"], CLIENT_CONFIDENTIAL, "{seen}");
    assert_eq!(seen["username"], USER_OFFLINE, "{seen}");

    let e = exchanger
        .exchange_token(
            &GrantRequest::token_exchange(subject.as_str(), token_types::ACCESS_TOKEN)
                .audience("no-such-client"),
        )
        .unwrap_err();
    let description = assert_oauth_error(&e, 400, "invalid_client");
    assert!(description.contains("Audience not found"), "{e}");
    assert!(!e.needs_sign_in(), "{e}");
    let text = format!("{e} {e:?}");
    assert!(
        !text.contains(&subject),
        "the error shows the token: {text}"
    );
}

/// A client with `require.pushed.authorization.requests`: Keycloak refuses
/// its plain authorization request, and oauthkit with
/// `ParPolicy::Always` (discovery does not say a client needs PAR) signs in
/// with only `client_id` and `request_uri` in the browser.
fn par_required_client_signs_in_only_through_par() {
    let plain = build(default_provider(CLIENT_PAR));
    let (state, pkce) = (random::state(), Pkce::generate());
    let url = plain
        .build_authorize_url(&AuthorizeRequest {
            redirect_uri: "http://127.0.0.1:4567/callback",
            state: &state,
            pkce: Some(&pkce),
            ..Default::default()
        })
        .unwrap();
    let mut browser = keycloak::browser();
    match play(
        &mut browser,
        &url,
        "http://127.0.0.1:4567/callback",
        USER_PLAIN,
    ) {
        Ended::Redirect(r) => assert!(r.param("code").is_none(), "{}", r.url),
        Ended::Page(status, text) => assert_eq!(status, 400, "{text}"),
    }

    let provider = build(default_provider(CLIENT_PAR).par(ParPolicy::Always));
    let browser = Arc::new(Mutex::new(keycloak::browser()));
    let signed = native_sign_in_with(
        provider.clone(),
        Arc::new(MemoryStore::new()),
        "p",
        USER_PLAIN,
        browser,
    );
    assert_eq!(signed.opened, ["client_id", "request_uri"]);
    let tokens = signed.result.expect("sign-in through PAR").tokens;
    assert_eq!(
        claims(tokens.access_token.expose())["preferred_username"],
        USER_PLAIN
    );
    provider
        .refresh_tokens(&TokenRefresh::of(&tokens).unwrap())
        .unwrap();
}

/// A client with `dpop.bound.access.tokens`: oauthkit's DPoP sign-in gets
/// tokens bound to its key (`cnf.jkt`), which userinfo refuses as Bearer
/// tokens and accepts with a proof; refreshes are bound too.
fn dpop_bound_tokens_are_refused_as_bearer_and_accepted_with_proofs() {
    let kc = shared();
    let provider = build(default_provider(CLIENT_DPOP).dpop(DpopConfig::new()));
    let tokens = sign_in(&provider, USER_OFFLINE);
    let key = tokens
        .dpop_key
        .as_ref()
        .expect("the token set keeps its DPoP key");
    assert!(
        tokens.token_type.eq_ignore_ascii_case("dpop"),
        "{}",
        tokens.token_type
    );
    let seen = kc.introspect(tokens.access_token.expose());
    assert_eq!(seen["cnf"]["jkt"], key.thumbprint(), "{seen}");

    let url = userinfo_url();
    let bearer = format!("Bearer {}", tokens.access_token.expose());
    let (status, body) = get(&url, &[("Authorization", &bearer)]);
    assert_eq!(status, 401, "a bound token as Bearer: {body}");
    let nonces = DpopNonces::new();
    let h = DpopHeaders::for_request(&tokens, "GET", &url, &nonces).unwrap();
    let (status, body) = get(
        &url,
        &[("Authorization", h.authorization()), ("DPoP", h.dpop())],
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(USER_OFFLINE), "{body}");

    let fresh = provider
        .refresh_tokens(&TokenRefresh::of(&tokens).unwrap())
        .unwrap();
    assert_eq!(
        kc.introspect(fresh.access_token.expose())["cnf"]["jkt"],
        key.thumbprint()
    );
}

/// Client credentials with `private_key_jwt` (Keycloak's `client-jwt`
/// authenticator, the client's public JWK registered): oauthkit's signed
/// assertion gets a service-account token; a key Keycloak does not know is
/// refused.
fn client_credentials_with_private_key_jwt() {
    let kc = shared();
    let provider = build(default_provider(CLIENT_PKJWT).private_key_jwt(kc.pkjwt_key()));
    let t = provider
        .request_client_credentials(&GrantRequest::client_credentials())
        .unwrap();
    let seen = kc.introspect(t.access_token.expose());
    assert_eq!(seen["active"], true, "{seen}");
    assert_eq!(seen["azp"], CLIENT_PKJWT, "{seen}");
    assert_eq!(seen["username"], format!("service-account-{CLIENT_PKJWT}"));

    let stranger = SigningKey::generate(SigningAlgorithm::ES256)
        .unwrap()
        .with_kid("pkjwt-es256");
    let e = build(default_provider(CLIENT_PKJWT).private_key_jwt(stranger))
        .request_client_credentials(&GrantRequest::client_credentials())
        .unwrap_err();
    assert_oauth_error(&e, 400, "invalid_client");
    assert!(!e.needs_sign_in(), "{e}");
}

/// `needs_sign_in()` is true exactly where the user must act: a revoked
/// refresh token and a disabled user (their refresh answers
/// `invalid_grant`) need a sign-in; a wrong client secret is the
/// application's configuration, and no sign-in would help.
fn errors_need_sign_in_only_where_the_user_must_act() {
    let kc = shared();
    // wrong client secret: Keycloak answers 401 unauthorized_client
    let wrong = "not-the-secret-5f1c2d";
    let e = build(default_provider(CLIENT_CONFIDENTIAL).client_secret(wrong))
        .request_client_credentials(&GrantRequest::client_credentials())
        .unwrap_err();
    assert_oauth_error(&e, 401, "unauthorized_client");
    assert!(!e.needs_sign_in(), "{e}");
    assert!(!format!("{e} {e:?}").contains(wrong), "{e}");

    // a revoked refresh token
    let provider = build(default_provider(CLIENT_NATIVE));
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn TokenStore> =
        Arc::new(JsonFileStore::open(dir.path().join("t.json")).unwrap());
    let sessions = SessionManager::new(provider.clone(), store.clone());
    let browser = Arc::new(Mutex::new(keycloak::browser()));
    let tokens = native_sign_in_with(provider.clone(), store.clone(), "nora", USER_PLAIN, browser)
        .result
        .expect("sign-in")
        .tokens;
    let refresh = tokens.refresh_token.clone().unwrap();
    assert!(provider
        .revoke_token(&TokenRevocation::new(refresh.expose()).hint(TokenTypeHint::RefreshToken))
        .unwrap());
    assert_eq!(kc.introspect(refresh.expose())["active"], false);
    let e = sessions.refresh("nora").unwrap_err();
    assert_oauth_error(&e, 400, "invalid_grant");
    assert_eq!(e.kind(), ErrorKind::InvalidGrant, "{e}");
    assert!(e.needs_sign_in(), "{e}");
    assert!(
        store.load("nora").unwrap().is_none(),
        "the dead grant is gone"
    );

    // a user disabled after signing in
    let browser = Arc::new(Mutex::new(keycloak::browser()));
    native_sign_in_with(
        provider.clone(),
        store.clone(),
        "dana",
        USER_DISABLED,
        browser,
    )
    .result
    .expect("sign-in");
    kc.set_user_enabled(USER_DISABLED, false);
    let e = sessions.refresh("dana").unwrap_err();
    kc.set_user_enabled(USER_DISABLED, true);
    assert_oauth_error(&e, 400, "invalid_grant");
    assert_eq!(e.kind(), ErrorKind::InvalidGrant, "{e}");
    assert!(e.needs_sign_in(), "{e}");
}

/// Keycloak's built-in `fapi-2-dpop-security-profile` (a client policy on
/// [`CLIENT_FAPI2`]) with deploy mode as FAPI 2.0 means it: a confidential
/// web client behind TLS (a throwaway CA; the redirect URI is
/// `https://127.0.0.1:{port}/auth/callback`), `SecurityProfile::Fapi2`
/// with private_key_jwt and DPoP. `/auth/login` sends the browser to a PAR
/// reference, the user signs in and consents, the callback's `iss` is the
/// issuer, and the stored tokens are DPoP-bound (`cnf.jkt`) with a PS256
/// ID token validated on the way.
fn fapi2_dpop_profile_signs_in_deploy_mode_served_over_https() {
    use oauthkit::provider::SecurityProfile;
    use oauthkit::web::{DeployHandler, DeployOptions};
    let kc = shared();
    let pki = tls_server::TestPki::new("keycloak-fapi2", "IP:127.0.0.1");
    let ca = pki.ca_pem();
    let store = Arc::new(MemoryStore::new());
    let provider = build(
        default_provider(keycloak::CLIENT_FAPI2)
            .scopes(["openid", "email"])
            .private_key_jwt(kc.pkjwt_key())
            .profile(SecurityProfile::Fapi2)
            .dpop(DpopConfig::new()),
    );
    let server_store: Arc<dyn TokenStore> = store.clone();
    let server = deploy_tls::DeployTlsServer::start(pki.server_config(), move |base| {
        DeployHandler::new(provider, server_store, DeployOptions::new(base))
    });
    let base = server.base_url.clone();
    let callback = format!("{base}/auth/callback");
    kc.create_fapi2_client(&callback);
    let policies = kc.client_policies().to_string();
    assert!(
        policies.contains("fapi-2-dpop-security-profile"),
        "{policies}"
    );

    let start = deploy_tls::https_get(&ca, &format!("{base}/auth/login"), None);
    assert_eq!(start.status, 302, "{}", start.body);
    let at_idp = start.location.expect("a redirect to Keycloak");
    assert_eq!(
        query_names(&at_idp),
        ["client_id", "request_uri"],
        "{at_idp}"
    );
    let mut browser = keycloak::browser();
    let redirect = play(&mut browser, &at_idp, &callback, USER_OFFLINE).redirect();
    assert_eq!(redirect.param("iss").as_deref(), Some(kc.issuer.as_str()));
    let cookies = start.cookies.join("; ");
    let done = deploy_tls::https_get(&ca, &redirect.url, Some(&cookies));
    assert_eq!(done.status, 302, "{}", done.body);

    let sub = kc.user_id(USER_OFFLINE);
    let stored = store.load(&sub).unwrap().expect("tokens stored under sub");
    assert!(
        stored.token_type.eq_ignore_ascii_case("dpop"),
        "{}",
        stored.token_type
    );
    let key = stored.dpop_key.as_ref().expect("the DPoP key is kept");
    let id_token = stored.id_token.as_ref().expect("an ID token");
    let header = claims(&format!(
        "x.{}",
        id_token.expose().split('.').next().unwrap()
    ));
    assert_eq!(header["alg"], "PS256", "the profile's signature algorithm");
    let seen = kc.introspect(stored.access_token.expose());
    assert_eq!(seen["active"], true, "{seen}");
    assert_eq!(seen["cnf"]["jkt"], key.thumbprint(), "{seen}");
}

/// What a native app uses instead of FAPI 2.0: a public client with
/// OAuth 2.1's rules (PKCE S256 required, no implicit or password grant, a
/// loopback redirect) and oauthkit's `SecurityProfile::OAuth21`: the native
/// flow signs in and refreshes. Keycloak 26.5's built-in
/// `oauth-2-1-for-public-client` profile cannot hold that client: it
/// refuses every `http://` loopback redirect ("invalid loopback address"),
/// although RFC 8252 and OAuth 2.1 allow them for native apps.
fn native_app_signs_in_with_oauth21_rules_which_keycloaks_profile_refuses() {
    use oauthkit::provider::SecurityProfile;
    let kc = shared();
    let uuid = kc.create_oauth21_native_client("native-oauth21");
    let provider = build(default_provider("native-oauth21").profile(SecurityProfile::OAuth21));
    let browser = Arc::new(Mutex::new(keycloak::browser()));
    let signed = native_sign_in_with(
        provider.clone(),
        Arc::new(MemoryStore::new()),
        "n",
        USER_PLAIN,
        browser,
    );
    assert!(signed.opened.contains(&"code_challenge".to_string()));
    let tokens = signed.result.expect("sign-in under OAuth 2.1 rules").tokens;
    assert_eq!(
        claims(tokens.access_token.expose())["preferred_username"],
        USER_PLAIN
    );
    provider
        .refresh_tokens(&TokenRefresh::of(&tokens).unwrap())
        .unwrap();

    kc.add_client_policy(&uuid, "oauth-2-1-for-public-client");
    let (status, answer) = kc.resave_client(&uuid);
    assert_eq!(status, 400, "{answer}");
    assert_eq!(
        answer["error_description"],
        "Invalid Redirect Uri: invalid loopback address"
    );
}
