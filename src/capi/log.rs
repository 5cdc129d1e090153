//! `oak_set_log_callback`: oauthkit's log records (the repository's
//! [logging guide](https://github.com/oauthkit/oauthkit/blob/main/docs/logging.md)) handed to a C function.
//!
//! Threads: the callback may be called from any thread, from several at
//! once (the flows, the session manager and the stores log from the
//! threads that run them and from their helper threads), so it and its
//! `user_data` must be thread-safe. It must return promptly and must not
//! unwind. oauthkit calls made from inside the callback run normally, but
//! what they log is dropped (no recursion), and changing the callback from
//! inside it is refused. `oak_set_log_callback` may be called from any
//! thread at any time: it waits for calls of the previous callback still
//! running on other threads, so once it returns the previous `user_data`
//! is no longer used and may be freed.
//!
//! Only oauthkit's own records are passed at every level; other libraries
//! linked in (the HTTP client logs raw HTTP bytes at trace level) are
//! passed at `OAK_LOG_WARN` and more severe only, so no token reaches the
//! callback through them.

use std::cell::Cell;
use std::ffi::{c_char, c_void, CString};
use std::sync::{OnceLock, RwLock};

use super::boundary::{call, OakStatus};
use crate::error::Error;

/// Log levels, most severe first (the `level` of `oak_set_log_callback`
/// and of each record).
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum OakLogLevel {
    /// Nothing (as the threshold: logging off).
    OAK_LOG_OFF = 0,
    /// A security check refused something that should not happen.
    OAK_LOG_ERROR = 1,
    /// A failure the user sees, or something to fix.
    OAK_LOG_WARN = 2,
    /// One line per decision worth seeing in a normal log.
    OAK_LOG_INFO = 3,
    /// Detail for a diagnosis.
    OAK_LOG_DEBUG = 4,
    /// Everything.
    OAK_LOG_TRACE = 5,
}

/// Receives one log record: its `level` (an `OakLogLevel`), its `target`
/// (the module, e.g. `"oauthkit::session"`) and its `message`, both
/// valid only during the call, plus the `user_data` given to
/// `oak_set_log_callback`. No record holds a secret. May be called from
/// any thread, concurrently; must not unwind.
pub type OakLogFn = Option<
    unsafe extern "C" fn(
        level: i32,
        target: *const c_char,
        message: *const c_char,
        user_data: *mut c_void,
    ),
>;

#[derive(Clone, Copy)]
struct Sink {
    callback: unsafe extern "C" fn(i32, *const c_char, *const c_char, *mut c_void),
    user_data: usize,
    max: log::LevelFilter,
}

static SINK: RwLock<Option<Sink>> = RwLock::new(None);

thread_local! {
    /// Set while this thread runs the callback.
    static IN_CALLBACK: Cell<bool> = const { Cell::new(false) };
}

struct Forwarder;

static FORWARDER: Forwarder = Forwarder;

fn is_ours(target: &str) -> bool {
    target == "oauthkit" || target.starts_with("oauthkit::")
}

impl log::Log for Forwarder {
    fn enabled(&self, m: &log::Metadata<'_>) -> bool {
        let sink = *SINK.read().unwrap_or_else(|p| p.into_inner());
        sink.is_some_and(|s| {
            m.level() <= s.max && (is_ours(m.target()) || m.level() <= log::Level::Warn)
        })
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) || IN_CALLBACK.with(Cell::get) {
            return;
        }
        let target = c_text(record.target());
        let message = c_text(&record.args().to_string());
        // The read lock is held during the call, so oak_set_log_callback
        // waits for running calls before it returns.
        let guard = SINK.read().unwrap_or_else(|p| p.into_inner());
        let Some(sink) = *guard else { return };
        IN_CALLBACK.with(|c| c.set(true));
        // SAFETY: the caller of oak_set_log_callback promised a callable
        // function and a user_data it may be given, from any thread.
        unsafe {
            (sink.callback)(
                level_code(record.level()),
                target.as_ptr(),
                message.as_ptr(),
                sink.user_data as *mut c_void,
            )
        };
        IN_CALLBACK.with(|c| c.set(false));
        drop(guard);
    }

    fn flush(&self) {}
}

fn c_text(s: &str) -> CString {
    CString::new(s.replace('\0', "\\0")).unwrap_or_default()
}

fn level_code(l: log::Level) -> i32 {
    match l {
        log::Level::Error => 1,
        log::Level::Warn => 2,
        log::Level::Info => 3,
        log::Level::Debug => 4,
        log::Level::Trace => 5,
    }
}

fn filter_of(level: i32) -> Option<log::LevelFilter> {
    Some(match level {
        0 => log::LevelFilter::Off,
        1 => log::LevelFilter::Error,
        2 => log::LevelFilter::Warn,
        3 => log::LevelFilter::Info,
        4 => log::LevelFilter::Debug,
        5 => log::LevelFilter::Trace,
        _ => return None,
    })
}

/// Installs the forwarding logger once; an error when the process already
/// has another `log` logger (a Rust program that set its own).
fn install() -> Result<(), Error> {
    if *INSTALLED.get_or_init(|| log::set_logger(&FORWARDER).is_ok()) {
        Ok(())
    } else {
        Err(Error::Unsupported {
            backend: "oak_set_log_callback",
            operation: "forward records in a process that already installed another log logger",
        })
    }
}

static INSTALLED: OnceLock<bool> = OnceLock::new();

/// Sends oauthkit's log records at `level` (an `OakLogLevel`) and more
/// severe to `callback` with `user_data`; records of other libraries
/// linked in (the HTTP client) only at `OAK_LOG_WARN` and more severe.
/// `callback` NULL or `level` `OAK_LOG_OFF` turns logging off. No record
/// holds a secret; targets and levels are listed in docs/logging.md.
///
/// Threads: the callback may be called from any thread, from several at
/// once, so it and `user_data` must be thread-safe; it must return
/// promptly and must not unwind. oauthkit calls made inside it work, but
/// what they log is dropped. This function may be called from any thread,
/// but not from inside the callback (`OAK_ERR_INVALID_ARGUMENT`); it
/// replaces any earlier callback and returns only after calls of the
/// earlier one still running on other threads have finished, so the
/// earlier `user_data` may be freed then. An unknown `level` is
/// `OAK_ERR_INVALID_ARGUMENT`; `OAK_ERR_UNSUPPORTED` when the process
/// already installed another Rust `log` logger (only possible when
/// oauthkit is linked into a Rust program).
#[no_mangle]
pub unsafe extern "C" fn oak_set_log_callback(
    level: i32,
    callback: OakLogFn,
    user_data: *mut c_void,
) -> OakStatus {
    call((), |()| {
        let max = filter_of(level).ok_or_else(|| {
            Error::InvalidArgument(format!("log level {level} is not an OakLogLevel (0..=5)"))
        })?;
        if IN_CALLBACK.with(Cell::get) {
            return Err(Error::InvalidArgument(
                "the log callback cannot be changed from inside itself".into(),
            ));
        }
        let sink = match callback {
            Some(f) if max != log::LevelFilter::Off => Some(Sink {
                callback: f,
                user_data: user_data as usize,
                max,
            }),
            _ => None,
        };
        if sink.is_some() {
            install()?;
        }
        *SINK.write().unwrap_or_else(|p| p.into_inner()) = sink;
        // The level filter is the process's: touched only when the
        // forwarding logger is the process's logger.
        if INSTALLED.get() == Some(&true) {
            log::set_max_level(sink.map_or(log::LevelFilter::Off, |s| s.max));
        }
        Ok(())
    })
}
