//! `offline_access` never locks a user out: `OAuthProvider` sends exactly
//! the configured scopes unless the configuration opts in
//! (`OfflineAccess::WhenListed`), so a provider that lists the scope but
//! refuses it to some users (Keycloak: `400 not_allowed: Offline tokens
//! not allowed` for users without the `offline_access` role) still signs
//! them in; and a sign-in that ends without a refresh token says so, in
//! the result and in a warning naming what to add.

use crate::support::flow_http;
use crate::support::log_capture;
use crate::support::mock_http;
use crate::support::provider_docs;
use crate::support::test_jwt;

use std::sync::Arc;

use oauthkit::flow::{AuthFlowManager, AuthFlowResult, NativeOptions};
use oauthkit::provider::{AuthorizeRequest, OAuthProvider, OidcConfig, Provider};
use oauthkit::store::MemoryStore;
use oauthkit::unversioned::provider::OfflineAccess;
use oauthkit::ErrorKind;
use serde_json::{json, Value};
use url::Url;

use mock_http::{MockServer, Recorded, Reply};

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
    let p = OAuthProvider::oidc(cfg).unwrap();
    let url = p
        .build_authorize_url(&AuthorizeRequest {
            redirect_uri: "http://127.0.0.1:1/callback",
            state: "s",
            extra_params: extra,
            ..Default::default()
        })
        .unwrap();
    query(&url, "scope").unwrap_or_default()
}

fn query(url: &str, name: &str) -> Option<String> {
    Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

#[test]
fn the_default_sends_exactly_the_configured_scopes_even_when_listed() {
    let s = idp(true);
    let cfg = OidcConfig::new(s.base(), "c");
    assert_eq!(
        cfg.offline_access,
        OfflineAccess::AsConfigured,
        "the default"
    );
    assert_eq!(scope_sent(cfg, &[]), "openid email profile");
}

#[test]
fn the_opt_in_asks_for_it_when_discovery_lists_it() {
    let s = idp(true);
    let mut cfg = OidcConfig::new(s.base(), "c");
    cfg.offline_access = OfflineAccess::WhenListed;
    assert_eq!(scope_sent(cfg, &[]), "openid email profile offline_access");
}

#[test]
fn the_opt_in_does_not_ask_when_discovery_does_not_list_it() {
    let s = idp(false);
    let mut cfg = OidcConfig::new(s.base(), "c");
    cfg.offline_access = OfflineAccess::WhenListed;
    assert_eq!(scope_sent(cfg, &[]), "openid email profile");
}

#[test]
fn the_opt_in_never_asks_twice_and_a_requests_own_scope_wins() {
    let s = idp(true);
    let mut cfg = OidcConfig::new(s.base(), "c").scopes(["openid", "offline_access"]);
    cfg.offline_access = OfflineAccess::WhenListed;
    assert_eq!(scope_sent(cfg, &[]), "openid offline_access");
    let mut cfg = OidcConfig::new(s.base(), "c");
    cfg.offline_access = OfflineAccess::WhenListed;
    assert_eq!(scope_sent(cfg, &[("scope", "openid api")]), "openid api");
}

#[test]
fn the_opt_in_only_touches_openid_requests() {
    let s = idp(true);
    let mut cfg = OidcConfig::new(s.base(), "c").scopes(["api:read"]);
    cfg.offline_access = OfflineAccess::WhenListed;
    assert_eq!(scope_sent(cfg, &[]), "api:read");
}

/// The opt-in from settings (`OAUTHKIT_OFFLINE_ACCESS`), so C, C++, Go,
/// Python (`oak_provider_from_settings`) and the environment reach it.
#[test]
fn the_opt_in_from_settings() {
    use oauthkit::provider::ProviderSettings;

    let s = idp(true);
    let scope_of = |rule: Option<&str>| {
        let vars = [
            ("OAUTHKIT_PROVIDER", Some("oidc")),
            ("OAUTHKIT_CLIENT_ID", Some("c")),
            ("OAUTHKIT_ISSUER_URL", Some(s.base())),
            ("OAUTHKIT_OFFLINE_ACCESS", rule),
        ];
        let settings = ProviderSettings::from_lookup(|k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .and_then(|(_, v)| v.map(str::to_owned))
        })?;
        let p = settings.build()?;
        let url = p.build_authorize_url(&AuthorizeRequest {
            redirect_uri: "http://127.0.0.1:1/callback",
            state: "s",
            ..Default::default()
        })?;
        Ok::<_, oauthkit::Error>(query(&url, "scope").unwrap_or_default())
    };
    assert_eq!(scope_of(None).unwrap(), "openid email profile");
    assert_eq!(
        scope_of(Some("as_configured")).unwrap(),
        "openid email profile"
    );
    assert_eq!(
        scope_of(Some("When-Listed")).unwrap(),
        "openid email profile offline_access"
    );
    let e = scope_of(Some("always")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.to_string().contains("OAUTHKIT_OFFLINE_ACCESS"), "{e}");
    // a provider without OpenID scopes refuses it by name
    let mut gh = ProviderSettings::new(oauthkit::provider::ProviderKind::GitHub, "Iv1.x");
    gh.offline_access = Some(OfflineAccess::WhenListed);
    let e = gh.build().expect_err("refused");
    assert!(e.to_string().contains("OAUTHKIT_OFFLINE_ACCESS"), "{e}");
}

