//! Advisory cross-process file locks: fair, with a deadline, never through a
//! planted link, and removable without breaking exclusion.
//!
//! Taking a lock:
//! 1. with a *line* (the token file's write lock), the thread takes a
//!    ticket in the line shared by every thread of every process
//!    (`ticket_line.rs`) and waits until no ticket is ahead: each waiter is
//!    served in arrival order, whichever process it belongs to. Without one
//!    (per-key locks), it waits for its [`Turn`] in the process's fair queue
//!    (`fair_queue.rs`), so threads of one process are served in order.
//!    Either way the timeout runs out only when the line stops moving;
//! 2. it blocks on the OS lock (`flock`, released by the OS when a process
//!    dies) until the deadline. The blocking call runs on a helper thread
//!    so the caller can give up at its deadline; a helper left waiting is
//!    adopted by the next thread of the process (one helper per lock file at
//!    most), and a helper that gets the lock when nobody wants it any more
//!    releases it at once;
//! 3. it checks that the locked file is still the one the name refers to.
//!    A lock file may be removed by its holder on release (per-key locks,
//!    stale lock files): a waiter that was blocked on the removed file then
//!    holds a lock nobody else can see, so it opens the name again.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::digest::sha256_parts;
use crate::hex::hex;

use super::fair_queue::{self, Turn};
use super::lock_wait::{block_until, Blocked};
use super::private_dir::{io_error, split, Access, FileStamp, PrivateDir};
use super::ticket_line::{self, Ticket};
use crate::error::{Error, Result};

pub(crate) use super::private_dir::create_private_dir;

/// How long writers wait for each other by default. Long enough for a slow
/// disk, short enough that a wedged process is reported rather than waited
/// on forever.
pub(crate) const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// How a lock is taken and given back.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct LockOptions<'a> {
    /// The line directory whose tickets order every waiter (see the
    /// module documentation); `None`: the process's own fair queue.
    pub(crate) line: Option<&'a OsStr>,
    /// Remove the lock file when releasing it (per-key locks, the token
    /// file's write lock); with a line, only when nobody else is in it, so
    /// a busy lock file is not made anew for every writer.
    pub(crate) remove_on_release: bool,
}

/// An exclusive advisory lock on a lock file; released on drop (and by the
/// operating system if the process dies, so a crash never leaves a stale
/// lock behind).
pub(crate) struct FileLock {
    file: Option<File>,
    dir: Arc<PrivateDir>,
    name: OsString,
    remove_on_release: bool,
    /// The folder holding the lock file, removed on release when nothing
    /// else is in it: (its parent, its name).
    remove_dir: Option<(Arc<PrivateDir>, OsString)>,
    // Dropped after the lock is released, in this order.
    _turn: Option<Turn>,
    _ticket: Option<Ticket>,
}

impl std::fmt::Debug for FileLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileLock")
            .field("path", &self.dir.join(&self.name))
            .finish()
    }
}

impl FileLock {
    /// Locks `path` (created 0600 if missing), waiting at most `timeout`.
    #[cfg_attr(not(feature = "keyring"), allow(dead_code))] // the keyring's index lock
    pub(crate) fn acquire(path: &Path, timeout: Duration) -> Result<FileLock> {
        let (dir, name) = split(path)?;
        FileLock::acquire_in(&Arc::new(dir), &name, LockOptions::default(), timeout)
    }

