//! [`DpopKey`]: the private key a DPoP-bound token set is bound to (RFC 9449
//! §2), its public JWK and its RFC 7638 thumbprint (the `jkt`).
//!
//! Keys are generated with aws-lc-rs's CSPRNG. The private key is held as
//! PKCS#8 bytes that are zeroed when the last clone is dropped; `Debug`
//! shows the algorithm and the thumbprint only. Serialising a key (it is
//! stored with its token set, see [`TokenSet::dpop_key`](crate::TokenSet::dpop_key))
//! writes the PKCS#8 document, so only stores that protect secrets accept it
//! ([`TokenStore::protects_secrets`](crate::TokenStore::protects_secrets)).

use std::fmt;
use std::sync::Arc;

use crate::digest::sha256;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::secret::Secret;

/// The signature algorithm of a DPoP key (the proof's `alg`).
///
/// ES256 is the default: the one every DPoP server supports, and the
/// fastest to sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum DpopAlgorithm {
    /// ECDSA P-256 with SHA-256.
    #[default]
    Es256,
    /// Ed25519 (`EdDSA`).
    EdDsa,
    /// RSASSA-PKCS1-v1_5 with SHA-256, a 2048-bit key.
    Rs256,
    /// RSASSA-PSS with SHA-256, a 2048-bit key.
    Ps256,
}

impl DpopAlgorithm {
    /// The JWS `alg` name.
    ///
    /// ```
    /// use oauthkit::provider::dpop::DpopAlgorithm;
    /// assert_eq!(DpopAlgorithm::default().as_str(), "ES256");
    /// assert_eq!("EdDSA".parse::<DpopAlgorithm>().unwrap(), DpopAlgorithm::EdDsa);
    /// assert!("HS256".parse::<DpopAlgorithm>().is_err());
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            DpopAlgorithm::Es256 => "ES256",
            DpopAlgorithm::EdDsa => "EdDSA",
            DpopAlgorithm::Rs256 => "RS256",
            DpopAlgorithm::Ps256 => "PS256",
        }
    }
}

impl std::str::FromStr for DpopAlgorithm {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "ES256" => Ok(DpopAlgorithm::Es256),
            "EdDSA" => Ok(DpopAlgorithm::EdDsa),
            "RS256" => Ok(DpopAlgorithm::Rs256),
            "PS256" => Ok(DpopAlgorithm::Ps256),
            other => Err(Error::InvalidArgument(format!(
                "DPoP algorithm '{}' is not supported; use ES256, EdDSA, RS256 or PS256",
                other.chars().take(20).collect::<String>()
            ))),
        }
    }
}

impl fmt::Display for DpopAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

enum Signer {
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
    Rsa(RsaKeyPair),
}

struct Inner {
    alg: DpopAlgorithm,
    pkcs8: Zeroizing<Vec<u8>>,
    signer: Signer,
    /// The public JWK, members in RFC 7638 order (also the thumbprint input).
    jwk: String,
    thumbprint: String,
    /// base64url of the proof's JOSE header, the same for every proof.
    header_b64: String,
}

/// A DPoP private key (RFC 9449): generate one per sign-in, keep it with
/// its tokens.
///
/// Clones share the key. `Debug` shows the algorithm and thumbprint, never
/// key material; the PKCS#8 bytes are zeroed on drop.
///
/// ```
/// use oauthkit::provider::dpop::{DpopAlgorithm, DpopKey};
/// let key = DpopKey::generate(DpopAlgorithm::Es256)?;
/// assert_eq!(key.thumbprint().len(), 43); // base64url SHA-256
/// assert!(key.public_jwk().contains(r#""kty":"EC""#));
/// assert!(!key.public_jwk().contains(r#""d""#)); // public part only
/// let again = DpopKey::from_pkcs8(key.algorithm(), &key.to_pkcs8())?;
/// assert_eq!(again.thumbprint(), key.thumbprint());
/// assert!(format!("{key:?}").contains(key.thumbprint()));
/// # Ok::<(), oauthkit::Error>(())
/// ```
#[derive(Clone)]
pub struct DpopKey(Arc<Inner>);

fn key_error(what: &str) -> Error {
    Error::InvalidArgument(format!("DPoP key: {what}"))
}

