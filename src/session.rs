//! [`SessionManager`]: a fresh access token on demand, refreshing once per
//! key however many threads and processes ask.
//!
//! `access_token(key)`:
//!
//! 1. reads the store; a token that does not expire within the margin
//!    (default 60 s) is returned as is;
//! 2. otherwise takes the key's in-process lock (single flight: the other
//!    threads wait here), then the store's cross-process lock
//!    ([`TokenStore::lock_key`]), and reads the store **again**: another
//!    thread or process may have refreshed meanwhile, and its token is used
//!    instead of spending the (possibly rotating) refresh token twice;
//! 3. confirms the store's lock is still held right before spending the
//!    refresh token ([`KeyLock::confirm`]; lost, e.g. a lease that ran out
//!    while the process was paused: it takes the lock again and re-reads);
//! 4. refreshes, keeps the old refresh token when the provider returned
//!    none, saves the new set fenced by the lock
//!    ([`TokenStore::save_locked`]: written only while the lock is still
//!    this one, checked by the store in the same atomic step), tells the
//!    hook, and releases the locks.
//!
//! A holder that lost the lock never writes or deletes: a refresh answered
//! after the lock was lost is saved only if nobody touched the key meanwhile
//! (the lock is taken again and the store still holds what was spent);
//! otherwise it is discarded and the call fails with [`Error::LockLost`].
//!
//! A refresh the provider answers with `invalid_grant` means the grant is
//! gone: the stored tokens are deleted (fenced too) and the error (kind
//! [`ErrorKind::InvalidGrant`](crate::ErrorKind::InvalidGrant)) says so.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use self::logout::sign_out;
use crate::backoff::Backoff;
use crate::error::{Error, Result, SignInReason};
use crate::provider::{Provider, TokenRefresh};
use crate::secret::Secret;
use crate::store::{KeyLock, TokenStore};
use crate::token::TokenSet;

pub(crate) mod background;
mod client_credentials;
mod dpop;
pub(crate) mod logout;

// What an application names; the rest is in `crate::unversioned::session`.
pub use background::BackgroundRefresh;
pub use logout::{LogoutReport, RevocationOutcome};

/// Refresh when the access token expires within this margin (a minute:
/// it absorbs clock skew and request latency).
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// How long to wait for another process's refresh before giving up.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(30);

/// Waiting this long or more for a store's key lock is logged (`info`).
pub const LOCK_WAIT_LOG_THRESHOLD: Duration = Duration::from_secs(1);

/// A hook told of every refreshed token set: `(key, tokens)`.
pub type RefreshHook = Arc<dyn Fn(&str, &TokenSet) + Send + Sync>;

/// Keeps stored token sets fresh. Share it between threads in an `Arc`.
///
/// ```no_run
/// use std::sync::Arc;
/// use oauthkit::session::SessionManager;
/// # fn provider() -> Arc<dyn oauthkit::provider::Provider> { unimplemented!() }
/// let store: Arc<dyn oauthkit::TokenStore> = oauthkit::store::open_default()?;
/// let sessions = SessionManager::new(provider(), store)
///     .on_refresh(|key, _tokens| eprintln!("refreshed tokens of {key}"));
/// let at = sessions.access_token("alice")?;
/// // send `Authorization: Bearer {at.expose()}`
/// # Ok::<(), oauthkit::Error>(())
/// ```
pub struct SessionManager {
    provider: Arc<dyn Provider>,
    store: Arc<dyn TokenStore>,
    margin: Duration,
    lock_timeout: Duration,
    hook: Option<RefreshHook>,
    flights: Mutex<HashMap<String, Arc<Mutex<()>>>>,
    /// DPoP nonces of the resource servers the application calls
    /// (`session/dpop.rs`).
    resource_nonces: crate::provider::dpop::DpopNonces,
}

impl std::fmt::Debug for SessionManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionManager")
            .field("provider", &self.provider.name())
            .field("store", &self.store.backend())
            .field("margin", &self.margin)
            .finish_non_exhaustive()
    }
}

