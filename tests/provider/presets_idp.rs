//! The Keycloak, Auth0, Okta and GitLab presets against loopback servers
//! replaying the discovery documents, token responses and error bodies
//! those providers publish (`tests/support/src/provider_docs.rs`): the issuer
//! each builds (and refuses to build from bad arguments), the endpoints it
//! ends up using, the scopes it asks for, PAR for Keycloak clients that
//! require it, end-session and device endpoints, refresh-token rotation,
//! and how each documented error maps to an `ErrorKind` and
//! `needs_sign_in()`.

use crate::support::mock_http;
use crate::support::provider_docs;
use crate::support::test_jwt;

use oauthkit::provider::{CodeExchange, TokenRefresh};
use std::collections::HashMap;

use oauthkit::provider::ParPolicy;
use oauthkit::provider::{
    auth0, gitlab, keycloak, okta, AuthorizeRequest, EndSessionRequest, GrantRequest,
    OAuthProvider, OidcConfig, Provider, ProviderKind, ProviderSettings,
};
use oauthkit::unversioned::provider::Pkce;
use oauthkit::{ErrorKind, TokenSet};
use serde_json::{json, Value};
use url::Url;

use mock_http::{MockServer, Recorded, Reply};
use provider_docs::{errors, path};

const CLIENT: &str = "app-1";
const REDIRECT: &str = "http://127.0.0.1:8400/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

/// The issuer's path on the mock server, by the index a token route is
/// given.
const ISSUER_PATHS: [&str; 6] = [
    "/realms/demo",
    "/",
    "/oauth2/default",
    "",
    "/auth/realms/demo",
    "/gitlab",
];
const KEYCLOAK: usize = 0;
const AUTH0: usize = 1;
const OKTA: usize = 2;
const ROOT: usize = 3;
const KEYCLOAK_LEGACY: usize = 4;
const GITLAB_SUBPATH: usize = 5;

/// A token endpoint: codes are `c.<nonce>`; a refresh rotates the refresh
/// token (`rt-1` -> `rt-1+`); ID tokens come from the issuer
/// `ISSUER_PATHS[n]` on the server's own origin.
fn token_endpoint(r: &Recorded, n: usize) -> Reply {
    let iss = format!("http://{}{}", r.header("host").unwrap(), ISSUER_PATHS[n]);
    let mut claims = test_jwt::claims(&iss, CLIENT);
    let refresh = match r.form_value("grant_type").as_deref() {
        Some("authorization_code") => {
            let code = r.form_value("code").unwrap_or_default();
            claims["nonce"] = code.trim_start_matches("c.").into();
            "rt-1".to_owned()
        }
        Some("refresh_token") => format!("{}+", r.form_value("refresh_token").unwrap()),
        other => panic!("unexpected grant {other:?}"),
    };
    Reply::json(
        200,
        &json!({
            "access_token": "at-1", "token_type": "Bearer", "expires_in": 7200,
            "refresh_token": refresh, "scope": "openid profile email",
            "id_token": test_jwt::keys()[0].sign(&claims), "created_at": test_jwt::now(),
        }),
    )
}

/// Serves `doc` as the discovery document of its issuer, its JWKS and its
/// token endpoint (ID tokens from issuer `ISSUER_PATHS[n]`).
fn serve(s: &MockServer, doc: &Value, n: usize) {
    let issuer = doc["issuer"].as_str().unwrap();
    let discovery = format!(
        "{}/.well-known/openid-configuration",
        provider_docs::path_of(issuer).trim_end_matches('/')
    );
    s.json(&discovery, 200, doc);
    s.json(
        &path(doc, "jwks_uri"),
        200,
        &test_jwt::jwks(&[&test_jwt::keys()[0]]),
    );
    s.route(
        &path(doc, "token_endpoint"),
        Reply::Computed(token_endpoint, n),
    );
}

/// The authorization URL for a fixed request: its address and parameters.
fn authorize(p: &dyn Provider) -> (String, HashMap<String, String>) {
    let pkce = Pkce::from_verifier(VERIFIER).unwrap();
    let url = p
        .build_authorize_url(&AuthorizeRequest {
            redirect_uri: REDIRECT,
            state: "st",
            pkce: Some(&pkce),
            nonce: Some("n-1"),
            extra_params: &[],
        })
        .unwrap();
    let u = Url::parse(&url).unwrap();
    let params = u.query_pairs().into_owned().collect();
    (url.split('?').next().unwrap().to_owned(), params)
}

