//! PAR, private_key_jwt, the security profile and the JWT bearer grant
//! through the C ABI at panva's oidc-provider: a provider made by
//! `oak_provider_from_settings` with `OAUTHKIT_PRIVATE_KEY` (a PEM key the
//! test server registered for its private_key_jwt client) and
//! `OAUTHKIT_PAR=always` gets JWT-bearer tokens from
//! `oak_provider_jwt_bearer_signed` / `oak_provider_jwt_bearer`;
//! refusals are typed and never show the key.

use crate::support;

use std::ffi::{CStr, CString};
use std::ptr;

use oauthkit::capi::jwt_bearer::*;
use oauthkit::capi::provider::*;
use oauthkit::capi::provider_settings::*;
use oauthkit::capi::strings::*;
use oauthkit::capi::token_set::*;
use oauthkit::capi::{OakProvider, OakStatus, OakStatus::*};
use oauthkit::provider::{SigningAlgorithm, SigningKey};
use oauthkit::unversioned::provider::jwt_bearer::JwtBearerAssertion;
use support::node_idp::NodeIdp;

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

fn last_error() -> String {
    unsafe { CStr::from_ptr(oak_last_error_message()) }
        .to_string_lossy()
        .into_owned()
}

unsafe fn from_settings(pairs: &[(&str, &str)]) -> (OakStatus, *mut OakProvider) {
    let names: Vec<CString> = pairs.iter().map(|(n, _)| c(n)).collect();
    let values: Vec<CString> = pairs.iter().map(|(_, v)| c(v)).collect();
    let np: Vec<_> = names.iter().map(|s| s.as_ptr()).collect();
    let vp: Vec<_> = values.iter().map(|s| s.as_ptr()).collect();
    let mut p = ptr::null_mut();
    let status = oak_provider_from_settings(np.as_ptr(), vp.as_ptr(), pairs.len(), &mut p);
    (status, p)
}

#[test]
fn jwt_bearer_grant_with_a_private_key_jwt_provider_from_c() {
    needs!(Node);
    let idp = NodeIdp::start();
    let keys: serde_json::Value = serde_json::from_str(
        &ureq::get(&format!("{}/test/keys", idp.issuer))
            .call()
            .unwrap()
            .body_mut()
            .read_to_string()
            .unwrap(),
    )
    .unwrap();
    let client_key = keys["pkjwt_es256_pem"].as_str().unwrap();
    let issuer_key = keys["bearer_issuer_pem"].as_str().unwrap();
    let trusted = keys["bearer_issuer"].as_str().unwrap();
    let client = idp.client("pkjwt");
    unsafe {
        let (status, p) = from_settings(&[
            ("OAUTHKIT_PROVIDER", "oidc"),
            ("OAUTHKIT_CLIENT_ID", &client),
            ("OAUTHKIT_ISSUER_URL", &idp.issuer),
            ("OAUTHKIT_SCOPES", "openid api:read"),
            ("OAUTHKIT_PAR", "always"),
            ("OAUTHKIT_PRIVATE_KEY", client_key),
            ("OAUTHKIT_PRIVATE_KEY_KID", "pkjwt-es256"),
            ("OAUTHKIT_SECURITY_PROFILE", "oauth2.1"),
        ]);
        assert_eq!(status, OAK_OK, "{}", last_error());

        let mut tokens = ptr::null_mut();
        let status = oak_provider_jwt_bearer_signed(
            p,
            c(issuer_key).as_ptr(),
            c("ES256").as_ptr(),
            ptr::null(),
            c(trusted).as_ptr(),
            c("user-c").as_ptr(),
            ptr::null(),
            c("openid api:read").as_ptr(),
            &mut tokens,
        );
        assert_eq!(status, OAK_OK, "{}", last_error());
        let mut has = false;
        assert_eq!(
            oak_token_set_has_scope(tokens, c("api:read").as_ptr(), &mut has),
            OAK_OK
        );
        assert!(has);
        let mut at_ptr = ptr::null_mut();
        assert_eq!(oak_token_set_access_token(tokens, &mut at_ptr), OAK_OK);
        let at = CStr::from_ptr(at_ptr).to_str().unwrap().to_owned();
        oak_string_free(at_ptr);
        let mut json = ptr::null_mut();
        assert_eq!(oak_provider_userinfo(p, c(&at).as_ptr(), &mut json), OAK_OK);
        let info: serde_json::Value =
            serde_json::from_str(CStr::from_ptr(json).to_str().unwrap()).unwrap();
        assert_eq!(info["sub"], "user-c");
        oak_string_free(json);
        oak_token_set_free(tokens);

        // a given assertion, then the same one again: single use
        let key = SigningKey::from_pem(issuer_key, SigningAlgorithm::ES256).unwrap();
        let given = JwtBearerAssertion::new(key, trusted, "user-d")
            .sign(&idp.issuer)
            .unwrap();
        let mut tokens = ptr::null_mut();
        assert_eq!(
            oak_provider_jwt_bearer(p, c(&given).as_ptr(), ptr::null(), &mut tokens),
            OAK_OK,
            "{}",
            last_error()
        );
        oak_token_set_free(tokens);
        let mut tokens = ptr::null_mut();
        assert_eq!(
            oak_provider_jwt_bearer(p, c(&given).as_ptr(), ptr::null(), &mut tokens),
            OAK_ERR_INVALID_GRANT
        );
        assert!(tokens.is_null());
        let message = last_error();
        for part in given.split('.').skip(1) {
            assert!(!message.contains(&part[..12.min(part.len())]), "{message}");
        }
        oak_provider_free(p);

        // a key the provider does not know: the client is refused at the
        // token endpoint, and neither key shows in the message
        let (status, p) = from_settings(&[
            ("OAUTHKIT_PROVIDER", "oidc"),
            ("OAUTHKIT_CLIENT_ID", &client),
            ("OAUTHKIT_ISSUER_URL", &idp.issuer),
            ("OAUTHKIT_PRIVATE_KEY", issuer_key),
            ("OAUTHKIT_PRIVATE_KEY_KID", "pkjwt-es256"),
        ]);
        assert_eq!(status, OAK_OK);
        let mut tokens = ptr::null_mut();
        let status = oak_provider_jwt_bearer_signed(
            p,
            c(issuer_key).as_ptr(),
            ptr::null(),
            ptr::null(),
            c(trusted).as_ptr(),
            c("user-e").as_ptr(),
            ptr::null(),
            ptr::null(),
            &mut tokens,
        );
        assert_eq!(status, OAK_ERR_OAUTH);
        let message = last_error();
        assert!(message.contains("invalid_client"), "{message}");
        let body: String = issuer_key
            .lines()
            .nth(1)
            .unwrap()
            .chars()
            .take(30)
            .collect();
        assert!(!message.contains(&body), "{message}");
        oak_provider_free(p);

        // FAPI 2.0 without sender-constrained tokens is refused by rule
        let (status, p) = from_settings(&[
            ("OAUTHKIT_PROVIDER", "oidc"),
            ("OAUTHKIT_CLIENT_ID", &client),
            ("OAUTHKIT_ISSUER_URL", &idp.issuer),
            ("OAUTHKIT_PRIVATE_KEY", client_key),
            ("OAUTHKIT_SECURITY_PROFILE", "fapi2"),
        ]);
        assert_eq!(status, OAK_ERR_INVALID_ARGUMENT);
        assert!(p.is_null());
        let message = last_error();
        assert!(
            message.contains("FAPI 2.0") && message.contains("sender-constrained"),
            "{message}"
        );
        assert!(!message.contains(&body));
    }
}
