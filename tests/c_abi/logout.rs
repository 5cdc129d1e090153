//! Signing out from C (`oak_logout`, `oak_logout_url`) at panva's
//! oidc-provider: tokens revoked and deleted, the provider's session ended
//! (an authorization request with prompt=none in the same browser then
//! answers login_required).

use crate::support;

use oauthkit::provider::CodeExchange;
use std::ffi::{c_char, c_void, CStr, CString};
use std::ptr;
use std::sync::Mutex;

use oauthkit::capi::logout::*;
use oauthkit::capi::provider::*;
use oauthkit::capi::provider_oauth2::oak_provider_oauth2;
use oauthkit::capi::store::*;
use oauthkit::capi::strings::*;
use oauthkit::capi::token_set::*;
use oauthkit::capi::{OakProvider, OakStatus::*, OakStore};
use oauthkit::provider::{AuthorizeRequest, OAuthProvider, OidcConfig, Provider};
use oauthkit::unversioned::provider::Pkce;
use oauthkit::unversioned::random;
use support::interactions::{form_of, sign_in_with, Browser};
use support::node_idp::NodeIdp;

const REDIRECT_URI: &str = "http://127.0.0.1:4567/callback";

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

/// Signs in in `browser` (so the provider has a session) and saves the
/// tokens under `key` in the C store.
fn sign_in(idp: &NodeIdp, browser: &mut Browser, store: *mut OakStore, key: &str) -> OAuthProvider {
    let p = OAuthProvider::oidc(OidcConfig::new(&idp.issuer, &idp.client_id).scopes(["openid"]))
        .unwrap();
    let (url, _state, nonce, pkce) = support::interactions::authorize_url(&p, REDIRECT_URI, &[]);
    let code = sign_in_with(browser, &url, REDIRECT_URI, "gina")
        .param("code")
        .unwrap();
    let tokens = p
        .exchange_code(
            &CodeExchange::new(&code, REDIRECT_URI)
                .pkce_verifier(pkce.verifier())
                .nonce(&nonce),
        )
        .unwrap();
    unsafe {
        let mut ts = ptr::null_mut();
        assert_eq!(
            oak_token_set_from_json(c(&tokens.to_json()).as_ptr(), &mut ts),
            OAK_OK
        );
        assert_eq!(oak_store_save(store, c(key).as_ptr(), ts), OAK_OK);
        oak_token_set_free(ts);
    }
    p
}

fn login_required_now(browser: &mut Browser, p: &OAuthProvider) -> bool {
    let url = p
        .build_authorize_url(&AuthorizeRequest {
            redirect_uri: REDIRECT_URI,
            state: &random::state(),
            pkce: Some(&Pkce::generate()),
            nonce: Some(&random::nonce()),
            extra_params: &[("prompt", "none")],
        })
        .unwrap();
    let mut page = browser.get(&url);
    for _ in 0..5 {
        let next = page.location.clone().expect("a redirect");
        if next.starts_with(REDIRECT_URI) {
            return next.contains("error=login_required");
        }
        page = browser.get(&next);
    }
    panic!("no redirect to the client");
}

fn confirm_logout(browser: &mut Browser, url: &str) -> String {
    let page = browser.get(url);
    let (action, hidden) = form_of(&page.body).expect("the logout form");
    let action = browser.origin.join(&action).unwrap().to_string();
    let mut form: Vec<(&str, &str)> = hidden
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    form.push(("logout", "yes"));
    let mut page = browser.post(&action, &form);
    loop {
        let next = page.location.clone().expect("a redirect after logout");
        if next.contains("/logged-out") {
            return next;
        }
        page = browser.get(&next);
    }
}

unsafe fn c_provider(idp: &NodeIdp) -> *mut OakProvider {
    let mut p = ptr::null_mut();
    assert_eq!(
        oak_provider_oidc(
            c(&idp.issuer).as_ptr(),
            c(&idp.client_id).as_ptr(),
            ptr::null(),
            c("openid").as_ptr(),
            &mut p
        ),
        OAK_OK
    );
    p
}

static BROWSER: Mutex<Option<Browser>> = Mutex::new(None);

unsafe extern "C" fn open_in_test_browser(url: *const c_char, _: *mut c_void) -> i32 {
    let url = CStr::from_ptr(url).to_str().unwrap().to_owned();
    let back = confirm_logout(BROWSER.lock().unwrap().as_mut().unwrap(), &url);
    std::thread::spawn(move || {
        let _ = ureq::get(&back).call();
    });
    0
}

