//! JOSE keys: the one private key type ([`SigningKey`]) and algorithm enum
//! ([`SigningAlgorithm`]) behind every JWT the client signs —
//! `private_key_jwt` client assertions, JWT bearer grant assertions and
//! DPoP proofs — and [`DpopKey`], a signing key with the stored form a
//! DPoP-bound token set keeps.
//!
//! ```
//! use oauthkit::provider::{SigningAlgorithm, SigningKey};
//! use oauthkit::unversioned::provider::DpopKey;
//! let assertion_key = SigningKey::generate(SigningAlgorithm::PS256)?.with_kid("k1");
//! let dpop_key = DpopKey::generate(SigningAlgorithm::ES256)?;
//! // one public JWK type, one thumbprint, whatever the key is for
//! assert_eq!(assertion_key.public_jwk()["kty"], "RSA");
//! assert_eq!(dpop_key.public_jwk()["kty"], "EC");
//! assert_eq!(dpop_key.thumbprint().len(), 43);
//! # Ok::<(), oauthkit::Error>(())
//! ```

mod algorithm;
mod dpop_key;
mod jwk;
mod key;
mod pem;

pub use algorithm::SigningAlgorithm;
pub use dpop_key::DpopKey;
pub use key::SigningKey;

#[cfg(feature = "dev-provider")]
pub(crate) use jwk::thumbprint_of;
