//! The C entry points for what a Rust caller configures beyond the basics:
//! the callback server's host, port and path, paste mode, the plain OAuth
//! 2.0 provider, timeouts and the proxy through settings, the validating
//! store and background refresh — called the way C calls them.
#![cfg(feature = "capi")]

use crate::support;

use std::ffi::{c_char, c_void, CStr, CString};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::ptr;
use std::sync::Mutex;

use oauthkit::capi::background::*;
use oauthkit::capi::flow::*;
use oauthkit::capi::flow_options::*;
use oauthkit::capi::provider::*;
use oauthkit::capi::provider_oauth2::*;
use oauthkit::capi::provider_settings::*;
use oauthkit::capi::session::*;
use oauthkit::capi::store::*;
use oauthkit::capi::strings::*;
use oauthkit::capi::token_set::*;
use oauthkit::capi::validating_store::*;
use oauthkit::capi::{OakProvider, OakStatus, OakStatus::*, OakStore, OakTokenSet};

fn last_error() -> String {
    unsafe { CStr::from_ptr(oak_last_error_message()) }
        .to_string_lossy()
        .into_owned()
}

fn ok(status: OakStatus) {
    assert_eq!(status, OAK_OK, "{}", last_error());
}

fn err(status: OakStatus, expected: OakStatus, text: &str) {
    let message = last_error();
    assert_eq!(status, expected, "{message}");
    assert!(message.contains(text), "{message:?} lacks {text:?}");
}

fn take(s: *mut c_char) -> String {
    assert!(!s.is_null());
    let t = unsafe { CStr::from_ptr(s) }.to_str().unwrap().to_owned();
    unsafe { oak_string_free(s) };
    t
}

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

/// GETs `url` (loopback http) without following the redirect; the
/// `Location` header.
fn location_of(url: &str) -> String {
    let rest = url.strip_prefix("http://").unwrap();
    let (authority, path) = rest.split_at(rest.find('/').unwrap());
    let mut stream = TcpStream::connect(authority).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
        .lines()
        .find_map(|l| {
            l.strip_prefix("Location: ")
                .or_else(|| l.strip_prefix("location: "))
        })
        .unwrap_or_else(|| panic!("no Location in {response}"))
        .trim()
        .to_owned()
}

#[derive(Default)]
struct Opened {
    urls: Mutex<Vec<String>>,
}

unsafe extern "C" fn remember(url: *const c_char, user_data: *mut c_void) -> i32 {
    let opened = &*(user_data as *const Opened);
    opened
        .urls
        .lock()
        .unwrap()
        .push(CStr::from_ptr(url).to_str().unwrap().to_owned());
    0
}

#[cfg(feature = "dev-provider")]
fn dev() -> (
    oauthkit::unversioned::dev_provider::DevProvider,
    *mut OakProvider,
) {
    use oauthkit::unversioned::dev_provider::{DevProvider, DevProviderOptions};
    let idp = DevProvider::start(DevProviderOptions::default().auto_approve(true)).unwrap();
    let mut p = ptr::null_mut();
    ok(unsafe {
        oak_provider_oidc(
            c(idp.issuer()).as_ptr(),
            c(idp.client_id()).as_ptr(),
            ptr::null(),
            c"openid email profile offline_access".as_ptr(),
            &mut p,
        )
    });
    (idp, p)
}

