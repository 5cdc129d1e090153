//! DPoP (RFC 9449), refresh-token rotation with reuse detection and the
//! access-token lifetime switch of the dev provider, tried with oauthkit's
//! own DPoP client (the native flow, the session manager, userinfo) and
//! with hand-made requests for everything a client must not get away with.

use crate::support;

use oauthkit::provider::{TokenRefresh, UserinfoRequest};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use oauthkit::provider::DpopConfig;
use oauthkit::provider::SigningAlgorithm;
use oauthkit::provider::{OAuthProvider, OidcConfig, Provider};
use oauthkit::session::SessionManager;
use oauthkit::store::MemoryStore;
use oauthkit::unversioned::dev_provider::{
    DevProvider, DevProviderOptions, HeadlessBrowser, PageResponse,
};
use oauthkit::unversioned::now_unix;
use oauthkit::unversioned::provider::dpop::{ath, ProofRequest};
use oauthkit::unversioned::provider::DpopKey;
use oauthkit::{ErrorKind, TokenSet, TokenStore};
use serde_json::{json, Value};

/// A public OIDC client of the dev provider, with DPoP (`alg`) or without.
fn client(idp: &DevProvider, dpop: Option<SigningAlgorithm>) -> Arc<dyn Provider> {
    let mut cfg = OidcConfig::new(idp.issuer(), idp.client_id()).scopes([
        "openid",
        "email",
        "profile",
        "offline_access",
    ]);
    if let Some(alg) = dpop {
        cfg = cfg.dpop(DpopConfig::new().algorithm(alg));
    }
    Arc::new(OAuthProvider::oidc(cfg).expect("oidc provider"))
}

fn sign_in(provider: &Arc<dyn Provider>, store: Arc<dyn TokenStore>) -> TokenSet {
    support::dev::sign_in(provider, store, "alice")
}

/// The provider's userinfo endpoint, token endpoint.
fn url(idp: &DevProvider, path: &str) -> String {
    format!("{}{path}", idp.issuer())
}

fn json_of(r: &PageResponse) -> Value {
    serde_json::from_str(&r.body).unwrap_or(Value::Null)
}

/// GET /userinfo with `Authorization: <auth>` and these `DPoP` headers.
fn userinfo(idp: &DevProvider, auth: &str, proofs: &[&str]) -> PageResponse {
    let mut headers = vec![("Authorization", auth)];
    headers.extend(proofs.iter().map(|p| ("DPoP", *p)));
    HeadlessBrowser::send("GET", &url(idp, "/userinfo"), &headers, None).unwrap()
}

fn b64(b: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(b)
}

static JTI: AtomicUsize = AtomicUsize::new(0);

/// A proof signed by the P-256 key `signer` with any header and claims.
fn forge(signer: &DpopKey, header: &Value, claims: &Value) -> String {
    let kp =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &signer.to_pkcs8()).unwrap();
    let input = format!("{}.{}", b64(header.to_string()), b64(claims.to_string()));
    let sig = kp.sign(&SystemRandom::new(), input.as_bytes()).unwrap();
    format!("{input}.{}", b64(sig))
}

fn good_header(key: &DpopKey) -> Value {
    json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": key.public_jwk()})
}

fn good_claims(idp: &DevProvider, method: &str, path: &str, at: Option<&str>) -> Value {
    let mut c = json!({
        "jti": format!("test-jti-{}", JTI.fetch_add(1, Ordering::SeqCst)),
        "htm": method,
        "htu": url(idp, path),
        "iat": now_unix(),
    });
    if let Some(at) = at {
        c["ath"] = ath(at).into();
    }
    c
}

