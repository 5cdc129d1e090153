//! ID-token validation with a fixed key set.
//!
//! Random bytes almost never carry a valid signature, so the harness signs
//! what the fuzzer writes: the input is a JOSE header line and a claims
//! document (or `raw:` and a whole token), `NOW` in the claims stands for
//! the current Unix time, and the token is signed with the Ed25519 key
//! `ed1` of the served JWKS. The validators then see well-signed tokens
//! with arbitrary headers and claims, which is where the checks of
//! `iss`, `aud`, `azp`, times, `nonce` and `at_hash` live.

use std::sync::OnceLock;

use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use oauthkit::unversioned::provider::Algorithm;
use serde_json::{json, Value};

use super::loopback::{self, Canned};
use oauthkit::unversioned::now_unix;
use oauthkit::unversioned::provider::http::{HttpClient, HttpConfig};
use oauthkit::unversioned::provider::id_token::IdTokenSettings;
use oauthkit::unversioned::provider::id_token::{
    half_hash, Expected, ExpectedIssuer, IdTokenValidator,
};
use oauthkit::unversioned::provider::jwks::JwksCache;

const ISSUER: &str = "https://idp.example";
const TENANT_TEMPLATE: &str = "https://login.microsoftonline.com/{tenantid}/v2.0";
const CLIENT_ID: &str = "client-1";
const NONCE: &str = "n-0S6_WzA2Mj";
const ACCESS_TOKEN: &str = "at-Vb7Cx2Zs4DfG";
const DEFAULT_HEADER: &str = r#"{"alg":"EdDSA","kid":"ed1","typ":"JWT"}"#;
/// The fixed test key's seed (a throwaway key that only signs fuzz input).
const SEED: [u8; 32] = *b"oauthkit-fuzz-ed25519-test-seed!";

struct Fixture {
    key: Ed25519KeyPair,
    jwks: JwksCache,
    validators: Vec<IdTokenValidator>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let key = Ed25519KeyPair::from_seed_unchecked(&SEED).expect("a 32-byte seed");
        let x = URL_SAFE_NO_PAD.encode(key.public_key().as_ref());
        // Besides the signing key: an RSA and an EC public key (never used
        // to sign here), a symmetric key and an encryption key, which the
        // cache must ignore.
        let doc = json!({"keys": [
            {"kty": "OKP", "crv": "Ed25519", "kid": "ed1", "use": "sig", "alg": "EdDSA", "x": x},
            {"kty": "RSA", "kid": "rsa1", "use": "sig", "alg": "RS256", "e": "AQAB",
             "n": "5h19-TqNXbM7XJHqwyXx72d1jITz-LvluXxcicekz1cZJBDFcsBJAWbScACpc5nzQR5pr7A0fx2Ck4lnOEjqEOGJjnzjqID79bR6Ta4FL1wdyrsBMvpMxD_qopnwRIiTXbGVukdV4E46rt1Qgg1yAWhR1td4Cy_ZHwDvmzvGNYnT05cCc30OtVJ79NCgGYjNJxNjCAi0GUly6Tb0tfFqagjlXUJ_ODm0dq6dDsK9YSoMt5GVvYgBQp1XGDLjM9BEnFaWYpgYEw3z308MJm3YNotfUh9GseSFKb5c_i4SSt6UFIeZ7gplMPIvL2-cqawkIUaf75g8HFpoToQMj7s8EQ"},
            {"kty": "EC", "crv": "P-256", "kid": "ec1",
             "x": "HwOWB-ya5-dHVM7_AlEYP0c7MM9_EDDAxq9jvWjLzGs",
             "y": "3Ltt8W4oXgzKZD94zDnNQibDirUS-UqZcWgM0sYBU4E"},
            {"kty": "oct", "kid": "hmac1", "k": "c2VjcmV0LXN5bW1ldHJpYy1rZXk"},
            {"kty": "OKP", "crv": "Ed25519", "kid": "enc1", "use": "enc", "x": x}
        ]});
        let server = loopback::server();
        server.set("/id-token/jwks", Canned::json(doc.to_string()));
        let jwks = JwksCache::new(
            HttpClient::new(HttpConfig::default()),
            format!("{}/id-token/jwks", server.base()),
        );
        let algorithms = vec![
            Algorithm::EdDSA,
            Algorithm::RS256,
            Algorithm::ES256,
            Algorithm::PS256,
        ];
        let settings = IdTokenSettings {
            trusted_audiences: vec!["trusted-aud".into()],
            additional_issuers: vec!["idp.example".into()],
            ..IdTokenSettings::default()
        };
        let validators = vec![
            IdTokenValidator::new(
                ExpectedIssuer::Exact(ISSUER.into()),
                CLIENT_ID,
                algorithms.clone(),
                settings.clone(),
            )
            .expect("a valid validator"),
            IdTokenValidator::new(
                ExpectedIssuer::TenantTemplate {
                    template: TENANT_TEMPLATE.into(),
                    tenant: None,
                },
                CLIENT_ID,
                algorithms,
                IdTokenSettings {
                    max_age: None,
                    ..settings
                },
            )
            .expect("a valid validator"),
        ];
        Fixture {
            key,
            jwks,
            validators,
        }
    })
}