    /// Locks `name` in `dir`, waiting at most `timeout`.
    pub(crate) fn acquire_in(
        dir: &Arc<PrivateDir>,
        name: &OsStr,
        options: LockOptions<'_>,
        timeout: Duration,
    ) -> Result<FileLock> {
        let path = dir.join(name);
        let started = Instant::now();
        let timed_out = || {
            log::warn!(
                "gave up on the lock {} after {:?} (held by another thread or process)",
                path.display(),
                started.elapsed()
            );
            Error::LockTimeout(path.display().to_string())
        };
        let (turn, ticket) = match options.line {
            Some(line) => {
                let ticket = ticket_line::wait_in_line(dir, line, timeout)?;
                (None, Some(ticket.ok_or_else(timed_out)?))
            }
            None => {
                let turn = fair_queue::wait_turn(&path, Some(timeout));
                (Some(turn.ok_or_else(timed_out)?), None)
            }
        };
        // Whoever holds the lock without waiting in line (a reaper, another
        // version): at most `timeout` from here.
        let deadline = Instant::now() + timeout;
        let file = os_lock(dir, name, Some(deadline))?.ok_or_else(timed_out)?;
        let waited = started.elapsed();
        if waited >= LOCK_WAIT_LOG_THRESHOLD {
            log::info!("waited {waited:?} for the lock {}", path.display());
        }
        Ok(FileLock {
            file: Some(file),
            dir: dir.clone(),
            name: name.to_owned(),
            remove_on_release: options.remove_on_release,
            remove_dir: None,
            _turn: turn,
            _ticket: ticket,
        })
    }

    /// Locks `name` in `dir` only if nobody (no thread, no process) holds
    /// or waits for it in this process and no other process holds it.
    pub(crate) fn try_acquire_in(
        dir: &Arc<PrivateDir>,
        name: &OsStr,
        remove_on_release: bool,
    ) -> Result<Option<FileLock>> {
        let Some(turn) = fair_queue::wait_turn(&dir.join(name), None) else {
            return Ok(None);
        };
        Ok(os_lock(dir, name, None)?.map(|file| FileLock {
            file: Some(file),
            dir: dir.clone(),
            name: name.to_owned(),
            remove_on_release,
            remove_dir: None,
            _turn: Some(turn),
            _ticket: None,
        }))
    }
}

impl FileLock {
    /// The lock file's path.
    pub(crate) fn path(&self) -> PathBuf {
        self.dir.join(&self.name)
    }

    /// Whether the name still refers to the file this lock holds: a lock
    /// file removed (or replaced) by someone else is a lock another process
    /// can take, so it no longer excludes anything.
    pub(crate) fn still_named(&self) -> Result<bool> {
        let path = self.path();
        let Some(file) = &self.file else {
            return Ok(false);
        };
        let held = FileStamp::of(file).map_err(|e| io_error("checking the lock", &path, e))?;
        let named = self
            .dir
            .stat(&self.name)
            .map_err(|e| io_error("checking the lock", &path, e))?;
        Ok(named.is_some_and(|n| n.same_file(&held) && !n.is_symlink))
    }

    /// [`Error::LockLost`] unless [`still_named`](Self::still_named).
    pub(crate) fn check_held(&self, action: &'static str) -> Result<()> {
        if self.still_named()? {
            Ok(())
        } else {
            log::warn!(
                "the lock file {} was removed or replaced while held; {action} refused",
                self.path().display()
            );
            Err(Error::LockLost {
                what: self.path().display().to_string(),
                action,
            })
        }
    }
}

/// Key locks of the file and SQLite stores: held until released (the OS
/// frees them only when the process dies, so no lease runs out); lost only
/// when the lock file is removed or replaced by someone else.
impl super::Fence for FileLock {
    fn confirm(&self, action: &'static str) -> Result<()> {
        self.check_held(action)
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        // Removed while still locked (unless the next in line wants it):
        // a waiter blocked on this file sees the name gone (or renewed) and
        // opens it again. A name that no longer refers to this file
        // (removed by someone else, then taken by another process) is left
        // alone.
        let wanted_next = matches!(&self._ticket, Some(t) if !t.is_alone());
        if self.remove_on_release && !wanted_next && self.still_named().unwrap_or(false) {
            let _ = self.dir.remove(&self.name);
        }
        if let Some(file) = self.file.take() {
            let _ = file.unlock();
        }
        if let Some((parent, name)) = self.remove_dir.take() {
            // Fails while any other lock file (or anything else) is in it;
            // a locker that opened it just before makes it again.
            let _ = parent.remove_dir(&name);
        }
    }
}

