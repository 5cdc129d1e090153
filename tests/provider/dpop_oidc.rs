//! DPoP against panva's oidc-provider (tests/browser/oidc-server.mjs, one
//! server per test; installed by scripts/setup-browser.sh), client
//! `CLIENT_ID-dpop` with `dpop_bound_access_tokens`: the native flow signs
//! in (dpop_jkt, proofs) and gets DPoP-bound tokens; the provider's
//! userinfo refuses them without a proof or as Bearer tokens and accepts
//! the helper's headers; refresh keeps the key, also from a second
//! process; the nonce retry; every algorithm; the key never in errors,
//! logs or plain-text stores.

use crate::support;

use oauthkit::provider::{CodeExchange, TokenRefresh, UserinfoRequest};
use std::sync::Arc;
use std::time::Duration;

use oauthkit::flow::{AuthFlowManager, NativeOptions};
use oauthkit::provider::DpopConfig;
use oauthkit::provider::SigningAlgorithm;
use oauthkit::provider::{OAuthProvider, OidcConfig, Provider};
use oauthkit::session::SessionManager;
use oauthkit::store::{EncryptedStore, JsonFileStore, MemoryStore, SealingKeys};
use oauthkit::unversioned::provider::dpop::{DpopHeaders, DpopNonces};
use oauthkit::unversioned::provider::DpopKey;
use oauthkit::{Error, Result, TokenSet, TokenStore};
use support::node_idp::NodeIdp;

const SCOPES: [&str; 4] = ["openid", "email", "profile", "offline_access"];
const REDIRECT_URI: &str = "http://127.0.0.1:4567/callback";

fn dpop_provider(idp: &NodeIdp, alg: SigningAlgorithm) -> Arc<OAuthProvider> {
    let cfg = OidcConfig::new(&idp.issuer, idp.client("dpop"))
        .scopes(SCOPES)
        .dpop(DpopConfig::new().algorithm(alg));
    Arc::new(OAuthProvider::oidc(cfg).unwrap())
}

fn userinfo_url(idp: &NodeIdp) -> String {
    format!("{}/me", idp.issuer)
}

/// The browser: the provider's forms over HTTP, then the redirect to the
/// flow's loopback server. Records the authorization URL.
fn opener(seen: Arc<std::sync::Mutex<Option<String>>>) -> impl Fn(&str) -> Result<()> {
    move |url: &str| {
        *seen.lock().unwrap() = Some(url.to_owned());
        let url = url.to_owned();
        std::thread::spawn(move || {
            let redirect_uri = url::Url::parse(&url)
                .unwrap()
                .query_pairs()
                .find(|(k, _)| k == "redirect_uri")
                .unwrap()
                .1
                .into_owned();
            let redirect = support::interactions::sign_in(&url, &redirect_uri, "dana");
            let _ = ureq::get(&redirect.url).call();
        });
        Ok(())
    }
}