/// oauthkit's DPoP client signs in, calls userinfo and refreshes against
/// the dev provider, with every algorithm it offers: the tokens are bound
/// to the sign-in's key (access and, for this public client, refresh
/// token), the refreshed set keeps the key and is bound to it again.
#[test]
fn the_dpop_client_signs_in_refreshes_and_calls_userinfo() {
    for alg in [
        SigningAlgorithm::ES256,
        SigningAlgorithm::EdDSA,
        SigningAlgorithm::RS256,
        SigningAlgorithm::PS256,
    ] {
        let idp = DevProvider::start(DevProviderOptions::default()).unwrap();
        let provider = client(&idp, Some(alg));
        let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::new());
        let t = sign_in(&provider, store.clone());
        assert!(
            t.token_type.eq_ignore_ascii_case("dpop"),
            "{alg}: {}",
            t.token_type
        );
        let key = t.dpop_key.clone().expect("the set carries its key");
        let jkt = Some(key.thumbprint().to_string());
        assert_eq!(idp.token_binding(t.access_token.expose()), jkt, "{alg}");
        let rt = t
            .refresh_token
            .clone()
            .expect("offline_access gives a refresh token");
        assert_eq!(
            idp.token_binding(rt.expose()),
            jkt,
            "{alg}: public client's RT bound"
        );
        let claims = provider
            .get_userinfo(&UserinfoRequest::of(&t))
            .unwrap()
            .unwrap();
        assert_eq!(claims.sub.as_deref(), Some(&*idp.user().sub));
        // RFC 9449 §6.2: introspection names the key
        let form = format!("token={}", t.access_token.expose());
        let intro = HeadlessBrowser::post_form(&url(&idp, "/introspect"), &form).unwrap();
        assert_eq!(json_of(&intro)["cnf"]["jkt"], key.thumbprint(), "{alg}");

        let sessions = SessionManager::new(provider.clone(), store);
        let fresh = sessions.refresh("alice").unwrap();
        assert_eq!(idp.token_requests("refresh_token"), 1);
        assert_ne!(fresh.access_token, t.access_token);
        assert_eq!(
            fresh.dpop_key.as_ref(),
            Some(&key),
            "{alg}: same key after refresh"
        );
        assert_eq!(idp.token_binding(fresh.access_token.expose()), jkt);
        assert_eq!(
            provider
                .get_userinfo(&UserinfoRequest::of(&fresh))
                .unwrap()
                .unwrap()
                .sub
                .as_deref(),
            Some(&*idp.user().sub)
        );
    }
}

/// Discovery says DPoP is there (or not), as clients and `doctor` read it.
#[test]
fn discovery_lists_the_dpop_algorithms_only_when_dpop_is_on() {
    let on = DevProvider::start(DevProviderOptions::default()).unwrap();
    let doc =
        json_of(&HeadlessBrowser::get(&url(&on, "/.well-known/openid-configuration")).unwrap());
    assert_eq!(
        doc["dpop_signing_alg_values_supported"],
        json!(["ES256", "EdDSA", "RS256", "PS256"])
    );
    let off = DevProvider::start(DevProviderOptions::default().dpop(false)).unwrap();
    let doc =
        json_of(&HeadlessBrowser::get(&url(&off, "/.well-known/openid-configuration")).unwrap());
    assert!(
        doc.get("dpop_signing_alg_values_supported").is_none(),
        "{doc}"
    );
}

/// With nonces on, the token endpoint answers the first proof with
/// `use_dpop_nonce` and the client retries once; after the server rotates
/// its nonce, userinfo and refresh each retry once too.
#[test]
fn the_client_retries_once_when_the_provider_asks_for_a_nonce() {
    let idp = DevProvider::start(DevProviderOptions::default().dpop_nonce(true)).unwrap();
    let provider = client(&idp, Some(SigningAlgorithm::ES256));
    let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::new());
    let t = sign_in(&provider, store.clone());
    assert_eq!(
        idp.token_requests("authorization_code"),
        2,
        "one refused for the nonce, one retried with it"
    );
    assert!(t.token_type.eq_ignore_ascii_case("dpop"));
    idp.rotate_dpop_nonce();
    assert_eq!(
        provider
            .get_userinfo(&UserinfoRequest::of(&t))
            .unwrap()
            .unwrap()
            .sub
            .as_deref(),
        Some(&*idp.user().sub)
    );
    idp.rotate_dpop_nonce();
    let sessions = SessionManager::new(provider.clone(), store);
    let fresh = sessions.refresh("alice").unwrap();
    assert_eq!(idp.token_requests("refresh_token"), 2);
    assert!(fresh.token_type.eq_ignore_ascii_case("dpop"));

    // the answers themselves: a proof without the nonce gets it
    let at = fresh.access_token.expose();
    let key = fresh.dpop_key.unwrap();
    let proof = ProofRequest::new("GET", &url(&idp, "/userinfo"))
        .access_token(at)
        .sign(&key)
        .unwrap();
    let r = userinfo(&idp, &format!("DPoP {at}"), &[&proof]);
    assert_eq!(r.status, 401);
    let www = r.header("www-authenticate").unwrap_or("");
    assert!(
        www.starts_with("DPoP ") && www.contains("use_dpop_nonce"),
        "{www}"
    );
    let nonce = r
        .header("dpop-nonce")
        .expect("DPoP-Nonce header")
        .to_string();
    let proof = ProofRequest::new("GET", &url(&idp, "/userinfo"))
        .access_token(at)
        .nonce(Some(&nonce))
        .sign(&key)
        .unwrap();
    assert_eq!(userinfo(&idp, &format!("DPoP {at}"), &[&proof]).status, 200);
}

