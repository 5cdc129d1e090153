//! The client credentials grant through the session manager, against
//! panva's oidc-provider (`features.clientCredentials`,
//! `resourceIndicators`; tests/browser/oidc-server.mjs, one process per
//! test). The provider counts the token requests it receives
//! (`GET /test/stats`), so "one request" is checked where it counts.
//!
//! Cross-process: this binary is also its own child (the `child_process`
//! test does nothing unless `OAK_CC_CHILD` is set), so four processes can
//! share one JSON token file.

use crate::support;

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use base64::Engine as _;
use oauthkit::provider::{ClientAuthMethod, GrantRequest, OAuthProvider, OidcConfig, Provider};
use oauthkit::session::SessionManager;
use oauthkit::store::{JsonFileStore, MemoryStore};
use oauthkit::{ErrorKind, TokenStore};
use support::node_idp::NodeIdp;

const API: &str = "https://api.example/";

fn cc_provider(issuer: &str, client_base: &str, kind: &str) -> Arc<dyn Provider> {
    let id = format!("{client_base}-cc-{kind}");
    let secret = format!("{id}-secret-0123456789abcdef0123456789abcdef");
    let mut cfg = OidcConfig::new(issuer, &id)
        .scopes(["api:read"])
        .client_secret(secret);
    cfg.client_auth = Some(match kind {
        "post" => ClientAuthMethod::ClientSecretPost,
        _ => ClientAuthMethod::ClientSecretBasic,
    });
    Arc::new(OAuthProvider::oidc(cfg).unwrap())
}

fn grants(idp: &NodeIdp) -> u64 {
    idp.stats()["token_requests"]["client_credentials"]
        .as_u64()
        .unwrap_or(0)
}

