//! [`SigningAlgorithm`]: the JWS algorithms oauthkit signs with, spelled
//! as JOSE spells them (RFC 7518 §3.1, RFC 8037 §3.1).

use std::fmt;

use crate::error::{Error, Result};

/// The JWS algorithms a [`SigningKey`](super::SigningKey) signs with: for
/// `private_key_jwt` client assertions, JWT bearer assertions and DPoP
/// proofs alike.
///
/// ES256 is the default: every DPoP server and FAPI 2.0 accept it, and it
/// is the fastest to sign.
///
/// ```
/// use oauthkit::provider::SigningAlgorithm;
/// assert_eq!(SigningAlgorithm::PS256.as_str(), "PS256");
/// assert_eq!(SigningAlgorithm::default(), SigningAlgorithm::ES256);
/// assert_eq!("EdDSA".parse::<SigningAlgorithm>().unwrap(), SigningAlgorithm::EdDSA);
/// assert!("HS256".parse::<SigningAlgorithm>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum SigningAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (RSA, 2048 bits or more).
    RS256,
    /// RSASSA-PSS with SHA-256 (RSA, 2048 bits or more; FAPI 2.0 allows it).
    PS256,
    /// ECDSA P-256 with SHA-256 (FAPI 2.0 allows it).
    #[default]
    ES256,
    /// Ed25519 (FAPI 2.0 allows it).
    EdDSA,
}

impl SigningAlgorithm {
    /// Every algorithm, in the order the error messages name them.
    pub(crate) const ALL: [SigningAlgorithm; 4] = [
        SigningAlgorithm::RS256,
        SigningAlgorithm::PS256,
        SigningAlgorithm::ES256,
        SigningAlgorithm::EdDSA,
    ];

    /// The JWS `alg` value.
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlgorithm::RS256 => "RS256",
            SigningAlgorithm::PS256 => "PS256",
            SigningAlgorithm::ES256 => "ES256",
            SigningAlgorithm::EdDSA => "EdDSA",
        }
    }

    pub(crate) fn is_rsa(self) -> bool {
        matches!(self, SigningAlgorithm::RS256 | SigningAlgorithm::PS256)
    }
}

impl std::str::FromStr for SigningAlgorithm {
    type Err = Error;

    /// The JWS name (`RS256`, `PS256`, `ES256`, `EdDSA`; `Ed25519` is taken
    /// for `EdDSA`).
    fn from_str(s: &str) -> Result<Self> {
        if s == "Ed25519" {
            return Ok(SigningAlgorithm::EdDSA);
        }
        SigningAlgorithm::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "signing algorithm '{}' is not supported (RS256, PS256, ES256, EdDSA)",
                    s.chars().take(20).collect::<String>()
                ))
            })
    }
}

impl fmt::Display for SigningAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_nothing_else_parses() {
        for a in SigningAlgorithm::ALL {
            assert_eq!(a.as_str().parse::<SigningAlgorithm>().unwrap(), a);
            assert_eq!(a.to_string(), a.as_str());
        }
        for bad in ["", "es256", "HS256", "none", "ES384", "RS256 ", "EdDSA\0"] {
            let e = bad.parse::<SigningAlgorithm>().unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidArgument, "{bad:?}");
        }
    }
}
