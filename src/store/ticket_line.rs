//! One first-come first-served line of waiters in front of a lock file,
//! shared by every thread of every process.
//!
//! An operating-system lock wakes its waiters in no promised order, and a
//! line per process makes a process with many threads as slow to serve as
//! one with a single thread: each of its threads waits for every other
//! process once per thread ahead of it. Here every waiter, thread or
//! process, takes its own numbered ticket in a line directory beside the
//! lock file (`{lock}.line/t{number:016x}`) and is served in number order.
//!
//! - Taking a ticket: the next number after the highest ticket in line (a
//!   time-based number when the line is empty, so names are not reused),
//!   created exclusively (`O_EXCL`) and locked (`flock`) by its owner for as
//!   long as it waits and holds the lock.
//! - Waiting: a waiter blocks on the lock of the ticket just ahead of its
//!   own. That lock comes free when the ticket's owner is done (it removes
//!   its ticket first) or dies (the operating system releases its locks; the
//!   waiter then removes the dead ticket). Then it looks again: no ticket
//!   ahead means its turn has come. No polling, and a killed process never
//!   blocks the line.
//! - Patience: a waiter gives up only when the line's first ticket has not
//!   changed for the whole patience, so a long line that moves is never a
//!   timeout, while a holder that hangs is reported after one patience.
//! - Leaving: the owner removes its ticket, unlocks it, and removes the line
//!   directory if it is empty, so nothing is left once nobody waits (a
//!   newcomer that finds the directory gone makes it again).

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::lock_wait::{block_until, Blocked};
use super::private_dir::{io_error, Access, FileStamp, PrivateDir};
use crate::error::{Error, Result};

/// A place in line; it leaves the line when dropped.
pub(crate) struct Ticket {
    parent: Arc<PrivateDir>,
    line_name: OsString,
    line: PrivateDir,
    number: u64,
    file: Option<File>,
}

impl std::fmt::Debug for Ticket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ticket")
            .field("line", &self.line.path())
            .field("number", &self.number)
            .finish()
    }
}

fn ticket_name(number: u64) -> OsString {
    OsString::from(format!("t{number:016x}"))
}

fn ticket_number(name: &OsStr) -> Option<u64> {
    let hex = name.to_str()?.strip_prefix('t')?;
    if hex.len() != 16 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(hex, 16).ok()
}

/// The ticket numbers in line, lowest first.
fn numbers(line: &PrivateDir) -> io::Result<Vec<u64>> {
    let mut numbers: Vec<u64> = line
        .names()?
        .iter()
        .filter_map(|n| ticket_number(n))
        .collect();
    numbers.sort_unstable();
    Ok(numbers)
}

fn line_error(line: &PrivateDir, doing: &str, e: io::Error) -> Error {
    io_error(doing, line.path(), e)
}

/// Takes a ticket at the end of the line `line_name` in `parent`.
fn take_ticket(parent: &Arc<PrivateDir>, line_name: &OsStr) -> Result<Ticket> {
    let mut last_error = None;
    for _ in 0..1000 {
        let line = parent.subdir(line_name)?;
        let next = match numbers(&line) {
            Ok(n) => match n.last() {
                Some(last) => last.saturating_add(1),
                None => SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_micros() as u64),
            },
            // The directory was removed by the last one to leave.
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(line_error(&line, "listing", e)),
        };
        let name = ticket_name(next);
        let file = match line.open_file(&name, Access::CreateNew) {
            Ok(f) => f,
            // Someone took that number first, or the directory was removed
            // between our listing and our ticket: try again.
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::AlreadyExists | io::ErrorKind::NotFound
                ) =>
            {
                last_error = Some(e);
                continue;
            }
            Err(e) => return Err(line_error(&line, "taking a ticket in", e)),
        };
        match file.try_lock() {
            Ok(()) => {}
            // The waiter behind took it, between its creation and our lock,
            // for a dead ticket; it removes it.
            Err(std::fs::TryLockError::WouldBlock) => continue,
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(line_error(&line, "taking a ticket in", e))
            }
        }
        // Still ours under that name (not removed in that same moment)?
        let held = FileStamp::of(&file).map_err(|e| line_error(&line, "taking a ticket in", e))?;
        match line.stat(&name) {
            Ok(Some(n)) if n.same_file(&held) && !n.is_symlink => {}
            Ok(_) => continue,
            Err(e) => return Err(line_error(&line, "taking a ticket in", e)),
        }
        return Ok(Ticket {
            parent: parent.clone(),
            line_name: line_name.to_owned(),
            line,
            number: next,
            file: Some(file),
        });
    }
    Err(io_error(
        "taking a ticket in",
        &parent.join(line_name),
        last_error.unwrap_or_else(|| io::Error::other("the line kept changing")),
    ))
}

