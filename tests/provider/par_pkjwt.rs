//! PAR (RFC 9126), private_key_jwt (RFC 7523 §2.2) and the JWT bearer
//! grant (RFC 7523 §2.1) against panva's oidc-provider
//! (tests/browser/oidc-server.mjs, one process per test): the native flow
//! signs in through PAR with a client the provider refuses without it;
//! a private_key_jwt client exchanges a code, refreshes, revokes and gets
//! client-credentials tokens with keys the provider generated (ES256 PEM,
//! PS256 JWK); the provider's JWT bearer grant (registered in the test
//! server, checking signature, iss, sub, aud, exp and single-use jti)
//! issues tokens for assertions oauthkit signs; deploy mode signs in through
//! PAR too.

use crate::support;

use oauthkit::provider::{TokenRefresh, TokenRevocation, UserinfoRequest};
use std::sync::Arc;
use std::time::Duration;

use oauthkit::flow::{AuthFlowManager, NativeOptions};
use oauthkit::provider::ParPolicy;
use oauthkit::provider::{GrantRequest, OAuthProvider, OidcConfig, Provider, TokenTypeHint};
use oauthkit::provider::{SigningAlgorithm, SigningKey};
use oauthkit::store::MemoryStore;
use oauthkit::unversioned::flow::{CallbackServerOptions, PortChoice};
use oauthkit::unversioned::provider::jwt_bearer::JwtBearerAssertion;
use oauthkit::{ErrorKind, Result, TokenStore};
use serde_json::Value;
use support::node_idp::NodeIdp;

fn keys(idp: &NodeIdp) -> Value {
    let body = ureq::get(&format!("{}/test/keys", idp.issuer))
        .call()
        .expect("GET /test/keys")
        .body_mut()
        .read_to_string()
        .unwrap();
    serde_json::from_str(&body).unwrap()
}

fn query_names(url: &str) -> Vec<String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .map(|(k, _)| k.into_owned())
        .collect()
}

/// Signs in through the native flow (loopback server, the provider's
/// login and consent pages driven over HTTP); `push` says whether the
/// browser URL must be a PAR reference. Returns the opened URL's
/// parameter names and the flow's result.
fn native_sign_in(
    provider: Arc<dyn Provider>,
    login: &str,
) -> (Vec<String>, Result<oauthkit::flow::AuthFlowResult>) {
    let store = Arc::new(MemoryStore::new());
    // A pushed request's redirect_uri is not in the browser URL, so the
    // callback port is fixed here to know where the provider will send
    // the browser.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let redirect_uri = format!("http://127.0.0.1:{port}/callback");
    let flow = AuthFlowManager::builder(provider)
        .store(store)
        .callback_options(CallbackServerOptions::new().port(PortChoice::Fixed(port)))
        .extra_param("prompt", "consent")
        .timeout(Duration::from_secs(30))
        .build();
    let opened = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = opened.clone();
    let login = login.to_string();
    let open = move |url: &str| -> Result<()> {
        *seen.lock().unwrap() = query_names(url);
        let url = url.to_string();
        let (login, redirect_uri) = (login.clone(), redirect_uri.clone());
        std::thread::spawn(move || {
            let redirect = support::interactions::sign_in(&url, &redirect_uri, &login);
            let _ = ureq::get(&redirect.url)
                .config()
                .http_status_as_error(false)
                .build()
                .call();
        });
        Ok(())
    };
    let result = flow.run_native(NativeOptions::new().open_browser(&open));
    let names = opened.lock().unwrap().clone();
    (names, result)
}

#[test]
fn native_sign_in_through_par_with_a_client_that_requires_it() {
    needs!(Node);
    let idp = NodeIdp::start();
    let client = idp.client("par");
    let config =
        || OidcConfig::new(&idp.issuer, &client).scopes(["openid", "email", "offline_access"]);
    // Without PAR the provider refuses this client's authorization
    // request (so the test below proves PAR was used).
    let plain = OAuthProvider::oidc(config()).unwrap();
    let pkce = oauthkit::unversioned::provider::Pkce::generate();
    let url = plain
        .build_authorize_url(&oauthkit::provider::AuthorizeRequest {
            redirect_uri: "http://127.0.0.1:9/callback",
            state: "state-1",
            pkce: Some(&pkce),
            ..Default::default()
        })
        .unwrap();
    assert!(query_names(&url).contains(&"code_challenge".to_string()));
    let mut browser = support::interactions::Browser::new(&url);
    let page = browser.get(&url);
    let refused = page.location.as_deref().unwrap_or(&page.body).to_string();
    assert!(
        refused.contains("invalid_request") || refused.contains("pushed"),
        "the provider must refuse a non-pushed request of this client: {} {refused}",
        page.status
    );

    let provider: Arc<dyn Provider> =
        Arc::new(OAuthProvider::oidc(config().par(ParPolicy::Always)).unwrap());
    let (opened, result) = native_sign_in(provider.clone(), "paula");
    assert_eq!(
        opened,
        ["client_id", "request_uri"],
        "only the PAR reference in the browser"
    );
    let result = result.unwrap();
    assert_eq!(result.key, "paula");
    assert!(result.tokens.id_token.is_some() && result.tokens.refresh_token.is_some());
    let refreshed = provider
        .refresh_tokens(&TokenRefresh::of(&result.tokens).unwrap())
        .unwrap();
    assert_eq!(refreshed.identity_id.as_deref(), Some("paula"));
}

