//! The device grant through the C ABI (`oak_device_flow_*`), called the way
//! C calls it, against panva's oidc-provider (tests/browser/oidc-server.mjs);
//! the user's side runs over HTTP on another thread, started from the C
//! prompt callback.

use crate::support;

use std::ffi::{c_char, c_void, CStr, CString};
use std::ptr;
use std::time::Duration;

use oauthkit::capi::device::*;
use oauthkit::capi::provider::*;
use oauthkit::capi::strings::*;
use oauthkit::capi::token_set::*;
use oauthkit::capi::{OakDeviceFlow, OakProvider, OakStatus::*, OakTokenSet};
use support::device_user::{self, Choice};
use support::node_idp::NodeIdp;

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

fn provider(idp: &NodeIdp) -> *mut OakProvider {
    let mut p = ptr::null_mut();
    let status = unsafe {
        oak_provider_oidc(
            c(&idp.issuer).as_ptr(),
            c(&idp.client("device")).as_ptr(),
            ptr::null(),
            c("openid email").as_ptr(),
            &mut p,
        )
    };
    assert_eq!(status, OAK_OK);
    p
}

unsafe extern "C" fn approve_prompt(
    user_code: *const c_char,
    uri: *const c_char,
    complete: *const c_char,
    expires_in: u64,
    user_data: *mut c_void,
) -> i32 {
    let code = CStr::from_ptr(user_code).to_str().unwrap().to_owned();
    let uri = CStr::from_ptr(uri).to_str().unwrap().to_owned();
    assert!(!complete.is_null());
    assert!(expires_in > 0);
    assert_eq!(*(user_data as *const u32), 42);
    std::thread::spawn(move || {
        device_user::enter_code(&uri, &code, "frank", Choice::Approve);
    });
    0
}

unsafe extern "C" fn silent_prompt(
    _: *const c_char,
    _: *const c_char,
    _: *const c_char,
    _: u64,
    _: *mut c_void,
) -> i32 {
    0
}

unsafe extern "C" fn failing_prompt(
    _: *const c_char,
    _: *const c_char,
    _: *const c_char,
    _: u64,
    _: *mut c_void,
) -> i32 {
    7
}

#[test]
fn a_c_program_signs_in_with_the_device_grant() {
    needs!(Node);
    let idp = NodeIdp::start();
    let p = provider(&idp);
    let mut flow: *mut OakDeviceFlow = ptr::null_mut();
    unsafe {
        assert_eq!(oak_device_flow_new(p, ptr::null(), &mut flow), OAK_OK);
        oak_provider_free(p); // the flow keeps its own reference
        assert_eq!(oak_device_flow_set_timeout(flow, 60), OAK_OK);
        assert_eq!(
            oak_device_flow_set_token_key(flow, c("c-key").as_ptr()),
            OAK_OK
        );
        let mut marker = 42u32;
        let (mut tokens, mut key): (*mut OakTokenSet, *mut c_char) =
            (ptr::null_mut(), ptr::null_mut());
        let status = oak_device_flow_run(
            flow,
            Some(approve_prompt),
            &mut marker as *mut u32 as *mut c_void,
            &mut tokens,
            &mut key,
        );
        assert_eq!(status, OAK_OK);
        assert_eq!(CStr::from_ptr(key).to_str().unwrap(), "c-key");
        oak_string_free(key);
        let ts = (*tokens).token_set();
        assert_eq!(ts.identity_id.as_deref(), Some("frank"));
        oak_token_set_free(tokens);
        oak_device_flow_free(flow);
    }
}

struct SendPtr(*const OakDeviceFlow);
unsafe impl Send for SendPtr {}

#[test]
fn cancel_from_another_thread_and_bad_arguments() {
    needs!(Node);
    let idp = NodeIdp::start();
    let p = provider(&idp);
    let mut flow: *mut OakDeviceFlow = ptr::null_mut();
    unsafe {
        assert_eq!(oak_device_flow_new(p, ptr::null(), &mut flow), OAK_OK);
        oak_provider_free(p);
        assert_eq!(
            oak_device_flow_set_timeout(flow, 0),
            OAK_ERR_INVALID_ARGUMENT
        );
        assert_eq!(
            oak_device_flow_set_scopes(flow, ptr::null()),
            OAK_ERR_INVALID_ARGUMENT
        );
        let mut tokens: *mut OakTokenSet = ptr::null_mut();
        // A prompt that fails ends the run before any poll.
        let status = oak_device_flow_run(
            flow,
            Some(failing_prompt),
            ptr::null_mut(),
            &mut tokens,
            ptr::null_mut(),
        );
        assert_eq!(status, OAK_ERR_AUTHENTICATION);
        assert!(tokens.is_null());

        let shared = SendPtr(flow);
        let canceller = std::thread::spawn(move || {
            let shared = shared;
            std::thread::sleep(Duration::from_millis(1500));
            assert_eq!(oak_device_flow_cancel(shared.0), OAK_OK);
        });
        let status = oak_device_flow_run(
            flow,
            Some(silent_prompt),
            ptr::null_mut(),
            &mut tokens,
            ptr::null_mut(),
        );
        canceller.join().unwrap();
        assert_eq!(status, OAK_ERR_CANCELLED);
        assert!(tokens.is_null());
        assert_eq!(
            oak_device_flow_run(
                ptr::null(),
                None,
                ptr::null_mut(),
                &mut tokens,
                ptr::null_mut()
            ),
            OAK_ERR_INVALID_ARGUMENT
        );
        oak_device_flow_free(flow);
        oak_device_flow_free(ptr::null_mut());
    }
}
