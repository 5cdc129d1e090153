//! [`KeyLock`]: a held per-key lock, and what a store needs to fence the
//! writes made under it.
//!
//! A lock shared by processes can be lost while it is held: a lease in
//! Redis or memcached runs out while its holder is paused (a long GC, a
//! stopped process, a machine that sleeps), a lock file is removed by
//! someone else. A holder that goes on writing then overwrites what the
//! next holder wrote. So stores that offer cross-process locks check the
//! lock in the same atomic step as the write
//! ([`TokenStore::save_locked`](super::TokenStore::save_locked),
//! [`TokenStore::delete_locked`](super::TokenStore::delete_locked)) and
//! refuse with [`Error::LockLost`] when it is no longer theirs.

use std::any::Any;

use crate::error::Result;

/// What a backend's held lock can answer (implemented by the Redis,
/// memcached and lock-file locks).
pub(crate) trait Fence: Send + 'static {
    /// `Ok` while the lock is still held; [`Error::LockLost`] naming
    /// `action` once it is not. May ask the store (and then also extends a
    /// lease).
    ///
    /// [`Error::LockLost`]: crate::Error::LockLost
    fn confirm(&self, action: &'static str) -> Result<()>;

    /// The backend's own lock type, for its fenced writes.
    fn as_any(&self) -> &dyn Any;
}

/// A guard that only releases on drop and fences nothing.
struct Unfenced(#[allow(dead_code)] Box<dyn Send>);

impl Fence for Unfenced {
    fn confirm(&self, _action: &'static str) -> Result<()> {
        Ok(())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A held per-key lock ([`TokenStore::lock_key`](super::TokenStore::lock_key));
/// dropping it releases the lock.
///
/// Writes made while holding it go through
/// [`TokenStore::save_locked`](super::TokenStore::save_locked) and
/// [`TokenStore::delete_locked`](super::TokenStore::delete_locked), which
/// stores with cross-process locks fence: the write happens only if the
/// lock is still this one, checked by the store in the same atomic step.
///
/// ```
/// use std::time::Duration;
/// use oauthkit::{store::MemoryStore, TokenSet, TokenStore};
/// # fn main() -> oauthkit::Result<()> {
/// let store = MemoryStore::new();
/// let lock = store.lock_key("alice", Duration::from_secs(5))?;
/// lock.confirm()?; // still held
/// store.save_locked("alice", &TokenSet::bearer("at"), &lock)?;
/// drop(lock); // released
/// # Ok(()) }
/// ```
#[must_use = "the lock is released when this value is dropped"]
pub struct KeyLock {
    fence: Option<Box<dyn Fence>>,
}

impl KeyLock {
    /// A lock that excludes nothing (for single-process backends).
    pub fn noop() -> Self {
        KeyLock { fence: None }
    }

    /// Wraps a guard whose `Drop` releases the lock. Such a lock is never
    /// reported lost: use it for locks that cannot be lost while held
    /// (in-process locks, locks of other programs).
    pub fn from_guard(guard: impl Send + 'static) -> Self {
        KeyLock {
            fence: Some(Box::new(Unfenced(Box::new(guard)))),
        }
    }

    /// A lock a store fences its writes with.
    pub(crate) fn fenced(fence: impl Fence) -> Self {
        KeyLock {
            fence: Some(Box::new(fence)),
        }
    }

    /// Checks that the lock is still held (asking the store where it can
    /// be lost, which also extends a lease). The session manager calls it
    /// right before it spends a refresh token.
    ///
    /// # Errors
    ///
    /// [`Error::LockLost`](crate::Error::LockLost) when the lock ran out or
    /// another process took it over; the store's error
    /// ([`Error::Unavailable`](crate::Error::Unavailable), ...) when it
    /// cannot be asked.
    pub fn confirm(&self) -> Result<()> {
        self.confirm_before("going on under it")
    }

    /// [`confirm`](Self::confirm), naming what is not done when the lock is lost.
    pub(crate) fn confirm_before(&self, action: &'static str) -> Result<()> {
        match &self.fence {
            Some(f) => f.confirm(action),
            None => Ok(()),
        }
    }

    /// The backend lock of type `T` inside, if this is one.
    pub(crate) fn fence<T: 'static>(&self) -> Option<&T> {
        self.fence.as_ref()?.as_any().downcast_ref::<T>()
    }
}

impl std::fmt::Debug for KeyLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyLock")
            .field("held", &self.fence.is_some())
            .finish()
    }
}
