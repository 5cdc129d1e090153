//! Signing out everywhere from C: revoke and delete the stored tokens, then
//! end the user's session at the provider (RP-initiated logout), either by
//! opening the end-session URL and waiting for the provider's redirect on
//! a loopback port, or by handing the URL to the program.

use std::ffi::{c_char, c_void, CString};
use std::time::Duration;

use super::boundary::{call, handle, opt_out, opt_str_arg, str_arg, OakStatus};
use super::flow::OakOpenBrowserFn;
use super::provider::OakProvider;
use super::store::OakStore;
use super::strings::to_c;
use crate::error::{Error, Result};
use crate::flow::RpLogout;
use crate::session::LogoutReport;

/// What a sign-out did (`oak_logout`, `oak_logout_url`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OakLogoutResult {
    /// The provider accepted the revocation of a stored token.
    pub tokens_revoked: bool,
    /// Tokens were stored under the key and are now deleted.
    pub tokens_deleted: bool,
    /// The provider redirected back with the right state: its session
    /// ended (`oak_logout` only).
    pub provider_session_ended: bool,
}

impl super::boundary::OutValue for OakLogoutResult {
    const EMPTY: Self = OakLogoutResult {
        tokens_revoked: false,
        tokens_deleted: false,
        provider_session_ended: false,
    };
}

impl From<&LogoutReport> for OakLogoutResult {
    fn from(o: &LogoutReport) -> Self {
        OakLogoutResult {
            tokens_revoked: !o.revoked_tokens.is_empty(),
            tokens_deleted: o.tokens_deleted,
            provider_session_ended: o.provider_session_ended,
        }
    }
}

/// Signs `key` out: revokes its tokens (refresh token first), deletes them
/// from `store`, then opens the provider's end-session URL with
/// `open_url` (NULL: the system browser) and waits up to `timeout_seconds`
/// (0: 120 s) for the redirect to `http://127.0.0.1:{port}/logged-out`
/// with the right state. A timeout or a provider without an end-session
/// endpoint is not an error: `out_result->provider_session_ended` is then
/// false. `open_url` follows `OakOpenBrowserFn`'s rules. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_logout(
    provider: *const OakProvider,
    store: *const OakStore,
    key: *const c_char,
    timeout_seconds: u64,
    open_url: OakOpenBrowserFn,
    user_data: *mut c_void,
    out_result: *mut OakLogoutResult,
) -> OakStatus {
    call(opt_out(out_result), |out_result| {
        let provider = handle(provider, "provider")?.0.clone();
        let store = handle(store, "store")?.0.clone();
        let key = str_arg(key, "key")?;
        let user_data = UserData(user_data);
        let mut logout = RpLogout::new(provider, store);
        if timeout_seconds > 0 {
            logout = logout.timeout(Duration::from_secs(timeout_seconds));
        }
        if let Some(f) = open_url {
            logout = logout.browser(move |url| -> Result<()> {
                let url = CString::new(url)
                    .map_err(|_| Error::Authentication("end-session URL holds a NUL".into()))?;
                match f(url.as_ptr(), user_data.ptr()) {
                    0 => Ok(()),
                    status => Err(Error::Authentication(format!(
                        "the open-URL callback failed with status {status}"
                    ))),
                }
            });
        }
        let outcome = logout.run(key)?;
        out_result.set(OakLogoutResult::from(&outcome));
        Ok(())
    })
}

/// Revokes and deletes `key`'s tokens and gives the provider's end-session
/// URL (with `post_logout_redirect_uri`, may be NULL) in `*out_url` (NULL
/// when the provider has none; free with `oak_string_free`), for programs
/// that navigate themselves. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_logout_url(
    provider: *const OakProvider,
    store: *const OakStore,
    key: *const c_char,
    post_logout_redirect_uri: *const c_char,
    out_url: *mut *mut c_char,
    out_result: *mut OakLogoutResult,
) -> OakStatus {
    call(
        (
            super::boundary::out(out_url, "out_url"),
            opt_out(out_result),
        ),
        |(out_url, out_result)| {
            let out_url = out_url.get()?;
            let provider = handle(provider, "provider")?.0.clone();
            let store = handle(store, "store")?.0.clone();
            let key = str_arg(key, "key")?;
            let mut logout = RpLogout::new(provider, store);
            if let Some(r) = opt_str_arg(post_logout_redirect_uri, "post_logout_redirect_uri")? {
                logout = logout.post_logout_redirect_uri(r);
            }
            let outcome = logout.url(key)?;
            if let Some(u) = &outcome.end_session_url {
                *out_url = to_c(u)?;
            }
            out_result.set(OakLogoutResult::from(&outcome));
            Ok(())
        },
    )
}

/// The caller's `user_data`, used only on the calling thread.
struct UserData(*mut c_void);
unsafe impl Send for UserData {}
unsafe impl Sync for UserData {}
impl UserData {
    fn ptr(&self) -> *mut c_void {
        self.0
    }
}
