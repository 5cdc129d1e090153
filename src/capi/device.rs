//! `OakDeviceFlow`: the device authorization grant (RFC 8628) for C
//! programs on machines without a browser: the user signs in on another
//! device with a short code while the run polls.
//!
//! Threads: configure the flow (the `oak_device_flow_set_*` functions)
//! before running it, from one thread. `oak_device_flow_run` blocks the
//! calling thread; `oak_device_flow_cancel` may be called from any other
//! thread meanwhile. `oak_device_flow_free` needs that no call uses the
//! handle.

use std::ffi::{c_char, c_void, CString};
use std::time::Duration;

use super::boundary::{
    call, free_handle, handle, handle_mut, new_handle, opt_out, out, str_arg, OakStatus,
};
use super::provider::OakProvider;
use super::store::OakStore;
use super::strings::to_c;
use super::token_set::OakTokenSet;
use crate::error::{Error, Result};
use crate::flow::device::terminal_prompt;
use crate::flow::DeviceFlow;
use crate::provider::DeviceAuthorization;
use crate::token::split_scopes;

/// Shows the user where to go and which code to enter. Called once per
/// run, on the thread running `oak_device_flow_run`, before polling
/// starts; it must return promptly. `verification_uri_complete` may be
/// NULL; the strings are valid only during the call and hold no control
/// characters. Return 0 when the code was shown; any other value ends the
/// run with `OAK_ERR_AUTHENTICATION`. Must not unwind out of itself.
pub type OakDevicePromptFn = Option<
    unsafe extern "C" fn(
        user_code: *const c_char,
        verification_uri: *const c_char,
        verification_uri_complete: *const c_char,
        expires_in_seconds: u64,
        user_data: *mut c_void,
    ) -> i32,
>;

/// An opaque handle on a device sign-in against one provider. Free it with
/// `oak_device_flow_free`.
pub struct OakDeviceFlow(Option<DeviceFlow>);

fn broken() -> Error {
    Error::Internal("device flow handle broken by an earlier panic".into())
}

unsafe fn configure(
    flow: *mut OakDeviceFlow,
    change: impl FnOnce(DeviceFlow) -> DeviceFlow,
) -> Result<()> {
    let flow = handle_mut(flow, "flow")?;
    let current = flow.0.take().ok_or_else(broken)?;
    flow.0 = Some(change(current));
    Ok(())
}

/// Makes a device flow for `provider` that saves the tokens to `store`
/// (may be NULL: nowhere). No timeout beyond the device code's lifetime;
/// the provider's scopes. The flow keeps its own references. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_device_flow_new(
    provider: *const OakProvider,
    store: *const OakStore,
    out_flow: *mut *mut OakDeviceFlow,
) -> OakStatus {
    call(out(out_flow, "out_flow"), |out_flow| {
        let out_flow = out_flow.get()?;
        let provider = handle(provider, "provider")?.0.clone();
        let mut flow = DeviceFlow::new(provider);
        if let Some(s) = store.as_ref() {
            flow = flow.store(s.0.clone());
        }
        *out_flow = new_handle(OakDeviceFlow(Some(flow)));
        Ok(())
    })
}

/// Frees a device flow. NULL is a no-op. Only once no run uses it.
#[no_mangle]
pub unsafe extern "C" fn oak_device_flow_free(flow: *mut OakDeviceFlow) {
    free_handle(flow)
}

/// Gives up after `seconds` (at least 1) even if the code lives longer
/// (`OAK_ERR_TIMEOUT`). Before running; one thread.
#[no_mangle]
pub unsafe extern "C" fn oak_device_flow_set_timeout(
    flow: *mut OakDeviceFlow,
    seconds: u64,
) -> OakStatus {
    call((), |()| match seconds {
        0 => Err(Error::InvalidArgument(
            "the timeout must be at least 1 second".into(),
        )),
        s => configure(flow, |f| f.timeout(Duration::from_secs(s))),
    })
}