/// RFC 9449 §7.1: a bound token is refused as a Bearer token, by the raw
/// endpoint and by oauthkit's plain userinfo call.
#[test]
fn a_bound_token_is_refused_as_bearer() {
    let idp = DevProvider::start(DevProviderOptions::default()).unwrap();
    let provider = client(&idp, Some(SigningAlgorithm::ES256));
    let t = sign_in(&provider, Arc::new(MemoryStore::new()));
    let at = t.access_token.expose();
    let r = userinfo(&idp, &format!("Bearer {at}"), &[]);
    assert_eq!(r.status, 401);
    assert_eq!(json_of(&r)["error"], "invalid_token");
    assert!(r
        .header("www-authenticate")
        .unwrap_or("")
        .starts_with("DPoP "));
    // a valid proof does not make a Bearer presentation acceptable
    let proof = ProofRequest::new("GET", &url(&idp, "/userinfo"))
        .access_token(at)
        .sign(t.dpop_key.as_ref().unwrap())
        .unwrap();
    assert_eq!(
        userinfo(&idp, &format!("Bearer {at}"), &[&proof]).status,
        401
    );
    let e = provider
        .get_userinfo(&UserinfoRequest::new(at))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OAuth, "{e}");
    assert!(!e.report().to_string().contains(at));
    // and an unbound token is not accepted under the DPoP scheme
    let plain = client(&idp, None);
    let b = sign_in(&plain, Arc::new(MemoryStore::new()));
    assert!(b.token_type.eq_ignore_ascii_case("bearer"));
    let bt = b.access_token.expose();
    let proof = ProofRequest::new("GET", &url(&idp, "/userinfo"))
        .access_token(bt)
        .sign(t.dpop_key.as_ref().unwrap())
        .unwrap();
    assert_eq!(userinfo(&idp, &format!("DPoP {bt}"), &[&proof]).status, 401);
    assert_eq!(userinfo(&idp, &format!("Bearer {bt}"), &[]).status, 200);
}

/// A proof is good for one request: sent again (userinfo, token
/// endpoint) it is refused as a replay.
#[test]
fn a_replayed_proof_is_refused() {
    let idp = DevProvider::start(DevProviderOptions::default()).unwrap();
    let provider = client(&idp, Some(SigningAlgorithm::ES256));
    let t = sign_in(&provider, Arc::new(MemoryStore::new()));
    let key = t.dpop_key.clone().unwrap();
    let at = t.access_token.expose();
    let proof = ProofRequest::new("GET", &url(&idp, "/userinfo"))
        .access_token(at)
        .sign(&key)
        .unwrap();
    assert_eq!(userinfo(&idp, &format!("DPoP {at}"), &[&proof]).status, 200);
    let again = userinfo(&idp, &format!("DPoP {at}"), &[&proof]);
    assert_eq!(again.status, 401);
    assert_eq!(json_of(&again)["error"], "invalid_dpop_proof");

    let rt = t.refresh_token.clone().unwrap();
    let form = format!(
        "grant_type=refresh_token&client_id={}&refresh_token={}",
        idp.client_id(),
        rt.expose()
    );
    let proof = ProofRequest::new("POST", &url(&idp, "/token"))
        .sign(&key)
        .unwrap();
    let send = || {
        HeadlessBrowser::send(
            "POST",
            &url(&idp, "/token"),
            &[("DPoP", &proof)],
            Some(&form),
        )
        .unwrap()
    };
    let first = send();
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(json_of(&first)["token_type"], "DPoP");
    let second = send();
    assert_eq!(second.status, 400);
    assert_eq!(json_of(&second)["error"], "invalid_dpop_proof");
    assert!(second.body.contains("already used"), "{}", second.body);
}

