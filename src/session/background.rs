//! [`BackgroundRefresh`]: a thread that keeps a set of keys fresh, stopped
//! and joined when the handle is dropped.

use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use super::SessionManager;
use crate::error::Error;

/// Errors of background refreshes, by key (the last one of each key).
pub type BackgroundErrors = Arc<Mutex<Vec<(String, Error)>>>;

/// A running background refresher. Dropping it stops the thread and waits
/// for it (at most one refresh in flight).
///
/// ```no_run
/// # use std::sync::Arc;
/// # fn sessions() -> Arc<oauthkit::session::SessionManager> { unimplemented!() }
/// use std::time::Duration;
/// use oauthkit::session::BackgroundRefresh;
/// let bg = BackgroundRefresh::start(sessions(), vec!["alice".into()], Duration::from_secs(15));
/// // ... tokens of "alice" are refreshed before they expire ...
/// drop(bg); // the thread has stopped when this returns
/// ```
#[derive(Debug)]
pub struct BackgroundRefresh {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
    errors: BackgroundErrors,
}

impl BackgroundRefresh {
    /// Checks `keys` every `every` and refreshes those whose access token
    /// expires within the session manager's margin. A key with no stored
    /// tokens is skipped.
    ///
    /// # Panics
    ///
    /// When the operating system cannot start a thread, as
    /// [`std::thread::spawn`] does.
    pub fn start(sessions: Arc<SessionManager>, keys: Vec<String>, every: Duration) -> Self {
        let (tx, rx) = mpsc::channel::<()>();
        let errors: BackgroundErrors = Arc::default();
        let errs = errors.clone();
        let thread = std::thread::Builder::new()
            .name("oauthkit-refresh".into())
            .spawn(move || loop {
                for key in &keys {
                    if matches!(sessions.needs_refresh_now(key), Ok(true)) {
                        if let Err(e) = sessions.tokens(key) {
                            let mut errs = errs.lock().unwrap_or_else(|p| p.into_inner());
                            errs.retain(|(k, _)| k != key);
                            errs.push((key.clone(), e));
                        }
                    }
                }
                match rx.recv_timeout(every) {
                    Err(RecvTimeoutError::Timeout) => continue,
                    _ => break,
                }
            })
            .expect("spawning the refresh thread");
        BackgroundRefresh {
            stop: Some(tx),
            thread: Some(thread),
            errors,
        }
    }

    /// The last error of each key whose background refresh failed.
    pub fn errors(&self) -> Vec<(String, String)> {
        self.errors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(k, e)| (k.clone(), e.to_string()))
            .collect()
    }
}

impl Drop for BackgroundRefresh {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