#[test]
fn oak_logout_ends_the_provider_session() {
    needs!(Node);
    let idp = NodeIdp::start();
    unsafe {
        let mut store = ptr::null_mut();
        assert_eq!(oak_store_open(c("memory:").as_ptr(), &mut store), OAK_OK);
        let mut browser = Browser::new(&idp.issuer);
        let p = sign_in(&idp, &mut browser, store, "gina");
        assert!(!login_required_now(&mut browser, &p));
        *BROWSER.lock().unwrap() = Some(browser);
        let provider = c_provider(&idp);
        let mut result = OakLogoutResult::default();
        let status = oak_logout(
            provider,
            store,
            c("gina").as_ptr(),
            30,
            Some(open_in_test_browser),
            ptr::null_mut(),
            &mut result,
        );
        assert_eq!(status, OAK_OK);
        assert!(result.tokens_revoked && result.tokens_deleted && result.provider_session_ended);
        let mut exists = true;
        assert_eq!(
            oak_store_exists(store, c("gina").as_ptr(), &mut exists),
            OAK_OK
        );
        assert!(!exists);
        let mut browser = BROWSER.lock().unwrap().take().unwrap();
        assert!(login_required_now(&mut browser, &p));
        oak_provider_free(provider);
        oak_store_free(store);
    }
}

#[test]
fn oak_logout_url_hands_the_url_to_the_program() {
    needs!(Node);
    let idp = NodeIdp::start();
    unsafe {
        let mut store = ptr::null_mut();
        assert_eq!(oak_store_open(c("memory:").as_ptr(), &mut store), OAK_OK);
        let mut browser = Browser::new(&idp.issuer);
        sign_in(&idp, &mut browser, store, "hal");
        let provider = c_provider(&idp);
        let (mut url, mut result) = (ptr::null_mut(), OakLogoutResult::default());
        let status = oak_logout_url(
            provider,
            store,
            c("hal").as_ptr(),
            c("http://127.0.0.1:4567/logged-out").as_ptr(),
            &mut url,
            &mut result,
        );
        assert_eq!(status, OAK_OK);
        let text = CStr::from_ptr(url).to_str().unwrap().to_owned();
        oak_string_free(url);
        assert!(text.contains("id_token_hint=") && text.contains("post_logout_redirect_uri="));
        assert!(result.tokens_deleted && !result.provider_session_ended);
        let back = confirm_logout(&mut browser, &text);
        assert!(back.starts_with("http://127.0.0.1:4567/logged-out"));
        assert_eq!(
            oak_logout_url(
                provider,
                store,
                ptr::null(),
                ptr::null(),
                &mut url,
                ptr::null_mut()
            ),
            OAK_ERR_INVALID_ARGUMENT
        );
        oak_provider_free(provider);
        oak_store_free(store);
    }
}

/// `OakLogoutResult::tokens_revoked` keeps its meaning, "the provider
/// accepted the revocation of a stored token", now that it is read from
/// the one sign-out report: true when only the refresh token's revocation
/// was accepted (the access token's answered 503), false when every
/// revocation failed, false without a revocation endpoint; the tokens are
/// deleted in each case and there is no end-session URL (plain OAuth 2.0).
#[test]
fn tokens_revoked_means_the_provider_accepted_one_revocation() {
    use support::mock_http::{MockServer, Recorded, Reply};
    fn refresh_ok_access_503(r: &Recorded, _: usize) -> Reply {
        match r.form_value("token_type_hint").as_deref() {
            Some("refresh_token") => Reply::status(200),
            _ => Reply::status(503),
        }
    }
    let revoke = MockServer::start();
    revoke.route("/partial", Reply::Computed(refresh_ok_access_503, 0));
    revoke.route("/down", Reply::status(503));
    let tokens = r#"{"access_token":"at-1","refresh_token":"rt-1","token_type":"Bearer"}"#;
    for (revocation, revoked) in [
        (Some(revoke.url("/partial")), true),
        (Some(revoke.url("/down")), false),
        (None, false),
    ] {
        unsafe {
            let mut store = ptr::null_mut();
            assert_eq!(oak_store_open(c("memory:").as_ptr(), &mut store), OAK_OK);
            let mut ts = ptr::null_mut();
            assert_eq!(oak_token_set_from_json(c(tokens).as_ptr(), &mut ts), OAK_OK);
            assert_eq!(oak_store_save(store, c("ivy").as_ptr(), ts), OAK_OK);
            oak_token_set_free(ts);
            let revocation = revocation.map(|u| c(&u));
            let mut provider = ptr::null_mut();
            assert_eq!(
                oak_provider_oauth2(
                    c(&revoke.url("/authorize")).as_ptr(),
                    c(&revoke.url("/token")).as_ptr(),
                    revocation.as_ref().map_or(ptr::null(), |u| u.as_ptr()),
                    ptr::null(),
                    c("client").as_ptr(),
                    ptr::null(),
                    ptr::null(),
                    &mut provider,
                ),
                OAK_OK
            );
            let (mut url, mut result) = (ptr::null_mut(), OakLogoutResult::default());
            let status = oak_logout_url(
                provider,
                store,
                c("ivy").as_ptr(),
                ptr::null(),
                &mut url,
                &mut result,
            );
            assert_eq!(status, OAK_OK);
            assert!(url.is_null(), "no end-session endpoint");
            assert_eq!(
                result,
                OakLogoutResult {
                    tokens_revoked: revoked,
                    tokens_deleted: true,
                    provider_session_ended: false,
                },
                "{revocation:?}"
            );
            oak_provider_free(provider);
            oak_store_free(store);
        }
    }
    assert_eq!(revoke.count("/partial"), 2);
    assert_eq!(revoke.count("/down"), 2);
}