/// Every way a userinfo proof can be wrong is refused with 401 and a DPoP
/// challenge, while the same request with a correct proof passes.
#[test]
fn every_bad_userinfo_proof_is_refused() {
    let idp = DevProvider::start(DevProviderOptions::default()).unwrap();
    let provider = client(&idp, Some(SigningAlgorithm::ES256));
    let t = sign_in(&provider, Arc::new(MemoryStore::new()));
    let key = t.dpop_key.clone().unwrap();
    let other = DpopKey::generate(SigningAlgorithm::ES256).unwrap();
    let at = t.access_token.expose().to_string();
    let auth = format!("DPoP {at}");
    let h = || good_header(&key);
    let c = || good_claims(&idp, "GET", "/userinfo", Some(&at));
    let with = |mut v: Value, k: &str, x: Value| {
        v[k] = x;
        v
    };
    let without = |mut v: Value, k: &str| {
        v.as_object_mut().unwrap().remove(k);
        v
    };
    // the control: a hand-made proof as the cases below, but right
    assert_eq!(
        userinfo(&idp, &auth, &[&forge(&key, &h(), &c())]).status,
        200
    );

    let mut jwk_with_d = key.public_jwk();
    jwk_with_d["d"] = json!(b64([7u8; 32]));
    let rsa_jwk = json!({"kty": "RSA", "n": b64([1u8; 256]), "e": "AQAB"});
    let tampered = {
        let p = forge(&key, &h(), &c());
        let parts: Vec<&str> = p.split('.').collect();
        let claims = with(c(), "htm", json!("GET"));
        format!("{}.{}.{}", parts[0], b64(claims.to_string()), parts[2])
    };
    let none_alg = format!(
        "{}.{}.",
        b64(with(h(), "alg", json!("none")).to_string()),
        b64(c().to_string())
    );
    let cases: Vec<(&str, String)> = vec![
        (
            "typ jwt",
            forge(&key, &with(h(), "typ", json!("jwt")), &c()),
        ),
        ("no typ", forge(&key, &without(h(), "typ"), &c())),
        ("alg none", none_alg),
        (
            "alg HS256",
            forge(&key, &with(h(), "alg", json!("HS256")), &c()),
        ),
        (
            "alg RS256 for an EC key",
            forge(&key, &with(h(), "alg", json!("RS256")), &c()),
        ),
        ("no jwk", forge(&key, &without(h(), "jwk"), &c())),
        (
            "jwk with d",
            forge(&key, &with(h(), "jwk", jwk_with_d), &c()),
        ),
        ("jwk of RSA", forge(&key, &with(h(), "jwk", rsa_jwk), &c())),
        ("signed by another key", forge(&other, &h(), &c())),
        ("claims changed after signing", tampered),
        (
            "another key altogether",
            forge(&other, &good_header(&other), &c()),
        ),
        (
            "htm POST",
            forge(&key, &h(), &with(c(), "htm", json!("POST"))),
        ),
        (
            "htm get",
            forge(&key, &h(), &with(c(), "htm", json!("get"))),
        ),
        (
            "htu of the token endpoint",
            forge(&key, &h(), &with(c(), "htu", json!(url(&idp, "/token")))),
        ),
        (
            "htu of another host",
            forge(
                &key,
                &h(),
                &with(c(), "htu", json!("http://127.0.0.2:1/userinfo")),
            ),
        ),
        (
            "htu not a URL",
            forge(&key, &h(), &with(c(), "htu", json!("userinfo"))),
        ),
        ("no htu", forge(&key, &h(), &without(c(), "htu"))),
        (
            "iat an hour ago",
            forge(&key, &h(), &with(c(), "iat", json!(now_unix() - 3600))),
        ),
        (
            "iat in an hour",
            forge(&key, &h(), &with(c(), "iat", json!(now_unix() + 3600))),
        ),
        (
            "iat a string",
            forge(&key, &h(), &with(c(), "iat", json!(now_unix().to_string()))),
        ),
        ("no jti", forge(&key, &h(), &without(c(), "jti"))),
        (
            "jti too long",
            forge(&key, &h(), &with(c(), "jti", json!("j".repeat(300)))),
        ),
        ("no ath", forge(&key, &h(), &without(c(), "ath"))),
        (
            "ath of another token",
            forge(&key, &h(), &with(c(), "ath", json!(ath("other")))),
        ),
        ("not a JWS", "not-a-proof".to_string()),
        ("four parts", format!("{}.x", forge(&key, &h(), &c()))),
        ("too long", "a".repeat(9000)),
    ];
    for (what, proof) in &cases {
        let r = userinfo(&idp, &auth, &[proof]);
        assert_eq!(r.status, 401, "{what}: {}", r.body);
        assert!(
            r.header("www-authenticate")
                .unwrap_or("")
                .starts_with("DPoP "),
            "{what}"
        );
    }
    // two proofs in one request (each valid alone)
    let (a, b) = (forge(&key, &h(), &c()), forge(&key, &h(), &c()));
    assert_eq!(
        userinfo(&idp, &auth, &[&a, &b]).status,
        401,
        "two DPoP headers"
    );
    assert_eq!(userinfo(&idp, &auth, &[]).status, 401, "no proof");
    // still fine afterwards: nothing above used the token up
    assert_eq!(
        userinfo(&idp, &auth, &[&forge(&key, &h(), &c())]).status,
        200
    );
}

