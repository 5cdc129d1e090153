//! The client credentials grant through the C ABI
//! (`oak_session_client_credentials`) at panva's oidc-provider, which
//! counts the token requests it receives.

use crate::support;

use std::ffi::{c_char, CStr, CString};
use std::ptr;

use oauthkit::capi::client_credentials::*;
use oauthkit::capi::provider::*;
use oauthkit::capi::session::*;
use oauthkit::capi::store::*;
use oauthkit::capi::strings::*;
use oauthkit::capi::token_set::*;
use oauthkit::capi::{OakSession, OakStatus::*, OakTokenSet};
use support::node_idp::NodeIdp;

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

unsafe fn session(idp: &NodeIdp, client_id: &str, secret: Option<&str>) -> *mut OakSession {
    let (mut p, mut s, mut out) = (ptr::null_mut(), ptr::null_mut(), ptr::null_mut());
    let secret = secret.map(c);
    assert_eq!(
        oak_provider_oidc(
            c(&idp.issuer).as_ptr(),
            c(client_id).as_ptr(),
            secret.as_ref().map_or(ptr::null(), |s| s.as_ptr()),
            c("api:read").as_ptr(),
            &mut p,
        ),
        OAK_OK
    );
    assert_eq!(oak_store_open(c("memory:").as_ptr(), &mut s), OAK_OK);
    assert_eq!(
        oak_session_new(p, s, None, ptr::null_mut(), &mut out),
        OAK_OK
    );
    oak_provider_free(p);
    oak_store_free(s);
    out
}

struct SendPtr(*const OakSession);
unsafe impl Send for SendPtr {}
unsafe impl Sync for SendPtr {}

#[test]
fn eight_c_threads_get_one_cached_token_from_one_request() {
    needs!(Node);
    let idp = NodeIdp::start();
    let id = format!("{}-cc-basic", idp.client_id);
    let secret = format!("{id}-secret-0123456789abcdef0123456789abcdef");
    let s = unsafe { session(&idp, &id, Some(&secret)) };
    let shared = std::sync::Arc::new(SendPtr(s));
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(8));
    let tokens: Vec<(String, String)> = (0..8)
        .map(|_| {
            let (shared, barrier) = (shared.clone(), barrier.clone());
            std::thread::spawn(move || unsafe {
                let (mut ts, mut key): (*mut OakTokenSet, *mut c_char) =
                    (ptr::null_mut(), ptr::null_mut());
                barrier.wait();
                let status = oak_session_client_credentials(
                    shared.0,
                    ptr::null(),
                    c("https://api.example/").as_ptr(),
                    c("aud").as_ptr(),
                    &mut ts,
                    &mut key,
                );
                assert_eq!(status, OAK_OK);
                let at = (*ts).token_set().access_token.expose().to_owned();
                let k = CStr::from_ptr(key).to_str().unwrap().to_owned();
                oak_string_free(key);
                oak_token_set_free(ts);
                (at, k)
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().unwrap())
        .collect();
    assert!(tokens.iter().all(|t| t == &tokens[0]));
    assert!(tokens[0]
        .1
        .starts_with(&format!("client_credentials:{id}:")));
    assert_eq!(idp.stats()["token_requests"]["client_credentials"], 1);
    let sent = &idp.stats()["cc_requests"][0];
    assert_eq!(sent["resource"], "https://api.example/");
    assert_eq!(sent["audience"], "aud");
    unsafe { oak_session_free(s) };
}

#[test]
fn a_public_client_and_null_arguments_are_invalid() {
    needs!(Node);
    let idp = NodeIdp::start();
    unsafe {
        let s = session(&idp, &idp.client_id, None);
        let mut ts: *mut OakTokenSet = ptr::null_mut();
        let status = oak_session_client_credentials(
            s,
            ptr::null(),
            ptr::null(),
            ptr::null(),
            &mut ts,
            ptr::null_mut(),
        );
        assert_eq!(status, OAK_ERR_INVALID_ARGUMENT);
        assert!(ts.is_null());
        let status = oak_session_client_credentials(
            ptr::null(),
            ptr::null(),
            ptr::null(),
            ptr::null(),
            &mut ts,
            ptr::null_mut(),
        );
        assert_eq!(status, OAK_ERR_INVALID_ARGUMENT);
        oak_session_free(s);
    }
    assert_eq!(
        idp.stats()["token_requests"]["client_credentials"],
        serde_json::Value::Null
    );
}
