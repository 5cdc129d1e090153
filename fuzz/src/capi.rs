//! The C ABI's string entry points, called as C calls them: every field
//! of the input becomes a NUL-terminated string (valid UTF-8 or not).

use std::ffi::{c_char, CStr, CString};
use std::ptr::{null, null_mut};

use super::store::{clean_specs_dir, sandboxed_spec};
use super::{assert_no_secret, fields};
use oauthkit::capi::flow::*;
use oauthkit::capi::provider::*;
use oauthkit::capi::store::*;
use oauthkit::capi::strings::*;
use oauthkit::capi::token_set::*;
use oauthkit::capi::OakStatus;

/// The thread's last error message, which must be valid UTF-8.
fn last_error() -> String {
    let p = oak_last_error_message();
    assert!(!p.is_null(), "oak_last_error_message returned NULL");
    unsafe { CStr::from_ptr(p) }
        .to_str()
        .expect("the last error message is UTF-8")
        .to_owned()
}

/// Takes a string the library handed out, checks it and frees it.
unsafe fn take(p: *mut c_char) -> Option<String> {
    if p.is_null() {
        return None;
    }
    let s = CStr::from_ptr(p)
        .to_str()
        .expect("strings from the library are UTF-8")
        .to_owned();
    oak_string_free(p);
    Some(s)
}

/// A status for a call whose string argument is `arg`: a non-UTF-8
/// argument is an invalid argument, never anything else.
fn expect_utf8_rule(status: OakStatus, arg: &[u8], what: &str) {
    if std::str::from_utf8(arg).is_err() {
        assert_eq!(
            status,
            OakStatus::OAK_ERR_INVALID_ARGUMENT,
            "{what} with a non-UTF-8 argument"
        );
    }
}