/// The token endpoint checks proofs the same way, keeps a refresh token
/// of a public client for its key, and redeems a code issued for a
/// `dpop_jkt` only with that key.
#[test]
fn the_token_endpoint_refuses_bad_proofs_and_foreign_keys() {
    let idp = DevProvider::start(DevProviderOptions::default()).unwrap();
    let provider = client(&idp, Some(SigningAlgorithm::ES256));
    let t = sign_in(&provider, Arc::new(MemoryStore::new()));
    let key = t.dpop_key.clone().unwrap();
    let other = DpopKey::generate(SigningAlgorithm::ES256).unwrap();
    let rt = t.refresh_token.clone().unwrap();
    let form = format!(
        "grant_type=refresh_token&client_id={}&refresh_token={}",
        idp.client_id(),
        rt.expose()
    );
    let post = |proofs: &[&str]| {
        let headers: Vec<(&str, &str)> = proofs.iter().map(|p| ("DPoP", *p)).collect();
        HeadlessBrowser::send("POST", &url(&idp, "/token"), &headers, Some(&form)).unwrap()
    };
    let h = good_header(&key);
    for (what, proof) in [
        (
            "htm GET",
            forge(&key, &h, &good_claims(&idp, "GET", "/token", None)),
        ),
        (
            "htu userinfo",
            forge(&key, &h, &good_claims(&idp, "POST", "/userinfo", None)),
        ),
        (
            "typ jwt",
            forge(
                &key,
                &json!({"typ": "jwt", "alg": "ES256", "jwk": h["jwk"]}),
                &good_claims(&idp, "POST", "/token", None),
            ),
        ),
        (
            "signed by another key",
            forge(&other, &h, &good_claims(&idp, "POST", "/token", None)),
        ),
    ] {
        let r = post(&[&proof]);
        assert_eq!(r.status, 400, "{what}");
        assert_eq!(json_of(&r)["error"], "invalid_dpop_proof", "{what}");
    }
    // the bound refresh token: not without a proof, not with another key
    let r = post(&[]);
    assert_eq!(
        (r.status, json_of(&r)["error"].clone()),
        (400, json!("invalid_dpop_proof"))
    );
    let r = post(&[&ProofRequest::new("POST", &url(&idp, "/token"))
        .sign(&other)
        .unwrap()]);
    assert_eq!(
        (r.status, json_of(&r)["error"].clone()),
        (400, json!("invalid_dpop_proof"))
    );
    let r = post(&[&ProofRequest::new("POST", &url(&idp, "/token"))
        .sign(&key)
        .unwrap()]);
    assert_eq!(r.status, 200, "{}", r.body);

    // a code for dpop_jkt of `key`, redeemed with `other`
    let verifier = "v".repeat(50);
    let challenge = b64(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        verifier.as_bytes(),
    ));
    let auto = DevProvider::start(DevProviderOptions::default().auto_approve(true)).unwrap();
    let redirect = "http://127.0.0.1:9/cb";
    let authorize = format!(
        "{}/authorize?response_type=code&client_id={}&redirect_uri={redirect}&scope=openid&code_challenge={challenge}&code_challenge_method=S256&dpop_jkt={}",
        auto.issuer(),
        auto.client_id(),
        key.thumbprint()
    );
    let redeem = |signer: &DpopKey| {
        let loc = HeadlessBrowser::get(&authorize).unwrap();
        let location = url::Url::parse(loc.header("location").unwrap()).unwrap();
        let code = location
            .query_pairs()
            .find(|(k, _)| k == "code")
            .unwrap()
            .1
            .into_owned();
        let form = format!(
            "grant_type=authorization_code&client_id={}&code={code}&redirect_uri={redirect}&code_verifier={verifier}",
            auto.client_id()
        );
        let proof = ProofRequest::new("POST", &url(&auto, "/token"))
            .sign(signer)
            .unwrap();
        HeadlessBrowser::send(
            "POST",
            &url(&auto, "/token"),
            &[("DPoP", &proof)],
            Some(&form),
        )
        .unwrap()
    };
    let r = redeem(&other);
    assert_eq!(
        (r.status, json_of(&r)["error"].clone()),
        (400, json!("invalid_dpop_proof"))
    );
    let r = redeem(&key);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(json_of(&r)["token_type"], "DPoP");
}

