//! [`ValidatingStore`]: checks token sets on their way in and out of a store.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::time::Duration;

use super::forward::Wraps;
use super::{KeyLock, TokenStore};
use crate::error::{Error, Result};
use crate::token::{now_unix, TokenSet};

/// What a validator knows besides the token set itself.
#[derive(Debug, Clone, Default)]
pub struct ValidationContext {
    /// The identity (`sub`) pinned for this store: the first one seen.
    pub pinned_identity: Option<String>,
}

/// One check on token sets; three validators are provided, and
/// [`ValidatingStore::require_scopes`] adds a fourth check.
///
/// A validator returns `Err(reason)`; the store turns it into
/// [`Error::Validation`] naming the validator and the key.
pub trait TokenValidator: Send + Sync {
    /// A short name used in errors, e.g. `"not_expired"`.
    fn name(&self) -> &'static str;

    /// Checks a token set before it is saved.
    ///
    /// # Errors
    ///
    /// `Err(reason)` refuses the save: the store returns [`Error::Validation`]
    /// naming this validator, the key and `reason`, and writes nothing.
    /// `reason` must not quote a token or other secret.
    fn before_save(
        &self,
        key: &str,
        tokens: &TokenSet,
        ctx: &ValidationContext,
    ) -> Result<(), String> {
        let _ = (key, tokens, ctx);
        Ok(())
    }

    /// Checks a token set after it is loaded.
    ///
    /// # Errors
    ///
    /// `Err(reason)` refuses the loaded set: the store returns
    /// [`Error::Validation`] naming this validator, the key and `reason`, and
    /// leaves the stored set as it is. `reason` must not quote a secret.
    fn after_load(
        &self,
        key: &str,
        tokens: &TokenSet,
        ctx: &ValidationContext,
    ) -> Result<(), String> {
        let _ = (key, tokens, ctx);
        Ok(())
    }
}

/// Refuses loaded token sets whose access token has expired (or expires
/// within the leeway). Unknown expiry passes.
#[derive(Debug, Clone, Default)]
pub struct NotExpired {
    /// Seconds before the real expiry at which a token already counts as
    /// expired.
    pub leeway_secs: i64,
}

impl TokenValidator for NotExpired {
    fn name(&self) -> &'static str {
        "not_expired"
    }
    fn after_load(&self, _: &str, t: &TokenSet, _: &ValidationContext) -> Result<(), String> {
        match t.expires_at {
            Some(at) if t.is_expired_at(now_unix(), self.leeway_secs) => {
                Err(format!("the access token expired at {at} (Unix time)"))
            }
            _ => Ok(()),
        }
    }
}

/// Refuses loaded token sets without a refresh token.
#[derive(Debug, Clone, Default)]
pub struct HasRefreshToken;

impl TokenValidator for HasRefreshToken {
    fn name(&self) -> &'static str {
        "has_refresh_token"
    }
    fn after_load(&self, _: &str, t: &TokenSet, _: &ValidationContext) -> Result<(), String> {
        match &t.refresh_token {
            Some(rt) if !rt.is_empty() => Ok(()),
            _ => Err("no refresh token".into()),
        }
    }
}

/// The scopes token sets must have ([`ValidatingStore::require_scopes`],
/// [`ValidatingStore::require_scopes_for`]), checked on save and on load
/// under the validator name `scope_requirements`.
#[derive(Debug, Clone, Default)]
struct ScopeRequirements {
    every_key: Vec<String>,
    by_key: BTreeMap<String, Vec<String>>,
}

impl ScopeRequirements {
    fn check(&self, key: &str, t: &TokenSet) -> Result<(), String> {
        let missing: BTreeSet<&str> = self
            .every_key
            .iter()
            .chain(self.by_key.get(key).into_iter().flatten())
            .filter(|s| !t.has_scope(s))
            .map(String::as_str)
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "missing required scopes: {}",
                missing.into_iter().collect::<Vec<_>>().join(" ")
            ))
        }
    }
}

impl TokenValidator for ScopeRequirements {
    fn name(&self) -> &'static str {
        "scope_requirements"
    }
    fn before_save(&self, key: &str, t: &TokenSet, _: &ValidationContext) -> Result<(), String> {
        self.check(key, t)
    }
    fn after_load(&self, key: &str, t: &TokenSet, _: &ValidationContext) -> Result<(), String> {
        self.check(key, t)
    }
}

