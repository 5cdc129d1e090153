//! What oauthkit logs (issue 11, observability): every decision an operator
//! wants to see is logged at the level they expect, and no secret ever is
//! (the tokens, the authorization code, the `state`, the PKCE verifier,
//! the client secret, the sign-in URL that carries them).
//!
//! Runs real sign-ins, refreshes and sign-outs against the dev provider
//! with a capturing logger installed; `tests/provider_secrets.rs` checks
//! the log too while hostile providers echo secrets in every answer.

use crate::support::dev;
use crate::support::flow_http;
use crate::support::log_capture;

use oauthkit::provider::TokenRevocation;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use log::Level;
use oauthkit::flow::{AuthFlowManager, NativeOptions};
use oauthkit::session::SessionManager;
use oauthkit::store::MemoryStore;
use oauthkit::unversioned::dev_provider::{DevProviderOptions, HeadlessBrowser};
use oauthkit::unversioned::flow::Notice;
use oauthkit::{TokenSet, TokenStore};

/// The secret values of a token set.
fn token_secrets(t: &TokenSet) -> Vec<String> {
    let mut v = vec![t.access_token.expose().to_string()];
    v.extend(t.refresh_token.as_ref().map(|r| r.expose().to_string()));
    v.extend(t.id_token.as_ref().map(|r| r.expose().to_string()));
    v
}

/// The query value `name` of `url`.
fn query_value(url: &str, name: &str) -> String {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("{name} in {url}"))
}

/// Nothing oauthkit logs, at any level, and nothing any crate logs at
/// `debug` or above holds a secret. (At `trace`, ureq-proto dumps raw HTTP
/// bytes, request bodies and token responses included: docs/logging.md
/// says to keep `ureq_proto` below trace.)
#[track_caller]
fn assert_log_free_of(secrets: &[String]) {
    let log = format!(
        "{}\n{}",
        log_capture::oauthkit_records(),
        log_capture::at_least(Level::Debug)
    );
    for s in secrets.iter().filter(|s| s.len() >= 8) {
        assert!(
            !log.contains(s.as_str()),
            "the log shows a secret ({s}):\n{log}"
        );
        // no run of 12 characters of one either (a clipped echo)
        let chars: Vec<char> = s.chars().collect();
        for w in chars.windows(12) {
            let w: String = w.iter().collect();
            assert!(
                !log.contains(&w),
                "the log shows part '{w}' of a secret:\n{log}"
            );
        }
    }
}

/// `whole` (a URL: its origin alone may be logged) appears nowhere.
#[track_caller]
fn assert_log_lacks(whole: &str) {
    let log = log_capture::all();
    assert!(!log.contains(whole), "the log shows {whole}:\n{log}");
}

/// Signs in with the headless browser; returns the result and the
/// authorization URL the flow opened.
fn sign_in(flow: &AuthFlowManager) -> (oauthkit::flow::AuthFlowResult, String) {
    let seen = Arc::new(Mutex::new(String::new()));
    let keep = seen.clone();
    let open = move |url: &str| -> oauthkit::Result<()> {
        *keep.lock().unwrap() = url.to_string();
        let url = url.to_string();
        std::thread::spawn(move || HeadlessBrowser::approve(&url).expect("headless approve"));
        Ok(())
    };
    let result = flow
        .run_native(NativeOptions::new().open_browser(&open))
        .expect("sign-in");
    let url = seen.lock().unwrap().clone();
    (result, url)
}

#[test]
fn sign_in_refresh_and_sign_out_are_logged_without_secrets() {
    log_capture::install();
    let (idp, provider) = dev::dev_pair(DevProviderOptions::default().rotate_refresh_tokens(true));
    let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::new());
    let key = "log-user-lifecycle";
    let flow = AuthFlowManager::builder(provider.clone())
        .store(store.clone())
        .token_key(key)
        .build();
    let (result, url) = sign_in(&flow);
    let mut secrets = token_secrets(&result.tokens);
    secrets.push(query_value(&url, "state"));
    secrets.push(query_value(&url, "nonce"));
    secrets.push(query_value(&url, "code_challenge"));
    assert_log_lacks(&url);

    let provider_name = provider.name().to_string();
    assert!(
        !log_capture::lines_with(Level::Info, &format!("tokens stored under '{key}'")).is_empty(),
        "sign-in finished is logged at info:\n{}",
        log_capture::oauthkit_records()
    );
    assert!(
        !log_capture::lines_with(Level::Info, &format!("sign-in at {provider_name} started"))
            .is_empty()
    );
    // discovery and the JWKS fetch of the ID-token check
    assert!(!log_capture::lines_with(
        Level::Info,
        &format!("discovery for {}: done", idp.issuer())
    )
    .is_empty());
    assert!(!log_capture::lines_with(Level::Info, "JWKS at http://127.0.0.1").is_empty());
    // under the targets docs/logging.md names, whichever file logs them
    let discovery = log_capture::targets_with(&format!("discovery for {}: done", idp.issuer()));
    assert!(
        discovery.iter().all(|t| t == "oauthkit::provider::oidc"),
        "{discovery:?}"
    );
    let jwks = log_capture::targets_with("usable signing key(s)");
    assert!(
        !jwks.is_empty() && jwks.iter().all(|t| t == "oauthkit::provider::oidc::jwks"),
        "{jwks:?}\n{}",
        log_capture::oauthkit_records()
    );

    // a refresh (rotating), from two threads: one refresh, logged once
    dev::expire(&*store, key);
    let sessions = Arc::new(SessionManager::new(provider.clone(), store.clone()));
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let s = sessions.clone();
            std::thread::spawn(move || s.tokens(key).expect("refresh"))
        })
        .collect();
    let refreshed: Vec<TokenSet> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    for t in &refreshed {
        secrets.extend(token_secrets(t));
    }
    let lines = log_capture::lines_with(Level::Info, &format!("refreshed the tokens of '{key}'"));
    assert_eq!(lines.len(), 1, "one refresh logged: {lines:?}");
    assert!(lines[0].contains("rotated"), "{lines:?}");
    assert_eq!(idp.token_requests("refresh_token"), 1);

    // sign out: revocation outcome and deletion
    let report = sessions.logout(key).unwrap();
    assert!(report.tokens_deleted);
    let out = log_capture::lines_with(Level::Info, &format!("sign-out of '{key}'"));
    assert!(
        out.iter().any(|l| l.contains("revocation Revoked")),
        "{out:?}"
    );
    assert!(out.iter().any(|l| l.contains("deleted")), "{out:?}");

    assert_log_free_of(&secrets);
}

