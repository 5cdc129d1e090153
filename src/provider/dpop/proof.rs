//! DPoP proof JWTs (RFC 9449 §4.2): `typ: dpop+jwt`, the public `jwk`,
//! `htm`, `htu` (without query and fragment), `iat`, a unique `jti`, and
//! `ath` / `nonce` when they apply.

use crate::digest::sha256;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use url::Url;

use super::nonce::is_valid_nonce;
use crate::error::{Error, Result};
use crate::jose::DpopKey;
use crate::token::now_unix;

/// Bytes of CSPRNG output in a `jti` (192 bits: collisions are out of
/// reach however many proofs a key signs).
const JTI_BYTES: usize = 24;

/// What one proof is for.
///
/// ```
/// use oauthkit::provider::SigningAlgorithm;
/// use oauthkit::unversioned::provider::DpopKey;
/// use oauthkit::unversioned::provider::dpop::ProofRequest;
/// let key = DpopKey::generate(SigningAlgorithm::ES256)?;
/// let proof = ProofRequest::new("GET", "https://api.example/v1/me?x=1#f")
///     .access_token("at-123")
///     .sign(&key)?;
/// assert_eq!(proof.split('.').count(), 3);
/// # Ok::<(), oauthkit::Error>(())
/// ```
#[derive(Clone, Copy)]
pub struct ProofRequest<'a> {
    method: &'a str,
    url: &'a str,
    access_token: Option<&'a str>,
    nonce: Option<&'a str>,
}

impl std::fmt::Debug for ProofRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProofRequest")
            .field("method", &self.method)
            .field("has_access_token", &self.access_token.is_some())
            .field("has_nonce", &self.nonce.is_some())
            .finish_non_exhaustive()
    }
}

impl<'a> ProofRequest<'a> {
    /// A proof for `method` (e.g. `"POST"`) on `url`.
    pub fn new(method: &'a str, url: &'a str) -> Self {
        ProofRequest {
            method,
            url,
            access_token: None,
            nonce: None,
        }
    }

    /// Adds `ath`, the hash of the access token the request presents
    /// (resource and userinfo requests).
    pub fn access_token(mut self, token: &'a str) -> Self {
        self.access_token = Some(token);
        self
    }

    /// Adds the server's `nonce` (from its `DPoP-Nonce` header).
    pub fn nonce(mut self, nonce: Option<&'a str>) -> Self {
        self.nonce = nonce;
        self
    }

    /// Signs a new proof with `key`: a fresh `jti` and the current time
    /// every call, so no two proofs are the same.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when the method is not an HTTP method token,
    /// the URL is refused by [`htu`], or the nonce is not 1 to 1024 printable
    /// ASCII characters without `"` or `\`; [`Error::Internal`] when the
    /// random number generator or the signature fails.
    pub fn sign(&self, key: &DpopKey) -> Result<String> {
        self.sign_at(key, now_unix())
    }

    pub(crate) fn sign_at(&self, key: &DpopKey, iat: i64) -> Result<String> {
        let htm = check_method(self.method)?;
        let htu = htu(self.url)?;
        let mut jti = [0u8; JTI_BYTES];
        SystemRandom::new()
            .fill(&mut jti)
            .map_err(|_| Error::Internal("the system CSPRNG failed".into()))?;
        let mut claims = serde_json::Map::new();
        claims.insert("jti".into(), URL_SAFE_NO_PAD.encode(jti).into());
        claims.insert("htm".into(), htm.into());
        claims.insert("htu".into(), htu.into());
        claims.insert("iat".into(), iat.into());
        if let Some(at) = self.access_token {
            claims.insert("ath".into(), ath(at).into());
        }
        if let Some(n) = self.nonce {
            if !is_valid_nonce(n) {
                return Err(Error::InvalidArgument(
                    "a DPoP nonce must be 1 to 1024 printable ASCII characters without '\"' or '\\' (RFC 9449 §8.1)".into(),
                ));
            }
            claims.insert("nonce".into(), n.into());
        }
        let payload = serde_json::Value::Object(claims).to_string();
        let mut jws = String::with_capacity(key.header_b64().len() + payload.len() * 2 + 400);
        jws.push_str(key.header_b64());
        jws.push('.');
        URL_SAFE_NO_PAD.encode_string(payload.as_bytes(), &mut jws);
        let sig = key.sign(jws.as_bytes())?;
        jws.push('.');
        URL_SAFE_NO_PAD.encode_string(sig, &mut jws);
        Ok(jws)
    }
}

/// `ath`: base64url(SHA-256(access token)) (RFC 9449 §4.2).
pub fn ath(access_token: &str) -> String {
    URL_SAFE_NO_PAD.encode(sha256(access_token.as_bytes()))
}

/// The `htm` value: an HTTP method token (RFC 9110 §9.1), as given
/// (methods are case-sensitive; `get` is not `GET`).
fn check_method(method: &str) -> Result<&str> {
    let tchar = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if method.is_empty() || method.len() > 32 || !method.chars().all(tchar) {
        return Err(Error::InvalidArgument(format!(
            "'{}' is not an HTTP method",
            method.chars().take(32).collect::<String>().escape_default()
        )));
    }
    Ok(method)
}

/// The `htu` value (RFC 9449 §4.2, §4.3 step 9): the request URL without
/// query and fragment, normalised (RFC 3986 §6: scheme and host lower
/// case, default port dropped, dot segments removed). Only http(s) URLs
/// with a host and no credentials.
///
/// ```
/// use oauthkit::unversioned::provider::dpop::htu;
/// assert_eq!(htu("HTTPS://API.Example:443/a/./b?q=1#f").unwrap(), "https://api.example/a/b");
/// assert_eq!(htu("http://127.0.0.1:8080").unwrap(), "http://127.0.0.1:8080/");
/// assert!(htu("https://user:pw@api.example/").is_err());
/// assert!(htu("ftp://api.example/").is_err());
/// ```
///
/// # Errors
///
/// [`Error::InvalidArgument`] when `url` is not a URL, not `http(s)`, has
/// no host or carries credentials.
pub fn htu(url: &str) -> Result<String> {
    let mut u = Url::parse(url).map_err(|e| {
        Error::InvalidArgument(format!("DPoP: the request URL is not a valid URL: {e}"))
    })?;
    if !matches!(u.scheme(), "https" | "http") || u.host().is_none() {
        return Err(Error::InvalidArgument(
            "DPoP: the request URL must be an http(s) URL with a host".into(),
        ));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(Error::InvalidArgument(
            "DPoP: the request URL must not carry credentials".into(),
        ));
    }
    u.set_query(None);
    u.set_fragment(None);
    Ok(u.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::SigningAlgorithm;

    #[test]
    fn methods_are_tokens() {
        assert!(check_method("POST").is_ok());
        for bad in ["", "GE T", "GET\r\nX: y", "GÉT", &"A".repeat(33)] {
            assert!(check_method(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn hostile_nonces_are_refused() {
        let key = DpopKey::generate(SigningAlgorithm::ES256).unwrap();
        for bad in ["", "a\"b", "a\\b", "a b", "é", "a\r\nb", &"n".repeat(1025)] {
            let r = ProofRequest::new("GET", "https://a.example/")
                .nonce(Some(bad))
                .sign(&key);
            assert!(r.is_err(), "{bad:?}");
        }
    }
}
