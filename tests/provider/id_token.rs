//! ID-token validation (OIDC Core §3.1.3.7) through the public
//! `OAuthProvider` API, with real RS256 tokens signed by keys generated in
//! the test, and discovery, JWKS and token endpoints served by a loopback
//! server that counts JWKS fetches. Every rejection checks the error kind,
//! that the message names the reason, and that it does not quote the token.

use crate::support::mock_http;
use crate::support::test_jwt;

use oauthkit::provider::CodeExchange;
use std::time::Duration;

use oauthkit::provider::{OAuthProvider, OidcConfig, Provider};
use oauthkit::{ErrorKind, TokenSet};
use serde_json::{json, Value};

use mock_http::MockServer;
use test_jwt::{at_hash, claims, discovery, jwks, keys, now, sign_hs256, unsigned, TestKey};

const CLIENT: &str = "client-1";
const ACCESS_TOKEN: &str = "access-token-1";

struct Idp {
    server: MockServer,
    provider: OAuthProvider,
}

fn idp_with(published: &[&TestKey], tweak: impl FnOnce(&mut OidcConfig)) -> Idp {
    let server = MockServer::start();
    server.json(
        "/.well-known/openid-configuration",
        200,
        &discovery(server.base()),
    );
    server.json("/jwks", 200, &jwks(published));
    let mut cfg = OidcConfig::new(server.base(), CLIENT);
    tweak(&mut cfg);
    let provider = OAuthProvider::oidc(cfg).expect("provider");
    Idp { server, provider }
}

fn idp() -> Idp {
    idp_with(&[&keys()[0]], |_| {})
}

impl Idp {
    fn iss(&self) -> &str {
        self.server.base()
    }

    fn claims(&self) -> Value {
        claims(self.iss(), CLIENT)
    }

    /// Claims with `changes` merged in (`null` removes a claim).
    fn claims_with(&self, changes: Value) -> Value {
        let mut c = self.claims();
        for (k, v) in changes.as_object().unwrap() {
            if v.is_null() {
                c.as_object_mut().unwrap().remove(k);
            } else {
                c[k] = v.clone();
            }
        }
        c
    }

    fn validate(&self, token: &str, nonce: Option<&str>) -> oauthkit::Result<Value> {
        self.provider
            .validate_id_token(token, nonce, None)
            .map(|c| Value::Object(c.into_claims()))
    }

    /// A code exchange whose token response carries `id_token`.
    fn exchange(&self, id_token: &str, nonce: Option<&str>) -> oauthkit::Result<TokenSet> {
        self.server.json(
            "/token",
            200,
            &json!({"access_token": ACCESS_TOKEN, "token_type": "Bearer", "expires_in": 3600,
                    "id_token": id_token, "scope": "openid email profile"}),
        );
        let mut exchange =
            CodeExchange::new("code-1", "http://127.0.0.1:1/callback").pkce_verifier("verifier");
        if let Some(n) = nonce {
            exchange = exchange.nonce(n);
        }
        self.provider.exchange_code(&exchange)
    }

    fn jwks_fetches(&self) -> usize {
        self.server.count("/jwks")
    }
}

/// The call failed as an ID-token error whose message names `reason` and
/// does not contain the token or any of its parts.
#[track_caller]
fn assert_rejected<T: std::fmt::Debug>(r: oauthkit::Result<T>, token: &str, reason: &str) {
    let e = r.expect_err("the token must be rejected");
    assert_eq!(e.kind(), ErrorKind::IdToken, "{e}");
    let shown = format!("{e} {e:?}");
    assert!(
        shown.contains(reason),
        "message should name '{reason}': {e}"
    );
    for part in token.split('.').filter(|p| p.len() > 8) {
        assert!(!shown.contains(part), "message quotes the token: {e}");
    }
}

#[test]
fn good_token_is_accepted_by_code_exchange_and_keys_are_cached() {
    let idp = idp();
    let nonce = "nonce-123";
    let token = keys()[0].sign(&idp.claims_with(json!({
        "nonce": nonce, "at_hash": at_hash(ACCESS_TOKEN), "email": "u@example.org"
    })));
    let t = idp.exchange(&token, Some(nonce)).expect("valid token");
    assert_eq!(t.identity_id.as_deref(), Some("user-1"));
    assert_eq!(t.id_token.as_ref().unwrap().expose(), token);
    // the token request carried the code and verifier
    let req = idp.server.last("/token");
    assert_eq!(req.form_value("code").as_deref(), Some("code-1"));
    assert_eq!(req.form_value("code_verifier").as_deref(), Some("verifier"));

    let c = idp.validate(&token, Some(nonce)).unwrap();
    assert_eq!(c["email"], "u@example.org");
    for _ in 0..5 {
        idp.validate(&token, None).unwrap();
    }
    assert_eq!(idp.jwks_fetches(), 1, "keys are fetched once and reused");
    assert_eq!(idp.provider.jwks_fetch_count(), 1);
    assert_eq!(idp.server.count("/.well-known/openid-configuration"), 1);
}