/// Refuses to save a token set without an identity, or with an identity
/// other than the one pinned for the store (the first one seen).
#[derive(Debug, Clone, Default)]
pub struct UnchangingIdentity;

impl TokenValidator for UnchangingIdentity {
    fn name(&self) -> &'static str {
        "unchanging_identity"
    }
    fn before_save(&self, _: &str, t: &TokenSet, ctx: &ValidationContext) -> Result<(), String> {
        match (&t.identity_id, &ctx.pinned_identity) {
            (None, _) => Err("the token set has no identity_id".into()),
            (Some(new), Some(pinned)) if new != pinned => {
                Err(format!("identity changed from '{pinned}' to '{new}'"))
            }
            _ => Ok(()),
        }
    }
}

/// Wraps a store and runs validators on every save and load.
///
/// The store pins an identity: the single identity already stored when it
/// is created (two different stored identities are an error), or else the
/// first one saved. [`UnchangingIdentity`] refuses any other.
/// Deletes pass through unvalidated.
///
/// ```
/// use oauthkit::store::{MemoryStore, ValidatingStore};
/// use oauthkit::unversioned::store::NotExpired;
/// use oauthkit::{ErrorKind, TokenSet, TokenStore};
/// let inner = MemoryStore::new();
/// inner.save("k", &TokenSet::bearer("at").with_expires_at(1)).unwrap();
/// let store = ValidatingStore::new(inner)
///     .unwrap()
///     .validator(NotExpired::default());
/// let err = store.load("k").unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::Validation);
/// assert!(matches!(err, oauthkit::Error::Validation { validator: "not_expired", .. }));
/// ```
pub struct ValidatingStore<S> {
    inner: S,
    checks: Vec<Check>,
    scopes: ScopeRequirements,
    pinned: Mutex<Option<String>>,
}

/// One check of a [`ValidatingStore`], in the order added.
enum Check {
    /// A validator added with [`ValidatingStore::validator`].
    Validator(Box<dyn TokenValidator>),
    /// The store's required scopes (added by the first `require_scopes*`).
    Scopes,
}

impl Check {
    fn validator<'a>(&'a self, scopes: &'a ScopeRequirements) -> &'a dyn TokenValidator {
        match self {
            Check::Validator(v) => v.as_ref(),
            Check::Scopes => scopes,
        }
    }
}

impl<S: TokenStore> ValidatingStore<S> {
    /// Wraps `inner` with no validators yet; pins the identity already
    /// stored in its namespace, if any.
    ///
    /// # Errors
    ///
    /// As [`TokenStore::load_all`] on `inner`; [`Error::Validation`]
    /// (`unchanging_identity`) when `inner`'s namespace already holds token sets
    /// of more than one identity.
    pub fn new(inner: S) -> Result<Self> {
        let ids: BTreeSet<String> = inner
            .load_all()?
            .into_values()
            .filter_map(|t| t.identity_id)
            .collect();
        if ids.len() > 1 {
            return Err(Error::Validation {
                validator: "unchanging_identity",
                key: "*".into(),
                reason: format!("the store already holds {} different identities", ids.len()),
            });
        }
        Ok(ValidatingStore {
            inner,
            checks: Vec::new(),
            scopes: ScopeRequirements::default(),
            pinned: Mutex::new(ids.into_iter().next()),
        })
    }

    /// Adds a validator; they run in the order added.
    pub fn validator(mut self, v: impl TokenValidator + 'static) -> Self {
        self.checks.push(Check::Validator(Box::new(v)));
        self
    }

