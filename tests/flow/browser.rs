//! The native flow end to end in a real headless browser: Debian's
//! chromium, driven by playwright-core (tests/browser/signin.mjs), opens
//! the authorization URL the flow produced, signs in, and the flow
//! completes; the stored tokens are then used for userinfo.
//!
//! Needs scripts/setup-browser.sh.

use crate::support;

use oauthkit::provider::{TokenRefresh, UserinfoRequest};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use oauthkit::flow::{AuthFlowManager, NativeOptions};
use oauthkit::store::JsonFileStore;
use oauthkit::unversioned::dev_provider::DevProviderOptions;
use oauthkit::unversioned::flow::AuthFlowState;
use oauthkit::TokenStore;
use support::browser::sign_in_with_chromium;

/// Runs `flow` with chromium as the browser; returns the flow's result and
/// the driver's report.
fn run_with_chromium(
    flow: &AuthFlowManager,
    login: &'static str,
) -> (oauthkit::flow::AuthFlowResult, serde_json::Value) {
    let (tx, rx) = mpsc::channel();
    let open = move |url: &str| -> oauthkit::Result<()> {
        let url = url.to_string();
        let redirect = url::Url::parse(&url)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "redirect_uri")
            .unwrap()
            .1
            .into_owned();
        let tx = tx.clone();
        std::thread::spawn(move || {
            let report = std::panic::catch_unwind(|| sign_in_with_chromium(&url, &redirect, login));
            let _ = tx.send(report);
        });
        Ok(())
    };
    let result = flow.run_native(NativeOptions::new().open_browser(&open));
    let report = match rx
        .recv_timeout(Duration::from_secs(60))
        .expect("browser thread")
    {
        Ok(r) => r,
        Err(p) => std::panic::resume_unwind(p),
    };
    let result = result.unwrap_or_else(|e| panic!("flow failed: {e}; browser: {report}"));
    assert_eq!(flow.state(), AuthFlowState::Completed);
    (result, report)
}

