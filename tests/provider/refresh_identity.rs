//! OIDC Core §12.2: an ID token returned by a refresh must name the same
//! user as the sign-in (same `iss` and `sub`, `aud` containing the client)
//! (issue 10, item 2). Tokens are RS256, signed in the test by keys the
//! loopback provider publishes, so every refused token is validly signed.
//! Covers the bare `refresh_tokens` call after a code exchange,
//! `refresh_token_set` with a stored token set, the session manager (which
//! must leave the stored tokens untouched), a provider that is not OIDC,
//! and Microsoft multi-tenant issuers (same `sub`, another tenant).

use crate::support::mock_http;
use crate::support::test_jwt;

use oauthkit::provider::{CodeExchange, TokenRefresh, TokenRevocation, UserinfoRequest};
use std::sync::Arc;

use oauthkit::provider::{microsoft, OAuthProvider, OidcConfig, Provider};
use oauthkit::session::SessionManager;
use oauthkit::store::MemoryStore;
use oauthkit::{ErrorKind, TokenSet, TokenStore};
use serde_json::{json, Value};

use mock_http::MockServer;
use test_jwt::{claims, discovery, jwks, keys};

const CLIENT: &str = "client-1";
const REDIRECT: &str = "http://127.0.0.1:1/callback";

struct Idp {
    server: MockServer,
}

impl Idp {
    fn start() -> Idp {
        let server = MockServer::start();
        server.json(
            "/.well-known/openid-configuration",
            200,
            &discovery(server.base()),
        );
        server.json("/jwks", 200, &jwks(&[&keys()[0]]));
        Idp { server }
    }

    fn provider(&self) -> OAuthProvider {
        OAuthProvider::oidc(OidcConfig::new(self.server.base(), CLIENT)).unwrap()
    }

    fn id_token(&self, changes: Value) -> String {
        let mut c = claims(self.server.base(), CLIENT);
        for (k, v) in changes.as_object().unwrap() {
            c[k] = v.clone();
        }
        keys()[0].sign(&c)
    }

    /// The token endpoint's next answer.
    fn answer(&self, access: &str, refresh: Option<&str>, id_token: Option<String>) {
        let mut body = json!({"access_token": access, "token_type": "Bearer", "expires_in": 3600});
        if let Some(r) = refresh {
            body["refresh_token"] = json!(r);
        }
        if let Some(t) = id_token {
            body["id_token"] = json!(t);
        }
        self.server.json("/token", 200, &body);
    }

    fn sign_in(&self, p: &dyn Provider, sub: &str) -> TokenSet {
        self.answer(
            "at-0",
            Some("rt-0"),
            Some(self.id_token(json!({"sub": sub}))),
        );
        let t = p
            .exchange_code(&CodeExchange::new("code-1", REDIRECT))
            .unwrap();
        assert_eq!(t.identity_id.as_deref(), Some(sub));
        t
    }
}

/// ID tokens a refresh may not return for `user-1`: another `sub` (also
/// differing only in case or by whitespace), another audience.
fn other_users(idp: &Idp) -> Vec<(&'static str, String)> {
    vec![
        ("another sub", idp.id_token(json!({"sub": "user-2"}))),
        (
            "sub in another case",
            idp.id_token(json!({"sub": "USER-1"})),
        ),
        ("sub with a space", idp.id_token(json!({"sub": "user-1 "}))),
        ("sub as a prefix", idp.id_token(json!({"sub": "user-10"}))),
        (
            "aud without the client",
            idp.id_token(json!({"aud": "other-client"})),
        ),
        (
            "aud with an untrusted extra client",
            idp.id_token(json!({"aud": [CLIENT, "other-client"], "azp": CLIENT})),
        ),
    ]
}

