//! The server-side stores through the C ABI (`oak_server_store_*`):
//! clients, single-use codes, access and refresh tokens as JSON, on the
//! memory and SQLite backends; malformed JSON and bad specs are refused
//! without quoting secrets.
#![cfg(feature = "capi")]

use std::ffi::{c_char, CStr, CString};
use std::ptr;

use oauthkit::capi::server_store::*;
use oauthkit::capi::strings::*;
use oauthkit::capi::{OakStatus, OakStatus::*};
use serde_json::{json, Value};

fn last_error() -> String {
    unsafe { CStr::from_ptr(oak_last_error_message()) }
        .to_string_lossy()
        .into_owned()
}

fn ok(status: OakStatus) {
    assert_eq!(status, OAK_OK, "{}", last_error());
}

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

fn take_json(p: *mut c_char) -> Value {
    assert!(!p.is_null());
    let v = serde_json::from_str(unsafe { CStr::from_ptr(p) }.to_str().unwrap()).unwrap();
    unsafe { oak_string_free(p) };
    v
}

fn exercise(spec: &str) {
    let now = oauthkit::unversioned::now_unix();
    let mut store = ptr::null_mut();
    let mut out = ptr::null_mut();
    let mut deleted = false;
    unsafe {
        ok(oak_server_store_open(c(spec).as_ptr(), &mut store));
        let client = json!({"identifier": "app", "secret": "s3cret", "redirect_uris": ["http://127.0.0.1/cb"]});
        ok(oak_server_store_save_client(
            store,
            c(&client.to_string()).as_ptr(),
        ));
        ok(oak_server_store_fetch_client(
            store,
            c"app".as_ptr(),
            &mut out,
        ));
        let fetched = take_json(out);
        assert_eq!(fetched["secret"], "s3cret");
        assert_eq!(fetched["redirect_uris"][0], "http://127.0.0.1/cb");
        let st = oak_server_store_fetch_client(store, c"nobody".as_ptr(), &mut out);
        assert_eq!(st, OAK_ERR_NOT_FOUND);
        assert!(out.is_null());

        let code = json!({"client_id": "app", "code": "code-1", "expires_at": now + 600,
            "redirect_uri": "http://127.0.0.1/cb", "scopes": ["openid"], "data": {}, "user_id": "u1"});
        ok(oak_server_store_save_code(
            store,
            c(&code.to_string()).as_ptr(),
        ));
        ok(oak_server_store_take_code(
            store,
            c"code-1".as_ptr(),
            &mut out,
        ));
        assert_eq!(take_json(out)["user_id"], "u1");
        // single use
        assert_eq!(
            oak_server_store_take_code(store, c"code-1".as_ptr(), &mut out),
            OAK_ERR_NOT_FOUND
        );
        // expired codes are never returned
        let old = json!({"client_id": "app", "code": "old", "expires_at": now - 1,
            "redirect_uri": "http://127.0.0.1/cb", "scopes": [], "data": {}});
        ok(oak_server_store_save_code(
            store,
            c(&old.to_string()).as_ptr(),
        ));
        assert_eq!(
            oak_server_store_take_code(store, c"old".as_ptr(), &mut out),
            OAK_ERR_NOT_FOUND
        );

        let token = json!({"client_id": "app", "grant_type": "authorization_code", "token": "at-1",
            "data": {}, "expires_at": now + 3600, "refresh_token": "rt-1", "refresh_expires_at": null,
            "scopes": ["openid"], "user_id": "u1"});
        ok(oak_server_store_save_token(
            store,
            c(&token.to_string()).as_ptr(),
        ));
        ok(oak_server_store_fetch_token(
            store,
            c"at-1".as_ptr(),
            &mut out,
        ));
        assert_eq!(take_json(out)["refresh_token"], "rt-1");
        ok(oak_server_store_fetch_by_refresh_token(
            store,
            c"rt-1".as_ptr(),
            &mut out,
        ));
        assert_eq!(take_json(out)["token"], "at-1");
        ok(oak_server_store_delete_refresh_token(
            store,
            c"rt-1".as_ptr(),
            &mut deleted,
        ));
        assert!(deleted);
        assert_eq!(
            oak_server_store_fetch_token(store, c"at-1".as_ptr(), &mut out),
            OAK_ERR_NOT_FOUND
        );
        ok(oak_server_store_delete_refresh_token(
            store,
            c"rt-1".as_ptr(),
            ptr::null_mut(),
        ));

        ok(oak_server_store_delete_client(
            store,
            c"app".as_ptr(),
            &mut deleted,
        ));
        assert!(deleted);
        ok(oak_server_store_delete_client(
            store,
            c"app".as_ptr(),
            &mut deleted,
        ));
        assert!(!deleted);

        // malformed JSON: refused, never quoted
        let st = oak_server_store_save_client(
            store,
            c(r#"{"identifier": "x", "secret": "leak-me""#).as_ptr(),
        );
        assert_eq!(st, OAK_ERR_INVALID_ARGUMENT);
        assert!(
            last_error().contains("not client JSON") && !last_error().contains("leak-me"),
            "{}",
            last_error()
        );
        let st = oak_server_store_save_token(store, c(r#"{"token": 5}"#).as_ptr());
        assert_eq!(st, OAK_ERR_INVALID_ARGUMENT);
        let st = oak_server_store_save_code(store, ptr::null());
        assert_eq!(st, OAK_ERR_INVALID_ARGUMENT);
        oak_server_store_free(store);
    }
}

#[test]
fn the_memory_server_store_round_trips_through_the_c_abi() {
    exercise("memory:");
}

#[cfg(feature = "sqlite")]
#[test]
fn the_sqlite_server_store_round_trips_through_the_c_abi() {
    let dir = tempfile::tempdir().unwrap();
    exercise(&format!(
        "sqlite:{}",
        dir.path().join("server.db").display()
    ));
}

#[test]
fn bad_specs_are_refused() {
    let mut store = ptr::null_mut();
    for (spec, text) in [
        ("floppy:", "unknown server store spec"),
        ("nothing", "no scheme"),
        ("memory:x", "unknown"),
    ] {
        let st = unsafe { oak_server_store_open(c(spec).as_ptr(), &mut store) };
        assert_eq!(st, OAK_ERR_INVALID_ARGUMENT, "{spec}");
        assert!(last_error().contains(text), "{spec}: {}", last_error());
        assert!(store.is_null());
    }
    unsafe { oak_server_store_free(ptr::null_mut()) };
}

/// A mistyped Redis URL given as a SQLite (or memory) spec creates nothing
/// and is never quoted. The process runs in an empty temporary directory,
/// which must stay empty.
#[test]
fn url_shaped_specs_create_nothing_and_quote_no_password() {
    const PW: &str = "srvSt0reP4ssw0rd";
    let dir = tempfile::tempdir().unwrap().keep();
    std::env::set_current_dir(&dir).unwrap();
    let mut store = ptr::null_mut();
    for spec in [
        format!("sqlite:user:{PW}@redis://127.0.0.1:6379"),
        format!("sqlite:{PW}@x://h"),
        format!("sqlite://:{PW}@host://h"),
        format!("sqlite:user%3A{PW}%40redis%3A%2F%2Fh"),
        format!("sqlite:redis:\\\\user:{PW}@h"),
        format!("sqlite:server.db?password={PW}"),
        format!("memory:user:{PW}@redis://h"),
        format!("mem\nory:{PW}@h"),
    ] {
        let st = unsafe { oak_server_store_open(c(&spec).as_ptr(), &mut store) };
        assert_eq!(st, OAK_ERR_INVALID_ARGUMENT, "{spec}");
        assert!(store.is_null());
        assert!(!last_error().contains(PW), "{spec}: {}", last_error());
        let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert!(left.is_empty(), "{spec} created {left:?}");
    }
}
