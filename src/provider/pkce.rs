//! PKCE (RFC 7636) with the S256 method only.

use crate::digest::sha256;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::error::{Error, Result};
use crate::secret::Secret;

/// A PKCE verifier and its S256 challenge. `plain` is never used.
///
/// ```
/// use oauthkit::unversioned::provider::Pkce;
/// let p = Pkce::generate();
/// assert_eq!(p.verifier().len(), 43);
/// assert_eq!(p.method(), "S256");
/// // RFC 7636 appendix B
/// let b = Pkce::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
/// assert_eq!(b.challenge(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
/// ```
#[derive(Clone, Debug)]
pub struct Pkce {
    verifier: Secret,
    challenge: String,
}

impl Pkce {
    /// A fresh pair: 32 CSPRNG bytes, base64url (43 characters).
    ///
    /// # Panics
    ///
    /// Only when the operating system's random number generator fails; a
    /// generated verifier always passes [`from_verifier`](Self::from_verifier)'s
    /// check.
    pub fn generate() -> Self {
        Self::from_verifier(&crate::random::token(32)).expect("generated verifiers are valid")
    }

    /// The pair for a given verifier, which must be 43 to 128 characters of
    /// `[A-Za-z0-9-._~]`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when `verifier` is shorter than 43 or longer
    /// than 128 characters, or holds a character outside `A-Z a-z 0-9 - . _ ~`
    /// (the message never quotes it).
    pub fn from_verifier(verifier: &str) -> Result<Self> {
        let ok_char = |c: char| c.is_ascii_alphanumeric() || "-._~".contains(c);
        if !(43..=128).contains(&verifier.len()) || !verifier.chars().all(ok_char) {
            return Err(Error::InvalidArgument(
                "a PKCE verifier is 43 to 128 characters of A-Z a-z 0-9 - . _ ~".into(),
            ));
        }
        let challenge = URL_SAFE_NO_PAD.encode(sha256(verifier.as_bytes()));
        Ok(Pkce {
            verifier: Secret::new(verifier),
            challenge,
        })
    }

    /// The verifier, sent with the code exchange.
    pub fn verifier(&self) -> &str {
        self.verifier.expose()
    }

    /// The challenge, sent in the authorization URL.
    pub fn challenge(&self) -> &str {
        &self.challenge
    }

    /// Always `"S256"`.
    pub fn method(&self) -> &'static str {
        "S256"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b() {
        let p = Pkce::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
        assert_eq!(p.challenge(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }

    #[test]
    fn rejects_short_and_bad_verifiers() {
        assert!(Pkce::from_verifier("short").is_err());
        assert!(Pkce::from_verifier(&"a".repeat(129)).is_err());
        assert!(Pkce::from_verifier(&format!("{}!", "a".repeat(43))).is_err());
    }

    #[test]
    fn generated_verifiers_differ() {
        assert_ne!(Pkce::generate().verifier(), Pkce::generate().verifier());
    }
}
