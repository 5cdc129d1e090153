//! `OidcProvider` asks for `offline_access` when the provider's discovery
//! lists it (Okta, Auth0, Keycloak and panva's oidc-provider issue no
//! refresh token without it), unless the configuration says not to, and
//! never twice.

#[path = "support/mock_http.rs"]
mod mock_http;
#[path = "support/test_jwt.rs"]
mod test_jwt;

use oauthkit::provider::{AuthorizeRequest, OfflineAccess, OidcConfig, OidcProvider, Provider};
use serde_json::Value;
use url::Url;

use mock_http::MockServer;

fn idp(list_offline_access: bool) -> MockServer {
    let s = MockServer::start();
    let mut d = test_jwt::discovery(s.base());
    if list_offline_access {
        d["scopes_supported"] = Value::from(vec!["openid", "email", "offline_access"]);
    } else {
        d["scopes_supported"] = Value::from(vec!["openid", "email"]);
    }
    s.json("/.well-known/openid-configuration", 200, &d);
    s
}

fn scope_sent(cfg: OidcConfig, extra: &[(&str, &str)]) -> String {
    let p = OidcProvider::new(cfg).unwrap();
    let url = p
        .build_authorize_url(&AuthorizeRequest {
            redirect_uri: "http://127.0.0.1:1/callback",
            state: "s",
            extra_params: extra,
            ..Default::default()
        })
        .unwrap();
    Url::parse(&url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "scope")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

#[test]
fn asked_for_when_discovery_lists_it() {
    let s = idp(true);
    let cfg = OidcConfig::new(s.base(), "c");
    assert_eq!(cfg.offline_access, OfflineAccess::WhenListed, "the default");
    assert_eq!(scope_sent(cfg, &[]), "openid email profile offline_access");
}

#[test]
fn not_asked_for_when_discovery_does_not_list_it() {
    let s = idp(false);
    assert_eq!(
        scope_sent(OidcConfig::new(s.base(), "c"), &[]),
        "openid email profile"
    );
}

#[test]
fn not_asked_for_when_turned_off() {
    let s = idp(true);
    let mut cfg = OidcConfig::new(s.base(), "c");
    cfg.offline_access = OfflineAccess::AsConfigured;
    assert_eq!(scope_sent(cfg, &[]), "openid email profile");
}

#[test]
fn never_twice_and_a_requests_own_scope_wins() {
    let s = idp(true);
    let cfg = OidcConfig::new(s.base(), "c").with_scopes(["openid", "offline_access"]);
    assert_eq!(scope_sent(cfg, &[]), "openid offline_access");
    // a request that names its scope gets exactly that
    let cfg = OidcConfig::new(s.base(), "c");
    assert_eq!(scope_sent(cfg, &[("scope", "openid api")]), "openid api");
}

#[test]
fn only_for_openid_requests() {
    // offline_access is an OpenID Connect scope: a plain OAuth request
    // (no `openid`) is left as configured.
    let s = idp(true);
    let cfg = OidcConfig::new(s.base(), "c").with_scopes(["api:read"]);
    assert_eq!(scope_sent(cfg, &[]), "api:read");
}

/// The dev provider, like real ones, issues a refresh token only for
/// `offline_access`; `OidcProvider` asks for it by default since the dev
/// provider's discovery lists it.
#[cfg(feature = "dev-provider")]
#[test]
fn dev_provider_refresh_tokens_follow_offline_access() {
    use std::sync::Arc;

    use oauthkit::dev_provider::{DevProvider, DevProviderOptions, HeadlessBrowser};
    use oauthkit::flow::{AuthFlowManager, NativeOptions};
    use oauthkit::store::MemoryStore;

    let idp = DevProvider::start(DevProviderOptions::default().auto_approve(true)).unwrap();
    let sign_in = |rule: OfflineAccess| {
        let mut cfg = OidcConfig::new(idp.issuer(), idp.client_id());
        cfg.offline_access = rule;
        let provider: Arc<dyn Provider> = Arc::new(OidcProvider::new(cfg).unwrap());
        let flow = AuthFlowManager::builder(provider)
            .store(Arc::new(MemoryStore::new()))
            .build();
        let open = |url: &str| -> oauthkit::Result<()> {
            let url = url.to_string();
            std::thread::spawn(move || HeadlessBrowser::approve(&url).expect("approve"));
            Ok(())
        };
        flow.run_native(NativeOptions::new().open_browser(open))
            .unwrap()
            .tokens
    };
    let t = sign_in(OfflineAccess::WhenListed);
    assert!(t.refresh_token.is_some(), "asked for offline_access");
    assert!(
        t.scopes.iter().any(|s| s == "offline_access"),
        "{:?}",
        t.scopes
    );
    let t = sign_in(OfflineAccess::AsConfigured);
    assert!(
        t.refresh_token.is_none(),
        "no offline_access, no refresh token"
    );
}
