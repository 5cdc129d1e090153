//! The FAPI 2.0 security profile against panva's oidc-provider in FAPI 2.0
//! mode (tests/browser/fapi-server.mjs, its own process): settings that
//! break the profile are refused when the provider is built, naming the
//! rule; an accepted configuration pushes its request (PAR) with
//! private_key_jwt without being asked to, requires RFC 9207 `iss` on the
//! callback, and refuses PKCE off; the code exchange with a DPoP proof
//! (the server's client has `dpop_bound_access_tokens`) gets DPoP-bound
//! tokens and an ES256 ID token that validates; deploy mode signs in the
//! same way end to end.

use crate::support;

use oauthkit::provider::CodeExchange;
use oauthkit::provider::DpopConfig;
use oauthkit::provider::SecurityProfile;
use oauthkit::provider::{AuthorizeRequest, OAuthProvider, OidcConfig, Provider};
use oauthkit::provider::{SigningAlgorithm, SigningKey};
use oauthkit::unversioned::provider::Pkce;
use oauthkit::{Error, ErrorKind};
use support::node_idp::NodeIdp;

fn rule_of(e: Error) -> &'static str {
    match e {
        Error::SecurityProfile { rule, profile, .. } => {
            assert_eq!(profile, "FAPI 2.0");
            rule
        }
        other => panic!("not a profile refusal: {other:?}"),
    }
}

/// The FAPI 2.0 client's key, from the test server.
fn fapi_key(idp: &NodeIdp) -> SigningKey {
    let keys: serde_json::Value = serde_json::from_str(
        &ureq::get(&format!("{}/test/keys", idp.issuer))
            .call()
            .unwrap()
            .body_mut()
            .read_to_string()
            .unwrap(),
    )
    .unwrap();
    SigningKey::from_pem(
        keys["fapi_es256_pem"].as_str().unwrap(),
        SigningAlgorithm::ES256,
    )
    .unwrap()
    .with_kid("fapi-es256")
}

