//! The process's own threads, in arrival order, in front of a file lock.
//!
//! An operating-system file lock orders processes, not threads, and it
//! wakes its waiters in no promised order. So before a thread asks the OS
//! for a lock file it takes a [`Turn`] on that file's in-process queue: a
//! first-in first-out line, one queue per lock-file path. Only the thread at
//! the head goes on to the OS lock, so the process competes with one thread
//! at a time and no thread of it can be overtaken by a later one.
//!
//! A thread in line gives up only when the line stops moving: its patience
//! starts again each time the turn passes to another thread, so waiting
//! behind many writers that all finish is never a timeout, while a holder
//! that hangs is reported after one patience.

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

#[derive(Default)]
struct Queue {
    state: Mutex<State>,
    turn_changed: Condvar,
}

#[derive(Default)]
struct State {
    /// Tickets in arrival order; the front one holds the turn.
    waiting: VecDeque<u64>,
    next_ticket: u64,
}

/// The process-wide registry. A `BTreeMap` in a plain static: its nodes
/// are pointed at from their start, so at exit whatever it still holds is
/// "still reachable" for a C user's leak checker (a hash table is pointed
/// at from its middle, which valgrind calls "possibly lost"), and an empty
/// map holds no allocation at all.
static QUEUES: Mutex<BTreeMap<PathBuf, Arc<Queue>>> = Mutex::new(BTreeMap::new());

fn queues() -> MutexGuard<'static, BTreeMap<PathBuf, Arc<Queue>>> {
    QUEUES.lock().unwrap_or_else(|p| p.into_inner())
}

fn lock(queue: &Queue) -> MutexGuard<'_, State> {
    queue.state.lock().unwrap_or_else(|p| p.into_inner())
}

/// This thread's turn at one lock file; the next thread in line gets it
/// when this is dropped.
#[must_use = "the turn passes on when this value is dropped"]
pub(crate) struct Turn {
    key: PathBuf,
    queue: Arc<Queue>,
    ticket: u64,
}

impl std::fmt::Debug for Turn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Turn").field("lock", &self.key).finish()
    }
}

/// Joins the line for `key` and waits for the turn, giving up when the
/// turn has not moved for `patience` (`None`: only if nobody is in line).
/// `None` when the turn did not come.
pub(crate) fn wait_turn(key: &Path, patience: Option<Duration>) -> Option<Turn> {
    let (queue, ticket) = {
        let mut all = queues();
        let queue = all.entry(key.to_path_buf()).or_default().clone();
        let mut st = lock(&queue);
        if patience.is_none() && !st.waiting.is_empty() {
            return None;
        }
        let ticket = st.next_ticket;
        st.next_ticket += 1;
        st.waiting.push_back(ticket);
        drop(st);
        (queue, ticket)
    };
    let mut st = lock(&queue);
    let mut front = st.waiting.front().copied();
    let mut deadline = patience.map(|p| Instant::now() + p);
    loop {
        if st.waiting.front() == Some(&ticket) {
            drop(st);
            return Some(Turn {
                key: key.to_path_buf(),
                queue,
                ticket,
            });
        }
        let now = Instant::now();
        if st.waiting.front().copied() != front {
            // The line moved: patience starts again.
            front = st.waiting.front().copied();
            deadline = patience.map(|p| now + p);
        }
        match deadline {
            Some(d) if now < d => {
                st = queue
                    .turn_changed
                    .wait_timeout(st, d - now)
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
            }
            _ => {
                drop(st);
                leave(key, &queue, ticket);
                return None;
            }
        }
    }
}

/// Takes `ticket` out of the line, wakes the others and forgets an empty
/// queue (the registry lock first, as everywhere).
fn leave(key: &Path, queue: &Arc<Queue>, ticket: u64) {
    let mut all = queues();
    let mut st = lock(queue);
    st.waiting.retain(|t| *t != ticket);
    let empty = st.waiting.is_empty();
    drop(st);
    queue.turn_changed.notify_all();
    if empty && all.get(key).is_some_and(|q| Arc::ptr_eq(q, queue)) {
        all.remove(key);
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        leave(&self.key, &self.queue, self.ticket);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn in_line(key: &Path) -> usize {
        queues().get(key).map_or(0, |q| lock(q).waiting.len())
    }

    #[test]
    fn threads_get_their_turn_in_arrival_order() {
        let key = PathBuf::from("/fair-queue-test/order");
        let first = wait_turn(&key, None).expect("nobody in line");
        let served = Arc::new(Mutex::new(Vec::new()));
        let mut threads = Vec::new();
        for i in 0..8 {
            let (k, served) = (key.clone(), served.clone());
            threads.push(std::thread::spawn(move || {
                let turn = wait_turn(&k, Some(Duration::from_secs(60)));
                served.lock().unwrap().push(i);
                drop(turn.expect("the turn came"));
            }));
            // The next thread starts only once this one is in line.
            while in_line(&key) < i + 2 {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        drop(first);
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(*served.lock().unwrap(), (0..8).collect::<Vec<_>>());
        assert!(queues().get(&key).is_none(), "an empty queue is forgotten");
    }

    #[test]
    fn a_waiter_gives_up_at_its_deadline_and_leaves_the_line() {
        let key = PathBuf::from("/fair-queue-test/deadline");
        let held = wait_turn(&key, None).unwrap();
        assert!(wait_turn(&key, Some(Duration::from_millis(50))).is_none());
        assert!(wait_turn(&key, None).is_none(), "someone holds the turn");
        drop(held);
        assert!(wait_turn(&key, None).is_some(), "the line is empty again");
    }
}
