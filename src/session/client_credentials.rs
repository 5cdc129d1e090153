//! Client-credentials tokens through the session manager: cached in the
//! store under a key derived from (client, scopes, resources, audience),
//! fetched again ahead of expiry, once per key however many threads and
//! processes ask (the same in-process flight lock and cross-process store
//! lock as refreshes). There is no refresh token: "refreshing" is a new
//! grant, and [`SessionManager::tokens`] / [`SessionManager::refresh`] /
//! [`BackgroundRefresh`](crate::session::BackgroundRefresh) do that for these
//! keys too.

use super::SessionManager;
use crate::error::{Error, Result};
use crate::provider::grants::request::GrantRequest;
use crate::token::TokenSet;

impl SessionManager {
    /// The store key [`client_credentials_token`](Self::client_credentials_token)
    /// caches `request`'s tokens under.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when the provider has no client id, or
    /// `request` is not a [`GrantRequest::client_credentials`] one or uses
    /// a setter of another grant.
    pub fn client_credentials_key(&self, request: &GrantRequest) -> Result<String> {
        let client_id = self.provider.client_id().ok_or_else(|| {
            Error::InvalidArgument(format!(
                "provider '{}' has no client id for a client credentials cache key",
                self.provider.name()
            ))
        })?;
        request.check("client_credentials")?;
        Ok(request.cache_key(client_id))
    }

    /// A client-credentials token for `request`: the cached one while it
    /// does not expire within the margin, else a new grant, one per key at
    /// a time (threads and processes sharing the store wait for it and use
    /// its result). The refresh hook is told of each new token.
    ///
    /// ```no_run
    /// use std::sync::Arc;
    /// use oauthkit::session::SessionManager;
    /// use oauthkit::provider::{GrantRequest, OidcConfig, OAuthProvider, Provider};
    /// let provider: Arc<dyn Provider> = Arc::new(OAuthProvider::oidc(
    ///     OidcConfig::new("https://idp.example", "svc").client_secret("s3cret"),
    /// )?);
    /// let sessions = SessionManager::new(provider, Arc::new(oauthkit::store::MemoryStore::new()));
    /// let request = GrantRequest::client_credentials()
    ///     .scopes(["api:read"])
    ///     .resource("https://api.example/");
    /// let token = sessions.client_credentials_token(&request)?.access_token;
    /// # Ok::<(), oauthkit::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`client_credentials_key`](Self::client_credentials_key); the
    /// store's errors (loading, saving, [`Error::LockTimeout`] when another
    /// process holds the key's lock past the lock timeout); the errors of
    /// [`Provider::request_client_credentials`](crate::provider::Provider::request_client_credentials)
    /// for a new grant.
    pub fn client_credentials_token(&self, request: &GrantRequest) -> Result<TokenSet> {
        let key = self.client_credentials_key(request)?;
        if let Some(t) = self.store.load(&key)? {
            if !self.needs_refresh(&t) {
                return Ok(t);
            }
        }
        let (tokens, fresh) = self.grant_locked(&key, request)?;
        if fresh {
            if let Some(hook) = &self.hook {
                hook(&key, &tokens);
            }
        }
        Ok(tokens)
    }

    fn grant_locked(&self, key: &str, request: &GrantRequest) -> Result<(TokenSet, bool)> {
        let flight = self.flight(key);
        let _in_process = flight.lock().unwrap_or_else(|p| p.into_inner());
        let cross_process = self.store.lock_key(key, self.lock_timeout)?;
        // Re-read under both locks: another thread or process may have
        // just fetched one.
        if let Some(t) = self.store.load(key)? {
            if !self.needs_refresh(&t) {
                return Ok((t, false));
            }
        }
        let tokens = self.provider.request_client_credentials(request)?;
        match self.store.save_locked(key, &tokens, &cross_process) {
            Ok(()) => {}
            // The lock ran out while the grant was asked for: another
            // process owns the key now and its tokens stay. This grant spent
            // nothing, so its token is still good to hand out.
            Err(Error::LockLost { .. }) => log::warn!(
                "client credentials for '{key}': the store's key lock ran out during the grant; \
                 the new token is returned but not stored"
            ),
            Err(e) => return Err(e),
        }
        Ok((tokens, true))
    }
}

/// For a stored token set without a refresh token: a new grant when it
/// came from the client credentials grant (its request is stored with
/// it), else `None`.
pub(super) fn renew(manager: &SessionManager, current: &TokenSet) -> Option<Result<TokenSet>> {
    let request = GrantRequest::from_stored(current)?;
    Some(manager.provider.request_client_credentials(&request))
}