fn exchange(p: &dyn Provider) -> oauthkit::Result<TokenSet> {
    p.exchange_code(
        &CodeExchange::new("c.n-1", REDIRECT)
            .pkce_verifier(VERIFIER)
            .nonce("n-1"),
    )
}

/// Replaces the reply at the token endpoint of `doc` with `error`.
fn token_error(s: &MockServer, doc: &Value, (status, body): (u16, Value)) {
    s.json(&path(doc, "token_endpoint"), status, &body);
}

#[track_caller]
fn assert_invalid_argument(r: oauthkit::Result<OidcConfig>, words: &[&str]) {
    let e = r.expect_err("refused");
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    let m = e.to_string();
    for w in words {
        assert!(m.contains(w), "'{w}' not in: {m}");
    }
    assert!(!m.contains("hunter2"), "a secret in: {m}");
}

// ---- Keycloak ----

#[test]
fn keycloak_issuer_forms_and_bad_arguments() {
    for (base, want) in [
        ("https://sso.example", "https://sso.example/realms/acme"),
        ("https://sso.example/", "https://sso.example/realms/acme"),
        (
            "https://sso.example/auth",
            "https://sso.example/auth/realms/acme",
        ),
        (
            "https://sso.example/auth/",
            "https://sso.example/auth/realms/acme",
        ),
        (
            "https://sso.example:8443",
            "https://sso.example:8443/realms/acme",
        ),
    ] {
        assert_eq!(keycloak::config(base, "acme", CLIENT).unwrap().issuer, want);
    }
    let c = keycloak::config("https://sso.example", "acme", CLIENT).unwrap();
    assert_eq!(c.name, "keycloak");
    assert_eq!(
        c.scopes,
        ["openid", "email", "profile"],
        "no offline_access"
    );
    for realm in ["", ".", "..", "a/b", "a b", "a?b", "a#b", "a%2fb", "a\nb"] {
        assert_invalid_argument(
            keycloak::config("https://sso.example", realm, CLIENT),
            &["Keycloak realm"],
        );
    }
    for base in [
        "",
        "sso.example",
        "http://sso.example",
        "ftp://sso.example",
        "https://admin:hunter2@sso.example",
        "https://sso.example/?token=hunter2",
        "https://sso.example/#hunter2",
        // a realm's issuer given as the server
        "https://sso.example/realms/acme",
        "https://sso.example/auth/realms/acme/",
    ] {
        assert_invalid_argument(
            keycloak::config(base, "acme", CLIENT),
            &["Keycloak base URL"],
        );
    }
}

#[test]
fn keycloak_against_its_discovery_document() {
    for (base_path, n) in [("", KEYCLOAK), ("/auth/", KEYCLOAK_LEGACY)] {
        let s = MockServer::start();
        let issuer = format!("{}{}", s.base(), ISSUER_PATHS[n]);
        let doc = provider_docs::keycloak(&issuer);
        serve(&s, &doc, n);
        let base = format!("{}{base_path}", s.base());
        let p = keycloak::provider(&base, "demo", CLIENT).unwrap();
        let (at, params) = authorize(&p);
        assert_eq!(at, format!("{issuer}/protocol/openid-connect/auth"));
        assert_eq!(
            params["scope"], "openid email profile",
            "listed, never added"
        );
        assert!(p.requires_iss_in_response(), "discovery says RFC 9207");
        let t = exchange(&p).unwrap();
        assert_eq!(t.refresh_token.as_ref().unwrap().expose(), "rt-1");
        assert_eq!(t.identity_id.as_deref(), Some("user-1"));
        // end session, from discovery
        let end = p
            .end_session_url(&EndSessionRequest::new().post_logout_redirect_uri(REDIRECT))
            .unwrap()
            .expect("Keycloak has RP-initiated logout");
        assert!(
            end.starts_with(&format!("{issuer}/protocol/openid-connect/logout?")),
            "{end}"
        );
        // the device grant, from discovery
        s.json(
            &path(&doc, "device_authorization_endpoint"),
            200,
            &json!({"device_code": "dc", "user_code": "ABCD-EFGH",
                    "verification_uri": format!("{issuer}/device"),
                    "verification_uri_complete": format!("{issuer}/device?user_code=ABCD-EFGH"),
                    "expires_in": 600, "interval": 5}),
        );
        let d = p
            .request_device_authorization(&GrantRequest::device_authorization())
            .unwrap();
        assert_eq!(d.user_code, "ABCD-EFGH");
        assert_eq!(
            s.count(&format!(
                "{}/protocol/openid-connect/auth/device",
                ISSUER_PATHS[n]
            )),
            1
        );
        // refresh
        let r = p.refresh_tokens(&TokenRefresh::of(&t).unwrap()).unwrap();
        assert_eq!(r.refresh_token.unwrap().expose(), "rt-1+");
    }
}