/// Paste mode end to end: the browser is never sent to the callback
/// server; the user pastes the redirect URL into a pipe. The flow also
/// listens on `localhost`, a fixed port, and a custom path.
#[cfg(all(feature = "dev-provider", unix))]
#[test]
fn a_pasted_redirect_completes_a_sign_in_on_a_fixed_localhost_port_and_path() {
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    let (_idp, provider) = dev();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut fds = [0i32; 2];
    assert_eq!(unsafe { libc_pipe(&mut fds) }, 0);
    let (read_end, write_end) =
        unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    let mut flow = ptr::null_mut();
    let opened = Opened::default();
    let (mut tokens, mut key) = (ptr::null_mut(), ptr::null_mut());
    unsafe {
        ok(oak_flow_new(provider, ptr::null(), ptr::null(), &mut flow));
        ok(oak_flow_set_timeout(flow, 30));
        ok(oak_flow_set_callback(
            flow,
            true,
            port,
            port,
            c"oauth/done".as_ptr(),
        ));
        ok(oak_flow_set_paste_fd(flow, read_end.as_raw_fd()));
    }
    drop(read_end); // the flow holds its own duplicate
    let paster = std::thread::spawn({
        let opened = &opened as *const Opened as usize;
        move || {
            let opened = unsafe { &*(opened as *const Opened) };
            let url = loop {
                if let Some(u) = opened.urls.lock().unwrap().first().cloned() {
                    break u;
                }
                std::thread::sleep(std::time::Duration::from_millis(10));
            };
            let redirect = location_of(&url);
            let mut pipe = std::fs::File::from(write_end);
            writeln!(pipe, "not a redirect at all").unwrap();
            writeln!(pipe, "{redirect}").unwrap();
            redirect
        }
    });
    let status = unsafe {
        oak_flow_run_native(
            flow,
            Some(remember),
            &opened as *const Opened as *mut c_void,
            &mut tokens,
            &mut key,
            ptr::null_mut(),
        )
    };
    let redirect = paster.join().unwrap();
    ok(status);
    assert!(
        redirect.starts_with(&format!("http://localhost:{port}/oauth/done?")),
        "{redirect}"
    );
    let url = opened.urls.lock().unwrap()[0].clone();
    let expected = format!("redirect_uri=http%3A%2F%2Flocalhost%3A{port}%2Foauth%2Fdone");
    assert!(url.contains(&expected), "{url}");
    assert_eq!(take(key), "dev-user-1");
    unsafe {
        oak_token_set_free(tokens);
        oak_flow_free(flow);
        oak_provider_free(provider);
    }
}

#[cfg(unix)]
unsafe fn libc_pipe(fds: &mut [i32; 2]) -> i32 {
    extern "C" {
        fn pipe(fds: *mut i32) -> i32;
    }
    pipe(fds.as_mut_ptr())
}

#[test]
fn callback_options_and_paste_refuse_bad_input() {
    let mut p = ptr::null_mut();
    let mut flow = ptr::null_mut();
    unsafe {
        ok(oak_provider_oidc(
            c"http://127.0.0.1:1".as_ptr(),
            c"client".as_ptr(),
            ptr::null(),
            ptr::null(),
            &mut p,
        ));
        ok(oak_flow_new(p, ptr::null(), ptr::null(), &mut flow));
        ok(oak_flow_set_callback(flow, false, 0, 0, ptr::null()));
        ok(oak_flow_set_callback(
            flow,
            false,
            8000,
            8010,
            c"/cb".as_ptr(),
        ));
        err(
            oak_flow_set_callback(flow, false, 9000, 8000, ptr::null()),
            OAK_ERR_INVALID_ARGUMENT,
            "port range 9000-8000 is empty",
        );
        err(
            oak_flow_set_callback(flow, false, 0, 8000, ptr::null()),
            OAK_ERR_INVALID_ARGUMENT,
            "port_first is 0",
        );
        for bad in [
            "/a b",
            "/x?y=1",
            "/x#f",
            "/a\r\nSet-Cookie: x",
            "/../etc",
            "/é",
        ] {
            let path = c(bad);
            err(
                oak_flow_set_callback(flow, false, 0, 0, path.as_ptr()),
                OAK_ERR_INVALID_ARGUMENT,
                "path",
            );
        }
        err(
            oak_flow_set_callback(flow, false, 0, 0, c"caf\xe9".as_ptr()),
            OAK_ERR_INVALID_ARGUMENT,
            "path is not valid UTF-8",
        );
        err(
            oak_flow_set_callback(ptr::null_mut(), false, 0, 0, ptr::null()),
            OAK_ERR_INVALID_ARGUMENT,
            "flow is NULL",
        );
        err(
            oak_flow_set_paste_fd(flow, -1),
            OAK_ERR_INVALID_ARGUMENT,
            "negative",
        );
        err(oak_flow_set_paste_fd(flow, 987_654), OAK_ERR_IO, "987654");
        err(
            oak_flow_set_paste_fd(ptr::null_mut(), 0),
            OAK_ERR_INVALID_ARGUMENT,
            "flow is NULL",
        );
        oak_flow_free(flow);
        oak_provider_free(p);
    }
}