/// The token the input describes.
fn token(f: &Fixture, data: &[u8]) -> String {
    if let Some(raw) = data.strip_prefix(b"raw:") {
        return String::from_utf8_lossy(raw).into_owned();
    }
    let (header, claims) = match data.iter().position(|b| *b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (DEFAULT_HEADER.as_bytes(), data),
    };
    let claims = String::from_utf8_lossy(claims).replace("NOW", &now_unix().to_string());
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims)
    );
    let signature = f.key.sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref()))
}

/// Validates the token with an exact issuer and with Microsoft's
/// multi-tenant template; whatever is accepted must meet OIDC Core
/// 3.1.3.7 as checked here independently.
pub fn id_token(data: &[u8]) {
    let f = fixture();
    let token = token(f, data);
    let expected = Expected {
        nonce: Some(NONCE),
        access_token: Some(ACCESS_TOKEN),
    };
    let header: Value = token
        .split('.')
        .next()
        .and_then(|h| URL_SAFE_NO_PAD.decode(h.trim_end_matches('=')).ok())
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    for (i, validator) in f.validators.iter().enumerate() {
        let Ok(claims) = validator.validate(&token, &f.jwks, &expected) else {
            continue;
        };
        let c = claims.claims();
        let now = now_unix() as f64;
        let alg = header["alg"].as_str().unwrap_or_default();
        assert!(
            ["EdDSA", "RS256", "ES256", "PS256"].contains(&alg),
            "accepted alg {alg:?}"
        );
        let iss = c["iss"].as_str().expect("iss accepted as a string");
        if i == 0 {
            assert!(
                iss == ISSUER || iss == "idp.example",
                "accepted iss {iss:?}"
            );
        } else {
            let tid = c["tid"].as_str().unwrap_or_default();
            assert!(
                iss == TENANT_TEMPLATE.replace("{tenantid}", tid) || iss == "idp.example",
                "accepted iss {iss:?} for tid {tid:?}"
            );
        }
        let auds: Vec<&str> = match &c["aud"] {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            other => panic!("accepted aud {other}"),
        };
        assert!(auds.contains(&CLIENT_ID), "accepted aud {auds:?}");
        assert!(
            auds.iter().all(|a| *a == CLIENT_ID || *a == "trusted-aud"),
            "accepted untrusted aud {auds:?}"
        );
        if let Some(azp) = c.get("azp") {
            assert_eq!(azp.as_str(), Some(CLIENT_ID), "accepted azp");
        }
        let exp = c["exp"].as_f64().expect("exp accepted as a number");
        assert!(
            exp + 60.0 >= now - 2.0,
            "accepted an expired token: exp {exp}"
        );
        if let Some(nbf) = c.get("nbf").and_then(Value::as_f64) {
            assert!(nbf - 60.0 <= now + 2.0, "accepted a token before nbf {nbf}");
        }
        let iat = c["iat"].as_f64().expect("iat accepted as a number");
        assert!(iat - 60.0 <= now + 2.0, "accepted iat {iat} in the future");
        if i == 0 {
            assert!(now - iat <= 86_400.0 + 62.0, "accepted iat {iat}, too old");
        }
        assert_eq!(c["nonce"].as_str(), Some(NONCE), "accepted nonce");
        if let Some(h) = c.get("at_hash").and_then(Value::as_str) {
            assert_eq!(
                h,
                half_hash(Algorithm::EdDSA, ACCESS_TOKEN),
                "accepted at_hash"
            );
        }
        assert!(!claims.sub.is_empty(), "accepted an empty sub");
        assert_eq!(c["sub"].as_str(), Some(claims.sub.as_str()));
    }
}
