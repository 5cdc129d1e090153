//! The server stores over a key-value service (Redis, memcached) in
//! python-oauth2's key scheme, without its bugs.
//!
//! | entry | key | value | expires |
//! |---|---|---|---|
//! | client | `{prefix}_{client_id}` | `Client` JSON | never |
//! | authorization code | `{prefix}_{code}` | `AuthorizationCode` JSON | at `expires_at` |
//! | access token | `{prefix}_{token}` | `AccessToken` JSON | at `expires_at` |
//! | refresh token | `{prefix}_{refresh_token}` | the same `AccessToken` JSON | at `refresh_expires_at` |
//! | latest token of a user | `{prefix}_{client_id}_{grant_type}_{user_id}` | the same `AccessToken` JSON | at `expires_at` |
//!
//! All kinds share one key space, as in python-oauth2, so every read checks
//! that the entry is of the kind asked for and is the one asked for (an
//! access token presented as an authorization code, or a refresh token
//! presented as an access token, is not found). Expired entries are never
//! returned, even in the second before the service drops them.

use serde::de::DeserializeOwned;

use super::access_token::unique_key;
use super::stores::*;
use super::{AccessToken, AuthorizationCode, Client};
use crate::error::{Error, Result};
use crate::token::now_unix;

/// The few operations the server stores need from a key-value service.
pub(crate) trait KeyValue: Send + Sync {
    /// The backend's name, for messages.
    fn backend(&self) -> &'static str;
    fn get(&self, key: &str) -> Result<Option<String>>;
    /// Stores `value`, expiring at `expires_at` (Unix seconds; `None`:
    /// never). An expiry already past deletes the key instead.
    fn set(&self, key: &str, value: &str, expires_at: Option<i64>) -> Result<()>;
    fn delete(&self, key: &str) -> Result<bool>;
    /// Gets and deletes; `None` when absent or another caller took it.
    fn take(&self, key: &str) -> Result<Option<String>> {
        let v = self.get(key)?;
        if v.is_some() && self.delete(key)? {
            Ok(v)
        } else {
            Ok(None)
        }
    }
}

/// The store logic, generic over the service.
pub(crate) struct KvServer<B> {
    pub(crate) kv: B,
    pub(crate) prefix: String,
    /// Also write tokens under the unprefixed keys python-oauth2 1.1.1's
    /// memcache store looks refresh tokens and users' tokens up by.
    pub(crate) unprefixed_aliases: bool,
}

/// Parses an entry as `T`: not JSON is [`Error::Corrupt`]; JSON of another
/// kind is `None` (another kind of entry shares the key space).
fn parse<T: DeserializeOwned>(backend: &str, what: &str, json: &str) -> Result<Option<T>> {
    let value: serde_json::Value = serde_json::from_str(json).map_err(|e| {
        Error::corrupt(
            format!("{backend} entry of {what}"),
            crate::token::json_error(&e),
        )
    })?;
    Ok(serde_json::from_value(value).ok())
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("server records serialise")
}

impl<B: KeyValue> KvServer<B> {
    fn key(&self, id: &str) -> String {
        format!("{}_{id}", self.prefix)
    }

    fn read<T: DeserializeOwned>(&self, what: &str, id: &str) -> Result<Option<T>> {
        match self.kv.get(&self.key(id)) {
            Ok(Some(j)) => parse(self.kv.backend(), what, &j),
            Ok(None) => Ok(None),
            // Name the kind of entry (never the key: it is a secret).
            Err(Error::Corrupt { location, message }) => {
                Err(Error::corrupt(format!("{location} of {what}"), message))
            }
            Err(e) => Err(e),
        }
    }

    /// The unprefixed key python-oauth2 1.1.1 reads `id` from, unless
    /// aliases are off or it would land inside this store's own prefix.
    fn alias(&self, id: &str) -> Option<String> {
        let own = format!("{}_", self.prefix);
        (self.unprefixed_aliases && !id.starts_with(&own)).then(|| id.to_owned())
    }

    fn check(what: &str, id: &str) -> Result<()> {
        if id.is_empty() || id.chars().any(char::is_control) {
            return Err(Error::InvalidArgument(format!(
                "{what} must be non-empty without control characters"
            )));
        }
        Ok(())
    }

    pub(crate) fn save_client(&self, client: &Client) -> Result<()> {
        Self::check("client id", &client.identifier)?;
        self.kv
            .set(&self.key(&client.identifier), &json(client), None)
    }