#[test]
fn bad_signature_is_rejected() {
    let idp = idp();
    // signed by key-2 but claiming key-1's kid
    let forged = keys()[1].sign_with_header(
        &json!({"alg": "RS256", "typ": "JWT", "kid": "key-1"}),
        &idp.claims(),
    );
    assert_rejected(idp.validate(&forged, None), &forged, "signature");

    // a good token whose payload was swapped
    let good = keys()[0].sign(&idp.claims());
    let other = keys()[0].sign(&idp.claims_with(json!({"sub": "admin"})));
    let parts: Vec<&str> = good.split('.').collect();
    let swapped = format!(
        "{}.{}.{}",
        parts[0],
        other.split('.').nth(1).unwrap(),
        parts[2]
    );
    assert_rejected(idp.validate(&swapped, None), &swapped, "signature");
    // and a truncated signature
    let cut = &good[..good.len() - 10];
    assert_rejected(idp.validate(cut, None), cut, "");
    // through the code exchange too
    assert_rejected(idp.exchange(&forged, None), &forged, "signature");
}

#[test]
fn alg_none_is_rejected_in_any_spelling() {
    let idp = idp();
    let c = idp.claims();
    let token = unsigned(&c);
    assert_rejected(idp.validate(&token, None), &token, "none");
    for alg in ["None", "NONE"] {
        let t = format!(
            "{}.",
            test_jwt::signing_input(&json!({"alg": alg, "kid": "key-1"}), &c)
        );
        assert_rejected(idp.validate(&t, None), &t, "none");
    }
    // with a real RS256 signature appended it is still refused
    let signed = keys()[0].sign(&c);
    let t = format!(
        "{}.{}",
        test_jwt::signing_input(&json!({"alg": "none"}), &c),
        signed.split('.').nth(2).unwrap()
    );
    assert_rejected(idp.validate(&t, None), &t, "none");
    assert_rejected(idp.exchange(&token, None), &token, "none");
}

#[test]
fn hs256_signed_with_the_public_key_is_rejected() {
    let idp = idp();
    let k = &keys()[0];
    let c = idp.claims();
    let secrets: Vec<Vec<u8>> = vec![
        k.n(),
        k.public_pem().into_bytes(),
        k.jwk().to_string().into_bytes(),
        k.jwk()["n"].as_str().unwrap().as_bytes().to_vec(),
    ];
    for secret in &secrets {
        for alg in ["HS256", "HS384", "HS512", "hs256"] {
            let t = sign_hs256(
                secret,
                &json!({"alg": alg, "typ": "JWT", "kid": "key-1"}),
                &c,
            );
            assert_rejected(idp.validate(&t, None), &t, "symmetric");
        }
    }
    // even when discovery advertises HS256, it is not allowed
    let idp2 = idp_with(&[k], |_| {});
    let mut d = discovery(idp2.server.base());
    d["id_token_signing_alg_values_supported"] = json!(["HS256", "RS256"]);
    idp2.server
        .json("/.well-known/openid-configuration", 200, &d);
    let t = sign_hs256(&k.n(), &json!({"alg": "HS256", "kid": "key-1"}), &c);
    assert_rejected(idp2.validate(&t, None), &t, "symmetric");
    assert!(idp2.validate(&k.sign(&idp2.claims()), None).is_ok());
    // and configuring HS256 explicitly is refused when building
    let mut cfg = OidcConfig::new(idp.iss(), CLIENT);
    cfg.id_token.allowed_algorithms = Some(vec!["HS256".into()]);
    let e = OAuthProvider::oidc(cfg).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.to_string().contains("HS256"), "{e}");
}

#[test]
fn algorithm_not_in_the_allow_list_is_rejected() {
    let idp = idp();
    let c = idp.claims();
    // RS384 is a fine algorithm but discovery lists only RS256
    let t = keys()[0].sign_with_header(&json!({"alg": "RS384", "kid": "key-1"}), &c);
    assert_rejected(idp.validate(&t, None), &t, "not allowed");
}

#[test]
fn wrong_issuer_is_rejected() {
    let idp = idp();
    for iss in [
        "https://evil.example".to_string(),
        format!("{}/", idp.iss()),
        idp.iss().to_uppercase(),
    ] {
        let t = keys()[0].sign(&idp.claims_with(json!({ "iss": iss })));
        assert_rejected(idp.validate(&t, None), &t, "issuer");
    }
    let t = keys()[0].sign(&idp.claims_with(json!({ "iss": null })));
    assert_rejected(idp.validate(&t, None), &t, "iss");
}

