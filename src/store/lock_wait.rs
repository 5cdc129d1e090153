//! Waiting in the operating system's lock call without blocking the
//! caller past its deadline: one helper thread per lock file makes the
//! blocking `flock` call on behalf of the process, and a caller waits for
//! its result until the deadline. Used by `file_lock.rs` (the holder) and
//! `ticket_line.rs` (the waiter whose ticket is next), so neither imports
//! the other.

use std::collections::BTreeMap;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Instant;

/// How a wait in the OS lock call ended.
pub(crate) enum Blocked {
    Got(File),
    TimedOut,
    /// The helper got the lock when nobody waited and gave it back: try again.
    Retry,
}

/// A thread blocked in the OS lock call on behalf of the process.
#[derive(Default)]
struct Helper {
    state: Mutex<HelperState>,
    done: Condvar,
}

#[derive(Default)]
struct HelperState {
    /// Whether a caller waits for the result now.
    wanted: bool,
    result: Option<io::Result<File>>,
    finished: bool,
}

impl Helper {
    fn lock(&self) -> MutexGuard<'_, HelperState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The helpers blocked on a lock, per lock file: a `BTreeMap` in a plain
/// static, so what it holds at exit is "still reachable" for a C user's
/// leak checker (see `fair_queue.rs`).
static HELPERS: Mutex<BTreeMap<PathBuf, Arc<Helper>>> = Mutex::new(BTreeMap::new());

fn helpers() -> MutexGuard<'static, BTreeMap<PathBuf, Arc<Helper>>> {
    HELPERS.lock().unwrap_or_else(|p| p.into_inner())
}

fn forget_helper(path: &Path, helper: &Arc<Helper>) {
    let mut all = helpers();
    if all.get(path).is_some_and(|h| Arc::ptr_eq(h, helper)) {
        all.remove(path);
    }
}

/// Blocks on the OS lock of `file` (through a helper thread) until
/// `deadline`. Only one thread at a time waits on each path: the holder of
/// its [`Turn`], or the one waiter whose ticket is just behind it.
pub(crate) fn block_until(path: &Path, file: File, deadline: Instant) -> io::Result<Blocked> {
    let helper = {
        let mut all = helpers();
        match all.get(path) {
            // A helper left by a caller that gave up: wait for it instead
            // of starting another one.
            Some(h) if !h.lock().finished => h.clone(),
            _ => {
                let helper = Arc::new(Helper::default());
                let (h, key) = (helper.clone(), path.to_path_buf());
                std::thread::Builder::new()
                    .name("oauthkit-lock".into())
                    .spawn(move || {
                        let result = file.lock().map(|()| file);
                        let mut st = h.lock();
                        st.finished = true;
                        if st.wanted {
                            st.result = Some(result);
                            drop(st);
                            h.done.notify_all();
                        } else {
                            // Nobody waits any more: give the lock back.
                            drop(st);
                            drop(result);
                            forget_helper(&key, &h);
                        }
                    })?;
                all.insert(path.to_path_buf(), helper.clone());
                helper
            }
        }
    };
    let mut st = helper.lock();
    st.wanted = true;
    loop {
        if let Some(result) = st.result.take() {
            st.wanted = false;
            drop(st);
            forget_helper(path, &helper);
            return result.map(Blocked::Got);
        }
        if st.finished {
            drop(st);
            forget_helper(path, &helper);
            return Ok(Blocked::Retry);
        }
        let now = Instant::now();
        if now >= deadline {
            st.wanted = false;
            return Ok(Blocked::TimedOut);
        }
        st = helper
            .done
            .wait_timeout(st, deadline - now)
            .unwrap_or_else(|p| p.into_inner())
            .0;
    }
}
