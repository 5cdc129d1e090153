//! The resource-request helper of a [`SessionManager`]: DPoP headers for
//! the application's own API calls with a fresh (refreshed if due) token,
//! and the resource servers' nonces.

use super::SessionManager;
use crate::error::Result;
use crate::provider::dpop::{DpopHeaders, DpopNonces};

impl SessionManager {
    /// The `Authorization: DPoP <token>` and `DPoP: <proof>` header values
    /// for one request of `method` to `url` with the tokens under `key`
    /// (refreshed first when due, with the same key), carrying the nonce
    /// the URL's origin gave last. The tokens must be DPoP-bound.
    ///
    /// After the response, pass its status, `WWW-Authenticate` and
    /// `DPoP-Nonce` headers to [`record_dpop_nonce`](Self::record_dpop_nonce);
    /// when it says so, ask for new headers and send the request once more.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use oauthkit::provider::SigningAlgorithm;
    /// use oauthkit::unversioned::provider::DpopKey;
    /// use oauthkit::session::SessionManager;
    /// use oauthkit::provider::{OAuth2Config, OAuthProvider};
    /// use oauthkit::store::MemoryStore;
    /// use oauthkit::{TokenSet, TokenStore};
    /// # fn main() -> oauthkit::Result<()> {
    /// let provider = OAuthProvider::oauth2(OAuth2Config::new(
    ///     "api", "client", "https://idp.example/authorize", "https://idp.example/token"))?;
    /// let store = Arc::new(MemoryStore::new());
    /// let key = DpopKey::generate(SigningAlgorithm::ES256)?;
    /// let mut tokens = TokenSet::bearer("at-1").with_expires_in(3600).with_dpop_key(key);
    /// tokens.token_type = "DPoP".into();
    /// store.save("alice", &tokens)?;
    /// let session = SessionManager::new(Arc::new(provider), store);
    ///
    /// let h = session.dpop_headers("alice", "GET", "https://api.example/v1/items")?;
    /// assert_eq!(h.authorization(), "DPoP at-1");
    /// // ... send the request with both headers; the API answers 401 with
    /// // `WWW-Authenticate: DPoP error="use_dpop_nonce"` and `DPoP-Nonce: n-1`:
    /// let again = session.record_dpop_nonce(
    ///     "https://api.example/v1/items", 401,
    ///     Some(r#"DPoP error="use_dpop_nonce""#), Some("n-1"));
    /// assert!(again); // send it once more with new headers (they carry the nonce)
    /// let h2 = session.dpop_headers("alice", "GET", "https://api.example/v1/items")?;
    /// assert_ne!(h2.dpop(), h.dpop());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`tokens`](Self::tokens) and [`DpopHeaders::for_request`]
    /// ([`Error::InvalidArgument`](crate::Error::InvalidArgument) when the
    /// stored set is not DPoP-bound).
    pub fn dpop_headers(&self, key: &str, method: &str, url: &str) -> Result<DpopHeaders> {
        let tokens = self.tokens(key)?;
        DpopHeaders::for_request(&tokens, method, url, &self.resource_nonces)
    }

    /// Records a resource server's response to a DPoP request: its
    /// `DPoP-Nonce` header (kept for the URL's origin) and whether the
    /// request should be sent once more (a 401 whose `WWW-Authenticate`
    /// has a DPoP challenge with `error="use_dpop_nonce"`, and a new nonce
    /// came with it). See [`DpopNonces::record_response`].
    pub fn record_dpop_nonce(
        &self,
        url: &str,
        status: u16,
        www_authenticate: Option<&str>,
        dpop_nonce: Option<&str>,
    ) -> bool {
        self.resource_nonces
            .record_response(url, status, www_authenticate, dpop_nonce)
    }

    /// The resource servers' nonces this session holds.
    pub fn dpop_nonces(&self) -> &DpopNonces {
        &self.resource_nonces
    }
}
