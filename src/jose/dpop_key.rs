//! [`DpopKey`]: a [`SigningKey`] a DPoP-bound token set is bound to (RFC
//! 9449 §2), with the stored form it is kept in.
//!
//! The key itself is the one JOSE key type: its algorithm, public JWK and
//! RFC 7638 thumbprint (the `jkt`) are the [`SigningKey`]'s (reached
//! through `Deref`). What a DPoP key adds is its stored form: it is kept
//! with its token set (see [`TokenSet::dpop_key`](crate::TokenSet::dpop_key)),
//! serialised as its algorithm and PKCS#8 document, so only stores that
//! protect secrets accept it
//! ([`TokenStore::protects_secrets`](crate::TokenStore::protects_secrets)).
//! The PKCS#8 bytes are zeroed when the last clone is dropped; `Debug`
//! shows the algorithm and the thumbprint only.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

use super::{SigningAlgorithm, SigningKey};
use crate::error::Result;
use crate::secret::Secret;

struct Inner {
    key: SigningKey,
    pkcs8: Zeroizing<Vec<u8>>,
    /// base64url of the proof's JOSE header, the same for every proof.
    header_b64: String,
}

/// A DPoP private key (RFC 9449): generate one per sign-in, keep it with
/// its tokens. A [`SigningKey`] (every key method is reached through
/// `Deref`) plus its stored form.
///
/// Clones share the key. `Debug` shows the algorithm and thumbprint, never
/// key material; the PKCS#8 bytes are zeroed on drop.
///
/// ```
/// use oauthkit::provider::SigningAlgorithm;
/// use oauthkit::unversioned::provider::DpopKey;
/// let key = DpopKey::generate(SigningAlgorithm::ES256)?;
/// assert_eq!(key.thumbprint().len(), 43); // base64url SHA-256
/// assert_eq!(key.public_jwk()["kty"], "EC");
/// assert!(key.public_jwk().get("d").is_none()); // public part only
/// let again = DpopKey::from_pkcs8(&key.to_pkcs8(), key.algorithm())?;
/// assert_eq!(again.thumbprint(), key.thumbprint());
/// assert!(format!("{key:?}").contains(key.thumbprint()));
/// # Ok::<(), oauthkit::Error>(())
/// ```
#[derive(Clone)]
pub struct DpopKey(Arc<Inner>);

impl DpopKey {
    /// A new key from the system CSPRNG.
    ///
    /// # Errors
    ///
    /// [`Error::Internal`](crate::Error::Internal) when the cryptography
    /// library fails to generate or encode the key (the system random
    /// number generator failed).
    pub fn generate(alg: SigningAlgorithm) -> Result<Self> {
        Self::new(SigningKey::generate(alg)?)
    }

    /// `key` as a DPoP key (its `kid`, if any, is not sent: a proof names
    /// its key by the `jwk` header).
    ///
    /// # Errors
    ///
    /// [`Error::Internal`](crate::Error::Internal) when the cryptography
    /// library fails to encode the key's stored form.
    pub fn new(key: SigningKey) -> Result<Self> {
        let pkcs8 = key.to_pkcs8()?;
        Ok(Self::with_stored_form(key, pkcs8))
    }

    /// A key from its PKCS#8 document (what [`to_pkcs8`](Self::to_pkcs8)
    /// returned) and algorithm. A document of another key type is refused.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) when
    /// `pkcs8` is not a PKCS#8 private key of `alg`'s type, or an RSA key is
    /// shorter than 2048 bits.
    pub fn from_pkcs8(pkcs8: &[u8], alg: SigningAlgorithm) -> Result<Self> {
        let key = SigningKey::from_pkcs8(pkcs8, alg)?;
        Ok(Self::with_stored_form(key, Zeroizing::new(pkcs8.to_vec())))
    }

    fn with_stored_form(key: SigningKey, pkcs8: Zeroizing<Vec<u8>>) -> Self {
        let header = format!(
            r#"{{"typ":"dpop+jwt","alg":"{}","jwk":{}}}"#,
            key.algorithm().as_str(),
            key.canonical_jwk()
        );
        DpopKey(Arc::new(Inner {
            header_b64: URL_SAFE_NO_PAD.encode(header.as_bytes()),
            key,
            pkcs8,
        }))
    }

    /// The private key as a PKCS#8 document. Keep it secret.
    pub fn to_pkcs8(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.0.pkcs8.to_vec())
    }

    /// The base64url JOSE header every proof of this key carries.
    pub(crate) fn header_b64(&self) -> &str {
        &self.0.header_b64
    }
}

impl Deref for DpopKey {
    type Target = SigningKey;