impl SessionManager {
    /// A manager over `store`, refreshing through `provider`.
    pub fn new(provider: Arc<dyn Provider>, store: Arc<dyn TokenStore>) -> Self {
        SessionManager {
            provider,
            store,
            margin: DEFAULT_REFRESH_MARGIN,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            hook: None,
            flights: Mutex::new(HashMap::new()),
            resource_nonces: Default::default(),
        }
    }

    /// Sets the refresh margin.
    pub fn margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// Sets how long to wait for the cross-process lock.
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// Sets the hook told of every refreshed token set (so applications that
    /// keep tokens elsewhere too can persist them).
    pub fn on_refresh(mut self, hook: impl Fn(&str, &TokenSet) + Send + Sync + 'static) -> Self {
        self.hook = Some(Arc::new(hook));
        self
    }

    /// The store the tokens live in.
    pub fn store(&self) -> Arc<dyn TokenStore> {
        self.store.clone()
    }

    /// The provider tokens are refreshed with.
    pub fn provider(&self) -> Arc<dyn Provider> {
        self.provider.clone()
    }

    /// Saves a token set (after a sign-in).
    ///
    /// # Errors
    ///
    /// As [`TokenStore::save`].
    pub fn save_tokens(&self, key: &str, tokens: &TokenSet) -> Result<()> {
        self.store.save(key, tokens)
    }

    /// A valid access token for `key`, refreshed first when it expires
    /// within the margin.
    ///
    /// # Errors
    ///
    /// [`Error::SignInRequired`] when no tokens are stored or the access
    /// token expired without a refresh token; the provider's
    /// [`Error::OAuth`] `invalid_grant` when the grant is revoked or
    /// expired (the stored tokens are then deleted); both answer `true` to
    /// [`Error::needs_sign_in`]. Otherwise a transport ([`Error::Http`]) or
    /// other provider error, an ID token naming another user
    /// ([`Error::IdToken`]), [`Error::LockTimeout`] when another process
    /// held the key's lock past the lock timeout, [`Error::LockLost`] when
    /// this process lost the lock during the refresh and another process
    /// wrote or deleted the key meanwhile (nothing written; call again), or
    /// a store error.
    pub fn access_token(&self, key: &str) -> Result<Secret> {
        Ok(self.tokens(key)?.access_token)
    }

    /// The token set of `key`, refreshed first when its access token
    /// expires within the margin.
    ///
    /// # Errors
    ///
    /// [`Error::SignInRequired`] when no tokens are stored or the access
    /// token expired without a refresh token; the provider's
    /// [`Error::OAuth`] `invalid_grant` when the grant is revoked or
    /// expired (the stored tokens are then deleted); both answer `true` to
    /// [`Error::needs_sign_in`]. Otherwise a transport ([`Error::Http`]) or
    /// other provider error, an ID token naming another user
    /// ([`Error::IdToken`]), [`Error::LockTimeout`] when another process
    /// held the key's lock past the lock timeout, [`Error::LockLost`] when
    /// this process lost the lock during the refresh and another process
    /// wrote or deleted the key meanwhile (nothing written; call again), or
    /// a store error.
    pub fn tokens(&self, key: &str) -> Result<TokenSet> {
        let current = self.load_required(key)?;
        if !self.needs_refresh(&current) {
            return Ok(current);
        }
        self.refresh_inner(key, false)
    }

    /// Refreshes now, whatever the expiry (still once per key at a time:
    /// callers that queued behind a refresh get its result).
    ///
    /// # Errors
    ///
    /// [`Error::SignInRequired`] when no tokens are stored or the access
    /// token expired without a refresh token; the provider's
    /// [`Error::OAuth`] `invalid_grant` when the grant is revoked or
    /// expired (the stored tokens are then deleted); both answer `true` to
    /// [`Error::needs_sign_in`]. Otherwise a transport ([`Error::Http`]) or
    /// other provider error, an ID token naming another user
    /// ([`Error::IdToken`]), [`Error::LockTimeout`] when another process
    /// held the key's lock past the lock timeout, [`Error::LockLost`] when
    /// this process lost the lock during the refresh and another process
    /// wrote or deleted the key meanwhile (nothing written; call again), or
    /// a store error.
    pub fn refresh(&self, key: &str) -> Result<TokenSet> {
        self.refresh_inner(key, true)
    }

