//! The boundary between C and Rust: status codes, the thread-local last
//! error, panic containment and argument conversion.
//!
//! Every `extern "C"` function of the ABI is one call to [`call`] with its
//! out-parameters ([`out`], [`opt_out`]) and a closure that converts its
//! arguments with the helpers below and calls the Rust API. [`call`] resets
//! the out-parameters before the closure runs, catches any panic, turns an [`Error`] or a panic into
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

/// Runs one entry point. `outs` are its out-parameters ([`out`],
/// [`opt_out`], a tuple of them, or `()` when it has none): every one that
/// is not NULL is set to its empty value (NULL, 0, false) before `body`
/// runs, so before any argument is checked, and again when the call fails,
/// so a failed call never leaves a stale or dangling value behind. `body`
/// then converts the arguments and calls the Rust API; a panic in it is
/// caught, and an [`Error`] or a panic becomes a status whose message is
/// recorded as this thread's last error.
///
/// Taking the out-parameters here, rather than in each body, is what makes
/// the reset hold for every entry point by construction.
pub fn call<O: OutParams>(outs: O, body: impl FnOnce(O) -> Result<()>) -> OakStatus {
    outs.reset();
    let keep = outs.clone_ptrs();
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| body(outs))).unwrap_or_else(|payload| {
        Err(Error::Internal(format!("panic: {}", panic_text(&*payload))))
    });
    match outcome {
        Ok(()) => OakStatus::OAK_OK,
        Err(e) => {
            keep.reset();
            set_last_error(&e.report().to_string());
            e.kind().into()
        }
    }
}