/// A fixed port that is taken fails the run at once with an I/O error.
#[test]
fn a_busy_fixed_port_fails_the_run() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let (mut p, mut flow, mut tokens) = (ptr::null_mut(), ptr::null_mut(), ptr::null_mut());
    unsafe {
        ok(oak_provider_oauth2(
            c"http://127.0.0.1:1/authorize".as_ptr(),
            c"http://127.0.0.1:1/token".as_ptr(),
            ptr::null(),
            ptr::null(),
            c"client".as_ptr(),
            ptr::null(),
            ptr::null(),
            &mut p,
        ));
        ok(oak_flow_new(p, ptr::null(), ptr::null(), &mut flow));
        ok(oak_flow_set_callback(flow, false, port, port, ptr::null()));
        let opened = Opened::default();
        let st = oak_flow_run_native(
            flow,
            Some(remember),
            &opened as *const Opened as *mut c_void,
            &mut tokens,
            ptr::null_mut(),
            ptr::null_mut(),
        );
        assert_ne!(st, OAK_OK);
        assert!(last_error().contains(&port.to_string()), "{}", last_error());
        assert!(opened.urls.lock().unwrap().is_empty());
        assert!(tokens.is_null());
        oak_flow_free(flow);
        oak_provider_free(p);
    }
}

#[test]
fn the_oauth2_provider_is_custom_and_checks_its_urls() {
    let mut p = ptr::null_mut();
    let mut name = ptr::null_mut();
    unsafe {
        ok(oak_provider_oauth2(
            c"https://auth.example.org/authorize".as_ptr(),
            c"https://auth.example.org/token".as_ptr(),
            c"https://auth.example.org/revoke".as_ptr(),
            ptr::null(),
            c"client".as_ptr(),
            c"secret".as_ptr(),
            c"read write".as_ptr(),
            &mut p,
        ));
        ok(oak_provider_name(p, &mut name));
        assert_eq!(take(name), "custom");
        oak_provider_free(p);
        p = ptr::null_mut();
        err(
            oak_provider_oauth2(
                c"http://auth.example.org/authorize".as_ptr(),
                c"https://auth.example.org/token".as_ptr(),
                ptr::null(),
                ptr::null(),
                c"client".as_ptr(),
                ptr::null(),
                ptr::null(),
                &mut p,
            ),
            OAK_ERR_INVALID_ARGUMENT,
            "https",
        );
        assert!(p.is_null());
        err(
            oak_provider_oauth2(
                ptr::null(),
                c"https://a/t".as_ptr(),
                ptr::null(),
                ptr::null(),
                c"client".as_ptr(),
                ptr::null(),
                ptr::null(),
                &mut p,
            ),
            OAK_ERR_INVALID_ARGUMENT,
            "authorize_url is NULL",
        );
    }
}

