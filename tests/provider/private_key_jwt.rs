//! `private_key_jwt` client authentication (RFC 7523) and pushed
//! authorization requests (RFC 9126) on the wire, against a scripted
//! loopback server: every request that authenticates the client carries a
//! fresh, correctly signed assertion and no secret; a hostile server that
//! echoes the assertion it received (in every encoding) never gets it into
//! an error; the private key never shows in `Debug`.

use crate::support::log_capture;
use crate::support::mock_http;
use crate::support::test_jwt;

use aws_lc_rs::signature::{self, UnparsedPublicKey};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use oauthkit::provider::ParPolicy;
use oauthkit::provider::{
    AuthorizeRequest, GrantRequest, OAuthProvider, OidcConfig, Provider, TokenTypeHint,
};
use oauthkit::provider::{CodeExchange, TokenRefresh, TokenRevocation};
use oauthkit::provider::{SigningAlgorithm, SigningKey};
use oauthkit::unversioned::provider::client_assertion::CLIENT_ASSERTION_TYPE;
use oauthkit::unversioned::provider::Pkce;
use oauthkit::{Error, ErrorKind};
use serde_json::{json, Value};

use mock_http::{MockServer, Recorded, Reply};

const CLIENT: &str = "svc-1";
const REDIRECT: &str = "http://127.0.0.1:1/callback";

fn doc(server: &MockServer) -> Value {
    let mut d = test_jwt::discovery(server.base());
    d["revocation_endpoint"] = json!(server.url("/revoke"));
    d["device_authorization_endpoint"] = json!(server.url("/device"));
    d["pushed_authorization_request_endpoint"] = json!(server.url("/par"));
    d["token_endpoint_auth_methods_supported"] = json!(["private_key_jwt"]);
    d
}

fn provider(server: &MockServer, key: &SigningKey, par: ParPolicy) -> OAuthProvider {
    server.json("/.well-known/openid-configuration", 200, &doc(server));
    let mut cfg = OidcConfig::new(server.base(), CLIENT)
        .private_key_jwt(key.clone())
        .par(par);
    cfg.require_id_token_validation = false;
    OAuthProvider::oidc(cfg).unwrap()
}

type Op = fn(&OAuthProvider) -> oauthkit::Result<()>;

/// Every client-authenticating request, with the path it goes to.
fn ops() -> Vec<(&'static str, &'static str, Op)> {
    vec![
        ("code exchange", "/token", |p| {
            p.exchange_code(
                &CodeExchange::new("code-1234567", REDIRECT).pkce_verifier("verifier-1234567890"),
            )
            .map(drop)
        }),
        ("refresh", "/token", |p| {
            p.refresh_tokens(&TokenRefresh::new("rt-1234567890"))
                .map(drop)
        }),
        ("revocation", "/revoke", |p| {
            p.revoke_token(&TokenRevocation::new("at-1234567890").hint(TokenTypeHint::AccessToken))
                .map(drop)
        }),
        ("device authorization", "/device", |p| {
            p.request_device_authorization(&GrantRequest::device_authorization())
                .map(drop)
        }),
        ("client credentials", "/token", |p| {
            p.request_client_credentials(&GrantRequest::client_credentials())
                .map(drop)
        }),
        ("JWT bearer grant", "/token", |p| {
            let key = SigningKey::generate(SigningAlgorithm::ES256).unwrap();
            let a = GrantRequest::jwt_bearer_signed(key, "https://trusted.example", "user-9");
            p.request_jwt_bearer(&a).map(drop)
        }),
        ("pushed authorization request", "/par", |p| {
            let pkce = Pkce::generate();
            p.build_authorize_url(&AuthorizeRequest {
                redirect_uri: REDIRECT,
                state: "state-1234567890",
                pkce: Some(&pkce),
                nonce: Some("nonce-1234567890"),
                extra_params: &[("dpop_jkt", "jkt-value")],
            })
            .map(drop)
        }),
    ]
}