impl DpopKey {
    /// A new key from the system CSPRNG.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when the cryptography library fails to
    /// generate or encode the key (the system random number generator failed).
    pub fn generate(alg: DpopAlgorithm) -> Result<Self> {
        let rng = SystemRandom::new();
        let pkcs8: Zeroizing<Vec<u8>> = match alg {
            DpopAlgorithm::Es256 => {
                let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                    .map_err(|_| key_error("P-256 key generation failed"))?;
                Zeroizing::new(doc.as_ref().to_vec())
            }
            DpopAlgorithm::EdDsa => {
                let doc = Ed25519KeyPair::generate_pkcs8(&rng)
                    .map_err(|_| key_error("Ed25519 key generation failed"))?;
                Zeroizing::new(doc.as_ref().to_vec())
            }
            DpopAlgorithm::Rs256 | DpopAlgorithm::Ps256 => {
                let kp = RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
                    .map_err(|_| key_error("RSA key generation failed"))?;
                let der = kp
                    .as_der()
                    .map_err(|_| key_error("RSA key encoding failed"))?;
                Zeroizing::new(der.as_ref().to_vec())
            }
        };
        Self::from_pkcs8(alg, &pkcs8)
    }

    /// A key from its PKCS#8 document (what [`to_pkcs8`](Self::to_pkcs8)
    /// returned). A document of another algorithm is refused.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when `pkcs8` is not a PKCS#8 private key of
    /// `alg`'s type, or an RSA key is shorter than 2048 bits.
    pub fn from_pkcs8(alg: DpopAlgorithm, pkcs8: &[u8]) -> Result<Self> {
        let b64 = |b: &[u8]| URL_SAFE_NO_PAD.encode(b);
        let (signer, jwk) = match alg {
            DpopAlgorithm::Es256 => {
                let kp = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8)
                    .map_err(|_| key_error("not a P-256 PKCS#8 private key"))?;
                let point = kp.public_key().as_ref();
                if point.len() != 65 || point[0] != 4 {
                    return Err(key_error("unexpected P-256 public key encoding"));
                }
                let jwk = format!(
                    r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
                    b64(&point[1..33]),
                    b64(&point[33..65])
                );
                (Signer::Ec(kp), jwk)
            }
            DpopAlgorithm::EdDsa => {
                let kp = Ed25519KeyPair::from_pkcs8(pkcs8)
                    .map_err(|_| key_error("not an Ed25519 PKCS#8 private key"))?;
                let jwk = format!(
                    r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
                    b64(kp.public_key().as_ref())
                );
                (Signer::Ed(kp), jwk)
            }
            DpopAlgorithm::Rs256 | DpopAlgorithm::Ps256 => {
                let kp = RsaKeyPair::from_pkcs8(pkcs8)
                    .map_err(|_| key_error("not an RSA PKCS#8 private key"))?;
                if kp.public_modulus_len() < 256 {
                    return Err(key_error("RSA keys must have at least 2048 bits"));
                }
                let public = kp.public_key();
                let jwk = format!(
                    r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
                    b64(public.exponent().big_endian_without_leading_zero()),
                    b64(public.modulus().big_endian_without_leading_zero())
                );
                (Signer::Rsa(kp), jwk)
            }
        };
        let thumbprint = b64(&sha256(jwk.as_bytes()));
        let header = format!(
            r#"{{"typ":"dpop+jwt","alg":"{}","jwk":{jwk}}}"#,
            alg.as_str()
        );
        Ok(DpopKey(Arc::new(Inner {
            alg,
            pkcs8: Zeroizing::new(pkcs8.to_vec()),
            signer,
            header_b64: b64(header.as_bytes()),
            jwk,
            thumbprint,
        })))
    }

    /// The algorithm.
    pub fn algorithm(&self) -> DpopAlgorithm {
        self.0.alg
    }

    /// The public key as a JWK (RFC 7517), members in RFC 7638 order.
    pub fn public_jwk(&self) -> &str {
        &self.0.jwk
    }

    /// The RFC 7638 JWK SHA-256 thumbprint, base64url: the `jkt` of the
    /// token binding and the authorization request's `dpop_jkt`.
    pub fn thumbprint(&self) -> &str {
        &self.0.thumbprint
    }

    /// The private key as a PKCS#8 document. Keep it secret.
    pub fn to_pkcs8(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.0.pkcs8.to_vec())
    }

    /// The base64url JOSE header every proof of this key carries.
    pub(crate) fn header_b64(&self) -> &str {
        &self.0.header_b64
    }

    /// Signs `message` (the JWS signing input) in the JWS encoding of the
    /// algorithm (ECDSA as fixed-size `r || s`).
    pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        let fail = |_| Error::Internal("DPoP proof signing failed".into());
        match &self.0.signer {
            Signer::Ec(kp) => Ok(kp
                .sign(&SystemRandom::new(), message)
                .map_err(fail)?
                .as_ref()
                .to_vec()),
            Signer::Ed(kp) => Ok(kp.sign(message).as_ref().to_vec()),
            Signer::Rsa(kp) => {
                let encoding: &'static dyn signature::RsaEncoding = match self.0.alg {
                    DpopAlgorithm::Ps256 => &signature::RSA_PSS_SHA256,
                    _ => &signature::RSA_PKCS1_SHA256,
                };
                let mut sig = vec![0; kp.public_modulus_len()];
                kp.sign(encoding, &SystemRandom::new(), message, &mut sig)
                    .map_err(fail)?;
                Ok(sig)
            }
        }
    }
}

