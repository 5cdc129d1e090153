//! Unguessable values: `state`, `nonce`, PKCE verifiers.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// `bytes` bytes from the operating system's CSPRNG, base64url without
/// padding.
pub fn token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    fill(&mut buf);
    URL_SAFE_NO_PAD.encode(&buf)
}

/// Fills `buf` from the operating system's CSPRNG (through aws-lc-rs, the
/// crypto library already in the tree). Panics when the operating system
/// has no random source to give, as there is nothing safe to fall back on.
pub(crate) fn fill(buf: &mut [u8]) {
    aws_lc_rs::rand::fill(buf).expect("the operating system's random source failed");
}

/// A random `u64` from the operating system's CSPRNG (see [`fill`]).
pub(crate) fn u64() -> u64 {
    let mut b = [0u8; 8];
    fill(&mut b);
    u64::from_ne_bytes(b)
}

/// A fresh `state`: 256 bits, 43 characters.
///
/// ```
/// let s = oauthkit::unversioned::random::state();
/// assert_eq!(s.len(), 43);
/// assert_ne!(s, oauthkit::unversioned::random::state());
/// ```
pub fn state() -> String {
    token(32)
}

/// A fresh OIDC `nonce`: 256 bits, 43 characters.
pub fn nonce() -> String {
    token(32)
}
