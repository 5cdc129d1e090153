//! The server-side store conformance suite: every backend of
//! `oauthkit::server` runs these, through [`server_store_conformance!`].

#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use oauthkit::server::{
    AccessToken, AccessTokenStore, AuthCodeStore, AuthorizationCode, Client, ClientStore,
};
use oauthkit::unversioned::now_unix;
use oauthkit::ErrorKind;

/// What every backend implements.
pub trait ServerStore: ClientStore + AuthCodeStore + AccessTokenStore {}
impl<T: ClientStore + AuthCodeStore + AccessTokenStore> ServerStore for T {}

fn scopes(s: &[&str]) -> Vec<String> {
    s.iter().map(|x| x.to_string()).collect()
}

fn assert_not_found<T: std::fmt::Debug>(r: oauthkit::Result<T>, secret: &str) {
    let err = r.expect_err("expected NotFound");
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert!(
        !err.to_string().contains(secret),
        "secret in message: {err}"
    );
}

pub fn code(n: u32, expires_at: i64) -> AuthorizationCode {
    let mut c = AuthorizationCode::new(
        "app",
        format!("code-{n}-secret"),
        expires_at,
        "http://127.0.0.1:8000/cb",
    )
    .scopes(["openid", "email"])
    .user_id("user-1")
    .pkce_challenge("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    c.data.insert("nonce".into(), serde_json::json!("n-1"));
    c
}

pub fn token(n: u32, user: &str, scope_list: &[&str]) -> AccessToken {
    let now = now_unix();
    let mut t = AccessToken::new("app", "authorization_code", format!("at-{n}-secret"))
        .expires_at(now + 3600)
        .refresh_token(format!("rt-{n}-secret"), Some(now + 86_400))
        .scopes(scope_list.iter().copied())
        .user_id(user);
    t.data.insert("n".into(), serde_json::json!(n));
    t
}

pub fn clients(s: &dyn ServerStore) {
    let c = Client::new(
        "app",
        "client-secret",
        ["http://127.0.0.1/cb", "http://localhost/cb"],
    )
    .grants(["authorization_code", "refresh_token"])
    .response_types(["code"]);
    s.save_client(&c).unwrap();
    assert_eq!(s.fetch_by_client_id("app").unwrap(), c);
    let open = Client::new("open", "", Vec::<String>::new());
    s.save_client(&open).unwrap();
    assert_eq!(s.fetch_by_client_id("open").unwrap(), open);
    let err = s.fetch_by_client_id("ghost").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(err.to_string().contains("client 'ghost'"), "{err}");
    assert!(s.delete_client("app").unwrap());
    assert!(!s.delete_client("app").unwrap());
    assert_eq!(
        s.fetch_by_client_id("app").unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

pub fn codes_round_trip_and_are_single_use(s: &dyn ServerStore) {
    let c = code(1, now_unix() + 600);
    s.save_code(&c).unwrap();
    assert_eq!(s.fetch_by_code("code-1-secret").unwrap(), c);
    let taken = s.take_code("code-1-secret").unwrap();
    assert_eq!(taken, c);
    assert!(taken.pkce_matches("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));
    assert_not_found(s.take_code("code-1-secret"), "code-1-secret");
    assert_not_found(s.fetch_by_code("code-1-secret"), "code-1-secret");
    s.save_code(&code(2, now_unix() + 600)).unwrap();
    assert!(s.delete_code("code-2-secret").unwrap());
    assert!(!s.delete_code("code-2-secret").unwrap());
    assert_not_found(s.fetch_by_code("never-issued"), "never-issued");
}

pub fn a_code_is_redeemed_once_under_concurrency(s: &(dyn ServerStore + Sync)) {
    s.save_code(&code(3, now_unix() + 600)).unwrap();
    let winners = AtomicUsize::new(0);
    std::thread::scope(|sc| {
        for _ in 0..8 {
            sc.spawn(|| match s.take_code("code-3-secret") {
                Ok(_) => {
                    winners.fetch_add(1, Ordering::SeqCst);
                }
                Err(e) => assert_eq!(e.kind(), ErrorKind::NotFound, "{e}"),
            });
        }
    });
    assert_eq!(winners.into_inner(), 1);
}

pub fn expired_codes_are_never_returned(s: &dyn ServerStore) {
    s.save_code(&code(4, now_unix() - 1)).unwrap();
    assert_not_found(s.fetch_by_code("code-4-secret"), "code-4-secret");
    assert_not_found(s.take_code("code-4-secret"), "code-4-secret");
    // One that expires while stored.
    s.save_code(&code(5, now_unix() + 2)).unwrap();
    assert!(s.fetch_by_code("code-5-secret").is_ok());
    std::thread::sleep(Duration::from_millis(3100));
    assert_not_found(s.fetch_by_code("code-5-secret"), "code-5-secret");
    assert_not_found(s.take_code("code-5-secret"), "code-5-secret");
}

pub fn tokens_by_token_refresh_token_and_user(s: &dyn ServerStore) {
    let t = token(1, "user-1", &["openid", "email"]);
    s.save_token(&t).unwrap();
    assert_eq!(s.fetch_by_token("at-1-secret").unwrap(), t);
    assert_eq!(s.fetch_by_refresh_token("rt-1-secret").unwrap(), t);
    let found = s
        .fetch_existing_token_of_user(
            "app",
            "authorization_code",
            Some("user-1"),
            &scopes(&["email", "openid"]),
        )
        .unwrap();
    assert_eq!(found, t);
    for (client, grant, user, sc) in [
        (
            "app",
            "authorization_code",
            Some("user-1"),
            scopes(&["openid"]),
        ),
        (
            "app",
            "authorization_code",
            Some("user-2"),
            scopes(&["openid", "email"]),
        ),
        (
            "app",
            "password",
            Some("user-1"),
            scopes(&["openid", "email"]),
        ),
        (
            "other",
            "authorization_code",
            Some("user-1"),
            scopes(&["openid", "email"]),
        ),
        (
            "app",
            "authorization_code",
            None,
            scopes(&["openid", "email"]),
        ),
    ] {
        let err = s
            .fetch_existing_token_of_user(client, grant, user, &sc)
            .unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::NotFound,
            "{client} {grant} {user:?} {sc:?}"
        );
    }
    assert_not_found(s.fetch_by_token("at-unknown"), "at-unknown");
    assert_not_found(s.fetch_by_refresh_token("rt-unknown"), "rt-unknown");
}

pub fn client_credentials_tokens_have_no_user(s: &dyn ServerStore) {
    let t = AccessToken::new("svc", "client_credentials", "cc-token-secret").scopes(["api"]);
    s.save_token(&t).unwrap();
    let found = s
        .fetch_existing_token_of_user("svc", "client_credentials", None, &scopes(&["api"]))
        .unwrap();
    assert_eq!(found, t);
    assert_eq!(s.fetch_by_token("cc-token-secret").unwrap(), t);
    assert_not_found(
        s.fetch_by_refresh_token("cc-token-secret"),
        "cc-token-secret",
    );
}

pub fn expired_access_tokens_are_never_returned_but_stay_refreshable(s: &dyn ServerStore) {
    let now = now_unix();
    let mut t = token(2, "user-1", &["a"]);
    t.expires_at = Some(now - 10);
    s.save_token(&t).unwrap();
    assert_not_found(s.fetch_by_token("at-2-secret"), "at-2-secret");
    assert_not_found(
        s.fetch_existing_token_of_user(
            "app",
            "authorization_code",
            Some("user-1"),
            &scopes(&["a"]),
        ),
        "at-2-secret",
    );
    assert_eq!(s.fetch_by_refresh_token("rt-2-secret").unwrap(), t);
}

pub fn expired_refresh_tokens_are_never_returned(s: &dyn ServerStore) {
    let now = now_unix();
    let t = AccessToken::new("app", "authorization_code", "at-3-secret")
        .expires_at(now + 3600)
        .refresh_token("rt-3-secret", Some(now - 1))
        .user_id("u3");
    s.save_token(&t).unwrap();
    assert_not_found(s.fetch_by_refresh_token("rt-3-secret"), "rt-3-secret");
    assert_eq!(s.fetch_by_token("at-3-secret").unwrap(), t);
    // One that expires while stored.
    let t = AccessToken::new("app", "authorization_code", "at-4-secret")
        .expires_at(now + 2)
        .refresh_token("rt-4-secret", Some(now + 2))
        .user_id("u4");
    s.save_token(&t).unwrap();
    assert!(s.fetch_by_token("at-4-secret").is_ok());
    std::thread::sleep(Duration::from_millis(3100));
    assert_not_found(s.fetch_by_token("at-4-secret"), "at-4-secret");
    assert_not_found(s.fetch_by_refresh_token("rt-4-secret"), "rt-4-secret");
    assert_not_found(
        s.fetch_existing_token_of_user("app", "authorization_code", Some("u4"), &[]),
        "at-4-secret",
    );
}

pub fn deleting_a_refresh_token_removes_every_mapping(s: &dyn ServerStore) {
    let t = token(5, "user-5", &["a"]);
    s.save_token(&t).unwrap();
    assert!(s.delete_refresh_token("rt-5-secret").unwrap());
    assert_not_found(s.fetch_by_refresh_token("rt-5-secret"), "rt-5-secret");
    assert_not_found(s.fetch_by_token("at-5-secret"), "at-5-secret");
    assert_not_found(
        s.fetch_existing_token_of_user(
            "app",
            "authorization_code",
            Some("user-5"),
            &scopes(&["a"]),
        ),
        "at-5-secret",
    );
    assert!(!s.delete_refresh_token("rt-5-secret").unwrap());
    assert!(!s.delete_refresh_token("never-issued").unwrap());
}

pub fn deleting_an_old_refresh_token_keeps_the_newer_token(s: &dyn ServerStore) {
    let old = token(6, "user-6", &["a"]);
    let new = token(7, "user-6", &["a"]);
    s.save_token(&old).unwrap();
    s.save_token(&new).unwrap();
    // Rotation: the server deletes the spent refresh token.
    assert!(s.delete_refresh_token("rt-6-secret").unwrap());
    assert_eq!(s.fetch_by_token("at-7-secret").unwrap(), new);
    assert_eq!(s.fetch_by_refresh_token("rt-7-secret").unwrap(), new);
    assert_eq!(
        s.fetch_existing_token_of_user(
            "app",
            "authorization_code",
            Some("user-6"),
            &scopes(&["a"])
        )
        .unwrap(),
        new
    );
}

pub fn the_latest_token_of_a_user_is_the_existing_one(s: &dyn ServerStore) {
    s.save_token(&token(8, "user-8", &["a"])).unwrap();
    s.save_token(&token(9, "user-8", &["b"])).unwrap();
    assert_eq!(
        s.fetch_existing_token_of_user(
            "app",
            "authorization_code",
            Some("user-8"),
            &scopes(&["b"])
        )
        .unwrap()
        .token
        .expose(),
        "at-9-secret"
    );
    assert_eq!(
        s.fetch_existing_token_of_user(
            "app",
            "authorization_code",
            Some("user-8"),
            &scopes(&["a"])
        )
        .unwrap_err()
        .kind(),
        ErrorKind::NotFound
    );
    // The older token itself is still valid.
    assert!(s.fetch_by_token("at-8-secret").is_ok());
}

/// Hostile: one kind of secret presented as another must not be accepted.
pub fn kinds_of_entries_never_mix(s: &dyn ServerStore) {
    s.save_client(&Client::new("client-x", "cs", ["http://127.0.0.1/cb"]))
        .unwrap();
    s.save_token(&token(10, "user-10", &["a"])).unwrap();
    s.save_code(&code(10, now_unix() + 600)).unwrap();
    // An access token or refresh token is not an authorization code...
    assert_not_found(s.fetch_by_code("at-10-secret"), "at-10-secret");
    assert_not_found(s.take_code("at-10-secret"), "at-10-secret");
    assert_not_found(s.take_code("rt-10-secret"), "rt-10-secret");
    assert!(!s.delete_code("at-10-secret").unwrap());
    // ...and trying did not destroy the token.
    assert!(s.fetch_by_token("at-10-secret").is_ok());
    assert!(s.fetch_by_refresh_token("rt-10-secret").is_ok());
    // A refresh token is not an access token, and vice versa.
    assert_not_found(s.fetch_by_token("rt-10-secret"), "rt-10-secret");
    assert_not_found(s.fetch_by_refresh_token("at-10-secret"), "at-10-secret");
    // A code is neither; a client id is none of them.
    assert_not_found(s.fetch_by_token("code-10-secret"), "code-10-secret");
    assert_not_found(s.fetch_by_refresh_token("code-10-secret"), "code-10-secret");
    assert_not_found(s.fetch_by_token("client-x"), "cs");
    assert_not_found(s.fetch_by_code("client-x"), "cs");
    // (Client ids are not secret and are named in the error.)
    assert_eq!(
        s.fetch_by_client_id("at-10-secret").unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert!(!s.delete_refresh_token("at-10-secret").unwrap());
    assert!(s.fetch_by_token("at-10-secret").is_ok());
}

pub fn debug_output_has_no_secrets(s: &dyn ServerStore) {
    s.save_token(&token(11, "u", &["a"])).unwrap();
    s.save_code(&code(11, now_unix() + 600)).unwrap();
    s.save_client(&Client::new(
        "c",
        "client-secret-11",
        ["http://127.0.0.1/cb"],
    ))
    .unwrap();
    let dbg = format!(
        "{:?} {:?} {:?}",
        s.fetch_by_token("at-11-secret").unwrap(),
        s.fetch_by_code("code-11-secret").unwrap(),
        s.fetch_by_client_id("c").unwrap()
    );
    for secret in [
        "at-11-secret",
        "rt-11-secret",
        "code-11-secret",
        "client-secret-11",
    ] {
        assert!(!dbg.contains(secret), "{dbg}");
    }
}

/// Expands to the server-store conformance tests for one backend. `$open`
/// is an expression yielding `(store, guard)`.
#[macro_export]
macro_rules! server_store_conformance {
    ($open:expr) => {
        mod server_conformance {
            #[allow(unused_imports)]
            use super::*;
            use $crate::server_conformance as c;

            #[test]
            fn clients() {
                let Some((s, _g)) = $crate::needs::opened(|| $open) else {
                    return;
                };
                c::clients(&s);
            }
            #[test]
            fn codes_round_trip_and_are_single_use() {
                let Some((s, _g)) = $crate::needs::opened(|| $open) else {
                    return;
                };
                c::codes_round_trip_and_are_single_use(&s);
            }
            #[test]
            fn a_code_is_redeemed_once_under_concurrency() {
                let Some((s, _g)) = $crate::needs::opened(|| $open) else {
                    return;
                };
                c::a_code_is_redeemed_once_under_concurrency(&s);
            }
            #[test]
            fn expired_codes_are_never_returned() {
                let Some((s, _g)) = $crate::needs::opened(|| $open) else {
                    return;
                };
                c::expired_codes_are_never_returned(&s);
            }
            #[test]
            fn tokens_by_token_refresh_token_and_user() {
                let Some((s, _g)) = $crate::needs::opened(|| $open) else {
                    return;
                };
                c::tokens_by_token_refresh_token_and_user(&s);
            }
            #[test]
            fn client_credentials_tokens_have_no_user() {
                let Some((s, _g)) = $crate::needs::opened(|| $open) else {
                    return;
                };
                c::client_credentials_tokens_have_no_user(&s);
            }
            #[test]
            fn expired_access_tokens_are_never_returned_but_stay_refreshable() {
                let Some((s, _g)) = $crate::needs::opened(|| $open) else {
                    return;
                };
                c::expired_access_tokens_are_never_returned_but_stay_refreshable(&s);
            }
            #[test]
            fn expired_refresh_tokens_are_never_returned() {
                let Some((s, _g)) = $crate::needs::opened(|| $open) else {
                    return;
                };
                c::expired_refresh_tokens_are_never_returned(&s);
            }
            #[test]
            fn deleting_a_refresh_token_removes_every_mapping() {
                let Some((s, _g)) = $crate::needs::opened(|| $open) else {
                    return;
                };
                c::deleting_a_refresh_token_removes_every_mapping(&s);
            }
            #[test]
            fn deleting_an_old_refresh_token_keeps_the_newer_token() {
                let Some((s, _g)) = $crate::needs::opened(|| $open) else {
                    return;
                };
                c::deleting_an_old_refresh_token_keeps_the_newer_token(&s);
            }
            #[test]
            fn the_latest_token_of_a_user_is_the_existing_one() {
                let Some((s, _g)) = $crate::needs::opened(|| $open) else {
                    return;
                };
                c::the_latest_token_of_a_user_is_the_existing_one(&s);
            }
            #[test]
            fn kinds_of_entries_never_mix() {
                let Some((s, _g)) = $crate::needs::opened(|| $open) else {
                    return;
                };
                c::kinds_of_entries_never_mix(&s);
            }
            #[test]
            fn debug_output_has_no_secrets() {
                let Some((s, _g)) = $crate::needs::opened(|| $open) else {
                    return;
                };
                c::debug_output_has_no_secrets(&s);
            }
        }
    };
}