impl PartialEq for DpopKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.alg == other.0.alg
            && aws_lc_rs::constant_time::verify_slices_are_equal(&self.0.pkcs8, &other.0.pkcs8)
                .is_ok()
    }
}

impl Eq for DpopKey {}

impl fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopKey")
            .field("alg", &self.0.alg.as_str())
            .field("jkt", &self.0.thumbprint)
            .finish_non_exhaustive()
    }
}

/// The stored shape: `{"alg": "ES256", "pkcs8": "<base64url>"}`.
#[derive(Serialize, Deserialize)]
struct Wire {
    alg: String,
    pkcs8: Secret,
}

impl Serialize for DpopKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        Wire {
            alg: self.0.alg.as_str().to_owned(),
            pkcs8: Secret::new(URL_SAFE_NO_PAD.encode(&*self.0.pkcs8)),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for DpopKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        use serde::de::Error as _;
        let w = Wire::deserialize(deserializer)?;
        let alg: DpopAlgorithm = w
            .alg
            .parse()
            .map_err(|_| D::Error::custom("unsupported DPoP key algorithm"))?;
        let der = Zeroizing::new(
            URL_SAFE_NO_PAD
                .decode(w.pkcs8.expose())
                .map_err(|_| D::Error::custom("DPoP key is not base64url"))?,
        );
        DpopKey::from_pkcs8(alg, &der).map_err(|_| D::Error::custom("DPoP key does not parse"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7638_thumbprint_of_the_rfc_example_shape() {
        // RFC 7638 §3.1's example key, thumbprint computed over the
        // required members in lexicographic order.
        let jwk = r#"{"e":"AQAB","kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"}"#;
        assert_eq!(
            URL_SAFE_NO_PAD.encode(sha256(jwk.as_bytes())),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn every_algorithm_round_trips_through_pkcs8_and_json() {
        for alg in [
            DpopAlgorithm::Es256,
            DpopAlgorithm::EdDsa,
            DpopAlgorithm::Rs256,
            DpopAlgorithm::Ps256,
        ] {
            let k = DpopKey::generate(alg).unwrap();
            let json = serde_json::to_string(&k).unwrap();
            let back: DpopKey = serde_json::from_str(&json).unwrap();
            assert_eq!(back, k, "{alg}");
            assert_eq!(back.thumbprint(), k.thumbprint());
            assert_ne!(DpopKey::generate(alg).unwrap(), k);
        }
    }

    #[test]
    fn a_document_of_another_algorithm_is_refused() {
        let ec = DpopKey::generate(DpopAlgorithm::Es256).unwrap();
        assert!(DpopKey::from_pkcs8(DpopAlgorithm::EdDsa, &ec.to_pkcs8()).is_err());
        assert!(DpopKey::from_pkcs8(DpopAlgorithm::Rs256, &ec.to_pkcs8()).is_err());
        assert!(DpopKey::from_pkcs8(DpopAlgorithm::Es256, b"junk").is_err());
    }

    #[test]
    fn debug_shows_no_key_material() {
        let k = DpopKey::generate(DpopAlgorithm::Es256).unwrap();
        let d = format!("{k:?}");
        let pkcs8 = URL_SAFE_NO_PAD.encode(&*k.to_pkcs8());
        assert!(!d.contains(&pkcs8[..20]));
        assert!(d.contains("ES256"));
    }
}
