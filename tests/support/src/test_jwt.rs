//! Signing ID tokens for tests, independently of the code under test:
//! RSA keys generated with aws-lc-rs, JWTs assembled by hand and signed
//! with aws-lc-rs (RS256) or HMAC (for the HS256 key-confusion attack).
//! Also a discovery document and JWKS for a [`MockServer`] issuer.

#![allow(dead_code)]

use std::sync::OnceLock;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// base64url without padding.
pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Seconds since the epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// An RSA-2048 signing key with a `kid`.
pub struct TestKey {
    pair: KeyPair,
    pub kid: String,
}

impl TestKey {
    /// A fresh key (100-300 ms).
    pub fn generate(kid: &str) -> TestKey {
        TestKey {
            pair: KeyPair::generate(KeySize::Rsa2048).expect("RSA key generation"),
            kid: kid.to_owned(),
        }
    }

    /// The modulus, big-endian, no leading zero (the JWK `n` bytes).
    pub fn n(&self) -> Vec<u8> {
        self.pair
            .public_key()
            .modulus()
            .big_endian_without_leading_zero()
            .to_vec()
    }

    /// The public key as DER `RSAPublicKey` (PKCS#1).
    pub fn public_der(&self) -> Vec<u8> {
        self.pair.public_key().as_ref().to_vec()
    }

    /// The public JWK.
    pub fn jwk(&self) -> Value {
        let e = self
            .pair
            .public_key()
            .exponent()
            .big_endian_without_leading_zero()
            .to_vec();
        json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid, "n": b64(&self.n()), "e": b64(&e)})
    }

    /// The public key as a PEM SubjectPublicKeyInfo.
    pub fn public_pem(&self) -> String {
        let der = self.pair.public_key().as_der().expect("public key DER");
        let b = STANDARD.encode(der.as_ref());
        let lines: Vec<&str> = b
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            lines.join("\n")
        )
    }

    /// An RS256 JWT with header `{"alg":"RS256","typ":"JWT","kid":<kid>}`.
    pub fn sign(&self, claims: &Value) -> String {
        self.sign_with_header(
            &json!({"alg": "RS256", "typ": "JWT", "kid": self.kid}),
            claims,
        )
    }

    /// An RS256 signature over the given header and claims.
    pub fn sign_with_header(&self, header: &Value, claims: &Value) -> String {
        let input = signing_input(header, claims);
        let mut sig = vec![0u8; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                input.as_bytes(),
                &mut sig,
            )
            .expect("RSA signing");
        format!("{input}.{}", b64(&sig))
    }
}

impl TestKey {
    /// An RS256 signature over a header and payload given as raw bytes
    /// (which need not be JSON, or even UTF-8).
    pub fn sign_raw(&self, header: &[u8], payload: &[u8]) -> String {
        let input = format!("{}.{}", b64(header), b64(payload));
        let mut sig = vec![0u8; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                input.as_bytes(),
                &mut sig,
            )
            .expect("RSA signing");
        format!("{input}.{}", b64(&sig))
    }
}

/// `b64(header).b64(claims)`.
pub fn signing_input(header: &Value, claims: &Value) -> String {
    format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    )
}

/// An HS256 JWT signed with `secret`.
pub fn sign_hs256(secret: &[u8], header: &Value, claims: &Value) -> String {
    let input = signing_input(header, claims);
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret);
    let tag = aws_lc_rs::hmac::sign(&key, input.as_bytes());
    format!("{input}.{}", b64(tag.as_ref()))
}

/// An unsigned JWT (`alg: none`, empty signature).
pub fn unsigned(claims: &Value) -> String {
    format!(
        "{}.",
        signing_input(&json!({"alg": "none", "typ": "JWT"}), claims)
    )
}

/// `at_hash` for RS256: left half of SHA-256, base64url.
pub fn at_hash(access_token: &str) -> String {
    b64(&Sha256::digest(access_token.as_bytes())[..16])
}

/// Three keys generated once per test binary (generation is slow).
pub fn keys() -> &'static [TestKey; 3] {
    static KEYS: OnceLock<[TestKey; 3]> = OnceLock::new();
    KEYS.get_or_init(|| {
        [
            TestKey::generate("key-1"),
            TestKey::generate("key-2"),
            TestKey::generate("key-3"),
        ]
    })
}

/// `{"keys": [...]}` of the given keys.
pub fn jwks(keys: &[&TestKey]) -> Value {
    json!({ "keys": keys.iter().map(|k| k.jwk()).collect::<Vec<_>>() })
}

/// A discovery document for issuer `base` with endpoints under it.
pub fn discovery(base: &str) -> Value {
    json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/token"),
        "userinfo_endpoint": format!("{base}/userinfo"),
        "jwks_uri": format!("{base}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
    })
}

/// Claims of a valid token from `iss` to `aud`, issued now, valid for an
/// hour.
pub fn claims(iss: &str, aud: &str) -> Value {
    let t = now();
    json!({"iss": iss, "sub": "user-1", "aud": aud, "iat": t, "exp": t + 3600})
}