/// Waits for a lock this long or longer are logged (`info`): a sign of
/// contention an operator may want to see.
pub(crate) const LOCK_WAIT_LOG_THRESHOLD: Duration = Duration::from_millis(500);

/// Takes the OS lock on `name`, blocking until `deadline` (`None`: not at
/// all). `Ok(None)` when it is held elsewhere past the deadline.
fn os_lock(dir: &PrivateDir, name: &OsStr, deadline: Option<Instant>) -> Result<Option<File>> {
    let path = dir.join(name);
    loop {
        let file = dir
            .open_file(name, Access::ReadWriteCreate)
            .map_err(|e| io_error("opening lock file", &path, e))?;
        let locked = match file.try_lock() {
            Ok(()) => Blocked::Got(file),
            Err(std::fs::TryLockError::WouldBlock) => match deadline {
                Some(deadline) => {
                    block_until(&path, file, deadline).map_err(|e| io_error("locking", &path, e))?
                }
                None => Blocked::TimedOut,
            },
            Err(std::fs::TryLockError::Error(e)) => return Err(io_error("locking", &path, e)),
        };
        let file = match locked {
            Blocked::Got(file) => file,
            Blocked::TimedOut => return Ok(None),
            Blocked::Retry => continue,
        };
        let held = FileStamp::of(&file).map_err(|e| io_error("locking", &path, e))?;
        let named = dir.stat(name).map_err(|e| io_error("locking", &path, e))?;
        if named.is_some_and(|n| n.same_file(&held) && !n.is_symlink) {
            return Ok(Some(file));
        }
        // The file was removed (and maybe created anew) while we waited.
        drop(file);
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(None);
        }
    }
}

/// The lock-file name of one key of one namespace:
/// `{sha256(namespace/key) prefix}.lock`. Hashing keeps any key a safe file
/// name.
fn key_lock_name(namespace: &str, key: &str) -> String {
    let digest = sha256_parts(&[namespace.as_bytes(), &[0], key.as_bytes()]);
    format!("{}.lock", hex(&digest[..12]))
}

fn is_key_lock_name(name: &OsStr) -> bool {
    let Some(name) = name.to_str() else {
        return false;
    };
    name.strip_suffix(".lock")
        .is_some_and(|h| h.len() == 24 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The directory of per-key lock files of the store file `store_name`.
fn key_lock_dir_name(store_name: &OsStr) -> OsString {
    let mut dir = store_name.to_owned();
    dir.push(".locks");
    dir
}

/// The cross-process lock on one key of the store file `store_name` in
/// `dir`: `{store}.locks/{hash}.lock`, removed again on release so lock
/// files do not pile up, and the folder too when it is left empty. A
/// locker that finds the folder removed under it makes it again.
pub(crate) fn lock_key_in(
    dir: &Arc<PrivateDir>,
    store_name: &OsStr,
    namespace: &str,
    key: &str,
    timeout: Duration,
) -> Result<FileLock> {
    let dir_name = key_lock_dir_name(store_name);
    let options = LockOptions {
        line: None,
        remove_on_release: true,
    };
    let deadline = Instant::now() + timeout;
    loop {
        let attempt = dir.subdir(&dir_name).and_then(|locks| {
            FileLock::acquire_in(
                &Arc::new(locks),
                OsStr::new(&key_lock_name(namespace, key)),
                options,
                deadline.saturating_duration_since(Instant::now()),
            )
        });
        match attempt {
            Ok(mut lock) => {
                lock.remove_dir = Some((dir.clone(), dir_name));
                return Ok(lock);
            }
            // The folder was removed by the last holder between our
            // opening it and our lock file.
            Err(Error::Io { source, .. })
                if source.kind() == io::ErrorKind::NotFound && Instant::now() < deadline => {}
            Err(e) => return Err(e),
        }
    }
}

/// The path [`lock_key_in`] locks for one key of the store file
/// `store_name` in `dir`.
pub(crate) fn key_lock_file(
    dir: &PrivateDir,
    store_name: &OsStr,
    namespace: &str,
    key: &str,
) -> PathBuf {
    dir.join(&key_lock_dir_name(store_name))
        .join(key_lock_name(namespace, key))
}

/// The file lock inside `lock` when it is the key lock of `key` in the
/// store file `store_name` in `dir`.
pub(crate) fn held_key_lock<'a>(
    lock: &'a super::KeyLock,
    dir: &PrivateDir,
    store_name: &OsStr,
    namespace: &str,
    key: &str,
) -> Result<&'a FileLock> {
    match lock.fence::<FileLock>() {
        Some(l) if l.path() == key_lock_file(dir, store_name, namespace, key) => Ok(l),
        _ => Err(Error::InvalidArgument(format!(
            "the lock given is not this store's lock on '{key}' in namespace '{namespace}'"
        ))),
    }
}

