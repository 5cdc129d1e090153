//! Unguessable values: `state`, `nonce`, PKCE verifiers.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// `bytes` bytes from the operating system's CSPRNG, base64url without
/// padding.
pub fn token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::fill(&mut buf[..]);
    URL_SAFE_NO_PAD.encode(&buf)
}

/// A fresh `state`: 256 bits, 43 characters.
///
/// ```
/// let s = oauthkit::random::state();
/// assert_eq!(s.len(), 43);
/// assert_ne!(s, oauthkit::random::state());
/// ```
pub fn state() -> String {
    token(32)
}

/// A fresh OIDC `nonce`: 256 bits, 43 characters.
pub fn nonce() -> String {
    token(32)
}
