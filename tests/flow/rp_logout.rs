//! RP-initiated logout at panva's oidc-provider (`rpInitiatedLogout`, on by
//! default; tests/browser/oidc-server.mjs). The user's browser is a cookie
//! jar (tests/support/src/interactions.rs) that signs in, so the provider has
//! a session; after the logout, an authorization request with
//! `prompt=none` in the same browser must come back `login_required`: the
//! session ended at the provider, checked there.

use crate::support;

use oauthkit::provider::CodeExchange;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use oauthkit::flow::RpLogout;
use oauthkit::provider::{
    AuthorizeRequest, EndSessionRequest, OAuth2Config, OAuthProvider, OidcConfig, Provider,
    TokenTypeHint,
};
use oauthkit::session::RevocationOutcome;
use oauthkit::store::MemoryStore;
use oauthkit::unversioned::provider::Pkce;
use oauthkit::unversioned::random;
use oauthkit::{ErrorKind, TokenStore};
use support::interactions::{form_of, sign_in_with, Browser};
use support::node_idp::NodeIdp;

const REDIRECT_URI: &str = "http://127.0.0.1:4567/callback";

fn provider(idp: &NodeIdp) -> Arc<OAuthProvider> {
    Arc::new(
        OAuthProvider::oidc(
            OidcConfig::new(&idp.issuer, &idp.client_id).scopes(["openid", "email"]),
        )
        .unwrap(),
    )
}

/// Signs in as `login` in `browser`, stores the tokens under `login`.
fn sign_in(browser: &mut Browser, p: &OAuthProvider, store: &dyn TokenStore, login: &str) {
    let (url, _state, nonce, pkce) =
        support::interactions::authorize_url(p, REDIRECT_URI, &[("prompt", "consent")]);
    let redirect = sign_in_with(browser, &url, REDIRECT_URI, login);
    let code = redirect.param("code").unwrap();
    let tokens = p
        .exchange_code(
            &CodeExchange::new(&code, REDIRECT_URI)
                .pkce_verifier(pkce.verifier())
                .nonce(&nonce),
        )
        .unwrap();
    assert!(tokens.id_token.is_some());
    store.save(login, &tokens).unwrap();
}

/// `prompt=none` in `browser`: `Ok(())` with a code, or the redirect's
/// `error` (`login_required` when the provider has no session).
fn silent_authorize(browser: &mut Browser, p: &OAuthProvider) -> Result<(), String> {
    let state = random::state();
    let pkce = Pkce::generate();
    let url = p
        .build_authorize_url(&AuthorizeRequest {
            redirect_uri: REDIRECT_URI,
            state: &state,
            pkce: Some(&pkce),
            nonce: Some(&random::nonce()),
            extra_params: &[("prompt", "none")],
        })
        .unwrap();
    let mut page = browser.get(&url);
    for _ in 0..5 {
        let Some(next) = page.location.clone() else {
            break;
        };
        if next.starts_with(REDIRECT_URI) {
            let u = url::Url::parse(&next).unwrap();
            let get = |k: &str| {
                u.query_pairs()
                    .find(|(n, _)| n == k)
                    .map(|(_, v)| v.into_owned())
            };
            return match (get("code"), get("error")) {
                (Some(_), _) => Ok(()),
                (None, Some(e)) => Err(e),
                _ => panic!("{next}"),
            };
        }
        page = browser.get(&next);
    }
    panic!("no redirect: {} {}", page.status, page.body);
}

/// Plays the user at the provider's logout page: confirms, and returns the
/// redirect URL the provider sends the browser to.
fn confirm_logout(browser: &mut Browser, end_session_url: &str) -> String {
    let page = browser.get(end_session_url);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("sign-out"), "{}", page.body);
    let (action, hidden) = form_of(&page.body).expect("the logout form");
    let action = browser.origin.join(&action).unwrap().to_string();
    let mut form: Vec<(&str, &str)> = hidden
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    form.push(("logout", "yes"));
    let mut page = browser.post(&action, &form);
    for _ in 0..5 {
        let next = page.location.clone().expect("a redirect after logout");
        if next.contains("/logged-out") {
            return next;
        }
        page = browser.get(&next);
    }
    panic!("no post-logout redirect");
}

#[test]
fn url_mode_ends_the_provider_session_revokes_and_deletes() {
    needs!(Node);
    let idp = NodeIdp::start();
    let p = provider(&idp);
    let store = Arc::new(MemoryStore::new());
    let mut browser = Browser::new(&idp.issuer);
    sign_in(&mut browser, &p, &*store, "alice");
    // oidc-provider asks native clients for consent on every request, so
    // prompt=none never returns a code for them; but it checks the login
    // first: with a session the answer is interaction_required, without
    // one login_required.
    assert_eq!(
        silent_authorize(&mut browser, &p),
        Err("interaction_required".to_string()),
        "the session is alive before"
    );

    let redirect = "http://127.0.0.1:4567/logged-out";
    // Without offline_access the provider issued no refresh token: the
    // access token is the one revoked.
    assert!(store
        .load("alice")
        .unwrap()
        .unwrap()
        .refresh_token
        .is_none());
    let outcome = RpLogout::new(p.clone(), store.clone())
        .post_logout_redirect_uri(redirect)
        .url("alice")
        .unwrap();
    assert!(outcome.had_tokens && outcome.tokens_deleted);
    assert_eq!(outcome.revocation, RevocationOutcome::Revoked);
    assert_eq!(outcome.revoked_tokens, [TokenTypeHint::AccessToken]);
    assert!(!outcome.provider_session_ended);
    assert!(store.load("alice").unwrap().is_none());
    let url = outcome.end_session_url.clone().unwrap();
    let u = url::Url::parse(&url).unwrap();
    let q: std::collections::HashMap<_, _> = u.query_pairs().into_owned().collect();
    assert!(url.starts_with(&p.discover().unwrap().end_session_endpoint.unwrap()));
    assert!(q["id_token_hint"].split('.').count() == 3);
    assert_eq!(q["client_id"], idp.client_id);
    assert_eq!(q["post_logout_redirect_uri"], redirect);
    assert_eq!(q["state"], outcome.state);

    let back = confirm_logout(&mut browser, &url);
    assert!(back.starts_with(redirect), "{back}");
    assert!(back.contains(&format!("state={}", outcome.state)), "{back}");
    assert_eq!(
        silent_authorize(&mut browser, &p),
        Err("login_required".to_string()),
        "the provider's session ended"
    );
}

