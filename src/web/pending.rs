//! Deploy mode's pending sign-ins: kept in the browser, sealed, short-lived
//! and single use.
//!
//! `/auth/login` puts the sign-in's `state`, PKCE verifier, nonce and start
//! time into the login cookie, sealed with AES-256-GCM-SIV
//! (the deployment's cookie key, `DeployOptions::cookie_key`): the browser can neither read nor alter it, and the
//! server keeps nothing for it. Memory is therefore bounded per browser
//! (one cookie of about 300 bytes), not globally: no flood of anonymous
//! logins, with or without cookies, can evict or invalidate another
//! browser's pending sign-in, because there is nothing shared to evict.
//!
//! `/auth/callback` opens the cookie of the browser it comes from: the
//! callback's `state` must equal the sealed one (constant time), so a
//! callback carrying another browser's state fails without burning it; the
//! start time must be less than the lifetime ago. A used state is
//! remembered (its SHA-256, until it would have expired anyway) so the
//! same cookie and callback are refused a second time. That replay memory
//! grows only with callbacks that carried a genuine cookie and its own
//! state, and is capped at [`MAX_REMEMBERED_USES`] (oldest forgotten
//! first; a forgotten entry's code was already redeemed at the provider,
//! which refuses it again). In deploy mode the used state is also recorded
//! in the token store, under the store's key lock, so a callback replayed
//! on another instance is refused too.
//!
//! All time arithmetic is in checked or saturating integer milliseconds: a
//! lifetime of `Duration::MAX`, a start time in the far future (a clock
//! that stepped back) or at the epoch neither overflows nor panics.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::digest::sha256;
use serde::{Deserialize, Serialize};

use super::cookie::{CookieKey, CookieSealer};
use super::sessions::SharedRecords;
use crate::jose::DpopKey;
use crate::secret::{constant_time_eq, Secret};

/// How long a sign-in may take in deploy mode: ten minutes.
pub const DEFAULT_PENDING_TTL: Duration = Duration::from_secs(600);

/// How many used states are remembered at most (32 bytes and a time each).
pub const MAX_REMEMBERED_USES: usize = 100_000;

/// How far in the future a sealed start time may lie (the clock stepped
/// back a little) before the cookie counts as expired.
const CLOCK_SKEW_MS: u128 = 60_000;

/// One pending sign-in, as `/auth/callback` gets it back.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PendingSignIn {
    /// The PKCE verifier, when PKCE is on.
    pub pkce_verifier: Option<Secret>,
    /// The nonce sent.
    pub nonce: Secret,
    /// The sign-in's DPoP key (its thumbprint went out as `dpop_jkt`), when
    /// the provider uses DPoP: the code is exchanged with a proof of it.
    pub dpop_key: Option<DpopKey>,
}

/// Why a callback's state was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PendingRejection {
    /// The browser has no login cookie, or one this server did not make.
    NoPendingSignIn,
    /// The login cookie has expired.
    Expired,
    /// The callback's state is not the one this browser's sign-in sent
    /// (another browser's, or another tab's).
    WrongBrowser,
    /// This state was already used.
    AlreadyUsed,
    /// The shared store that remembers used states (across instances)
    /// could not be asked; nothing was sent to the provider, the user can
    /// start again.
    Unavailable,
}

impl PendingRejection {
    /// Words for the `error_description`.
    pub fn describe(self) -> &'static str {
        match self {
            PendingRejection::NoPendingSignIn => {
                "no sign-in is pending in this browser (login cookie missing or not ours)"
            }
            PendingRejection::Expired => "the sign-in took too long; start again",
            PendingRejection::WrongBrowser => "this sign-in was started by another browser",
            PendingRejection::AlreadyUsed => "this sign-in response was already used",
            PendingRejection::Unavailable => {
                "the session store cannot be reached; sign in again in a moment"
            }
        }
    }
}