fn part(jwt: &str, i: usize) -> Value {
    serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(jwt.split('.').nth(i).unwrap())
            .unwrap(),
    )
    .unwrap()
}

fn verifies(key: &SigningKey, jwt: &str) -> bool {
    let jwk = key.public_jwk();
    let d = |m: &str| URL_SAFE_NO_PAD.decode(jwk[m].as_str().unwrap()).unwrap();
    let mut point = vec![4u8];
    point.extend(d("x"));
    point.extend(d("y"));
    let (input, sig) = jwt.rsplit_once('.').unwrap();
    UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
        .verify(input.as_bytes(), &URL_SAFE_NO_PAD.decode(sig).unwrap())
        .is_ok()
}

#[test]
fn every_client_authenticating_request_carries_a_fresh_signed_assertion() {
    let server = MockServer::start();
    let key = SigningKey::generate(SigningAlgorithm::ES256)
        .unwrap()
        .with_kid("key-1");
    let p = provider(&server, &key, ParPolicy::Always);
    server.json(
        "/token",
        200,
        &json!({"access_token": "at", "token_type": "Bearer", "expires_in": 60}),
    );
    server.json("/revoke", 200, &json!({}));
    server.json(
        "/device",
        200,
        &json!({"device_code": "dc", "user_code": "UC", "verification_uri": server.url("/v"), "expires_in": 60}),
    );
    server.json(
        "/par",
        201,
        &json!({"request_uri": "urn:ietf:params:oauth:request_uri:abc", "expires_in": 60}),
    );
    let mut jtis = std::collections::HashSet::new();
    for (what, path, op) in ops() {
        op(&p).unwrap_or_else(|e| panic!("{what}: {e}"));
        let r = server.last(path);
        assert_eq!(r.header("authorization"), None, "{what}: no Basic header");
        assert_eq!(r.form_value("client_secret"), None, "{what}");
        assert_eq!(r.form_value("client_id").as_deref(), Some(CLIENT), "{what}");
        assert_eq!(
            r.form_value("client_assertion_type").as_deref(),
            Some(CLIENT_ASSERTION_TYPE),
            "{what}"
        );
        let jwt = r.form_value("client_assertion").expect(what);
        assert!(verifies(&key, &jwt), "{what}: signature");
        assert_eq!(
            part(&jwt, 0),
            json!({"alg": "ES256", "typ": "JWT", "kid": "key-1"})
        );
        let c = part(&jwt, 1);
        assert_eq!(c["iss"], CLIENT, "{what}");
        assert_eq!(c["sub"], CLIENT, "{what}");
        assert_eq!(c["aud"], server.base(), "{what}: aud is the issuer");
        let (iat, exp) = (c["iat"].as_i64().unwrap(), c["exp"].as_i64().unwrap());
        assert!(
            (iat - test_jwt::now()).abs() <= 5 && exp - iat == 60,
            "{what}: {c}"
        );
        assert!(
            jtis.insert(c["jti"].as_str().unwrap().to_owned()),
            "{what}: jti reused"
        );
    }
    // PAR pushed the whole request, the browser URL has only the reference
    let pushed = server.last("/par");
    for name in [
        "state",
        "nonce",
        "code_challenge",
        "redirect_uri",
        "scope",
        "dpop_jkt",
    ] {
        assert!(pushed.form_value(name).is_some(), "{name} pushed");
    }
    assert_eq!(
        pushed.form_value("code_challenge_method").as_deref(),
        Some("S256")
    );
    let pkce = Pkce::generate();
    let url = p
        .build_authorize_url(&AuthorizeRequest {
            redirect_uri: REDIRECT,
            state: "state-1234567890",
            pkce: Some(&pkce),
            nonce: None,
            extra_params: &[],
        })
        .unwrap();
    let query: Vec<(String, String)> = url::Url::parse(&url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    assert_eq!(
        query,
        [
            ("client_id".to_string(), CLIENT.to_string()),
            (
                "request_uri".to_string(),
                "urn:ietf:params:oauth:request_uri:abc".to_string()
            )
        ]
    );
    assert!(url.starts_with(&server.url("/authorize?")));
}

/// Every way the server echoes the assertion it got.
fn echo(rec: &Recorded, form: usize) -> Reply {
    // the grant's own assertion when there is one, else the client's
    let a = rec
        .form_value("assertion")
        .or_else(|| rec.form_value("client_assertion"))
        .unwrap_or_default();
    let payload = a.split('.').nth(1).unwrap_or_default().to_owned();
    let sig = a.rsplit('.').next().unwrap_or_default().to_owned();
    let zw: String = a.chars().flat_map(|c| [c, '\u{200B}']).collect();
    let forms = [
        a.clone(),
        a.to_uppercase(),
        a.to_lowercase(),
        url::form_urlencoded::byte_serialize(a.as_bytes()).collect(),
        URL_SAFE_NO_PAD.encode(&a),
        STANDARD.encode(&a),
        a.bytes().map(|b| format!("{b:02x}")).collect(),
        zw,
        payload.clone(),
        sig.clone(),
        format!("{sig} {payload}"),
    ];
    match form {
        f if f < forms.len() => Reply::json(
            400,
            &json!({"error": forms[f], "error_description": forms[f], "error_uri": forms[f]}),
        ),
        f if f == forms.len() => {
            let (x, y) = a.split_at(a.len() / 2);
            Reply::json(400, &json!({"error": x, "error_description": y}))
        }
        f if f == forms.len() + 1 => Reply::text(500, "text/plain", &forms.join(" | ")),
        f if f == forms.len() + 2 => {
            Reply::redirect(302, &format!("https://evil.example/{a}?{sig}"))
        }
        _ => Reply::json(
            400,
            &json!({"error": "invalid_client", "error_description": format!("bad assertion {a}")}),
        ),
    }
}
const ECHO_FORMS: usize = 15;

fn full_text(e: &Error) -> String {
    let mut s = format!("{e}\n{e:?}\n{e:#?}");
    let mut src = std::error::Error::source(e);
    while let Some(inner) = src {
        s.push_str(&format!("\n{inner}\n{inner:?}"));
        src = inner.source();
    }
    s
}

#[test]
fn a_hostile_server_echoing_the_assertion_never_gets_it_into_an_error() {
    let server = MockServer::start();
    let key = SigningKey::generate(SigningAlgorithm::ES256).unwrap();
    let p = provider(&server, &key, ParPolicy::Always);
    for (what, path, op) in ops() {
        for form in 0..ECHO_FORMS {
            server.route(path, Reply::Computed(echo, form));
            let e = op(&p).expect_err(what);
            let r = server.last(path);
            let sent = r
                .form_value("assertion")
                .or_else(|| r.form_value("client_assertion"))
                .expect("an assertion was sent");
            let text = full_text(&e).to_lowercase();
            // the header part is the same for every ES256 JWT of this key,
            // not a secret; the claims and the signature are
            let secret_parts: Vec<&str> = sent.split('.').skip(1).collect();
            for part in secret_parts {
                let chars: Vec<char> = part.to_lowercase().chars().collect();
                for w in chars.windows(10) {
                    let w: String = w.iter().collect();
                    assert!(
                        !text.contains(&w),
                        "{what}, echo form {form}: the error shows '{w}' of the assertion: {text}"
                    );
                }
            }
            assert!(!text.contains('\u{200B}'), "{what}, form {form}");
        }
    }
}

#[test]
fn the_private_key_never_shows_in_debug_output() {
    let server = MockServer::start();
    // a PEM key: its body must not show anywhere
    let pem = {
        let pair = aws_lc_rs::signature::EcdsaKeyPair::generate(
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        )
        .unwrap();
        let der = pair.to_pkcs8v1().unwrap();
        format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            STANDARD.encode(der.as_ref())
        )
    };
    let key = SigningKey::from_pem(&pem, SigningAlgorithm::ES256).unwrap();
    let p = provider(&server, &key, ParPolicy::WhenRequired);
    let body: String = pem
        .lines()
        .nth(1)
        .unwrap()
        .chars()
        .skip(40)
        .take(20)
        .collect();
    for text in [
        format!("{p:?}"),
        format!("{:?}", p.oidc_config()),
        format!("{key:?}"),
    ] {
        assert!(!text.contains(&body), "{text}");
    }
}