#[test]
fn a_bare_refresh_after_sign_in_refuses_an_id_token_for_another_user() {
    let idp = Idp::start();
    let p = idp.provider();
    for (what, token) in other_users(&idp) {
        idp.sign_in(&p, "user-1");
        idp.answer("at-1", Some("rt-1"), Some(token));
        let e = p
            .refresh_tokens(&TokenRefresh::new("rt-0"))
            .expect_err(what);
        assert_eq!(e.kind(), ErrorKind::IdToken, "{what}: {e}");
    }
    // the same user is fine, and a rotated refresh token stays bound to
    // the user: the next refresh with it is checked too
    idp.sign_in(&p, "user-1");
    idp.answer(
        "at-1",
        Some("rt-1"),
        Some(idp.id_token(json!({"sub": "user-1"}))),
    );
    let t = p.refresh_tokens(&TokenRefresh::new("rt-0")).unwrap();
    assert_eq!(t.identity_id.as_deref(), Some("user-1"));
    idp.answer(
        "at-2",
        Some("rt-2"),
        Some(idp.id_token(json!({"sub": "user-2"}))),
    );
    let e = p
        .refresh_tokens(&TokenRefresh::new("rt-1"))
        .expect_err("rotated token, other user");
    assert_eq!(e.kind(), ErrorKind::IdToken);
    assert!(e.to_string().contains("12.2"), "{e}");
    // a refresh without an ID token keeps the user
    idp.answer("at-3", None, None);
    let t = p.refresh_tokens(&TokenRefresh::new("rt-1")).unwrap();
    assert_eq!(t.identity_id.as_deref(), Some("user-1"));
}

#[test]
fn refresh_token_set_checks_against_the_stored_identity() {
    let idp = Idp::start();
    let signed_in = idp.sign_in(&idp.provider(), "user-1");
    // a new provider object (another process): only the token set knows
    let p = idp.provider();
    for (what, token) in other_users(&idp) {
        idp.answer("at-1", Some("rt-1"), Some(token));
        let e = p
            .refresh_tokens(&TokenRefresh::of(&signed_in).unwrap())
            .expect_err(what);
        assert_eq!(e.kind(), ErrorKind::IdToken, "{what}: {e}");
    }
    // identity known only from identity_id (no stored ID token)
    let mut bare = TokenSet::bearer("at-0")
        .with_refresh_token("rt-0")
        .with_identity_id("user-1");
    idp.answer("at-1", None, Some(idp.id_token(json!({"sub": "user-2"}))));
    assert_eq!(
        p.refresh_tokens(&TokenRefresh::of(&bare).unwrap())
            .unwrap_err()
            .kind(),
        ErrorKind::IdToken
    );
    idp.answer("at-1", None, Some(idp.id_token(json!({"sub": "user-1"}))));
    let t = p.refresh_tokens(&TokenRefresh::of(&bare).unwrap()).unwrap();
    assert_eq!(t.identity_id.as_deref(), Some("user-1"));
    // no refresh token: a clear error, no request
    bare.refresh_token = None;
    let before = idp.server.count("/token");
    assert_eq!(
        TokenRefresh::of(&bare).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    assert_eq!(idp.server.count("/token"), before);
}

#[test]
fn the_session_manager_leaves_the_stored_tokens_untouched() {
    let idp = Idp::start();
    let p: Arc<dyn Provider> = Arc::new(idp.provider());
    let mut signed_in = idp.sign_in(p.as_ref(), "user-1");
    signed_in.expires_at = Some(signed_in.issued_at - 10); // due for refresh
    let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::new());
    let sessions = SessionManager::new(p.clone(), store.clone());
    for (what, token) in other_users(&idp) {
        store.save("alice", &signed_in).unwrap();
        let before = store.load("alice").unwrap().unwrap().to_json();
        idp.answer("at-evil", Some("rt-evil"), Some(token));
        let e = sessions.access_token("alice").expect_err(what);
        assert_eq!(e.kind(), ErrorKind::IdToken, "{what}: {e}");
        let after = store.load("alice").unwrap().expect("still stored");
        assert_eq!(after.to_json(), before, "{what}: the stored set changed");
        let e = sessions.refresh("alice").expect_err(what);
        assert_eq!(e.kind(), ErrorKind::IdToken);
        assert_eq!(store.load("alice").unwrap().unwrap().to_json(), before);
    }
    // the same user refreshes normally
    idp.answer(
        "at-good",
        Some("rt-good"),
        Some(idp.id_token(json!({"sub": "user-1"}))),
    );
    assert_eq!(sessions.access_token("alice").unwrap().expose(), "at-good");
}

