//! `OakFlow`: the native loopback sign-in (RFC 8252) with a browser-opening
//! callback, and its cancellation from another thread.
//!
//! Threads: configure the flow (the `oak_flow_set_*` functions) before
//! running it, from one thread. `oak_flow_run_native` blocks the calling
//! thread; `oak_flow_cancel` and `oak_flow_state` may be called from any
//! other thread meanwhile. `oak_flow_free` needs that no call uses the
//! handle (in particular that the run has returned).

use std::ffi::{c_char, c_void, CString};
use std::time::Duration;

use super::boundary::{
    call, free_handle, handle, handle_mut, new_handle, opt_out, out, str_arg, OakStatus,
};
use super::provider::OakProvider;
use super::session::OakSession;
use super::store::OakStore;
use super::token_set::OakTokenSet;
use crate::error::{Error, Result};
use crate::flow::state::AuthFlowState;
use crate::flow::{AuthFlowManager, AuthFlowManagerBuilder, NativeOptions};

/// Shows the authorization URL to the user: opens it in a browser or a
/// window of the application. Called once per run, on the thread running
/// `oak_flow_run_native`, before the flow waits for the redirect, so it
/// must return promptly (start the browser, don't wait for it). `url` is
/// valid only during the call. Return `OAK_OK` (0) when the URL was shown;
/// any other value ends the run with `OAK_ERR_AUTHENTICATION`. The return
/// type is a plain `int32_t`, not the status enum, so any value a C
/// callback returns is well defined. The callback must not unwind (no C++
/// exception, no longjmp) out of itself.
pub type OakOpenBrowserFn =
    Option<unsafe extern "C" fn(url: *const c_char, user_data: *mut c_void) -> i32>;

/// Where a sign-in is, as `oak_flow_state` reports it.
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum OakFlowState {
    /// No sign-in has run yet.
    OAK_FLOW_IDLE = 0,
    /// The browser was sent to the provider; waiting for the redirect.
    OAK_FLOW_WAITING_FOR_CALLBACK = 1,
    /// The callback arrived; exchanging the code.
    OAK_FLOW_EXCHANGING = 2,
    /// The last sign-in succeeded.
    OAK_FLOW_COMPLETED = 3,
    /// The last sign-in failed.
    OAK_FLOW_FAILED = 4,
    /// The last sign-in was cancelled.
    OAK_FLOW_CANCELLED = 5,
    /// The last sign-in timed out.
    OAK_FLOW_TIMED_OUT = 6,
}

impl super::boundary::OutValue for OakFlowState {
    const EMPTY: Self = OakFlowState::OAK_FLOW_IDLE;
}

impl From<AuthFlowState> for OakFlowState {
    fn from(state: AuthFlowState) -> Self {
        use OakFlowState::*;
        match state {
            AuthFlowState::Idle => OAK_FLOW_IDLE,
            AuthFlowState::WaitingForCallback => OAK_FLOW_WAITING_FOR_CALLBACK,
            AuthFlowState::Exchanging => OAK_FLOW_EXCHANGING,
            AuthFlowState::Completed => OAK_FLOW_COMPLETED,
            AuthFlowState::Failed => OAK_FLOW_FAILED,
            AuthFlowState::Cancelled => OAK_FLOW_CANCELLED,
            AuthFlowState::TimedOut => OAK_FLOW_TIMED_OUT,
        }
    }
}

/// An opaque handle on a sign-in flow against one provider. Free it with
/// `oak_flow_free`.
pub struct OakFlow(Option<AuthFlowManager>);

impl OakFlow {
    fn manager(&self) -> Result<&AuthFlowManager> {
        self.0.as_ref().ok_or_else(broken)
    }
}

fn broken() -> Error {
    Error::Internal("flow handle broken by an earlier panic".into())
}

/// Replaces the manager of a flow with a reconfigured one (through its
/// builder, whose methods take it by value). Convert the arguments before
/// calling this.
pub(crate) unsafe fn configure(
    flow: *mut OakFlow,
    change: impl FnOnce(AuthFlowManagerBuilder) -> AuthFlowManagerBuilder,
) -> Result<()> {
    let flow = handle_mut(flow, "flow")?;
    let manager = flow.0.take().ok_or_else(broken)?;
    flow.0 = Some(change(manager.into_builder()).build());
    Ok(())
}

/// Makes a flow that signs in with `provider` and saves the tokens to
/// `store` (may be NULL: then to `session`'s store, or nowhere). `session`
/// may be NULL. PKCE (S256) is on and the timeout is 120 s. The flow keeps
/// its own references: the provider, store and session handles may be
/// freed before it. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_flow_new(
    provider: *const OakProvider,
    store: *const OakStore,
    session: *const OakSession,
    out_flow: *mut *mut OakFlow,
) -> OakStatus {
    call(out(out_flow, "out_flow"), |out_flow| {
        let out_flow = out_flow.get()?;
        let provider = handle(provider, "provider")?.0.clone();
        let store = store.as_ref().map(|s| s.0.clone());
        let session = session.as_ref().map(|s| s.0.clone());
        let mut builder = AuthFlowManager::builder(provider);
        if let Some(store) = store {
            builder = builder.store(store);
        }
        if let Some(session) = session {
            builder = builder.session(session);
        }
        *out_flow = new_handle(OakFlow(Some(builder.build())));
        Ok(())
    })
}

/// Frees a flow. NULL is a no-op. Only once `oak_flow_run_native` has
/// returned.
#[no_mangle]
pub unsafe extern "C" fn oak_flow_free(flow: *mut OakFlow) {
    free_handle(flow)
}