#[test]
fn run_mode_waits_for_the_providers_redirect_on_loopback_and_ignores_forgeries() {
    needs!(Node);
    let idp = NodeIdp::start();
    let p = provider(&idp);
    let store = Arc::new(MemoryStore::new());
    let browser = Arc::new(Mutex::new(Browser::new(&idp.issuer)));
    sign_in(&mut browser.lock().unwrap(), &p, &*store, "bob");
    let b2 = browser.clone();
    let outcome = RpLogout::new(p.clone(), store.clone())
        .timeout(Duration::from_secs(30))
        .browser(move |url| {
            let back = confirm_logout(&mut b2.lock().unwrap(), url);
            let forged = back.split('?').next().unwrap().to_string() + "?state=forged";
            std::thread::spawn(move || {
                // A forged redirect first (another local process): 400,
                // the wait goes on; then the real one.
                let agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .build()
                    .new_agent();
                let r = agent.get(&forged).call().unwrap();
                assert_eq!(r.status(), 400);
                let r = agent.get(&back).call().unwrap();
                assert_eq!(r.status(), 200);
            });
            Ok(())
        })
        .run("bob")
        .unwrap();
    assert!(outcome.provider_session_ended);
    assert!(outcome.tokens_deleted);
    assert_eq!(
        silent_authorize(&mut browser.lock().unwrap(), &p),
        Err("login_required".to_string())
    );
}

#[test]
fn run_mode_times_out_without_the_redirect_after_signing_out_locally() {
    needs!(Node);
    let idp = NodeIdp::start();
    let p = provider(&idp);
    let store = Arc::new(MemoryStore::new());
    sign_in(&mut Browser::new(&idp.issuer), &p, &*store, "carol");
    let outcome = RpLogout::new(p, store.clone())
        .timeout(Duration::from_millis(300))
        .browser(|_| Ok(()))
        .run("carol")
        .unwrap();
    assert!(!outcome.provider_session_ended);
    assert!(outcome.tokens_deleted);
    assert!(store.load("carol").unwrap().is_none());
}

#[test]
fn without_an_end_session_endpoint_it_still_signs_out_locally() {
    let p: Arc<dyn Provider> = Arc::new(
        OAuthProvider::oauth2(OAuth2Config::new(
            "plain",
            "id",
            "https://as.example/authorize",
            "https://as.example/token",
        ))
        .unwrap(),
    );
    let store = Arc::new(MemoryStore::new());
    store
        .save("dave", &oauthkit::TokenSet::bearer("at"))
        .unwrap();
    let outcome = RpLogout::new(p.clone(), store.clone())
        .browser(|_| panic!("nothing to open"))
        .run("dave")
        .unwrap();
    assert_eq!(outcome.end_session_url, None);
    assert_eq!(outcome.state, "", "no end-session, no state");
    assert!(outcome.had_tokens && outcome.tokens_deleted);
    assert_eq!(outcome.revocation, RevocationOutcome::NotSupported);
    assert!(outcome.revoked_tokens.is_empty() && !outcome.provider_session_ended);
    assert!(store.load("dave").unwrap().is_none());
    // Ending only the provider's session: nothing revoked or deleted, and
    // nothing to end here either.
    store
        .save("dave", &oauthkit::TokenSet::bearer("at"))
        .unwrap();
    let only = RpLogout::new(p, store.clone())
        .browser(|_| panic!("nothing to open"))
        .end_session_only(None)
        .unwrap();
    assert!(!only.had_tokens && !only.tokens_deleted && only.revoked_tokens.is_empty());
    assert_eq!(only.revocation, RevocationOutcome::NothingToRevoke);
    assert_eq!((only.end_session_url, only.state.as_str()), (None, ""));
    assert!(store.load("dave").unwrap().is_some());
}

#[test]
fn end_session_requests_refuse_smuggled_parameters_and_hide_the_hint() {
    needs!(Node);
    let idp = NodeIdp::start();
    let p = provider(&idp);
    let r = EndSessionRequest::new()
        .id_token_hint("header.payload.signature")
        .param("client_id", "other");
    assert!(!format!("{r:?}").contains("payload"));
    assert_eq!(
        p.end_session_url(&r).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    let url = p
        .end_session_url(&EndSessionRequest::new().param("ui_locales", "de"))
        .unwrap()
        .unwrap();
    assert!(url.contains("ui_locales=de") && url.contains("client_id="));
}
