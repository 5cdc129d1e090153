//! [`SigningKey`]: the one private key type that signs the JWTs the client
//! sends: `private_key_jwt` client assertions (RFC 7523 §2.2), JWT bearer
//! grant assertions (RFC 7523 §2.1) and DPoP proofs (RFC 9449, through
//! [`DpopKey`](super::DpopKey)).
//!
//! A key is read from a PEM file (PKCS#8 `PRIVATE KEY`, PKCS#1 `RSA
//! PRIVATE KEY`, SEC 1 `EC PRIVATE KEY`), a private JWK (RFC 7517) or a
//! PKCS#8 document, or generated. It signs with aws-lc-rs, the crate's one
//! crypto library. The private key is never shown: `Debug` prints the
//! algorithm and `kid` only, and no error quotes the PEM or JWK it was read
//! from.

use std::fmt;
use std::sync::Arc;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, RsaKeyPair};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Map, Value};
use zeroize::Zeroizing;

use super::{jwk, pem, SigningAlgorithm};
use crate::error::{Error, Result};

/// The key pair of one of the supported key types.
pub(super) enum KeyPair {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
}

impl KeyPair {
    fn key_type(&self) -> &'static str {
        match self {
            KeyPair::Rsa(_) => "RSA",
            KeyPair::Ec(_) => "EC",
            KeyPair::Ed(_) => "OKP",
        }
    }
}

struct Inner {
    pair: KeyPair,
    /// The public key's required JWK members, RFC 7638 order.
    members: Vec<(&'static str, String)>,
    /// `members` as compact JSON: the thumbprint input.
    canonical: String,
    thumbprint: String,
}

/// A private key that signs JWTs, with its algorithm and optional `kid`:
/// one type for client assertions, JWT bearer assertions and (wrapped in a
/// [`DpopKey`](super::DpopKey)) DPoP proofs. Cheap to clone (the key is
/// shared).
///
/// ```
/// use oauthkit::provider::{SigningAlgorithm, SigningKey};
/// let key = SigningKey::generate(SigningAlgorithm::ES256)?.with_kid("k1");
/// let jwt = key.sign_jwt(&serde_json::json!({"iss": "me"}))?;
/// assert_eq!(jwt.split('.').count(), 3);
/// let public = key.public_jwk();
/// assert_eq!(public["kty"], "EC");
/// assert_eq!(public["kid"], "k1");
/// assert!(public.get("d").is_none()); // public part only
/// assert_eq!(key.thumbprint().len(), 43); // base64url SHA-256
/// assert!(!format!("{key:?}").contains(public["x"].as_str().unwrap()));
/// # Ok::<(), oauthkit::Error>(())
/// ```
#[derive(Clone)]
pub struct SigningKey {
    alg: SigningAlgorithm,
    kid: Option<String>,
    inner: Arc<Inner>,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .field("private_key", &"[redacted]")
            .finish()
    }
}

/// The error for a key aws-lc-rs refused. Its reasons are fixed texts
/// ("InvalidEncoding"), never key material.
pub(super) fn rejected(what: &str, e: impl fmt::Display) -> Error {
    Error::InvalidArgument(format!("the {what} is not a usable private key ({e})"))
}

impl SigningKey {
    /// The one way every constructor ends: the public members and
    /// thumbprint computed once, the algorithm checked against the key.
    fn new(pair: KeyPair, alg: SigningAlgorithm, kid: Option<String>) -> Result<Self> {
        let members = jwk::required_members(&pair)?;
        let canonical = jwk::canonical(&members);
        let key = SigningKey {
            alg,
            kid,
            inner: Arc::new(Inner {
                pair,
                thumbprint: jwk::thumbprint(&canonical),
                members,
                canonical,
            }),
        };
        key.with_algorithm(alg)
    }

