//! RFC 6749 §7.1: a token of a type the client does not understand is
//! refused (issue 10, item 3), and `expires_in` of any size never
//! overflows (item 5), through every token-endpoint path (code exchange
//! and refresh, plain OAuth 2.0 and OpenID Connect) against a loopback
//! server.

use crate::support::mock_http;
use crate::support::test_jwt;

use oauthkit::provider::{CodeExchange, TokenRefresh};
use oauthkit::provider::{OAuth2Config, OAuthProvider, OidcConfig, Provider};
use oauthkit::ErrorKind;
use serde_json::{json, Value};

use mock_http::MockServer;
use test_jwt::discovery;

const REDIRECT: &str = "http://127.0.0.1:1/callback";

fn providers(server: &MockServer) -> Vec<Box<dyn Provider>> {
    server.json(
        "/.well-known/openid-configuration",
        200,
        &discovery(server.base()),
    );
    let oauth2 = OAuthProvider::oauth2(OAuth2Config::new(
        "custom",
        "client-1",
        server.url("/authorize"),
        server.url("/token"),
    ))
    .unwrap();
    let mut c = OidcConfig::new(server.base(), "client-1");
    c.scopes = vec!["email".into()]; // no openid: no ID token required
    let oidc = OAuthProvider::oidc(c).unwrap();
    vec![Box::new(oauth2), Box::new(oidc)]
}

fn both_grants(p: &dyn Provider) -> [oauthkit::Result<oauthkit::TokenSet>; 2] {
    [
        p.exchange_code(&CodeExchange::new("code-1234", REDIRECT).pkce_verifier("verifier-1234")),
        p.refresh_tokens(&TokenRefresh::new("refresh-1234")),
    ]
}

#[test]
fn bearer_in_any_letter_case_or_absent_is_accepted() {
    let server = MockServer::start();
    for p in providers(&server) {
        for tt in [
            json!("Bearer"),
            json!("bearer"),
            json!("BEARER"),
            json!("bEaReR"),
            Value::Null,
        ] {
            server.json(
                "/token",
                200,
                &json!({"access_token": "at-1", "token_type": tt, "expires_in": 60}),
            );
            for r in both_grants(p.as_ref()) {
                let t = r.unwrap_or_else(|e| panic!("{tt}: {e}"));
                let want = tt.as_str().unwrap_or("Bearer");
                assert_eq!(t.token_type, want);
            }
        }
        // no token_type member at all
        server.json("/token", 200, &json!({"access_token": "at-1"}));
        for r in both_grants(p.as_ref()) {
            assert_eq!(r.unwrap().token_type, "Bearer");
        }
    }
}

#[test]
fn any_other_token_type_is_a_typed_error_naming_it() {
    let server = MockServer::start();
    for p in providers(&server) {
        for tt in [
            json!("mac"),
            json!("DPoP"),
            json!("dpop"),
            json!("N_A"),
            json!("Bearer "),
            json!(" Bearer"),
            json!("Bearer\u{0}"),
            json!("Bearers"),
            json!("Basic"),
            json!(""),
            json!("urn:ietf:params:oauth:token-type:jwt"),
            json!(1),
            json!(true),
            json!(["Bearer"]),
            json!({"type": "Bearer"}),
        ] {
            server.json(
                "/token",
                200,
                &json!({"access_token": "at-1", "token_type": tt, "refresh_token": "rt-1"}),
            );
            for r in both_grants(p.as_ref()) {
                let e = r.expect_err(&format!("token_type {tt} must be refused"));
                assert_eq!(e.kind(), ErrorKind::Http, "{tt}: {e}");
                let m = e.to_string();
                assert!(m.contains("token_type"), "{m}");
                assert!(m.contains("Bearer"), "{m}");
                if let Some(s) = tt.as_str().filter(|s| s.len() > 2 && !s.contains('\0')) {
                    assert!(m.contains(s), "the error names the type: {m}");
                }
            }
        }
    }
}

#[test]
fn expires_in_of_any_size_never_overflows() {
    let server = MockServer::start();
    let max = i64::from(i32::MAX);
    for p in providers(&server) {
        for (v, want) in [
            (json!(3600), Some(3600)),
            (json!(i64::MAX), Some(max)),
            (json!(u64::MAX), Some(max)),
            (json!(i64::MIN), Some(0)),
            (json!(-1), Some(0)),
            (json!(1e300), Some(max)),
            (json!(-1e300), Some(0)),
            (json!(f64::MAX), Some(max)),
            (json!(1.5), Some(1)),
            (json!("9223372036854775807"), Some(max)),
            (json!("18446744073709551615"), Some(max)),
            (json!("-9223372036854775808"), Some(0)),
            (json!("1e999"), Some(max)),
            (json!("-1e999"), Some(0)),
            (json!("NaN"), None),
            (json!("inf"), Some(max)),
            (json!("abc"), None),
            (json!(null), None),
            (json!(true), None),
            (json!([1]), None),
        ] {
            server.json(
                "/token",
                200,
                &json!({"access_token": "at-1", "token_type": "Bearer", "expires_in": v}),
            );
            for r in both_grants(p.as_ref()) {
                let t = r.unwrap_or_else(|e| panic!("{v}: {e}"));
                assert_eq!(t.expires_at.map(|at| at - t.issued_at), want, "{v}");
                // everything computed from it stays in range
                let _ = t.is_expired(i64::MAX);
                let _ = t.is_expired(i64::MIN);
                let _ = (t.expiry(), t.expires_in(), t.issued());
                let back = oauthkit::TokenSet::from_json(&t.to_json()).unwrap();
                assert_eq!(back.expires_at, t.expires_at, "{v}");
            }
        }
    }
}
