//! [`DpopConfig`]: turning DPoP on for a provider.

use super::key::{DpopAlgorithm, DpopKey};
use crate::error::Result;

/// DPoP settings of a provider: on (by being present) and the algorithm of
/// the keys generated for its sign-ins.
///
/// ```
/// use oauthkit::provider::dpop::{DpopAlgorithm, DpopConfig};
/// let c = DpopConfig::new().with_algorithm(DpopAlgorithm::EdDsa);
/// assert_eq!(c.algorithm(), DpopAlgorithm::EdDsa);
/// assert_eq!(DpopConfig::default().algorithm(), DpopAlgorithm::Es256);
/// let key = c.generate_key()?;
/// assert_eq!(key.algorithm(), DpopAlgorithm::EdDsa);
/// # Ok::<(), oauthkit::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct DpopConfig {
    algorithm: DpopAlgorithm,
}

impl DpopConfig {
    /// ES256 keys.
    pub fn new() -> Self {
        Self::default()
    }

    /// The algorithm of new keys.
    pub fn with_algorithm(mut self, algorithm: DpopAlgorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// The algorithm of new keys.
    pub fn algorithm(&self) -> DpopAlgorithm {
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
