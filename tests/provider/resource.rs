//! RFC 8707 resource indicators on the authorization, code-exchange and
//! refresh requests, against panva's oidc-provider with
//! `resourceIndicators` (tests/browser/oidc-server.mjs: resource
//! `https://api.example/` gets JWT access tokens with that audience).

use crate::support;

use base64::Engine as _;
use oauthkit::provider::{AuthorizeRequest, OAuthProvider, OidcConfig, Provider};
use oauthkit::provider::{CodeExchange, TokenRefresh};
use oauthkit::ErrorKind;
use support::interactions;
use support::node_idp::NodeIdp;

const REDIRECT_URI: &str = "http://127.0.0.1:4567/callback";
const API: &str = "https://api.example/";

fn audience(access_token: &str) -> serde_json::Value {
    let payload = access_token
        .split('.')
        .nth(1)
        .unwrap_or_else(|| panic!("not a JWT access token (no resource applied?)"));
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()["aud"].clone()
}

#[test]
fn resource_goes_to_authorization_token_and_refresh_requests() {
    needs!(Node);
    let idp = NodeIdp::start();
    let p = OAuthProvider::oidc(
        OidcConfig::new(&idp.issuer, &idp.client_id)
            .scopes(["openid", "offline_access", "api:read"])
            .resource(API),
    )
    .unwrap();
    let (url, _state, nonce, pkce) =
        support::interactions::authorize_url(&p, REDIRECT_URI, &[("prompt", "consent")]);
    let u = url::Url::parse(&url).unwrap();
    let resources: Vec<_> = u.query_pairs().filter(|(k, _)| k == "resource").collect();
    assert_eq!(resources.len(), 1);
    assert_eq!(resources[0].1, API);

    let code = interactions::sign_in(&url, REDIRECT_URI, "alice")
        .param("code")
        .unwrap();
    let t = p
        .exchange_code(
            &CodeExchange::new(&code, REDIRECT_URI)
                .pkce_verifier(pkce.verifier())
                .nonce(&nonce),
        )
        .unwrap();
    assert_eq!(audience(t.access_token.expose()), API);
    assert_eq!(
        t.identity_id.as_deref(),
        Some("alice"),
        "ID token still validated"
    );
    let rt = t.refresh_token.expect("offline_access with prompt=consent");
    let fresh = p.refresh_tokens(&TokenRefresh::new(rt.expose())).unwrap();
    assert_eq!(audience(fresh.access_token.expose()), API);
    assert_ne!(fresh.access_token, t.access_token);
}

#[test]
fn resources_must_be_absolute_uris_without_fragments() {
    for bad in ["api", "/relative", "https://api.example/#frag"] {
        let e = OAuthProvider::oidc(OidcConfig::new("https://idp.example", "c").resource(bad))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{bad}");
    }
    let p = OAuthProvider::oidc(
        OidcConfig::new("https://idp.example", "c")
            .resource("https://a.example/")
            .resource("urn:example:b"),
    )
    .unwrap();
    let mut endpoints = p.oidc_config().unwrap().endpoints.clone();
    endpoints.authorization = Some("https://idp.example/authorize".into());
    let mut cfg = p.oidc_config().unwrap().clone();
    cfg.endpoints = endpoints;
    let url = OAuthProvider::oidc(cfg)
        .unwrap()
        .build_authorize_url(&AuthorizeRequest {
            redirect_uri: REDIRECT_URI,
            state: "s",
            ..Default::default()
        })
        .unwrap();
    assert!(
        url.contains("resource=https%3A%2F%2Fa.example%2F&resource=urn%3Aexample%3Ab"),
        "{url}"
    );
}