/// A raw GET of userinfo with the given headers: (status, body).
fn get(url: &str, headers: &[(&str, &str)]) -> (u16, String, Option<String>, Option<String>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut req = agent.get(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut r = req.call().expect("the provider answers");
    let h = |n: &str| {
        r.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let (www, nonce) = (h("www-authenticate"), h("dpop-nonce"));
    (
        r.status().as_u16(),
        r.body_mut().read_to_string().unwrap_or_default(),
        www,
        nonce,
    )
}

/// Calls userinfo the way an application does with the helper: headers,
/// then once more if the server asked for a nonce.
fn call_with_helper(tokens: &TokenSet, url: &str, nonces: &DpopNonces) -> (u16, String) {
    for _ in 0..2 {
        let h = DpopHeaders::for_request(tokens, "GET", url, nonces).unwrap();
        let (status, body, www, nonce) = get(
            url,
            &[("Authorization", h.authorization()), ("DPoP", h.dpop())],
        );
        if !nonces.record_response(url, status, www.as_deref(), nonce.as_deref()) {
            return (status, body);
        }
    }
    panic!("asked for a nonce twice");
}

fn native_sign_in(provider: Arc<OAuthProvider>, store: Arc<dyn TokenStore>) -> (TokenSet, String) {
    let seen = Arc::new(std::sync::Mutex::new(None));
    let flow = AuthFlowManager::builder(provider)
        .store(store.clone())
        .extra_param("prompt", "consent")
        .timeout(Duration::from_secs(30))
        .build();
    let result = flow
        .run_native(NativeOptions::new().open_browser(opener(seen.clone())))
        .unwrap();
    let url = seen.lock().unwrap().clone().unwrap();
    (result.tokens, url)
}

#[test]
fn native_sign_in_yields_dpop_bound_tokens_the_provider_accepts_only_with_proofs() {
    needs!(Node);
    let idp = NodeIdp::start();
    let provider = dpop_provider(&idp, SigningAlgorithm::ES256);
    let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::new());
    let (tokens, authorize_url) = native_sign_in(provider.clone(), store.clone());
    let key = tokens.dpop_key.clone().expect("the tokens carry their key");
    assert!(tokens.token_type.eq_ignore_ascii_case("DPoP"));
    assert!(
        authorize_url.contains(&format!("dpop_jkt={}", key.thumbprint())),
        "{authorize_url}"
    );
    let stored = store.load("dana").unwrap().expect("stored under sub");
    assert_eq!(stored.dpop_key.as_ref(), Some(&key));

    let url = userinfo_url(&idp);
    let at = stored.access_token.expose();
    // refused: as a bearer token, as DPoP without a proof, with a proof of
    // another key, with a proof for another URL
    let (s, _, _, _) = get(&url, &[("Authorization", &format!("Bearer {at}"))]);
    assert!(s == 400 || s == 401, "Bearer accepted: {s}");
    let (s, _, _, _) = get(&url, &[("Authorization", &format!("DPoP {at}"))]);
    assert!(s == 400 || s == 401, "no proof accepted: {s}");
    let mut other = stored.clone();
    other.dpop_key = Some(DpopKey::generate(SigningAlgorithm::ES256).unwrap());
    let h = DpopHeaders::for_request(&other, "GET", &url, &DpopNonces::new()).unwrap();
    let (s, _, _, _) = get(
        &url,
        &[("Authorization", h.authorization()), ("DPoP", h.dpop())],
    );
    assert_eq!(s, 401, "a proof of another key accepted");
    let h = DpopHeaders::for_request(
        &stored,
        "GET",
        &format!("{}/other", idp.issuer),
        &DpopNonces::new(),
    )
    .unwrap();
    let (s, _, _, _) = get(
        &url,
        &[("Authorization", h.authorization()), ("DPoP", h.dpop())],
    );
    assert!(
        s == 400 || s == 401,
        "a proof for another URL accepted: {s}"
    );
    // a replayed proof is refused (oidc-provider remembers jti)
    let h = DpopHeaders::for_request(&stored, "GET", &url, &DpopNonces::new()).unwrap();
    let headers = [("Authorization", h.authorization()), ("DPoP", h.dpop())];
    assert_eq!(get(&url, &headers).0, 200);
    assert_ne!(get(&url, &headers).0, 200, "a replayed proof accepted");

    // accepted: the helper's headers, through the session manager too
    let session = SessionManager::new(provider.clone(), store.clone());
    let h = session.dpop_headers("dana", "GET", &url).unwrap();
    let (s, body, _, _) = get(
        &url,
        &[("Authorization", h.authorization()), ("DPoP", h.dpop())],
    );
    assert_eq!(s, 200, "{body}");
    assert!(body.contains("dana@example.test"));
    assert_eq!(
        provider
            .get_userinfo(&UserinfoRequest::of(&stored))
            .unwrap()
            .unwrap()
            .sub
            .unwrap(),
        "dana"
    );

    // refresh: same key, a new token that works with the same key
    let fresh = session.refresh("dana").unwrap();
    assert_ne!(fresh.access_token, stored.access_token);
    assert_eq!(fresh.dpop_key.as_ref(), Some(&key));
    assert_eq!(call_with_helper(&fresh, &url, &DpopNonces::new()).0, 200);
    // the refresh token is bound too: refreshing with another key fails
    let mut stolen = fresh.clone();
    stolen.dpop_key = Some(DpopKey::generate(SigningAlgorithm::ES256).unwrap());
    let e = provider
        .refresh_tokens(&TokenRefresh::of(&stolen).unwrap())
        .unwrap_err();
    assert!(matches!(e, Error::OAuth { .. }), "{e:?}");
}

#[test]
fn without_a_proof_the_provider_refuses_this_client() {
    needs!(Node);
    let idp = NodeIdp::start();
    let cfg = OidcConfig::new(&idp.issuer, idp.client("dpop")).scopes(SCOPES);
    let plain = OAuthProvider::oidc(cfg).unwrap();
    let (url, _state, nonce, pkce) =
        support::interactions::authorize_url(&plain, REDIRECT_URI, &[("prompt", "consent")]);
    let code = support::interactions::sign_in(&url, REDIRECT_URI, "eve")
        .param("code")
        .unwrap();
    let e = plain
        .exchange_code(
            &CodeExchange::new(&code, REDIRECT_URI)
                .pkce_verifier(pkce.verifier())
                .nonce(&nonce),
        )
        .unwrap_err();
    assert!(matches!(e, Error::OAuth { .. }), "{e:?}");
}

/// Code, exchange and userinfo with the key of `alg`.
fn sign_in_with_key(idp: &NodeIdp, provider: &OAuthProvider, alg: SigningAlgorithm) -> TokenSet {
    let key = DpopKey::generate(alg).unwrap();
    let (url, _state, nonce, pkce) = support::interactions::authorize_url(
        provider,
        REDIRECT_URI,
        &[("prompt", "consent"), ("dpop_jkt", key.thumbprint())],
    );
    let code = support::interactions::sign_in(&url, REDIRECT_URI, "carl")
        .param("code")
        .unwrap();
    let t = provider
        .exchange_code(
            &CodeExchange::new(&code, REDIRECT_URI)
                .pkce_verifier(pkce.verifier())
                .nonce(&nonce)
                .dpop(&key),
        )
        .unwrap_or_else(|e| panic!("{alg}: {}", e.report()));
    let _ = idp;
    t
}

#[test]
fn every_algorithm_signs_in_and_calls_userinfo() {
    needs!(Node);
    let idp = NodeIdp::start();
    for alg in [
        SigningAlgorithm::ES256,
        SigningAlgorithm::EdDSA,
        SigningAlgorithm::RS256,
        SigningAlgorithm::PS256,
    ] {
        let provider = dpop_provider(&idp, alg);
        let t = sign_in_with_key(&idp, &provider, alg);
        assert_eq!(t.dpop_key.as_ref().unwrap().algorithm(), alg);
        assert_eq!(
            provider
                .get_userinfo(&UserinfoRequest::of(&t))
                .unwrap()
                .unwrap()
                .sub
                .unwrap(),
            "carl",
            "{alg}"
        );
        let r = provider
            .refresh_tokens(&TokenRefresh::of(&t).unwrap())
            .unwrap();
        let (s, body) = call_with_helper(&r, &userinfo_url(&idp), &DpopNonces::new());
        assert_eq!(s, 200, "{alg}: {body}");
    }
}

/// `requireNonce`: the token endpoint answers 400 use_dpop_nonce and
/// userinfo 401 with a DPoP challenge; each is retried once.
#[test]
fn the_nonce_retry_works_at_the_token_endpoint_and_userinfo() {
    needs!(Node);
    let idp = NodeIdp::start();
    idp.require_dpop_nonce();
    let provider = dpop_provider(&idp, SigningAlgorithm::ES256);
    let t = sign_in_with_key(&idp, &provider, SigningAlgorithm::ES256);
    assert!(t.token_type.eq_ignore_ascii_case("DPoP"));
    assert_eq!(
        provider
            .get_userinfo(&UserinfoRequest::of(&t))
            .unwrap()
            .unwrap()
            .sub
            .unwrap(),
        "carl"
    );
    let r = provider
        .refresh_tokens(&TokenRefresh::of(&t).unwrap())
        .unwrap();
    // the application's own call: first answer 401 + nonce, then 200
    let nonces = DpopNonces::new();
    let url = userinfo_url(&idp);
    let h = DpopHeaders::for_request(&r, "GET", &url, &nonces).unwrap();
    let (s, _, www, nonce) = get(
        &url,
        &[("Authorization", h.authorization()), ("DPoP", h.dpop())],
    );
    assert_eq!(s, 401);
    assert!(
        nonces.record_response(&url, s, www.as_deref(), nonce.as_deref()),
        "{www:?}"
    );
    let h = DpopHeaders::for_request(&r, "GET", &url, &nonces).unwrap();
    let (s, body, _, _) = get(
        &url,
        &[("Authorization", h.authorization()), ("DPoP", h.dpop())],
    );
    assert_eq!(s, 200, "{body}");
}

/// Hostile: the private key never reaches a plain-text store, an error or
/// the log; the encrypted store's file holds no trace of it.
#[test]
fn the_private_key_never_leaks() {
    needs!(Node);
    support::log_capture::install();
    let idp = NodeIdp::start();
    let provider = dpop_provider(&idp, SigningAlgorithm::ES256);
    let dir = tempfile::tempdir().unwrap();
    let plain_path = dir.path().join("plain.json");
    let plain: Arc<dyn TokenStore> = Arc::new(JsonFileStore::open(&plain_path).unwrap());
    let seen = Arc::new(std::sync::Mutex::new(None));
    let flow = AuthFlowManager::builder(provider.clone())
        .store(plain.clone())
        .extra_param("prompt", "consent")
        .timeout(Duration::from_secs(30))
        .build();
    let e = flow
        .run_native(NativeOptions::new().open_browser(opener(seen.clone())))
        .unwrap_err();
    assert!(matches!(e, Error::DpopKeyUnprotected { .. }), "{e:?}");
    assert!(e.to_string().contains("encrypt="));
    assert!(
        seen.lock().unwrap().is_none(),
        "refused before the browser opened"
    );
    let raw = std::fs::read_to_string(&plain_path).unwrap_or_default();
    assert!(!raw.contains("access_token"), "nothing saved: {raw}");

    let sealed_path = dir.path().join("sealed.json");
    let sealed: Arc<dyn TokenStore> = Arc::new(EncryptedStore::new(
        JsonFileStore::open(&sealed_path).unwrap(),
        SealingKeys::from_text(SealingKeys::generate_key_text().expose()).unwrap(),
    ));
    let (tokens, _) = native_sign_in(provider.clone(), sealed.clone());
    let pkcs8 = tokens.dpop_key.as_ref().unwrap().to_pkcs8();
    let needles: Vec<String> = [
        base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, &*pkcs8),
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &*pkcs8),
        pkcs8.iter().map(|b| format!("{b:02x}")).collect(),
    ]
    .into_iter()
    .map(|s| s[s.len() - 40..].to_owned())
    .collect();
    let raw = std::fs::read_to_string(&sealed_path).unwrap();
    let debug = format!("{tokens:?} {:?}", tokens.dpop_key);
    let logged = support::log_capture::lines_with(log::Level::Trace, "").join("\n");
    let errors = format!(
        "{} {}",
        e.report(),
        provider
            .refresh_tokens(
                &TokenRefresh::of(
                    &TokenSet::bearer("x")
                        .with_refresh_token("bad")
                        .with_dpop_key(tokens.dpop_key.clone().unwrap())
                )
                .unwrap()
            )
            .unwrap_err()
            .report()
    );
    for n in &needles {
        for (what, text) in [
            ("store", &raw),
            ("debug", &debug),
            ("log", &logged),
            ("errors", &errors),
        ] {
            assert!(
                !text.contains(n.as_str()),
                "the private key is in the {what}"
            );
        }
    }
    assert_eq!(
        sealed.load("dana").unwrap().unwrap().dpop_key,
        tokens.dpop_key
    );
}