/// Like [`call`] for functions that cannot report a status (the free
/// functions): a panic is contained and recorded, nothing more.
pub fn call_void(body: impl FnOnce()) {
    let _ = call((), |()| {
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
///
/// # Errors
///
/// [`Error::InvalidArgument`] naming `name` when `ptr` is NULL or the
/// string is not valid UTF-8.
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
///
/// # Errors
///
/// As [`str_arg`], except that NULL is `Ok(None)`.
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
///
/// # Errors
///
/// [`Error::InvalidArgument`] naming `name` when `ptr` is NULL.
pub unsafe fn handle<'a, T>(ptr: *const T, name: &str) -> Result<&'a T> {
    ptr.as_ref().ok_or_else(|| null(name))
}

/// A mutably borrowed handle; NULL is `InvalidArgument`.
///
/// # Safety
/// As [`handle`], and no other thread uses the handle meanwhile.
///
/// # Errors
///
/// [`Error::InvalidArgument`] naming `name` when `ptr` is NULL.
pub unsafe fn handle_mut<'a, T>(ptr: *mut T, name: &str) -> Result<&'a mut T> {
    ptr.as_mut().ok_or_else(|| null(name))
}

/// The body of every accessor: the out-parameter `out_name` gets what `get`
/// reads from the handle `handle_name` (reset first; NULL handle or NULL
/// out-parameter is `InvalidArgument`, checked in that order: out, handle).
///
/// # Safety
/// As [`handle`] and [`out`].
pub unsafe fn read<H, T: OutValue>(
    ptr: *const H,
    handle_name: &str,
    out_value: *mut T,
    out_name: &'static str,
    get: impl FnOnce(&H) -> Result<T>,
) -> OakStatus {
    call(out(out_value, out_name), |out_value| {
        let out_value = out_value.get()?;
        *out_value = get(handle(ptr, handle_name)?)?;
        Ok(())
    })
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

/// A required out-parameter: [`call`] resets it, [`Out::get`] gives it to
/// the body, where NULL is `InvalidArgument` naming the parameter.
pub struct Out<T: OutValue> {
    ptr: *mut T,
    name: &'static str,
}

/// An optional out-parameter: NULL means the caller does not want the
/// value; [`call`] resets it when given.
pub struct OptOut<T: OutValue> {
    ptr: *mut T,
}

/// A required out-parameter named `name` (for the error message).
///
/// # Safety
/// `ptr` is NULL or valid for writes of a `T` for the whole call.
pub unsafe fn out<T: OutValue>(ptr: *mut T, name: &'static str) -> Out<T> {
    Out { ptr, name }
}

/// An out-parameter the caller may pass as NULL when it does not want the
/// value.
///
/// # Safety
/// As [`out`].
pub unsafe fn opt_out<T: OutValue>(ptr: *mut T) -> OptOut<T> {
    OptOut { ptr }
}

impl<T: OutValue> Out<T> {
    /// The out-parameter (already reset); NULL is `InvalidArgument`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming the parameter when the caller passed
    /// NULL.
    pub fn get<'a>(self) -> Result<&'a mut T> {
        // SAFETY: `out`'s caller promised the pointer is NULL or writable.
        unsafe { self.ptr.as_mut() }.ok_or_else(|| null(self.name))
    }
}

impl<T: OutValue> OptOut<T> {
    /// Whether the caller gave the out-parameter (it is not NULL).
    pub fn wanted(&self) -> bool {
        !self.ptr.is_null()
    }

    /// Writes `value` when the caller gave the out-parameter. For values
    /// that own something (a handle, a string), use [`OptOut::set_with`] so
    /// that nothing is allocated for a NULL out-parameter.
    pub fn set(self, value: T) {
        self.set_with(|| value)
    }

    /// Makes and writes the value only when the caller gave the
    /// out-parameter.
    pub fn set_with(self, make: impl FnOnce() -> T) {
        // SAFETY: `opt_out`'s caller promised the pointer is NULL or writable.
        if let Some(slot) = unsafe { self.ptr.as_mut() } {
            *slot = make();
        }
    }
}

/// The out-parameters of one entry point, reset by [`call`]. Implemented
/// for [`Out`], [`OptOut`], `()` and tuples of up to four of them.
pub trait OutParams {
    /// Sets every out-parameter that is not NULL to its empty value.
    fn reset(&self);
    /// A copy of the pointers, to reset them again after a failure.
    #[doc(hidden)]
    fn clone_ptrs(&self) -> Self;
}

impl OutParams for () {
    fn reset(&self) {}
    fn clone_ptrs(&self) -> Self {}
}

impl<T: OutValue> OutParams for Out<T> {
    fn reset(&self) {
        if !self.ptr.is_null() {
            // SAFETY: `out`'s caller promised the pointer is NULL or writable.
            unsafe { self.ptr.write(T::EMPTY) }
        }
    }
    fn clone_ptrs(&self) -> Self {
        Out {
            ptr: self.ptr,
            name: self.name,
        }
    }
}

impl<T: OutValue> OutParams for OptOut<T> {
    fn reset(&self) {
        if !self.ptr.is_null() {
            // SAFETY: `opt_out`'s caller promised the pointer is NULL or writable.
            unsafe { self.ptr.write(T::EMPTY) }
        }
    }
    fn clone_ptrs(&self) -> Self {
        OptOut { ptr: self.ptr }
    }
}

macro_rules! out_params_tuple {
    ($($name:ident . $i:tt),+) => {
        impl<$($name: OutParams),+> OutParams for ($($name,)+) {
            fn reset(&self) {
                $(self.$i.reset();)+
            }
            fn clone_ptrs(&self) -> Self {
                ($(self.$i.clone_ptrs(),)+)
            }
        }
    };
}
out_params_tuple!(A.0);
out_params_tuple!(A.0, B.1);
out_params_tuple!(A.0, B.1, C.2);
out_params_tuple!(A.0, B.1, C.2, D.3);

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
        let status = call((), |()| panic!("boom {}", 42));
        assert_eq!(status, OakStatus::OAK_ERR_INTERNAL);
        assert_eq!(last_error(), "internal error: panic: boom 42");
    }

    #[test]
    fn success_leaves_the_last_error_alone() {
        call((), |()| Err(Error::InvalidArgument("first".into())));
        assert_eq!(call((), |()| Ok(())), OakStatus::OAK_OK);
        assert_eq!(last_error(), "invalid argument: first");
    }

    #[test]
    fn a_message_with_nul_is_still_readable() {
        call((), |()| Err(Error::Authentication("a\0b".into())));
        assert_eq!(last_error(), "authentication failed: a\\0b");
    }

    #[test]
    fn out_parameters_are_reset_before_the_body_and_again_on_failure() {
        let (mut p, mut n, mut b) = (8usize as *mut u8, 7usize, true);
        let outs = unsafe { (out(&mut p, "p"), out(&mut n, "n"), opt_out(&mut b)) };
        let status = call(outs, |(p, n, b)| {
            let (p, n) = (p.get()?, n.get()?);
            // The body sees the reset values, then writes and fails.
            assert!(p.is_null() && *n == 0);
            (*p, *n) = (16usize as *mut u8, 3);
            b.set(true);
            Err(Error::InvalidArgument("late failure".into()))
        });
        assert_eq!(status, OakStatus::OAK_ERR_INVALID_ARGUMENT);
        assert!(p.is_null() && n == 0 && !b);

        let (mut p, mut n) = (8usize as *mut u8, 7usize);
        let outs = unsafe { (out(&mut p, "p"), out(&mut n, "n")) };
        let status = call(outs, |(p, _)| {
            *p.get()? = 16usize as *mut u8;
            panic!("after a write")
        });
        assert_eq!(status, OakStatus::OAK_ERR_INTERNAL);
        assert!(p.is_null() && n == 0);
    }

    #[test]
    fn a_null_out_parameter_does_not_stop_the_others_being_reset() {
        let (mut n, mut b) = (7usize, true);
        let outs = unsafe {
            (
                out(std::ptr::null_mut::<*mut u8>(), "out_first"),
                out(&mut n, "n"),
                opt_out(&mut b),
            )
        };
        let status = call(outs, |(first, _, _)| first.get().map(drop));
        assert_eq!(status, OakStatus::OAK_ERR_INVALID_ARGUMENT);
        assert_eq!(last_error(), "invalid argument: out_first is NULL");
        assert!(n == 0 && !b);
    }

    #[test]
    fn bad_utf8_names_the_parameter() {
        let bytes = b"ok\xff\0";
        let err = unsafe { str_arg(bytes.as_ptr().cast(), "key") }.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert!(err.to_string().contains("key is not valid UTF-8"), "{err}");
    }
}