#[test]
fn keycloak_par_required_clients_push_when_the_preset_says_so() {
    let s = MockServer::start();
    let issuer = format!("{}{}", s.base(), ISSUER_PATHS[KEYCLOAK]);
    let doc = provider_docs::keycloak(&issuer);
    serve(&s, &doc, KEYCLOAK);
    let par = path(&doc, "pushed_authorization_request_endpoint");
    s.json(
        &par,
        201,
        &json!({"request_uri": "urn:ietf:params:oauth:request_uri:kc-1", "expires_in": 60}),
    );
    // discovery does not say the client requires PAR: nothing pushed
    let plain = keycloak::provider(s.base(), "demo", CLIENT).unwrap();
    let (_, params) = authorize(&plain);
    assert!(params.contains_key("code_challenge"));
    assert_eq!(s.count(&par), 0);
    // the preset's option: every request pushed
    let c = keycloak::config(s.base(), "demo", CLIENT)
        .unwrap()
        .par(ParPolicy::Always);
    let pushed = OAuthProvider::oidc(c).unwrap();
    let (at, params) = authorize(&pushed);
    assert_eq!(at, format!("{issuer}/protocol/openid-connect/auth"));
    assert_eq!(
        params["request_uri"],
        "urn:ietf:params:oauth:request_uri:kc-1"
    );
    assert_eq!(
        params.len(),
        2,
        "client_id and request_uri only: {params:?}"
    );
    let sent = s.last(&par);
    assert_eq!(
        sent.form_value("scope").as_deref(),
        Some("openid email profile")
    );
    assert_eq!(sent.form_value("redirect_uri").as_deref(), Some(REDIRECT));
    // the same option through the settings C, C++, Go and Python use
    // (`par_required` sets OAUTHKIT_PAR=always)
    let from_settings = settings(&[
        ("OAUTHKIT_PROVIDER", "keycloak"),
        ("OAUTHKIT_CLIENT_ID", CLIENT),
        ("OAUTHKIT_BASE_URL", s.base()),
        ("OAUTHKIT_REALM", "demo"),
        ("OAUTHKIT_PAR", "always"),
    ])
    .unwrap()
    .build()
    .unwrap();
    let before = s.count(&par);
    let (_, params) = authorize(&from_settings);
    assert!(params.contains_key("request_uri"), "{params:?}");
    assert_eq!(s.count(&par), before + 1);
}

#[test]
fn keycloak_error_codes_map_to_kinds_and_sign_in_advice() {
    let s = MockServer::start();
    let issuer = format!("{}{}", s.base(), ISSUER_PATHS[KEYCLOAK]);
    let doc = provider_docs::keycloak(&issuer);
    serve(&s, &doc, KEYCLOAK);
    let c = keycloak::config(s.base(), "demo", CLIENT)
        .unwrap()
        .client_secret("wrong-secret");
    let p = OAuthProvider::oidc(c).unwrap();
    let t = exchange(&p).unwrap();
    // a wrong client secret: the configuration must change, not the user
    token_error(&s, &doc, errors::keycloak_wrong_secret());
    let e = p
        .refresh_tokens(&TokenRefresh::of(&t).unwrap())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OAuth, "{e}");
    assert!(!e.needs_sign_in(), "{e}");
    assert!(e.to_string().contains("unauthorized_client"), "{e}");
    assert!(!e.to_string().contains("wrong-secret"), "{e}");
    // token exchange to an audience that is no client
    token_error(&s, &doc, errors::keycloak_unknown_audience());
    let e = p
        .exchange_token(
            &GrantRequest::token_exchange("at-1", "urn:ietf:params:oauth:token-type:access_token")
                .audience("no-such-client"),
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OAuth, "{e}");
    assert!(!e.needs_sign_in(), "{e}");
    assert!(e.to_string().contains("Audience not found"), "{e}");
    // a revoked refresh token: the user must sign in again
    token_error(&s, &doc, errors::keycloak_inactive_token());
    let e = p
        .refresh_tokens(&TokenRefresh::of(&t).unwrap())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidGrant, "{e}");
    assert!(e.needs_sign_in(), "{e}");
    // offline_access refused (only with the opt-in; see provider_offline_access.rs)
    token_error(&s, &doc, errors::keycloak_offline_not_allowed());
    let e = exchange(&p).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OAuth, "{e}");
    assert!(!e.needs_sign_in(), "{e}");
}

