//! Strings and string arrays handed to C, and their free functions.
//!
//! Every `char *` an `oak_` function returns through an out-parameter is a
//! fresh copy owned by the caller, freed with [`oak_string_free`] (which
//! zeroes it first, so secrets do not linger in freed memory). Every
//! `char **` array is freed with [`oak_string_array_free`].

use std::ffi::{c_char, CStr, CString};

use zeroize::Zeroize;

use super::boundary::{self, call_void};
use crate::error::{Error, Result};

/// Copies `s` into a new C string owned by the caller.
pub(crate) fn to_c(s: &str) -> Result<*mut c_char> {
    CString::new(s)
        .map(CString::into_raw)
        .map_err(|_| Error::corrupt("a returned string", "it contains a NUL byte"))
}

/// Copies an optional string; `None` becomes NULL.
pub(crate) fn opt_to_c(s: Option<&str>) -> Result<*mut c_char> {
    s.map_or(Ok(std::ptr::null_mut()), to_c)
}

/// Copies a list of strings into a new `char **` array of `len + 1`
/// entries, the last one NULL.
pub(crate) fn array_to_c(items: &[String]) -> Result<(*mut *mut c_char, usize)> {
    let mut ptrs = Vec::with_capacity(items.len() + 1);
    for item in items {
        match to_c(item) {
            Ok(p) => ptrs.push(p),
            Err(e) => {
                ptrs.into_iter().for_each(|p| unsafe { free_c(p) });
                return Err(e);
            }
        }
    }
    ptrs.push(std::ptr::null_mut());
    let len = items.len();
    Ok((Box::into_raw(ptrs.into_boxed_slice()).cast(), len))
}

unsafe fn free_c(s: *mut c_char) {
    if !s.is_null() {
        let mut bytes = CString::from_raw(s).into_bytes();
        bytes.zeroize();
    }
}

/// Frees a string returned by an `oak_` function, overwriting its bytes
/// with zeros first. NULL is a no-op. Any thread may call it.
///
/// The string must not have been modified (its length is read with
/// `strlen`) and must not be used afterwards.
#[no_mangle]
pub unsafe extern "C" fn oak_string_free(s: *mut c_char) {
    call_void(|| free_c(s));
}

/// Frees an array of `len` strings returned by an `oak_` function (such as
/// `oak_store_list`), zeroing each string. NULL is a no-op. Any thread may
/// call it.
///
/// `len` must be the length the function returned with the array.
#[no_mangle]
pub unsafe extern "C" fn oak_string_array_free(items: *mut *mut c_char, len: usize) {
    if items.is_null() {
        return;
    }
    call_void(|| {
        let slice = Box::from_raw(std::ptr::slice_from_raw_parts_mut(items, len + 1));
        slice.iter().for_each(|&p| free_c(p));
    });
}

/// The message of the last failed `oak_` call on the calling thread, or
/// `""` when none has failed yet. Never NULL.
///
/// The string belongs to the library: do not free it. It stays valid until
/// the next `oak_` call on the same thread (copy it if you need it longer).
/// Messages never contain tokens or client secrets. Any thread may call it;
/// each thread has its own message.
#[no_mangle]
pub extern "C" fn oak_last_error_message() -> *const c_char {
    boundary::last_error_ptr()
}

/// The name of a status as a static string (`"OAK_ERR_NOT_FOUND"`), or
/// `"OAK_ERR_UNKNOWN"` for a value this library does not know. Never NULL,
/// never to be freed. Any thread may call it.
#[no_mangle]
pub extern "C" fn oak_status_name(status: i32) -> *const c_char {
    let name: &'static CStr = match status {
        0 => c"OAK_OK",
        1 => c"OAK_ERR_NOT_FOUND",
        2 => c"OAK_ERR_STORAGE",
        3 => c"OAK_ERR_CORRUPT",
        4 => c"OAK_ERR_VALIDATION",
        5 => c"OAK_ERR_IO",
        6 => c"OAK_ERR_UNAVAILABLE",
        7 => c"OAK_ERR_UNSUPPORTED",
        8 => c"OAK_ERR_INVALID_ARGUMENT",
        9 => c"OAK_ERR_HTTP",
        10 => c"OAK_ERR_OAUTH",
        11 => c"OAK_ERR_INVALID_GRANT",
        12 => c"OAK_ERR_ID_TOKEN",
        13 => c"OAK_ERR_TIMEOUT",
        14 => c"OAK_ERR_CANCELLED",
        15 => c"OAK_ERR_AUTHENTICATION",
        16 => c"OAK_ERR_LOCK_TIMEOUT",
        31 => c"OAK_ERR_DECRYPTION",
        99 => c"OAK_ERR_INTERNAL",
        _ => c"OAK_ERR_UNKNOWN",
    };
    name.as_ptr()
}

/// Writes a fresh copy of `s` to `out` (helper for the handle modules).
pub(crate) fn put(out: &mut *mut c_char, s: &str) -> Result<()> {
    *out = to_c(s)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capi::OakStatus::{self, *};

    #[test]
    fn status_names_match_the_enum() {
        let all: [OakStatus; 18] = [
            OAK_OK,
            OAK_ERR_NOT_FOUND,
            OAK_ERR_STORAGE,
            OAK_ERR_CORRUPT,
            OAK_ERR_VALIDATION,
            OAK_ERR_IO,
            OAK_ERR_UNAVAILABLE,
            OAK_ERR_UNSUPPORTED,
            OAK_ERR_INVALID_ARGUMENT,
            OAK_ERR_HTTP,
            OAK_ERR_OAUTH,
            OAK_ERR_INVALID_GRANT,
            OAK_ERR_ID_TOKEN,
            OAK_ERR_TIMEOUT,
            OAK_ERR_CANCELLED,
            OAK_ERR_AUTHENTICATION,
            OAK_ERR_LOCK_TIMEOUT,
            OAK_ERR_INTERNAL,
        ];
        for status in all {
            let name = unsafe { CStr::from_ptr(oak_status_name(status as i32)) };
            assert_eq!(name.to_str().unwrap(), format!("{status:?}"));
        }
        // every status the committed header declares has its name, so a new
        // status cannot be forgotten here
        let header = include_str!("../../include/oauthkit.h");
        let mut seen = 0;
        for line in header.lines() {
            let Some((name, value)) = line.trim().trim_end_matches(',').split_once(" = ") else {
                continue;
            };
            if !name.starts_with("OAK_ERR_") && name != "OAK_OK" {
                continue;
            }
            let value: i32 = value.trim().parse().unwrap();
            let shown = unsafe { CStr::from_ptr(oak_status_name(value)) };
            assert_eq!(shown.to_str().unwrap(), name, "status {value}");
            seen += 1;
        }
        assert!(seen >= 18, "found only {seen} statuses in the header");
        let unknown = unsafe { CStr::from_ptr(oak_status_name(12345)) };
        assert_eq!(unknown.to_str().unwrap(), "OAK_ERR_UNKNOWN");
    }

    #[test]
    fn arrays_are_null_terminated_and_freed() {
        let (items, len) = array_to_c(&["a".into(), "bc".into()]).unwrap();
        assert_eq!(len, 2);
        unsafe {
            assert_eq!(CStr::from_ptr(*items.add(1)).to_str().unwrap(), "bc");
            assert!((*items.add(2)).is_null());
            oak_string_array_free(items, len);
        }
    }
}
