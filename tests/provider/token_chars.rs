//! Tokens outside RFC 6749's character set are refused at the source
//! (issue 21, item 2): Appendix A.12 / A.13 allow only VSCHAR (%x20-7E) in
//! `access_token` and `refresh_token` (and an ID token is a JWT). A hostile
//! token endpoint answering a token with a line break, a carriage return,
//! NUL, a tab, ESC, DEL, a C1 control, a bidi override or any other
//! non-ASCII character is refused, for every grant that yields tokens
//! (authorization code, refresh, device, client credentials, token
//! exchange, JWT bearer, deploy mode), with a typed `Http` error that names
//! the member and never quotes the token; deploy mode stores nothing.

use crate::support::mock_http;

use oauthkit::provider::{CodeExchange, TokenRefresh};
use oauthkit::unversioned::provider::DevicePoll;
use std::sync::Arc;
use std::time::Duration;

use crate::support::deploy_http::{self, header};
use oauthkit::provider::{
    DeviceAuthorization, GrantRequest, OAuth2Config, OAuthProvider, Provider,
};
use oauthkit::store::MemoryStore;
use oauthkit::unversioned::provider::token_exchange::token_types;
use oauthkit::web::{DeployHandler, DeployOptions};
use oauthkit::{Error, ErrorKind, TokenSet, TokenStore};
use serde_json::json;

use mock_http::MockServer;

/// The part of every hostile token that must never appear in an error.
const PAYLOAD: &str = "INJECTED-Vq7zK2";

/// One token per class of character outside VSCHAR.
fn hostile_tokens() -> Vec<(&'static str, String)> {
    [
        ("LF", "\n"),
        ("CR", "\r"),
        ("CRLF", "\r\n"),
        ("NUL", "\0"),
        ("TAB", "\t"),
        ("ESC", "\u{1b}[2J"),
        ("BEL", "\u{7}"),
        ("DEL", "\u{7f}"),
        ("C1 NEL", "\u{85}"),
        ("C1 CSI", "\u{9b}"),
        ("bidi override", "\u{202e}"),
        ("zero width", "\u{200b}"),
        ("non-ASCII", "é"),
    ]
    .into_iter()
    .map(|(label, c)| {
        (
            label,
            format!("at-1{c}username=attacker{c}password={PAYLOAD}{c}host=evil.example"),
        )
    })
    .collect()
}

/// A token response with `field` set to `value` (the others fine).
fn response(field: &str, value: &str) -> serde_json::Value {
    let mut v = json!({
        "access_token": "good-at",
        "refresh_token": "good-rt",
        "id_token": "aaa.bbb.ccc",
        "token_type": "Bearer",
        "expires_in": 3600,
        "issued_token_type": token_types::ACCESS_TOKEN,
    });
    v[field] = json!(value);
    v
}

fn provider(server: &MockServer) -> OAuthProvider {
    let mut cfg = OAuth2Config::new(
        "hostile",
        "client-1",
        server.url("/authorize"),
        server.url("/token"),
    )
    .client_secret("client-secret-1");
    cfg.device_authorization_url = Some(server.url("/device"));
    cfg.userinfo_url = Some(server.url("/userinfo"));
    OAuthProvider::oauth2(cfg).expect("provider")
}

type Grant = fn(&OAuthProvider) -> oauthkit::Result<TokenSet>;

fn grants() -> Vec<(&'static str, Grant)> {
    vec![
        ("authorization code", |p| {
            p.exchange_code(
                &CodeExchange::new("code-1", "http://127.0.0.1:1/cb")
                    .pkce_verifier("v".repeat(43).as_str()),
            )
        }),
        ("refresh", |p| {
            p.refresh_tokens(&TokenRefresh::new("good-rt"))
        }),
        ("device", |p| {
            let a = DeviceAuthorization {
                device_code: "dc-1".into(),
                user_code: "ABCD-EFGH".into(),
                verification_uri: "https://idp.example/device".into(),
                verification_uri_complete: None,
                expires_in: Duration::from_secs(600),
                interval: Duration::from_secs(5),
                message: None,
                scopes: vec![],
            };
            match p.poll_device_token(&a)? {
                DevicePoll::Tokens(t) => Ok(*t),
                other => panic!("the device poll did not finish: {other:?}"),
            }
        }),
        ("client credentials", |p| {
            p.request_client_credentials(&GrantRequest::client_credentials())
        }),
        ("token exchange", |p| {
            p.exchange_token(&GrantRequest::token_exchange(
                "subject-1",
                token_types::ACCESS_TOKEN,
            ))
        }),
        ("JWT bearer", |p| {
            p.request_jwt_bearer(&GrantRequest::jwt_bearer("aaa.bbb.ccc"))
        }),
    ]
}