    /// Whether `key` has tokens whose access token expires within the
    /// margin.
    ///
    /// # Errors
    ///
    /// As [`TokenStore::load`].
    pub fn needs_refresh_now(&self, key: &str) -> Result<bool> {
        Ok(self
            .store
            .load(key)?
            .is_some_and(|t| self.needs_refresh(&t)))
    }

    /// Signs out: revokes the refresh token, then the access token, and
    /// deletes the stored tokens whatever the network said. The report
    /// says whether tokens were stored, whether the provider revoked them
    /// (or has no revocation endpoint, or failed: which token and why,
    /// never the token itself) and whether they were deleted.
    ///
    /// # Errors
    ///
    /// Only a store error (reading or deleting); revocation failures are
    /// in the report.
    pub fn logout(&self, key: &str) -> Result<LogoutReport> {
        sign_out(&*self.provider, &*self.store, key)
    }

    fn needs_refresh(&self, t: &TokenSet) -> bool {
        // Saturating: a margin beyond i64 seconds means "always due", never
        // a wrapped negative margin.
        t.is_expired(i64::try_from(self.margin.as_secs()).unwrap_or(i64::MAX))
    }

    fn load_required(&self, key: &str) -> Result<TokenSet> {
        self.store.load(key)?.ok_or_else(|| Error::SignInRequired {
            key: key.to_string(),
            reason: SignInReason::NoTokens,
        })
    }

    fn flight(&self, key: &str) -> Arc<Mutex<()>> {
        let mut flights = self.flights.lock().unwrap_or_else(|p| p.into_inner());
        flights.entry(key.to_string()).or_default().clone()
    }

    fn refresh_inner(&self, key: &str, force: bool) -> Result<TokenSet> {
        let (tokens, refreshed) = self.refresh_locked(key, force)?;
        // The hook runs after both locks are released, so it may call back
        // into this session (even for the same key) without deadlocking and
        // a slow hook holds up no other process.
        if refreshed {
            if let Some(hook) = &self.hook {
                hook(key, &tokens);
            }
        }
        Ok(tokens)
    }

    /// Refreshes under the in-process and cross-process locks; `true` when
    /// this call refreshed (rather than finding another's fresh tokens).
    fn refresh_locked(&self, key: &str, force: bool) -> Result<(TokenSet, bool)> {
        let before = if force { self.store.load(key)? } else { None };
        let flight = self.flight(key);
        let _in_process = match flight.try_lock() {
            Ok(g) => g,
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => {
                log::debug!(
                    "refresh of '{key}': another thread is refreshing; waiting for its result"
                );
                flight.lock().unwrap_or_else(|p| p.into_inner())
            }
        };
        let deadline = Instant::now() + self.lock_timeout;
        loop {
            let lock = self.store_lock(key, deadline)?;
            match self.refresh_under(key, before.as_ref(), &lock)? {
                Under::Done(tokens, refreshed) => return Ok((tokens, refreshed)),
                Under::LostAfterSpending { spent, fresh, lost } => {
                    drop(lock);
                    self.save_after_lost_lock(key, &spent, &fresh, lost)?;
                    return Ok((*fresh, true));
                }
                Under::LostBeforeSpending(lost) => {
                    // The lease ran out before the refresh token was spent:
                    // someone else may be refreshing now. Take the lock again
                    // and re-read instead of spending what may be spent.
                    log::warn!(
                        "refresh of '{key}': the store's key lock was lost before the refresh \
                         token was spent; taking it again and re-reading the store"
                    );
                    drop(lock);
                    if Instant::now() >= deadline {
                        return Err(lost);
                    }
                }
            }
        }
    }

    /// Takes the store's cross-process lock on `key`, waiting until `deadline`.
    fn store_lock(&self, key: &str, deadline: Instant) -> Result<KeyLock> {
        let waited = Instant::now();
        let lock = self
            .store
            .lock_key(key, deadline.saturating_duration_since(waited))
            .inspect_err(|e| {
                log::warn!("refresh of '{key}': could not take the store's key lock: {e}")
            })?;
        if waited.elapsed() >= LOCK_WAIT_LOG_THRESHOLD {
            log::info!(
                "refresh of '{key}': waited {:?} for the store's key lock (another process refreshing?)",
                waited.elapsed()
            );
        }
        Ok(lock)
    }

