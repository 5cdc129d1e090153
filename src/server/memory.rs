//! [`MemoryServerStore`]: clients, codes and tokens in this process.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::stores::*;
use super::{AccessToken, AuthorizationCode, Client};
use crate::error::Result;
use crate::token::now_unix;

#[derive(Default)]
struct Maps {
    clients: HashMap<String, Client>,
    codes: HashMap<String, AuthorizationCode>,
    tokens: HashMap<String, AccessToken>,
    /// Refresh token -> the token record saved with it.
    refresh: HashMap<String, AccessToken>,
    /// `{client_id}_{grant_type}_{user_id}` -> the latest token.
    unique: HashMap<String, AccessToken>,
}

/// All three server stores in memory, for tests and single-process
/// servers. Expired entries are never returned (and are dropped when met).
///
/// ```
/// use oauthkit::server::{AccessToken, AccessTokenStore, MemoryServerStore};
/// let store = MemoryServerStore::new();
/// store.save_token(&AccessToken::new("app", "client_credentials", "t1")).unwrap();
/// assert_eq!(store.fetch_by_token("t1").unwrap().client_id, "app");
/// assert_eq!(store.fetch_by_token("nope").unwrap_err().kind(), oauthkit::ErrorKind::NotFound);
/// ```
#[derive(Default)]
pub struct MemoryServerStore {
    maps: Mutex<Maps>,
}

impl MemoryServerStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Maps> {
        self.maps.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl ClientStore for MemoryServerStore {
    fn save_client(&self, client: &Client) -> Result<()> {
        self.lock()
            .clients
            .insert(client.identifier.clone(), client.clone());
        Ok(())
    }

    fn fetch_by_client_id(&self, client_id: &str) -> Result<Client> {
        self.lock()
            .clients
            .get(client_id)
            .cloned()
            .ok_or_else(|| client_not_found(client_id))
    }

    fn delete_client(&self, client_id: &str) -> Result<bool> {
        Ok(self.lock().clients.remove(client_id).is_some())
    }
}

impl AuthCodeStore for MemoryServerStore {
    fn save_code(&self, code: &AuthorizationCode) -> Result<()> {
        self.lock()
            .codes
            .insert(code.code.expose().to_owned(), code.clone());
        Ok(())
    }

    fn fetch_by_code(&self, code: &str) -> Result<AuthorizationCode> {
        let mut m = self.lock();
        match m.codes.get(code) {
            Some(c) if !c.is_expired_at(now_unix()) => Ok(c.clone()),
            Some(_) => {
                m.codes.remove(code);
                Err(code_not_found())
            }
            None => Err(code_not_found()),
        }
    }

    fn delete_code(&self, code: &str) -> Result<bool> {
        Ok(self.lock().codes.remove(code).is_some())
    }

    fn take_code(&self, code: &str) -> Result<AuthorizationCode> {
        match self.lock().codes.remove(code) {
            Some(c) if !c.is_expired_at(now_unix()) => Ok(c),
            _ => Err(code_not_found()),
        }
    }
}

impl AccessTokenStore for MemoryServerStore {
    fn save_token(&self, token: &AccessToken) -> Result<()> {
        let mut m = self.lock();
        m.tokens
            .insert(token.token.expose().to_owned(), token.clone());
        m.unique.insert(token.unique_key(), token.clone());
        if let Some(rt) = &token.refresh_token {
            m.refresh.insert(rt.expose().to_owned(), token.clone());
        }
        Ok(())
    }

    fn fetch_by_token(&self, token: &str) -> Result<AccessToken> {
        match self.lock().tokens.get(token) {
            Some(t) if !t.is_expired_at(now_unix()) => Ok(t.clone()),
            _ => Err(token_not_found()),
        }
    }

    fn fetch_by_refresh_token(&self, refresh_token: &str) -> Result<AccessToken> {
        match self.lock().refresh.get(refresh_token) {
            Some(t) if !t.is_refresh_expired_at(now_unix()) => Ok(t.clone()),
            _ => Err(refresh_not_found()),
        }
    }

    fn delete_refresh_token(&self, refresh_token: &str) -> Result<bool> {
        let mut m = self.lock();
        let Some(rec) = m.refresh.remove(refresh_token) else {
            return Ok(false);
        };
        let token = rec.token.expose();
        if m.tokens
            .get(token)
            .is_some_and(|t| t.refresh_token.as_ref().map(|r| r.expose()) == Some(refresh_token))
        {
            m.tokens.remove(token);
        }
        let unique = rec.unique_key();
        if m.unique
            .get(&unique)
            .is_some_and(|t| t.token.expose() == token)
        {
            m.unique.remove(&unique);
        }
        Ok(true)
    }

    fn fetch_existing_token_of_user(
        &self,
        client_id: &str,
        grant_type: &str,
        user_id: Option<&str>,
        scopes: &[String],
    ) -> Result<AccessToken> {
        let key = super::access_token::unique_key(client_id, grant_type, user_id);
        match self.lock().unique.get(&key) {
            Some(t) if !t.is_expired_at(now_unix()) && t.has_same_scopes(scopes) => Ok(t.clone()),
            _ => Err(existing_not_found(client_id, grant_type, user_id)),
        }
    }
}