/// A provider that does not do DPoP (the switch off) answers Bearer: the
/// DPoP client refuses the tokens with a configuration error (kind
/// `Unsupported`, not `Http`: nothing failed on the network) that says
/// what to do, and never shows the tokens.
#[test]
fn a_provider_without_dpop_is_a_configuration_error_not_http() {
    let idp = DevProvider::start(DevProviderOptions::default().dpop(false)).unwrap();
    let provider = client(&idp, Some(SigningAlgorithm::ES256));
    let key = DpopKey::generate(SigningAlgorithm::ES256).unwrap();
    // a code to redeem: the flow's own exchange goes through exchange_code_dpop
    let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::new());
    let flow = oauthkit::flow::AuthFlowManager::builder(provider.clone())
        .store(store.clone())
        .token_key("alice")
        .build();
    let open = |u: &str| -> oauthkit::Result<()> {
        let u = u.to_string();
        std::thread::spawn(move || HeadlessBrowser::approve(&u).expect("approve"));
        Ok(())
    };
    let e = flow
        .run_native(oauthkit::flow::NativeOptions::new().open_browser(open))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");
    let msg = e.report().to_string();
    assert!(msg.contains("does not support DPoP"), "{msg}");
    assert!(
        msg.contains("Enable DPoP for this client at the provider"),
        "{msg}"
    );
    assert!(msg.contains(".dpop(..)"), "{msg}");
    assert!(store.load("alice").unwrap().is_none(), "nothing stored");
    let _ = key;
}