    /// Requires `scopes` of every token set, saved or loaded; a set that
    /// lacks one is refused with [`Error::Validation`] (validator
    /// `scope_requirements`, naming the missing scopes). Calls add up; the
    /// check runs where the first `require_scopes*` call puts it among the
    /// validators.
    ///
    /// ```
    /// use oauthkit::store::{MemoryStore, ValidatingStore};
    /// use oauthkit::{TokenSet, TokenStore};
    /// let store = ValidatingStore::new(MemoryStore::new())?
    ///     .require_scopes(["openid"])
    ///     .require_scopes_for("api", ["api:read"]);
    /// store.save("api", &TokenSet::bearer("at").with_scopes(["openid", "api:read"]))?;
    /// let err = store
    ///     .save("api", &TokenSet::bearer("at").with_scopes(["openid"]))
    ///     .unwrap_err();
    /// assert!(matches!(err, oauthkit::Error::Validation { validator: "scope_requirements", .. }));
    /// assert!(err.to_string().contains("api:read"));
    /// # Ok::<(), oauthkit::Error>(())
    /// ```
    pub fn require_scopes<I, T>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        self.scopes
            .every_key
            .extend(scopes.into_iter().map(Into::into));
        self.add_scope_check()
    }

    /// Requires `scopes` of the token set under `key` (besides those of
    /// [`require_scopes`](Self::require_scopes)), saved or loaded.
    pub fn require_scopes_for<I, T>(mut self, key: impl Into<String>, scopes: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        self.scopes
            .by_key
            .entry(key.into())
            .or_default()
            .extend(scopes.into_iter().map(Into::into));
        self.add_scope_check()
    }

    fn add_scope_check(mut self) -> Self {
        if !self.checks.iter().any(|c| matches!(c, Check::Scopes)) {
            self.checks.push(Check::Scopes);
        }
        self
    }

    /// The identity pinned so far.
    pub fn pinned_identity(&self) -> Option<String> {
        self.pinned
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The wrapped store.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    fn context(&self) -> ValidationContext {
        ValidationContext {
            pinned_identity: self.pinned_identity(),
        }
    }

    fn fail(v: &dyn TokenValidator, key: &str, reason: String) -> Error {
        Error::Validation {
            validator: v.name(),
            key: key.to_owned(),
            reason,
        }
    }

    fn check_save(&self, key: &str, t: &TokenSet, ctx: &ValidationContext) -> Result<()> {
        for c in &self.checks {
            let v = c.validator(&self.scopes);
            v.before_save(key, t, ctx)
                .map_err(|r| Self::fail(v, key, r))?;
        }
        Ok(())
    }

    fn check_load(&self, key: &str, t: &TokenSet, ctx: &ValidationContext) -> Result<()> {
        for c in &self.checks {
            let v = c.validator(&self.scopes);
            v.after_load(key, t, ctx)
                .map_err(|r| Self::fail(v, key, r))?;
        }
        Ok(())
    }

    fn pin(&self, tokens: &TokenSet) {
        let mut pinned = self.pinned.lock().unwrap_or_else(|p| p.into_inner());
        if pinned.is_none() {
            pinned.clone_from(&tokens.identity_id);
        }
    }
}

impl<S: TokenStore> Wraps for ValidatingStore<S> {
    type Inner = S;
    fn wrapped(&self) -> &S {
        &self.inner
    }
}

impl<S: TokenStore> TokenStore for ValidatingStore<S> {
    // Validation happens on the way in and out; the rest is the inner store's.
    forward_to_wrapped!(
        delete,
        exists,
        list_keys,
        namespace,
        namespaces,
        protects_secrets,
        backend,
        lock_key,
        delete_locked,
    );
    fn save(&self, key: &str, tokens: &TokenSet) -> Result<()> {
        self.check_save(key, tokens, &self.context())?;
        self.inner.save(key, tokens)?;
        self.pin(tokens);
        Ok(())
    }

    fn load(&self, key: &str) -> Result<Option<TokenSet>> {
        let Some(t) = self.inner.load(key)? else {
            return Ok(None);
        };
        self.check_load(key, &t, &self.context())?;
        Ok(Some(t))
    }

    fn load_all(&self) -> Result<BTreeMap<String, TokenSet>> {
        let all = self.inner.load_all()?;
        let ctx = self.context();
        for (k, t) in &all {
            self.check_load(k, t, &ctx)?;
        }
        Ok(all)
    }

    fn save_all(&self, tokens: &BTreeMap<String, TokenSet>) -> Result<()> {
        // Later entries of the batch are checked against the identity the
        // earlier ones would pin, so one batch cannot mix identities.
        let mut ctx = self.context();
        for (k, t) in tokens {
            self.check_save(k, t, &ctx)?;
            if ctx.pinned_identity.is_none() {
                ctx.pinned_identity.clone_from(&t.identity_id);
            }
        }
        self.inner.save_all(tokens)?;
        if let Some(t) = tokens.values().find(|t| t.identity_id.is_some()) {
            self.pin(t);
        }
        Ok(())
    }

    fn save_locked(&self, key: &str, tokens: &TokenSet, lock: &KeyLock) -> Result<()> {
        self.check_save(key, tokens, &self.context())?;
        self.inner.save_locked(key, tokens, lock)?;
        self.pin(tokens);
        Ok(())
    }
}