/// Through the session manager: a wrong client secret leaves the stored
/// tokens alone (fixing the configuration recovers without the user), a
/// revoked refresh token deletes them and asks for a sign-in.
#[test]
fn keycloak_errors_through_the_session_manager() {
    use std::sync::Arc;

    use oauthkit::session::SessionManager;
    use oauthkit::store::MemoryStore;
    use oauthkit::TokenStore;

    let s = MockServer::start();
    let issuer = format!("{}{}", s.base(), ISSUER_PATHS[KEYCLOAK]);
    let doc = provider_docs::keycloak(&issuer);
    serve(&s, &doc, KEYCLOAK);
    let c = keycloak::config(s.base(), "demo", CLIENT)
        .unwrap()
        .client_secret("wrong-secret");
    let provider: Arc<dyn Provider> = Arc::new(OAuthProvider::oidc(c).unwrap());
    let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::new());
    let expired = exchange(provider.as_ref()).unwrap().with_expires_in(-10);
    store.save("alice", &expired).unwrap();
    let sessions = SessionManager::new(provider, store.clone());
    token_error(&s, &doc, errors::keycloak_wrong_secret());
    let e = sessions.access_token("alice").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OAuth, "{e}");
    assert!(!e.needs_sign_in(), "{e}");
    assert!(
        store.exists("alice").unwrap(),
        "tokens kept: the client must change"
    );
    token_error(&s, &doc, errors::keycloak_inactive_token());
    let e = sessions.access_token("alice").unwrap_err();
    assert!(e.needs_sign_in(), "{e}");
    assert!(!store.exists("alice").unwrap(), "a dead grant is deleted");
}

// ---- Auth0 ----

#[test]
fn auth0_issuer_keeps_its_slash_and_bad_domains_are_refused() {
    for domain in [
        "acme.eu.auth0.com",
        "https://acme.eu.auth0.com",
        "https://acme.eu.auth0.com/",
        " acme.eu.auth0.com ",
    ] {
        let c = auth0::config(domain, CLIENT).unwrap();
        assert_eq!(c.issuer, "https://acme.eu.auth0.com/", "{domain}");
        assert_eq!(
            c.endpoints.end_session.as_deref(),
            Some("https://acme.eu.auth0.com/oidc/logout")
        );
        assert_eq!(
            c.endpoints.device_authorization.as_deref(),
            Some("https://acme.eu.auth0.com/oauth/device/code")
        );
    }
    let c = auth0::config("login.acme.example", CLIENT).unwrap();
    assert_eq!(c.issuer, "https://login.acme.example/", "custom domain");
    for domain in [
        "",
        "acme.auth0.com/api",
        "http://acme.auth0.com",
        "https://admin:hunter2@acme.auth0.com",
        "acme.auth0.com?x=hunter2",
        "ftp://acme.auth0.com",
    ] {
        assert_invalid_argument(auth0::config(domain, CLIENT), &["Auth0 domain"]);
    }
}

