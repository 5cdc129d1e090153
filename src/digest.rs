//! SHA-2 digests from the one crypto library oauthkit links (aws-lc, the
//! same code TLS and JWS use), so the C library carries one SHA-2
//! implementation and gets its hardware acceleration.

use aws_lc_rs::digest::{Algorithm, Context, SHA256, SHA384, SHA512};

fn fixed<const N: usize>(alg: &'static Algorithm, parts: &[&[u8]]) -> [u8; N] {
    let mut context = Context::new(alg);
    for part in parts {
        context.update(part);
    }
    let digest = context.finish();
    let mut out = [0u8; N];
    out.copy_from_slice(digest.as_ref());
    out
}

/// SHA-256 of `data`.
pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    fixed(&SHA256, &[data])
}

/// SHA-256 of the concatenation of `parts`.
pub(crate) fn sha256_parts(parts: &[&[u8]]) -> [u8; 32] {
    fixed(&SHA256, parts)
}

/// SHA-384 of `data`.
pub(crate) fn sha384(data: &[u8]) -> [u8; 48] {
    fixed(&SHA384, &[data])
}

/// SHA-512 of `data`.
pub(crate) fn sha512(data: &[u8]) -> [u8; 64] {
    fixed(&SHA512, &[data])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hex::hex;

    /// FIPS 180-2 test vectors ("abc").
    #[test]
    fn known_answers() {
        assert_eq!(
            hex(&sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(&sha256_parts(&[b"a", b"", b"bc"])),
            hex(&sha256(b"abc"))
        );
        assert_eq!(
            hex(&sha384(b"abc")),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed\
             8086072ba1e7cc2358baeca134c825a7"
        );
        assert_eq!(
            hex(&sha512(b"abc")),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
             2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
        );
    }
}
