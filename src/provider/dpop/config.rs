//! [`DpopConfig`]: turning DPoP on for a provider.

use crate::error::Result;
use crate::jose::{DpopKey, SigningAlgorithm};

/// DPoP settings of a provider: on (by being present) and the algorithm of
/// the keys generated for its sign-ins.
///
/// ```
/// use oauthkit::provider::SigningAlgorithm;
/// use oauthkit::provider::DpopConfig;
/// let c = DpopConfig::new().algorithm(SigningAlgorithm::EdDSA);
/// assert_eq!(c.key_algorithm(), SigningAlgorithm::EdDSA);
/// assert_eq!(DpopConfig::default().key_algorithm(), SigningAlgorithm::ES256);
/// let key = c.generate_key()?;
/// assert_eq!(key.algorithm(), SigningAlgorithm::EdDSA);
/// # Ok::<(), oauthkit::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct DpopConfig {
    algorithm: SigningAlgorithm,
}

impl DpopConfig {
    /// ES256 keys.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the algorithm of new keys (default ES256).
    pub fn algorithm(mut self, algorithm: SigningAlgorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// The algorithm of new keys.
    pub fn key_algorithm(&self) -> SigningAlgorithm {
        self.algorithm
    }

    /// A new key for one sign-in.
    ///
    /// # Errors
    ///
    /// As [`DpopKey::generate`].
    pub fn generate_key(&self) -> Result<DpopKey> {
        DpopKey::generate(self.algorithm)
    }
}