#[test]
fn auth0_against_its_discovery_document() {
    let s = MockServer::start();
    // without the end-session discovery setting: the preset knows the path
    let doc = provider_docs::auth0(s.base(), false);
    serve(&s, &doc, AUTH0);
    let c = auth0::with_audience(auth0::config(s.base(), CLIENT).unwrap(), "https://api.acme");
    let p = OAuthProvider::oidc(c).unwrap();
    let (at, params) = authorize(&p);
    assert_eq!(at, format!("{}/authorize", s.base()));
    assert_eq!(params["scope"], "openid profile email offline_access");
    assert_eq!(params["audience"], "https://api.acme");
    let t = exchange(&p).expect("iss with its trailing slash validates");
    assert!(t.refresh_token.is_some());
    let end = p
        .end_session_url(&EndSessionRequest::new().post_logout_redirect_uri(REDIRECT))
        .unwrap()
        .unwrap();
    assert!(
        end.starts_with(&format!("{}/oidc/logout?", s.base())),
        "{end}"
    );
    s.json(
        "/oauth/device/code",
        200,
        &json!({"device_code": "dc", "user_code": "WDJB-MJHT",
                "verification_uri": format!("{}/activate", s.base()),
                "expires_in": 900, "interval": 5}),
    );
    let d = p
        .request_device_authorization(&GrantRequest::device_authorization())
        .unwrap();
    assert_eq!(d.user_code, "WDJB-MJHT");
    // Auth0 answers a dead refresh token with HTTP 403 invalid_grant
    token_error(&s, &doc, errors::auth0_invalid_refresh());
    let e = p
        .refresh_tokens(&TokenRefresh::of(&t).unwrap())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidGrant, "{e}");
    assert!(e.needs_sign_in(), "{e}");
    token_error(&s, &doc, errors::auth0_unknown_audience());
    let e = exchange(&p).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OAuth, "{e}");
    assert!(!e.needs_sign_in(), "{e}");
    assert!(e.to_string().contains("Service not enabled"), "{e}");
}

// ---- Okta ----

#[test]
fn okta_issuers_for_each_kind_of_authorization_server() {
    let org = "https://acme.okta.com";
    for (server, want) in [
        ("", "https://acme.okta.com/oauth2/default"),
        ("default", "https://acme.okta.com/oauth2/default"),
        (
            "aus1a2b3c4d5e6f7g8h9",
            "https://acme.okta.com/oauth2/aus1a2b3c4d5e6f7g8h9",
        ),
        (okta::ORG_SERVER, "https://acme.okta.com"),
    ] {
        let c = okta::config(&format!("{org}/"), server, CLIENT).unwrap();
        assert_eq!(c.issuer, want, "{server}");
        assert_eq!(c.scopes, ["openid", "profile", "email", "offline_access"]);
    }
    for server in ["a/b", "..", "a b", "a?b"] {
        assert_invalid_argument(
            okta::config(org, server, CLIENT),
            &["Okta authorization server"],
        );
    }
    for bad in [
        "",
        "acme.okta.com",
        "http://acme.okta.com",
        "https://u:hunter2@acme.okta.com",
        // an authorization server's issuer given as the org
        "https://acme.okta.com/oauth2/default",
    ] {
        assert_invalid_argument(okta::config(bad, "", CLIENT), &["Okta org URL"]);
    }
}

#[test]
fn okta_against_its_discovery_documents() {
    for (server, n) in [("default", OKTA), (okta::ORG_SERVER, ROOT)] {
        let s = MockServer::start();
        let issuer = format!("{}{}", s.base(), ISSUER_PATHS[n]);
        let doc = provider_docs::okta(&issuer, s.base());
        serve(&s, &doc, n);
        let p = okta::provider(s.base(), server, CLIENT).unwrap();
        let (at, params) = authorize(&p);
        assert_eq!(at, doc["authorization_endpoint"].as_str().unwrap());
        assert_eq!(params["scope"], "openid profile email offline_access");
        let t = exchange(&p).unwrap();
        let end = p
            .end_session_url(&EndSessionRequest::new())
            .unwrap()
            .unwrap();
        assert!(
            end.starts_with(doc["end_session_endpoint"].as_str().unwrap()),
            "{end}"
        );
        s.json(
            &path(&doc, "device_authorization_endpoint"),
            200,
            &json!({"device_code": "dc", "user_code": "QWER-TYUI",
                    "verification_uri": format!("{}/activate", s.base()),
                    "expires_in": 600, "interval": 5}),
        );
        p.request_device_authorization(&GrantRequest::device_authorization())
            .unwrap();
        token_error(&s, &doc, errors::okta_invalid_refresh());
        let e = p
            .refresh_tokens(&TokenRefresh::of(&t).unwrap())
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidGrant, "{e}");
        assert!(e.needs_sign_in());
        token_error(&s, &doc, errors::okta_wrong_secret());
        let e = p
            .refresh_tokens(&TokenRefresh::of(&t).unwrap())
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::OAuth, "{e}");
        assert!(!e.needs_sign_in(), "{e}");
    }
}