#[test]
fn wrong_audience_is_rejected() {
    let idp = idp();
    for aud in [json!("other-client"), json!(["other-client"]), json!([])] {
        let t = keys()[0].sign(&idp.claims_with(json!({ "aud": aud })));
        assert_rejected(idp.validate(&t, None), &t, "aud");
    }
    let t = keys()[0].sign(&idp.claims_with(json!({ "aud": null })));
    assert_rejected(idp.validate(&t, None), &t, "aud");
    // an extra audience the client does not trust
    let t =
        keys()[0].sign(&idp.claims_with(json!({"aud": [CLIENT, "someone-else"], "azp": CLIENT})));
    assert_rejected(idp.validate(&t, None), &t, "untrusted audience");
}

#[test]
fn azp_rules() {
    let idp = idp_with(&[&keys()[0]], |c| {
        c.id_token.trusted_audiences = vec!["api-project".into()]
    });
    // azp present and not the client
    let t = keys()[0].sign(&idp.claims_with(json!({"azp": "other-client"})));
    assert_rejected(idp.validate(&t, None), &t, "azp");
    // several audiences without azp
    let t = keys()[0].sign(&idp.claims_with(json!({"aud": [CLIENT, "api-project"]})));
    assert_rejected(idp.validate(&t, None), &t, "azp is required");
    // several audiences, azp of another party
    let t = keys()[0]
        .sign(&idp.claims_with(json!({"aud": [CLIENT, "api-project"], "azp": "api-project"})));
    assert_rejected(idp.validate(&t, None), &t, "azp");
    // several trusted audiences with azp = client: fine
    let t =
        keys()[0].sign(&idp.claims_with(json!({"aud": [CLIENT, "api-project"], "azp": CLIENT})));
    idp.validate(&t, None).expect("azp = client id");
    // one audience and azp = client: fine
    let t = keys()[0].sign(&idp.claims_with(json!({"azp": CLIENT})));
    idp.validate(&t, None).expect("azp = client id");
}

#[test]
fn expiry_and_issued_at_with_leeway() {
    let idp = idp(); // default leeway 60 s
    let n = now();
    let t = keys()[0].sign(&idp.claims_with(json!({"iat": n - 600, "exp": n - 120})));
    assert_rejected(idp.validate(&t, None), &t, "expired");
    assert_rejected(idp.exchange(&t, None), &t, "expired");
    // within the leeway
    let t = keys()[0].sign(&idp.claims_with(json!({"iat": n - 600, "exp": n - 20})));
    idp.validate(&t, None)
        .expect("expired 20 s ago is within the 60 s leeway");
    // iat in the future beyond the leeway
    let t = keys()[0].sign(&idp.claims_with(json!({"iat": n + 300, "exp": n + 3600})));
    assert_rejected(idp.validate(&t, None), &t, "iat");
    let t = keys()[0].sign(&idp.claims_with(json!({"iat": n + 20})));
    idp.validate(&t, None)
        .expect("iat 20 s ahead is within the leeway");
    // iat missing, or older than the maximum age (24 h)
    let t = keys()[0].sign(&idp.claims_with(json!({"iat": null})));
    assert_rejected(idp.validate(&t, None), &t, "iat");
    let t = keys()[0].sign(&idp.claims_with(json!({"iat": n - 2 * 86400, "exp": n + 3600})));
    assert_rejected(idp.validate(&t, None), &t, "iat");
    // not valid yet
    let t = keys()[0].sign(&idp.claims_with(json!({"nbf": n + 600})));
    assert_rejected(idp.validate(&t, None), &t, "not valid yet");
    // exp missing
    let t = keys()[0].sign(&idp.claims_with(json!({"exp": null})));
    assert_rejected(idp.validate(&t, None), &t, "exp");

    // a zero leeway is honoured
    let strict = idp_with(&[&keys()[0]], |c| c.id_token.leeway = Duration::ZERO);
    let t = keys()[0].sign(&strict.claims_with(json!({"iat": n - 600, "exp": n - 20})));
    assert_rejected(strict.validate(&t, None), &t, "expired");
}

#[test]
fn nonce_mismatch_and_missing_nonce_are_rejected() {
    let idp = idp();
    let t = keys()[0].sign(&idp.claims_with(json!({"nonce": "other"})));
    assert_rejected(idp.validate(&t, Some("sent-nonce")), &t, "nonce");
    assert_rejected(idp.exchange(&t, Some("sent-nonce")), &t, "nonce");
    let t = keys()[0].sign(&idp.claims());
    assert_rejected(idp.validate(&t, Some("sent-nonce")), &t, "nonce is missing");
    assert_rejected(idp.exchange(&t, Some("sent-nonce")), &t, "nonce");
    let t = keys()[0].sign(&idp.claims_with(json!({"nonce": "sent-nonce"})));
    idp.exchange(&t, Some("sent-nonce"))
        .expect("matching nonce");
}