#[test]
fn fapi2_refuses_bad_settings_then_signs_in_with_par_private_key_jwt_and_dpop() {
    needs!(Node);
    let idp = NodeIdp::start_script("fapi-server.mjs");
    let key = fapi_key(&idp);
    let client = idp.client("fapi");
    let good = || {
        let mut c = OidcConfig::new(&idp.issuer, &client)
            .scopes(["openid", "offline_access"])
            .private_key_jwt(key.clone())
            .profile(SecurityProfile::Fapi2)
            .dpop(DpopConfig::new());
        c.name = "fapi".into();
        c
    };

    // refusals, before any request
    let rsa = SigningKey::generate(SigningAlgorithm::RS256).unwrap();
    let refusals: Vec<(OidcConfig, &str)> = vec![
        (good().client_secret("a-client-secret"), "client-auth"),
        (
            {
                let mut c = good();
                c.dpop = None;
                c
            },
            "sender-constrained",
        ),
        (good().private_key_jwt(rsa), "signing-alg"),
        (
            {
                let mut c = good();
                c.id_token.allowed_algorithms = Some(vec!["RS256".into()]);
                c
            },
            "id-token-alg",
        ),
        (
            {
                let mut c = good();
                c.authorize_params
                    .push(("response_type".into(), "code id_token token".into()));
                c
            },
            "no-implicit",
        ),
    ];
    for (cfg, rule) in refusals {
        let e = OAuthProvider::oidc(cfg).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        let text = e.to_string();
        assert_eq!(rule_of(e), rule, "{text}");
    }

    let p = OAuthProvider::oidc(good()).unwrap();
    let redirect_uri = "http://127.0.0.1:9/callback";
    // PKCE off is refused at request time
    let e = p
        .build_authorize_url(&AuthorizeRequest {
            redirect_uri,
            state: "state-1",
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(rule_of(e), "pkce-s256");

    // PAR without being asked: the profile (and this server) require it
    let pkce = Pkce::generate();
    let key = p.dpop().expect("DPoP on").generate_key().unwrap();
    let url = p
        .build_authorize_url(&AuthorizeRequest {
            redirect_uri,
            state: "state-2",
            pkce: Some(&pkce),
            nonce: Some("nonce-2"),
            extra_params: &[("prompt", "consent"), ("dpop_jkt", key.thumbprint())],
        })
        .unwrap();
    let names: Vec<String> = url::Url::parse(&url)
        .unwrap()
        .query_pairs()
        .map(|(k, _)| k.into_owned())
        .collect();
    assert_eq!(names, ["client_id", "request_uri"]);
    let redirect = support::interactions::sign_in(&url, redirect_uri, "fiona");
    assert_eq!(redirect.param("state").as_deref(), Some("state-2"));
    let code = redirect.param("code").expect("a code");
    let iss = redirect.param("iss").expect("RFC 9207 iss");

    // RFC 9207: required under FAPI 2.0, and must match
    assert!(p.check_authorization_response_iss(None).is_err());
    assert!(p
        .check_authorization_response_iss(Some("http://127.0.0.1:1"))
        .is_err());
    p.check_authorization_response_iss(Some(&iss)).unwrap();

    // The exchange (private_key_jwt, a DPoP proof by the key whose
    // thumbprint went out as dpop_jkt) gets DPoP-bound tokens; the ES256 ID
    // token is validated on the way.
    let tokens = p
        .exchange_code(
            &CodeExchange::new(&code, redirect_uri)
                .pkce_verifier(pkce.verifier())
                .nonce("nonce-2")
                .dpop(&key),
        )
        .unwrap();
    assert!(
        tokens.token_type.eq_ignore_ascii_case("DPoP"),
        "{}",
        tokens.token_type
    );
    assert_eq!(tokens.identity_id.as_deref(), Some("fiona"));
    assert!(tokens.dpop_key.is_some(), "the key travels with the tokens");
    assert!(tokens.refresh_token.is_some());
}

/// Deploy mode under FAPI 2.0: `/auth/login` sends the browser to a PAR
/// reference (the pushed request carries `dpop_jkt`), the callback checks
/// `iss` and exchanges the code with private_key_jwt and a DPoP proof, and
/// the stored tokens are DPoP-bound with their key.
#[test]
fn fapi2_deploy_mode_signs_in_end_to_end() {
    needs!(Node);
    use oauthkit::store::MemoryStore;
    use oauthkit::TokenStore;
    use std::sync::Arc;
    let idp = NodeIdp::start_script("fapi-server.mjs");
    let cfg = OidcConfig::new(&idp.issuer, idp.client("fapi"))
        .scopes(["openid", "offline_access"])
        .private_key_jwt(fapi_key(&idp))
        .profile(SecurityProfile::Fapi2)
        .dpop(DpopConfig::new());
    let provider: Arc<dyn Provider> = Arc::new(OAuthProvider::oidc(cfg).unwrap());
    let store = Arc::new(MemoryStore::new());
    let (at_idp, redirect) =
        support::interactions::deploy_sign_in(provider, store.clone(), "fiona");
    let names: Vec<String> = url::Url::parse(&at_idp)
        .unwrap()
        .query_pairs()
        .map(|(k, _)| k.into_owned())
        .collect();
    assert_eq!(names, ["client_id", "request_uri"], "{at_idp}");
    assert!(redirect.param("iss").is_some(), "RFC 9207 iss");
    let stored = store.load("fiona").unwrap().expect("stored under sub");
    assert!(
        stored.token_type.eq_ignore_ascii_case("DPoP"),
        "{}",
        stored.token_type
    );
    assert!(stored.dpop_key.is_some(), "the key travels with the tokens");
    assert!(
        stored.id_token.is_some(),
        "the ES256 ID token was validated and kept"
    );
}

/// RFC 9126 §2.2 against panva's oidc-provider with a 3 s PAR lifetime:
/// the provider reads `expires_in`; a URL used within it signs in; once
/// `is_expired()` says so, the server refuses that `request_uri` too (the
/// lifetime is counted from when the push was sent, so never later than
/// the server's).
#[test]
fn par_expires_in_is_read_from_a_real_server_and_matches_its_expiry() {
    needs!(Node);
    let idp = NodeIdp::start_script_with("fapi-server.mjs", &["3"]);
    let key = fapi_key(&idp);
    let mut cfg = OidcConfig::new(&idp.issuer, idp.client("fapi"))
        .scopes(["openid", "offline_access"])
        .private_key_jwt(key)
        .profile(SecurityProfile::Fapi2)
        .dpop(DpopConfig::new());
    cfg.name = "fapi-par-ttl".into();
    let p = OAuthProvider::oidc(cfg).unwrap();
    let redirect_uri = "http://127.0.0.1:9/callback";
    let pkce = Pkce::generate();
    let dpop_key = p.dpop().expect("DPoP on").generate_key().unwrap();
    let request = AuthorizeRequest {
        redirect_uri,
        state: "state-ttl",
        pkce: Some(&pkce),
        nonce: Some("nonce-ttl"),
        extra_params: &[("prompt", "consent"), ("dpop_jkt", dpop_key.thumbprint())],
    };

    let fresh = p.authorization_url(&request).unwrap();
    assert!(fresh.is_pushed());
    assert_eq!(fresh.lifetime(), Some(std::time::Duration::from_secs(3)));
    let redirect = support::interactions::sign_in(fresh.url(), redirect_uri, "fiona");
    assert!(redirect.param("code").is_some(), "{}", redirect.url);

    let stale = p.authorization_url(&request).unwrap();
    let expires_at = stale.expires_at().unwrap();
    // wait out the lifetime (this test's one pause), plus a second for the
    // server's clock, which started after ours
    std::thread::sleep(
        expires_at.saturating_duration_since(std::time::Instant::now())
            + std::time::Duration::from_secs(1),
    );
    assert!(stale.is_expired());
    let page = support::interactions::Browser::new(stale.url()).get(stale.url());
    assert!(
        page.location
            .as_deref()
            .is_none_or(|l| !l.starts_with(redirect_uri) || !l.contains("code=")),
        "an expired request_uri still signed in: {:?}",
        page.location
    );
    assert!(
        page.body.contains("request_uri")
            || page
                .location
                .as_deref()
                .is_some_and(|l| l.contains("request_uri")),
        "status {}: {}",
        page.status,
        page.body
    );
}