    fn deref(&self) -> &SigningKey {
        &self.0.key
    }
}

impl AsRef<SigningKey> for DpopKey {
    fn as_ref(&self) -> &SigningKey {
        &self.0.key
    }
}

impl PartialEq for DpopKey {
    fn eq(&self, other: &Self) -> bool {
        self.algorithm() == other.algorithm()
            && aws_lc_rs::constant_time::verify_slices_are_equal(&self.0.pkcs8, &other.0.pkcs8)
                .is_ok()
    }
}

impl Eq for DpopKey {}

impl fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopKey")
            .field("alg", &self.algorithm().as_str())
            .field("jkt", &self.thumbprint())
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
            alg: self.algorithm().as_str().to_owned(),
            pkcs8: Secret::new(URL_SAFE_NO_PAD.encode(&*self.0.pkcs8)),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for DpopKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        use serde::de::Error as _;
        let w = Wire::deserialize(deserializer)?;
        let alg: SigningAlgorithm = w
            .alg
            .parse()
            .map_err(|_| D::Error::custom("unsupported DPoP key algorithm"))?;
        let der = Zeroizing::new(
            URL_SAFE_NO_PAD
                .decode(w.pkcs8.expose())
                .map_err(|_| D::Error::custom("DPoP key is not base64url"))?,
        );
        DpopKey::from_pkcs8(&der, alg).map_err(|_| D::Error::custom("DPoP key does not parse"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_algorithm_round_trips_through_pkcs8_and_json() {
        for alg in SigningAlgorithm::ALL {
            let k = DpopKey::generate(alg).unwrap();
            let json = serde_json::to_string(&k).unwrap();
            let back: DpopKey = serde_json::from_str(&json).unwrap();
            assert_eq!(back, k, "{alg}");
            assert_eq!(back.thumbprint(), k.thumbprint());
            assert_eq!(back.header_b64(), k.header_b64());
            assert_ne!(DpopKey::generate(alg).unwrap(), k);
        }
    }

    #[test]
    fn the_stored_form_of_earlier_releases_still_reads() {
        // {"alg","pkcs8"} as 0.1 wrote it: Ed25519 as a PKCS#8 v2 document
        let pkcs8 = aws_lc_rs::signature::Ed25519KeyPair::generate_pkcs8(
            &aws_lc_rs::rand::SystemRandom::new(),
        )
        .unwrap();
        let stored = serde_json::json!({
            "alg": "EdDSA",
            "pkcs8": URL_SAFE_NO_PAD.encode(pkcs8.as_ref()),
        });
        let k: DpopKey = serde_json::from_value(stored.clone()).unwrap();
        assert_eq!(k.algorithm(), SigningAlgorithm::EdDSA);
        assert_eq!(serde_json::to_value(&k).unwrap(), stored);
    }

    #[test]
    fn a_document_of_another_algorithm_is_refused() {
        let ec = DpopKey::generate(SigningAlgorithm::ES256).unwrap();
        assert!(DpopKey::from_pkcs8(&ec.to_pkcs8(), SigningAlgorithm::EdDSA).is_err());
        assert!(DpopKey::from_pkcs8(&ec.to_pkcs8(), SigningAlgorithm::RS256).is_err());
        assert!(DpopKey::from_pkcs8(b"junk", SigningAlgorithm::ES256).is_err());
        for bad in [
            r#"{"alg":"HS256","pkcs8":"AA"}"#,
            r#"{"alg":"ES256","pkcs8":"!!"}"#,
            r#"{"alg":"ES256"}"#,
        ] {
            assert!(serde_json::from_str::<DpopKey>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_signing_key_becomes_a_dpop_key_with_the_same_thumbprint() {
        let key = SigningKey::generate(SigningAlgorithm::PS256)
            .unwrap()
            .with_kid("k");
        let dpop = DpopKey::new(key.clone()).unwrap();
        assert_eq!(dpop.thumbprint(), key.thumbprint());
        assert_eq!(dpop.algorithm(), SigningAlgorithm::PS256);
        let back = DpopKey::from_pkcs8(&dpop.to_pkcs8(), SigningAlgorithm::PS256).unwrap();
        assert_eq!(back, dpop);
    }

    #[test]
    fn debug_shows_no_key_material() {
        let k = DpopKey::generate(SigningAlgorithm::ES256).unwrap();
        let d = format!("{k:?}");
        let pkcs8 = URL_SAFE_NO_PAD.encode(&*k.to_pkcs8());
        assert!(!d.contains(&pkcs8[..20]));
        assert!(d.contains("ES256"));
    }
}
