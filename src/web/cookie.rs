//! Cookie values only this server can read or make: AES-256-GCM-SIV
//! (aws-lc-rs), a fresh random 96-bit nonce per value, base64url.
//!
//! GCM-SIV keeps confidentiality and integrity even if a random nonce ever
//! repeats under one key (RFC 8452), so a long-running server that seals
//! millions of cookies needs no nonce bookkeeping. The associated data
//! names what the value is for (and the deployment), so a value sealed for
//! one purpose never opens as another.

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM_SIV, NONCE_LEN};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use zeroize::Zeroizing;

/// The longest sealed value [`CookieSealer::open`] looks at: browsers keep
/// at most about 4 KiB per cookie.
const MAX_SEALED_LEN: usize = 4096;

/// A 256-bit key for sealing cookies, shared by every instance of a
/// deployment behind one load balancer (or fresh per process by default);
/// set through `DeployOptions::cookie_key`. Zeroed on drop; `Debug` never
/// shows it.
#[derive(Clone)]
pub(crate) struct CookieKey(Zeroizing<[u8; 32]>);

impl CookieKey {
    /// A key from 32 bytes the application keeps secret (for example from
    /// its secret manager).
    pub(crate) fn from_bytes(bytes: [u8; 32]) -> Self {
        CookieKey(Zeroizing::new(bytes))
    }

    /// A fresh key from the operating system's CSPRNG.
    pub(crate) fn generate() -> Self {
        let mut k = Zeroizing::new([0u8; 32]);
        crate::random::fill(&mut k[..]);
        CookieKey(k)
    }
}

impl std::fmt::Debug for CookieKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CookieKey([redacted])")
    }
}

fn aead_key(key: &CookieKey) -> LessSafeKey {
    let unbound =
        UnboundKey::new(&AES_256_GCM_SIV, &key.0[..]).expect("a 32-byte key fits AES-256-GCM-SIV");
    LessSafeKey::new(unbound)
}

/// Seals cookie values with one key and opens them with it or any of the
/// previous keys (a rotation in progress).
pub(crate) struct CookieSealer {
    key: LessSafeKey,
    previous: Vec<LessSafeKey>,
}

impl std::fmt::Debug for CookieSealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CookieSealer([redacted])")
    }
}

impl CookieSealer {
    pub(crate) fn new(key: &CookieKey) -> Self {
        CookieSealer {
            key: aead_key(key),
            previous: Vec::new(),
        }
    }

    /// This sealer, also opening values sealed with any of `keys`.
    pub(crate) fn also_opening(mut self, keys: &[CookieKey]) -> Self {
        self.previous.extend(keys.iter().map(aead_key));
        self
    }

    /// `plaintext` sealed for `purpose`, as a cookie-safe string.
    pub(crate) fn seal(&self, purpose: &str, plaintext: &[u8]) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        crate::random::fill(&mut nonce[..]);
        let mut buf = Zeroizing::new(plaintext.to_vec());
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(purpose.as_bytes()),
                &mut *buf,
            )
            .expect("sealing a cookie-sized value cannot fail");
        let mut out = Vec::with_capacity(NONCE_LEN + buf.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&buf);
        URL_SAFE_NO_PAD.encode(out)
    }

    /// The plaintext of a value [`seal`](Self::seal)ed for `purpose` with
    /// this key; `None` for anything else (forged, altered, truncated,
    /// another purpose or key, too long, not base64url).
    pub(crate) fn open(&self, purpose: &str, sealed: &str) -> Option<Zeroizing<Vec<u8>>> {
        if sealed.len() > MAX_SEALED_LEN {
            return None;
        }
        let raw = Zeroizing::new(URL_SAFE_NO_PAD.decode(sealed).ok()?);
        if raw.len() < NONCE_LEN {
            return None;
        }
        for key in std::iter::once(&self.key).chain(&self.previous) {
            // Each try works on its own copy: a failed open may scramble it.
            let mut body = Zeroizing::new(raw[NONCE_LEN..].to_vec());
            let nonce = Nonce::try_assume_unique_for_key(&raw[..NONCE_LEN]).ok()?;
            if let Ok(plain) = key.open_in_place(nonce, Aad::from(purpose.as_bytes()), &mut body) {
                return Some(Zeroizing::new(plain.to_vec()));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_key() {
        for bytes in [[7u8; 32], [0xab; 32], [0; 32]] {
            let key = CookieKey::from_bytes(bytes);
            assert_eq!(format!("{key:?}"), "CookieKey([redacted])");
            assert_eq!(format!("{key:#?}"), "CookieKey([redacted])");
        }
        let sealer = CookieSealer::new(&CookieKey::generate());
        assert_eq!(format!("{sealer:?}"), "CookieSealer([redacted])");
    }

    #[test]
    fn only_untouched_values_of_the_same_key_and_purpose_open() {
        let key = CookieKey::generate();
        let s = CookieSealer::new(&key);
        let sealed = s.seal("login", b"hello");
        assert_eq!(&s.open("login", &sealed).unwrap()[..], b"hello");
        assert_ne!(sealed, s.seal("login", b"hello"), "a fresh nonce each time");
        assert!(!sealed.contains("hello"));
        assert!(s.open("session", &sealed).is_none());
        assert!(CookieSealer::new(&CookieKey::generate())
            .open("login", &sealed)
            .is_none());
        // Every single-character change, truncation and extension fails.
        let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        for i in 0..sealed.len() {
            let c = sealed.as_bytes()[i] as char;
            let other = alphabet.chars().find(|&a| a != c).unwrap();
            let mut t = sealed.clone();
            t.replace_range(i..=i, &other.to_string());
            assert!(s.open("login", &t).is_none(), "changed at {i}");
            assert!(s.open("login", &sealed[..i]).is_none(), "cut at {i}");
        }
        assert!(s.open("login", &format!("{sealed}A")).is_none());
        for junk in ["", "%%%", "A", &"A".repeat(5000)] {
            assert!(s.open("login", junk).is_none());
        }
        let same = CookieSealer::new(&key);
        assert_eq!(&same.open("login", &sealed).unwrap()[..], b"hello");
    }

    #[test]
    fn a_rotated_sealer_opens_old_values_and_seals_with_the_new_key() {
        let (old, new, other) = (
            CookieKey::generate(),
            CookieKey::generate(),
            CookieKey::generate(),
        );
        let before = CookieSealer::new(&old).seal("login", b"old");
        let rotated = CookieSealer::new(&new).also_opening(std::slice::from_ref(&old));
        assert_eq!(&rotated.open("login", &before).unwrap()[..], b"old");
        let after = rotated.seal("login", b"new");
        assert!(CookieSealer::new(&old).open("login", &after).is_none());
        assert_eq!(
            &CookieSealer::new(&new).open("login", &after).unwrap()[..],
            b"new"
        );
        // A key neither current nor previous opens nothing; a sealer that
        // dropped the old key no longer opens its values.
        assert!(CookieSealer::new(&other).open("login", &after).is_none());
        assert!(CookieSealer::new(&new).open("login", &before).is_none());
        assert!(rotated.open("session", &before).is_none());
    }
}
