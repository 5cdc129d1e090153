//! The dev provider's signing key: a fresh RSA-2048 key per start, its JWKS
//! entry, and RS256 signing with aws-lc-rs.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

use crate::error::{Error, Result};

/// A signing key and its public JWK.
pub(crate) struct SigningKey {
    pair: KeyPair,
    kid: String,
    jwk: Value,
}

impl SigningKey {
    /// Generates a key (about 50-200 ms).
    pub(crate) fn generate() -> Result<Self> {
        let pair = KeyPair::generate(KeySize::Rsa2048)
            .map_err(|_| Error::Internal("RSA key generation failed".into()))?;
        let public = pair.public_key();
        let n = URL_SAFE_NO_PAD.encode(public.modulus().big_endian_without_leading_zero());
        let e = URL_SAFE_NO_PAD.encode(public.exponent().big_endian_without_leading_zero());
        let kid = crate::provider::random::token(8);
        let jwk = json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": n, "e": e});
        Ok(SigningKey { pair, kid, jwk })
    }

    /// `{"keys": [...]}`.
    pub(crate) fn jwks(&self) -> Value {
        json!({ "keys": [self.jwk] })
    }

    /// Signs `claims` as an RS256 JWT with this key's `kid`.
    pub(crate) fn sign(&self, claims: &Value) -> Result<String> {
        let header = json!({"typ": "JWT", "alg": "RS256", "kid": self.kid});
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut signature = vec![0; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                input.as_bytes(),
                &mut signature,
            )
            .map_err(|_| Error::Internal("signing an ID token failed".into()))?;
        Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature)))
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
        let k = SigningKey::generate().unwrap();
        let jwt = k
            .sign(&json!({"sub": "a", "exp": 4_000_000_000u64}))
            .unwrap();
        // verified with the published JWK's n and e alone
        let b64 = |v: &Value| URL_SAFE_NO_PAD.decode(v.as_str().unwrap()).unwrap();
        let public = aws_lc_rs::signature::RsaPublicKeyComponents {
            n: b64(&k.jwk["n"]),
            e: b64(&k.jwk["e"]),
        };
        let (input, sig) = jwt.rsplit_once('.').unwrap();
        public
            .verify(
                &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
                input.as_bytes(),
                &URL_SAFE_NO_PAD.decode(sig).unwrap(),
            )
            .unwrap();
        let (header, payload) = input.split_once('.').unwrap();
        let header: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
        assert_eq!(header["alg"], "RS256");
        assert_eq!(header["kid"], k.jwk["kid"]);
        let claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        assert_eq!(claims["sub"], "a");
        // a changed payload does not verify
        let forged = format!("{header}.{}", URL_SAFE_NO_PAD.encode(br#"{"sub":"b"}"#));
        assert!(public
            .verify(
                &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
                forged.as_bytes(),
                &URL_SAFE_NO_PAD.decode(sig).unwrap(),
            )
            .is_err());
    }
}