const CHILD_ENV: &str = "OAK_DPOP_TEST_CHILD";

/// Signs in, stores the tokens in an encrypted file, then a second process
/// (this binary, test `child_refreshes_from_the_shared_store`) refreshes
/// through its own session manager: it signs with the same key, so the new
/// token works with this process's key.
#[test]
fn a_refresh_in_a_second_process_uses_the_same_key() {
    needs!(Node);
    let idp = NodeIdp::start();
    let provider = dpop_provider(&idp, SigningAlgorithm::ES256);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    let key_text = SealingKeys::generate_key_text();
    let store: Arc<dyn TokenStore> = Arc::new(EncryptedStore::new(
        JsonFileStore::open(&path).unwrap(),
        SealingKeys::from_text(key_text.expose()).unwrap(),
    ));
    let (tokens, _) = native_sign_in(provider.clone(), store.clone());
    let spec = format!("file:{}?encrypt=env:OAK_DPOP_TEST_KEY", path.display());
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            &support::test_name(module_path!(), "child_refreshes_from_the_shared_store"),
            "--include-ignored",
            "--nocapture",
        ])
        .env(
            CHILD_ENV,
            format!("{spec}\n{}\n{}", idp.issuer, idp.client("dpop")),
        )
        .env("OAK_DPOP_TEST_KEY", key_text.expose())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "child failed: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let after = store.load("dana").unwrap().unwrap();
    assert_ne!(
        after.access_token, tokens.access_token,
        "the child refreshed"
    );
    assert_eq!(after.dpop_key, tokens.dpop_key, "with the same key");
    assert_eq!(
        call_with_helper(&after, &userinfo_url(&idp), &DpopNonces::new()).0,
        200
    );
}