/// Removes per-key lock files nobody holds (left by a crash or by older
/// versions); returns how many. Each is locked before it is removed, so a
/// waiter on it notices and opens the name again.
pub(crate) fn reap_key_locks(dir: &PrivateDir, store_name: &OsStr) -> Result<usize> {
    let dir_name = key_lock_dir_name(store_name);
    match dir.stat(&dir_name) {
        Ok(Some(s)) if !s.is_symlink => {}
        // Missing, or a planted link (refused when a key is locked).
        _ => return Ok(0),
    }
    let locks = Arc::new(dir.subdir(&dir_name)?);
    let names = locks
        .names()
        .map_err(|e| io_error("listing", locks.path(), e))?;
    let mut reaped = 0;
    for name in names.iter().filter(|n| is_key_lock_name(n)) {
        if let Ok(Some(lock)) = FileLock::try_acquire_in(&locks, name, true) {
            drop(lock);
            reaped += 1;
        }
    }
    Ok(reaped)
}

/// The lock file guarding one key of one namespace of the store at `store`:
/// `{store}.locks/{sha256(namespace/key) prefix}.lock`.
#[cfg_attr(not(feature = "keyring"), allow(dead_code))] // the keyring's key locks
pub(crate) fn key_lock_path(store: &Path, namespace: &str, key: &str) -> Result<PathBuf> {
    let mut dir = store.as_os_str().to_owned();
    dir.push(".locks");
    let dir = PathBuf::from(dir);
    create_private_dir(&dir)?;
    Ok(dir.join(key_lock_name(namespace, key)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_lock_names_are_recognised() {
        let name = key_lock_name("DEFAULT", "alice");
        assert!(is_key_lock_name(OsStr::new(&name)));
        for other in ["tokens.json", "x.lock", "0123456789abcdef01234567.lockx"] {
            assert!(!is_key_lock_name(OsStr::new(other)), "{other}");
        }
    }

    #[test]
    fn a_lock_times_out_and_a_helper_left_behind_gives_the_lock_back() {
        let dir = tempfile::tempdir().unwrap();
        let d = Arc::new(PrivateDir::open(dir.path()).unwrap());
        let name = OsStr::new("t.lock");
        // Another open file description holds the OS lock.
        let other = d.open_file(name, Access::ReadWriteCreate).unwrap();
        other.lock().unwrap();
        let err = FileLock::acquire_in(&d, name, LockOptions::default(), Duration::from_millis(50))
            .unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::LockTimeout);
        other.unlock().unwrap();
        // The helper thread gets the lock nobody wants and releases it.
        let got = FileLock::acquire_in(&d, name, LockOptions::default(), Duration::from_secs(5));
        assert!(got.is_ok());
        drop(got);
        let again = d.open_file(name, Access::ReadWriteCreate).unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while again.try_lock().is_err() {
            assert!(Instant::now() < deadline, "the lock was never given back");
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}