// A Keycloak realm for a user without the `offline_access` role: the
// discovery document lists the scope (every realm does), the token
// endpoint refuses a code whose authorization asked for it and otherwise
// issues a refresh token anyway.

const REALM: &str = "/realms/demo";

/// The token endpoint: the code says whether the authorization asked for
/// `offline_access` and carries the nonce (`offline.<nonce>` /
/// `online.<nonce>`).
fn keycloak_token(r: &Recorded, _: usize) -> Reply {
    let code = r.form_value("code").unwrap_or_default();
    let (kind, nonce) = code.split_once('.').unwrap_or(("", ""));
    if kind == "offline" {
        return Reply::json(
            400,
            &json!({"error": "not_allowed", "error_description": "Offline tokens not allowed"}),
        );
    }
    let iss = format!("http://{}{REALM}", r.header("host").unwrap());
    let aud = r.form_value("client_id").unwrap();
    let mut claims = test_jwt::claims(&iss, &aud);
    claims["nonce"] = nonce.into();
    let id_token = test_jwt::keys()[0].sign(&claims);
    let mut body = json!({
        "access_token": "kc-access", "expires_in": 300, "refresh_expires_in": 1800,
        "token_type": "Bearer", "id_token": id_token, "not-before-policy": 0,
        "session_state": "3b1f", "scope": "openid email profile",
    });
    if kind == "online" {
        body["refresh_token"] = "kc-refresh".into();
    }
    Reply::json(200, &body)
}

fn keycloak_realm() -> (MockServer, String) {
    let s = MockServer::start();
    let issuer = format!("{}{REALM}", s.base());
    let doc = provider_docs::keycloak(&issuer);
    s.json(
        &format!("{REALM}/.well-known/openid-configuration"),
        200,
        &doc,
    );
    s.json(
        &provider_docs::path(&doc, "jwks_uri"),
        200,
        &test_jwt::jwks(&[&test_jwt::keys()[0]]),
    );
    s.route(
        &provider_docs::path(&doc, "token_endpoint"),
        Reply::Computed(keycloak_token, 0),
    );
    (s, issuer)
}

/// A browser that signs the user in at once: the code it brings back says
/// whether the request asked for `offline_access` (`online.` for a code
/// the test server answers without a refresh token: `bare.`).
fn sign_in(cfg: OidcConfig, plain_code: &'static str) -> oauthkit::Result<AuthFlowResult> {
    let provider: Arc<dyn Provider> = Arc::new(OAuthProvider::oidc(cfg)?);
    let flow = AuthFlowManager::builder(provider)
        .store(Arc::new(MemoryStore::new()))
        .userinfo(false)
        .build();
    let open = move |url: &str| -> oauthkit::Result<()> {
        let scope = query(url, "scope").unwrap_or_default();
        let kind = if scope.split(' ').any(|s| s == "offline_access") {
            "offline"
        } else {
            plain_code
        };
        let code = format!("{kind}.{}", query(url, "nonce").unwrap());
        let redirect = query(url, "redirect_uri").unwrap();
        let mut back = Url::parse(&redirect).unwrap();
        back.query_pairs_mut()
            .append_pair("code", &code)
            .append_pair("state", &query(url, "state").unwrap())
            .append_pair("iss", &issuer_of(url));
        let target = format!("{}?{}", back.path(), back.query().unwrap());
        std::thread::spawn(move || {
            flow_http::raw_get(flow_http::addr_of(&redirect), &target).expect("callback")
        });
        Ok(())
    };
    flow.run_native(NativeOptions::new().open_browser(open))
}