fn assert_refused(e: &Error, field: &str, what: &str) {
    assert_eq!(e.kind(), ErrorKind::Http, "{what}: {e:?}");
    let all = format!("{e}\n{e:?}\n{}", e.report());
    assert!(all.contains(field), "{what}: names the member: {all}");
    assert!(all.contains("VSCHAR"), "{what}: says why: {all}");
    assert!(!all.contains(PAYLOAD), "{what}: quotes the token: {all}");
    assert!(!all.contains("attacker"), "{what}: quotes the token: {all}");
}

#[test]
fn every_grant_refuses_tokens_outside_vschar() {
    let server = MockServer::start();
    let p = provider(&server);
    let mut refused = 0;
    for (grant, run) in grants() {
        // the same endpoint with VSCHAR tokens works (every printable ASCII)
        let printable: String = (0x20u8..=0x7e).map(char::from).collect();
        server.json("/token", 200, &response("access_token", &printable));
        let t = run(&p).unwrap_or_else(|e| panic!("{grant}: a valid answer failed: {e}"));
        assert_eq!(t.access_token.expose(), printable, "{grant}");
        for field in ["access_token", "refresh_token", "id_token"] {
            for (label, token) in hostile_tokens() {
                server.json("/token", 200, &response(field, &token));
                let what = format!("{grant}, {field} with {label}");
                match run(&p) {
                    Ok(_) => panic!("{what}: accepted"),
                    Err(e) => assert_refused(&e, field, &what),
                }
                refused += 1;
            }
        }
    }
    assert_eq!(refused, 6 * 3 * hostile_tokens().len());
}

/// The keys of token sets in `store`, without deploy mode's own records
/// (sessions and spent callback states, `oauthkit-deploy-…`).
fn token_keys(store: &dyn TokenStore) -> Vec<String> {
    let mut keys = store.list_keys().unwrap();
    keys.retain(|k| !k.starts_with("oauthkit-deploy-"));
    keys
}

/// Deploy mode: the callback's code exchange answers a hostile token; the
/// sign-in fails (502) and no tokens are stored.
#[test]
fn deploy_mode_refuses_tokens_outside_vschar_and_stores_nothing() {
    let server = MockServer::start();
    let base = "http://127.0.0.1:9";
    server.json("/userinfo", 200, &json!({"sub": "user-1"}));
    for field in ["access_token", "refresh_token", "id_token"] {
        for (label, token) in hostile_tokens()
            .into_iter()
            .chain([("printable", "good-token".to_string())])
        {
            let store = Arc::new(MemoryStore::new());
            let handler = DeployHandler::new(
                Arc::new(provider(&server)),
                store.clone(),
                DeployOptions::new(base),
            );
            server.json("/token", 200, &response(field, &token));
            let login = handler.handle(&deploy_http::get("/auth/login"));
            assert_eq!(login.status(), 302, "{}", login.body());
            let cookie = deploy_http::set_cookie(&login, "oauthkit_login");
            let location = url::Url::parse(header(&login, "location").unwrap()).unwrap();
            let state = location
                .query_pairs()
                .find(|(k, _)| k == "state")
                .map(|(_, v)| v.into_owned())
                .expect("state");
            let target = format!("/auth/callback?code=code-1&state={state}");
            let done = handler.handle(&deploy_http::get_with_cookie(&target, cookie));
            let what = format!("deploy, {field} with {label}");
            if label == "printable" {
                assert_eq!(done.status(), 302, "{what}: {}", done.body());
                assert_eq!(token_keys(&*store).len(), 1, "{what}");
                continue;
            }
            assert_eq!(done.status(), 502, "{what}: {}", done.body());
            assert!(done.body().contains("VSCHAR"), "{what}: {}", done.body());
            assert!(!done.body().contains(PAYLOAD), "{what}: {}", done.body());
            // the spent callback state is recorded (deploy mode shares it
            // between instances through the store); no tokens are
            assert!(token_keys(&*store).is_empty(), "{what}: stored");
        }
    }
    // every sign-in reached the token endpoint
    assert_eq!(server.count("/token"), 3 * (hostile_tokens().len() + 1));
}
