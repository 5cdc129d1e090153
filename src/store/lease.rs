//! Keeping a network lock's lease alive while its holder works: a
//! heartbeat thread renews it every third of the lease, with a renewal
//! that compares the holder's token (so it never revives a lock that ran
//! out or that someone else took), and stops when the lock is released.
//!
//! A refresh can take longer than any fixed lease (connect, headers and
//! body each have their own timeout), so the lease is renewed rather than
//! made long: a holder that dies still frees the key one lease later. A
//! holder that is paused as a whole (its heartbeat paused with it) can
//! lose the lock; its writes are then refused by the store's fencing.
//!
//! The shape every network key lock shares lives here too: waiting for
//! the lock ([`wait_for_lock`], the backend plugging in its atomic take)
//! and the `LockLost` error ([`Heartbeat::lost_error`]). Redis
//! (`store/redis/lock.rs`) and memcached (`store/memcache/lock.rs`) keep
//! only their atomic operations: take, renew, fenced write, release.

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::backoff::Backoff;
use crate::error::{Error, Result};

/// One renewal: `Ok(true)` still held (and extended), `Ok(false)` lost.
pub(crate) type Renew = Box<dyn Fn() -> Result<bool> + Send>;

#[derive(Default)]
struct State {
    lost: AtomicBool,
    stopped: Mutex<bool>,
    wake: Condvar,
}

/// The heartbeat of one held lock; stops when dropped.
pub(crate) struct Heartbeat {
    state: Arc<State>,
}

impl Heartbeat {
    /// Starts renewing every `lease / 3` (at least every 10 ms).
    pub(crate) fn start(lease: Duration, renew: Renew) -> Heartbeat {
        let state = Arc::new(State::default());
        let every = (lease / 3).max(Duration::from_millis(10));
        let s = Arc::clone(&state);
        let beat = move || loop {
            {
                let stopped = s.stopped.lock().unwrap_or_else(|p| p.into_inner());
                let (stopped, _) = s
                    .wake
                    .wait_timeout_while(stopped, every, |stopped| !*stopped)
                    .unwrap_or_else(|p| p.into_inner());
                if *stopped {
                    return;
                }
            }
            match renew() {
                Ok(true) => {}
                Ok(false) => {
                    s.lost.store(true, Ordering::SeqCst);
                    log::warn!("a store key lock ran out or was taken over while held; writes under it will be refused");
                    return;
                }
                // The lease may still run: try again on the next beat.
                Err(e) => log::debug!("renewing a store key lock failed: {e}"),
            }
        };
        if let Err(e) = std::thread::Builder::new()
            .name("oauthkit-lease".into())
            .spawn(beat)
        {
            // No heartbeat: the lease is then only as long as configured,
            // and the fenced writes still refuse a lost lock.
            log::warn!("could not start the lock heartbeat thread: {e}");
        }
        Heartbeat { state }
    }

    /// Whether a renewal found the lock gone.
    pub(crate) fn lost(&self) -> bool {
        self.state.lost.load(Ordering::SeqCst)
    }

    /// Records that the lock is gone (a check outside the heartbeat saw it).
    pub(crate) fn mark_lost(&self) {
        self.state.lost.store(true, Ordering::SeqCst);
    }

    /// Records that the lock is gone and says so: the lock on `what` was
    /// lost before `action`.
    pub(crate) fn lost_error(&self, what: &str, action: &'static str) -> Error {
        self.mark_lost();
        Error::LockLost {
            what: what.to_owned(),
            action,
        }
    }
}

/// Calls `take` (one atomic attempt at the lock: `Ok(true)` taken) until it
/// succeeds or `timeout` has passed, pausing 2 ms at first, doubling up to
/// 50 ms (the library's one back-off, `crate::backoff`). A store error ends
/// the wait at once.
///
/// # Errors
///
/// The error of `take`, or [`Error::LockTimeout`] naming `what`.
pub(crate) fn wait_for_lock(
    what: &str,
    timeout: Duration,
    mut take: impl FnMut() -> Result<bool>,
) -> Result<()> {
    let backoff = Backoff::new(
        Duration::from_millis(2),
        Duration::from_millis(50),
        Instant::now() + timeout,
    );
    backoff
        .retry(
            || match take() {
                Ok(true) => ControlFlow::Break(Ok(())),
                Ok(false) => ControlFlow::Continue(()),
                Err(e) => ControlFlow::Break(Err(e)),
            },
            |_, _| {},
        )
        .unwrap_or_else(|()| Err(Error::LockTimeout(what.to_owned())))
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        *self.state.stopped.lock().unwrap_or_else(|p| p.into_inner()) = true;
        self.state.wake.notify_all();
    }
}