    /// A fresh key for `alg` (RSA keys are 2048 bits), from the operating
    /// system's CSPRNG.
    ///
    /// # Errors
    ///
    /// [`Error::Internal`] when the cryptography library fails to generate the
    /// key (the system random number generator failed).
    pub fn generate(alg: SigningAlgorithm) -> Result<Self> {
        let fail = |_| Error::Internal("generating a key failed".into());
        let pair = match alg {
            SigningAlgorithm::RS256 | SigningAlgorithm::PS256 => {
                KeyPair::Rsa(RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).map_err(fail)?)
            }
            SigningAlgorithm::ES256 => KeyPair::Ec(
                EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING)
                    .map_err(fail)?,
            ),
            SigningAlgorithm::EdDSA => KeyPair::Ed(Ed25519KeyPair::generate().map_err(fail)?),
        };
        Self::new(pair, alg, None)
    }

    /// Reads a PEM private key (`PRIVATE KEY`, `RSA PRIVATE KEY` or `EC
    /// PRIVATE KEY`; encrypted PEM is refused) for `alg`, which must suit
    /// the key (RS256/PS256: RSA, ES256: P-256, EdDSA: Ed25519).
    ///
    /// ```
    /// use oauthkit::provider::{SigningAlgorithm, SigningKey};
    /// let err = SigningKey::from_pem("-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n",
    ///     SigningAlgorithm::ES256).unwrap_err();
    /// assert_eq!(err.kind(), oauthkit::ErrorKind::InvalidArgument);
    /// assert!(!err.to_string().contains("c2VjcmV0")); // never quotes the key
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when `pem` holds no PEM block, the block's
    /// label cannot hold a key for `alg`, the key does not parse, or an RSA key
    /// is shorter than 2048 bits; the message never quotes the key.
    pub fn from_pem(pem: &str, alg: SigningAlgorithm) -> Result<Self> {
        let (label, der) = pem::first_block(pem)?;
        let reject = |e: aws_lc_rs::error::KeyRejected| rejected("PEM key", e);
        let pair = match (alg, label.as_str()) {
            (a, "PRIVATE KEY") if a.is_rsa() => {
                KeyPair::Rsa(RsaKeyPair::from_pkcs8(&der).map_err(reject)?)
            }
            (a, "RSA PRIVATE KEY") if a.is_rsa() => {
                KeyPair::Rsa(RsaKeyPair::from_der(&der).map_err(reject)?)
            }
            (SigningAlgorithm::ES256, "PRIVATE KEY" | "EC PRIVATE KEY") => KeyPair::Ec(
                EcdsaKeyPair::from_private_key_der(
                    &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                    &der,
                )
                .map_err(reject)?,
            ),
            (SigningAlgorithm::EdDSA, "PRIVATE KEY") => {
                KeyPair::Ed(Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der).map_err(reject)?)
            }
            (a, l) => {
                return Err(Error::InvalidArgument(format!(
                    "a PEM '{l}' block cannot hold a key for {a}"
                )))
            }
        };
        Self::new(pair, alg, None)
    }

    /// Reads a private JWK (RFC 7517 JSON: `kty` RSA with `n e d p q dp dq
    /// qi`, EC P-256 with `x y d`, OKP Ed25519 with `x d`). The algorithm
    /// is the JWK's `alg` or the key type's default (RS256, ES256, EdDSA);
    /// `kid` is taken over.
    ///
    /// ```
    /// use oauthkit::provider::SigningKey;
    /// let err = SigningKey::from_jwk(r#"{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}"#).unwrap_err();
    /// assert!(err.to_string().contains("'d'"), "{err}");
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when `jwk` is not a JSON object, lacks a
    /// member its `kty` needs (`d` among them: public keys are refused), has an
    /// unsupported `kty`, curve or `alg`, or the key does not parse; the
    /// message never quotes key material.
    pub fn from_jwk(jwk: &str) -> Result<Self> {
        let read = jwk::read_private(jwk)?;
        let alg = read.alg.unwrap_or(match read.pair {
            KeyPair::Rsa(_) => SigningAlgorithm::RS256,
            KeyPair::Ec(_) => SigningAlgorithm::ES256,
            KeyPair::Ed(_) => SigningAlgorithm::EdDSA,
        });
        Self::new(read.pair, alg, read.kid)
    }

    /// Reads an unencrypted PKCS#8 private key document (DER) for `alg`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when `pkcs8` is not a PKCS#8 private key
    /// of `alg`'s key type, or an RSA key is shorter than 2048 bits; the
    /// message never quotes the key.
    pub(crate) fn from_pkcs8(pkcs8: &[u8], alg: SigningAlgorithm) -> Result<Self> {
        let reject = |e: aws_lc_rs::error::KeyRejected| rejected("PKCS#8 document", e);
        let pair = match alg {
            SigningAlgorithm::RS256 | SigningAlgorithm::PS256 => {
                KeyPair::Rsa(RsaKeyPair::from_pkcs8(pkcs8).map_err(reject)?)
            }
            SigningAlgorithm::ES256 => KeyPair::Ec(
                EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8)
                    .map_err(reject)?,
            ),
            SigningAlgorithm::EdDSA => {
                KeyPair::Ed(Ed25519KeyPair::from_pkcs8(pkcs8).map_err(reject)?)
            }
        };
        Self::new(pair, alg, None)
    }

    /// The private key as a PKCS#8 document (v2 with the public key for
    /// Ed25519, v1 otherwise), zeroed on drop.
    ///
    /// # Errors
    ///
    /// [`Error::Internal`] when the cryptography library fails to encode it.
    pub(crate) fn to_pkcs8(&self) -> Result<Zeroizing<Vec<u8>>> {
        let fail = |_| Error::Internal("encoding the private key failed".into());
        let der = match &self.inner.pair {
            KeyPair::Rsa(k) => k.as_der().map_err(fail)?.as_ref().to_vec(),
            KeyPair::Ec(k) => k.to_pkcs8v1().map_err(fail)?.as_ref().to_vec(),
            KeyPair::Ed(k) => k.to_pkcs8().map_err(fail)?.as_ref().to_vec(),
        };
        Ok(Zeroizing::new(der))
    }

    /// The same key signing with `alg` (RSA keys: RS256 or PS256); an
    /// error when `alg` does not suit the key.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when `alg` does not suit the key's type or
    /// an RSA key is shorter than 2048 bits.
    pub fn with_algorithm(mut self, alg: SigningAlgorithm) -> Result<Self> {
        let fits = match &self.inner.pair {
            KeyPair::Rsa(_) => alg.is_rsa(),
            KeyPair::Ec(_) => alg == SigningAlgorithm::ES256,
            KeyPair::Ed(_) => alg == SigningAlgorithm::EdDSA,
        };
        if !fits {
            return Err(Error::InvalidArgument(format!(
                "{alg} cannot be used with this {} key",
                self.inner.pair.key_type()
            )));
        }
        if let KeyPair::Rsa(k) = &self.inner.pair {
            if k.public_modulus_len() < 256 {
                return Err(Error::InvalidArgument(
                    "RSA keys shorter than 2048 bits are refused".into(),
                ));
            }
        }
        self.alg = alg;
        Ok(self)
    }

    /// Sets the key id sent as the JWS header's `kid`.
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// The algorithm.
    pub fn algorithm(&self) -> SigningAlgorithm {
        self.alg
    }

    /// The key id, when set.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The public key as a JWK: its required members (RFC 7638 §3.2) with
    /// `kid` (when set), `alg` and `use: sig`, to register with the
    /// provider (its `jwks`).
    pub fn public_jwk(&self) -> Value {
        let mut jwk = jwk::object(&self.inner.members);
        if let Some(kid) = &self.kid {
            jwk.insert("kid".into(), json!(kid));
        }
        jwk.insert("alg".into(), json!(self.alg.as_str()));
        jwk.insert("use".into(), json!("sig"));
        Value::Object(jwk)
    }

    /// The RFC 7638 JWK SHA-256 thumbprint of the public key, base64url:
    /// for DPoP the `jkt` of the token binding and the authorization
    /// request's `dpop_jkt`.
    pub fn thumbprint(&self) -> &str {
        &self.inner.thumbprint
    }

    /// The public key's required JWK members as compact JSON, RFC 7638
    /// order (the thumbprint input; a DPoP proof's `jwk`).
    pub(crate) fn canonical_jwk(&self) -> &str {
        &self.inner.canonical
    }

    /// Signs `claims` as a compact JWS with the header `{"alg", "typ":
    /// "JWT", "kid"}`.
    ///
    /// # Errors
    ///
    /// As [`sign`](Self::sign).
    pub fn sign_jwt(&self, claims: &Value) -> Result<String> {
        self.sign_jwt_with_header(Map::new(), claims)
    }

    /// Signs `claims` with `alg` and `kid` added to `header` (whose own
    /// `typ` wins; `JWT` otherwise).
    ///
    /// # Errors
    ///
    /// As [`sign`](Self::sign).
    pub fn sign_jwt_with_header(
        &self,
        mut header: Map<String, Value>,
        claims: &Value,
    ) -> Result<String> {
        header.insert("alg".into(), json!(self.alg.as_str()));
        header.entry("typ").or_insert_with(|| json!("JWT"));
        if let Some(kid) = &self.kid {
            header.entry("kid").or_insert_with(|| json!(kid));
        }
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(Value::Object(header).to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let sig = self.sign(input.as_bytes())?;
        Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig)))
    }

    /// The raw JWS signature of `message` (ECDSA as fixed-size `r || s`).
    ///
    /// # Errors
    ///
    /// [`Error::Internal`] when the cryptography library fails to sign (the
    /// system random number generator failed).
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        let fail = |_| Error::Internal("signing failed".into());
        let rng = SystemRandom::new();
        match &self.inner.pair {
            KeyPair::Rsa(k) => {
                let padding: &'static dyn signature::RsaEncoding = match self.alg {
                    SigningAlgorithm::PS256 => &signature::RSA_PSS_SHA256,
                    _ => &signature::RSA_PKCS1_SHA256,
                };
                let mut sig = vec![0u8; k.public_modulus_len()];
                k.sign(padding, &rng, message, &mut sig).map_err(fail)?;
                Ok(sig)
            }
            KeyPair::Ec(k) => Ok(k.sign(&rng, message).map_err(fail)?.as_ref().to_vec()),
            KeyPair::Ed(k) => Ok(k.sign(message).as_ref().to_vec()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::signature::UnparsedPublicKey;
    use base64::engine::general_purpose::STANDARD;

    fn verify(key: &SigningKey, jwt: &str) -> bool {
        let (input, sig) = jwt.rsplit_once('.').unwrap();
        let sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
        let jwk = key.public_jwk();
        let d = |m: &str| URL_SAFE_NO_PAD.decode(jwk[m].as_str().unwrap()).unwrap();
        match key.algorithm() {
            SigningAlgorithm::ES256 => {
                let mut p = vec![4];
                p.extend(d("x"));
                p.extend(d("y"));
                UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, p)
                    .verify(input.as_bytes(), &sig)
                    .is_ok()
            }
            SigningAlgorithm::EdDSA => UnparsedPublicKey::new(&signature::ED25519, d("x"))
                .verify(input.as_bytes(), &sig)
                .is_ok(),
            a => {
                let params = if a == SigningAlgorithm::PS256 {
                    &signature::RSA_PSS_2048_8192_SHA256
                } else {
                    &signature::RSA_PKCS1_2048_8192_SHA256
                };
                aws_lc_rs::signature::RsaPublicKeyComponents {
                    n: d("n"),
                    e: d("e"),
                }
                .verify(params, input.as_bytes(), &sig)
                .is_ok()
            }
        }
    }

    #[test]
    fn every_algorithm_signs_what_its_public_jwk_verifies() {
        for alg in SigningAlgorithm::ALL {
            let key = SigningKey::generate(alg).unwrap().with_kid("k");
            let jwt = key.sign_jwt(&json!({"a": 1})).unwrap();
            assert!(verify(&key, &jwt), "{alg}");
            let header: Value = serde_json::from_slice(
                &URL_SAFE_NO_PAD
                    .decode(jwt.split('.').next().unwrap())
                    .unwrap(),
            )
            .unwrap();
            assert_eq!(
                header,
                json!({"alg": alg.as_str(), "typ": "JWT", "kid": "k"})
            );
        }
    }

    #[test]
    fn the_thumbprint_is_over_the_required_members_of_the_public_jwk() {
        for alg in SigningAlgorithm::ALL {
            let key = SigningKey::generate(alg).unwrap().with_kid("k");
            let mut public = key.public_jwk();
            let obj = public.as_object_mut().unwrap();
            for extra in ["kid", "alg", "use"] {
                assert!(obj.remove(extra).is_some(), "{alg} {extra}");
            }
            // serde_json keeps members sorted: RFC 7638's order
            assert_eq!(public.to_string(), key.canonical_jwk(), "{alg}");
            assert_eq!(
                key.thumbprint(),
                URL_SAFE_NO_PAD.encode(crate::digest::sha256(public.to_string().as_bytes()))
            );
        }
    }

    #[test]
    fn every_algorithm_round_trips_through_pkcs8_and_no_other_algorithm_takes_it() {
        for alg in SigningAlgorithm::ALL {
            let key = SigningKey::generate(alg).unwrap();
            let der = key.to_pkcs8().unwrap();
            let again = SigningKey::from_pkcs8(&der, alg).unwrap();
            assert_eq!(again.thumbprint(), key.thumbprint(), "{alg}");
            for other in SigningAlgorithm::ALL {
                if other.is_rsa() != alg.is_rsa() || (!alg.is_rsa() && other != alg) {
                    let e = SigningKey::from_pkcs8(&der, other).unwrap_err();
                    assert_eq!(
                        e.kind(),
                        crate::ErrorKind::InvalidArgument,
                        "{alg} as {other}"
                    );
                }
            }
        }
        assert!(SigningKey::from_pkcs8(b"junk", SigningAlgorithm::ES256).is_err());
    }

    #[test]
    fn keys_round_trip_through_pem_and_jwk() {
        let ec = EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
        let pkcs8 = ec.to_pkcs8v1().unwrap();
        let pem = format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            STANDARD.encode(pkcs8.as_ref())
        );
        let key = SigningKey::from_pem(&pem, SigningAlgorithm::ES256).unwrap();
        assert!(verify(&key, &key.sign_jwt(&json!({})).unwrap()));
        assert!(SigningKey::from_pem(&pem, SigningAlgorithm::RS256).is_err());
        // EC key from its JWK parts
        use aws_lc_rs::encoding::AsBigEndian;
        let d: aws_lc_rs::encoding::EcPrivateKeyBin<'_> = ec.private_key().as_be_bytes().unwrap();
        let mut jwk = key.public_jwk();
        jwk["d"] = json!(URL_SAFE_NO_PAD.encode(d.as_ref()));
        let again = SigningKey::from_jwk(&jwk.to_string()).unwrap();
        assert_eq!(again.thumbprint(), key.thumbprint());
        // a JWK whose d does not belong to x/y is refused
        jwk["x"] = json!(URL_SAFE_NO_PAD.encode([7u8; 32]));
        assert!(SigningKey::from_jwk(&jwk.to_string()).is_err());
    }

    #[test]
    fn errors_and_debug_never_show_key_material() {
        let key = SigningKey::generate(SigningAlgorithm::EdDSA).unwrap();
        assert!(!format!("{key:?}").contains(key.public_jwk()["x"].as_str().unwrap()));
        let body = "TUlJRXZRSUJBREFOQmdrcWhraUc5dzBCQVFFRkFBU0NCS2N3Z2dTakFnRUFBb0lCQVFD";
        for pem in [
            format!("-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----"),
            format!("-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----"),
            format!("-----BEGIN ENCRYPTED PRIVATE KEY-----\n{body}\n-----END ENCRYPTED PRIVATE KEY-----"),
            format!("-----BEGIN PRIVATE KEY-----\n{body}!!\n-----END PRIVATE KEY-----"),
            body.to_string(),
        ] {
            for alg in [SigningAlgorithm::RS256, SigningAlgorithm::ES256] {
                let e = SigningKey::from_pem(&pem, alg).unwrap_err();
                let text = format!("{e} {e:?}");
                assert!(!text.contains(&body[..12]), "{text}");
            }
        }
        let e = SigningKey::from_jwk(&format!(
            r#"{{"kty":"RSA","n":"{body}","e":"AQAB","d":"{body}"}}"#
        ))
        .unwrap_err();
        assert!(!format!("{e} {e:?}").contains(&body[..12]));
        let e = SigningKey::from_pkcs8(body.as_bytes(), SigningAlgorithm::ES256).unwrap_err();
        assert!(!format!("{e} {e:?}").contains(&body[..12]));
    }
}