#[test]
fn wrong_at_hash_is_rejected() {
    let idp = idp();
    let t = keys()[0].sign(&idp.claims_with(json!({"at_hash": at_hash("another-access-token")})));
    assert_rejected(idp.exchange(&t, None), &t, "at_hash");
    assert_rejected(
        idp.provider.validate_id_token(&t, None, Some(ACCESS_TOKEN)),
        &t,
        "at_hash",
    );
    let t = keys()[0].sign(&idp.claims_with(json!({"at_hash": at_hash(ACCESS_TOKEN)})));
    idp.exchange(&t, None).expect("right at_hash");
}

/// `azp` and `at_hash` of any type but a string are refused as malformed,
/// never taken as absent: a non-string `azp` is no client id, and a
/// non-string `at_hash` would otherwise skip the access-token binding.
#[test]
fn azp_and_at_hash_of_another_type_are_refused() {
    let idp = idp();
    for claim in ["azp", "at_hash"] {
        for value in [
            json!(5),
            json!(null),
            json!(true),
            json!([CLIENT]),
            json!({"a": CLIENT}),
            json!(1.5),
        ] {
            let mut c = idp.claims();
            c[claim] = value;
            let t = keys()[0].sign(&c);
            assert_rejected(
                idp.provider.validate_id_token(&t, None, Some(ACCESS_TOKEN)),
                &t,
                &format!("{claim} is not a string"),
            );
            assert_rejected(
                idp.validate(&t, None),
                &t,
                &format!("{claim} is not a string"),
            );
        }
    }
}

#[test]
fn missing_id_token_after_openid_exchange_is_an_error() {
    let idp = idp();
    idp.server.json(
        "/token",
        200,
        &json!({"access_token": ACCESS_TOKEN, "token_type": "Bearer", "scope": "openid"}),
    );
    let e = idp
        .provider
        .exchange_code(&CodeExchange::new("c", "http://127.0.0.1:1/cb"))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::IdToken, "{e}");
    assert!(e.to_string().contains("no id_token"), "{e}");
}

#[test]
fn malformed_tokens_are_rejected_without_panicking() {
    let idp = idp();
    for t in [
        "",
        "abc",
        "a.b",
        "a.b.c.d",
        "!!!.???.***",
        "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln",
    ] {
        let e = idp.validate(t, None).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::IdToken, "{t}: {e}");
    }
}

#[test]
fn unknown_kid_refetches_once_then_is_rate_limited() {
    let idp = idp();
    idp.validate(&keys()[0].sign(&idp.claims()), None).unwrap();
    assert_eq!(idp.jwks_fetches(), 1);

    // an unknown kid: exactly one refetch, then rejection
    let t = keys()[1].sign(&idp.claims());
    assert_rejected(idp.validate(&t, None), &t, "unknown signing key id 'key-2'");
    assert_eq!(idp.jwks_fetches(), 2, "one refetch for an unknown kid");

    // another unknown kid right after: no refetch (rate limit)
    let t = keys()[2].sign(&idp.claims());
    assert_rejected(idp.validate(&t, None), &t, "unknown signing key id 'key-3'");
    assert_eq!(
        idp.jwks_fetches(),
        2,
        "forged kids cannot make it refetch again"
    );
    for i in 0..20 {
        let t = keys()[2].sign_with_header(
            &json!({"alg": "RS256", "kid": format!("forged-{i}")}),
            &idp.claims(),
        );
        assert!(idp.validate(&t, None).is_err());
    }
    assert_eq!(idp.jwks_fetches(), 2);
    // the known key still works without a fetch
    idp.validate(&keys()[0].sign(&idp.claims()), None).unwrap();
    assert_eq!(idp.jwks_fetches(), 2);
}

#[test]
fn unknown_kid_on_a_fresh_cache_fetches_once() {
    let idp = idp();
    let t = keys()[1].sign(&idp.claims());
    assert_rejected(idp.validate(&t, None), &t, "unknown signing key id");
    assert_eq!(idp.jwks_fetches(), 1, "the first fetch already is fresh");
}

#[test]
fn key_rotation_is_picked_up_after_one_refetch() {
    let idp = idp();
    idp.validate(&keys()[0].sign(&idp.claims()), None).unwrap();
    assert_eq!(idp.jwks_fetches(), 1);
    // the provider rotates: key-2 is published, key-1 retired
    idp.server.json("/jwks", 200, &jwks(&[&keys()[1]]));
    let t = keys()[1].sign(&idp.claims());
    idp.exchange(&t, None).expect("the rotated key is accepted");
    assert_eq!(idp.jwks_fetches(), 2);
    idp.validate(&t, None).unwrap();
    assert_eq!(idp.jwks_fetches(), 2, "the new key set is cached");
    // the retired key is gone from the cache
    let old = keys()[0].sign(&idp.claims());
    assert_rejected(
        idp.validate(&old, None),
        &old,
        "unknown signing key id 'key-1'",
    );
}