/// Sets how long the user has to sign in (seconds, at least 1). Before
/// running; one thread.
#[no_mangle]
pub unsafe extern "C" fn oak_flow_set_timeout(flow: *mut OakFlow, seconds: u64) -> OakStatus {
    call((), |()| match seconds {
        0 => Err(Error::InvalidArgument(
            "the timeout must be at least 1 second".into(),
        )),
        s => configure(flow, |m| m.timeout(Duration::from_secs(s))),
    })
}

/// Stores the tokens under `key` instead of the identity's `sub`. Before
/// running; one thread.
#[no_mangle]
pub unsafe extern "C" fn oak_flow_set_token_key(
    flow: *mut OakFlow,
    key: *const c_char,
) -> OakStatus {
    call((), |()| {
        let key = str_arg(key, "key")?;
        configure(flow, |m| m.token_key(key))
    })
}

/// Adds a query parameter to the authorization URL (`prompt`,
/// `login_hint`, ...). Before running; one thread.
#[no_mangle]
pub unsafe extern "C" fn oak_flow_add_param(
    flow: *mut OakFlow,
    name: *const c_char,
    value: *const c_char,
) -> OakStatus {
    call((), |()| {
        let (name, value) = (str_arg(name, "name")?, str_arg(value, "value")?);
        configure(flow, |m| m.extra_param(name, value))
    })
}

/// Whether to fetch userinfo after the code exchange (default true).
/// Before running; one thread.
#[no_mangle]
pub unsafe extern "C" fn oak_flow_set_userinfo(flow: *mut OakFlow, fetch: bool) -> OakStatus {
    call((), |()| configure(flow, |m| m.userinfo(fetch)))
}

/// Runs the native sign-in and blocks until it succeeds or ends with
/// `OAK_ERR_TIMEOUT`, `OAK_ERR_CANCELLED`, the provider's
/// `OAK_ERR_OAUTH`, or `OAK_ERR_AUTHENTICATION` (forged or failed
/// callback). `open_browser` shows the authorization URL (NULL: the system
/// browser, or the URL printed on standard error when there is none) and
/// gets `user_data`. On success `*out_tokens` receives the tokens (free
/// with `oak_token_set_free`), `*out_key` (may be NULL) the key they were
/// stored under and `*out_user_info_json` (may be NULL) the userinfo
/// claims as JSON, or NULL when there were none (free both with
/// `oak_string_free`). One run at a time per flow; the calling thread
/// blocks, any other may call `oak_flow_cancel`.
#[no_mangle]
pub unsafe extern "C" fn oak_flow_run_native(
    flow: *const OakFlow,
    open_browser: OakOpenBrowserFn,
    user_data: *mut c_void,
    out_tokens: *mut *mut OakTokenSet,
    out_key: *mut *mut c_char,
    out_user_info_json: *mut *mut c_char,
) -> OakStatus {
    let outs = (
        out(out_tokens, "out_tokens"),
        opt_out(out_key),
        opt_out(out_user_info_json),
    );
    call(outs, |(out_tokens, out_key, out_user_info)| {
        let out_tokens = out_tokens.get()?;
        let manager = handle(flow, "flow")?.manager()?;
        let opener = open_browser.map(|f| {
            move |url: &str| -> Result<()> {
                let url = CString::new(url)
                    .map_err(|_| Error::Authentication("authorization URL holds a NUL".into()))?;
                match f(url.as_ptr(), user_data) {
                    0 => Ok(()),
                    status => Err(Error::Authentication(format!(
                        "the browser callback failed with status {status}"
                    ))),
                }
            }
        });
        let options = match opener {
            Some(open) => NativeOptions::new().open_browser(open),
            None => NativeOptions::new(),
        };
        let result = manager.run_native(options)?;
        // Convert everything before writing anything, so that a failure
        // leaves no allocated string behind in an out-parameter.
        let key = match out_key.wanted() {
            true => Some(c_string(result.key, "the token key")?),
            false => None,
        };
        let info = match (&result.user_info, out_user_info.wanted()) {
            (Some(info), true) => Some(c_string(info.to_json(), "the userinfo JSON")?),
            _ => None,
        };
        out_key.set_with(|| key.map_or(std::ptr::null_mut(), CString::into_raw));
        out_user_info.set_with(|| info.map_or(std::ptr::null_mut(), CString::into_raw));
        *out_tokens = new_handle(OakTokenSet(result.tokens));
        Ok(())
    })
}

fn c_string(s: String, what: &str) -> Result<CString> {
    CString::new(s).map_err(|_| Error::corrupt(what, "it contains a NUL byte"))
}

/// Cancels the running sign-in: `oak_flow_run_native` returns
/// `OAK_ERR_CANCELLED` within about 20 ms and frees its port. A no-op when
/// nothing runs. Any thread (that is its point).
#[no_mangle]
pub unsafe extern "C" fn oak_flow_cancel(flow: *const OakFlow) -> OakStatus {
    call((), |()| {
        handle(flow, "flow")?.manager()?.cancel();
        Ok(())
    })
}

/// Writes where the current or last sign-in is to `*out_state` (set to
/// `OAK_FLOW_IDLE` when the call fails). Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_flow_state(
    flow: *const OakFlow,
    out_state: *mut OakFlowState,
) -> OakStatus {
    call(out(out_state, "out_state"), |out_state| {
        let out_state = out_state.get()?;
        *out_state = OakFlowState::from(handle(flow, "flow")?.manager()?.state());
        Ok(())
    })
}