/// Requests these scopes (separated by spaces) instead of the provider's.
/// Before running; one thread.
#[no_mangle]
pub unsafe extern "C" fn oak_device_flow_set_scopes(
    flow: *mut OakDeviceFlow,
    scopes: *const c_char,
) -> OakStatus {
    call((), |()| {
        let scopes = split_scopes(str_arg(scopes, "scopes")?);
        configure(flow, |f| f.scopes(scopes))
    })
}

/// Adds a parameter to the device authorization request (`resource`,
/// `audience`). Before running; one thread.
#[no_mangle]
pub unsafe extern "C" fn oak_device_flow_add_param(
    flow: *mut OakDeviceFlow,
    name: *const c_char,
    value: *const c_char,
) -> OakStatus {
    call((), |()| {
        let (name, value) = (str_arg(name, "name")?, str_arg(value, "value")?);
        configure(flow, |f| f.param(name, value))
    })
}

/// Stores the tokens under `key` instead of the identity's `sub`. Before
/// running; one thread.
#[no_mangle]
pub unsafe extern "C" fn oak_device_flow_set_token_key(
    flow: *mut OakDeviceFlow,
    key: *const c_char,
) -> OakStatus {
    call((), |()| {
        let key = str_arg(key, "key")?;
        configure(flow, |f| f.token_key(key))
    })
}

/// Runs the device grant and blocks until the user signed in, refused
/// (`OAK_ERR_OAUTH`, `access_denied`), the code expired (`OAK_ERR_OAUTH`,
/// `expired_token`), the timeout passed (`OAK_ERR_TIMEOUT`) or
/// `oak_device_flow_cancel` was called (`OAK_ERR_CANCELLED`). A provider
/// without a device endpoint is `OAK_ERR_UNSUPPORTED`. `prompt` shows the
/// code (NULL: the URI, the code and a QR code on standard error) and gets
/// `user_data`. On success `*out_tokens` receives the tokens (free with
/// `oak_token_set_free`) and `*out_key` (may be NULL) the key they were
/// stored under (free with `oak_string_free`).
#[no_mangle]
pub unsafe extern "C" fn oak_device_flow_run(
    flow: *const OakDeviceFlow,
    prompt: OakDevicePromptFn,
    user_data: *mut c_void,
    out_tokens: *mut *mut OakTokenSet,
    out_key: *mut *mut c_char,
) -> OakStatus {
    call(
        (out(out_tokens, "out_tokens"), opt_out(out_key)),
        |(out_tokens, out_key)| {
            let out_tokens = out_tokens.get()?;
            let flow = handle(flow, "flow")?.0.as_ref().ok_or_else(broken)?;
            let show = |a: &DeviceAuthorization| -> Result<()> {
                let Some(f) = prompt else {
                    return terminal_prompt(a);
                };
                let c = |s: &str| {
                    CString::new(s).map_err(|_| Error::Authentication("a value holds a NUL".into()))
                };
                let (code, uri) = (c(&a.user_code)?, c(&a.verification_uri)?);
                let complete = a.verification_uri_complete.as_deref().map(c).transpose()?;
                let complete_ptr = complete.as_ref().map_or(std::ptr::null(), |s| s.as_ptr());
                match f(
                    code.as_ptr(),
                    uri.as_ptr(),
                    complete_ptr,
                    a.expires_in.as_secs(),
                    user_data,
                ) {
                    0 => Ok(()),
                    status => Err(Error::Authentication(format!(
                        "the device prompt callback failed with status {status}"
                    ))),
                }
            };
            let result = flow.run_with(&show)?;
            if out_key.wanted() {
                out_key.set(to_c(&result.key)?);
            }
            *out_tokens = new_handle(OakTokenSet(result.tokens));
            Ok(())
        },
    )
}

/// Cancels the running device sign-in: `oak_device_flow_run` returns
/// `OAK_ERR_CANCELLED` at once (after a poll in flight). A no-op when
/// nothing runs. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_device_flow_cancel(flow: *const OakDeviceFlow) -> OakStatus {
    call((), |()| {
        handle(flow, "flow")?
            .0
            .as_ref()
            .ok_or_else(broken)?
            .cancel();
        Ok(())
    })
}
