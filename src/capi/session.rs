//! `OakSession`: the session manager that hands out fresh access tokens,
//! refreshing (once per key at a time, across processes sharing the store)
//! when they are about to expire, and signs out.
//!
//! Threads: every function may be called from any thread, also
//! concurrently on one handle; only `oak_session_free` needs that no other
//! call uses the handle.

use std::ffi::{c_char, c_void, CString};

use super::boundary::{call, free_handle, handle, new_handle, opt_out, out, str_arg, OakStatus};
use super::provider::OakProvider;
use super::store::OakStore;
use super::strings::put;
use super::token_set::OakTokenSet;
use crate::session::SessionManager;
use std::sync::Arc;

/// Told of every refreshed token set: the key and the new tokens (borrowed
/// for the duration of the call; copy them with `oak_token_set_clone` to
/// keep them). Called on the thread whose `oak_session_*` call refreshed,
/// so `user_data` must be safe to use from any thread the program calls
/// the session from. The session has already saved the tokens to its
/// store. Must return promptly and must not unwind (no C++ exception, no
/// longjmp) out of itself.
pub type OakRefreshFn = Option<
    unsafe extern "C" fn(key: *const c_char, tokens: *const OakTokenSet, user_data: *mut c_void),
>;

/// An opaque handle on a session manager. Free it with `oak_session_free`.
pub struct OakSession(pub(crate) Arc<SessionManager>);

/// The caller's `user_data`, which the caller promised may be used from any
/// thread.
struct UserData(*mut c_void);
unsafe impl Send for UserData {}
unsafe impl Sync for UserData {}
impl UserData {
    fn ptr(&self) -> *mut c_void {
        self.0
    }
}

/// Makes a session manager over `store`, refreshing through `provider`.
/// `on_refresh` (may be NULL) is told of each refreshed token set and gets
/// `user_data`. It keeps its own references: the provider and store
/// handles may be freed before it. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_session_new(
    provider: *const OakProvider,
    store: *const OakStore,
    on_refresh: OakRefreshFn,
    user_data: *mut c_void,
    out_session: *mut *mut OakSession,
) -> OakStatus {
    call(out(out_session, "out_session"), |out_session| {
        let out_session = out_session.get()?;
        let mut manager = SessionManager::new(
            handle(provider, "provider")?.0.clone(),
            handle(store, "store")?.0.clone(),
        );
        if let Some(hook) = on_refresh {
            let user_data = UserData(user_data);
            manager = manager.on_refresh(move |key, tokens| {
                // Keys never hold NUL (they are checked before any save).
                let key = CString::new(key).unwrap_or_default();
                let tokens = OakTokenSet(tokens.clone());
                hook(key.as_ptr(), &tokens, user_data.ptr());
            });
        }
        *out_session = new_handle(OakSession(Arc::new(manager)));
        Ok(())
    })
}

/// Frees a session manager. NULL is a no-op. Any thread, once no other
/// call uses the handle.
#[no_mangle]
pub unsafe extern "C" fn oak_session_free(session: *mut OakSession) {
    free_handle(session)
}

/// Copies a valid access token of `key` to `*out_token`, refreshed first
/// when it expires within a minute (free it with `oak_string_free`, which
/// zeroes it). No tokens stored under `key` is `OAK_ERR_NOT_FOUND`; a
/// refresh token the provider no longer accepts is `OAK_ERR_INVALID_GRANT`
/// (sign in again). Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_session_access_token(
    session: *const OakSession,
    key: *const c_char,
    out_token: *mut *mut c_char,
) -> OakStatus {
    call(out(out_token, "out_token"), |out_token| {
        let out_token = out_token.get()?;
        put(
            out_token,
            handle(session, "session")?
                .0
                .access_token(str_arg(key, "key")?)?
                .expose(),
        )
    })
}

/// Like `oak_session_access_token` but gives the whole token set (free it
/// with `oak_token_set_free`). Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_session_tokens(
    session: *const OakSession,
    key: *const c_char,
    out_tokens: *mut *mut OakTokenSet,
) -> OakStatus {
    call(out(out_tokens, "out_tokens"), |out_tokens| {
        let out_tokens = out_tokens.get()?;
        *out_tokens = new_handle(OakTokenSet(
            handle(session, "session")?.0.tokens(str_arg(key, "key")?)?,
        ));
        Ok(())
    })
}

/// Refreshes the tokens of `key` now, whatever their expiry, and gives the
/// new set (free it with `oak_token_set_free`; `out_tokens` may be NULL).
/// Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_session_refresh(
    session: *const OakSession,
    key: *const c_char,
    out_tokens: *mut *mut OakTokenSet,
) -> OakStatus {
    call(opt_out(out_tokens), |out_tokens| {
        let tokens = handle(session, "session")?
            .0
            .refresh(str_arg(key, "key")?)?;
        out_tokens.set_with(|| new_handle(OakTokenSet(tokens)));
        Ok(())
    })
}

/// Signs `key` out: revokes its refresh token, then its access token (best
/// effort; network failures are ignored), and deletes the stored tokens.
/// `*out_had_tokens` (may be NULL) tells whether there were any. Any
/// thread.
#[no_mangle]
pub unsafe extern "C" fn oak_session_logout(
    session: *const OakSession,
    key: *const c_char,
    out_had_tokens: *mut bool,
) -> OakStatus {
    call(opt_out(out_had_tokens), |out_had_tokens| {
        out_had_tokens.set(
            handle(session, "session")?
                .0
                .logout(str_arg(key, "key")?)?
                .had_tokens,
        );
        Ok(())
    })
}