#[test]
fn chromium_signs_in_on_the_dev_provider_approve_page() {
    needs!(Chromium);
    let (idp, provider) = support::dev::dev_pair(DevProviderOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn TokenStore> =
        Arc::new(JsonFileStore::open(dir.path().join("t.json")).unwrap());
    let flow = AuthFlowManager::builder(provider.clone())
        .store(store.clone())
        .build();
    let (result, report) = run_with_chromium(&flow, "alice");
    assert_eq!(report["steps"], serde_json::json!(["approve"]));
    assert_eq!(report["status_text"], "Signed in", "{report}");
    assert_eq!(result.key, idp.user().sub);
    let stored = store.load(&result.key).unwrap().unwrap();
    let info = provider
        .get_userinfo(&UserinfoRequest::new(stored.access_token.expose()))
        .unwrap()
        .unwrap();
    assert_eq!(info.sub.as_deref(), Some(&*idp.user().sub));
}

#[test]
fn chromium_signs_in_and_consents_on_the_independent_oidc_provider() {
    needs!(Node, Chromium);
    let idp = support::node_idp::NodeIdp::start();
    let provider = support::dev::client_for(&idp.issuer, &idp.client_id);
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn TokenStore> =
        Arc::new(JsonFileStore::open(dir.path().join("t.json")).unwrap());
    let flow_provider = provider.clone();
    let (result, report) = {
        // oidc-provider issues a refresh token only with prompt=consent.
        let flow = AuthFlowManager::builder(flow_provider)
            .store(store.clone())
            .extra_param("prompt", "consent")
            .timeout(Duration::from_secs(90))
            .build();
        run_with_chromium(&flow, "alice")
    };
    assert_eq!(
        report["steps"],
        serde_json::json!(["login", "consent"]),
        "{report}"
    );
    assert_eq!(report["status_text"], "Signed in", "{report}");
    assert!(
        report["final_url"].as_str().unwrap().contains("iss="),
        "RFC 9207 iss was sent: {report}"
    );
    assert_eq!(result.key, "alice");
    assert_eq!(result.tokens.identity_id.as_deref(), Some("alice"));
    assert!(result.tokens.refresh_token.is_some());
    let stored = store.load("alice").unwrap().unwrap();
    let info = provider
        .get_userinfo(&UserinfoRequest::new(stored.access_token.expose()))
        .unwrap()
        .unwrap();
    assert_eq!(info.sub.as_deref(), Some("alice"));
    assert_eq!(info.email.as_deref(), Some("alice@example.test"));
    // The stored refresh token works at the independent provider too.
    let sessions = oauthkit::session::SessionManager::new(provider.clone(), store.clone());
    let fresh = sessions.refresh("alice").unwrap();
    assert_ne!(fresh.access_token, stored.access_token);
    assert!(provider
        .get_userinfo(&UserinfoRequest::new(fresh.access_token.expose()))
        .is_ok());
}

/// 32 threads ask for an access token at once when the stored one has
/// expired: one refresh goes to panva's oidc-provider, which rotates
/// refresh tokens and revokes the whole grant when a spent one comes back.
/// Every thread gets the same new token, the hook hears of one refresh, and
/// the grant still works afterwards, so no refresh token was spent twice.
#[test]
fn session_manager_refreshes_once_at_the_independent_provider() {
    needs!(Node, Chromium);
    let idp = support::node_idp::NodeIdp::start();
    let provider = support::dev::client_for(&idp.issuer, &idp.client_id);
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn TokenStore> =
        Arc::new(JsonFileStore::open(dir.path().join("t.json")).unwrap());
    let flow = AuthFlowManager::builder(provider.clone())
        .store(store.clone())
        .extra_param("prompt", "consent")
        .timeout(Duration::from_secs(90))
        .build();
    let (result, _) = run_with_chromium(&flow, "bob");
    let signed_in = result.tokens;

    // The access token is due: make the stored copy say it expired.
    let mut due = store.load("bob").unwrap().unwrap();
    due.expires_at = Some(oauthkit::unversioned::now_unix() - 1);
    store.save("bob", &due).unwrap();

    let refreshes = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = refreshes.clone();
    let sessions = Arc::new(
        oauthkit::session::SessionManager::new(provider.clone(), store.clone()).on_refresh(
            move |_, _| {
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            },
        ),
    );
    let start = Arc::new(std::sync::Barrier::new(32));
    let threads: Vec<_> = (0..32)
        .map(|_| {
            let (sessions, start) = (sessions.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                sessions.access_token("bob").map(|t| t.expose().to_string())
            })
        })
        .collect();
    let tokens: Vec<String> = threads
        .into_iter()
        .map(|t| t.join().unwrap().expect("every thread gets a token"))
        .collect();
    assert_eq!(refreshes.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert!(tokens.iter().all(|t| t == &tokens[0]), "one shared result");
    assert_ne!(tokens[0], signed_in.access_token.expose());
    let stored = store.load("bob").unwrap().unwrap();
    assert_eq!(stored.access_token.expose(), tokens[0]);
    assert_ne!(stored.refresh_token, signed_in.refresh_token, "rotated");
    // The provider revokes the grant on reuse of a spent refresh token; the
    // grant being alive proves the old one went out exactly once.
    let again = sessions.refresh("bob").expect("the grant is still alive");
    assert!(provider
        .get_userinfo(&UserinfoRequest::new(again.access_token.expose()))
        .is_ok());
    // And reusing the spent one now is refused as invalid_grant.
    let spent = signed_in.refresh_token.as_ref().unwrap().expose();
    let err = provider
        .refresh_tokens(&TokenRefresh::new(spent))
        .unwrap_err();
    assert_eq!(err.kind(), oauthkit::ErrorKind::InvalidGrant, "{err}");
}