#[test]
fn refetch_interval_is_configurable() {
    let idp = idp_with(&[&keys()[0]], |c| {
        c.jwks_min_refetch_interval = Duration::from_millis(1500)
    });
    idp.validate(&keys()[0].sign(&idp.claims()), None).unwrap();
    let t = keys()[1].sign(&idp.claims());
    assert!(idp.validate(&t, None).is_err());
    assert!(idp.validate(&t, None).is_err());
    assert_eq!(idp.jwks_fetches(), 2);
    std::thread::sleep(Duration::from_millis(1600));
    idp.server
        .json("/jwks", 200, &jwks(&[&keys()[0], &keys()[1]]));
    idp.validate(&t, None)
        .expect("after the interval an unknown kid refetches again");
    assert_eq!(idp.jwks_fetches(), 3);
}

#[test]
fn token_without_kid_needs_exactly_one_candidate_key() {
    let one = idp();
    let c = one.claims();
    let t = keys()[0].sign_with_header(&json!({"alg": "RS256"}), &c);
    one.validate(&t, None).expect("a single key fits");

    let two = idp_with(&[&keys()[0], &keys()[1]], |_| {});
    let t = keys()[0].sign_with_header(&json!({"alg": "RS256"}), &two.claims());
    assert_rejected(two.validate(&t, None), &t, "no kid");
}

#[test]
fn jwks_endpoint_failure_is_a_clear_error() {
    let idp = idp();
    idp.server.json("/jwks", 500, &json!({"error": "boom"}));
    let t = keys()[0].sign(&idp.claims());
    let e = idp.validate(&t, None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Http, "{e}");
    assert!(
        e.to_string().contains("jwks") && e.to_string().contains("500"),
        "{e}"
    );
    // once it recovers, validation works
    idp.server.json("/jwks", 200, &jwks(&[&keys()[0]]));
    idp.validate(&t, None).expect("recovered");
}

#[test]
fn validation_can_be_turned_off_explicitly() {
    let idp = idp_with(&[&keys()[0]], |c| c.require_id_token_validation = false);
    let t = unsigned(&idp.claims());
    let ts = idp.exchange(&t, None).expect("validation is off");
    assert_eq!(ts.identity_id, None);
    assert_eq!(idp.jwks_fetches(), 0);
}

#[test]
fn cached_keys_expire_so_a_withdrawn_key_stops_verifying() {
    let idp = idp_with(&[&keys()[0]], |c| {
        c.jwks_max_age = Duration::from_millis(1500)
    });
    let old = keys()[0].sign(&idp.claims());
    idp.validate(&old, None).unwrap();
    idp.validate(&old, None).unwrap();
    assert_eq!(idp.jwks_fetches(), 1);
    // the provider withdraws key-1 (say it leaked) and publishes key-2
    idp.server.json("/jwks", 200, &jwks(&[&keys()[1]]));
    std::thread::sleep(Duration::from_millis(1600));
    assert_rejected(
        idp.validate(&old, None),
        &old,
        "unknown signing key id 'key-1'",
    );
    assert_eq!(
        idp.jwks_fetches(),
        2,
        "the expired key set was fetched again"
    );
    idp.validate(&keys()[1].sign(&idp.claims()), None).unwrap();
    assert_eq!(idp.jwks_fetches(), 2);
    // the default is a day
    assert_eq!(
        OidcConfig::new("https://idp.example", CLIENT).jwks_max_age,
        Duration::from_secs(24 * 3600)
    );
}

#[test]
fn es256_tokens_verify_with_ec_keys_only() {
    use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair as _, ECDSA_P256_SHA256_FIXED_SIGNING};
    let ec = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
    let point = ec.public_key().as_ref().to_vec(); // 0x04 || x || y
    let ec_jwk = json!({"kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": "ec-1",
        "x": test_jwt::b64(&point[1..33]), "y": test_jwt::b64(&point[33..65])});
    let sign_es256 = |kid: &str, claims: &Value| {
        let input = test_jwt::signing_input(&json!({"alg": "ES256", "kid": kid}), claims);
        let sig = ec
            .sign(&aws_lc_rs::rand::SystemRandom::new(), input.as_bytes())
            .unwrap();
        format!("{input}.{}", test_jwt::b64(sig.as_ref()))
    };

    let idp = idp();
    let mut d = discovery(idp.iss());
    d["id_token_signing_alg_values_supported"] = json!(["RS256", "ES256"]);
    idp.server
        .json("/.well-known/openid-configuration", 200, &d);
    let mut set = jwks(&[&keys()[0]]);
    set["keys"].as_array_mut().unwrap().push(ec_jwk);
    idp.server.json("/jwks", 200, &set);

    let t = sign_es256("ec-1", &idp.claims());
    idp.validate(&t, None).expect("ES256 with the EC key");
    idp.validate(&keys()[0].sign(&idp.claims()), None)
        .expect("RS256 still");
    // an ES256 header pointing at the RSA key is refused
    let t = sign_es256("key-1", &idp.claims());
    assert_rejected(idp.validate(&t, None), &t, "cannot verify ES256");
    // and an RS256 header pointing at the EC key
    let t = keys()[0].sign_with_header(&json!({"alg": "RS256", "kid": "ec-1"}), &idp.claims());
    assert_rejected(idp.validate(&t, None), &t, "cannot verify RS256");
}