/// What the login cookie carries, sealed.
#[derive(Serialize, Deserialize)]
struct Sealed {
    /// state
    s: String,
    /// nonce
    n: String,
    /// PKCE verifier
    #[serde(default, skip_serializing_if = "Option::is_none")]
    v: Option<String>,
    /// start, Unix milliseconds
    t: u64,
    /// the DPoP key (algorithm and PKCS#8, sealed like the rest)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    k: Option<DpopKey>,
}

/// The pending sign-ins of a deploy server: a sealing key, a lifetime and
/// the memory of used states.
///
/// ```
/// use std::time::Duration;
/// use oauthkit::unversioned::web::{PendingRejection, PendingSignIns};
/// let p = PendingSignIns::new([7; 32], "https://app.example", Duration::from_secs(60));
/// let cookie_a = p.begin("state-a", None, "nonce-a");
/// let cookie_b = p.begin("state-b", None, "nonce-b");
/// assert_eq!(p.take("state-a", Some(&cookie_b)).unwrap_err(), PendingRejection::WrongBrowser);
/// assert_eq!(p.take("state-a", Some(&cookie_a)).unwrap().nonce.expose(), "nonce-a");
/// assert_eq!(p.take("state-a", Some(&cookie_a)).unwrap_err(), PendingRejection::AlreadyUsed);
/// assert_eq!(p.take("state-b", None).unwrap_err(), PendingRejection::NoPendingSignIn);
/// ```
#[derive(Debug)]
pub struct PendingSignIns {
    sealer: CookieSealer,
    purpose: String,
    ttl: Duration,
    used: Mutex<UsedStates>,
    shared: Option<Arc<SharedRecords>>,
}

/// Used states until their cookies would have expired, oldest first.
#[derive(Debug, Default)]
struct UsedStates {
    set: HashMap<[u8; 32], u64>,
    order: VecDeque<([u8; 32], u64)>,
}

impl UsedStates {
    /// Records `state`; false when it was already there.
    fn insert(&mut self, state: [u8; 32], forget_at: u64, now: u64, cap: usize) -> bool {
        while let Some((k, t)) = self.order.front().copied() {
            if t > now && self.order.len() < cap {
                break;
            }
            self.order.pop_front();
            if self.set.get(&k) == Some(&t) {
                self.set.remove(&k);
            }
        }
        if self.set.contains_key(&state) {
            return false;
        }
        self.set.insert(state, forget_at);
        self.order.push_back((state, forget_at));
        true
    }
}

/// The current time in Unix milliseconds (0 before 1970).
pub(crate) fn now_unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// `ttl` in milliseconds, saturating.
fn ttl_ms(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX)
}

impl PendingSignIns {
    /// Pending sign-ins sealed with the 256-bit `key` (kept zeroized) for
    /// the deployment at `base_url` (bound into every cookie), each valid
    /// for `ttl`.
    pub fn new(key: [u8; 32], base_url: &str, ttl: Duration) -> Self {
        Self::sealed_with(&CookieKey::from_bytes(key), base_url, ttl)
    }

    /// [`new`](Self::new) with a key already held.
    pub(crate) fn sealed_with(key: &CookieKey, base_url: &str, ttl: Duration) -> Self {
        PendingSignIns {
            sealer: CookieSealer::new(key),
            purpose: format!("oauthkit deploy login v1 {base_url}"),
            ttl,
            used: Mutex::new(UsedStates::default()),
            shared: None,
        }
    }

    /// Also opens login cookies sealed with any of `keys` (a key rotation
    /// in progress); new cookies are still sealed with the current key.
    pub(crate) fn previous_keys(mut self, keys: &[CookieKey]) -> Self {
        self.sealer = self.sealer.also_opening(keys);
        self
    }

    /// Also records used states in `shared` (the deployment's store), so
    /// a callback replayed on another instance is refused too.
    pub(crate) fn share_uses(mut self, shared: Arc<SharedRecords>) -> Self {
        self.shared = Some(shared);
        self
    }

    /// Starts a sign-in: the login cookie's value, carrying everything the
    /// callback needs.
    pub fn begin(&self, state: &str, pkce_verifier: Option<&str>, nonce: &str) -> String {
        self.begin_at(state, pkce_verifier, nonce, None, now_unix_ms())
    }

