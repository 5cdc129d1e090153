//! [`EncryptedServerStore`]: an authorization server's clients, codes and
//! tokens kept encrypted at rest, with the envelope and keys of
//! [`EncryptedStore`](crate::store::EncryptedStore).
//!
//! A server store is searched by secret values (an access token, a refresh
//! token, a code), so they cannot simply be sealed with a random nonce.
//! The wrapper stores instead:
//! - in place of each secret lookup value, a **lookup key**
//!   `oakh1.{key id}.{base64url(HMAC-SHA256)}` computed with a key derived
//!   from the sealing key: stable, so the backend still finds the record,
//!   but it reveals nothing of the token and cannot be presented as one;
//! - the secret values themselves (token, refresh token, code, the record's
//!   `data` and a client's secret) sealed as one `oak:v1:` record in the
//!   record's `data` field, under `"oauthkit.sealed"`, bound to the record's
//!   kind and lookup key (a sealed record moved to another entry fails to
//!   open).
//!
//! Expiry times, client ids, grant types, scopes, user ids and redirect URIs
//! stay readable: the backends need them to expire and to find "the
//! existing token of a user".
//!
//! Rotation: new writes use the current key; lookups try the current key's
//! lookup key first, then each older key's, so records written before a
//! rotation are found until the older keys are dropped. Keep an old key
//! until the longest-lived token it sealed (a refresh token) has expired.
//!
//! ```
//! use oauthkit::server::{AccessToken, AccessTokenStore, EncryptedServerStore, MemoryServerStore};
//! use oauthkit::store::SealingKeys;
//! # fn main() -> oauthkit::Result<()> {
//! let keys = SealingKeys::from_text(SealingKeys::generate_key_text().expose())?;
//! let store = EncryptedServerStore::new(MemoryServerStore::new(), keys);
//! store.save_token(&AccessToken::new("app", "client_credentials", "at-123"))?;
//! assert_eq!(store.fetch_by_token("at-123")?.token.expose(), "at-123");
//! // the backend knows no "at-123"
//! assert!(store.inner().fetch_by_token("at-123").is_err());
//! # Ok(()) }
//! ```

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use super::stores::*;
use super::{AccessToken, AuthorizationCode, Client};
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::store::encrypted::{seal_record, Binding, OpenError, SealedRecord};
use crate::store::SealingKeys;

/// The `data` field that holds a record's sealed secrets.
pub const SEALED_FIELD: &str = "oauthkit.sealed";

/// What a lookup key starts with.
const LOOKUP_PREFIX: &str = "oakh1.";

/// Wraps server stores `S` (one value implementing any of [`ClientStore`],
/// [`AuthCodeStore`] and [`AccessTokenStore`]) so that no token, refresh
/// token, code or client secret reaches the backend in plain text. See the
/// repository's [stores guide](https://github.com/oauthkit/oauthkit/blob/main/docs/stores.md).
pub struct EncryptedServerStore<S> {
    inner: S,
    keys: SealingKeys,
}

/// The secrets of one record, sealed together.
#[derive(Serialize, Deserialize)]
struct Secrets {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    value: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh: Option<Secret>,
    #[serde(default)]
    data: Map<String, Value>,
}

/// Record kinds, part of each sealed record's binding.
const TOKEN: &str = "server:access-token";
const CODE: &str = "server:code";
const REFRESH: &str = "server:refresh-token";
const CLIENT: &str = "server:client";

impl<S> EncryptedServerStore<S> {
    /// Wraps `inner`; records are sealed with `keys`' current key.
    pub fn new(inner: S, keys: SealingKeys) -> Self {
        EncryptedServerStore { inner, keys }
    }

    /// The wrapped store (which holds only lookup keys and sealed records).
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// The keys in use.
    pub fn keys(&self) -> &SealingKeys {
        &self.keys
    }

    /// The lookup keys of `value` of `kind`, current key first.
    fn lookups(&self, kind: &str, value: &str) -> Vec<String> {
        let current = self.keys.current_key_id().to_owned();
        let mut ids = vec![current.clone()];
        ids.extend(self.keys.key_ids().into_iter().filter(|id| *id != current));
        ids.iter()
            .filter_map(|id| self.lookup_with(id, kind, value))
            .collect()
    }

    fn current_lookup(&self, kind: &str, value: &str) -> String {
        self.lookup_with(self.keys.current_key_id(), kind, value)
            .expect("the current key is always held")
    }

