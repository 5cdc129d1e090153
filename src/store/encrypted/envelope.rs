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
    let body = seal_after(key, key_id, at, size_hint, &[], write);
    let mut text = String::with_capacity(PREFIX.len() + key_id.len() + 1 + body.len() * 4 / 3 + 4);
    text.push_str(PREFIX);
    text.push_str(key_id);
    text.push(':');
    URL_SAFE_NO_PAD.encode_string(&body[..], &mut text);
    text
}

/// What every sealed record in the binary form starts with (for backends
/// that store bytes: `oak:v1b:{key id}:` then nonce ‖ ciphertext ‖ tag,
/// raw). The same AEAD and associated data as [`PREFIX`]'s text form; only
/// the encoding of the body differs.
pub(crate) const BINARY_PREFIX: &[u8] = b"oak:v1b:";

/// [`seal_with`] in the binary form (see [`BINARY_PREFIX`]): no base64,
/// the returned buffer is the record.
pub(crate) fn seal_binary_with(
    key: &LessSafeKey,
    key_id: &str,
    at: Binding<'_>,
    size_hint: usize,
    write: impl FnOnce(&mut WipingWriter<'_>),
) -> Vec<u8> {
    let header: &[&[u8]] = &[BINARY_PREFIX, key_id.as_bytes(), b":"];
    seal_after(key, key_id, at, size_hint, header, write)
}

/// `header ‖ nonce ‖ ciphertext ‖ tag` in one buffer: the plaintext is
/// written after the nonce and sealed where it lies.
fn seal_after(
    key: &LessSafeKey,
    key_id: &str,
    at: Binding<'_>,
    size_hint: usize,
    header: &[&[u8]],
    write: impl FnOnce(&mut WipingWriter<'_>),
) -> Vec<u8> {
    let tag_len = aws_lc_rs::aead::AES_256_GCM.tag_len();
    let header_len: usize = header.iter().map(|h| h.len()).sum();
    // wiped if `write` panics with plaintext in it; handed back unwiped
    // once it holds only ciphertext
    let mut guard = crate::secret::WipedBytes(Vec::with_capacity(
        header_len + NONCE_LEN + size_hint + tag_len,
    ));
    let body = &mut guard.0;
    for part in header {
        body.extend_from_slice(part);
    }
    body.resize(header_len + NONCE_LEN, 0);
    aws_lc_rs::rand::fill(&mut body[header_len..]).expect("the system random generator failed");
    write(&mut WipingWriter(body));
    if body.capacity() - body.len() < tag_len {
        // room for the tag, without leaving the plaintext behind
        WipingWriter(body).reserve_wiping(tag_len);
    }
    let (nonce, in_out) = body[header_len..].split_at_mut(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).expect("NONCE_LEN bytes");
    let tag = key
        .seal_in_place_separate_tag(nonce, Aad::from(associated_data(key_id, at)), in_out)
        .expect("AES-256-GCM sealing of a token set cannot fail");
    body.extend_from_slice(tag.as_ref());
    // ciphertext only from here on: nothing to wipe
    std::mem::take(&mut guard.0)
}

/// Splits a binary record (see [`BINARY_PREFIX`]) into its key id and the
/// length of its header; `None` when `record` is not in the binary form.
pub(crate) fn binary_header(record: &[u8]) -> Option<Result<(&str, usize), OpenError>> {
    let rest = record.strip_prefix(BINARY_PREFIX)?;
    // key ids are short: look for the separator in the first bytes only
    let Some(end) = rest.iter().take(256).position(|&b| b == b':') else {
        return Some(Err(OpenError::Malformed("no key id separator")));
    };
    let key_id = &rest[..end];
    if key_id.is_empty() || !key_id.iter().all(|&b| is_key_id_byte(b)) {
        return Some(Err(OpenError::Malformed("bad key id")));
    }
    let key_id = std::str::from_utf8(key_id).expect("key id bytes are ASCII");
    Some(Ok((key_id, BINARY_PREFIX.len() + end + 1)))
}

impl Envelope<'_> {
    /// Parses a binary record (see [`BINARY_PREFIX`]) in place: `record`
    /// loses its header and becomes the body; the key id is returned.
    pub fn parse_binary(record: &mut Vec<u8>) -> Result<String, OpenError> {
        let (key_id, header_len) = binary_header(record).ok_or(OpenError::NotSealed)??;
        let key_id = key_id.to_owned();
        if record.len() - header_len < NONCE_LEN + aws_lc_rs::aead::AES_256_GCM.tag_len() {
            return Err(OpenError::Malformed("body too short"));
        }
        record.drain(..header_len);
        Ok(key_id)
    }
}

/// The text form (`oak:v1:{kid}:{base64url}`) of a binary record, which
/// opens the same.
pub(crate) fn binary_to_text(record: &[u8]) -> Result<String, OpenError> {
    let (key_id, header_len) = binary_header(record).ok_or(OpenError::NotSealed)??;
    let body = &record[header_len..];
    let mut text = String::with_capacity(PREFIX.len() + key_id.len() + 1 + body.len() * 4 / 3 + 4);
    text.push_str(PREFIX);
    text.push_str(key_id);
    text.push(':');
    URL_SAFE_NO_PAD.encode_string(body, &mut text);
    Ok(text)
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
    fn the_binary_form_opens_like_the_text_form_and_binds_the_same() {
        let k = key(4);
        let plain = b"{\"access_token\":\"x\"}";
        let bin = seal_binary_with(&k, "k4", AT, 0, |b| {
            std::io::Write::write_all(b, plain).unwrap()
        });
        assert!(bin.starts_with(b"oak:v1b:k4:"));
        assert!(
            !bin.windows(plain.len()).any(|w| w == plain),
            "no plaintext"
        );
        // the text form of the same record opens to the same plaintext
        let text = binary_to_text(&bin).unwrap();
        let env = Envelope::parse(&text).unwrap();
        assert_eq!(env.open(&k, AT).unwrap(), plain);
        let mut body = bin.clone();
        let kid = Envelope::parse_binary(&mut body).unwrap();
        assert_eq!(kid, "k4");
        let env = Envelope { key_id: &kid, body };
        assert_eq!(env.open(&k, AT).unwrap(), plain);
        // moved to another key, or relabelled: refused
        let mut body = bin.clone();
        let kid = Envelope::parse_binary(&mut body).unwrap();
        let env = Envelope { key_id: &kid, body };
        let at = Binding {
            namespace: "ns",
            key: "bob",
        };
        assert_eq!(env.open(&k, at), Err(OpenError::Integrity));
        let mut relabelled = b"oak:v1b:k5:".to_vec();
        relabelled.extend_from_slice(&bin[b"oak:v1b:k4:".len()..]);
        let kid = Envelope::parse_binary(&mut relabelled).unwrap();
        let env = Envelope {
            key_id: &kid,
            body: relabelled,
        };
        assert_eq!(env.open(&k, AT), Err(OpenError::Integrity));
        // every flipped bit of the body and every truncation: refused
        let header = b"oak:v1b:k4:".len();
        for i in header..bin.len() {
            let mut b = bin.clone();
            b[i] ^= 0x01;
            let kid = Envelope::parse_binary(&mut b).unwrap();
            let env = Envelope {
                key_id: &kid,
                body: b,
            };
            assert!(env.open(&k, AT).is_err(), "flip at byte {i} went unnoticed");
        }
        for len in 0..bin.len() {
            let mut b = bin[..len].to_vec();
            let res = Envelope::parse_binary(&mut b).and_then(|kid| {
                Envelope {
                    key_id: &kid,
                    body: b,
                }
                .open(&k, AT)
            });
            assert!(res.is_err(), "truncation to {len} bytes went unnoticed");
        }
        assert_eq!(
            Envelope::parse_binary(&mut b"plain".to_vec()),
            Err(OpenError::NotSealed)
        );
        assert!(matches!(
            Envelope::parse_binary(
                &mut b"oak:v1b:k$:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".to_vec()
            ),
            Err(OpenError::Malformed(_))
        ));
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
