//! Private keys that sign JWTs the client sends: `private_key_jwt` client
//! assertions (RFC 7523 §2.2), JWT bearer grant assertions (RFC 7523 §2.1)
//! and, for other modules, any compact JWS (RFC 7515) the client makes.
//!
//! A [`SigningKey`] is read from a PEM file (PKCS#8 `PRIVATE KEY`, PKCS#1
//! `RSA PRIVATE KEY`, SEC 1 `EC PRIVATE KEY`) or a private JWK (RFC 7517),
//! or generated. It signs with aws-lc-rs, the crate's one crypto library:
//! RS256, PS256 (RSA, 2048 bits or more), ES256 (P-256) and EdDSA
//! (Ed25519). The private key is never shown: `Debug` prints the algorithm
//! and `kid` only, and no error quotes the PEM or JWK it was read from.

use std::fmt;
use std::sync::Arc;

use crate::digest::sha256;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPairComponents, PublicKeyComponents};
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde_json::{json, Map, Value};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// The JWS algorithms a [`SigningKey`] signs with.
///
/// ```
/// use oauthkit::provider::signing_key::SigningAlgorithm;
/// assert_eq!(SigningAlgorithm::PS256.as_str(), "PS256");
/// assert_eq!("ES256".parse::<SigningAlgorithm>().unwrap(), SigningAlgorithm::ES256);
/// assert!("HS256".parse::<SigningAlgorithm>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SigningAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PSS with SHA-256 (FAPI 2.0 allows it).
    PS256,
    /// ECDSA P-256 with SHA-256 (FAPI 2.0 allows it).
    ES256,
    /// Ed25519 (FAPI 2.0 allows it).
    EdDSA,
}

impl SigningAlgorithm {
    /// The JWS `alg` value.
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlgorithm::RS256 => "RS256",
            SigningAlgorithm::PS256 => "PS256",
            SigningAlgorithm::ES256 => "ES256",
            SigningAlgorithm::EdDSA => "EdDSA",
        }
    }

    fn is_rsa(self) -> bool {
        matches!(self, SigningAlgorithm::RS256 | SigningAlgorithm::PS256)
    }
}

impl std::str::FromStr for SigningAlgorithm {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "RS256" => SigningAlgorithm::RS256,
            "PS256" => SigningAlgorithm::PS256,
            "ES256" => SigningAlgorithm::ES256,
            "EdDSA" | "Ed25519" => SigningAlgorithm::EdDSA,
            other => {
                return Err(Error::InvalidArgument(format!(
                    "signing algorithm '{}' is not supported (RS256, PS256, ES256, EdDSA)",
                    other.chars().take(20).collect::<String>()
                )))
            }
        })
    }
}

impl fmt::Display for SigningAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

enum Inner {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
}

/// A private key that signs JWTs, with its algorithm and optional `kid`.
/// Cheap to clone (the key is shared).
///
/// ```
/// use oauthkit::provider::signing_key::{SigningAlgorithm, SigningKey};
/// let key = SigningKey::generate(SigningAlgorithm::ES256)?.with_kid("k1");
/// let jwt = key.sign_jwt(&serde_json::json!({"iss": "me"}))?;
/// assert_eq!(jwt.split('.').count(), 3);
/// let public = key.public_jwk();
/// assert_eq!(public["kty"], "EC");
/// assert_eq!(public["kid"], "k1");
/// assert!(public.get("d").is_none()); // public part only
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

fn rejected(what: &str, e: impl fmt::Display) -> Error {
    // aws-lc-rs's rejection reasons are fixed texts ("InvalidEncoding"),
    // never key material.
    Error::InvalidArgument(format!("the {what} is not a usable private key ({e})"))
}

