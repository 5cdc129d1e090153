//! Deploy mode's pending sign-ins: kept server-side, short-lived, bounded
//! and single use.
//!
//! Each `/auth/login` adds one entry under its `state`: the PKCE verifier,
//! the nonce, and a hash of the random login cookie set on the browser that
//! started it. `/auth/callback` takes the entry out only when the browser
//! presents the same cookie, so a callback carrying another browser's
//! state fails (and does not burn that state). Entries expire after
//! [`DEFAULT_PENDING_TTL`]; at capacity the oldest is dropped.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::secret::{constant_time_eq, Secret};

/// How long a sign-in may take in deploy mode (pywry's `max_age`).
pub const DEFAULT_PENDING_TTL: Duration = Duration::from_secs(600);

/// How many sign-ins may be pending at once (pywry's `max_pending`).
pub const DEFAULT_MAX_PENDING: usize = 1000;

/// One pending sign-in.
#[derive(Debug, Clone)]
pub struct PendingSignIn {
    /// The PKCE verifier, when PKCE is on.
    pub pkce_verifier: Option<Secret>,
    /// The nonce sent.
    pub nonce: Secret,
    binding: [u8; 32],
    created: Instant,
}

/// Why a callback's state was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PendingRejection {
    /// No pending sign-in has this state (never issued, used, or expired).
    UnknownState,
    /// The state belongs to a sign-in another browser started.
    WrongBrowser,
}

/// The pending sign-ins of a deploy server.
#[derive(Debug)]
pub struct PendingStates {
    entries: Mutex<HashMap<String, PendingSignIn>>,
    ttl: Duration,
    max: usize,
}

impl Default for PendingStates {
    fn default() -> Self {
        Self::new(DEFAULT_PENDING_TTL, DEFAULT_MAX_PENDING)
    }
}

fn hash(binding: &str) -> [u8; 32] {
    Sha256::digest(binding.as_bytes()).into()
}

impl PendingStates {
    /// An empty set with the given lifetime and capacity (at least 1).
    ///
    /// ```
    /// use std::time::Duration;
    /// use oauthkit::flow::pending::{PendingRejection, PendingStates};
    /// let p = PendingStates::new(Duration::from_secs(60), 10);
    /// p.insert("st".into(), None, "n".into(), "cookie-a");
    /// assert_eq!(p.take("st", "cookie-b").unwrap_err(), PendingRejection::WrongBrowser);
    /// assert!(p.take("st", "cookie-a").is_ok());
    /// assert_eq!(p.take("st", "cookie-a").unwrap_err(), PendingRejection::UnknownState);
    /// ```
    pub fn new(ttl: Duration, max: usize) -> Self {
        PendingStates {
            entries: Mutex::new(HashMap::new()),
            ttl,
            max: max.max(1),
        }
    }

    /// Adds a pending sign-in under `state`, bound to the browser's login
    /// cookie value `binding`.
    pub fn insert(
        &self,
        state: String,
        pkce_verifier: Option<Secret>,
        nonce: Secret,
        binding: &str,
    ) {
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        map.retain(|_, p| now.duration_since(p.created) < self.ttl);
        while map.len() >= self.max {
            let oldest = map
                .iter()
                .min_by_key(|(_, p)| p.created)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => map.remove(&k),
                None => break,
            };
        }
        map.insert(
            state,
            PendingSignIn {
                pkce_verifier,
                nonce,
                binding: hash(binding),
                created: now,
            },
        );
    }

    /// Takes the sign-in of `state` out if the browser's `binding` matches
    /// and it has not expired.
    pub fn take(&self, state: &str, binding: &str) -> Result<PendingSignIn, PendingRejection> {
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let entry = map.get(state).ok_or(PendingRejection::UnknownState)?;
        if entry.created.elapsed() >= self.ttl {
            map.remove(state);
            return Err(PendingRejection::UnknownState);
        }
        if !constant_time_eq(&entry.binding, &hash(binding)) {
            return Err(PendingRejection::WrongBrowser);
        }
        map.remove(state).ok_or(PendingRejection::UnknownState)
    }

    /// How many sign-ins are pending (expired ones included until the next
    /// insert).
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Whether none is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_evicts_the_oldest_and_ttl_expires() {
        let p = PendingStates::new(Duration::from_secs(60), 2);
        for s in ["a", "b", "c"] {
            p.insert(s.into(), None, "n".into(), "cookie");
            std::thread::sleep(Duration::from_millis(2));
        }
        assert_eq!(p.len(), 2);
        assert_eq!(
            p.take("a", "cookie").unwrap_err(),
            PendingRejection::UnknownState
        );
        assert!(p.take("c", "cookie").is_ok());
        let short = PendingStates::new(Duration::from_millis(10), 5);
        short.insert("x".into(), None, "n".into(), "cookie");
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(
            short.take("x", "cookie").unwrap_err(),
            PendingRejection::UnknownState
        );
    }
}