/// Timeouts through `oak_provider_from_settings`: a provider whose token
/// endpoint never answers gives up after the configured read timeout.
#[test]
fn settings_take_timeouts_and_refuse_bad_ones() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let url = |p: &str| c(&format!("http://127.0.0.1:{port}/{p}"));
    let (authorize, token) = (url("authorize"), url("token"));
    let names = [
        c"OAUTHKIT_PROVIDER",
        c"OAUTHKIT_CLIENT_ID",
        c"OAUTHKIT_AUTHORIZE_URL",
        c"OAUTHKIT_TOKEN_URL",
        c"OAUTHKIT_CONNECT_TIMEOUT",
        c"OAUTHKIT_READ_TIMEOUT",
    ];
    let make = |read: &CStr| {
        let values = [
            c"custom".as_ptr(),
            c"client".as_ptr(),
            authorize.as_ptr(),
            token.as_ptr(),
            c"2".as_ptr(),
            read.as_ptr(),
        ];
        let names: Vec<*const c_char> = names.iter().map(|n| n.as_ptr()).collect();
        let mut p = ptr::null_mut();
        let st = unsafe { oak_provider_from_settings(names.as_ptr(), values.as_ptr(), 6, &mut p) };
        (st, p)
    };
    for bad in [c"0", c"-1", c"1.5", c"3601", c"soon"] {
        let (st, p) = make(bad);
        err(st, OAK_ERR_INVALID_ARGUMENT, "OAUTHKIT_READ_TIMEOUT");
        assert!(p.is_null());
    }
    let (st, p) = make(c"1");
    ok(st);
    // a session refresh against the silent token endpoint
    let started = std::time::Instant::now();
    let (st, message) = refresh_once(p);
    let waited = started.elapsed();
    assert_eq!(st, OAK_ERR_HTTP, "{message}");
    assert!(message.contains("timed out"), "{message}");
    // not the 30 s default (this is a functional bound, not a benchmark)
    assert!(waited < std::time::Duration::from_secs(20), "{waited:?}");
    drop(silent);
}

/// Refreshes a stored token set (`at`, refresh token `rt`) once through a
/// session of `provider`, which it frees: the refresh's status and last
/// error message.
fn refresh_once(provider: *mut OakProvider) -> (OakStatus, String) {
    let mut store = ptr::null_mut();
    let mut ts = ptr::null_mut();
    let mut session = ptr::null_mut();
    let mut out: *mut OakTokenSet = ptr::null_mut();
    unsafe {
        ok(oak_store_open(c"memory:".as_ptr(), &mut store));
        ok(oak_token_set_new(c"at".as_ptr(), &mut ts));
        ok(oak_token_set_set_refresh_token(ts, c"rt".as_ptr()));
        ok(oak_store_save(store, c"k".as_ptr(), ts));
        ok(oak_session_new(
            provider,
            store,
            None,
            ptr::null_mut(),
            &mut session,
        ));
        let st = oak_session_refresh(session, c"k".as_ptr(), &mut out);
        let message = last_error();
        oak_token_set_free(out);
        oak_session_free(session);
        oak_token_set_free(ts);
        oak_store_free(store);
        oak_provider_free(provider);
        (st, message)
    }
}

/// The proxy through `oak_provider_from_settings` (`OAUTHKIT_PROXY` with
/// credentials): a session refresh goes through it, with the credentials,
/// and the password never reaches `oak_last_error_message`; a no-proxy
/// list without a proxy URL is refused by name.
#[test]
fn settings_take_a_proxy_whose_password_never_shows() {
    let (proxy_port, seen) = support::fake_proxy::fake_proxy();
    let password = "C-Proxy-Pw-5521";
    let token = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = token.local_addr().unwrap().port();
    let (authorize, token_url) = (
        c(&format!("http://127.0.0.1:{port}/authorize")),
        c(&format!("http://127.0.0.1:{port}/token")),
    );
    let proxy = c(&format!("http://ops:{password}@127.0.0.1:{proxy_port}"));
    let names = [
        c"OAUTHKIT_PROVIDER",
        c"OAUTHKIT_CLIENT_ID",
        c"OAUTHKIT_AUTHORIZE_URL",
        c"OAUTHKIT_TOKEN_URL",
        c"OAUTHKIT_PROXY",
    ];
    let make = |last_name: &CStr, last_value: &CStr| {
        let mut names: Vec<*const c_char> = names.iter().map(|n| n.as_ptr()).collect();
        names[4] = last_name.as_ptr();
        let values = [
            c"custom".as_ptr(),
            c"client".as_ptr(),
            authorize.as_ptr(),
            token_url.as_ptr(),
            last_value.as_ptr(),
        ];
        let mut p = ptr::null_mut();
        let st = unsafe { oak_provider_from_settings(names.as_ptr(), values.as_ptr(), 5, &mut p) };
        (st, p)
    };
    let (st, p) = make(c"OAUTHKIT_NO_PROXY", c"idp.example");
    err(st, OAK_ERR_INVALID_ARGUMENT, "OAUTHKIT_NO_PROXY");
    assert!(p.is_null());
    let (st, p) = make(c"OAUTHKIT_PROXY", &proxy);
    ok(st);
    let (st, message) = refresh_once(p);
    assert_ne!(st, OAK_OK);
    assert!(!message.contains(password), "{message}");
    let lines = seen.lock().unwrap().clone();
    assert!(
        lines
            .iter()
            .any(|l| l.contains(&format!("127.0.0.1:{port}"))),
        "the refresh did not go through the proxy: {lines:?}"
    );
    assert!(
        lines.iter().any(|l| l
            .to_ascii_lowercase()
            .starts_with("proxy-authorization: basic ")),
        "{lines:?}"
    );
    drop(token);
}