    /// [`begin`](Self::begin) for a sign-in whose code is bound to a DPoP
    /// key (`dpop_jkt`): the cookie also carries the key, sealed like the
    /// rest (the browser can neither read nor swap it), for the callback's
    /// code exchange.
    ///
    /// ```
    /// use std::time::Duration;
    /// use oauthkit::unversioned::web::PendingSignIns;
    /// use oauthkit::provider::SigningAlgorithm;
    /// use oauthkit::unversioned::provider::DpopKey;
    /// let p = PendingSignIns::new([7; 32], "https://app.example", Duration::from_secs(60));
    /// let key = DpopKey::generate(SigningAlgorithm::ES256)?;
    /// let cookie = p.begin_with_dpop_key("state-a", None, "nonce-a", &key);
    /// assert_eq!(p.take("state-a", Some(&cookie)).unwrap().dpop_key, Some(key));
    /// # Ok::<(), oauthkit::Error>(())
    /// ```
    pub fn begin_with_dpop_key(
        &self,
        state: &str,
        pkce_verifier: Option<&str>,
        nonce: &str,
        key: &DpopKey,
    ) -> String {
        self.begin_at(state, pkce_verifier, nonce, Some(key), now_unix_ms())
    }

    pub(crate) fn begin_at(
        &self,
        state: &str,
        pkce_verifier: Option<&str>,
        nonce: &str,
        dpop_key: Option<&DpopKey>,
        now_ms: u64,
    ) -> String {
        let sealed = Sealed {
            s: state.to_string(),
            n: nonce.to_string(),
            v: pkce_verifier.map(str::to_string),
            t: now_ms,
            k: dpop_key.cloned(),
        };
        let plain =
            zeroize::Zeroizing::new(serde_json::to_vec(&sealed).expect("plain strings serialize"));
        self.sealer.seal(&self.purpose, &plain)
    }

    /// Takes the sign-in of `state` out of the browser's login `cookie`:
    /// the cookie must be genuine and unexpired, carry this `state`, and
    /// the state must not have been used.
    ///
    /// # Errors
    ///
    /// [`PendingRejection::NoPendingSignIn`] when there is no cookie or one
    /// this server did not seal; [`PendingRejection::Expired`] when the
    /// sign-in is older than the time allowed; [`PendingRejection::WrongBrowser`]
    /// when the cookie's state is not `state`;
    /// [`PendingRejection::AlreadyUsed`] when `state` was taken before.
    pub fn take(
        &self,
        state: &str,
        cookie: Option<&str>,
    ) -> Result<PendingSignIn, PendingRejection> {
        self.take_at(state, cookie, now_unix_ms())
    }

    pub(crate) fn take_at(
        &self,
        state: &str,
        cookie: Option<&str>,
        now_ms: u64,
    ) -> Result<PendingSignIn, PendingRejection> {
        let cookie = cookie.ok_or(PendingRejection::NoPendingSignIn)?;
        let plain = self
            .sealer
            .open(&self.purpose, cookie)
            .ok_or(PendingRejection::NoPendingSignIn)?;
        let sealed: Sealed =
            serde_json::from_slice(&plain).map_err(|_| PendingRejection::NoPendingSignIn)?;
        let sealed_state = Secret::new(sealed.s);
        let nonce = Secret::new(sealed.n);
        let pkce_verifier = sealed.v.map(Secret::new);
        if !self.alive(sealed.t, now_ms) {
            return Err(PendingRejection::Expired);
        }
        if !constant_time_eq(sealed_state.expose().as_bytes(), state.as_bytes()) {
            return Err(PendingRejection::WrongBrowser);
        }
        let key: [u8; 32] = sha256(state.as_bytes());
        let forget_at = sealed.t.saturating_add(ttl_ms(self.ttl));
        let fresh = self.used.lock().unwrap_or_else(|p| p.into_inner()).insert(
            key,
            forget_at,
            now_ms,
            MAX_REMEMBERED_USES,
        );
        if !fresh {
            return Err(PendingRejection::AlreadyUsed);
        }
        if let Some(shared) = &self.shared {
            match shared.use_state(state, forget_at) {
                Ok(true) => {}
                Ok(false) => return Err(PendingRejection::AlreadyUsed),
                Err(e) => {
                    log::warn!("deploy callback refused: remembering its state failed: {e}");
                    return Err(PendingRejection::Unavailable);
                }
            }
        }
        Ok(PendingSignIn {
            pkce_verifier,
            nonce,
            dpop_key: sealed.k,
        })
    }

