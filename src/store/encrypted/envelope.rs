//! The sealed-record format: `oak:v1:{key id}:{base64url(nonce ‖ ciphertext ‖ tag)}`.
//!
//! The plaintext is the token set's JSON. The associated data binds the
//! record to the format version, its key id, its namespace and its key, so a
//! record copied under another key or namespace, or relabelled with another
//! key id, fails to open.

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, NONCE_LEN};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

/// What every sealed record starts with.
pub(crate) const PREFIX: &str = "oak:v1:";

/// The token type a sealed record carries in the backend, so any reader of
/// the raw storage sees that it is not a usable token.
pub(crate) const SEALED_TOKEN_TYPE: &str = "oauthkit-sealed-v1";

/// Where a record lives; part of the associated data.
#[derive(Clone, Copy)]
pub(crate) struct Binding<'a> {
    pub namespace: &'a str,
    pub key: &'a str,
}

/// A parsed sealed record, not yet opened.
pub(crate) struct Envelope<'a> {
    pub key_id: &'a str,
    pub body: Vec<u8>,
}

/// Why a record could not be opened (no secret in any of them).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum OpenError {
    /// Not `oak:v1:...`: plain text or another format.
    NotSealed,
    /// The envelope's shape or base64 is broken.
    Malformed(&'static str),
    /// The AEAD refused it: tampered, moved, truncated or the wrong key.
    Integrity,
}

impl<'a> Envelope<'a> {
    /// Parses `oak:v1:{kid}:{body}`.
    pub fn parse(text: &'a str) -> Result<Self, OpenError> {
        let rest = text.strip_prefix(PREFIX).ok_or(OpenError::NotSealed)?;
        let (key_id, body) = rest
            .split_once(':')
            .ok_or(OpenError::Malformed("no key id separator"))?;
        if key_id.is_empty() || !key_id.bytes().all(is_key_id_byte) {
            return Err(OpenError::Malformed("bad key id"));
        }
        let body = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| OpenError::Malformed("body is not base64url"))?;
        if body.len() < NONCE_LEN + aws_lc_rs::aead::AES_256_GCM.tag_len() {
            return Err(OpenError::Malformed("body too short"));
        }
        Ok(Envelope { key_id, body })
    }

    /// Opens the body with `key`, checking the binding. The body is
    /// decrypted where it lies (no copy of the ciphertext).
    pub fn open(self, key: &LessSafeKey, at: Binding<'_>) -> Result<Vec<u8>, OpenError> {
        let mut body = self.body;
        let (nonce, sealed) = body.split_at_mut(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| OpenError::Integrity)?;
        let aad = associated_data(self.key_id, at);
        let plain_len = key
            .open_in_place(nonce, Aad::from(aad), sealed)
            .map_err(|_| OpenError::Integrity)?
            .len();
        body.copy_within(NONCE_LEN..NONCE_LEN + plain_len, 0);
        // the tail (a copy of the plaintext's end, then the tag) is wiped
        zeroize::Zeroize::zeroize(&mut body[plain_len..]);
        body.truncate(plain_len);
        Ok(body)
    }
}

/// Seals `plain` with `key` (named `key_id`) for `at`, with a fresh random
/// nonce, and returns the record text.
pub(crate) fn seal(key: &LessSafeKey, key_id: &str, at: Binding<'_>, plain: &[u8]) -> String {
    seal_with(key, key_id, at, plain.len(), |buf| {
        std::io::Write::write_all(buf, plain).expect("writing to memory cannot fail")
    })
}

/// The buffer a plaintext is written into: it never lets the vector grow
/// in place, where the allocator would free the old block with a copy of
/// the plaintext in it; it moves to a larger block itself and wipes the old
/// one.
pub(crate) struct WipingWriter<'a>(&'a mut Vec<u8>);

impl std::io::Write for WipingWriter<'_> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.0.capacity() - self.0.len() < data.len() {
            // doubling, with room for the tag that follows
            self.reserve_wiping(self.0.len() + data.len() + 16);
        }
        self.0.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl WipingWriter<'_> {
    /// Makes room for `more` bytes, moving (and wiping) like `write`.
    fn reserve_wiping(&mut self, more: usize) {
        let buf = &mut *self.0;
        if buf.capacity() - buf.len() < more {
            let mut bigger = Vec::with_capacity(buf.len() + more);
            bigger.extend_from_slice(buf);
            crate::secret::wipe_vec(buf);
            *buf = bigger;
        }
    }
}