#[test]
#[ignore = "the second process of a_refresh_in_a_second_process_uses_the_same_key"]
fn child_refreshes_from_the_shared_store() {
    let setup =
        std::env::var(CHILD_ENV).expect("run by a_refresh_in_a_second_process_uses_the_same_key");
    let mut parts = setup.lines();
    let (spec, issuer, client) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let store: Arc<dyn TokenStore> = oauthkit::store::open(spec).unwrap();
    let provider = OAuthProvider::oidc(
        OidcConfig::new(issuer, client)
            .scopes(SCOPES)
            .dpop(DpopConfig::new()),
    )
    .unwrap();
    let session = SessionManager::new(Arc::new(provider), store);
    let before = session.tokens("dana").unwrap();
    let fresh = session.refresh("dana").unwrap();
    assert_ne!(fresh.access_token, before.access_token);
    assert_eq!(fresh.dpop_key, before.dpop_key);
}

/// A caller-supplied key binds the sign-in (`with_dpop_key`); a provider
/// without DPoP refuses one before the browser opens.
#[test]
fn a_given_key_binds_the_native_sign_in() {
    needs!(Node);
    let idp = NodeIdp::start();
    let provider = dpop_provider(&idp, SigningAlgorithm::ES256);
    let key = DpopKey::generate(SigningAlgorithm::EdDSA).unwrap();
    let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::new());
    let seen = Arc::new(std::sync::Mutex::new(None));
    let flow = AuthFlowManager::builder(provider)
        .store(store)
        .extra_param("prompt", "consent")
        .timeout(Duration::from_secs(30))
        .dpop_key(key.clone())
        .build();
    let result = flow
        .run_native(NativeOptions::new().open_browser(opener(seen.clone())))
        .unwrap();
    assert_eq!(result.tokens.dpop_key.as_ref(), Some(&key));
    assert!(seen
        .lock()
        .unwrap()
        .as_deref()
        .unwrap()
        .contains(&format!("dpop_jkt={}", key.thumbprint())));

    let plain = Arc::new(
        OAuthProvider::oidc(OidcConfig::new(&idp.issuer, &idp.client_id).scopes(SCOPES)).unwrap(),
    );
    let opened = Arc::new(std::sync::Mutex::new(None));
    let e = AuthFlowManager::builder(plain)
        .dpop_key(key)
        .build()
        .run_native(NativeOptions::new().open_browser(opener(opened.clone())))
        .unwrap_err();
    assert!(e.to_string().contains("not configured for DPoP"), "{e}");
    assert!(opened.lock().unwrap().is_none(), "the browser was opened");
}