/// Rotation on: each refresh gives a new refresh token and retires the
/// old one; presenting a retired one again revokes the whole sign-in (the
/// newest refresh token and access token too).
#[test]
fn rotation_with_reuse_detection_revokes_the_grant() {
    let idp =
        DevProvider::start(DevProviderOptions::default().rotate_refresh_tokens(true)).unwrap();
    let provider = client(&idp, None);
    let t = sign_in(&provider, Arc::new(MemoryStore::new()));
    let rt1 = t.refresh_token.clone().unwrap();
    let second = provider
        .refresh_tokens(&TokenRefresh::new(rt1.expose()))
        .unwrap();
    let rt2 = second
        .refresh_token
        .clone()
        .expect("rotation gives a new refresh token");
    assert_ne!(rt1, rt2);
    assert!(!idp.is_token_active(rt1.expose()));
    assert!(idp.is_token_active(rt2.expose()));
    assert!(idp.is_token_active(second.access_token.expose()));
    // an unrelated sign-in is not touched by what follows
    let bystander = sign_in(&provider, Arc::new(MemoryStore::new()));

    let reuse = provider
        .refresh_tokens(&TokenRefresh::new(rt1.expose()))
        .unwrap_err();
    assert_eq!(reuse.kind(), ErrorKind::InvalidGrant, "{reuse}");
    assert!(reuse.needs_sign_in());
    for gone in [
        rt2.expose(),
        second.access_token.expose(),
        t.access_token.expose(),
    ] {
        assert!(!idp.is_token_active(gone), "the whole grant is revoked");
    }
    let e = provider
        .refresh_tokens(&TokenRefresh::new(rt2.expose()))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidGrant);
    assert!(idp.is_token_active(bystander.refresh_token.as_ref().unwrap().expose()));
    assert!(idp.is_token_active(bystander.access_token.expose()));
}

/// Rotation off: the same refresh token keeps working and no new one is
/// issued.
#[test]
fn without_rotation_the_refresh_token_stays() {
    let idp = DevProvider::start(DevProviderOptions::default()).unwrap();
    let provider = client(&idp, None);
    let t = sign_in(&provider, Arc::new(MemoryStore::new()));
    let rt = t.refresh_token.clone().unwrap();
    for _ in 0..3 {
        let fresh = provider
            .refresh_tokens(&TokenRefresh::new(rt.expose()))
            .unwrap();
        assert!(fresh.refresh_token.is_none() || fresh.refresh_token.as_ref() == Some(&rt));
    }
    assert!(idp.is_token_active(rt.expose()));
    assert_eq!(idp.token_requests("refresh_token"), 3);
}

/// The lifetime switch sets `expires_in` of the code exchange and of every
/// refresh (read from the responses, no clock involved).
#[test]
fn the_access_token_lifetime_switch_sets_expires_in() {
    for (ttl, dpop) in [
        (Duration::from_secs(90), false),
        (Duration::from_secs(7), true),
        (Duration::from_secs(3600), false),
    ] {
        let opts = if ttl.as_secs() == 3600 {
            DevProviderOptions::default()
        } else {
            DevProviderOptions::default().access_token_ttl(ttl)
        };
        let idp = DevProvider::start(opts).unwrap();
        let provider = client(&idp, dpop.then_some(SigningAlgorithm::ES256));
        let t = sign_in(&provider, Arc::new(MemoryStore::new()));
        assert_eq!(
            t.extra.get("expires_in"),
            None,
            "expires_in becomes expires_at"
        );
        let at_issue = t.expires_at.unwrap() - t.issued_at;
        assert_eq!(at_issue, ttl.as_secs() as i64, "code exchange");
        let rt = t.refresh_token.clone().unwrap();
        let mut headers = Vec::new();
        let proof;
        if let Some(key) = &t.dpop_key {
            proof = ProofRequest::new("POST", &url(&idp, "/token"))
                .sign(key)
                .unwrap();
            headers.push(("DPoP", proof.as_str()));
        }
        let form = format!(
            "grant_type=refresh_token&client_id={}&refresh_token={}",
            idp.client_id(),
            rt.expose()
        );
        let r = HeadlessBrowser::send("POST", &url(&idp, "/token"), &headers, Some(&form)).unwrap();
        assert_eq!(
            json_of(&r)["expires_in"],
            json!(ttl.as_secs()),
            "{}",
            r.body
        );
    }
}
