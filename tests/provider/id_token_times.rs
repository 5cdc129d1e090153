//! Time claims of ID tokens never overflow (issue 10, item 5): validly
//! signed tokens whose `iat`, `exp`, `nbf` or `auth_time` is an extreme
//! integer, a huge or fractional float, or not a number at all get a typed
//! `IdToken` error naming the claim, never a panic (these tests run in the
//! debug profile, where overflow panics) and never a skipped check (what a
//! release build did). Extreme leeway and maximum-age settings are
//! covered too.

use crate::support::mock_http;
use crate::support::test_jwt;

use std::time::Duration;

use oauthkit::provider::{OAuthProvider, OidcConfig};
use oauthkit::ErrorKind;
use serde_json::{json, Value};

use mock_http::MockServer;
use test_jwt::{claims, discovery, jwks, keys, now};

const CLIENT: &str = "client-1";

fn provider(server: &MockServer, tweak: impl FnOnce(&mut OidcConfig)) -> OAuthProvider {
    server.json(
        "/.well-known/openid-configuration",
        200,
        &discovery(server.base()),
    );
    server.json("/jwks", 200, &jwks(&[&keys()[0]]));
    let mut c = OidcConfig::new(server.base(), CLIENT);
    tweak(&mut c);
    OAuthProvider::oidc(c).unwrap()
}

/// Values no time claim may have. Each is signed into a token, so the
/// signature is valid and only the claim is wrong.
fn malformed() -> Vec<Value> {
    vec![
        json!(i64::MAX),
        json!(i64::MIN),
        json!(u64::MAX),
        json!(i64::MIN + 1),
        json!(-1),
        json!(-86400),
        json!(253_402_300_800i64), // one second past 9999-12-31
        json!(1e300),
        json!(-1e300),
        json!(f64::MAX),
        json!(f64::MIN),
        json!(1e19),
        json!(9.3e18),
        json!(-9.3e18),
        json!(1.5),
        json!(now() as f64 + 0.5),
        json!(-0.5),
        json!(f64::EPSILON),
        json!(now().to_string()),
        json!(""),
        json!("1e300"),
        json!(true),
        json!(null),
        json!([now()]),
        json!({"t": now()}),
    ]
}

#[test]
fn every_time_claim_refuses_every_malformed_value_with_a_typed_error() {
    let server = MockServer::start();
    let p = provider(&server, |_| {});
    let base = claims(server.base(), CLIENT);
    p.validate_id_token(&keys()[0].sign(&base), None, None)
        .expect("the base token is valid");
    let mut checked = 0;
    for claim in ["iat", "exp", "nbf", "auth_time"] {
        for v in malformed() {
            let mut c = base.clone();
            c[claim] = v.clone();
            let token = keys()[0].sign(&c);
            let e = p
                .validate_id_token(&token, None, None)
                .expect_err(&format!("{claim} = {v} must be refused"));
            assert_eq!(e.kind(), ErrorKind::IdToken, "{claim} = {v}: {e}");
            assert!(e.to_string().contains(claim), "{claim} = {v}: {e}");
            checked += 1;
        }
    }
    assert_eq!(checked, 4 * malformed().len());
}

#[test]
fn whole_numbers_in_range_are_accepted_also_as_integral_floats() {
    let server = MockServer::start();
    let p = provider(&server, |_| {});
    let n = now();
    for (claim, v) in [
        ("iat", json!(n as f64)),
        ("exp", json!((n + 3600) as f64)),
        ("nbf", json!(n - 10)),
        ("nbf", json!(0)),
        ("auth_time", json!(n - 3600)),
        ("auth_time", json!(0)),
        ("exp", json!(253_402_300_799i64)), // 9999-12-31T23:59:59Z
    ] {
        let mut c = claims(server.base(), CLIENT);
        c[claim] = v.clone();
        p.validate_id_token(&keys()[0].sign(&c), None, None)
            .unwrap_or_else(|e| panic!("{claim} = {v}: {e}"));
    }
}

#[test]
fn the_checks_still_apply_at_the_edges_of_the_range() {
    let server = MockServer::start();
    let p = provider(&server, |_| {});
    let n = now();
    for (changes, reason) in [
        (json!({"iat": 0}), "old"),
        (json!({"exp": 0}), "expired"),
        (json!({"iat": 253_402_300_799i64}), "future"),
        (json!({"nbf": 253_402_300_799i64}), "not valid yet"),
        (json!({"iat": n, "exp": n - 3600}), "expired"),
    ] {
        let mut c = claims(server.base(), CLIENT);
        for (k, v) in changes.as_object().unwrap() {
            c[k] = v.clone();
        }
        let e = p
            .validate_id_token(&keys()[0].sign(&c), None, None)
            .expect_err(&changes.to_string());
        assert_eq!(e.kind(), ErrorKind::IdToken);
        assert!(e.to_string().contains(reason), "{changes}: {e}");
    }
}

#[test]
fn extreme_leeway_and_max_age_settings_do_not_overflow() {
    let n = now();
    for (leeway, max_age) in [
        (Duration::MAX, Some(Duration::MAX)),
        (Duration::from_secs(u64::MAX), None),
        (
            Duration::from_secs(i64::MAX as u64),
            Some(Duration::from_secs(i64::MAX as u64)),
        ),
        (Duration::ZERO, Some(Duration::MAX)),
        (Duration::MAX, Some(Duration::ZERO)),
    ] {
        let server = MockServer::start();
        let p = provider(&server, |c| {
            c.id_token.leeway = leeway;
            c.id_token.max_age = max_age;
        });
        for changes in [
            json!({}),
            json!({"iat": 0, "exp": 0, "nbf": 253_402_300_799i64}),
            json!({"iat": 253_402_300_799i64, "exp": 253_402_300_799i64}),
            json!({"iat": n - 10, "exp": n - 10, "nbf": n + 10}),
        ] {
            let mut c = claims(server.base(), CLIENT);
            for (k, v) in changes.as_object().unwrap() {
                c[k] = v.clone();
            }
            // accepted or refused with a typed error: never a panic
            if let Err(e) = p.validate_id_token(&keys()[0].sign(&c), None, None) {
                assert_eq!(e.kind(), ErrorKind::IdToken, "{leeway:?} {max_age:?}: {e}");
            }
        }
        // a huge leeway accepts an expired token; zero does not
        let mut c = claims(server.base(), CLIENT);
        c["exp"] = json!(n - 7200);
        c["iat"] = json!(n - 7300);
        let r = p.validate_id_token(&keys()[0].sign(&c), None, None);
        assert_eq!(
            r.is_ok(),
            leeway > Duration::from_secs(7200),
            "{leeway:?}: {r:?}"
        );
    }
}