    fn lookup_with(&self, key_id: &str, kind: &str, value: &str) -> Option<String> {
        let key = self.keys.key(key_id)?;
        let mut ctx = aws_lc_rs::hmac::Context::with_key(&key.lookup);
        ctx.update(kind.as_bytes());
        ctx.update(b"\0");
        ctx.update(value.as_bytes());
        let tag = ctx.sign();
        Some(format!(
            "{LOOKUP_PREFIX}{key_id}.{}",
            URL_SAFE_NO_PAD.encode(tag.as_ref())
        ))
    }

    fn seal(&self, kind: &str, at: &str, secrets: &Secrets) -> Map<String, Value> {
        let json = Zeroizing::new(serde_json::to_vec(secrets).expect("secrets serialise"));
        let record = seal_record(
            &self.keys.current().aead,
            self.keys.current_key_id(),
            Binding {
                namespace: kind,
                key: at,
            },
            &json,
        );
        let mut data = Map::new();
        data.insert(SEALED_FIELD.into(), Value::String(record));
        data
    }

    fn open(&self, kind: &str, at: &str, data: &Map<String, Value>) -> Result<Secrets> {
        let location = || format!("{kind} record {at}");
        let failed = |key_id: Option<&str>, reason: String| Error::Decryption {
            location: location(),
            key_id: key_id.map(str::to_owned),
            reason,
        };
        let Some(Value::String(text)) = data.get(SEALED_FIELD) else {
            return Err(failed(
                None,
                "the record is plain text or carries no sealed secrets; an encrypted server \
                 store does not read plain records"
                    .into(),
            ));
        };
        let envelope = SealedRecord::parse(text).map_err(|e| failed(None, reason(&e)))?;
        let key_id = envelope.key_id.to_owned();
        let Some(key) = self.keys.key(&key_id) else {
            return Err(failed(
                Some(&key_id),
                format!("it was sealed with key '{key_id}', which this store does not hold"),
            ));
        };
        let plain = envelope
            .open(
                &key.aead,
                Binding {
                    namespace: kind,
                    key: at,
                },
            )
            .map(Zeroizing::new)
            .map_err(|e| failed(Some(&key_id), reason(&e)))?;
        serde_json::from_slice(&plain).map_err(|_| {
            failed(
                Some(&key_id),
                "the opened record is not a server record".into(),
            )
        })
    }

    fn seal_token(&self, t: &AccessToken) -> AccessToken {
        let mut stored = t.clone();
        let at = self.current_lookup(TOKEN, t.token.expose());
        stored.refresh_token = t
            .refresh_token
            .as_ref()
            .map(|r| Secret::new(self.current_lookup(REFRESH, r.expose())));
        let secrets = Secrets {
            value: Some(t.token.clone()),
            refresh: t.refresh_token.clone(),
            data: t.data.clone(),
        };
        stored.data = self.seal(TOKEN, &at, &secrets);
        stored.token = Secret::new(at);
        stored
    }

    fn open_token(&self, mut stored: AccessToken) -> Result<AccessToken> {
        let at = stored.token.expose().to_owned();
        let secrets = self.open(TOKEN, &at, &stored.data)?;
        stored.token = secrets.value.ok_or_else(|| Error::Decryption {
            location: format!("{TOKEN} record {at}"),
            key_id: None,
            reason: "the sealed record holds no token".into(),
        })?;
        stored.refresh_token = secrets.refresh;
        stored.data = secrets.data;
        Ok(stored)
    }

    fn seal_code(&self, c: &AuthorizationCode) -> AuthorizationCode {
        let mut stored = c.clone();
        let at = self.current_lookup(CODE, c.code.expose());
        let secrets = Secrets {
            value: Some(c.code.clone()),
            refresh: None,
            data: c.data.clone(),
        };
        stored.data = self.seal(CODE, &at, &secrets);
        stored.code = Secret::new(at);
        stored
    }

    fn open_code(&self, mut stored: AuthorizationCode) -> Result<AuthorizationCode> {
        let at = stored.code.expose().to_owned();
        let secrets = self.open(CODE, &at, &stored.data)?;
        stored.code = secrets.value.ok_or_else(|| Error::Decryption {
            location: format!("{CODE} record {at}"),
            key_id: None,
            reason: "the sealed record holds no code".into(),
        })?;
        stored.data = secrets.data;
        Ok(stored)
    }