fn store_with(tokens: &[(&str, &str)]) -> *mut OakStore {
    let mut store = ptr::null_mut();
    ok(unsafe { oak_store_open(c"memory:".as_ptr(), &mut store) });
    for (key, json) in tokens {
        let mut ts = ptr::null_mut();
        unsafe {
            ok(oak_token_set_from_json(c(json).as_ptr(), &mut ts));
            ok(oak_store_save(store, c(key).as_ptr(), ts));
            oak_token_set_free(ts);
        }
    }
    store
}

#[test]
fn a_validating_store_refuses_what_its_checks_refuse() {
    let inner = store_with(&[
        (
            "expired",
            r#"{"access_token":"secret-at","expires_at":1,"issued_at":0}"#,
        ),
        (
            "no-rt",
            r#"{"access_token":"at","issued_at":0,"identity_id":"u1"}"#,
        ),
    ]);
    let mut store = ptr::null_mut();
    let mut ts = ptr::null_mut();
    unsafe {
        ok(oak_store_validating(
            inner,
            OAK_VALIDATE_NOT_EXPIRED | OAK_VALIDATE_HAS_REFRESH_TOKEN,
            0,
            ptr::null(),
            &mut store,
        ));
        err(
            oak_store_load(store, c"expired".as_ptr(), &mut ts),
            OAK_ERR_VALIDATION,
            "not_expired",
        );
        assert!(!last_error().contains("secret-at"));
        assert!(ts.is_null());
        err(
            oak_store_load(store, c"no-rt".as_ptr(), &mut ts),
            OAK_ERR_VALIDATION,
            "has_refresh_token",
        );
        oak_store_free(store);

        // scopes and one identity, on save
        ok(oak_store_validating(
            inner,
            OAK_VALIDATE_UNCHANGING_IDENTITY,
            0,
            c"openid email".as_ptr(),
            &mut store,
        ));
        let mut other = ptr::null_mut();
        ok(oak_token_set_from_json(
            c(r#"{"access_token":"x","scope":"openid email","identity_id":"u2"}"#).as_ptr(),
            &mut other,
        ));
        err(
            oak_store_save(store, c"k".as_ptr(), other),
            OAK_ERR_VALIDATION,
            "unchanging_identity",
        );
        oak_token_set_free(other);
        ok(oak_token_set_from_json(
            c(r#"{"access_token":"x","scope":"openid","identity_id":"u1"}"#).as_ptr(),
            &mut other,
        ));
        err(
            oak_store_save(store, c"k".as_ptr(), other),
            OAK_ERR_VALIDATION,
            "email",
        );
        oak_token_set_free(other);
        let mut exists = true;
        ok(oak_store_exists(inner, c"k".as_ptr(), &mut exists));
        assert!(!exists, "a refused token set was saved");
        oak_store_free(store);

        err(
            oak_store_validating(inner, 8, 0, ptr::null(), &mut store),
            OAK_ERR_INVALID_ARGUMENT,
            "unknown bits 0x8",
        );
        err(
            oak_store_validating(inner, 1, -5, ptr::null(), &mut store),
            OAK_ERR_INVALID_ARGUMENT,
            "leeway_secs",
        );
        assert!(store.is_null());
        oak_store_free(inner);
    }
}

#[cfg(feature = "dev-provider")]
#[test]
fn background_refresh_refreshes_an_expiring_key_and_reports_failures() {
    use std::time::{Duration, Instant};
    let (idp, provider) = dev();
    let store = store_with(&[]);
    let (mut flow, mut tokens, mut session, mut bg) = (
        ptr::null_mut(),
        ptr::null_mut(),
        ptr::null_mut(),
        ptr::null_mut(),
    );
    let opened = Opened::default();
    unsafe {
        ok(oak_flow_new(provider, store, ptr::null(), &mut flow));
        ok(oak_flow_set_token_key(flow, c"me".as_ptr()));
        let approver = std::thread::spawn({
            let o = &opened as *const Opened as usize;
            move || loop {
                let o = &*(o as *const Opened);
                if let Some(u) = o.urls.lock().unwrap().first().cloned() {
                    oauthkit::unversioned::dev_provider::HeadlessBrowser::approve(&u).unwrap();
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        });
        ok(oak_flow_run_native(
            flow,
            Some(remember),
            &opened as *const Opened as *mut c_void,
            &mut tokens,
            ptr::null_mut(),
            ptr::null_mut(),
        ));
        approver.join().unwrap();
        // expire it
        ok(oak_token_set_set_expires_in(tokens, -10));
        ok(oak_store_save(store, c"me".as_ptr(), tokens));
        ok(oak_session_new(
            provider,
            store,
            None,
            ptr::null_mut(),
            &mut session,
        ));
        let bad = c("bad\tkey");
        let keys = [c"me".as_ptr(), bad.as_ptr()];
        err(
            oak_background_refresh_start(session, keys.as_ptr(), 2, 1, &mut bg),
            OAK_ERR_INVALID_ARGUMENT,
            "keys[1]",
        );
        err(
            oak_background_refresh_start(session, keys.as_ptr(), 1, 0, &mut bg),
            OAK_ERR_INVALID_ARGUMENT,
            "every_seconds",
        );
        err(
            oak_background_refresh_start(session, ptr::null(), 1, 1, &mut bg),
            OAK_ERR_INVALID_ARGUMENT,
            "keys is NULL",
        );
        ok(oak_background_refresh_start(
            session,
            keys.as_ptr(),
            1,
            1,
            &mut bg,
        ));
        let deadline = Instant::now() + Duration::from_secs(20);
        while idp.token_requests("refresh_token") == 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(idp.token_requests("refresh_token"), 1);
        let (mut items, mut len) = (ptr::null_mut(), 99usize);
        ok(oak_background_refresh_errors(bg, &mut items, &mut len));
        assert_eq!(len, 0);
        oak_string_array_free(items, len);
        // the next refresh fails: the grant is revoked at the provider
        let mut stored = ptr::null_mut();
        ok(oak_store_load(store, c"me".as_ptr(), &mut stored));
        let mut rt = ptr::null_mut();
        ok(oak_token_set_refresh_token(stored, &mut rt));
        let mut revoked = false;
        ok(oak_provider_revoke(
            provider,
            rt,
            OakTokenHint::OAK_TOKEN_HINT_REFRESH_TOKEN as i32,
            &mut revoked,
        ));
        oak_string_free(rt);
        ok(oak_token_set_set_expires_in(stored, -10));
        ok(oak_store_save(store, c"me".as_ptr(), stored));
        oak_token_set_free(stored);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            ok(oak_background_refresh_errors(bg, &mut items, &mut len));
            let found = len == 1;
            let first = found.then(|| CStr::from_ptr(*items).to_str().unwrap().to_owned());
            oak_string_array_free(items, len);
            if let Some(first) = first {
                assert!(first.starts_with("me: "), "{first}");
                break;
            }
            assert!(Instant::now() < deadline, "no background error reported");
            std::thread::sleep(Duration::from_millis(50));
        }
        oak_background_refresh_free(bg);
        oak_background_refresh_free(ptr::null_mut());
        oak_session_free(session);
        oak_token_set_free(tokens);
        oak_flow_free(flow);
        oak_store_free(store);
        oak_provider_free(provider);
    }
}