#[test]
fn a_grant_the_provider_refuses_is_a_warning_that_says_sign_in_again() {
    log_capture::install();
    let (idp, provider) = dev::dev_pair(DevProviderOptions::default());
    let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::new());
    let key = "log-user-revoked";
    let flow = AuthFlowManager::builder(provider.clone())
        .store(store.clone())
        .token_key(key)
        .build();
    let (result, _) = sign_in(&flow);
    let rt = result.tokens.refresh_token.clone().expect("refresh token");
    assert!(provider
        .revoke_token(&TokenRevocation::new(rt.expose()))
        .unwrap());
    assert!(!idp.is_token_active(rt.expose()));
    dev::expire(&*store, key);
    let sessions = SessionManager::new(provider, store.clone());
    let err = sessions.access_token(key).unwrap_err();
    assert_eq!(err.kind(), oauthkit::ErrorKind::InvalidGrant);
    let lines = log_capture::lines_with(Level::Warn, &format!("refresh of '{key}'"));
    assert!(
        lines
            .iter()
            .any(|l| l.contains("invalid_grant") && l.contains("sign in again")),
        "{lines:?}"
    );
    assert_log_free_of(&token_secrets(&result.tokens));
}

#[test]
fn forged_callbacks_are_refused_with_a_warning_naming_why_not_the_values() {
    log_capture::install();
    let (_idp, provider) = dev::dev_pair(DevProviderOptions::default());
    let key = "log-user-forged";
    let flow = AuthFlowManager::builder(provider)
        .store(Arc::new(MemoryStore::new()))
        .token_key(key)
        .timeout(Duration::from_secs(30))
        .build();
    let forged_code = "forged-code-Zx81LmQ0pW";
    let forged_state = "forged-state-Hq73NbV2cK";
    let open = |url: &str| -> oauthkit::Result<()> {
        let url = url.to_string();
        let redirect = query_value(&url, "redirect_uri");
        let addr = flow_http::addr_of(&redirect);
        std::thread::spawn(move || {
            // a wrong state, then a wrong Host, then the real sign-in
            let target = format!("/callback?code={forged_code}&state={forged_state}");
            let r = flow_http::raw_get(addr, &target).unwrap();
            assert_eq!(r.status, 400);
            let r = flow_http::raw_exchange(
                addr,
                &format!(
                    "GET {target} HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n"
                ),
            )
            .unwrap();
            assert_eq!(r.status, 400);
            HeadlessBrowser::approve(&url).expect("approve");
        });
        Ok(())
    };
    let result = flow
        .run_native(NativeOptions::new().open_browser(open))
        .expect("sign-in");
    assert_eq!(result.key, key);
    let refused = log_capture::lines_with(Level::Warn, "sign-in callback refused");
    assert!(refused.iter().any(|l| l.contains("state")), "{refused:?}");
    assert!(refused.iter().any(|l| l.contains("Host")), "{refused:?}");
    assert_log_free_of(&[forged_code.to_string(), forged_state.to_string()]);
    assert_log_free_of(&token_secrets(&result.tokens));
}

#[test]
fn without_a_browser_the_url_goes_to_the_notice_hook_and_only_a_warning_to_the_log() {
    log_capture::install();
    // No display: the system browser cannot open (this binary's other
    // tests pass their own opener and never read these variables).
    std::env::remove_var("DISPLAY");
    std::env::remove_var("WAYLAND_DISPLAY");
    let (_idp, provider) = dev::dev_pair(DevProviderOptions::default());
    let key = "log-user-nobrowser";
    let told = Arc::new(Mutex::new(Vec::<String>::new()));
    let keep = told.clone();
    let flow = AuthFlowManager::builder(provider)
        .store(Arc::new(MemoryStore::new()))
        .token_key(key)
        .notice(move |n: &Notice<'_>| {
            if let Notice::OpenUrl { url, .. } = n {
                keep.lock().unwrap().push(url.to_string());
                let url = url.to_string();
                std::thread::spawn(move || HeadlessBrowser::approve(&url).expect("approve"));
            }
        })
        .build();
    let result = flow.sign_in().expect("sign-in through the notice hook");
    assert_eq!(result.key, key);
    let urls = told.lock().unwrap().clone();
    assert_eq!(urls.len(), 1, "the hook got the URL once");
    let lines = log_capture::lines_with(Level::Warn, "the system browser did not open");
    assert!(!lines.is_empty(), "{}", log_capture::oauthkit_records());
    let state = query_value(&urls[0], "state");
    assert_log_lacks(&urls[0]);
    assert_log_free_of(&[state]);
}
