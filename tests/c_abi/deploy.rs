//! Deploy mode through the C ABI (`oak_deploy_handle`): a full sign-in
//! against the development provider driven request by request, as a C web
//! server would, plus hostile requests. (ffi/c/test_capi_deploy.c runs the
//! same from C under valgrind and ASan.)
#![cfg(all(feature = "capi", feature = "dev-provider"))]

use std::ffi::{c_char, CStr, CString};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::ptr;

use oauthkit::capi::deploy::*;
use oauthkit::capi::provider::*;
use oauthkit::capi::store::*;
use oauthkit::capi::strings::*;
use oauthkit::capi::{OakStatus, OakStatus::*};
use oauthkit::unversioned::dev_provider::{DevProvider, DevProviderOptions};

const BASE: &str = "http://127.0.0.1:9";

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

/// A C provider signing in at `idp` and a C memory store (the test frees
/// them).
fn c_provider_and_store(idp: &DevProvider) -> (*mut OakProvider, *mut OakStore) {
    let (mut provider, mut store) = (ptr::null_mut(), ptr::null_mut());
    unsafe {
        ok(oak_provider_oidc(
            c(idp.issuer()).as_ptr(),
            c(idp.client_id()).as_ptr(),
            ptr::null(),
            c"openid email profile offline_access".as_ptr(),
            &mut provider,
        ));
        ok(oak_store_open(c"memory:".as_ptr(), &mut store));
    }
    (provider, store)
}

/// A C deploy handler on [`c_provider_and_store`]: the provider, store and
/// handler handles (the test frees them).
fn c_deploy(idp: &DevProvider) -> (*mut OakProvider, *mut OakStore, *mut OakDeploy) {
    let (provider, store) = c_provider_and_store(idp);
    let mut deploy = ptr::null_mut();
    unsafe {
        ok(oak_deploy_new(
            provider,
            store,
            c(BASE).as_ptr(),
            ptr::null(),
            3600,
            &mut deploy,
        ));
    }
    (provider, store, deploy)
}

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
        .unwrap()
        .trim()
        .to_owned()
}

struct Answer {
    status: u32,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn cookie(&self) -> String {
        self.header("Set-Cookie")
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned()
    }
}

unsafe fn strings(items: *mut *mut c_char, len: usize) -> Vec<String> {
    let v = (0..len)
        .map(|i| CStr::from_ptr(*items.add(i)).to_str().unwrap().to_owned())
        .collect();
    oak_string_array_free(items, len);
    v
}

/// One `oak_deploy_handle` call that must succeed: its answer.
fn ask(deploy: *const OakDeploy, method: &str, target: &str, headers: &[(&str, &str)]) -> Answer {
    handle_raw(deploy, method, target, None, headers)
        .unwrap_or_else(|(st, e)| panic!("{method} {target}: {st:?} {e}"))
}