/// The issuer, from an authorization URL on the test realm.
fn issuer_of(url: &str) -> String {
    let u = Url::parse(url).unwrap();
    format!("{}{REALM}", u.origin().ascii_serialization())
}

#[test]
fn a_user_keycloak_refuses_offline_access_signs_in_with_the_defaults() {
    let (s, issuer) = keycloak_realm();
    let r = sign_in(OidcConfig::new(&issuer, "app"), "online").expect("signed in");
    assert!(
        r.tokens.refresh_token.is_some(),
        "Keycloak issues one anyway"
    );
    assert_eq!(r.refresh_token_advice, None);
    assert_eq!(
        s.count(&format!("{REALM}/protocol/openid-connect/token")),
        1
    );
}

#[test]
fn the_opt_in_asks_keycloak_for_offline_access_and_that_user_is_refused() {
    let (_s, issuer) = keycloak_realm();
    let mut cfg = OidcConfig::new(&issuer, "app");
    cfg.offline_access = OfflineAccess::WhenListed;
    let e = sign_in(cfg, "online").expect_err("Keycloak refuses offline tokens to this user");
    assert_eq!(e.kind(), ErrorKind::OAuth, "{e}");
    assert!(e.to_string().contains("not_allowed"), "{e}");
    assert!(!e.needs_sign_in(), "signing in again cannot help: {e}");
}

#[test]
fn a_sign_in_without_a_refresh_token_says_so_and_names_what_to_add() {
    log_capture::install();
    let (_s, issuer) = keycloak_realm();
    let mut cfg = OidcConfig::new(&issuer, "app");
    cfg.name = "realm-without-refresh".into();
    let r = sign_in(cfg, "bare").expect("signed in");
    assert!(r.tokens.refresh_token.is_none());
    let advice = r.refresh_token_advice.expect("the result says so");
    assert!(advice.contains("offline_access"), "{advice}");
    let warned = log_capture::lines_with(log::Level::Warn, "realm-without-refresh");
    assert_eq!(warned.len(), 1, "{warned:?}");
    assert!(warned[0].contains("no refresh token"), "{warned:?}");
    assert!(
        warned[0].contains("add the scope offline_access"),
        "{warned:?}"
    );
    // (ureq's own trace records dump bodies; oauthkit's must not)
    let ours = log_capture::oauthkit_records();
    assert!(!ours.contains("kc-access") && !ours.contains("kc-refresh"));
}

#[test]
fn a_sign_in_with_a_refresh_token_warns_nothing() {
    log_capture::install();
    let (_s, issuer) = keycloak_realm();
    let mut cfg = OidcConfig::new(&issuer, "app");
    cfg.name = "realm-with-refresh".into();
    sign_in(cfg, "online").expect("signed in");
    assert!(log_capture::lines_with(log::Level::Warn, "realm-with-refresh").is_empty());
}

/// The dev provider, like Okta and Auth0, issues a refresh token only for
/// `offline_access`: with the defaults no refresh token comes back and
/// the warning says to add the scope; with it configured, one does.
#[cfg(feature = "dev-provider")]
#[test]
fn dev_provider_refresh_tokens_follow_offline_access() {
    use oauthkit::unversioned::dev_provider::{DevProvider, DevProviderOptions, HeadlessBrowser};

    log_capture::install();
    let idp = DevProvider::start(DevProviderOptions::default().auto_approve(true)).unwrap();
    let sign_in = |cfg: OidcConfig| {
        let provider: Arc<dyn Provider> = Arc::new(OAuthProvider::oidc(cfg).unwrap());
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
    };
    let mut cfg = OidcConfig::new(idp.issuer(), idp.client_id());
    cfg.name = "dev-defaults".into();
    let r = sign_in(cfg);
    assert!(r.tokens.refresh_token.is_none(), "no offline_access asked");
    assert!(r.refresh_token_advice.unwrap().contains("offline_access"));
    assert_eq!(
        log_capture::lines_with(log::Level::Warn, "dev-defaults").len(),
        1
    );
    let mut cfg = OidcConfig::new(idp.issuer(), idp.client_id());
    cfg.offline_access = OfflineAccess::WhenListed;
    let r = sign_in(cfg);
    assert!(r.tokens.refresh_token.is_some(), "asked for offline_access");
    assert!(
        r.tokens.has_scope("offline_access"),
        "{:?}",
        r.tokens.scopes
    );
    assert_eq!(r.refresh_token_advice, None);
}