fn pkjwt_provider(idp: &NodeIdp, key: SigningKey, scopes: &[&str]) -> Arc<dyn Provider> {
    let cfg = OidcConfig::new(&idp.issuer, idp.client("pkjwt"))
        .scopes(scopes.iter().copied())
        .private_key_jwt(key);
    Arc::new(OAuthProvider::oidc(cfg).unwrap())
}

fn es256_key(idp: &NodeIdp) -> SigningKey {
    let k = keys(idp);
    SigningKey::from_pem(
        k["pkjwt_es256_pem"].as_str().unwrap(),
        SigningAlgorithm::ES256,
    )
    .unwrap()
    .with_kid("pkjwt-es256")
}

#[test]
fn private_key_jwt_code_exchange_refresh_revocation_and_client_credentials() {
    needs!(Node);
    let idp = NodeIdp::start();
    let key = es256_key(&idp);
    let provider = pkjwt_provider(&idp, key.clone(), &["openid", "offline_access"]);
    // PAR on too: the push is authenticated with an assertion as well
    let par = Arc::new(
        OAuthProvider::oidc(
            OidcConfig::new(&idp.issuer, idp.client("pkjwt"))
                .scopes(["openid", "offline_access"])
                .private_key_jwt(key.clone())
                .par(ParPolicy::Always),
        )
        .unwrap(),
    );
    for (label, p) in [
        ("plain", provider.clone()),
        ("PAR", par as Arc<dyn Provider>),
    ] {
        let (opened, result) = native_sign_in(p.clone(), "karl");
        let result = result.unwrap_or_else(|e| panic!("{label}: {e}"));
        if label == "PAR" {
            assert_eq!(opened, ["client_id", "request_uri"]);
        } else {
            assert!(opened.contains(&"code_challenge".to_string()));
        }
        assert_eq!(result.key, "karl");
        let rt = result
            .tokens
            .refresh_token
            .clone()
            .expect("a refresh token");
        let fresh = p
            .refresh_tokens(&TokenRefresh::of(&result.tokens).unwrap())
            .unwrap();
        let new_rt = fresh.refresh_token.clone().unwrap();
        assert_ne!(new_rt.expose(), rt.expose(), "rotated");
        // revocation authenticates with an assertion too; afterwards the
        // refresh token is dead
        assert!(p
            .revoke_token(&TokenRevocation::new(new_rt.expose()).hint(TokenTypeHint::RefreshToken))
            .unwrap());
        let e = p
            .refresh_tokens(&TokenRefresh::new(new_rt.expose()))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidGrant, "{label}: {e}");
    }

    // client credentials with the ES256 PEM key and with the PS256 JWK
    let cc = pkjwt_provider(&idp, key, &["api:read"]);
    let t = cc
        .request_client_credentials(&GrantRequest::client_credentials())
        .unwrap();
    assert!(!t.access_token.expose().is_empty());
    let jwk = keys(&idp)["pkjwt_ps256_jwk"].to_string();
    let ps = SigningKey::from_jwk(&jwk).unwrap();
    assert_eq!(ps.algorithm(), SigningAlgorithm::PS256);
    assert_eq!(ps.kid(), Some("pkjwt-ps256"));
    let t = pkjwt_provider(&idp, ps, &["api:write"])
        .request_client_credentials(&GrantRequest::client_credentials())
        .unwrap();
    assert!(t.has_scope("api:write"), "{:?}", t.scopes);
    let cc_requests = idp.stats()["cc_requests"].as_array().unwrap().clone();
    assert_eq!(cc_requests.len(), 2);
    assert!(cc_requests
        .iter()
        .all(|r| r["answer"] == "token" && r["basic"] == false));

    // a key the provider does not know is refused (invalid_client)
    let stranger = SigningKey::generate(SigningAlgorithm::ES256)
        .unwrap()
        .with_kid("pkjwt-es256");
    let e = pkjwt_provider(&idp, stranger, &["api:read"])
        .request_client_credentials(&GrantRequest::client_credentials())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OAuth, "{e}");
    assert!(e.to_string().contains("invalid_client"), "{e}");
}