/// [`seal`] with the plaintext written by `write` straight into the buffer
/// it is sealed in (one buffer: nonce ‖ plaintext → ciphertext ‖ tag), which
/// is wiped of any plaintext before it is freed, and so is any block it
/// outgrew. `size_hint` is the plaintext's expected length.
pub(crate) fn seal_with(
    key: &LessSafeKey,
    key_id: &str,
    at: Binding<'_>,
    size_hint: usize,
    write: impl FnOnce(&mut WipingWriter<'_>),
) -> String {
    let tag_len = aws_lc_rs::aead::AES_256_GCM.tag_len();
    let mut body = crate::secret::WipedBytes(Vec::with_capacity(NONCE_LEN + size_hint + tag_len));
    let body = &mut body.0;
    body.resize(NONCE_LEN, 0);
    aws_lc_rs::rand::fill(&mut body[..]).expect("the system random generator failed");
    write(&mut WipingWriter(body));
    if body.capacity() - body.len() < tag_len {
        // room for the tag, without leaving the plaintext behind
        WipingWriter(body).reserve_wiping(tag_len);
    }
    let (nonce, in_out) = body.split_at_mut(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).expect("NONCE_LEN bytes");
    let tag = key
        .seal_in_place_separate_tag(nonce, Aad::from(associated_data(key_id, at)), in_out)
        .expect("AES-256-GCM sealing of a token set cannot fail");
    body.extend_from_slice(tag.as_ref());
    let mut text = String::with_capacity(PREFIX.len() + key_id.len() + 1 + body.len() * 4 / 3 + 4);
    text.push_str(PREFIX);
    text.push_str(key_id);
    text.push(':');
    URL_SAFE_NO_PAD.encode_string(&body[..], &mut text);
    text
}

/// Key ids are short ASCII names: letters, digits, `-`, `_` and `.`.
pub(crate) fn is_key_id_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')
}

fn associated_data(key_id: &str, at: Binding<'_>) -> Vec<u8> {
    let mut aad = Vec::with_capacity(32 + key_id.len() + at.namespace.len() + at.key.len());
    aad.extend_from_slice(b"oauthkit sealed token set v1\0");
    for part in [key_id, at.namespace, at.key] {
        aad.extend_from_slice(&(part.len() as u32).to_be_bytes());
        aad.extend_from_slice(part.as_bytes());
    }
    aad
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::aead::{UnboundKey, AES_256_GCM};

    fn key(byte: u8) -> LessSafeKey {
        LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &[byte; 32]).unwrap())
    }

    const AT: Binding<'static> = Binding {
        namespace: "ns",
        key: "alice",
    };

    #[test]
    fn round_trip_and_fresh_nonce() {
        let k = key(1);
        let a = seal(&k, "k1", AT, b"{\"access_token\":\"x\"}");
        let b = seal(&k, "k1", AT, b"{\"access_token\":\"x\"}");
        assert_ne!(a, b, "a fresh nonce per write");
        let env = Envelope::parse(&a).unwrap();
        assert_eq!(env.key_id, "k1");
        assert_eq!(env.open(&k, AT).unwrap(), b"{\"access_token\":\"x\"}");
    }

    #[test]
    fn a_plaintext_longer_than_its_size_hint_round_trips() {
        let k = key(3);
        let plain: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
        for hint in [0, 1, 100, 4999, 5000, 5016] {
            let sealed = seal_with(&k, "k3", AT, hint, |buf| {
                for chunk in plain.chunks(7) {
                    std::io::Write::write_all(buf, chunk).unwrap();
                }
            });
            let env = Envelope::parse(&sealed).unwrap();
            assert_eq!(env.open(&k, AT).unwrap(), plain, "hint {hint}");
        }
    }

    #[test]
    fn every_binding_change_fails() {
        let k = key(1);
        let sealed = seal(&k, "k1", AT, b"payload");
        for at in [
            Binding {
                namespace: "other",
                key: "alice",
            },
            Binding {
                namespace: "ns",
                key: "bob",
            },
            // length-prefixed parts: moving a byte between them is a change
            Binding {
                namespace: "nsa",
                key: "lice",
            },
        ] {
            let env = Envelope::parse(&sealed).unwrap();
            assert_eq!(env.open(&k, at), Err(OpenError::Integrity));
        }
        let relabelled = sealed.replacen("oak:v1:k1:", "oak:v1:k2:", 1);
        let env = Envelope::parse(&relabelled).unwrap();
        assert_eq!(env.open(&k, AT), Err(OpenError::Integrity));
        let env = Envelope::parse(&sealed).unwrap();
        assert_eq!(env.open(&key(2), AT), Err(OpenError::Integrity));
    }

    #[test]
    fn every_flipped_byte_and_truncation_fails() {
        let k = key(7);
        let sealed = seal(&k, "k7", AT, b"a token set");
        let body = URL_SAFE_NO_PAD
            .decode(sealed.rsplit_once(':').unwrap().1)
            .unwrap();
        for i in 0..body.len() {
            for bit in [0x01u8, 0x80] {
                let mut b = body.clone();
                b[i] ^= bit;
                let text = format!("oak:v1:k7:{}", URL_SAFE_NO_PAD.encode(&b));
                let res = Envelope::parse(&text).and_then(|e| e.open(&k, AT));
                assert!(res.is_err(), "flip at byte {i} went unnoticed");
            }
        }
        for len in 0..body.len() {
            let text = format!("oak:v1:k7:{}", URL_SAFE_NO_PAD.encode(&body[..len]));
            let res = Envelope::parse(&text).and_then(|e| e.open(&k, AT));
            assert!(res.is_err(), "truncation to {len} bytes went unnoticed");
        }
    }

    #[test]
    fn malformed_envelopes_are_named() {
        assert_eq!(Envelope::parse("plain").err(), Some(OpenError::NotSealed));
        assert!(matches!(
            Envelope::parse("oak:v1:nokid").err(),
            Some(OpenError::Malformed(_))
        ));
        assert!(matches!(
            Envelope::parse("oak:v1:k$1:AAAA").err(),
            Some(OpenError::Malformed(_))
        ));
        assert!(matches!(
            Envelope::parse("oak:v1:k1:***").err(),
            Some(OpenError::Malformed(_))
        ));
    }
}