    /// The first lookup (current key first) for which `f` finds something.
    fn find<T>(&self, kind: &str, value: &str, f: impl Fn(&str) -> Result<T>) -> Result<T> {
        let mut last = None;
        for lookup in self.lookups(kind, value) {
            match f(&lookup) {
                Err(e) if e.kind() == crate::ErrorKind::NotFound => last = Some(e),
                other => return other,
            }
        }
        Err(last.expect("at least the current key"))
    }
}

fn reason(e: &OpenError) -> String {
    match e {
        OpenError::NotSealed => "the record is not in oauthkit's sealed format".into(),
        OpenError::Malformed(why) => format!("the sealed record is malformed ({why})"),
        OpenError::Integrity => "the integrity check failed: the record was altered, \
                                 truncated or moved from another entry, or the key is wrong"
            .into(),
    }
}

impl<S: ClientStore> ClientStore for EncryptedServerStore<S> {
    fn save_client(&self, client: &Client) -> Result<()> {
        let secrets = Secrets {
            value: Some(client.secret.clone()),
            refresh: None,
            data: Map::new(),
        };
        let mut stored = client.clone();
        let sealed = self.seal(CLIENT, &client.identifier, &secrets);
        let Some(Value::String(record)) = sealed.get(SEALED_FIELD) else {
            unreachable!("seal always writes the sealed field")
        };
        stored.secret = Secret::new(record.clone());
        self.inner.save_client(&stored)
    }

    fn fetch_by_client_id(&self, client_id: &str) -> Result<Client> {
        let mut stored = self.inner.fetch_by_client_id(client_id)?;
        let mut data = Map::new();
        data.insert(
            SEALED_FIELD.into(),
            Value::String(stored.secret.expose().to_owned()),
        );
        let secrets = self.open(CLIENT, &stored.identifier, &data)?;
        stored.secret = secrets.value.unwrap_or_else(|| Secret::new(String::new()));
        Ok(stored)
    }

    fn delete_client(&self, client_id: &str) -> Result<bool> {
        self.inner.delete_client(client_id)
    }
}

impl<S: AuthCodeStore> AuthCodeStore for EncryptedServerStore<S> {
    fn save_code(&self, code: &AuthorizationCode) -> Result<()> {
        self.inner.save_code(&self.seal_code(code))
    }

    fn fetch_by_code(&self, code: &str) -> Result<AuthorizationCode> {
        let stored = self.find(CODE, code, |l| self.inner.fetch_by_code(l))?;
        self.open_code(stored)
    }

    fn delete_code(&self, code: &str) -> Result<bool> {
        let mut any = false;
        for lookup in self.lookups(CODE, code) {
            any |= self.inner.delete_code(&lookup)?;
        }
        Ok(any)
    }

    fn take_code(&self, code: &str) -> Result<AuthorizationCode> {
        // the backend's own (atomic) take
        let stored = self.find(CODE, code, |l| self.inner.take_code(l))?;
        self.open_code(stored)
    }
}

impl<S: AccessTokenStore> AccessTokenStore for EncryptedServerStore<S> {
    fn save_token(&self, token: &AccessToken) -> Result<()> {
        self.inner.save_token(&self.seal_token(token))
    }

    fn fetch_by_token(&self, token: &str) -> Result<AccessToken> {
        let stored = self.find(TOKEN, token, |l| self.inner.fetch_by_token(l))?;
        self.open_token(stored)
    }

    fn fetch_by_refresh_token(&self, refresh_token: &str) -> Result<AccessToken> {
        let stored = self.find(REFRESH, refresh_token, |l| {
            self.inner.fetch_by_refresh_token(l)
        })?;
        self.open_token(stored)
    }

    fn delete_refresh_token(&self, refresh_token: &str) -> Result<bool> {
        let mut any = false;
        for lookup in self.lookups(REFRESH, refresh_token) {
            any |= self.inner.delete_refresh_token(&lookup)?;
        }
        Ok(any)
    }

    fn fetch_existing_token_of_user(
        &self,
        client_id: &str,
        grant_type: &str,
        user_id: Option<&str>,
        scopes: &[String],
    ) -> Result<AccessToken> {
        let stored = self
            .inner
            .fetch_existing_token_of_user(client_id, grant_type, user_id, scopes)?;
        self.open_token(stored)
    }
}

impl<S> fmt::Debug for EncryptedServerStore<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptedServerStore")
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}