/// Joins the line `line_name` in `parent` and waits until no ticket is
/// ahead of this one. `Ok(None)` when the first ticket of the line did not
/// change for `patience` (a holder that hangs).
pub(crate) fn wait_in_line(
    parent: &Arc<PrivateDir>,
    line_name: &OsStr,
    patience: Duration,
) -> Result<Option<Ticket>> {
    let ticket = take_ticket(parent, line_name)?;
    let line = &ticket.line;
    let mut first = None;
    let mut deadline = Instant::now() + patience;
    loop {
        let numbers = numbers(line).map_err(|e| line_error(line, "listing", e))?;
        let Some(ahead) = numbers
            .iter()
            .copied()
            .take_while(|n| *n < ticket.number)
            .last()
        else {
            return Ok(Some(ticket));
        };
        let now = Instant::now();
        if first != numbers.first().copied() {
            // The line moved: patience starts again.
            first = numbers.first().copied();
            deadline = now + patience;
        }
        if now >= deadline {
            return Ok(None);
        }
        let name = ticket_name(ahead);
        let file = match line.open_file(&name, Access::Read) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue, // done meanwhile
            Err(e) => return Err(line_error(line, "waiting in", e)),
        };
        let path = line.join(&name);
        match block_until(&path, file, deadline).map_err(|e| line_error(line, "waiting in", e))? {
            Blocked::Got(file) => {
                // Its owner is done (the ticket is gone) or dead (the ticket
                // is still there, unlocked): a dead one is removed.
                let held = FileStamp::of(&file).map_err(|e| line_error(line, "waiting in", e))?;
                if matches!(line.stat(&name), Ok(Some(n)) if n.same_file(&held) && !n.is_symlink) {
                    let _ = line.remove(&name);
                    log::debug!(
                        "removed the ticket {} of a waiter that is gone",
                        path.display()
                    );
                }
            }
            Blocked::TimedOut | Blocked::Retry => {}
        }
    }
}

impl Ticket {
    /// Whether nobody else is in line now (so a lock file released now
    /// will not be wanted next).
    pub(crate) fn is_alone(&self) -> bool {
        numbers(&self.line).is_ok_and(|n| n.iter().all(|t| *t == self.number))
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let _ = self.line.remove(&ticket_name(self.number));
        drop(self.file.take());
        // The last one out removes the line; this fails while anyone else
        // has a ticket in it.
        let _ = self.parent.remove_dir(&self.line_name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticket_names_round_trip_and_nothing_else_is_a_ticket() {
        for n in [0, 1, 0xdead_beef, u64::MAX] {
            assert_eq!(ticket_number(&ticket_name(n)), Some(n));
        }
        for other in [
            "t123",
            "x0000000000000001",
            "t000000000000000g",
            "t00000000000000001",
        ] {
            assert_eq!(ticket_number(OsStr::new(other)), None, "{other}");
        }
    }

    #[test]
    fn waiters_are_served_in_ticket_order_and_the_line_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let parent = Arc::new(PrivateDir::open(dir.path()).unwrap());
        let line = OsStr::new("x.lock.line");
        let first = wait_in_line(&parent, line, Duration::from_secs(60))
            .unwrap()
            .expect("an empty line");
        let served = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut threads = Vec::new();
        for i in 0..6 {
            let (p, served) = (parent.clone(), served.clone());
            threads.push(std::thread::spawn(move || {
                let t = wait_in_line(&p, OsStr::new("x.lock.line"), Duration::from_secs(60));
                served.lock().unwrap().push(i);
                drop(t.unwrap().expect("served"));
            }));
            // The next thread comes once this one has its ticket.
            while numbers(&parent.subdir(line).unwrap()).unwrap().len() < i + 2 {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        drop(first);
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(*served.lock().unwrap(), (0..6).collect::<Vec<_>>());
        assert!(!dir.path().join(line).exists(), "the empty line is removed");
    }

    #[test]
    fn a_waiter_gives_up_when_the_line_does_not_move_and_a_dead_ticket_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let parent = Arc::new(PrivateDir::open(dir.path()).unwrap());
        let line = OsStr::new("y.lock.line");
        let held = wait_in_line(&parent, line, Duration::from_secs(5))
            .unwrap()
            .unwrap();
        assert!(wait_in_line(&parent, line, Duration::from_millis(100))
            .unwrap()
            .is_none());
        drop(held);
        // A ticket whose owner died: present, unlocked.
        let l = parent.subdir(line).unwrap();
        drop(l.open_file(&ticket_name(1), Access::CreateNew).unwrap());
        let t = wait_in_line(&parent, line, Duration::from_secs(5)).unwrap();
        assert!(t.is_some(), "a dead ticket does not block the line");
        assert_eq!(numbers(&l).unwrap().len(), 1, "the dead ticket was removed");
    }
}