// ---- GitLab ----

#[test]
fn gitlab_issuer_is_the_instance_url() {
    for (base, want) in [
        ("", "https://gitlab.com"),
        (gitlab::GITLAB_COM, "https://gitlab.com"),
        ("https://gitlab.com/", "https://gitlab.com"),
        ("https://git.example/gitlab/", "https://git.example/gitlab"),
    ] {
        let c = gitlab::config(base, CLIENT).unwrap();
        assert_eq!(c.issuer, want);
        assert_eq!(c.scopes, ["openid", "profile", "email"]);
        assert_eq!(
            c.endpoints.device_authorization,
            Some(format!("{want}/oauth/authorize_device"))
        );
    }
    for bad in [
        "git.example",
        "http://git.example",
        "https://u:hunter2@git.example",
    ] {
        assert_invalid_argument(gitlab::config(bad, CLIENT), &["GitLab base URL"]);
    }
}

#[test]
fn gitlab_against_its_discovery_document() {
    for (sub, n) in [("", ROOT), ("/gitlab", GITLAB_SUBPATH)] {
        let s = MockServer::start();
        let base = format!("{}{sub}", s.base());
        let doc = provider_docs::gitlab(&base);
        serve(&s, &doc, n);
        let p = gitlab::provider(&format!("{base}/"), CLIENT).unwrap();
        let (at, params) = authorize(&p);
        assert_eq!(at, format!("{base}/oauth/authorize"));
        assert_eq!(params["scope"], "openid profile email");
        let t = exchange(&p).unwrap();
        // every refresh rotates
        let r1 = p.refresh_tokens(&TokenRefresh::of(&t).unwrap()).unwrap();
        assert_eq!(r1.refresh_token.as_ref().unwrap().expose(), "rt-1+");
        let r2 = p.refresh_tokens(&TokenRefresh::of(&r1).unwrap()).unwrap();
        assert_eq!(r2.refresh_token.as_ref().unwrap().expose(), "rt-1++");
        // no RP-initiated logout
        assert_eq!(p.end_session_url(&EndSessionRequest::new()).unwrap(), None);
        // the device grant, at the path the preset knows
        s.json(
            &format!("{sub}/oauth/authorize_device"),
            200,
            &json!({"device_code": "dc", "user_code": "0A44L90H",
                    "verification_uri": format!("{base}/oauth/device"),
                    "verification_uri_complete": format!("{base}/oauth/device?user_code=0A44L90H"),
                    "expires_in": 300, "interval": 5}),
        );
        let d = p
            .request_device_authorization(&GrantRequest::device_authorization().scopes(["openid"]))
            .unwrap();
        assert_eq!(d.user_code, "0A44L90H");
        // a spent refresh token
        token_error(&s, &doc, errors::gitlab_invalid_grant());
        let e = p
            .refresh_tokens(&TokenRefresh::of(&t).unwrap())
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidGrant, "{e}");
        assert!(e.needs_sign_in());
        token_error(&s, &doc, errors::gitlab_wrong_secret());
        let e = exchange(&p).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::OAuth, "{e}");
        assert!(!e.needs_sign_in());
    }
}

// ---- advice, settings ----

#[test]
fn each_preset_names_what_it_needs_for_a_refresh_token() {
    let k = keycloak::provider("https://sso.example", "acme", CLIENT).unwrap();
    assert!(k.refresh_token_advice().contains("Use refresh tokens"));
    let a = auth0::provider("acme.auth0.com", CLIENT).unwrap();
    assert!(a.refresh_token_advice().contains("offline_access"));
    assert!(a.refresh_token_advice().contains("Allow Offline Access"));
    let o = okta::provider("https://acme.okta.com", "", CLIENT).unwrap();
    assert!(o.refresh_token_advice().contains("Refresh Token grant"));
    let g = gitlab::provider("", CLIENT).unwrap();
    assert!(g.refresh_token_advice().contains("GitLab"));
}

