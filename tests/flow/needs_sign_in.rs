//! `Error::needs_sign_in()`: the one test for "this user must sign in
//! again" (issue 11), true for no stored tokens, a revoked or expired grant
//! (`invalid_grant`), and an expired access token without a refresh token;
//! false for failures that a later retry may get past.

use crate::support::dev;

use oauthkit::provider::TokenRevocation;
use std::sync::Arc;

use oauthkit::flow::{AuthFlowManager, NativeOptions};
use oauthkit::provider::{OAuth2Config, OAuthProvider, Provider};
use oauthkit::session::SessionManager;
use oauthkit::store::MemoryStore;
use oauthkit::unversioned::dev_provider::DevProviderOptions;
use oauthkit::{Error, ErrorKind, SignInReason, TokenSet, TokenStore};

fn unreachable_provider() -> Arc<dyn Provider> {
    // a closed loopback port: every request fails to connect
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    Arc::new(
        OAuthProvider::oauth2(OAuth2Config::new(
            "closed",
            "client",
            format!("http://127.0.0.1:{port}/authorize"),
            format!("http://127.0.0.1:{port}/token"),
        ))
        .unwrap(),
    )
}

#[test]
fn no_stored_tokens_needs_sign_in_and_keeps_its_not_found_kind() {
    let sessions = SessionManager::new(unreachable_provider(), Arc::new(MemoryStore::new()));
    let err = sessions.access_token("nobody").unwrap_err();
    assert!(err.needs_sign_in(), "{err}");
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(matches!(
        err,
        Error::SignInRequired { ref key, reason: SignInReason::NoTokens } if key == "nobody"
    ));
    assert!(err.to_string().contains("nobody"));
}

#[test]
fn an_expired_token_without_refresh_token_needs_sign_in() {
    let store = Arc::new(MemoryStore::new());
    store
        .save(
            "alice",
            &TokenSet::bearer("at-expired").with_expires_in(-10),
        )
        .unwrap();
    let sessions = SessionManager::new(unreachable_provider(), store);
    let err = sessions.access_token("alice").unwrap_err();
    assert!(err.needs_sign_in(), "{err}");
    assert_eq!(err.kind(), ErrorKind::Authentication);
    assert!(!err.to_string().contains("at-expired"));
}

#[test]
fn a_revoked_grant_needs_sign_in_and_the_tokens_are_gone() {
    let (_idp, provider) = dev::dev_pair(DevProviderOptions::default());
    let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::new());
    let sessions = Arc::new(SessionManager::new(provider.clone(), store.clone()));
    let flow = AuthFlowManager::builder(provider.clone())
        .session(sessions.clone())
        .token_key("bob")
        .build();
    let open = |url: &str| -> oauthkit::Result<()> {
        let url = url.to_string();
        std::thread::spawn(move || {
            oauthkit::unversioned::dev_provider::HeadlessBrowser::approve(&url).unwrap()
        });
        Ok(())
    };
    let signed_in = flow
        .run_native(NativeOptions::new().open_browser(open))
        .unwrap();
    assert_eq!(signed_in.key, "bob");
    assert!(
        store.load("bob").unwrap().is_some(),
        "the builder's session store got the tokens"
    );
    let rt = signed_in
        .tokens
        .refresh_token
        .clone()
        .expect("refresh token");
    assert!(provider
        .revoke_token(&TokenRevocation::new(rt.expose()))
        .unwrap());
    dev::expire(&*store, "bob");
    let err = sessions.access_token("bob").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidGrant);
    assert!(err.needs_sign_in(), "{err}");
    assert!(store.load("bob").unwrap().is_none());
    // and afterwards: nothing stored
    assert!(sessions.access_token("bob").unwrap_err().needs_sign_in());
}

#[test]
fn failures_a_retry_may_get_past_do_not_need_sign_in() {
    let store = Arc::new(MemoryStore::new());
    store
        .save(
            "carol",
            &TokenSet::bearer("at")
                .with_refresh_token("rt")
                .with_expires_in(-10),
        )
        .unwrap();
    let sessions = SessionManager::new(unreachable_provider(), store);
    let err = sessions.access_token("carol").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Http, "{err}");
    assert!(!err.needs_sign_in());
    for e in [
        Error::Cancelled,
        Error::Timeout { seconds: 1 },
        Error::OAuth {
            endpoint: "token".into(),
            status: Some(400),
            error: "invalid_client".into(),
            description: None,
            source: None,
        },
    ] {
        assert!(!e.needs_sign_in(), "{e}");
    }
    let grant = Error::OAuth {
        endpoint: "refresh".into(),
        status: Some(400),
        error: "invalid_grant".into(),
        description: None,
        source: None,
    };
    assert!(grant.needs_sign_in());
}