    pub(crate) fn fetch_by_client_id(&self, client_id: &str) -> Result<Client> {
        Self::check("client id", client_id)?;
        match self.read::<Client>("a client", client_id)? {
            Some(c) if c.identifier == client_id => Ok(c),
            _ => Err(client_not_found(client_id)),
        }
    }

    pub(crate) fn delete_client(&self, client_id: &str) -> Result<bool> {
        if self.fetch_by_client_id(client_id).is_err() {
            return Ok(false);
        }
        self.kv.delete(&self.key(client_id))
    }

    pub(crate) fn save_code(&self, code: &AuthorizationCode) -> Result<()> {
        Self::check("authorization code", code.code.expose())?;
        self.kv.set(
            &self.key(code.code.expose()),
            &json(code),
            Some(code.expires_at),
        )
    }

    fn valid_code(code: &str, found: Option<AuthorizationCode>) -> Result<AuthorizationCode> {
        match found {
            Some(c) if c.code.expose() == code && !c.is_expired_at(now_unix()) => Ok(c),
            _ => Err(code_not_found()),
        }
    }

    pub(crate) fn fetch_by_code(&self, code: &str) -> Result<AuthorizationCode> {
        Self::check("authorization code", code)?;
        Self::valid_code(code, self.read("an authorization code", code)?)
    }

    pub(crate) fn delete_code(&self, code: &str) -> Result<bool> {
        Self::check("authorization code", code)?;
        // Only delete what really is this code (not a token sharing the
        // key space).
        match self.read::<AuthorizationCode>("an authorization code", code)? {
            Some(c) if c.code.expose() == code => self.kv.delete(&self.key(code)),
            _ => Ok(false),
        }
    }

    pub(crate) fn take_code(&self, code: &str) -> Result<AuthorizationCode> {
        Self::check("authorization code", code)?;
        // Check the kind before taking, so a token presented as a code is
        // not deleted.
        match self.read::<AuthorizationCode>("an authorization code", code)? {
            Some(c) if c.code.expose() == code => {}
            _ => return Err(code_not_found()),
        }
        let taken = match self.kv.take(&self.key(code))? {
            Some(j) => parse(self.kv.backend(), "an authorization code", &j)?,
            None => None,
        };
        Self::valid_code(code, taken)
    }

    pub(crate) fn save_token(&self, t: &AccessToken) -> Result<()> {
        Self::check("access token", t.token.expose())?;
        let body = json(t);
        self.kv
            .set(&self.key(t.token.expose()), &body, t.expires_at)?;
        self.kv
            .set(&self.key(&t.unique_key()), &body, t.expires_at)?;
        if let Some(rt) = &t.refresh_token {
            Self::check("refresh token", rt.expose())?;
            self.kv
                .set(&self.key(rt.expose()), &body, t.refresh_expires_at)?;
            if let Some(alias) = self.alias(rt.expose()) {
                self.kv.set(&alias, &body, t.refresh_expires_at)?;
            }
        }
        if let Some(alias) = self.alias(&t.unique_key()) {
            self.kv.set(&alias, &body, t.expires_at)?;
        }
        Ok(())
    }

    /// Deletes the unprefixed alias `id` if it still holds `token`.
    fn delete_alias(&self, id: &str, token: &str) -> Result<()> {
        let Some(alias) = self.alias(id) else {
            return Ok(());
        };
        let found = match self.kv.get(&alias)? {
            Some(j) => parse::<AccessToken>(self.kv.backend(), "an access token", &j)?,
            None => None,
        };
        if found.is_some_and(|t| t.token.expose() == token) {
            self.kv.delete(&alias)?;
        }
        Ok(())
    }

    pub(crate) fn fetch_by_token(&self, token: &str) -> Result<AccessToken> {
        Self::check("access token", token)?;
        match self.read::<AccessToken>("an access token", token)? {
            Some(t) if t.token.expose() == token && !t.is_expired_at(now_unix()) => Ok(t),
            _ => Err(token_not_found()),
        }
    }

    fn refresh_record(&self, rt: &str) -> Result<Option<AccessToken>> {
        Ok(self
            .read::<AccessToken>("a refresh token", rt)?
            .filter(|t| t.refresh_token.as_ref().is_some_and(|r| r.expose() == rt)))
    }