fn settings(vars: &[(&str, &str)]) -> oauthkit::Result<ProviderSettings> {
    ProviderSettings::from_lookup(|k| {
        vars.iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.to_string())
    })
}

#[test]
fn settings_build_each_new_preset_and_name_what_is_missing() {
    let built = |vars: &[(&str, &str)]| settings(vars).unwrap().build();
    let p = built(&[
        ("OAUTHKIT_PROVIDER", "keycloak"),
        ("OAUTHKIT_CLIENT_ID", CLIENT),
        ("OAUTHKIT_BASE_URL", "https://sso.example/auth/"),
        ("OAUTHKIT_REALM", "acme"),
        ("OAUTHKIT_PAR", "always"),
    ])
    .unwrap();
    assert_eq!(p.name(), "keycloak");
    assert_eq!(p.issuer().unwrap(), "https://sso.example/auth/realms/acme");
    let p = built(&[
        ("OAUTHKIT_PROVIDER", "auth0"),
        ("OAUTHKIT_CLIENT_ID", CLIENT),
        ("OAUTHKIT_DOMAIN", "acme.auth0.com"),
        ("OAUTHKIT_AUDIENCE", "https://api.acme"),
    ])
    .unwrap();
    assert_eq!(p.issuer().unwrap(), "https://acme.auth0.com/");
    let p = built(&[
        ("OAUTHKIT_PROVIDER", "okta"),
        ("OAUTHKIT_CLIENT_ID", CLIENT),
        ("OAUTHKIT_BASE_URL", "https://acme.okta.com"),
        ("OAUTHKIT_AUTHORIZATION_SERVER", "org"),
    ])
    .unwrap();
    assert_eq!(p.issuer().unwrap(), "https://acme.okta.com");
    let p = built(&[
        ("OAUTHKIT_PROVIDER", "GitLab"),
        ("OAUTHKIT_CLIENT_ID", CLIENT),
    ])
    .unwrap();
    assert_eq!(p.issuer().unwrap(), "https://gitlab.com");
    for (vars, words) in [
        (
            vec![
                ("OAUTHKIT_PROVIDER", "keycloak"),
                ("OAUTHKIT_BASE_URL", "https://sso.example"),
            ],
            vec!["realm", "OAUTHKIT_REALM"],
        ),
        (
            vec![
                ("OAUTHKIT_PROVIDER", "keycloak"),
                ("OAUTHKIT_REALM", "acme"),
            ],
            vec!["base_url", "OAUTHKIT_BASE_URL"],
        ),
        (
            vec![("OAUTHKIT_PROVIDER", "auth0")],
            vec!["domain", "OAUTHKIT_DOMAIN"],
        ),
        (
            vec![("OAUTHKIT_PROVIDER", "okta")],
            vec!["base_url", "OAUTHKIT_BASE_URL"],
        ),
        (
            vec![
                ("OAUTHKIT_PROVIDER", "okta"),
                ("OAUTHKIT_BASE_URL", "https://acme.okta.com"),
                ("OAUTHKIT_REALM", "acme"),
            ],
            vec!["realm (OAUTHKIT_REALM) not used by provider 'okta'"],
        ),
        (
            vec![
                ("OAUTHKIT_PROVIDER", "google"),
                ("OAUTHKIT_AUDIENCE", "https://api"),
            ],
            vec!["audience (OAUTHKIT_AUDIENCE) not used"],
        ),
        (
            vec![
                ("OAUTHKIT_PROVIDER", "keycloak"),
                ("OAUTHKIT_BASE_URL", "https://sso.example"),
                ("OAUTHKIT_REALM", "a/b"),
            ],
            vec!["Keycloak realm"],
        ),
    ] {
        let mut vars = vars.clone();
        vars.push(("OAUTHKIT_CLIENT_ID", CLIENT));
        let e = settings(&vars).unwrap().build().expect_err("refused");
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
        for w in words {
            assert!(e.to_string().contains(w), "'{w}' not in {e}");
        }
    }
    assert!(ProviderKind::NAMES.contains(&"keycloak"));
}