    /// One attempt under the store's lock: re-read, refresh, write fenced.
    fn refresh_under(&self, key: &str, before: Option<&TokenSet>, lock: &KeyLock) -> Result<Under> {
        // Re-read under both locks: someone may have refreshed meanwhile.
        let current = self.load_required(key)?;
        let someone_refreshed = match before {
            Some(b) => b.access_token != current.access_token,
            None => !self.needs_refresh(&current),
        };
        if someone_refreshed {
            log::debug!(
                "refresh of '{key}': another thread or process refreshed meanwhile; using its tokens"
            );
            return Ok(Under::Done(current, false));
        }
        if current.refresh_token.is_none() {
            // Client-credentials tokens have no refresh token: a new grant.
            if let Some(renewed) = client_credentials::renew(self, &current) {
                let fresh = renewed.inspect_err(|e| {
                    log::warn!("renewal of '{key}' (client credentials) failed: {e}")
                })?;
                self.store.save_locked(key, &fresh, lock)?;
                log::info!("renewed the client-credentials tokens of '{key}'");
                return Ok(Under::Done(fresh, true));
            }
            let reason = if current.is_expired(0) {
                SignInReason::ExpiredWithoutRefreshToken
            } else {
                SignInReason::NoRefreshToken
            };
            let e = Error::SignInRequired {
                key: key.to_string(),
                reason,
            };
            log::warn!("refresh of '{key}': {e}");
            return Err(e);
        }
        // Last check before the refresh token is spent: a lock lost now
        // (the lease ran out while this process was paused) means another
        // process may spend it; spending it twice revokes the grant at
        // providers that detect reuse.
        match lock.confirm_before("spending the refresh token") {
            Ok(()) => {}
            Err(lost @ Error::LockLost { .. }) => return Ok(Under::LostBeforeSpending(lost)),
            Err(e) => return Err(e),
        }
        log::debug!("refresh of '{key}': refreshing at {}", self.provider.name());
        let mut fresh =
            match TokenRefresh::of(&current).and_then(|r| self.provider.refresh_tokens(&r)) {
                Ok(t) => t,
                Err(Error::OAuth {
                    endpoint,
                    status,
                    error,
                    description,
                    source,
                }) if error == "invalid_grant" => {
                    if let Err(e) = self.store.delete_locked(key, lock) {
                        log::warn!(
                            "refresh of '{key}': the provider refused the grant (invalid_grant), \
                         but the stored tokens were not deleted: {e}"
                        );
                        return Err(e);
                    }
                    log::warn!(
                    "refresh of '{key}': the provider refused the grant (invalid_grant: revoked or \
                     expired); stored tokens deleted, the user must sign in again"
                );
                    let note = format!("stored tokens for '{key}' deleted; sign in again");
                    return Err(Error::OAuth {
                        endpoint,
                        status,
                        error,
                        description: Some(match description {
                            Some(d) => format!("{d} ({note})"),
                            None => note,
                        }),
                        source,
                    });
                }
                Err(e) => {
                    log::warn!("refresh of '{key}' failed: {e}");
                    return Err(e);
                }
            };
        // OIDC Core 12.2: a refresh never changes the user. The provider
        // checks its validated ID token; this also holds for any Provider.
        crate::provider::identity::check_same_identity(&current, &fresh)
            .inspect_err(|e| log::error!("refresh of '{key}' refused: {e}"))?;
        let rotated = fresh
            .refresh_token
            .as_ref()
            .is_some_and(|new| current.refresh_token.as_ref() != Some(new));
        let spent = current.clone();
        merge_kept_fields(&mut fresh, current);
        match self.save_refreshed(key, &fresh, lock) {
            Ok(()) => {}
            Err(lost @ Error::LockLost { .. }) => {
                return Ok(Under::LostAfterSpending {
                    spent: Box::new(spent),
                    fresh: Box::new(fresh),
                    lost,
                })
            }
            Err(e) => return Err(e),
        }
        log::info!(
            "refreshed the tokens of '{key}' (refresh token {})",
            if rotated { "rotated" } else { "kept" }
        );
        Ok(Under::Done(fresh, true))
    }