/// Input: up to 12 NUL-separated fields: access token, refresh token, ID
/// token, scope, resource server, a scope to test, token set JSON, store
/// spec, key / tenant / issuer, client id, client secret, scopes.
pub fn capi(data: &[u8]) {
    let f = fields(data, 12);
    let c: Vec<CString> = f
        .iter()
        .map(|b| CString::new(*b).expect("fields have no NUL"))
        .collect();
    let secret = std::str::from_utf8(f[10]).unwrap_or_default();
    let secret = if f
        .iter()
        .enumerate()
        .any(|(i, b)| i != 10 && String::from_utf8_lossy(b).contains(secret))
    {
        ""
    } else {
        secret
    };
    unsafe {
        // A token set built field by field, read back, through JSON.
        let mut t = null_mut();
        let st = oak_token_set_new(c[0].as_ptr(), &mut t);
        expect_utf8_rule(st, f[0], "oak_token_set_new");
        if st == OakStatus::OAK_OK {
            assert!(!t.is_null());
            let setters: [(unsafe extern "C" fn(_, _) -> OakStatus, usize); 4] = [
                (oak_token_set_set_refresh_token, 1),
                (oak_token_set_set_id_token, 2),
                (oak_token_set_set_scope, 3),
                (oak_token_set_set_resource_server, 4),
            ];
            for (set, i) in setters {
                let st = set(t, c[i].as_ptr());
                expect_utf8_rule(st, f[i], "a token set setter");
            }
            let st = oak_token_set_set_expires_in(t, i64::from(f[5].len() as u32) * 977 - 300);
            assert_eq!(st, OakStatus::OAK_OK);
            let mut out = null_mut();
            assert_eq!(oak_token_set_access_token(t, &mut out), OakStatus::OAK_OK);
            assert_eq!(take(out).as_deref().map(str::as_bytes), Some(f[0]));
            let mut has = false;
            let st = oak_token_set_has_scope(t, c[5].as_ptr(), &mut has);
            expect_utf8_rule(st, f[5], "oak_token_set_has_scope");
            let mut json = null_mut();
            assert_eq!(oak_token_set_to_json(t, &mut json), OakStatus::OAK_OK);
            let json = take(json).expect("to_json gives a string");
            let json_c = CString::new(json.clone()).expect("JSON has no NUL");
            let mut back = null_mut();
            assert_eq!(
                oak_token_set_from_json(json_c.as_ptr(), &mut back),
                OakStatus::OAK_OK,
                "from_json refused to_json's {json}"
            );
            let mut again = null_mut();
            assert_eq!(oak_token_set_to_json(back, &mut again), OakStatus::OAK_OK);
            assert_eq!(take(again).as_deref(), Some(json.as_str()));
            oak_token_set_free(back);
        } else {
            assert!(t.is_null(), "a failed call left an out-parameter set");
        }

        // Arbitrary JSON.
        let mut parsed = null_mut();
        let st = oak_token_set_from_json(c[6].as_ptr(), &mut parsed);
        expect_utf8_rule(st, f[6], "oak_token_set_from_json");
        if st == OakStatus::OAK_OK {
            let mut json = null_mut();
            assert_eq!(oak_token_set_to_json(parsed, &mut json), OakStatus::OAK_OK);
            take(json);
            oak_token_set_free(parsed);
        } else {
            assert!(parsed.is_null(), "a failed call left an out-parameter set");
            let _ = last_error();
        }

        // A store from the spec (file paths kept in a scratch directory).
        let spec = match std::str::from_utf8(f[7]) {
            Ok(s) => sandboxed_spec(s).map(|s| CString::new(s).expect("no NUL")),
            Err(_) => Some(c[7].clone()),
        };
        if let Some(spec) = spec {
            let mut store = null_mut();
            let st = oak_store_open(spec.as_ptr(), &mut store);
            expect_utf8_rule(st, f[7], "oak_store_open");
            if st == OakStatus::OAK_OK && !t.is_null() {
                let key = c[8].as_ptr();
                let st = oak_store_save(store, key, t);
                expect_utf8_rule(st, f[8], "oak_store_save");
                let saved = st == OakStatus::OAK_OK;
                let mut exists = false;
                let st = oak_store_exists(store, key, &mut exists);
                assert!(
                    !saved || st != OakStatus::OAK_OK || exists,
                    "saved but missing"
                );
                let mut loaded = null_mut();
                if oak_store_load(store, key, &mut loaded) == OakStatus::OAK_OK {
                    oak_token_set_free(loaded);
                }
                let (mut items, mut len) = (null_mut(), 0usize);
                if oak_store_list(store, &mut items, &mut len) == OakStatus::OAK_OK {
                    oak_string_array_free(items, len);
                }
                let mut deleted = false;
                let st = oak_store_delete(store, key, &mut deleted);
                assert!(
                    !saved || st != OakStatus::OAK_OK || deleted,
                    "saved but not deleted"
                );
            } else if st != OakStatus::OAK_OK {
                assert!(store.is_null(), "a failed call left an out-parameter set");
            }
            oak_store_free(store);
            clean_specs_dir();
        }
        oak_token_set_free(t);

        // Providers and a flow (nothing here does I/O).
        let (tenant, id, sec, scopes) =
            (c[8].as_ptr(), c[9].as_ptr(), c[10].as_ptr(), c[11].as_ptr());
        let makers: [&dyn Fn(*mut *mut OakProvider) -> OakStatus; 4] = [
            &|out| oak_provider_google(id, sec, scopes, out),
            &|out| oak_provider_microsoft(tenant, id, sec, scopes, out),
            &|out| oak_provider_github(id, sec, scopes, out),
            &|out| oak_provider_oidc(tenant, id, sec, null(), out),
        ];
        // One provider per input: building one parses the TLS roots.
        for make in makers.iter().skip(data.len() % makers.len()).take(1) {
            let mut p = null_mut();
            let st = make(&mut p);
            if st == OakStatus::OAK_OK {
                let mut name = null_mut();
                assert_eq!(oak_provider_name(p, &mut name), OakStatus::OAK_OK);
                take(name);
                let mut flow = null_mut();
                assert_eq!(
                    oak_flow_new(p, null(), null(), &mut flow),
                    OakStatus::OAK_OK
                );
                let st = oak_flow_set_token_key(flow, c[8].as_ptr());
                expect_utf8_rule(st, f[8], "oak_flow_set_token_key");
                let st = oak_flow_add_param(flow, c[3].as_ptr(), c[4].as_ptr());
                if st != OakStatus::OAK_OK {
                    assert_no_secret("flow error", &last_error(), &[secret]);
                }
                oak_flow_free(flow);
                oak_provider_free(p);
            } else {
                assert!(p.is_null(), "a failed call left an out-parameter set");
                assert_no_secret("provider error", &last_error(), &[secret]);
            }
        }
        let _ = CStr::from_ptr(oak_status_name(
            i32::from(f[11].first().copied().unwrap_or(0)) - 20,
        ));
    }
}
