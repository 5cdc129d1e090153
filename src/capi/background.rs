//! `OakBackgroundRefresh`: a thread that keeps a session's keys fresh,
//! for C programs (long-running services that must never hand out an
//! expired token).
//!
//! Threads: `oak_background_refresh_start` and `_errors` may be called
//! from any thread; `oak_background_refresh_free` stops the thread and
//! waits for it, so it must not be called from the session's refresh
//! callback.

use std::ffi::c_char;
use std::time::Duration;

use super::boundary::{call, free_handle, handle, new_handle, out, str_arg, OakStatus};
use super::session::OakSession;
use super::strings::array_to_c;
use crate::error::{Error, Result};
use crate::session::BackgroundRefresh;
use crate::store::check_key;

/// An opaque handle on a running background refresher. Free it with
/// `oak_background_refresh_free`, which stops it.
pub struct OakBackgroundRefresh(BackgroundRefresh);

/// Starts a thread that every `every_seconds` (at least 1) checks the
/// `count` keys in `keys` and refreshes, through `session` (its store, its
/// lock, its refresh callback), those whose access token expires within the
/// session's margin; a key with no stored tokens is skipped. The refresher
/// keeps its own reference to the session. `*out_refresh` receives the
/// handle. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_background_refresh_start(
    session: *const OakSession,
    keys: *const *const c_char,
    count: usize,
    every_seconds: u64,
    out_refresh: *mut *mut OakBackgroundRefresh,
) -> OakStatus {
    call(out(out_refresh, "out_refresh"), |out_refresh| {
        let out_refresh = out_refresh.get()?;
        let session = handle(session, "session")?.0.clone();
        if every_seconds == 0 {
            return Err(Error::InvalidArgument(
                "every_seconds must be at least 1".into(),
            ));
        }
        let keys = key_list(keys, count)?;
        let every = Duration::from_secs(every_seconds);
        *out_refresh = new_handle(OakBackgroundRefresh(BackgroundRefresh::start(
            session, keys, every,
        )));
        Ok(())
    })
}

unsafe fn key_list(keys: *const *const c_char, count: usize) -> Result<Vec<String>> {
    if count == 0 {
        return Ok(Vec::new());
    }
    if keys.is_null() {
        return Err(Error::InvalidArgument(format!(
            "keys is NULL while count is {count}"
        )));
    }
    (0..count)
        .map(|i| {
            let key = str_arg(*keys.add(i), &format!("keys[{i}]"))?;
            check_key(&format!("keys[{i}]"), key)?;
            Ok(key.to_owned())
        })
        .collect()
}

/// Lists the last error of each key whose background refresh failed, as
/// `"key: message"` strings (messages never hold tokens), in a
/// NULL-terminated array of `*out_len` strings (free with
/// `oak_string_array_free`). A key whose refresh later succeeds keeps its
/// last error until it fails again. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_background_refresh_errors(
    refresh: *const OakBackgroundRefresh,
    out_items: *mut *mut *mut c_char,
    out_len: *mut usize,
) -> OakStatus {
    let outs = (out(out_items, "out_items"), out(out_len, "out_len"));
    call(outs, |(out_items, out_len)| {
        let (out_items, out_len) = (out_items.get()?, out_len.get()?);
        let errors: Vec<String> = handle(refresh, "refresh")?
            .0
            .errors()
            .into_iter()
            .map(|(k, e)| format!("{k}: {e}"))
            .collect();
        (*out_items, *out_len) = array_to_c(&errors)?;
        Ok(())
    })
}

/// Stops the refresher and waits for its thread (at most one refresh in
/// flight), then frees the handle. NULL is a no-op. Not from the session's
/// refresh callback.
#[no_mangle]
pub unsafe extern "C" fn oak_background_refresh_free(refresh: *mut OakBackgroundRefresh) {
    free_handle(refresh)
}
