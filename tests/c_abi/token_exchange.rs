//! Token exchange (RFC 8693) through the C ABI (`oak_token_exchange`) at
//! panva's oidc-provider, whose registered grant checks the request
//! (tests/browser/oidc-server.mjs); the provider's records say what it
//! received.

use crate::support;

use std::ffi::{c_char, CStr, CString};
use std::ptr;

use oauthkit::capi::provider::*;
use oauthkit::capi::strings::*;
use oauthkit::capi::token_exchange::*;
use oauthkit::capi::token_set::*;
use oauthkit::capi::OakStatus::{self, *};
use oauthkit::capi::{OakProvider, OakTokenSet};
use support::idp_tokens::{tx_client, user_access_token};
use support::node_idp::NodeIdp;

const ACCESS: &str = "urn:ietf:params:oauth:token-type:access_token";
const JWT: &str = "urn:ietf:params:oauth:token-type:jwt";

/// One C call, run later.
type Case<'a> = Box<dyn Fn() -> OakStatus + 'a>;

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

unsafe fn provider(idp: &NodeIdp, secret: Option<&str>) -> *mut OakProvider {
    let (id, real) = tx_client(idp);
    let secret = c(secret.unwrap_or(&real));
    let mut p = ptr::null_mut();
    assert_eq!(
        oak_provider_oidc(
            c(&idp.issuer).as_ptr(),
            c(&id).as_ptr(),
            secret.as_ptr(),
            ptr::null(),
            &mut p,
        ),
        OAK_OK
    );
    p
}

fn last_error() -> String {
    unsafe { CStr::from_ptr(oak_last_error_message()) }
        .to_str()
        .unwrap()
        .to_owned()
}

/// One call with C strings; the out-parameters start poisoned.
struct Call<'a> {
    subject: &'a str,
    subject_type: &'a str,
    actor: Option<(&'a str, &'a str)>,
    audiences: &'a [&'a str],
    resources: &'a [&'a str],
    scopes: Option<&'a str>,
    requested: Option<&'a str>,
}

impl<'a> Call<'a> {
    fn new(subject: &'a str) -> Self {
        Call {
            subject,
            subject_type: ACCESS,
            actor: None,
            audiences: &[],
            resources: &[],
            scopes: None,
            requested: None,
        }
    }

    unsafe fn run(&self, p: *const OakProvider) -> (OakStatus, Option<(String, String, String)>) {
        let opt = |s: Option<&str>| s.map(c);
        let (actor, actor_type) = (opt(self.actor.map(|a| a.0)), opt(self.actor.map(|a| a.1)));
        let auds: Vec<CString> = self.audiences.iter().map(|a| c(a)).collect();
        let aud_ptrs: Vec<*const c_char> = auds.iter().map(|a| a.as_ptr()).collect();
        let ress: Vec<CString> = self.resources.iter().map(|a| c(a)).collect();
        let res_ptrs: Vec<*const c_char> = ress.iter().map(|a| a.as_ptr()).collect();
        let (scopes, requested) = (opt(self.scopes), opt(self.requested));
        let p_or_null = |s: &Option<CString>| s.as_ref().map_or(ptr::null(), |s| s.as_ptr());
        let mut tokens = 0x5a5a_usize as *mut OakTokenSet;
        let mut issued = 0x5a5a_usize as *mut c_char;
        let status = oak_token_exchange(
            p,
            c(self.subject).as_ptr(),
            c(self.subject_type).as_ptr(),
            p_or_null(&actor),
            p_or_null(&actor_type),
            if aud_ptrs.is_empty() {
                ptr::null()
            } else {
                aud_ptrs.as_ptr()
            },
            aud_ptrs.len(),
            if res_ptrs.is_empty() {
                ptr::null()
            } else {
                res_ptrs.as_ptr()
            },
            res_ptrs.len(),
            p_or_null(&scopes),
            p_or_null(&requested),
            &mut tokens,
            &mut issued,
        );
        if status != OAK_OK {
            assert!(tokens.is_null() && issued.is_null(), "out-parameters reset");
            return (status, None);
        }
        let take = |s: *mut c_char| {
            let v = CStr::from_ptr(s).to_str().unwrap().to_owned();
            oak_string_free(s);
            v
        };
        let get = |f: unsafe extern "C" fn(*const OakTokenSet, *mut *mut c_char) -> OakStatus| {
            let mut s = ptr::null_mut();
            assert_eq!(f(tokens, &mut s), OAK_OK);
            take(s)
        };
        let at = get(oak_token_set_access_token);
        let tt = get(oak_token_set_token_type);
        oak_token_set_free(tokens);
        (status, Some((at, tt, take(issued))))
    }
}