impl SigningKey {
    /// A fresh key for `alg` (RSA keys are 2048 bits), from the operating
    /// system's CSPRNG.
    ///
    /// # Errors
    ///
    /// [`Error::Internal`] when the cryptography library fails to generate the
    /// key (the system random number generator failed).
    pub fn generate(alg: SigningAlgorithm) -> Result<Self> {
        let fail = |_| Error::Internal("generating a key failed".into());
        let inner = match alg {
            SigningAlgorithm::RS256 | SigningAlgorithm::PS256 => {
                Inner::Rsa(RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).map_err(fail)?)
            }
            SigningAlgorithm::ES256 => Inner::Ec(
                EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING)
                    .map_err(fail)?,
            ),
            SigningAlgorithm::EdDSA => Inner::Ed(Ed25519KeyPair::generate().map_err(fail)?),
        };
        Ok(SigningKey {
            alg,
            kid: None,
            inner: Arc::new(inner),
        })
    }

    /// Reads a PEM private key (`PRIVATE KEY`, `RSA PRIVATE KEY` or `EC
    /// PRIVATE KEY`; encrypted PEM is refused) for `alg`, which must suit
    /// the key (RS256/PS256: RSA, ES256: P-256, EdDSA: Ed25519).
    ///
    /// ```
    /// use oauthkit::provider::signing_key::{SigningAlgorithm, SigningKey};
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
        let (label, der) = pem_block(pem)?;
        let reject = |e: aws_lc_rs::error::KeyRejected| rejected("PEM key", e);
        let inner = match (alg, label.as_str()) {
            (a, "PRIVATE KEY") if a.is_rsa() => {
                Inner::Rsa(RsaKeyPair::from_pkcs8(&der).map_err(reject)?)
            }
            (a, "RSA PRIVATE KEY") if a.is_rsa() => {
                Inner::Rsa(RsaKeyPair::from_der(&der).map_err(reject)?)
            }
            (SigningAlgorithm::ES256, "PRIVATE KEY" | "EC PRIVATE KEY") => Inner::Ec(
                EcdsaKeyPair::from_private_key_der(
                    &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                    &der,
                )
                .map_err(reject)?,
            ),
            (SigningAlgorithm::EdDSA, "PRIVATE KEY") => {
                Inner::Ed(Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der).map_err(reject)?)
            }
            (a, l) => {
                return Err(Error::InvalidArgument(format!(
                    "a PEM '{l}' block cannot hold a key for {a}"
                )))
            }
        };
        // the same checks as every other way in (RSA key size)
        SigningKey {
            alg,
            kid: None,
            inner: Arc::new(inner),
        }
        .with_algorithm(alg)
    }

    /// Reads a private JWK (RFC 7517 JSON: `kty` RSA with `n e d p q dp dq
    /// qi`, EC P-256 with `x y d`, OKP Ed25519 with `x d`). The algorithm
    /// is the JWK's `alg` or the key type's default (RS256, ES256, EdDSA);
    /// `kid` is taken over.
    ///
    /// ```
    /// use oauthkit::provider::signing_key::{SigningAlgorithm, SigningKey};
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
        let v: Zeroizing<String> = Zeroizing::new(jwk.to_owned());
        let v: Value = serde_json::from_str(&v)
            .map_err(|_| Error::InvalidArgument("the JWK is not a JSON object".into()))?;
        let Some(obj) = v.as_object() else {
            return Err(Error::InvalidArgument(
                "the JWK is not a JSON object".into(),
            ));
        };
        let member = |name: &str| -> Result<Zeroizing<Vec<u8>>> {
            let s = obj
                .get(name)
                .and_then(Value::as_str)
                .ok_or_else(|| Error::InvalidArgument(format!("the JWK has no '{name}' member")))?;
            URL_SAFE_NO_PAD
                .decode(s.trim_end_matches('='))
                .map(Zeroizing::new)
                .map_err(|_| Error::InvalidArgument(format!("the JWK's '{name}' is not base64url")))
        };
        let kty = obj.get("kty").and_then(Value::as_str).unwrap_or_default();
        let alg = match obj.get("alg").and_then(Value::as_str) {
            Some(a) => Some(a.parse::<SigningAlgorithm>()?),
            None => None,
        };
        let reject = |e: aws_lc_rs::error::KeyRejected| rejected("JWK", e);
        let (alg, inner) = match kty {
            "RSA" => {
                let (n, e, d) = (member("n")?, member("e")?, member("d")?);
                let (p, q) = (member("p")?, member("q")?);
                let (dp, dq, qi) = (member("dp")?, member("dq")?, member("qi")?);
                let components = KeyPairComponents {
                    public_key: PublicKeyComponents {
                        n: n.as_slice(),
                        e: e.as_slice(),
                    },
                    d: d.as_slice(),
                    p: p.as_slice(),
                    q: q.as_slice(),
                    dP: dp.as_slice(),
                    dQ: dq.as_slice(),
                    qInv: qi.as_slice(),
                };
                let key = RsaKeyPair::from_components(&components).map_err(reject)?;
                (alg.unwrap_or(SigningAlgorithm::RS256), Inner::Rsa(key))
            }
            "EC" => {
                if obj.get("crv").and_then(Value::as_str) != Some("P-256") {
                    return Err(Error::InvalidArgument(
                        "only P-256 EC keys are supported (ES256)".into(),
                    ));
                }
                let (x, y, d) = (member("x")?, member("y")?, member("d")?);
                let mut point = vec![4u8];
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                let key = EcdsaKeyPair::from_private_key_and_public_key(
                    &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                    &d,
                    &point,
                )
                .map_err(reject)?;
                (alg.unwrap_or(SigningAlgorithm::ES256), Inner::Ec(key))
            }
            "OKP" => {
                if obj.get("crv").and_then(Value::as_str) != Some("Ed25519") {
                    return Err(Error::InvalidArgument(
                        "only Ed25519 OKP keys are supported (EdDSA)".into(),
                    ));
                }
                let (x, d) = (member("x")?, member("d")?);
                let key = Ed25519KeyPair::from_seed_and_public_key(&d, &x).map_err(reject)?;
                (alg.unwrap_or(SigningAlgorithm::EdDSA), Inner::Ed(key))
            }
            other => {
                return Err(Error::InvalidArgument(format!(
                    "JWK key type '{}' is not supported (RSA, EC, OKP)",
                    other.chars().take(10).collect::<String>()
                )))
            }
        };
        let key = SigningKey {
            alg: SigningAlgorithm::RS256,
            kid: obj.get("kid").and_then(Value::as_str).map(str::to_owned),
            inner: Arc::new(inner),
        };
        key.with_algorithm(alg)
    }

    /// The same key signing with `alg` (RSA keys: RS256 or PS256); an
    /// error when `alg` does not suit the key.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when `alg` does not suit the key's type or
    /// an RSA key is shorter than 2048 bits.
    pub fn with_algorithm(mut self, alg: SigningAlgorithm) -> Result<Self> {
        let fits = match &*self.inner {
            Inner::Rsa(_) => alg.is_rsa(),
            Inner::Ec(_) => alg == SigningAlgorithm::ES256,
            Inner::Ed(_) => alg == SigningAlgorithm::EdDSA,
        };
        if !fits {
            return Err(Error::InvalidArgument(format!(
                "{alg} cannot be used with this {} key",
                self.key_type()
            )));
        }
        if let Inner::Rsa(k) = &*self.inner {
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

    fn key_type(&self) -> &'static str {
        match &*self.inner {
            Inner::Rsa(_) => "RSA",
            Inner::Ec(_) => "EC",
            Inner::Ed(_) => "OKP",
        }
    }

    /// The public key as a JWK (with `kid`, `alg` and `use: sig`), to
    /// register with the provider (its `jwks`).
    pub fn public_jwk(&self) -> Value {
        let mut jwk = self.thumbprint_members();
        if let Some(kid) = &self.kid {
            jwk.insert("kid".into(), json!(kid));
        }
        jwk.insert("alg".into(), json!(self.alg.as_str()));
        jwk.insert("use".into(), json!("sig"));
        Value::Object(jwk)
    }

    /// The required members of the public JWK (RFC 7638 §3.2).
    fn thumbprint_members(&self) -> Map<String, Value> {
        let b64 = |b: &[u8]| URL_SAFE_NO_PAD.encode(b);
        let v = match &*self.inner {
            Inner::Rsa(k) => {
                let p = k.public_key();
                json!({
                    "e": b64(p.exponent().big_endian_without_leading_zero()),
                    "kty": "RSA",
                    "n": b64(p.modulus().big_endian_without_leading_zero()),
                })
            }
            Inner::Ec(k) => {
                let point = k.public_key().as_ref();
                json!({
                    "crv": "P-256",
                    "kty": "EC",
                    "x": b64(&point[1..33]),
                    "y": b64(&point[33..65]),
                })
            }
            Inner::Ed(k) => json!({
                "crv": "Ed25519",
                "kty": "OKP",
                "x": b64(k.public_key().as_ref()),
            }),
        };
        match v {
            Value::Object(m) => m,
            _ => unreachable!("built as an object"),
        }
    }

    /// The RFC 7638 JWK SHA-256 thumbprint of the public key, base64url.
    pub fn thumbprint(&self) -> String {
        // serde_json's Map keeps keys sorted, as RFC 7638 requires.
        let canonical = Value::Object(self.thumbprint_members()).to_string();
        URL_SAFE_NO_PAD.encode(sha256(canonical.as_bytes()))
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

    /// The raw JWS signature of `message`.
    ///
    /// # Errors
    ///
    /// [`Error::Internal`] when the cryptography library fails to sign (the
    /// system random number generator failed).
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        let fail = |_| Error::Internal("signing failed".into());
        let rng = SystemRandom::new();
        match &*self.inner {
            Inner::Rsa(k) => {
                let padding: &'static dyn signature::RsaEncoding = match self.alg {
                    SigningAlgorithm::PS256 => &signature::RSA_PSS_SHA256,
                    _ => &signature::RSA_PKCS1_SHA256,
                };
                let mut sig = vec![0u8; k.public_modulus_len()];
                k.sign(padding, &rng, message, &mut sig).map_err(fail)?;
                Ok(sig)
            }
            Inner::Ec(k) => Ok(k.sign(&rng, message).map_err(fail)?.as_ref().to_vec()),
            Inner::Ed(k) => Ok(k.sign(message).as_ref().to_vec()),
        }
    }
}

