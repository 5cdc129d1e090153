//! [`DpopHeaders`]: the two header values an application sends with a
//! DPoP-bound access token to its own APIs (RFC 9449 §7).

use super::nonce::DpopNonces;
use super::proof::ProofRequest;
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::token::TokenSet;

/// `Authorization: DPoP <access token>` and `DPoP: <proof>` for one
/// request. `Debug` shows neither value.
///
/// ```
/// use oauthkit::provider::SigningAlgorithm;
/// use oauthkit::unversioned::provider::DpopKey;
/// use oauthkit::unversioned::provider::dpop::{DpopHeaders, DpopNonces};
/// use oauthkit::TokenSet;
/// let mut tokens = TokenSet::bearer("at-123");
/// tokens.token_type = "DPoP".into();
/// tokens.dpop_key = Some(DpopKey::generate(SigningAlgorithm::ES256)?);
/// let nonces = DpopNonces::new();
/// let h = DpopHeaders::for_request(&tokens, "GET", "https://api.example/me", &nonces)?;
/// assert_eq!(h.authorization(), "DPoP at-123");
/// assert_eq!(h.dpop().split('.').count(), 3);
/// // the API answered 401 asking for a nonce: record it and send again, once
/// let retry = nonces.record_response(
///     "https://api.example/me", 401, Some(r#"DPoP error="use_dpop_nonce""#), Some("n-1"));
/// assert!(retry);
/// let again = DpopHeaders::for_request(&tokens, "GET", "https://api.example/me", &nonces)?;
/// assert_ne!(again.dpop(), h.dpop());
/// # Ok::<(), oauthkit::Error>(())
/// ```
#[derive(Clone)]
pub struct DpopHeaders {
    authorization: Secret,
    dpop: Secret,
}

impl std::fmt::Debug for DpopHeaders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DpopHeaders([redacted])")
    }
}

impl DpopHeaders {
    /// The headers for `method` on `url` with `tokens` (which must be
    /// DPoP-bound: [`TokenSet::dpop_key`] set), with the nonce `nonces`
    /// holds for the URL's origin.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when `tokens` is not DPoP-bound; otherwise
    /// as [`ProofRequest::sign`](super::ProofRequest::sign).
    pub fn for_request(
        tokens: &TokenSet,
        method: &str,
        url: &str,
        nonces: &DpopNonces,
    ) -> Result<Self> {
        let Some(key) = &tokens.dpop_key else {
            return Err(Error::InvalidArgument(
                "this token set is not DPoP-bound (it has no DPoP key); send its access token as a Bearer token".into(),
            ));
        };
        let at = tokens.access_token.expose();
        let nonce = nonces.get(url);
        let proof = ProofRequest::new(method, url)
            .access_token(at)
            .nonce(nonce.as_deref())
            .sign(key)?;
        Ok(DpopHeaders {
            authorization: Secret::new(format!("DPoP {at}")),
            dpop: Secret::new(proof),
        })
    }

    /// The `Authorization` header value: `DPoP <access token>`.
    pub fn authorization(&self) -> &str {
        self.authorization.expose()
    }

    /// The `DPoP` header value: a proof for this one request.
    pub fn dpop(&self) -> &str {
        self.dpop.expose()
    }
}