#[test]
fn par_required_without_an_endpoint_is_a_typed_error_before_any_request() {
    let server = MockServer::start();
    let key = SigningKey::generate(SigningAlgorithm::ES256).unwrap();
    let mut d = doc(&server);
    d.as_object_mut()
        .unwrap()
        .remove("pushed_authorization_request_endpoint");
    d["require_pushed_authorization_requests"] = json!(true);
    server.json("/.well-known/openid-configuration", 200, &d);
    let cfg = OidcConfig::new(server.base(), CLIENT).private_key_jwt(key);
    let p = OAuthProvider::oidc(cfg).unwrap();
    let pkce = Pkce::generate();
    let e = p
        .build_authorize_url(&AuthorizeRequest {
            redirect_uri: REDIRECT,
            state: "s",
            pkce: Some(&pkce),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");
    assert!(matches!(e, Error::ProviderUnsupported { .. }));
    assert!(
        e.to_string()
            .contains("require_pushed_authorization_requests"),
        "{e}"
    );
    assert_eq!(server.count("/par"), 0);
    // the provider requires PAR and has the endpoint: it is used without
    // being asked for
    d["pushed_authorization_request_endpoint"] = json!(server.url("/par"));
    server.json("/.well-known/openid-configuration", 200, &d);
    server.json(
        "/par",
        201,
        &json!({"request_uri": "urn:x", "expires_in": 60}),
    );
    let p = OAuthProvider::oidc(OidcConfig::new(server.base(), "public-app")).unwrap();
    let url = p
        .build_authorize_url(&AuthorizeRequest {
            redirect_uri: REDIRECT,
            state: "s",
            pkce: Some(&pkce),
            ..Default::default()
        })
        .unwrap();
    assert!(
        url.ends_with("?client_id=public-app&request_uri=urn%3Ax"),
        "{url}"
    );
    assert_eq!(
        server.last("/par").form_value("client_id").as_deref(),
        Some("public-app")
    );
    // a PAR answer without request_uri is an error, not a URL
    server.json("/par", 201, &json!({"expires_in": 60}));
    let e = p
        .build_authorize_url(&AuthorizeRequest {
            redirect_uri: REDIRECT,
            state: "s",
            pkce: Some(&pkce),
            ..Default::default()
        })
        .unwrap_err();
    assert!(e.to_string().contains("request_uri"), "{e}");
}

/// The profile is reported in the logs when a provider is built, and an
/// OAuth 2.1 public client's refresh that does not rotate the refresh
/// token is a warning (without the token in it).
#[test]
fn the_profile_is_logged_and_an_unrotated_public_refresh_warned() {
    log_capture::install();
    let server = MockServer::start();
    server.json("/.well-known/openid-configuration", 200, &doc(&server));
    let mut cfg = OidcConfig::new(server.base(), "public-app")
        .profile(oauthkit::provider::SecurityProfile::OAuth21);
    cfg.name = "profile-log-test".into();
    cfg.require_id_token_validation = false;
    let p = OAuthProvider::oidc(cfg).unwrap();
    assert_eq!(
        log_capture::lines_with(
            log::Level::Info,
            "profile-log-test: security profile OAuth 2.1"
        )
        .len(),
        1
    );
    server.json(
        "/token",
        200,
        &json!({"access_token": "at-unrotated-1", "token_type": "Bearer", "expires_in": 60}),
    );
    let rt = "rt-kept-0123456789";
    let t = p.refresh_tokens(&TokenRefresh::new(rt)).unwrap();
    assert_eq!(t.refresh_token.unwrap().expose(), rt);
    let warnings = log_capture::lines_with(log::Level::Warn, "profile-log-test");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("rotation"), "{warnings:?}");
    assert!(!warnings[0].contains(rt));
    // a rotating answer is not warned about
    server.json(
        "/token",
        200,
        &json!({"access_token": "at-2", "token_type": "Bearer", "refresh_token": "rt-new-0123456789"}),
    );
    p.refresh_tokens(&TokenRefresh::new(rt)).unwrap();
    assert_eq!(
        log_capture::lines_with(log::Level::Warn, "profile-log-test").len(),
        1
    );
}

/// `client_assertion_audience` and `client_assertion_lifetime` reach the
/// assertion sent on the wire (both configurations): `aud` is the set
/// audience instead of the issuer or token endpoint, `exp - iat` the set
/// lifetime; without them, the issuer and 60 s.
#[test]
fn client_assertion_audience_and_lifetime_are_what_is_sent() {
    use oauthkit::provider::OAuth2Config;
    use std::time::Duration;
    let server = MockServer::start();
    server.json("/.well-known/openid-configuration", 200, &doc(&server));
    server.json(
        "/token",
        200,
        &json!({"access_token": "at-1", "token_type": "Bearer", "expires_in": 60}),
    );
    let key = SigningKey::generate(SigningAlgorithm::ES256).unwrap();
    let aud = "https://as.example/oauth/token";
    let mut oidc = OidcConfig::new(server.base(), CLIENT)
        .private_key_jwt(key.clone())
        .client_assertion_audience(aud)
        .client_assertion_lifetime(Duration::from_secs(17));
    oidc.require_id_token_validation = false;
    let plain = OAuth2Config::new(
        "plain",
        CLIENT,
        server.url("/authorize"),
        server.url("/token"),
    )
    .private_key_jwt(key.clone())
    .client_assertion_audience(aud)
    .client_assertion_lifetime(Duration::from_secs(17));
    for p in [
        OAuthProvider::oidc(oidc).unwrap(),
        OAuthProvider::oauth2(plain).unwrap(),
    ] {
        p.request_client_credentials(&GrantRequest::client_credentials())
            .unwrap();
        let jwt = server
            .last("/token")
            .form_value("client_assertion")
            .unwrap();
        let c = part(&jwt, 1);
        assert_eq!(c["aud"], aud);
        assert_eq!(c["iss"], CLIENT);
        assert_eq!(
            c["exp"].as_u64().unwrap() - c["iat"].as_u64().unwrap(),
            17,
            "{c}"
        );
    }
    // the defaults: the issuer, 60 s
    let p = provider(&server, &key, ParPolicy::WhenRequired);
    p.request_client_credentials(&GrantRequest::client_credentials())
        .unwrap();
    let c = part(
        &server
            .last("/token")
            .form_value("client_assertion")
            .unwrap(),
        1,
    );
    assert_eq!(c["aud"], server.base());
    assert_eq!(c["exp"].as_u64().unwrap() - c["iat"].as_u64().unwrap(), 60);
}

/// A plain OAuth 2.0 provider: PAR to its configured endpoint with
/// private_key_jwt whose `aud` is the token endpoint when there is no
/// issuer (the issuer when there is one); FAPI 2.0 refuses it without a
/// PAR endpoint or an issuer.
#[test]
fn plain_oauth2_pushes_with_private_key_jwt_and_fapi2_needs_par_and_issuer() {
    use oauthkit::provider::SecurityProfile;
    use oauthkit::provider::{OAuth2Config, OAuthProvider};
    let server = MockServer::start();
    let key = SigningKey::generate(SigningAlgorithm::PS256).unwrap();
    let base = OAuth2Config::new(
        "plain",
        CLIENT,
        server.url("/authorize"),
        server.url("/token"),
    )
    .private_key_jwt(key.clone());
    server.json(
        "/par",
        201,
        &json!({"request_uri": "urn:r:1", "expires_in": 30}),
    );
    let pkce = Pkce::generate();
    let request = AuthorizeRequest {
        redirect_uri: REDIRECT,
        state: "state-1",
        pkce: Some(&pkce),
        ..Default::default()
    };
    for (issuer, aud) in [
        (None, server.url("/token")),
        (
            Some("https://as.example".to_string()),
            "https://as.example".to_string(),
        ),
    ] {
        let mut cfg = base.clone().par(server.url("/par"), ParPolicy::Always);
        cfg.issuer = issuer;
        let p = OAuthProvider::oauth2(cfg).unwrap();
        let url = p.build_authorize_url(&request).unwrap();
        assert_eq!(
            url,
            server.url("/authorize?client_id=svc-1&request_uri=urn%3Ar%3A1")
        );
        let jwt = server.last("/par").form_value("client_assertion").unwrap();
        assert_eq!(part(&jwt, 0)["alg"], "PS256");
        assert_eq!(part(&jwt, 1)["aud"], aud.as_str());
    }
    // without PAR configured the request goes to the browser as usual
    let p = OAuthProvider::oauth2(base.clone()).unwrap();
    assert!(p
        .build_authorize_url(&request)
        .unwrap()
        .contains("code_challenge="));
    // FAPI 2.0
    let fapi = |cfg: OAuth2Config| {
        let cfg = cfg
            .profile(SecurityProfile::Fapi2)
            .dpop(oauthkit::provider::DpopConfig::new());
        match OAuthProvider::oauth2(cfg) {
            Err(Error::SecurityProfile { rule, .. }) => rule,
            Err(other) => panic!("{other}"),
            Ok(_) => "accepted",
        }
    };
    let mut with_issuer = base.clone();
    with_issuer.issuer = Some("https://as.example".into());
    assert_eq!(fapi(base.clone()), "iss-response");
    assert_eq!(fapi(with_issuer.clone()), "par-required");
    assert_eq!(
        fapi(with_issuer.par(server.url("/par"), ParPolicy::WhenRequired)),
        "accepted"
    );
}

/// A PAR endpoint that echoes everything it was pushed: no pushed value
/// that is not public (state, nonce, PKCE challenge, extra parameters, the
/// client assertion) reaches the error.
#[test]
fn a_hostile_par_endpoint_echoing_the_pushed_request_shows_none_of_it() {
    fn echo_all(rec: &Recorded, form: usize) -> Reply {
        let all: Vec<String> = rec.form().into_iter().map(|(_, v)| v).collect();
        let text = all.join(" ");
        match form {
            0 => Reply::json(
                400,
                &json!({"error": "invalid_request", "error_description": text}),
            ),
            1 => Reply::json(
                400,
                &json!({"error": text, "error_description": URL_SAFE_NO_PAD.encode(&text)}),
            ),
            2 => Reply::text(500, "text/html", &text),
            _ => Reply::json(201, &json!({"request_uri": 42, "expires_in": text})),
        }
    }
    let server = MockServer::start();
    let key = SigningKey::generate(SigningAlgorithm::ES256).unwrap();
    let p = provider(&server, &key, ParPolicy::Always);
    let pkce = Pkce::generate();
    for form in 0..4 {
        server.route("/par", Reply::Computed(echo_all, form));
        let e = p
            .build_authorize_url(&AuthorizeRequest {
                redirect_uri: REDIRECT,
                state: "state-Qx7Vb2Lp9Zr4",
                pkce: Some(&pkce),
                nonce: Some("nonce-Hs3Kd8Wm1Yt6"),
                extra_params: &[("login_hint", "hint-Jc5Nf0Ug7Ea2")],
            })
            .unwrap_err();
        let text = full_text(&e);
        let pushed = server.last("/par");
        for name in [
            "state",
            "nonce",
            "code_challenge",
            "login_hint",
            "client_assertion",
        ] {
            let v = pushed.form_value(name).unwrap();
            let tail: String = v
                .chars()
                .rev()
                .take(10)
                .collect::<String>()
                .chars()
                .rev()
                .collect();
            assert!(!text.contains(&tail), "form {form}: {name} shown: {text}");
        }
    }
}
