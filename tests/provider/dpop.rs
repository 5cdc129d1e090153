//! DPoP (RFC 9449) without a live provider: proofs checked by an
//! independent verifier (jsonwebtoken), `jti` uniqueness, the key in
//! stores, and the token, userinfo and nonce exchanges against a small
//! loopback server that behaves like a DPoP authorization server.

use oauthkit::provider::{CodeExchange, TokenRefresh, TokenRevocation, UserinfoRequest};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::thread;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use oauthkit::provider::DpopConfig;
use oauthkit::provider::SigningAlgorithm;
use oauthkit::provider::{OAuth2Config, OAuthProvider, Provider};
use oauthkit::store::{EncryptedStore, JsonFileStore, MemoryStore, SealingKeys};
use oauthkit::unversioned::provider::dpop::{htu, ProofRequest};
use oauthkit::unversioned::provider::DpopKey;
use oauthkit::{Error, ErrorKind, TokenSet, TokenStore};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const ALGS: [SigningAlgorithm; 4] = [
    SigningAlgorithm::ES256,
    SigningAlgorithm::EdDSA,
    SigningAlgorithm::RS256,
    SigningAlgorithm::PS256,
];

fn jwt_alg(a: SigningAlgorithm) -> Algorithm {
    match a {
        SigningAlgorithm::ES256 => Algorithm::ES256,
        SigningAlgorithm::EdDSA => Algorithm::EdDSA,
        SigningAlgorithm::RS256 => Algorithm::RS256,
        SigningAlgorithm::PS256 => Algorithm::PS256,
        other => panic!("{other:?}"),
    }
}

