//! The boundary between C and Rust: status codes, the thread-local last
//! error, panic containment and argument conversion.
//!
//! Every `extern "C"` function of the ABI is one call to [`call`] with a
//! closure that converts its arguments with the helpers below and calls the
//! Rust API. [`call`] catches any panic, turns an [`Error`] or a panic into
//! an [`OakStatus`] and records the readable message for
//! `oak_last_error_message`. No entry point has logic of its own.

use std::any::Any;
use std::cell::RefCell;
use std::ffi::{c_char, CStr, CString};
use std::panic::{self, AssertUnwindSafe};

use crate::error::{Error, ErrorKind, Result};

/// The status every `oak_` function returns. `OAK_OK` (0) is success; every
/// other value names the kind of failure and the thread's last-error message
/// (`oak_last_error_message`) says what happened.
///
/// The values equal `oauthkit::ErrorKind`'s and never change; new values may
/// be added, so treat an unknown non-zero value as a failure.
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum OakStatus {
    /// Success.
    OAK_OK = 0,
    /// A key, client, code or token does not exist.
    OAK_ERR_NOT_FOUND = 1,
    /// A backend failed to store or fetch.
    OAK_ERR_STORAGE = 2,
    /// Stored data could not be parsed; it was left as it was.
    OAK_ERR_CORRUPT = 3,
    /// A validator refused a token set.
    OAK_ERR_VALIDATION = 4,
    /// An operating-system I/O error.
    OAK_ERR_IO = 5,
    /// A backend service is not reachable.
    OAK_ERR_UNAVAILABLE = 6,
    /// The backend or this build cannot do this (e.g. a feature is off).
    OAK_ERR_UNSUPPORTED = 7,
    /// An argument was unusable: NULL, not UTF-8, a bad spec or URL.
    OAK_ERR_INVALID_ARGUMENT = 8,
    /// A transport-level HTTP failure.
    OAK_ERR_HTTP = 9,
    /// The provider answered with an OAuth error.
    OAK_ERR_OAUTH = 10,
    /// The grant is gone (`invalid_grant`): the user must sign in again.
    OAK_ERR_INVALID_GRANT = 11,
    /// An ID token failed validation.
    OAK_ERR_ID_TOKEN = 12,
    /// The sign-in did not finish in time.
    OAK_ERR_TIMEOUT = 13,
    /// The sign-in was cancelled.
    OAK_ERR_CANCELLED = 14,
    /// The sign-in failed (forged callback, provider error, mix-up).
    OAK_ERR_AUTHENTICATION = 15,
    /// A lock could not be taken in time.
    OAK_ERR_LOCK_TIMEOUT = 16,
    /// A sealed record of an encrypted store did not open (tampered, moved,
    /// wrong key, or plain text where sealed records are required).
    OAK_ERR_DECRYPTION = 31,
    /// A bug in oauthkit, including a panic caught at the boundary.
    OAK_ERR_INTERNAL = 99,
}

impl From<ErrorKind> for OakStatus {
    fn from(kind: ErrorKind) -> Self {
        use OakStatus::*;
        match kind {
            ErrorKind::NotFound => OAK_ERR_NOT_FOUND,
            ErrorKind::Storage => OAK_ERR_STORAGE,
            ErrorKind::Corrupt => OAK_ERR_CORRUPT,
            ErrorKind::Validation => OAK_ERR_VALIDATION,
            ErrorKind::Io => OAK_ERR_IO,
            ErrorKind::Unavailable => OAK_ERR_UNAVAILABLE,
            ErrorKind::Unsupported => OAK_ERR_UNSUPPORTED,
            ErrorKind::InvalidArgument => OAK_ERR_INVALID_ARGUMENT,
            ErrorKind::Http => OAK_ERR_HTTP,
            ErrorKind::OAuth => OAK_ERR_OAUTH,
            ErrorKind::InvalidGrant => OAK_ERR_INVALID_GRANT,
            ErrorKind::IdToken => OAK_ERR_ID_TOKEN,
            ErrorKind::Timeout => OAK_ERR_TIMEOUT,
            ErrorKind::Cancelled => OAK_ERR_CANCELLED,
            ErrorKind::Authentication => OAK_ERR_AUTHENTICATION,
            ErrorKind::LockTimeout => OAK_ERR_LOCK_TIMEOUT,
            ErrorKind::Decryption => OAK_ERR_DECRYPTION,
            _ => OAK_ERR_INTERNAL,
        }
    }
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// Runs one entry point: catches panics, maps errors to a status and
/// records the message of a failure as this thread's last error.
pub fn call(body: impl FnOnce() -> Result<()>) -> OakStatus {
    let outcome = panic::catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|payload| {
        Err(Error::Internal(format!("panic: {}", panic_text(&*payload))))
    });
    match outcome {
        Ok(()) => OakStatus::OAK_OK,
        Err(e) => {
            set_last_error(&e.to_string());
            e.kind().into()
        }
    }
}

/// Like [`call`] for functions that cannot report a status (the free
/// functions): a panic is contained and recorded, nothing more.
pub fn call_void(body: impl FnOnce()) {
    let _ = call(|| {
        body();
        Ok(())
    });
}

