//! [`Algorithm`]: the JWS `alg` names an ID token's header may carry.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// A JWS signature algorithm (RFC 7518 §3.1, RFC 8037 for `EdDSA`), as an
/// ID token's header names it.
///
/// The HMAC names (`HS*`) parse so that they can be refused by name: ID
/// tokens are verified with the provider's public keys only
/// ([`algorithm_allow_list`](crate::unversioned::provider::id_token::algorithm_allow_list)).
///
/// ```
/// use oauthkit::unversioned::provider::Algorithm;
/// let alg: Algorithm = "PS384".parse()?;
/// assert_eq!(alg, Algorithm::PS384);
/// assert_eq!(alg.as_str(), "PS384");
/// assert!("none".parse::<Algorithm>().is_err());
/// # Ok::<(), oauthkit::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(clippy::upper_case_acronyms)]
pub enum Algorithm {
    /// HMAC with SHA-256 (never accepted for ID tokens).
    HS256,
    /// HMAC with SHA-384 (never accepted for ID tokens).
    HS384,
    /// HMAC with SHA-512 (never accepted for ID tokens).
    HS512,
    /// ECDSA P-256 with SHA-256.
    ES256,
    /// ECDSA P-384 with SHA-384.
    ES384,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256.
    PS256,
    /// RSASSA-PSS with SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512.
    PS512,
    /// Ed25519.
    EdDSA,
}

const ALL: [Algorithm; 12] = [
    Algorithm::HS256,
    Algorithm::HS384,
    Algorithm::HS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::EdDSA,
];

impl Algorithm {
    /// The JWS `alg` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::HS256 => "HS256",
            Algorithm::HS384 => "HS384",
            Algorithm::HS512 => "HS512",
            Algorithm::ES256 => "ES256",
            Algorithm::ES384 => "ES384",
            Algorithm::RS256 => "RS256",
            Algorithm::RS384 => "RS384",
            Algorithm::RS512 => "RS512",
            Algorithm::PS256 => "PS256",
            Algorithm::PS384 => "PS384",
            Algorithm::PS512 => "PS512",
            Algorithm::EdDSA => "EdDSA",
        }
    }
}

impl FromStr for Algorithm {
    type Err = Error;

    /// Parses an `alg` value, exactly as JWS spells it (case matters).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for any other name (`none` included).
    fn from_str(s: &str) -> Result<Self> {
        ALL.into_iter().find(|a| a.as_str() == s).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "'{}' is not a JWS signature algorithm",
                s.chars().take(40).collect::<String>()
            ))
        })
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_round_trips_and_case_matters() {
        for a in ALL {
            assert_eq!(a.as_str().parse::<Algorithm>().unwrap(), a);
            assert_eq!(a.to_string(), a.as_str());
            assert!(a.as_str().to_lowercase().parse::<Algorithm>().is_err());
        }
        for bad in ["", "none", "RS1", "ES512", "RS256 ", "Ed25519"] {
            assert!(bad.parse::<Algorithm>().is_err(), "{bad}");
        }
    }
}