    /// Writes tokens the provider has just issued, under the lock. The
    /// refresh token that was sent is spent now, so these tokens are the
    /// grant's only copy: a store that is unavailable (a Redis Cluster
    /// failover, a restarting server) is asked again, with back-off (50 ms
    /// doubling to 500 ms, `crate::backoff`), until the lock timeout (one
    /// last attempt at it), rather than dropping them and leaving a spent
    /// refresh token stored (presented again, it would revoke the grant at
    /// providers that detect reuse). The write stays fenced: a lock lost
    /// meanwhile is reported as such, never written through.
    fn save_refreshed(&self, key: &str, fresh: &TokenSet, lock: &KeyLock) -> Result<()> {
        let backoff = Backoff::new(
            Duration::from_millis(50),
            Duration::from_millis(500),
            Instant::now() + self.lock_timeout,
        );
        backoff
            .retry(
                || match self.store.save_locked(key, fresh, lock) {
                    Err(e) if e.kind() == crate::ErrorKind::Unavailable => ControlFlow::Continue(e),
                    other => ControlFlow::Break(other),
                },
                |e, pause| {
                    log::warn!(
                        "refresh of '{key}': the store is unavailable for the refreshed tokens \
                         ({e}); trying again in {pause:?} (the spent refresh token must not stay)"
                    )
                },
            )
            .unwrap_or_else(Err)
    }

    /// The lock ran out after the provider answered. If nobody touched
    /// the key meanwhile (the store still holds exactly what was spent),
    /// the lock is taken again and the fresh tokens saved under it;
    /// otherwise another process owns the key now and the fresh tokens are
    /// discarded, never written over its tokens or its deletion.
    fn save_after_lost_lock(
        &self,
        key: &str,
        spent: &TokenSet,
        fresh: &TokenSet,
        lost: Error,
    ) -> Result<()> {
        let again = self
            .store
            .lock_key(key, self.lock_timeout.min(Duration::from_secs(5)));
        if let Ok(again) = again {
            if let Ok(Some(stored)) = self.store.load(key) {
                if stored.access_token == spent.access_token
                    && stored.refresh_token == spent.refresh_token
                    && self.store.save_locked(key, fresh, &again).is_ok()
                {
                    log::warn!(
                        "refresh of '{key}': the store's key lock ran out during the refresh; \
                         nobody had touched the key, so the lock was taken again and the tokens saved"
                    );
                    log::info!("refreshed the tokens of '{key}'");
                    return Ok(());
                }
            }
        }
        log::error!(
            "refresh of '{key}': the store's key lock ran out during the refresh and another \
             process has written or deleted the key since; the refreshed tokens were discarded \
             (the provider may have revoked the grant if the refresh token was spent twice)"
        );
        Err(lost)
    }
}

/// How one attempt under the store's lock ended.
enum Under {
    /// The tokens, and whether this attempt refreshed them.
    Done(TokenSet, bool),
    /// The lock was lost before the refresh token was spent: try again.
    LostBeforeSpending(Error),
    /// The lock was lost after the provider answered: the tokens sent
    /// (`spent`) and those it answered with (`fresh`, not written).
    LostAfterSpending {
        spent: Box<TokenSet>,
        fresh: Box<TokenSet>,
        lost: Error,
    },
}

/// Keeps what a refresh response does not repeat: the refresh token when
/// not rotated, the ID token, the identity and the resource server.
fn merge_kept_fields(fresh: &mut TokenSet, old: TokenSet) {
    if fresh.refresh_token.is_none() {
        fresh.refresh_token = old.refresh_token;
    }
    if fresh.id_token.is_none() {
        fresh.id_token = old.id_token;
    }
    if fresh.identity_id.is_none() {
        fresh.identity_id = old.identity_id;
    }
    if fresh.resource_server.is_none() {
        fresh.resource_server = old.resource_server;
    }
    if fresh.scopes.is_empty() {
        fresh.scopes = old.scopes;
    }
}