    /// Whether a sign-in started at `started_ms` is still pending at
    /// `now_ms` (integer arithmetic that cannot overflow).
    fn alive(&self, started_ms: u64, now_ms: u64) -> bool {
        match now_ms.checked_sub(started_ms) {
            Some(age) => u128::from(age) < self.ttl.as_millis(),
            // Started "in the future": a clock that stepped back a little
            // is tolerated, a far-future start is not.
            None => u128::from(started_ms - now_ms) <= CLOCK_SKEW_MS,
        }
    }

    /// How many used states are remembered now.
    pub fn remembered_uses(&self) -> usize {
        self.used
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .set
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(ttl: Duration) -> PendingSignIns {
        PendingSignIns::sealed_with(&CookieKey::generate(), "https://app.example", ttl)
    }

    #[test]
    fn expiry_and_extreme_times_never_overflow() {
        let p = pending(Duration::from_secs(60));
        let c = p.begin_at("s", None, "n", None, 1_000_000);
        assert_eq!(
            p.take_at("s", Some(&c), 1_060_000).unwrap_err(),
            PendingRejection::Expired
        );
        assert!(p.take_at("s", Some(&c), 1_059_999).is_ok());
        // A clock that stepped back a little is fine, far is not.
        let c = p.begin_at("t", None, "n", None, 1_000_000);
        assert_eq!(
            p.take_at("t", Some(&c), 0).unwrap_err(),
            PendingRejection::Expired
        );
        assert!(p.take_at("t", Some(&c), 1_000_000 - 60_000).is_ok());
        // Extreme start and current times, extreme lifetimes.
        for ttl in [Duration::ZERO, Duration::from_millis(1), Duration::MAX] {
            let p = pending(ttl);
            for (i, (start, now)) in [
                (0, 0),
                (0, u64::MAX),
                (u64::MAX, 0),
                (u64::MAX, u64::MAX),
                (u64::MAX - 1, u64::MAX),
            ]
            .into_iter()
            .enumerate()
            {
                let state = format!("{i}");
                let c = p.begin_at(&state, None, "n", None, start);
                let got = p.take_at(&state, Some(&c), now);
                let expect_alive = match now.checked_sub(start) {
                    Some(age) => u128::from(age) < ttl.as_millis(),
                    None => false,
                };
                assert_eq!(got.is_ok(), expect_alive, "{ttl:?} {start} {now}: {got:?}");
            }
        }
    }

    #[test]
    fn starting_sign_ins_keeps_nothing_on_the_server() {
        let p = pending(DEFAULT_PENDING_TTL);
        let verifier = "v".repeat(43);
        let first = p.begin(&"s".repeat(43), Some(&verifier), &"n".repeat(43));
        for i in 0..20_000 {
            let c = p.begin(&format!("{i:043}"), Some(&verifier), &"n".repeat(43));
            assert!(c.len() < 400, "a cookie of {} bytes", c.len());
        }
        assert_eq!(p.remembered_uses(), 0);
        assert!(p.take(&"s".repeat(43), Some(&first)).is_ok());
        assert_eq!(p.remembered_uses(), 1);
    }

    #[test]
    fn used_states_are_bounded_and_forgotten_after_expiry() {
        let mut u = UsedStates::default();
        for i in 0..10u8 {
            assert!(u.insert([i; 32], 100, 0, 4));
        }
        assert_eq!(u.set.len(), 4);
        assert!(!u.insert([9; 32], 100, 0, 4), "still remembered");
        assert!(u.insert([9; 32], 200, 150, 4), "forgotten after its expiry");
        assert_eq!(u.set.len(), 1);
    }
}