/// Starts deploy mode's routes for `provider` and `store` on loopback.
fn deploy_server(
    provider: Arc<dyn Provider>,
    store: Arc<dyn TokenStore>,
) -> oauthkit::web::DeployServer {
    use oauthkit::web::{DeployHandler, DeployOptions, DeployServer};
    DeployServer::start("127.0.0.1:0".parse().unwrap(), move |base| {
        DeployHandler::new(provider, store, DeployOptions::new(base))
    })
    .unwrap()
}

/// Deploy mode with a DPoP provider: `/auth/login` sends `dpop_jkt` (the
/// sign-in's key rides sealed in the login cookie), the callback exchanges
/// the code with a proof of that key, and the stored tokens are bound to
/// it: the provider's userinfo refuses them as Bearer tokens and accepts
/// them with the helper's proof.
#[test]
fn deploy_mode_signs_in_with_dpop_bound_tokens() {
    needs!(Node);
    let idp = NodeIdp::start();
    let provider = dpop_provider(&idp, SigningAlgorithm::ES256);
    let store = Arc::new(MemoryStore::new());
    let (at_idp, _) = support::interactions::deploy_sign_in(provider, store.clone(), "dana");
    let jkt = url::Url::parse(&at_idp)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "dpop_jkt")
        .map(|(_, v)| v.into_owned())
        .expect("the authorization request binds the code to a key (dpop_jkt)");

    let stored = store.load("dana").unwrap().expect("stored under sub");
    assert_eq!(stored.token_type, "DPoP");
    let key = stored.dpop_key.clone().expect("the tokens carry their key");
    assert_eq!(key.thumbprint(), jkt, "bound to the key dpop_jkt named");
    let url = userinfo_url(&idp);
    let bearer = format!("Bearer {}", stored.access_token.expose());
    let (status, ..) = get(&url, &[("Authorization", bearer.as_str())]);
    assert_eq!(status, 401, "a DPoP-bound token used as a Bearer token");
    let (status, body) = call_with_helper(&stored, &url, &DpopNonces::new());
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"sub\":\"dana\""), "{body}");
}

/// Deploy mode cannot keep a DPoP key in a store that does not protect
/// secrets: `/auth/login` says so before the user is sent to the provider,
/// and nothing is stored.
#[test]
fn deploy_mode_refuses_dpop_with_a_plain_text_store() {
    needs!(Node);
    let idp = NodeIdp::start();
    let provider = dpop_provider(&idp, SigningAlgorithm::ES256);
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(JsonFileStore::open(dir.path().join("tokens.json")).unwrap());
    let server = deploy_server(provider, store.clone());
    let base = server.base_url().to_string();
    let mut browser = support::interactions::Browser::new(&base);
    let login = browser.get(&format!("{base}/auth/login"));
    assert_eq!(login.status, 500, "{}", login.body);
    assert!(login.location.is_none(), "sent to the provider anyway");
    assert!(login.body.contains("DPoP"), "{}", login.body);
    assert!(store.list_keys().unwrap().is_empty());
}