#[test]
fn a_deploy_sign_in_runs_through_the_c_handler() {
    let idp = DevProvider::start(DevProviderOptions::default().auto_approve(true)).unwrap();
    let (provider, store, deploy) = c_deploy(&idp);
    let login = ask(deploy, "GET", "/auth/login", &[]);
    assert_eq!(login.status, 302);
    let redirect = location_of(login.header("Location").unwrap());
    let target = redirect.strip_prefix(BASE).unwrap().to_owned();
    // another browser's cookie cannot finish this sign-in
    let forged = ask(
        deploy,
        "GET",
        &target,
        &[("Cookie", "oauthkit_login=forged")],
    );
    assert_eq!(forged.status, 400, "{}", forged.body);
    let callback = ask(deploy, "GET", &target, &[("Cookie", &login.cookie())]);
    assert_eq!(callback.status, 302, "{}", callback.body);
    assert_eq!(callback.header("Location"), Some("/"));
    let session = callback.cookie();
    let status = ask(deploy, "GET", "/auth/status", &[("COOKIE", &session)]);
    assert!(
        status.body.contains(r#""authenticated":true"#),
        "{}",
        status.body
    );
    let mut key = ptr::null_mut();
    unsafe {
        ok(oak_deploy_session_key(
            deploy,
            c(&session).as_ptr(),
            &mut key,
        ));
        assert_eq!(CStr::from_ptr(key).to_str().unwrap(), "dev-user-1");
        oak_string_free(key);
    }
    let refused = ask(deploy, "POST", "/auth/logout", &[("Cookie", &session)]);
    assert_eq!(refused.status, 403);
    let out = ask(
        deploy,
        "POST",
        "/auth/logout",
        &[("Cookie", &session), ("Sec-Fetch-Site", "same-origin")],
    );
    assert_eq!(out.status, 200, "{}", out.body);
    let mut exists = true;
    unsafe {
        ok(oak_store_exists(store, c"dev-user-1".as_ptr(), &mut exists));
        assert!(!exists);
        // hostile arguments
        let mut resp = ptr::dangling_mut::<OakDeployResponse>();
        let n = [c"Cookie".as_ptr()];
        let v = [c"a=1\nSet-Cookie: evil=1".as_ptr()];
        let st = oak_deploy_handle(
            deploy,
            c"GET".as_ptr(),
            c"/auth/status".as_ptr(),
            ptr::null(),
            n.as_ptr(),
            v.as_ptr(),
            1,
            ptr::null(),
            &mut resp,
        );
        assert_eq!(st, OAK_ERR_INVALID_ARGUMENT);
        assert!(resp.is_null() && last_error().contains("line break"));
        let st = oak_deploy_handle(
            deploy,
            c"GET".as_ptr(),
            c"/auth/status".as_ptr(),
            ptr::null(),
            ptr::null(),
            ptr::null(),
            1000,
            ptr::null(),
            &mut resp,
        );
        assert_eq!(st, OAK_ERR_INVALID_ARGUMENT);
        assert!(last_error().contains("limit"));
        let mut other = ptr::null_mut();
        let st = oak_deploy_new(
            provider,
            store,
            c"not a url".as_ptr(),
            ptr::null(),
            0,
            &mut other,
        );
        assert_eq!(st, OAK_ERR_INVALID_ARGUMENT);
        let st = oak_deploy_new(
            provider,
            store,
            c(BASE).as_ptr(),
            c"//evil.example".as_ptr(),
            0,
            &mut other,
        );
        assert_eq!(st, OAK_ERR_INVALID_ARGUMENT);
        assert!(other.is_null());
        oak_deploy_free(deploy);
        oak_store_free(store);
        oak_provider_free(provider);
    }
}

/// `oak_deploy_new_shared` (issue 26): two handles as two instances behind
/// one public URL, one cookie key and one store: login on A, callback on
/// B, status and logout on either; a rotated instance (new key current,
/// old previous) finishes a sign-in A started; forwarded headers count
/// only on the handle told to trust them; a NULL key is refused.
#[test]
fn instances_share_sessions_and_keys_through_the_c_handler() {
    let idp = DevProvider::start(DevProviderOptions::default().auto_approve(true)).unwrap();
    let (provider, store) = c_provider_and_store(&idp);
    let (old, new) = ([1u8; 32], [2u8; 32]);
    let mut handles = [ptr::null_mut(); 3];
    unsafe {
        for (i, (key, prev, trust)) in [(&old, None, 0), (&old, None, 0), (&new, Some(&old), 1)]
            .into_iter()
            .enumerate()
        {
            ok(oak_deploy_new_shared(
                provider,
                store,
                c(BASE).as_ptr(),
                ptr::null(),
                3600,
                key.as_ptr(),
                prev.map_or(ptr::null(), |p: &[u8; 32]| p.as_ptr()),
                usize::from(prev.is_some()),
                trust,
                &mut handles[i],
            ));
        }
        let mut none = ptr::null_mut();
        let st = oak_deploy_new_shared(
            provider,
            store,
            c(BASE).as_ptr(),
            ptr::null(),
            0,
            ptr::null(),
            ptr::null(),
            0,
            0,
            &mut none,
        );
        assert_eq!(st, OAK_ERR_INVALID_ARGUMENT);
        assert!(none.is_null());
    }
    let [a, b, rotated] = handles;
    let login = ask(a, "GET", "/auth/login", &[]);
    let target = location_of(login.header("Location").unwrap())
        .strip_prefix(BASE)
        .unwrap()
        .to_owned();
    let done = ask(b, "GET", &target, &[("Cookie", &login.cookie())]);
    assert_eq!(done.status, 302, "{}", done.body);
    let session = done.cookie();
    for h in [a, b, rotated] {
        let st = ask(h, "GET", "/auth/status", &[("Cookie", &session)]);
        assert!(st.body.contains(r#""authenticated":true"#), "{}", st.body);
    }
    // Rotation: started on A (old key), finished on the rotated instance.
    let login = ask(a, "GET", "/auth/login", &[]);
    let target = location_of(login.header("Location").unwrap())
        .strip_prefix(BASE)
        .unwrap()
        .to_owned();
    let done = ask(rotated, "GET", &target, &[("Cookie", &login.cookie())]);
    assert_eq!(done.status, 302, "{}", done.body);
    // Forwarded headers: ignored by A, used by the trusting instance.
    let fwd = [
        ("X-Forwarded-Host", "evil.example"),
        ("X-Forwarded-Proto", "https"),
    ];
    let plain = ask(a, "GET", "/auth/login", &fwd);
    assert!(!plain.header("Location").unwrap().contains("evil.example"));
    let trusted = ask(rotated, "GET", "/auth/login", &fwd);
    assert!(trusted
        .header("Location")
        .unwrap()
        .contains("redirect_uri=https%3A%2F%2Fevil.example%2Fauth%2Fcallback"));
    // Logout on B ends the session on A too.
    let out = ask(
        b,
        "POST",
        "/auth/logout",
        &[("Cookie", &session), ("Sec-Fetch-Site", "same-origin")],
    );
    assert_eq!(out.status, 200, "{}", out.body);
    let st = ask(a, "GET", "/auth/status", &[("Cookie", &session)]);
    assert!(st.body.contains(r#""authenticated":false"#), "{}", st.body);
    unsafe {
        for h in handles {
            oak_deploy_free(h);
        }
        oak_store_free(store);
        oak_provider_free(provider);
    }
}

/// One `oak_deploy_handle` call with every argument given: the answer, or
/// the status and message of a refused call (no response handle then).
fn handle_raw(
    deploy: *const OakDeploy,
    method: &str,
    path: &str,
    query: Option<&str>,
    headers: &[(&str, &str)],
) -> Result<Answer, (OakStatus, String)> {
    let names: Vec<CString> = headers.iter().map(|(k, _)| c(k)).collect();
    let values: Vec<CString> = headers.iter().map(|(_, v)| c(v)).collect();
    let np: Vec<*const c_char> = names.iter().map(|s| s.as_ptr()).collect();
    let vp: Vec<*const c_char> = values.iter().map(|s| s.as_ptr()).collect();
    let query = query.map(c);
    let mut resp = ptr::dangling_mut::<OakDeployResponse>();
    unsafe {
        let st = oak_deploy_handle(
            deploy,
            c(method).as_ptr(),
            c(path).as_ptr(),
            query.as_ref().map_or(ptr::null(), |q| q.as_ptr()),
            np.as_ptr(),
            vp.as_ptr(),
            np.len(),
            ptr::null(),
            &mut resp,
        );
        if st != OAK_OK {
            assert!(resp.is_null(), "a refused call gives no response");
            return Err((st, last_error()));
        }
        let mut status = 0;
        ok(oak_deploy_response_status(resp, &mut status));
        let (mut hn, mut hv, mut len) = (ptr::null_mut(), ptr::null_mut(), 0);
        ok(oak_deploy_response_headers(
            resp, &mut hn, &mut hv, &mut len,
        ));
        let headers = strings(hn, len).into_iter().zip(strings(hv, len)).collect();
        let mut body = ptr::null_mut();
        ok(oak_deploy_response_body(resp, &mut body));
        let text = CStr::from_ptr(body).to_str().unwrap().to_owned();
        oak_string_free(body);
        oak_deploy_response_free(resp);
        Ok(Answer {
            status,
            headers,
            body: text,
        })
    }
}

/// The C arguments become an `http::Request` inside and the answer comes
/// back as C programs always read it: header names spelled `Location`,
/// `Cache-Control`, `Set-Cookie` in order; a query with bytes a request
/// line cannot carry (space, `#`, `"`, UTF-8) reaches the routes with the
/// same values (a state that matches no login: `400 invalid_state`, not a
/// refused call); a path given with its own query works when `query` is
/// NULL. Arguments no request can be are refused, the call failing with
/// `OAK_ERR_INVALID_ARGUMENT` and a message: a method with a space, a path
/// not starting with `/`, a path longer than 64 KiB, a header value with a
/// control character, a repeated `Origin`/`Sec-Fetch-Site`/`X-CSRF-Token`
/// (as before), a cookie with a control character in
/// `oak_deploy_session_key`.
#[test]
fn c_arguments_become_an_http_request_and_the_answer_reads_as_before() {
    let idp = DevProvider::start(DevProviderOptions::default().auto_approve(true)).unwrap();
    let (provider, store, deploy) = c_deploy(&idp);
    let login = handle_raw(deploy, "GET", "/auth/login", None, &[]).unwrap();
    assert_eq!(login.status, 302, "{}", login.body);
    let names: Vec<&str> = login.headers.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["Location", "Cache-Control", "Set-Cookie"]);
    let status = handle_raw(deploy, "GET", "/auth/status", None, &[]).unwrap();
    let names: Vec<&str> = status.headers.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["Content-Type", "Cache-Control"]);
    assert_eq!(status.body, r#"{"authenticated":false}"#);
    // Queries the routes read as before.
    let cookie = login.cookie();
    for query in [
        "state=a b#c&code=x",
        "state=\"x\"&code=<y>",
        "state=\u{e9}t\u{e9}&code={z}|",
    ] {
        for (path, q) in [
            ("/auth/callback".to_string(), Some(query)),
            (format!("/auth/callback?{query}"), None),
        ] {
            let r = handle_raw(deploy, "GET", &path, q, &[("Cookie", &cookie)]).unwrap();
            assert_eq!(r.status, 400, "{query}: {}", r.body);
            assert!(r.body.contains("invalid_state"), "{query}: {}", r.body);
        }
    }
    // UTF-8 text in a cookie is no reason to refuse.
    let r = handle_raw(
        deploy,
        "GET",
        "/auth/status",
        None,
        &[("Cookie", "name=caf\u{e9}")],
    )
    .unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    let long = format!("/{}", "a".repeat(70_000));
    type Header<'a> = (&'a str, &'a str);
    let refused: [(&str, &str, Vec<Header>, &str); 9] = [
        ("G T", "/auth/status", vec![], "method"),
        ("", "/auth/status", vec![], "method"),
        ("GET", "auth/status", vec![], "path"),
        ("GET", "", vec![], "path"),
        ("GET", &long, vec![], "path"),
        (
            "GET",
            "/auth/status",
            vec![("Origin", "http://a\u{1}b")],
            "control character",
        ),
        (
            "POST",
            "/auth/logout",
            vec![("Origin", BASE), ("origin", BASE)],
            "twice",
        ),
        (
            "GET",
            "/auth/status",
            vec![("X-CSRF-Token", "a"), ("x-csrf-token", "b")],
            "twice",
        ),
        (
            "GET",
            "/auth/status",
            vec![("Sec-Fetch-Site", "a"), ("SEC-FETCH-SITE", "a")],
            "twice",
        ),
    ];
    for (method, path, headers, says) in refused {
        let Err((st, message)) = handle_raw(deploy, method, path, None, &headers) else {
            panic!("{method:?} {:.40} {headers:?} was answered", path);
        };
        assert_eq!(st, OAK_ERR_INVALID_ARGUMENT, "{message}");
        assert!(message.contains(says), "{says}: {message}");
    }
    unsafe {
        let mut key = ptr::dangling_mut::<c_char>();
        let st = oak_deploy_session_key(deploy, c"oauthkit_session=\x01".as_ptr(), &mut key);
        assert_eq!(st, OAK_ERR_INVALID_ARGUMENT, "{}", last_error());
        let mut key = ptr::null_mut();
        ok(oak_deploy_session_key(
            deploy,
            c"oauthkit_session=unknown".as_ptr(),
            &mut key,
        ));
        assert!(key.is_null());
        oak_deploy_free(deploy);
        oak_store_free(store);
        oak_provider_free(provider);
    }
}