/// Verifies a proof the way a server does (RFC 9449 §4.3) with
/// jsonwebtoken: signature by the embedded `jwk`, `typ`, `alg`; returns
/// the header JWK's thumbprint input check and the claims.
fn verify(proof: &str, alg: SigningAlgorithm) -> (Value, Value) {
    let header = jsonwebtoken::decode_header(proof).expect("a JOSE header");
    assert_eq!(header.typ.as_deref(), Some("dpop+jwt"));
    assert_eq!(header.alg, jwt_alg(alg));
    let jwk = header.jwk.expect("the public key is in the header");
    let key = DecodingKey::from_jwk(&jwk).expect("a usable public JWK");
    let mut v = Validation::new(jwt_alg(alg));
    v.required_spec_claims = HashSet::new();
    v.validate_exp = false;
    v.validate_aud = false;
    let data = jsonwebtoken::decode::<Value>(proof, &key, &v).expect("the signature verifies");
    let raw_header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(proof.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    (raw_header, data.claims)
}

#[test]
fn proofs_of_every_algorithm_verify_independently_with_every_claim() {
    for alg in ALGS {
        let key = DpopKey::generate(alg).unwrap();
        let now = oauthkit::unversioned::now_unix();
        let proof = ProofRequest::new("POST", "https://Server.Example:443/token?x=1#frag")
            .access_token("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU")
            .nonce(Some("eyJ7S_zG.eyJH0-Z.HX4w-7v"))
            .sign(&key)
            .unwrap();
        let (header, claims) = verify(&proof, alg);
        // the header's jwk is public only and is the key's
        let jwk = header["jwk"].as_object().unwrap();
        for private in ["d", "p", "q", "dp", "dq", "qi"] {
            assert!(
                !jwk.contains_key(private),
                "{alg}: private member {private}"
            );
        }
        // ... its public JWK without the registration members (alg, use)
        let mut expected = key.public_jwk();
        let members = expected.as_object_mut().unwrap();
        assert!(members.remove("alg").is_some() && members.remove("use").is_some());
        assert_eq!(header["jwk"], expected, "{alg}");
        // RFC 7638: SHA-256 of the required members, sorted, no white space
        assert_eq!(
            key.thumbprint(),
            URL_SAFE_NO_PAD.encode(Sha256::digest(expected.to_string().as_bytes()))
        );
        assert_eq!(claims["htm"], "POST");
        assert_eq!(claims["htu"], "https://server.example/token");
        assert!((claims["iat"].as_i64().unwrap() - now).abs() <= 5);
        // RFC 9449 §7.1's example access token and ath
        assert_eq!(claims["ath"], "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo");
        assert_eq!(claims["nonce"], "eyJ7S_zG.eyJH0-Z.HX4w-7v");
        assert!(claims["jti"].as_str().unwrap().len() >= 22);
        // nothing else
        assert_eq!(claims.as_object().unwrap().len(), 6, "{claims}");
    }
}

#[test]
fn a_proof_without_token_or_nonce_has_neither_claim() {
    let key = DpopKey::generate(SigningAlgorithm::ES256).unwrap();
    let proof = ProofRequest::new("GET", "http://127.0.0.1:8080/userinfo")
        .sign(&key)
        .unwrap();
    let (_, claims) = verify(&proof, SigningAlgorithm::ES256);
    assert!(claims.get("ath").is_none());
    assert!(claims.get("nonce").is_none());
    assert_eq!(claims["htu"], "http://127.0.0.1:8080/userinfo");
}

#[test]
fn htu_normalisation_covers_the_rfc3986_cases() {
    for (input, want) in [
        ("https://a.example/t", "https://a.example/t"),
        ("HTTPS://A.EXAMPLE/t", "https://a.example/t"),
        ("https://a.example:443/t", "https://a.example/t"),
        ("http://a.example:80/t", "http://a.example/t"),
        ("https://a.example:8443/t", "https://a.example:8443/t"),
        ("https://a.example/a/../t", "https://a.example/t"),
        ("https://a.example", "https://a.example/"),
        ("https://a.example/t?q=1&r=2", "https://a.example/t"),
        ("https://a.example/t#f", "https://a.example/t"),
        ("https://a.example/t?#", "https://a.example/t"),
        ("https://a.example/%7euser", "https://a.example/%7euser"),
    ] {
        assert_eq!(htu(input).unwrap(), want, "{input}");
    }
    for bad in [
        "",
        "/relative",
        "mailto:a@b.example",
        "file:///etc/passwd",
        "https://u:p@a.example/",
        "https://:p@a.example/",
        "javascript:alert(1)",
    ] {
        assert!(htu(bad).is_err(), "{bad}");
    }
}

/// Hostile: proofs are never reused. 20 000 proofs from one key and from
/// several threads at once: every `jti` and every proof is different, even
/// within the same second (same `iat`).
#[test]
fn proofs_are_never_reused() {
    let key = DpopKey::generate(SigningAlgorithm::ES256).unwrap();
    let seen = Arc::new(Mutex::new(HashSet::new()));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let key = key.clone();
            let seen = seen.clone();
            thread::spawn(move || {
                let mut mine = Vec::new();
                for _ in 0..5_000 {
                    let p = ProofRequest::new("POST", "https://as.example/token")
                        .sign(&key)
                        .unwrap();
                    let claims: Value = serde_json::from_slice(
                        &URL_SAFE_NO_PAD
                            .decode(p.split('.').nth(1).unwrap())
                            .unwrap(),
                    )
                    .unwrap();
                    mine.push(claims["jti"].as_str().unwrap().to_owned());
                }
                let mut s = seen.lock().unwrap();
                for j in mine {
                    assert!(s.insert(j), "a jti was repeated");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(seen.lock().unwrap().len(), 20_000);
}

fn bound_set() -> TokenSet {
    let mut t = TokenSet::bearer("at-dpop")
        .with_refresh_token("rt-dpop")
        .with_expires_in(3600)
        .with_dpop_key(DpopKey::generate(SigningAlgorithm::ES256).unwrap());
    t.token_type = "DPoP".into();
    t
}

fn pkcs8_text(t: &TokenSet) -> String {
    URL_SAFE_NO_PAD.encode(&*t.dpop_key.as_ref().unwrap().to_pkcs8())
}

/// Hostile: a plain-text store never receives the private key; the error
/// says how to fix it and nothing is written.
#[test]
fn plain_text_stores_refuse_dpop_bound_sets() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    let store = JsonFileStore::open(&path).unwrap();
    let t = bound_set();
    for result in [
        store.save("k", &t),
        store.save_all(&[("k".to_owned(), t.clone())].into_iter().collect()),
    ] {
        let e = result.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported);
        assert!(matches!(e, Error::DpopKeyUnprotected { .. }), "{e:?}");
        let msg = e.to_string();
        assert!(msg.contains("encrypt="), "{msg}");
        assert!(!msg.contains(&pkcs8_text(&t)[..16]));
    }
    assert!(store.load("k").unwrap().is_none());
    // an unbound set still saves
    store.save("plain", &TokenSet::bearer("at")).unwrap();
    let raw = std::fs::read_to_string(&path).unwrap();
    assert!(!raw.contains(&pkcs8_text(&t)[..16]));
}

#[cfg(feature = "sqlite")]
#[test]
fn sqlite_refuses_dpop_bound_sets() {
    let dir = tempfile::tempdir().unwrap();
    let store = oauthkit::store::SqliteStore::open(dir.path().join("t.db")).unwrap();
    assert!(!store.protects_secrets());
    let e = store.save("k", &bound_set()).unwrap_err();
    assert!(matches!(e, Error::DpopKeyUnprotected { .. }), "{e:?}");
}

/// The key survives the safe stores exactly, and the encrypted store's
/// backend holds no trace of it.
#[test]
fn safe_stores_keep_the_key() {
    let t = bound_set();
    let memory = MemoryStore::new();
    memory.save("k", &t).unwrap();
    assert_eq!(memory.load("k").unwrap().unwrap(), t);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    let sealed = EncryptedStore::new(
        JsonFileStore::open(&path).unwrap(),
        SealingKeys::from_text(SealingKeys::generate_key_text().expose()).unwrap(),
    );
    sealed.save("k", &t).unwrap();
    let back = sealed.load("k").unwrap().unwrap();
    assert_eq!(back, t);
    assert_eq!(
        back.dpop_key.unwrap().thumbprint(),
        t.dpop_key.as_ref().unwrap().thumbprint()
    );
    let raw = std::fs::read_to_string(&path).unwrap();
    for needle in [&pkcs8_text(&t)[..16], "at-dpop", "rt-dpop", "pkcs8"] {
        assert!(
            !raw.contains(needle),
            "{needle} in the encrypted store's file"
        );
    }
    // Debug of the set shows the thumbprint, never the key
    let d = format!("{t:?}");
    assert!(!d.contains(&pkcs8_text(&t)[..16]));
}

// ---- a loopback DPoP authorization server -------------------------------

struct AsState {
    /// Require this nonce in token-endpoint proofs (`None`: no nonce).
    nonce: Option<String>,
    /// Ask for a nonce on every request, whatever the proof says.
    always_ask: bool,
    /// The token_type to answer with.
    token_type: String,
    /// Every proof received, with its path.
    proofs: Vec<(String, String)>,
    /// `jkt` of the key each access token is bound to.
    bound: Vec<(String, String)>,
    /// Device-grant polls answered so far (the first is pending).
    device_polls: usize,
}

struct TestAs {
    base: String,
    state: Arc<Mutex<AsState>>,
}

fn claims_of(proof: &str) -> Value {
    serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(proof.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap()
}

fn jkt_of(proof: &str) -> String {
    let header = jsonwebtoken::decode_header(proof).unwrap();
    let (raw, _) = verify(proof, SigningAlgorithm::ES256);
    let _ = header;
    let jwk = &raw["jwk"];
    let canonical = format!(
        r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
        jwk["crv"].as_str().unwrap(),
        jwk["x"].as_str().unwrap(),
        jwk["y"].as_str().unwrap()
    );
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

impl TestAs {
    fn start(nonce: Option<&str>, always_ask: bool, token_type: &str) -> TestAs {
        let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
        let base = format!("http://{}", server.server_addr().to_ip().unwrap());
        let state = Arc::new(Mutex::new(AsState {
            nonce: nonce.map(str::to_owned),
            always_ask,
            token_type: token_type.to_owned(),
            proofs: Vec::new(),
            bound: Vec::new(),
            device_polls: 0,
        }));
        let st = state.clone();
        let url_base = base.clone();
        thread::spawn(move || {
            for mut req in server.incoming_requests() {
                let path = req.url().split('?').next().unwrap().to_owned();
                let header = |name: &str| {
                    req.headers()
                        .iter()
                        .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
                        .map(|h| h.value.as_str().to_owned())
                };
                let proof = header("DPoP");
                let auth = header("Authorization");
                let mut body = String::new();
                let _ = req.as_reader().read_to_string(&mut body);
                let mut s = st.lock().unwrap();
                let device_poll = body.contains("device_code=");
                let (status, json, extra): (u16, Value, Vec<(&str, String)>) = match proof {
                    None if path == "/device" => (
                        200,
                        json!({"device_code": "dc-1", "user_code": "ABCD-EFGH",
                               "verification_uri": format!("{url_base}/verify"),
                               "expires_in": 600, "interval": 1}),
                        vec![],
                    ),
                    None => (400, json!({"error": "invalid_dpop_proof"}), vec![]),
                    Some(proof) => {
                        s.proofs.push((path.clone(), proof.clone()));
                        let c = claims_of(&proof);
                        let url = format!("{url_base}{path}");
                        assert_eq!(c["htu"], url.as_str());
                        let nonce_ok = match &s.nonce {
                            None => true,
                            Some(n) => c["nonce"] == n.as_str(),
                        };
                        let nonce_hdr = s.nonce.clone().unwrap_or_default();
                        if path == "/token" && device_poll && s.device_polls == 0 {
                            s.device_polls += 1;
                            (400, json!({"error": "authorization_pending"}), vec![])
                        } else if path == "/token" {
                            if s.always_ask || !nonce_ok {
                                (
                                    400,
                                    json!({"error": "use_dpop_nonce", "error_description": "Authorization server requires nonce in DPoP proof"}),
                                    vec![("DPoP-Nonce", nonce_hdr)],
                                )
                            } else {
                                let n = s.bound.len();
                                let at = format!("at-{n}");
                                s.bound.push((at.clone(), jkt_of(&proof)));
                                (
                                    200,
                                    json!({"access_token": at, "token_type": s.token_type,
                                           "refresh_token": format!("rt-{n}"), "expires_in": 300}),
                                    vec![],
                                )
                            }
                        } else if path == "/userinfo" {
                            let at = auth
                                .as_deref()
                                .and_then(|a| a.strip_prefix("DPoP "))
                                .unwrap_or_default()
                                .to_owned();
                            let ok_binding = s
                                .bound
                                .iter()
                                .any(|(t, jkt)| *t == at && *jkt == jkt_of(&proof));
                            let ath_ok = c["ath"]
                                == URL_SAFE_NO_PAD
                                    .encode(Sha256::digest(at.as_bytes()))
                                    .as_str();
                            if s.always_ask || !nonce_ok {
                                (
                                    401,
                                    json!({}),
                                    vec![
                                        ("WWW-Authenticate", r#"DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof""#.to_owned()),
                                        ("DPoP-Nonce", nonce_hdr),
                                    ],
                                )
                            } else if ok_binding && ath_ok {
                                (200, json!({"sub": "user-1"}), vec![])
                            } else {
                                (401, json!({"error": "invalid_token"}), vec![])
                            }
                        } else if path == "/revoke" {
                            (200, json!({}), vec![])
                        } else {
                            (404, json!({}), vec![])
                        }
                    }
                };
                drop(s);
                let mut resp = tiny_http::Response::from_string(json.to_string())
                    .with_status_code(status)
                    .with_header(
                        "Content-Type: application/json"
                            .parse::<tiny_http::Header>()
                            .unwrap(),
                    );
                for (k, v) in extra {
                    resp = resp.with_header(tiny_http::Header::from_bytes(k, v).unwrap());
                }
                let _ = req.respond(resp);
            }
        });
        TestAs { base, state }
    }

    fn provider(&self) -> OAuthProvider {
        let mut cfg = OAuth2Config::new(
            "dpop-test",
            "client",
            format!("{}/authorize", self.base),
            format!("{}/token", self.base),
        )
        .dpop(DpopConfig::new());
        cfg.userinfo_url = Some(format!("{}/userinfo", self.base));
        cfg.revocation_url = Some(format!("{}/revoke", self.base));
        cfg.device_authorization_url = Some(format!("{}/device", self.base));
        OAuthProvider::oauth2(cfg).unwrap()
    }

    fn proofs_to(&self, path: &str) -> Vec<String> {
        let s = self.state.lock().unwrap();
        s.proofs
            .iter()
            .filter(|(p, _)| p == path)
            .map(|(_, proof)| proof.clone())
            .collect()
    }
}

#[test]
fn code_exchange_refresh_userinfo_and_revocation_carry_proofs_of_one_key() {
    let server = TestAs::start(None, false, "DPoP");
    let p = server.provider();
    assert!(p.dpop().is_some());
    let key = DpopKey::generate(SigningAlgorithm::ES256).unwrap();
    let t = p
        .exchange_code(
            &CodeExchange::new("code-1", "http://127.0.0.1/cb")
                .pkce_verifier("v")
                .dpop(&key),
        )
        .unwrap();
    assert_eq!(t.token_type, "DPoP");
    assert_eq!(t.dpop_key.as_ref(), Some(&key));
    let refreshed = p.refresh_tokens(&TokenRefresh::of(&t).unwrap()).unwrap();
    assert_eq!(refreshed.dpop_key.as_ref(), Some(&key));
    assert_eq!(
        p.get_userinfo(&UserinfoRequest::of(&refreshed))
            .unwrap()
            .unwrap()
            .sub
            .unwrap(),
        "user-1"
    );
    assert!(p
        .revoke_token(&TokenRevocation::refresh_token_of(&refreshed).unwrap())
        .unwrap());
    let s = server.state.lock().unwrap();
    let jkts: HashSet<String> = s.proofs.iter().map(|(_, pr)| jkt_of(pr)).collect();
    assert_eq!(jkts, HashSet::from([key.thumbprint().to_owned()]));
    let jtis: HashSet<String> = s
        .proofs
        .iter()
        .map(|(_, pr)| claims_of(pr)["jti"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(jtis.len(), s.proofs.len(), "a jti was reused");
    for (path, pr) in &s.proofs {
        let c = claims_of(pr);
        let method = if path == "/userinfo" { "GET" } else { "POST" };
        assert_eq!(c["htm"], method);
        assert_eq!(c.get("ath").is_some(), path == "/userinfo", "{path}");
    }
}

#[test]
fn a_nonce_request_is_retried_exactly_once_and_the_nonce_is_remembered() {
    let server = TestAs::start(Some("server-nonce-1"), false, "DPoP");
    let p = server.provider();
    let key = DpopKey::generate(SigningAlgorithm::ES256).unwrap();
    let t = p
        .exchange_code(&CodeExchange::new("code", "http://127.0.0.1/cb").dpop(&key))
        .unwrap();
    assert_eq!(server.proofs_to("/token").len(), 2, "one retry");
    // the nonce is remembered for the origin: the refresh and userinfo
    // need no retry
    let r = p.refresh_tokens(&TokenRefresh::of(&t).unwrap()).unwrap();
    assert_eq!(server.proofs_to("/token").len(), 3);
    p.get_userinfo(&UserinfoRequest::of(&r)).unwrap();
    assert_eq!(server.proofs_to("/userinfo").len(), 1);
    let last = claims_of(server.proofs_to("/token").last().unwrap());
    assert_eq!(last["nonce"], "server-nonce-1");
}

/// Hostile: a server that asks for a nonce forever gets exactly one retry
/// per request, and its error comes back typed.
#[test]
fn a_server_asking_for_nonces_forever_gets_one_retry() {
    let server = TestAs::start(Some("n"), true, "DPoP");
    let p = server.provider();
    let key = DpopKey::generate(SigningAlgorithm::ES256).unwrap();
    let e = p
        .exchange_code(&CodeExchange::new("code", "http://127.0.0.1/cb").dpop(&key))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OAuth, "{e}");
    assert!(e.to_string().contains("use_dpop_nonce"));
    assert_eq!(server.proofs_to("/token").len(), 2);
    let mut t = bound_set();
    t.dpop_key = Some(key);
    assert!(p.get_userinfo(&UserinfoRequest::of(&t)).is_err());
    assert_eq!(server.proofs_to("/userinfo").len(), 2);
}

/// RFC 9449 §5: DPoP was requested, the server answered Bearer: refused,
/// saying why, without the token.
#[test]
fn a_bearer_answer_to_a_dpop_request_is_refused() {
    let server = TestAs::start(None, false, "Bearer");
    let p = server.provider();
    let key = DpopKey::generate(SigningAlgorithm::ES256).unwrap();
    let e = p
        .exchange_code(&CodeExchange::new("code", "http://127.0.0.1/cb").dpop(&key))
        .unwrap_err();
    let msg = e.report().to_string();
    assert!(msg.contains("did not bind"), "{msg}");
    // a configuration matter, not a network failure
    assert_eq!(e.kind(), ErrorKind::Unsupported, "{msg}");
    assert!(!msg.contains("at-0") && !msg.contains("rt-0"), "{msg}");
}

/// Device and client-credentials grants and exchanges without a key get a
/// fresh key per grant, carried by the token set.
#[test]
fn grants_without_a_given_key_get_a_new_one() {
    let server = TestAs::start(None, false, "DPoP");
    let p = server.provider();
    let a = p
        .exchange_code(&CodeExchange::new("c1", "http://127.0.0.1/cb"))
        .unwrap();
    let b = p
        .exchange_code(&CodeExchange::new("c2", "http://127.0.0.1/cb"))
        .unwrap();
    let (ka, kb) = (a.dpop_key.unwrap(), b.dpop_key.unwrap());
    assert_ne!(ka.thumbprint(), kb.thumbprint());
}

/// A provider without DPoP refuses to use a DPoP-bound set rather than
/// sending the token as a bearer token.
#[test]
fn a_provider_without_dpop_refuses_bound_sets() {
    let server = TestAs::start(None, false, "DPoP");
    let mut cfg = OAuth2Config::new(
        "plain",
        "client",
        format!("{}/authorize", server.base),
        format!("{}/token", server.base),
    );
    cfg.userinfo_url = Some(format!("{}/userinfo", server.base));
    let p = OAuthProvider::oauth2(cfg).unwrap();
    let t = bound_set();
    assert!(p.refresh_tokens(&TokenRefresh::of(&t).unwrap()).is_err());
    assert!(p.get_userinfo(&UserinfoRequest::of(&t)).is_err());
    assert!(server.state.lock().unwrap().proofs.is_empty());
}

/// Every poll of one device code signs with the same key, and the tokens
/// carry it.
#[test]
fn device_grant_polls_sign_with_one_key() {
    use oauthkit::provider::GrantRequest;
    use oauthkit::unversioned::provider::DevicePoll;
    let server = TestAs::start(None, false, "DPoP");
    let p = server.provider();
    let auth = p
        .request_device_authorization(&GrantRequest::device_authorization())
        .unwrap();
    assert!(matches!(
        p.poll_device_token(&auth).unwrap(),
        DevicePoll::Pending
    ));
    let DevicePoll::Tokens(t) = p.poll_device_token(&auth).unwrap() else {
        panic!("no tokens on the second poll");
    };
    let proofs = server.proofs_to("/token");
    assert_eq!(proofs.len(), 2);
    let jkts: HashSet<String> = proofs.iter().map(|pr| jkt_of(pr)).collect();
    assert_eq!(
        jkts,
        HashSet::from([t.dpop_key.as_ref().unwrap().thumbprint().to_owned()])
    );
    assert!(t.token_type.eq_ignore_ascii_case("DPoP"));
}