#[test]
fn oak_token_exchange_trades_a_user_token_and_returns_the_issued_type() {
    needs!(Node);
    let idp = NodeIdp::start();
    let subject = user_access_token(&idp, "alice");
    let actor = user_access_token(&idp, "bob");
    unsafe {
        let p = provider(&idp, None);
        let mut call = Call::new(&subject);
        call.actor = Some((&actor, ACCESS));
        call.audiences = &["https://api.example"];
        call.resources = &["https://api.example/", "https://other.example/"];
        call.scopes = Some("openid");
        let (status, got) = call.run(p);
        assert_eq!(status, OAK_OK, "{}", last_error());
        let (at, tt, issued) = got.unwrap();
        assert_eq!((tt.as_str(), issued.as_str()), ("Bearer", ACCESS));
        assert_ne!(at, subject);
        let seen = idp.stats()["tx_requests"]
            .as_array()
            .unwrap()
            .last()
            .cloned()
            .unwrap();
        assert_eq!(seen["actor_token_type"], ACCESS);
        assert_eq!(seen["audience"], serde_json::json!(["https://api.example"]));
        assert_eq!(
            seen["resource"],
            serde_json::json!(["https://api.example/", "https://other.example/"])
        );
        assert_eq!(seen["scope"], "openid");
        assert_eq!(seen["answer"], "access_token");

        // a JWT: token_type N_A, issued type jwt
        let mut call = Call::new(&subject);
        call.requested = Some(JWT);
        let (status, got) = call.run(p);
        assert_eq!(status, OAK_OK, "{}", last_error());
        let (_, tt, issued) = got.unwrap();
        assert_eq!((tt.as_str(), issued.as_str()), ("N_A", JWT));

        // out_issued_token_type may be NULL
        let mut tokens = ptr::null_mut();
        let status = oak_token_exchange(
            p,
            c(&subject).as_ptr(),
            c(ACCESS).as_ptr(),
            ptr::null(),
            ptr::null(),
            ptr::null(),
            0,
            ptr::null(),
            0,
            ptr::null(),
            ptr::null(),
            &mut tokens,
            ptr::null_mut(),
        );
        assert_eq!(status, OAK_OK, "{}", last_error());
        oak_token_set_free(tokens);
        oak_provider_free(p);
    }
}

#[test]
fn oak_token_exchange_errors_are_typed_and_never_show_the_tokens() {
    needs!(Node);
    let idp = NodeIdp::start();
    let subject = user_access_token(&idp, "alice");
    unsafe {
        let p = provider(&idp, None);
        let check = |call: Call<'_>, want: OakStatus, words: &str| {
            let (status, _) = call.run(p);
            let msg = last_error();
            assert_eq!(status, want, "{msg}");
            assert!(msg.contains(words), "{msg}");
            assert!(
                !msg.contains(&subject),
                "the message shows the token: {msg}"
            );
        };
        let mut call = Call::new(&subject);
        call.resources = &["https://unknown.example/"];
        check(call, OAK_ERR_OAUTH, "invalid_target");
        let mut call = Call::new(&subject);
        call.subject_type = "urn:ietf:params:oauth:token-type:id_token";
        check(call, OAK_ERR_OAUTH, "invalid_request");
        check(
            Call::new("forged-subject-token-0123456789abcdef"),
            OAK_ERR_INVALID_GRANT,
            "invalid_grant",
        );
        // checked before any request
        let mut call = Call::new(&subject);
        call.subject_type = "access_token";
        check(call, OAK_ERR_INVALID_ARGUMENT, "subject_token_type");
        let mut call = Call::new(&subject);
        call.actor = Some((&subject, ""));
        check(call, OAK_ERR_INVALID_ARGUMENT, "actor_token_type");
        let before = idp.stats()["tx_requests"].as_array().unwrap().len();
        // NULLs and lists whose pointer is NULL
        let mut tokens = ptr::null_mut();
        let tp: *mut *mut OakTokenSet = &mut tokens;
        let subject = subject.as_str();
        let cases: Vec<(Case<'_>, &str)> = vec![
            (
                Box::new(move || {
                    oak_token_exchange(
                        p,
                        ptr::null(),
                        c(ACCESS).as_ptr(),
                        ptr::null(),
                        ptr::null(),
                        ptr::null(),
                        0,
                        ptr::null(),
                        0,
                        ptr::null(),
                        ptr::null(),
                        tp,
                        ptr::null_mut(),
                    )
                }),
                "subject_token is NULL",
            ),
            (
                Box::new(move || {
                    oak_token_exchange(
                        p,
                        c(subject).as_ptr(),
                        c(ACCESS).as_ptr(),
                        c(subject).as_ptr(),
                        ptr::null(),
                        ptr::null(),
                        0,
                        ptr::null(),
                        0,
                        ptr::null(),
                        ptr::null(),
                        tp,
                        ptr::null_mut(),
                    )
                }),
                "actor_token and actor_token_type go together",
            ),
            (
                Box::new(move || {
                    oak_token_exchange(
                        p,
                        c(subject).as_ptr(),
                        c(ACCESS).as_ptr(),
                        ptr::null(),
                        ptr::null(),
                        ptr::null(),
                        2,
                        ptr::null(),
                        0,
                        ptr::null(),
                        ptr::null(),
                        tp,
                        ptr::null_mut(),
                    )
                }),
                "audiences is NULL while its count is 2",
            ),
            (
                Box::new(move || {
                    oak_token_exchange(
                        p,
                        c(subject).as_ptr(),
                        c(ACCESS).as_ptr(),
                        ptr::null(),
                        ptr::null(),
                        ptr::null(),
                        0,
                        ptr::null(),
                        0,
                        ptr::null(),
                        ptr::null(),
                        ptr::null_mut(),
                        ptr::null_mut(),
                    )
                }),
                "out_tokens is NULL",
            ),
        ];
        for (run, what) in cases {
            let status = run();
            let msg = last_error();
            assert_eq!(status, OAK_ERR_INVALID_ARGUMENT, "{msg}");
            assert!(msg.contains(what), "{msg}");
            assert!(tokens.is_null());
            assert!(!msg.contains(subject), "{msg}");
        }
        assert_eq!(
            idp.stats()["tx_requests"].as_array().unwrap().len(),
            before,
            "nothing reached the provider"
        );
        oak_provider_free(p);
        // wrong client secret: the provider's invalid_client
        let bad = provider(&idp, Some("not-the-secret-0123456789abcdef"));
        let (status, _) = Call::new(subject).run(bad);
        assert_eq!(status, OAK_ERR_OAUTH);
        assert!(last_error().contains("invalid_client"), "{}", last_error());
        oak_provider_free(bad);
    }
}