/// The label and DER bytes of the first PEM block.
fn pem_block(pem: &str) -> Result<(String, Zeroizing<Vec<u8>>)> {
    let bad = |why: &str| Error::InvalidArgument(format!("the PEM key is unusable: {why}"));
    let start = pem
        .find("-----BEGIN ")
        .ok_or_else(|| bad("no '-----BEGIN' line"))?;
    let rest = &pem[start + 11..];
    let label_end = rest
        .find("-----")
        .ok_or_else(|| bad("a broken BEGIN line"))?;
    let label = rest[..label_end].to_owned();
    if label.contains("ENCRYPTED") || rest.contains("Proc-Type: 4,ENCRYPTED") {
        return Err(bad(
            "it is encrypted; decrypt it first (openssl pkcs8 -topk8 -nocrypt)",
        ));
    }
    if label.len() > 40 || !label.chars().all(|c| c.is_ascii_uppercase() || c == ' ') {
        return Err(bad("a broken BEGIN line"));
    }
    let body = &rest[label_end + 5..];
    let end = body
        .find(&format!("-----END {label}-----"))
        .ok_or_else(|| bad("no matching END line"))?;
    let b64: Zeroizing<String> = Zeroizing::new(
        body[..end]
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect(),
    );
    let der = STANDARD
        .decode(b64.as_bytes())
        .map_err(|_| bad("the body is not base64"))?;
    Ok((label, Zeroizing::new(der)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::signature::UnparsedPublicKey;

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
        for alg in [
            SigningAlgorithm::RS256,
            SigningAlgorithm::PS256,
            SigningAlgorithm::ES256,
            SigningAlgorithm::EdDSA,
        ] {
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
    fn thumbprint_matches_rfc7638_example() {
        // RFC 7638 §3.1's key and thumbprint.
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        let members = json!({"e": "AQAB", "kty": "RSA", "n": n}).to_string();
        assert_eq!(
            URL_SAFE_NO_PAD.encode(sha256(members.as_bytes())),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
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
    }
}