#[test]
fn concurrent_forged_kids_cause_one_refetch() {
    let idp = std::sync::Arc::new(idp());
    idp.validate(&keys()[0].sign(&idp.claims()), None).unwrap();
    let threads: Vec<_> = (0..16)
        .map(|i| {
            let idp = idp.clone();
            std::thread::spawn(move || {
                let t = keys()[1].sign_with_header(
                    &json!({"alg": "RS256", "kid": format!("forged-{i}")}),
                    &idp.claims(),
                );
                let e = idp.validate(&t, None).unwrap_err();
                assert_eq!(e.kind(), ErrorKind::IdToken);
                // good tokens keep working meanwhile
                idp.validate(&keys()[0].sign(&idp.claims()), None).unwrap();
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(idp.jwks_fetches(), 2, "one initial fetch and one refetch");
}

/// RFC 7515 §5.2: the decoded header and payload must be UTF-8 JSON, all
/// of it. A well-signed token whose header or claims hold bytes that are
/// not UTF-8 (in any member, known or not, in a name or a value), lone
/// UTF-16 surrogate escapes, a byte-order mark or data after the object is
/// refused, never accepted on the strength of the members that parsed.
#[test]
fn well_signed_tokens_that_are_not_utf8_json_are_rejected() {
    let idp = idp();
    let key = &keys()[0];
    let header = format!(r#"{{"alg":"RS256","typ":"JWT","kid":"{}"}}"#, key.kid);
    let claims = idp.claims().to_string();
    let good = key.sign_raw(header.as_bytes(), claims.as_bytes());
    idp.validate(&good, None)
        .expect("the unaltered token is accepted");

    // Each way of spoiling a JSON document that a lenient parser lets
    // through somewhere.
    let spoil = |doc: &str| -> Vec<(String, Vec<u8>)> {
        let body = doc.strip_suffix('}').unwrap();
        let with = |member: &[u8]| {
            let mut v = body.as_bytes().to_vec();
            v.push(b',');
            v.extend_from_slice(member);
            v.push(b'}');
            v
        };
        let mut out = Vec::new();
        for (what, bytes) in [
            ("lone continuation byte", &b"\x80"[..]),
            ("truncated sequence", b"\xE2\x82"),
            ("overlong encoding", b"\xC0\xAF"),
            ("UTF-16 surrogate as UTF-8", b"\xED\xA0\x80"),
            ("beyond U+10FFFF", b"\xF4\x90\x80\x80"),
            ("byte 0xFF", b"\xFF"),
        ] {
            let mut value = b"\"x".to_vec();
            value.extend_from_slice(bytes);
            value.push(b'"');
            let mut in_value = b"\"extra\":".to_vec();
            in_value.extend_from_slice(&value);
            out.push((
                format!("{what} in an unknown member's value"),
                with(&in_value),
            ));
            let mut in_name = value.clone();
            in_name.extend_from_slice(b":1");
            out.push((format!("{what} in a member name"), with(&in_name)));
            let mut nested = b"\"extra\":{\"a\":[".to_vec();
            nested.extend_from_slice(&value);
            nested.extend_from_slice(b"]}");
            out.push((format!("{what} in a nested value"), with(&nested)));
        }
        for (what, member) in [
            ("lone high surrogate escape", &br#""extra":"\ud800""#[..]),
            ("lone low surrogate escape", br#""extra":"\udc00x""#),
            ("lone surrogate in a name", br#""\ud83d":1"#),
        ] {
            out.push((what.to_owned(), with(member)));
        }
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(doc.as_bytes());
        out.push(("byte-order mark".into(), bom));
        let mut trailing = doc.as_bytes().to_vec();
        trailing.extend_from_slice(b"\x00");
        out.push(("NUL after the object".into(), trailing));
        let mut two = doc.as_bytes().to_vec();
        two.extend_from_slice(b"{}");
        out.push(("a second object".into(), two));
        out
    };

    let mut accepted = Vec::new();
    for (what, bad_header) in spoil(&header) {
        let t = key.sign_raw(&bad_header, claims.as_bytes());
        match idp.validate(&t, None) {
            Ok(_) => accepted.push(format!("header: {what}")),
            Err(e) => assert_eq!(e.kind(), ErrorKind::IdToken, "header: {what}: {e}"),
        }
    }
    for (what, bad_claims) in spoil(&claims) {
        let t = key.sign_raw(header.as_bytes(), &bad_claims);
        match idp.validate(&t, None) {
            Ok(_) => accepted.push(format!("payload: {what}")),
            Err(e) => assert_eq!(e.kind(), ErrorKind::IdToken, "payload: {what}: {e}"),
        }
    }
    assert!(accepted.is_empty(), "accepted: {accepted:#?}");
}

/// A header naming `alg`, `kid` or `crit` twice (in either order, in any
/// spelling JSON allows for the name, such as `\u0061lg`) is refused even
/// when one of the two values would pass, and so is a header that is not
/// an object; a well-signed token is never accepted on the strength of
/// the member a lenient parser happened to keep.
#[test]
fn well_signed_tokens_with_repeated_or_non_object_headers_are_rejected() {
    let idp = idp();
    let key = &keys()[0];
    let kid = &key.kid;
    let claims = idp.claims().to_string();
    let good = format!(r#"{{"alg":"RS256","kid":"{kid}"}}"#);
    idp.validate(&key.sign_raw(good.as_bytes(), claims.as_bytes()), None)
        .expect("the plain header is accepted");
    let bad = [
        format!(r#"{{"alg":"RS256","alg":"RS256","kid":"{kid}"}}"#),
        format!(r#"{{"alg":"none","alg":"RS256","kid":"{kid}"}}"#),
        format!(r#"{{"alg":"RS256","kid":"{kid}","alg":"HS256"}}"#),
        format!(r#"{{"alg":"RS256","\u0061lg":"RS256","kid":"{kid}"}}"#),
        format!(r#"{{"alg":"RS256","kid":"{kid}","kid":"{kid}"}}"#),
        format!(r#"{{"alg":"RS256","kid":"forged","kid":"{kid}"}}"#),
        format!(r#"{{"alg":"RS256","kid":"{kid}","k\u0069d":"forged"}}"#),
        format!(r#"{{"alg":"RS256","kid":"{kid}","crit":["exp"]}}"#),
        format!(r#"{{"alg":"RS256","kid":"{kid}","crit":[],"crit":[]}}"#),
        format!(r#"[{{"alg":"RS256","kid":"{kid}"}}]"#),
        // an array a struct parser fills member by member (alg, kid)
        format!(r#"["RS256","{kid}"]"#),
        format!(r#" ["RS256","{kid}",false]"#),
        r#"["RS256"]"#.to_owned(),
        // alg or kid that is not a string
        format!(r#"{{"alg":["RS256"],"kid":"{kid}"}}"#),
        r#"{"alg":"RS256","kid":7}"#.to_owned(),
        format!(r#"{{"alg":"RS256","kid":"{kid}","crit":null}}"#),
        r#""RS256""#.to_owned(),
        "null".to_owned(),
        "1".to_owned(),
        String::new(),
    ];
    let mut accepted = Vec::new();
    for header in &bad {
        let t = key.sign_raw(header.as_bytes(), claims.as_bytes());
        match idp.validate(&t, None) {
            Ok(_) => accepted.push(header.clone()),
            Err(e) => assert_eq!(e.kind(), ErrorKind::IdToken, "{header}: {e}"),
        }
    }
    assert!(accepted.is_empty(), "accepted: {accepted:#?}");
}

/// The claims are handed out parsed lazily, from the payload text kept
/// after validation; validation itself reads only the claims it checks.
/// So that laziness never accepts a token the full parse refuses, and
/// never lets two readers see different values, every payload the full
/// parse (`serde_json` into a map) refuses is refused by validation, and
/// a checked claim named twice (in any spelling JSON allows) is refused
/// even with equal values. What the full parse accepts is accepted, and
/// the claims handed out are exactly that parse.
#[test]
fn well_signed_payloads_the_full_claims_parse_would_refuse_are_rejected_up_front() {
    let idp = idp();
    let key = &keys()[0];
    let header = format!(r#"{{"alg":"RS256","typ":"JWT","kid":"{}"}}"#, key.kid);
    let doc = idp.claims_with(json!({"nbf": now() - 10, "auth_time": now() - 20,
        "azp": CLIENT, "tid": "t1", "at_hash": at_hash(ACCESS_TOKEN), "nonce": "n-1"}));
    let claims = doc.to_string();
    let body = claims.strip_suffix('}').unwrap();
    let with = |member: &str| format!("{body},{member}}}");
    let nest = |depth: usize, inner: &str| {
        format!(
            r#""extra":{}{inner}{}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        )
    };

    let mut refused: Vec<(String, String)> = Vec::new();
    for (name, value) in doc.as_object().unwrap() {
        // the same value twice, and the name spelled with an escape
        refused.push((
            format!("{name} twice"),
            with(&format!(r#""{name}":{value}"#)),
        ));
        let escaped: String = format!("\\u{:04x}{}", name.as_bytes()[0], &name[1..]);
        refused.push((
            format!("{name} twice, once escaped"),
            with(&format!(r#""{escaped}":{value}"#)),
        ));
    }
    refused.push((
        "sub twice, the second another user".into(),
        with(r#""sub":"admin""#),
    ));
    for (what, text) in [
        ("an array", format!("[{claims}]")),
        ("a string", format!("{:?}", claims)),
        ("null", "null".into()),
        ("a number", "1".into()),
        ("true", "true".into()),
        ("empty", String::new()),
        ("trailing text", format!("{claims} x")),
        ("a second brace", format!("{claims}}}")),
        ("a trailing comma", format!("{claims},")),
        ("a comma before the brace", with("")),
        ("129 nested arrays", with(&nest(129, "1"))),
        ("200 nested objects", {
            let open = r#"{"a":"#.repeat(200);
            with(&format!(r#""extra":{open}1{}"#, "}".repeat(200)))
        }),
        ("a number beyond f64", with(r#""extra":1e400"#)),
        ("a negative number beyond f64", with(r#""extra":-1e400"#)),
        (
            "an integer of 400 digits",
            with(&format!(r#""extra":1{}"#, "0".repeat(400))),
        ),
        ("a huge number nested", with(r#""extra":{"a":[1,2e999]}"#)),
        ("a huge number as a claim", with(r#""exp2":[1E+400]"#)),
        ("an unknown escape", with(r#""extra":"\x41""#)),
        ("a short \\u escape", with(r#""extra":"\u12""#)),
        ("a raw control character", with("\"extra\":\"a\u{1}b\"")),
        ("a raw newline in a name", with("\"ex\ntra\":1")),
        (
            "an unterminated string",
            format!("{body},\"extra\":\"abc}}"),
        ),
        ("a leading zero", with(r#""extra":012"#)),
        ("a bare minus", with(r#""extra":-"#)),
        ("NaN", with(r#""extra":NaN"#)),
        ("a single-quoted string", with(r#""extra":'a'"#)),
        ("a missing value", with(r#""extra":"#)),
        ("a member without a name", with(r#"1:2"#)),
    ] {
        refused.push((what.into(), text));
    }
    let mut accepted = Vec::new();
    for (what, text) in &refused {
        // the premise: the full parse refuses it (but for a repeated
        // name, which it takes last-wins)
        let full = serde_json::from_str::<serde_json::Map<String, Value>>(text);
        assert_eq!(full.is_err(), !what.contains("twice"), "{what}: {text}");
        let t = key.sign_raw(header.as_bytes(), text.as_bytes());
        match idp
            .provider
            .validate_id_token(&t, Some("n-1"), Some(ACCESS_TOKEN))
        {
            Ok(_) => accepted.push(what.clone()),
            Err(e) => assert_eq!(e.kind(), ErrorKind::IdToken, "{what}: {e}"),
        }
    }
    assert!(accepted.is_empty(), "accepted: {accepted:#?}");

    // What the full parse accepts stays accepted, and the claims handed out
    // are the full parse of the payload (escapes decoded, the last of a
    // repeated unchecked member).
    let fine = [
        with(r#""email":"a@example.org","email":"b@example.org""#),
        with(&nest(126, r#""deep""#)),
        with(r#""extra":1e300,"big":18446744073709551616,"neg":-9223372036854775809"#),
        with(r#""extra":"\ud83d\ude00 \u00e9 \n \/ \"","\u0065scaped":true"#),
        format!(
            " \t\r\n{}\n ",
            claims.replace(r#""sub":"user-1""#, r#""s\u0075b":"u\u0073er-1""#)
        ),
        with(r#""exp2":[1,2,{"a":null}],"amr":["pwd"]"#),
        claims.replace(r#""iss":"h"#, r#""iss":"\u0068"#),
    ];
    assert!(fine.last().unwrap().contains(r#""iss":"\u0068"#));
    for text in &fine {
        let full: Value = serde_json::from_str(text).expect("the premise: valid JSON");
        let t = key.sign_raw(header.as_bytes(), text.as_bytes());
        let got = idp
            .provider
            .validate_id_token(&t, Some("n-1"), Some(ACCESS_TOKEN))
            .unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(got.sub, "user-1", "{text}");
        assert_eq!(got.iss(), idp.iss(), "{text}");
        assert_eq!(got.payload_json(), text);
        assert_eq!(idp.validate(&t, Some("n-1")).unwrap(), full, "{text}");
    }
}