#[test]
fn jwt_bearer_grant_with_assertions_oauthkit_signs() {
    needs!(Node);
    let idp = NodeIdp::start();
    let k = keys(&idp);
    let trusted = SigningKey::from_pem(
        k["bearer_issuer_pem"].as_str().unwrap(),
        SigningAlgorithm::ES256,
    )
    .unwrap();
    let issuer = k["bearer_issuer"].as_str().unwrap();
    let provider = pkjwt_provider(&idp, es256_key(&idp), &["openid", "api:read"]);
    let assertion = JwtBearerAssertion::new(trusted.clone(), issuer, "user-42");
    let request = GrantRequest::jwt_bearer_signed(trusted.clone(), issuer, "user-42");
    // twice with the default (fresh) jti: both accepted
    for _ in 0..2 {
        let t = provider.request_jwt_bearer(&request).unwrap();
        assert!(t.has_scope("api:read"), "{:?}", t.scopes);
        // the token is the subject's: userinfo names user-42
        let info = provider
            .get_userinfo(&UserinfoRequest::new(t.access_token.expose()))
            .unwrap()
            .unwrap();
        assert_eq!(info.sub.as_deref(), Some("user-42"));
    }
    // an assertion the caller signed itself, given as a string
    let given = assertion.sign(&idp.issuer).unwrap();
    provider
        .request_jwt_bearer(&GrantRequest::jwt_bearer(given.clone()).scopes(["openid"]))
        .unwrap();
    // ...which is single use at this provider (jti)
    let e = provider
        .request_jwt_bearer(&GrantRequest::jwt_bearer(given))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidGrant, "{e}");
    // wrong signer, wrong audience: refused
    let stranger = SigningKey::generate(SigningAlgorithm::ES256).unwrap();
    for (label, a) in [
        (
            "unknown key",
            GrantRequest::jwt_bearer_signed(stranger, issuer, "user-42"),
        ),
        (
            "wrong audience",
            GrantRequest::jwt_bearer_signed(trusted, issuer, "user-42")
                .assertion_audience("https://other.example"),
        ),
    ] {
        let e = provider.request_jwt_bearer(&a).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidGrant, "{label}: {e}");
    }
    let outcomes: Vec<String> = idp.stats()["jwt_bearer"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["answer"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(outcomes[..3], ["token", "token", "token"]);
    assert_eq!(outcomes[3], "jti reused");
    // the tokens can be kept like client-credentials tokens
    let store = MemoryStore::new();
    let request = GrantRequest::jwt_bearer_signed(
        SigningKey::from_pem(
            k["bearer_issuer_pem"].as_str().unwrap(),
            SigningAlgorithm::ES256,
        )
        .unwrap(),
        issuer,
        "user-7",
    );
    let t = provider.request_jwt_bearer(&request).unwrap();
    let key = request.cache_key(&idp.client("pkjwt"));
    store.save(&key, &t).unwrap();
    assert_eq!(
        store.load(&key).unwrap().unwrap().access_token.expose(),
        t.access_token.expose()
    );
}

/// Deploy mode through PAR: `/auth/login` redirects the browser to a
/// `client_id` + `request_uri` URL (the request was pushed by the
/// provider inside `build_authorize_url`), and the callback completes the
/// sign-in for the client that requires PAR.
#[test]
fn deploy_mode_signs_in_through_par() {
    needs!(Node);
    let idp = NodeIdp::start();
    let cfg = OidcConfig::new(&idp.issuer, idp.client("par"))
        .scopes(["openid", "offline_access"])
        .par(ParPolicy::Always);
    let provider: Arc<dyn Provider> = Arc::new(OAuthProvider::oidc(cfg).unwrap());
    let store = Arc::new(MemoryStore::new());
    let (at_idp, _) = support::interactions::deploy_sign_in(provider, store.clone(), "dora");
    assert_eq!(query_names(&at_idp), ["client_id", "request_uri"]);
    let stored = store.load("dora").unwrap().expect("stored under sub");
    assert!(stored.id_token.is_some());
}
