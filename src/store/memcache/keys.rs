//! Memcached key spelling. memcached keys are at most 250 bytes with no
//! whitespace or control characters, so oauthkit keys are percent-encoded
//! (`%`, `#`, space and control characters) and a key still too long is
//! replaced by `#` and its SHA-256 in hex.

use crate::digest::sha256;
use crate::hex::hex;

/// Longest key memcached accepts.
pub(crate) const MAX_LEN: usize = 250;

/// Percent-encodes what memcached cannot hold, plus `extra` characters.
pub(crate) fn encode(s: &str, extra: &[char]) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == '%' || c == '#' || c.is_whitespace() || c.is_control() || extra.contains(&c) {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// `head` + the encoded `tail`, hashed when the whole would be too long.
pub(crate) fn join(head: &str, tail: &str) -> String {
    let key = format!("{head}{}", encode(tail, &[]));
    if key.len() <= MAX_LEN {
        key
    } else {
        let digest = sha256(tail.as_bytes());
        format!("{head}#{}", hex(&digest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_what_memcached_refuses() {
        assert_eq!(encode("a b\n%#é", &[]), "a%20b%0A%25%23é");
        assert_eq!(encode("x_y", &['_']), "x%5Fy");
    }

    #[test]
    fn long_keys_are_hashed_and_fit() {
        let long = "k".repeat(400);
        let key = join("oauth2_tokens_DEFAULT_", &long);
        assert!(key.len() <= MAX_LEN);
        assert!(key.starts_with("oauth2_tokens_DEFAULT_#"));
        assert_ne!(key, join("oauth2_tokens_DEFAULT_", &"k".repeat(401)));
    }
}