fn panic_text(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

fn set_last_error(message: &str) {
    let text = CString::new(message.replace('\0', "\\0")).unwrap_or_default();
    LAST_ERROR.with(|slot| *slot.borrow_mut() = text);
}

/// The last error message of this thread as a C string; stays valid until
/// the next failing call on this thread replaces it.
pub(crate) fn last_error_ptr() -> *const c_char {
    LAST_ERROR.with(|slot| slot.borrow().as_ptr())
}

fn null(name: &str) -> Error {
    Error::InvalidArgument(format!("{name} is NULL"))
}

/// A borrowed UTF-8 string argument; NULL or invalid UTF-8 is
/// `InvalidArgument` naming the parameter.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that outlives `'a`.
pub unsafe fn str_arg<'a>(ptr: *const c_char, name: &str) -> Result<&'a str> {
    if ptr.is_null() {
        return Err(null(name));
    }
    CStr::from_ptr(ptr).to_str().map_err(|e| {
        Error::InvalidArgument(format!(
            "{name} is not valid UTF-8 (bad byte at offset {})",
            e.valid_up_to()
        ))
    })
}

/// An optional string argument: NULL is `None`.
///
/// # Safety
/// As [`str_arg`].
pub unsafe fn opt_str_arg<'a>(ptr: *const c_char, name: &str) -> Result<Option<&'a str>> {
    if ptr.is_null() {
        Ok(None)
    } else {
        str_arg(ptr, name).map(Some)
    }
}

/// A borrowed handle; NULL is `InvalidArgument`.
///
/// # Safety
/// `ptr` is NULL or a live handle of type `T` made by this library.
pub unsafe fn handle<'a, T>(ptr: *const T, name: &str) -> Result<&'a T> {
    ptr.as_ref().ok_or_else(|| null(name))
}

/// A mutably borrowed handle; NULL is `InvalidArgument`.
///
/// # Safety
/// As [`handle`], and no other thread uses the handle meanwhile.
pub unsafe fn handle_mut<'a, T>(ptr: *mut T, name: &str) -> Result<&'a mut T> {
    ptr.as_mut().ok_or_else(|| null(name))
}

/// A value an out-parameter holds before the call writes its result: NULL
/// for pointers, zero or false for numbers.
pub trait OutValue {
    /// The value written first.
    const EMPTY: Self;
}

impl<T> OutValue for *mut T {
    const EMPTY: Self = std::ptr::null_mut();
}

impl<T> OutValue for *const T {
    const EMPTY: Self = std::ptr::null();
}

macro_rules! out_value_zero {
    ($($t:ty = $zero:expr),*) => { $(impl OutValue for $t { const EMPTY: Self = $zero; })* };
}
out_value_zero!(bool = false, i64 = 0, u64 = 0, i32 = 0, u32 = 0, usize = 0);

/// An out-parameter; NULL is `InvalidArgument`. It is set to its empty
/// value (NULL, 0, false) first, so it is never left dangling or stale when
/// the call fails.
///
/// # Safety
/// `ptr` is NULL or valid for writes of a `T`.
pub unsafe fn out<'a, T: OutValue>(ptr: *mut T, name: &str) -> Result<&'a mut T> {
    if ptr.is_null() {
        return Err(null(name));
    }
    ptr.write(T::EMPTY);
    Ok(&mut *ptr)
}

/// An out-parameter the caller may pass as NULL when it does not want the
/// value.
///
/// # Safety
/// As [`out`].
pub unsafe fn opt_out<'a, T: OutValue>(ptr: *mut T) -> Option<&'a mut T> {
    out(ptr, "").ok()
}

/// Moves a value into a new heap handle for C.
pub fn new_handle<T>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// Frees a handle made by [`new_handle`]; NULL is a no-op.
///
/// # Safety
/// `ptr` is NULL or came from [`new_handle`] with the same `T` and is not
/// used afterwards.
pub unsafe fn free_handle<T>(ptr: *mut T) {
    if !ptr.is_null() {
        call_void(|| drop(Box::from_raw(ptr)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn last_error() -> String {
        unsafe { CStr::from_ptr(last_error_ptr()) }
            .to_string_lossy()
            .into_owned()
    }

    #[test]
    fn every_error_kind_keeps_its_number() {
        for kind in [
            ErrorKind::NotFound,
            ErrorKind::Storage,
            ErrorKind::Corrupt,
            ErrorKind::Validation,
            ErrorKind::Io,
            ErrorKind::Unavailable,
            ErrorKind::Unsupported,
            ErrorKind::InvalidArgument,
            ErrorKind::Http,
            ErrorKind::OAuth,
            ErrorKind::InvalidGrant,
            ErrorKind::IdToken,
            ErrorKind::Timeout,
            ErrorKind::Cancelled,
            ErrorKind::Authentication,
            ErrorKind::LockTimeout,
            ErrorKind::Decryption,
            ErrorKind::Internal,
        ] {
            assert_eq!(OakStatus::from(kind) as i32, kind as i32, "{kind:?}");
        }
    }

    #[test]
    fn a_panic_becomes_internal_with_its_message() {
        let status = call(|| panic!("boom {}", 42));
        assert_eq!(status, OakStatus::OAK_ERR_INTERNAL);
        assert_eq!(last_error(), "internal error: panic: boom 42");
    }

    #[test]
    fn success_leaves_the_last_error_alone() {
        call(|| Err(Error::InvalidArgument("first".into())));
        assert_eq!(call(|| Ok(())), OakStatus::OAK_OK);
        assert_eq!(last_error(), "invalid argument: first");
    }

    #[test]
    fn a_message_with_nul_is_still_readable() {
        call(|| Err(Error::Authentication("a\0b".into())));
        assert_eq!(last_error(), "authentication failed: a\\0b");
    }

    #[test]
    fn bad_utf8_names_the_parameter() {
        let bytes = b"ok\xff\0";
        let err = unsafe { str_arg(bytes.as_ptr().cast(), "key") }.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert!(err.to_string().contains("key is not valid UTF-8"), "{err}");
    }
}
