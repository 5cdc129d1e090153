//! DPoP through the C ABI at panva's oidc-provider: a provider made with
//! `OAUTHKIT_DPOP`, a DPoP-bound sign-in, then `oak_dpop_headers` and
//! `oak_dpop_record_nonce` for calls to the provider's userinfo, which
//! refuses the token without them and accepts it with them.

use crate::support;

use oauthkit::provider::CodeExchange;
use std::ffi::{c_char, CStr, CString};
use std::ptr;

use oauthkit::capi::dpop::*;
use oauthkit::capi::provider::*;
use oauthkit::capi::provider_settings::*;
use oauthkit::capi::session::*;
use oauthkit::capi::store::*;
use oauthkit::capi::strings::*;
use oauthkit::capi::{OakStatus::*, OakStore};
use oauthkit::provider::{Provider, ProviderSettings};
use oauthkit::store::MemoryStore;
use oauthkit::unversioned::provider::DpopKey;
use oauthkit::TokenStore;
use support::node_idp::NodeIdp;

const REDIRECT_URI: &str = "http://127.0.0.1:4567/callback";

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

fn take(s: *mut c_char) -> String {
    assert!(!s.is_null());
    let v = unsafe { CStr::from_ptr(s) }.to_str().unwrap().to_owned();
    unsafe { oak_string_free(s) };
    v
}

fn settings(idp: &NodeIdp, dpop: &str) -> Vec<(&'static str, String)> {
    vec![
        ("OAUTHKIT_PROVIDER", "oidc".into()),
        ("OAUTHKIT_CLIENT_ID", idp.client("dpop")),
        ("OAUTHKIT_ISSUER_URL", idp.issuer.clone()),
        ("OAUTHKIT_SCOPES", "openid email offline_access".into()),
        ("OAUTHKIT_DPOP", dpop.into()),
    ]
}

fn get(url: &str, headers: &[(&str, &str)]) -> (u16, Option<String>, Option<String>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut req = agent.get(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.call().unwrap();
    let h = |n: &str| {
        r.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    (r.status().as_u16(), h("www-authenticate"), h("dpop-nonce"))
}

#[test]
fn dpop_headers_from_c_are_accepted_by_the_provider() {
    needs!(Node);
    let idp = NodeIdp::start();
    idp.require_dpop_nonce();
    let pairs = settings(&idp, "ES256");
    let names: Vec<CString> = pairs.iter().map(|(k, _)| c(k)).collect();
    let values: Vec<CString> = pairs.iter().map(|(_, v)| c(v)).collect();
    let name_ptrs: Vec<*const c_char> = names.iter().map(|s| s.as_ptr()).collect();
    let value_ptrs: Vec<*const c_char> = values.iter().map(|s| s.as_ptr()).collect();
    let mut provider = ptr::null_mut();
    let mut alg = ptr::null_mut();
    unsafe {
        assert_eq!(
            oak_provider_from_settings(
                name_ptrs.as_ptr(),
                value_ptrs.as_ptr(),
                pairs.len(),
                &mut provider
            ),
            OAK_OK
        );
        assert_eq!(oak_provider_dpop_algorithm(provider, &mut alg), OAK_OK);
    }
    assert_eq!(take(alg), "ES256");

    // Sign in with the same settings on the Rust side (the C flow needs a
    // browser); the tokens go to a store the C session reads.
    let rust = ProviderSettings::from_lookup(|k| {
        pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())
    })
    .unwrap()
    .build()
    .unwrap();
    let key: DpopKey = rust.dpop().unwrap().generate_key().unwrap();
    let (url, _state, nonce, pkce) = support::interactions::authorize_url(
        &rust,
        REDIRECT_URI,
        &[("prompt", "consent"), ("dpop_jkt", key.thumbprint())],
    );
    let code = support::interactions::sign_in(&url, REDIRECT_URI, "cleo")
        .param("code")
        .unwrap();
    let tokens = rust
        .exchange_code(
            &CodeExchange::new(&code, REDIRECT_URI)
                .pkce_verifier(pkce.verifier())
                .nonce(&nonce)
                .dpop(&key),
        )
        .unwrap();
    let memory = MemoryStore::new();
    memory.save("cleo", &tokens).unwrap();
    let store: *mut OakStore = OakStore::into_raw(Box::new(memory.clone()));
    let mut session = ptr::null_mut();
    unsafe {
        assert_eq!(
            oak_session_new(provider, store, None, ptr::null_mut(), &mut session),
            OAK_OK
        );
    }

    let userinfo = format!("{}/me", idp.issuer);
    let at = tokens.access_token.expose();
    assert_ne!(
        get(&userinfo, &[("Authorization", &format!("Bearer {at}"))]).0,
        200
    );
    assert_ne!(
        get(&userinfo, &[("Authorization", &format!("DPoP {at}"))]).0,
        200
    );

    let (ckey, cget, curl) = (c("cleo"), c("GET"), c(&userinfo));
    let mut statuses = Vec::new();
    for _ in 0..2 {
        let (mut authz, mut proof) = (ptr::null_mut(), ptr::null_mut());
        unsafe {
            assert_eq!(
                oak_dpop_headers(
                    session,
                    ckey.as_ptr(),
                    cget.as_ptr(),
                    curl.as_ptr(),
                    &mut authz,
                    &mut proof
                ),
                OAK_OK
            );
        }
        let (authz, proof) = (take(authz), take(proof));
        assert_eq!(authz, format!("DPoP {at}"));
        let (status, www, dpop_nonce) =
            get(&userinfo, &[("Authorization", &authz), ("DPoP", &proof)]);
        statuses.push(status);
        let (w, n) = (www.map(|s| c(&s)), dpop_nonce.map(|s| c(&s)));
        let mut retry = false;
        unsafe {
            assert_eq!(
                oak_dpop_record_nonce(
                    session,
                    curl.as_ptr(),
                    status,
                    w.as_ref().map_or(ptr::null(), |s| s.as_ptr()),
                    n.as_ref().map_or(ptr::null(), |s| s.as_ptr()),
                    &mut retry,
                ),
                OAK_OK
            );
        }
        if !retry {
            break;
        }
    }
    // nonces are required: the first call is refused with a nonce, the
    // retry succeeds
    assert_eq!(statuses, [401, 200]);
    unsafe {
        oak_session_free(session);
        oak_store_free(store);
        oak_provider_free(provider);
    }
}
