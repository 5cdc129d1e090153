//! The first block of a PEM text (RFC 7468): its label and DER bytes,
//! zeroed on drop; encrypted PEM refused; no error quotes the text.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// The label and DER bytes of the first PEM block.
pub(super) fn first_block(pem: &str) -> Result<(String, Zeroizing<Vec<u8>>)> {
    let bad = |why: &str| Error::InvalidArgument(format!("the PEM key is unusable: {why}"));
    let start = pem
        .find("-----BEGIN ")
        .ok_or_else(|| bad("no '-----BEGIN' line"))?;
    let rest = &pem[start + 11..];
    let label_end = rest
        .find("-----")
        .ok_or_else(|| bad("a broken BEGIN line"))?;
    let label = rest[..label_end].to_owned();
    if label.contains("ENCRYPTED") || rest.contains("Proc-Type: 4,ENCRYPTED") {
        return Err(bad(
            "it is encrypted; decrypt it first (openssl pkcs8 -topk8 -nocrypt)",
        ));
    }
    if label.len() > 40 || !label.chars().all(|c| c.is_ascii_uppercase() || c == ' ') {
        return Err(bad("a broken BEGIN line"));
    }
    let body = &rest[label_end + 5..];
    let end = body
        .find(&format!("-----END {label}-----"))
        .ok_or_else(|| bad("no matching END line"))?;
    let b64: Zeroizing<String> = Zeroizing::new(
        body[..end]
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect(),
    );
    let der = STANDARD
        .decode(b64.as_bytes())
        .map_err(|_| bad("the body is not base64"))?;
    Ok((label, Zeroizing::new(der)))
}
