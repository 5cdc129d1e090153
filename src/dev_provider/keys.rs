//! The dev provider's issuer key: a fresh RS256 key (the one JOSE key
//! type, [`jose::SigningKey`](crate::jose::SigningKey)) per start, its JWKS
//! and ID-token signing.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

use crate::error::Result;
use crate::jose::{SigningAlgorithm, SigningKey};

/// The key the dev provider signs ID tokens with.
pub(crate) struct IssuerKey(SigningKey);

impl IssuerKey {
    /// Generates an RSA-2048 key with a random `kid` (about 50-200 ms).
    pub(crate) fn generate() -> Result<Self> {
        let key = SigningKey::generate(SigningAlgorithm::RS256)?;
        Ok(IssuerKey(key.with_kid(crate::random::token(8))))
    }

    /// `{"keys": [...]}`.
    pub(crate) fn jwks(&self) -> Value {
        json!({ "keys": [self.0.public_jwk()] })
    }

    /// Signs `claims` as an RS256 JWT with this key's `kid`.
    pub(crate) fn sign(&self, claims: &Value) -> Result<String> {
        self.0.sign_jwt(claims)
    }
}

/// `at_hash`: the left half of SHA-256 of the access token, base64url.
pub(crate) fn at_hash(access_token: &str) -> String {
    use crate::digest::sha256;
    let d = sha256(access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(&d[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_a_verifiable_token() {
        let k = IssuerKey::generate().unwrap();
        let jwt = k
            .sign(&json!({"sub": "a", "exp": 4_000_000_000u64}))
            .unwrap();
        let jwk: jsonwebtoken::jwk::Jwk =
            serde_json::from_value(k.jwks()["keys"][0].clone()).unwrap();
        let key = jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap();
        let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        v.validate_aud = false;
        let data = jsonwebtoken::decode::<Value>(&jwt, &key, &v).unwrap();
        assert_eq!(data.claims["sub"], "a");
    }
}