fn jwt_claims(token: &str) -> serde_json::Value {
    let payload = token.split('.').nth(1).expect("a JWT access token");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[test]
fn sixteen_threads_asking_at_once_cause_one_token_request() {
    needs!(Node);
    let idp = NodeIdp::start();
    let hook_calls = Arc::new(AtomicUsize::new(0));
    let h = hook_calls.clone();
    let sessions = Arc::new(
        SessionManager::new(
            cc_provider(&idp.issuer, &idp.client_id, "basic"),
            Arc::new(MemoryStore::new()),
        )
        .on_refresh(move |_, _| {
            h.fetch_add(1, Ordering::SeqCst);
        }),
    );
    let request = GrantRequest::client_credentials().resource(API);
    let barrier = Arc::new(Barrier::new(16));
    let tokens: Vec<String> = (0..16)
        .map(|_| {
            let (sessions, request, barrier) = (sessions.clone(), request.clone(), barrier.clone());
            thread::spawn(move || {
                barrier.wait();
                sessions
                    .client_credentials_token(&request)
                    .unwrap()
                    .access_token
                    .expose()
                    .to_owned()
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().unwrap())
        .collect();
    assert!(tokens.iter().all(|t| t == &tokens[0]), "one shared token");
    assert_eq!(grants(&idp), 1, "{}", idp.stats());
    assert_eq!(hook_calls.load(Ordering::SeqCst), 1);
}

#[test]
fn basic_and_post_clients_send_scope_resource_and_audience() {
    needs!(Node);
    let idp = NodeIdp::start();
    for (i, kind) in ["basic", "post"].into_iter().enumerate() {
        let sessions = SessionManager::new(
            cc_provider(&idp.issuer, &idp.client_id, kind),
            Arc::new(MemoryStore::new()),
        );
        let request = GrantRequest::client_credentials()
            .scopes(["api:read", "api:write"])
            .resource(API)
            .audience("audience-x");
        let t = sessions.client_credentials_token(&request).unwrap();
        let claims = jwt_claims(t.access_token.expose());
        assert_eq!(claims["aud"], API, "{claims}");
        assert_eq!(claims["client_id"], format!("{}-cc-{kind}", idp.client_id));
        assert_eq!(t.scopes, ["api:read", "api:write"]);
        assert!(t.expires_at.is_some());
        assert!(t.refresh_token.is_none());
        let stats = idp.stats();
        let sent = &stats["cc_requests"][i];
        assert_eq!(sent["basic"], kind == "basic", "{sent}");
        assert_eq!(sent["scope"], "api:read api:write");
        assert_eq!(sent["resource"], API);
        assert_eq!(sent["audience"], "audience-x");
        assert_eq!(sent["answer"], "token");
    }
}

#[test]
fn cached_while_fresh_then_a_new_grant_ahead_of_expiry_by_every_session_path() {
    needs!(Node);
    let idp = NodeIdp::start();
    let provider = cc_provider(&idp.issuer, &idp.client_id, "basic");
    let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::new());
    let relaxed = SessionManager::new(provider.clone(), store.clone());
    // 600 s tokens with a 3600 s margin: always due.
    let eager = SessionManager::new(provider, store.clone()).margin(Duration::from_secs(3600));
    let request = GrantRequest::client_credentials().resource(API);
    let key = relaxed.client_credentials_key(&request).unwrap();
    assert!(key.starts_with(&format!("client_credentials:{}-cc-basic:", idp.client_id)));

    let first = relaxed.client_credentials_token(&request).unwrap();
    let again = relaxed.client_credentials_token(&request).unwrap();
    assert_eq!(first.access_token, again.access_token);
    assert_eq!(grants(&idp), 1, "cached while fresh");
    assert_eq!(
        store.load(&key).unwrap().unwrap().access_token,
        first.access_token
    );

    let second = eager.client_credentials_token(&request).unwrap();
    assert_ne!(second.access_token, first.access_token);
    assert_eq!(grants(&idp), 2, "due within the margin: a new grant");
    // The generic session paths renew it too (no refresh token: a grant).
    let third = eager.tokens(&key).unwrap();
    assert_ne!(third.access_token, second.access_token);
    assert_eq!(grants(&idp), 3);
    let fourth = relaxed.refresh(&key).unwrap();
    assert_ne!(fourth.access_token, third.access_token);
    assert_eq!(grants(&idp), 4);
    assert_eq!(
        jwt_claims(fourth.access_token.expose())["aud"],
        API,
        "same request again"
    );
    assert_eq!(relaxed.access_token(&key).unwrap(), fourth.access_token);
    assert_eq!(grants(&idp), 4);
}

#[test]
fn different_requests_are_cached_apart() {
    needs!(Node);
    let idp = NodeIdp::start();
    let sessions = SessionManager::new(
        cc_provider(&idp.issuer, &idp.client_id, "post"),
        Arc::new(MemoryStore::new()),
    );
    let a = GrantRequest::client_credentials().resource(API);
    let b = GrantRequest::client_credentials().resource("https://other.example/");
    let ta = sessions.client_credentials_token(&a).unwrap();
    let tb = sessions.client_credentials_token(&b).unwrap();
    assert_ne!(
        sessions.client_credentials_key(&a).unwrap(),
        sessions.client_credentials_key(&b).unwrap()
    );
    assert_eq!(
        jwt_claims(tb.access_token.expose())["aud"],
        "https://other.example/"
    );
    assert_ne!(ta.access_token, tb.access_token);
    sessions.client_credentials_token(&a).unwrap();
    sessions.client_credentials_token(&b).unwrap();
    assert_eq!(grants(&idp), 2);
}

#[test]
fn refused_grants_are_typed_errors_without_secrets_and_cache_nothing() {
    needs!(Node);
    let idp = NodeIdp::start();
    let store = Arc::new(MemoryStore::new());
    let sessions = SessionManager::new(
        cc_provider(&idp.issuer, &idp.client_id, "basic"),
        store.clone(),
    );
    let e = sessions
        .client_credentials_token(
            &GrantRequest::client_credentials().resource("https://unknown.example/"),
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OAuth);
    assert!(e.to_string().contains("invalid_target"), "{e}");

    let id = format!("{}-cc-basic", idp.client_id);
    let wrong = "wrong-secret-with-a-recognisable-value-42";
    let bad: Arc<dyn Provider> = Arc::new(
        OAuthProvider::oidc(OidcConfig::new(&idp.issuer, &id).client_secret(wrong)).unwrap(),
    );
    let e = SessionManager::new(bad, store.clone())
        .client_credentials_token(&GrantRequest::client_credentials())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OAuth);
    assert!(e.to_string().contains("invalid_client"), "{e}");
    assert!(!e.to_string().contains(wrong) && !format!("{e:?}").contains(wrong));
    assert!(store.list_keys().unwrap().is_empty());

    // A public client cannot use the grant: refused before any request.
    let public: Arc<dyn Provider> =
        Arc::new(OAuthProvider::oidc(OidcConfig::new(&idp.issuer, &idp.client_id)).unwrap());
    let before = grants(&idp);
    let e = public
        .request_client_credentials(&GrantRequest::client_credentials())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    for smuggled in ["client_id", "grant_type", "resource", "audience", "scope"] {
        let e = sessions
            .client_credentials_token(&GrantRequest::client_credentials().param(smuggled, "x"))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{smuggled}");
    }
    let e = sessions
        .client_credentials_token(
            &GrantRequest::client_credentials().resource("https://api.example/#frag"),
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert_eq!(grants(&idp), before);
}

const PROCESSES: usize = 4;

/// Four processes sharing a JSON token file ask at the same moment: one
/// token request, one token for all.
#[test]
fn four_processes_sharing_a_file_store_cause_one_token_request() {
    needs!(Node);
    let idp = NodeIdp::start();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tokens.json");
    let go = dir.path().join("go");
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..PROCESSES)
        .map(|_| {
            Command::new(&exe)
                .args([
                    "--exact",
                    &support::test_name(module_path!(), "child_process"),
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env("OAK_CC_CHILD", "1")
                .env("OAK_CC_ISSUER", &idp.issuer)
                .env("OAK_CC_CLIENT", &idp.client_id)
                .env("OAK_CC_FILE", &file)
                .env("OAK_CC_GO", &go)
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .unwrap()
        })
        .collect();
    thread::sleep(Duration::from_millis(500));
    std::fs::write(&go, b"go").unwrap();
    let tokens: Vec<String> = children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().unwrap();
            assert!(out.status.success());
            let text = String::from_utf8(out.stdout).unwrap();
            text.lines()
                .find_map(|l| l.split("TOKEN-SHA ").nth(1))
                .map(|t| t.split_whitespace().next().unwrap_or_default())
                .unwrap_or_else(|| panic!("child printed no token: {text}"))
                .to_owned()
        })
        .collect();
    assert_eq!(tokens.len(), PROCESSES);
    assert!(tokens.iter().all(|t| t == &tokens[0]), "{tokens:?}");
    assert_eq!(grants(&idp), 1, "{}", idp.stats());
}

/// One process of the test above (does nothing unless `OAK_CC_CHILD`).
#[test]
fn child_process() {
    if std::env::var_os("OAK_CC_CHILD").is_none() {
        return;
    }
    let var = |n: &str| std::env::var(n).unwrap();
    let store: Arc<dyn TokenStore> = Arc::new(JsonFileStore::open(var("OAK_CC_FILE")).unwrap());
    let sessions = SessionManager::new(
        cc_provider(&var("OAK_CC_ISSUER"), &var("OAK_CC_CLIENT"), "basic"),
        store,
    );
    let go = std::path::PathBuf::from(var("OAK_CC_GO"));
    while !go.exists() {
        thread::sleep(Duration::from_millis(5));
    }
    let t = sessions
        .client_credentials_token(&GrantRequest::client_credentials().resource(API))
        .unwrap();
    // A digest, so the token itself never reaches the test output.
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(t.access_token.expose().as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    println!("TOKEN-SHA {hex}");
}