/// A provider that is not OIDC and reports whatever identity it likes.
struct Shifty(&'static str);

impl Provider for Shifty {
    fn name(&self) -> &str {
        "shifty"
    }
    fn build_authorize_url(
        &self,
        _: &oauthkit::provider::AuthorizeRequest<'_>,
    ) -> oauthkit::Result<String> {
        unimplemented!()
    }
    fn exchange_code(&self, _: &CodeExchange) -> oauthkit::Result<TokenSet> {
        unimplemented!()
    }
    fn refresh_tokens(&self, _: &TokenRefresh) -> oauthkit::Result<TokenSet> {
        Ok(TokenSet::bearer("at-new")
            .with_refresh_token("rt-new")
            .with_expires_in(3600)
            .with_identity_id(self.0))
    }
    fn get_userinfo(&self, _: &UserinfoRequest) -> oauthkit::Result<Option<oauthkit::Claims>> {
        Ok(None)
    }
    fn revoke_token(&self, _: &TokenRevocation) -> oauthkit::Result<bool> {
        Ok(false)
    }
}

#[test]
fn any_provider_changing_the_identity_is_refused_by_the_session_manager() {
    let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::new());
    let old = TokenSet::bearer("at-old")
        .with_refresh_token("rt-old")
        .with_expires_at(1)
        .with_identity_id("alice-sub");
    store.save("alice", &old).unwrap();
    let sessions = SessionManager::new(Arc::new(Shifty("mallory-sub")), store.clone());
    let e = sessions.access_token("alice").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::IdToken, "{e}");
    assert_eq!(store.load("alice").unwrap().unwrap(), old);
    let sessions = SessionManager::new(Arc::new(Shifty("alice-sub")), store.clone());
    assert_eq!(sessions.access_token("alice").unwrap().expose(), "at-new");
}

#[test]
fn microsoft_multi_tenant_refresh_must_stay_in_the_tenant() {
    let server = MockServer::start();
    let base = server.base().to_owned();
    let template = format!("{base}/{{tenantid}}/v2.0");
    let mut d = discovery(&base);
    d["issuer"] = json!(template);
    d["jwks_uri"] = json!(format!("{base}/jwks"));
    server.json("/common/v2.0/.well-known/openid-configuration", 200, &d);
    server.json("/jwks", 200, &jwks(&[&keys()[0]]));
    let p = OAuthProvider::oidc(microsoft::config_at(&base, "common", CLIENT).unwrap()).unwrap();
    let t1 = "11111111-1111-1111-1111-111111111111";
    let t2 = "22222222-2222-2222-2222-222222222222";
    let token = |tid: &str| {
        let mut c = claims(&format!("{base}/{tid}/v2.0"), CLIENT);
        c["tid"] = json!(tid);
        keys()[0].sign(&c)
    };
    let answer = |id_token: String| {
        server.json(
            "/common/oauth2/v2.0/token",
            200,
            &json!({"access_token": "at", "token_type": "Bearer", "refresh_token": "rt-0",
                    "id_token": id_token, "scope": "openid"}),
        );
    };
    answer(token(t1));
    let signed_in = p
        .exchange_code(&CodeExchange::new("code", REDIRECT))
        .unwrap();
    // the same sub from another tenant is another user
    answer(token(t2));
    let e = p.refresh_tokens(&TokenRefresh::new("rt-0")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::IdToken, "{e}");
    assert!(e.to_string().contains("issuer"), "{e}");
    let e = p
        .refresh_tokens(&TokenRefresh::of(&signed_in).unwrap())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::IdToken, "{e}");
    answer(token(t1));
    p.refresh_tokens(&TokenRefresh::of(&signed_in).unwrap())
        .unwrap();
}