    pub(crate) fn fetch_by_refresh_token(&self, rt: &str) -> Result<AccessToken> {
        Self::check("refresh token", rt)?;
        match self.refresh_record(rt)? {
            Some(t) if !t.is_refresh_expired_at(now_unix()) => Ok(t),
            _ => Err(refresh_not_found()),
        }
    }

    pub(crate) fn delete_refresh_token(&self, rt: &str) -> Result<bool> {
        Self::check("refresh token", rt)?;
        let Some(rec) = self.refresh_record(rt)? else {
            return Ok(false);
        };
        self.kv.delete(&self.key(rt))?;
        let token = rec.token.expose();
        if let Some(t) = self.read::<AccessToken>("an access token", token)? {
            if t.token.expose() == token
                && t.refresh_token.as_ref().is_some_and(|r| r.expose() == rt)
            {
                self.kv.delete(&self.key(token))?;
            }
        }
        let unique = rec.unique_key();
        if let Some(t) = self.read::<AccessToken>("an access token", &unique)? {
            if t.token.expose() == token {
                self.kv.delete(&self.key(&unique))?;
            }
        }
        self.delete_alias(rt, token)?;
        self.delete_alias(&unique, token)?;
        Ok(true)
    }

    pub(crate) fn fetch_existing_token_of_user(
        &self,
        client_id: &str,
        grant_type: &str,
        user_id: Option<&str>,
        scopes: &[String],
    ) -> Result<AccessToken> {
        let key = unique_key(client_id, grant_type, user_id);
        match self.read::<AccessToken>("an access token", &key)? {
            Some(t)
                if t.client_id == client_id
                    && t.grant_type == grant_type
                    && t.user_id.as_deref().unwrap_or("None") == user_id.unwrap_or("None")
                    && !t.is_expired_at(now_unix())
                    && t.has_same_scopes(scopes) =>
            {
                Ok(t)
            }
            _ => Err(existing_not_found(client_id, grant_type, user_id)),
        }
    }
}

/// Implements the three store traits for `$ty`, whose field `inner` is a
/// [`KvServer`].
macro_rules! forward_server_stores {
    ($ty:ty) => {
        impl $crate::server::ClientStore for $ty {
            fn save_client(&self, c: &$crate::server::Client) -> $crate::Result<()> {
                self.inner.save_client(c)
            }
            fn fetch_by_client_id(&self, id: &str) -> $crate::Result<$crate::server::Client> {
                self.inner.fetch_by_client_id(id)
            }
            fn delete_client(&self, id: &str) -> $crate::Result<bool> {
                self.inner.delete_client(id)
            }
        }
        impl $crate::server::AuthCodeStore for $ty {
            fn save_code(&self, c: &$crate::server::AuthorizationCode) -> $crate::Result<()> {
                self.inner.save_code(c)
            }
            fn fetch_by_code(&self, c: &str) -> $crate::Result<$crate::server::AuthorizationCode> {
                self.inner.fetch_by_code(c)
            }
            fn delete_code(&self, c: &str) -> $crate::Result<bool> {
                self.inner.delete_code(c)
            }
            fn take_code(&self, c: &str) -> $crate::Result<$crate::server::AuthorizationCode> {
                self.inner.take_code(c)
            }
        }
        impl $crate::server::AccessTokenStore for $ty {
            fn save_token(&self, t: &$crate::server::AccessToken) -> $crate::Result<()> {
                self.inner.save_token(t)
            }
            fn fetch_by_token(&self, t: &str) -> $crate::Result<$crate::server::AccessToken> {
                self.inner.fetch_by_token(t)
            }
            fn fetch_by_refresh_token(
                &self,
                t: &str,
            ) -> $crate::Result<$crate::server::AccessToken> {
                self.inner.fetch_by_refresh_token(t)
            }
            fn delete_refresh_token(&self, t: &str) -> $crate::Result<bool> {
                self.inner.delete_refresh_token(t)
            }
            fn fetch_existing_token_of_user(
                &self,
                client_id: &str,
                grant_type: &str,
                user_id: Option<&str>,
                scopes: &[String],
            ) -> $crate::Result<$crate::server::AccessToken> {
                self.inner
                    .fetch_existing_token_of_user(client_id, grant_type, user_id, scopes)
            }
        }
    };
}
pub(crate) use forward_server_stores;
