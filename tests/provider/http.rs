//! The providers' HTTP behaviour against a scripted loopback server:
//! error statuses and bodies, size cap, timeouts, redirects, the
//! https-only rule, lenient token responses, refresh, client
//! authentication, revocation, RFC 9207 and the discovery issuer check.

use crate::support::mock_http;
use crate::support::test_jwt;

use oauthkit::provider::{CodeExchange, TokenRefresh, TokenRevocation, UserinfoRequest};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use oauthkit::provider::{
    ClientAuthMethod, OAuth2Config, OAuthProvider, OidcConfig, Provider, TokenTypeHint,
};
use oauthkit::unversioned::flow::{CallbackVerdict, ExpectedCallback};
use oauthkit::unversioned::provider::http::HttpConfig;
use oauthkit::{Error, ErrorKind};
use serde_json::{json, Value};

use mock_http::{MockServer, Reply};
use test_jwt::discovery;

const CLIENT: &str = "my client";
const SECRET: &str = "s3cr:et/with+chars";
const REDIRECT: &str = "http://127.0.0.1:1/callback";

fn oauth2(server: &MockServer, tweak: impl FnOnce(&mut OAuth2Config)) -> OAuthProvider {
    let mut c = OAuth2Config::new(
        "custom",
        CLIENT,
        server.url("/authorize"),
        server.url("/token"),
    );
    tweak(&mut c);
    OAuthProvider::oauth2(c).expect("provider")
}

fn public(server: &MockServer) -> OAuthProvider {
    oauth2(server, |_| {})
}

fn exchange(p: &dyn Provider) -> oauthkit::Result<oauthkit::TokenSet> {
    p.exchange_code(&CodeExchange::new("the-code", REDIRECT).pkce_verifier("the-verifier"))
}

fn tokens() -> Value {
    json!({"access_token": "at-1", "token_type": "Bearer", "expires_in": 3600, "refresh_token": "rt-1"})
}

/// An OIDC provider for `server` whose discovery document is `doc`.
fn oidc(server: &MockServer, doc: Value, tweak: impl FnOnce(&mut OidcConfig)) -> OAuthProvider {
    server.json("/.well-known/openid-configuration", 200, &doc);
    let mut c = OidcConfig::new(server.base(), CLIENT);
    tweak(&mut c);
    OAuthProvider::oidc(c).expect("provider")
}

#[track_caller]
fn assert_clean(e: &Error, secrets: &[&str]) {
    let shown = format!("{e} {e:?}");
    for s in secrets {
        assert!(!shown.contains(s), "error shows a secret: {shown}");
    }
}

#[test]
fn token_endpoint_500_with_and_without_an_error_body() {
    let s = MockServer::start();
    let p = public(&s);
    s.json(
        "/token",
        500,
        &json!({"error": "server_error", "error_description": "database down"}),
    );
    let e = exchange(&p).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OAuth, "{e}");
    match &e {
        Error::OAuth {
            endpoint,
            status,
            error,
            description,
            ..
        } => {
            assert_eq!(endpoint, "token");
            assert_eq!(*status, Some(500));
            assert_eq!(error, "server_error");
            assert_eq!(description.as_deref(), Some("database down"));
        }
        other => panic!("{other:?}"),
    }

    s.route(
        "/token",
        Reply::text(500, "text/html", "<h1>Internal error at-secret-page</h1>"),
    );
    let e = exchange(&p).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Http, "{e}");
    let m = e.to_string();
    assert!(m.contains("500") && m.contains("token"), "{m}");
    assert!(!m.contains("at-secret-page"), "the body is not quoted: {m}");

    s.route("/token", Reply::status(503));
    let e = exchange(&p).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Http);
    assert!(e.to_string().contains("503"), "{e}");
}

#[test]
fn invalid_grant_has_its_own_kind_with_status_and_description() {
    let s = MockServer::start();
    let p = oauth2(&s, |c| {
        c.client_secret = Some(SECRET.into());
    });
    s.json(
        "/token",
        400,
        &json!({"error": "invalid_grant", "error_description": "refresh token expired"}),
    );
    for (call, endpoint) in [
        (exchange(&p), "token"),
        (
            p.refresh_tokens(&TokenRefresh::new("old-refresh-token")),
            "refresh",
        ),
    ] {
        let e = call.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidGrant, "{e}");
        assert_clean(
            &e,
            &[SECRET, "old-refresh-token", "the-code", "the-verifier"],
        );
        match e {
            Error::OAuth {
                endpoint: ep,
                status,
                error,
                description,
                ..
            } => {
                assert_eq!(ep, endpoint);
                assert_eq!(status, Some(400));
                assert_eq!(error, "invalid_grant");
                assert_eq!(description.as_deref(), Some("refresh token expired"));
            }
            other => panic!("{other:?}"),
        }
    }
    // other OAuth errors on 401 are parsed too, with kind OAuth
    s.json("/token", 401, &json!({"error": "invalid_client"}));
    let e = exchange(&p).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OAuth);
    assert!(e.to_string().contains("invalid_client") && e.to_string().contains("401"));
}

#[test]
fn non_json_and_incomplete_200_answers_are_clear_errors() {
    let s = MockServer::start();
    let p = public(&s);
    s.route(
        "/token",
        Reply::text(200, "text/html", "<html>login page</html>"),
    );
    let e = exchange(&p).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Http);
    assert!(e.to_string().contains("not JSON"), "{e}");
    assert!(e.to_string().contains("text/html"), "{e}");

    for body in [
        json!([1, 2]),
        json!({"token_type": "Bearer"}),
        json!({"access_token": 5}),
        json!({"access_token": ""}),
    ] {
        s.json("/token", 200, &body);
        let e = exchange(&p).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Http, "{body}: {e}");
    }
}

#[test]
fn oversized_bodies_are_refused_with_or_without_content_length() {
    let s = MockServer::start();
    let cap = 4096u64;
    let p = oauth2(&s, |c| c.http.max_response_bytes = cap);
    let big = format!(
        r#"{{"access_token":"at","pad":"{}"}}"#,
        "x".repeat(10 * cap as usize)
    );
    for chunked in [false, true] {
        s.route(
            "/token",
            Reply::Raw {
                status: 200,
                headers: vec![("Content-Type".into(), "application/json".into())],
                body: big.clone().into_bytes(),
                chunked,
            },
        );
        let e = exchange(&p).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Http, "chunked={chunked}: {e}");
        let m = e.to_string();
        assert!(
            m.contains("limit") && m.contains("4096"),
            "chunked={chunked}: {m}"
        );
    }
    // a body of exactly the cap is fine
    let pad = cap as usize - r#"{"access_token":"at","pad":""}"#.len();
    let exact = format!(r#"{{"access_token":"at","pad":"{}"}}"#, "x".repeat(pad));
    assert_eq!(exact.len() as u64, cap);
    s.route("/token", Reply::text(200, "application/json", &exact));
    exchange(&p).expect("a body of exactly the cap");
}

#[test]
fn a_token_endpoint_that_never_answers_times_out() {
    let s = MockServer::start();
    let read_timeout = Duration::from_millis(500);
    let p = oauth2(&s, |c| c.http.read_timeout = read_timeout);
    s.route("/token", Reply::Hang(Duration::from_secs(20)));
    let start = Instant::now();
    let e = exchange(&p).unwrap_err();
    let took = start.elapsed();
    assert_eq!(e.kind(), ErrorKind::Http, "{e}");
    assert!(e.to_string().contains("timed out"), "{e}");
    assert!(e.to_string().contains("500 ms"), "{e}");
    assert!(
        took >= read_timeout && took < Duration::from_secs(5),
        "gave up after {took:?}"
    );
}

#[test]
fn redirects_are_not_followed() {
    let s = MockServer::start();
    let p = oauth2(&s, |c| {
        c.client_secret = Some(SECRET.into());
        c.userinfo_url = Some(s.url("/userinfo"));
        c.revocation_url = Some(s.url("/revoke"));
    });
    s.json("/elsewhere", 200, &tokens());
    for status in [301, 302, 303, 307, 308] {
        for path in ["/token", "/userinfo", "/revoke"] {
            s.route(path, Reply::redirect(status, &s.url("/elsewhere")));
        }
        let e = exchange(&p).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Http, "{e}");
        assert!(e.to_string().contains("redirect"), "{e}");
        assert!(p.get_userinfo(&UserinfoRequest::new("at")).is_err());
        assert!(p.revoke_token(&TokenRevocation::new("at")).is_err());
    }
    assert_eq!(s.count("/elsewhere"), 0, "no redirect was followed");

    // discovery and JWKS do not follow redirects either
    let s = MockServer::start();
    s.route(
        "/.well-known/openid-configuration",
        Reply::redirect(302, &s.url("/elsewhere")),
    );
    let p = OAuthProvider::oidc(OidcConfig::new(s.base(), CLIENT)).unwrap();
    let e = p.discover().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Http, "{e}");
    s.json(
        "/.well-known/openid-configuration",
        200,
        &discovery(s.base()),
    );
    s.route("/jwks", Reply::redirect(302, &s.url("/elsewhere")));
    let e = p.validate_id_token("a.b.c", None, None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::IdToken, "{e}"); // malformed: refused before any fetch
    let key = test_jwt::TestKey::generate("k");
    let t = key.sign(&test_jwt::claims(s.base(), CLIENT));
    let e = p.validate_id_token(&t, None, None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Http, "{e}");
    assert!(e.to_string().contains("redirect"), "{e}");
    assert_eq!(s.count("/elsewhere"), 0);
}

#[test]
fn plain_http_to_other_hosts_is_refused_before_any_request() {
    // at construction
    for (authorize, token) in [
        ("http://idp.example/authorize", "https://idp.example/token"),
        ("https://idp.example/authorize", "http://idp.example/token"),
        ("https://idp.example/authorize", "http://10.255.255.1/token"),
    ] {
        let e = OAuthProvider::oauth2(OAuth2Config::new("x", "c", authorize, token)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
        assert!(e.to_string().contains("https"), "{e}");
    }
    let e = OAuthProvider::oidc(OidcConfig::new("http://idp.example", "c")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");

    // endpoints learnt from discovery: refused when used, without I/O (an
    // attempted request to this unroutable address would time out instead)
    let s = MockServer::start();
    let mut d = discovery(s.base());
    d["token_endpoint"] = json!("http://10.255.255.1/token");
    d["userinfo_endpoint"] = json!("http://10.255.255.1/userinfo");
    d["revocation_endpoint"] = json!("http://10.255.255.1/revoke");
    let p = oidc(&s, d, |c| c.http.connect_timeout = Duration::from_secs(30));
    let start = Instant::now();
    for e in [
        exchange(&p).unwrap_err(),
        p.refresh_tokens(&TokenRefresh::new("rt")).unwrap_err(),
        p.get_userinfo(&UserinfoRequest::new("at")).unwrap_err(),
        p.revoke_token(&TokenRevocation::new("at")).unwrap_err(),
    ] {
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
        assert!(e.to_string().contains("plain http"), "{e}");
    }
    assert!(start.elapsed() < Duration::from_secs(2));

    // a JWKS URI on plain http makes discovery fail
    let s = MockServer::start();
    let mut d = discovery(s.base());
    d["jwks_uri"] = json!("http://idp.example/jwks");
    let p = oidc(&s, d, |_| {});
    let e = p.discover().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
}

#[test]
fn lenient_token_responses() {
    let s = MockServer::start();
    let p = oauth2(&s, |c| c.scopes = vec!["openid".into(), "email".into()]);
    s.json(
        "/token",
        200,
        &json!({"access_token": "at", "expires_in": "3599", "scope": ["read", "write"], "ext_expires_in": 7200}),
    );
    let t = exchange(&p).unwrap();
    assert_eq!(t.expires_at, Some(t.issued_at + 3599));
    assert_eq!(t.scopes, ["read", "write"]);
    assert_eq!(t.extra["ext_expires_in"], 7200);
    assert_eq!(t.token_type, "Bearer");

    s.json(
        "/token",
        200,
        &json!({"access_token": "at", "expires_in": 60, "scope": "a b  c", "token_type": "bearer"}),
    );
    let t = exchange(&p).unwrap();
    assert_eq!(t.expires_at, Some(t.issued_at + 60));
    assert_eq!(t.scopes, ["a", "b", "c"]);
    assert_eq!(t.token_type, "bearer");

    // no scope: the requested ones; bad expires_in: unknown, not expired
    s.json(
        "/token",
        200,
        &json!({"access_token": "at", "expires_in": "soon"}),
    );
    let t = exchange(&p).unwrap();
    assert_eq!(t.scopes, ["openid", "email"]);
    assert_eq!(t.expires_at, None);
}

#[test]
fn refresh_keeps_the_old_refresh_token_unless_rotated() {
    let s = MockServer::start();
    let p = public(&s);
    s.json(
        "/token",
        200,
        &json!({"access_token": "at-2", "expires_in": 60}),
    );
    let t = p.refresh_tokens(&TokenRefresh::new("rt-old")).unwrap();
    assert_eq!(t.access_token.expose(), "at-2");
    assert_eq!(t.refresh_token.as_ref().unwrap().expose(), "rt-old");
    let req = s.last("/token");
    assert_eq!(req.method, "POST");
    assert_eq!(
        req.form_value("grant_type").as_deref(),
        Some("refresh_token")
    );
    assert_eq!(req.form_value("refresh_token").as_deref(), Some("rt-old"));
    assert_eq!(req.form_value("client_id").as_deref(), Some(CLIENT));

    s.json(
        "/token",
        200,
        &json!({"access_token": "at-3", "refresh_token": "rt-new"}),
    );
    let t = p.refresh_tokens(&TokenRefresh::new("rt-old")).unwrap();
    assert_eq!(t.refresh_token.as_ref().unwrap().expose(), "rt-new");
}

fn basic_of(req: &mock_http::Recorded) -> Option<(String, String)> {
    let h = req.header("Authorization")?;
    let raw = STANDARD.decode(h.strip_prefix("Basic ")?).ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (u, p) = text.split_once(':')?;
    let dec = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .unwrap()
            .1
            .into_owned()
    };
    Some((dec(u), dec(p)))
}

#[test]
fn client_authentication_methods_as_the_server_sees_them() {
    let s = MockServer::start();
    s.json("/token", 200, &tokens());
    s.route("/revoke", Reply::status(200));
    let with = |m: Option<ClientAuthMethod>, secret: Option<&str>| {
        oauth2(&s, |c| {
            c.client_secret = secret.map(Into::into);
            c.client_auth = m;
            c.revocation_url = Some(s.url("/revoke"));
        })
    };

    // client_secret_basic (the default with a secret): form-encoded id and
    // secret in Basic, nothing in the body
    for p in [
        with(None, Some(SECRET)),
        with(Some(ClientAuthMethod::ClientSecretBasic), Some(SECRET)),
    ] {
        exchange(&p).unwrap();
        p.revoke_token(&TokenRevocation::new("at").hint(TokenTypeHint::AccessToken))
            .unwrap();
        for path in ["/token", "/revoke"] {
            let req = s.last(path);
            assert_eq!(
                basic_of(&req),
                Some((CLIENT.into(), SECRET.into())),
                "{path}"
            );
            assert_eq!(req.form_value("client_secret"), None);
            assert_eq!(req.form_value("client_id"), None);
        }
        let raw = s.last("/token").header("Authorization").unwrap();
        let decoded = String::from_utf8(STANDARD.decode(&raw[6..]).unwrap()).unwrap();
        assert_eq!(
            decoded, "my+client:s3cr%3Aet%2Fwith%2Bchars",
            "RFC 6749 §2.3.1 encoding"
        );
    }

    // client_secret_post
    let p = with(Some(ClientAuthMethod::ClientSecretPost), Some(SECRET));
    exchange(&p).unwrap();
    p.revoke_token(&TokenRevocation::new("at")).unwrap();
    for path in ["/token", "/revoke"] {
        let req = s.last(path);
        assert_eq!(req.header("Authorization"), None, "{path}");
        assert_eq!(req.form_value("client_id").as_deref(), Some(CLIENT));
        assert_eq!(req.form_value("client_secret").as_deref(), Some(SECRET));
    }

    // public client: client_id only
    for p in [
        with(None, None),
        with(Some(ClientAuthMethod::ClientSecretBasic), None),
        with(None, Some("")),
    ] {
        exchange(&p).unwrap();
        let req = s.last("/token");
        assert_eq!(req.header("Authorization"), None);
        assert_eq!(req.form_value("client_id").as_deref(), Some(CLIENT));
        assert_eq!(req.form_value("client_secret"), None);
    }

    // the whole code exchange request
    let req = s.last("/token");
    assert_eq!(
        req.header("Content-Type").as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        req.form_value("grant_type").as_deref(),
        Some("authorization_code")
    );
    assert_eq!(req.form_value("code").as_deref(), Some("the-code"));
    assert_eq!(req.form_value("redirect_uri").as_deref(), Some(REDIRECT));
    assert_eq!(
        req.form_value("code_verifier").as_deref(),
        Some("the-verifier")
    );
    assert!(req.header("Accept").unwrap().contains("application/json"));
}

#[test]
fn oidc_picks_client_auth_from_discovery() {
    let s = MockServer::start();
    s.json("/token", 200, &tokens());
    let mut d = discovery(s.base());
    d["token_endpoint_auth_methods_supported"] = json!(["private_key_jwt", "client_secret_post"]);
    let p = oidc(&s, d, |c| {
        c.client_secret = Some(SECRET.into());
        c.scopes = vec!["email".into()]; // no openid: no ID token expected
    });
    exchange(&p).unwrap();
    let req = s.last("/token");
    assert_eq!(req.header("Authorization"), None);
    assert_eq!(req.form_value("client_secret").as_deref(), Some(SECRET));
}

#[test]
fn revocation() {
    let s = MockServer::start();
    // no endpoint: false, and nothing is sent
    let p = public(&s);
    assert!(!p.revoke_token(&TokenRevocation::new("at")).unwrap());
    let p = oidc(&s, discovery(s.base()), |_| {});
    assert!(!p.revoke_token(&TokenRevocation::new("at")).unwrap());
    assert!(s.requests().iter().all(|r| !r.path().contains("revoke")));

    // RFC 7009 endpoint
    let p = oauth2(&s, |c| c.revocation_url = Some(s.url("/revoke")));
    s.route("/revoke", Reply::status(200));
    assert!(p
        .revoke_token(&TokenRevocation::new("rt-9").hint(TokenTypeHint::RefreshToken))
        .unwrap());
    let req = s.last("/revoke");
    assert_eq!(req.method, "POST");
    assert_eq!(req.form_value("token").as_deref(), Some("rt-9"));
    assert_eq!(
        req.form_value("token_type_hint").as_deref(),
        Some("refresh_token")
    );
    assert!(p.revoke_token(&TokenRevocation::new("at-9")).unwrap());
    assert_eq!(s.last("/revoke").form_value("token_type_hint"), None);

    s.json("/revoke", 400, &json!({"error": "unsupported_token_type"}));
    let e = p.revoke_token(&TokenRevocation::new("rt-9")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OAuth);
    assert!(e.to_string().contains("unsupported_token_type"));
    assert_clean(&e, &["rt-9"]);
    s.route("/revoke", Reply::status(503));
    let e = p.revoke_token(&TokenRevocation::new("rt-9")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Http);

    // discovered endpoint
    let mut d = discovery(s.base());
    d["revocation_endpoint"] = json!(s.url("/revoke"));
    let p = oidc(&s, d, |_| {});
    s.route("/revoke", Reply::status(200));
    assert!(p.revoke_token(&TokenRevocation::new("at")).unwrap());
}

/// `OAuth2Config::revocation_url` is the one public way to name a
/// revocation endpoint: an RFC 7009 endpoint (POST form), even on the
/// GitHub preset's configuration (whose own endpoint is its Applications
/// API, a `DELETE`), and checked when the provider is built.
#[test]
fn revocation_url_setter_is_an_rfc7009_endpoint() {
    let s = MockServer::start();
    let cfg = OAuth2Config::new("custom", CLIENT, s.url("/authorize"), s.url("/token"))
        .revocation_url(s.url("/revoke"));
    assert_eq!(cfg.revocation_url, Some(s.url("/revoke")));
    let p = OAuthProvider::oauth2(cfg).unwrap();
    s.route("/revoke", Reply::status(200));
    assert!(p.revoke_token(&TokenRevocation::new("at-1")).unwrap());
    let req = s.last("/revoke");
    assert_eq!(req.method, "POST");
    assert_eq!(req.form_value("token").as_deref(), Some("at-1"));

    // the GitHub preset revokes with DELETE on its Applications API...
    let gh = oauthkit::provider::github::config_at(s.base(), "gh-client")
        .unwrap()
        .client_secret(SECRET);
    let api = "/applications/gh-client/token".to_owned();
    s.route(&api, Reply::status(204));
    assert!(OAuthProvider::oauth2(gh.clone())
        .unwrap()
        .revoke_token(&TokenRevocation::new("gho-1"))
        .unwrap());
    assert_eq!(s.last(&api).method, "DELETE");
    // ...and the setter makes its endpoint an RFC 7009 one
    let p = OAuthProvider::oauth2(gh.revocation_url(s.url("/revoke2"))).unwrap();
    s.route("/revoke2", Reply::status(200));
    assert!(p.revoke_token(&TokenRevocation::new("gho-2")).unwrap());
    let req = s.last("/revoke2");
    assert_eq!(req.method, "POST");
    assert_eq!(req.form_value("token").as_deref(), Some("gho-2"));
    assert_eq!(s.requests_to(&api).len(), 1);

    // a revocation URL that is not https (nor loopback http) is refused
    for bad in ["http://as.example/revoke", "not a url", ""] {
        let e = OAuthProvider::oauth2(
            OAuth2Config::new("custom", CLIENT, s.url("/authorize"), s.url("/token"))
                .revocation_url(bad),
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{bad}: {e}");
    }
}

#[test]
fn userinfo_success_and_errors() {
    let s = MockServer::start();
    let p = oauth2(&s, |c| c.userinfo_url = Some(s.url("/userinfo")));
    s.json(
        "/userinfo",
        200,
        &json!({"sub": "u1", "email": "u@example.org"}),
    );
    let v = p
        .get_userinfo(&UserinfoRequest::new("at-secret"))
        .unwrap()
        .unwrap();
    assert_eq!(v.email.as_deref(), Some("u@example.org"));
    let req = s.last("/userinfo");
    assert_eq!(req.method, "GET");
    assert_eq!(
        req.header("Authorization").as_deref(),
        Some("Bearer at-secret")
    );
    assert!(!req.url.contains("at-secret"), "never in the query");

    s.route(
        "/userinfo",
        Reply::Raw {
            status: 401,
            headers: vec![(
                "WWW-Authenticate".into(),
                r#"Bearer realm="x", error="invalid_token", error_description="revoked""#.into(),
            )],
            body: Vec::new(),
            chunked: false,
        },
    );
    let e = p
        .get_userinfo(&UserinfoRequest::new("at-secret"))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OAuth, "{e}");
    assert!(e.to_string().contains("invalid_token") && e.to_string().contains("401"));
    assert_clean(&e, &["at-secret"]);
    s.json("/userinfo", 200, &json!(["not", "an", "object"]));
    assert_eq!(
        p.get_userinfo(&UserinfoRequest::new("at"))
            .unwrap_err()
            .kind(),
        ErrorKind::Http
    );
    // no endpoint: None
    assert_eq!(
        public(&s)
            .get_userinfo(&UserinfoRequest::new("at"))
            .unwrap(),
        None
    );
}

/// Real providers send standard claims with the wrong JSON type: each is
/// read leniently or kept as sent in `extra`, never failing the call.
#[test]
fn userinfo_with_wrong_typed_standard_claims_is_read_not_refused() {
    let s = MockServer::start();
    let p = oauth2(&s, |c| c.userinfo_url = Some(s.url("/userinfo")));
    s.json(
        "/userinfo",
        200,
        &json!({
            "sub": "u1", "email": "u@example.org", "email_verified": "true",
            "phone_number_verified": "False", "updated_at": "2024-01-01T00:00:00Z",
            "name": 7, "aud": {"x": 1}, "picture": null, "locale": ["en"],
            "exp": "1700000000", "groups": ["admins"]
        }),
    );
    let c = p
        .get_userinfo(&UserinfoRequest::new("at"))
        .unwrap()
        .expect("claims");
    assert_eq!(c.sub.as_deref(), Some("u1"));
    assert_eq!(c.email_verified, Some(true));
    assert_eq!(c.phone_number_verified, Some(false));
    assert_eq!(
        c.exp,
        Some(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000))
    );
    assert_eq!(c.updated_at, None);
    assert_eq!(c.extra["updated_at"], "2024-01-01T00:00:00Z");
    for (name, sent) in [
        ("name", json!(7)),
        ("aud", json!({"x": 1})),
        ("picture", json!(null)),
        ("locale", json!(["en"])),
    ] {
        assert_eq!(c.extra[name], sent, "{name} kept as sent");
    }
    assert!(c.name.is_none() && c.aud.is_empty() && c.picture.is_none() && c.locale.is_none());
    assert_eq!(
        c.claim::<Vec<String>>("groups").unwrap(),
        Some(vec!["admins".to_string()])
    );
    let e = c.claim::<bool>("groups").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(!e.to_string().contains("admins"), "{e}");
    assert_eq!(c.display_name().as_deref(), Some("u@example.org"));
}

#[test]
fn rfc9207_issuer_in_authorization_responses() {
    let s = MockServer::start();
    let iss = s.base().to_owned();
    let mut d = discovery(&iss);
    d["authorization_response_iss_parameter_supported"] = json!(true);
    let p = oidc(&s, d, |_| {});
    assert!(p.requires_iss_in_response());
    p.check_authorization_response_iss(Some(&iss)).unwrap();
    for bad in [
        Some("https://evil.example"),
        Some(&format!("{iss}/")[..]),
        None,
    ] {
        let e = p.check_authorization_response_iss(bad).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Authentication, "{bad:?}: {e}");
    }

    // as the flows apply it: success and error responses alike
    let expected = ExpectedCallback::new("st")
        .issuer(p.issuer().expect("the provider's issuer"))
        .require_iss(p.requires_iss_in_response());
    let q = |extra: &str| format!("state=st&{extra}");
    assert!(matches!(
        expected.check_query(&q(&format!("code=c&iss={iss}"))),
        CallbackVerdict::Code(_)
    ));
    for query in [
        q("code=c&iss=https%3A%2F%2Fevil.example"),
        q("code=c"),
        q("error=access_denied&iss=https%3A%2F%2Fevil.example"),
        q("error=access_denied"),
    ] {
        match expected.check_query(&query) {
            CallbackVerdict::Failed(e) => {
                assert_eq!(e.kind(), ErrorKind::Authentication, "{query}: {e}")
            }
            other => panic!("{query}: {other:?}"),
        }
    }
    // an error response with the right iss is the provider's error
    match expected.check_query(&q(&format!("error=access_denied&iss={iss}"))) {
        CallbackVerdict::Failed(e) => assert_eq!(e.kind(), ErrorKind::OAuth, "{e}"),
        other => panic!("{other:?}"),
    }

    // discovery without the flag: a missing iss is accepted, a wrong one is not
    let s2 = MockServer::start();
    let p2 = oidc(&s2, discovery(s2.base()), |_| {});
    assert!(!p2.requires_iss_in_response());
    p2.check_authorization_response_iss(None).unwrap();
    assert!(
        p2.check_authorization_response_iss(Some(&iss)).is_err(),
        "another provider's iss"
    );

    // discovery failing: iss is then required rather than trusted away
    let s3 = MockServer::start();
    let p3 = OAuthProvider::oidc(OidcConfig::new(s3.base(), CLIENT)).unwrap();
    assert!(p3.requires_iss_in_response());

    // plain OAuth 2.0 with a configured issuer
    let p4 = oauth2(&s, |c| {
        c.issuer = Some("https://as.example".into());
        c.requires_iss = true;
    });
    p4.check_authorization_response_iss(Some("https://as.example"))
        .unwrap();
    assert!(p4.check_authorization_response_iss(None).is_err());
    assert!(p4
        .check_authorization_response_iss(Some("https://other.example"))
        .is_err());
}

#[test]
fn discovery_issuer_must_match_exactly() {
    let s = MockServer::start();
    for wrong in [
        format!("{}/", s.base()),
        format!("{}/other", s.base()),
        "https://accounts.google.com".to_string(),
    ] {
        let mut d = discovery(s.base());
        d["issuer"] = json!(wrong);
        let p = oidc(&s, d, |_| {});
        let e = p.discover().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Authentication, "{e}");
        assert!(e.to_string().contains("issuer mismatch"), "{e}");
        // and nothing is sent to the endpoints it names
        let e = exchange(&p).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Authentication);
    }
    assert_eq!(s.count("/token"), 0);
}

#[test]
fn discovery_failures_are_not_cached() {
    let s = MockServer::start();
    s.route(
        "/.well-known/openid-configuration",
        Reply::text(200, "text/html", "<html>maintenance</html>"),
    );
    let p = OAuthProvider::oidc(OidcConfig::new(s.base(), CLIENT)).unwrap();
    let e = p.discover().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Http);
    assert!(e.to_string().contains("not JSON"), "{e}");
    s.json(
        "/.well-known/openid-configuration",
        200,
        &json!({"no_issuer": true}),
    );
    assert_eq!(p.discover().unwrap_err().kind(), ErrorKind::Http);
    s.json(
        "/.well-known/openid-configuration",
        200,
        &discovery(s.base()),
    );
    let m = p.discover().unwrap();
    assert_eq!(m.token_endpoint.as_deref(), Some(&s.url("/token")[..]));
    p.discover().unwrap();
    assert_eq!(
        s.count("/.well-known/openid-configuration"),
        3,
        "cached once it worked"
    );
}

#[test]
fn overridden_endpoints_need_no_discovery() {
    let s = MockServer::start();
    s.json("/token", 200, &tokens());
    let mut c = OidcConfig::new(s.base(), CLIENT).scopes(["email"]);
    c.endpoints.token = Some(s.url("/token"));
    c.endpoints.authorization = Some(s.url("/authorize"));
    let p = OAuthProvider::oidc(c).unwrap();
    exchange(&p).unwrap();
    assert_eq!(s.count("/.well-known/openid-configuration"), 0);
    let cfg = HttpConfig::default();
    assert_eq!(cfg.read_timeout, Duration::from_secs(30));
}

/// A server that sends its answer one byte at a time, forever slow: the
/// read timeout bounds the whole header and the whole body, not each byte.
#[test]
fn a_trickling_server_cannot_hold_a_call_past_the_timeouts() {
    use std::io::{Read, Write};
    use std::net::TcpListener;

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let Ok((mut conn, _)) = listener.accept() else {
            return;
        };
        let mut buf = [0u8; 4096];
        let _ = conn.read(&mut buf);
        let _ = conn.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n",
        );
        for _ in 0..200 {
            if conn.write_all(b" ").is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    let read_timeout = Duration::from_millis(500);
    let url = format!("http://{addr}");
    let mut c = OAuth2Config::new("slow", CLIENT, format!("{url}/a"), format!("{url}/token"));
    c.http.read_timeout = read_timeout;
    let p = OAuthProvider::oauth2(c).unwrap();
    let start = Instant::now();
    let e = exchange(&p).unwrap_err();
    let took = start.elapsed();
    assert_eq!(e.kind(), ErrorKind::Http, "{e}");
    assert!(e.to_string().contains("timed out"), "{e}");
    assert!(took < Duration::from_secs(3), "took {took:?}");
    drop(p);
    server.join().unwrap();
}

#[test]
fn debug_output_never_shows_the_client_secret() {
    let s = MockServer::start();
    let p = oauth2(&s, |c| c.client_secret = Some(SECRET.into()));
    assert!(!format!("{p:?}").contains(SECRET));
    let p = oidc(&s, discovery(s.base()), |c| {
        c.client_secret = Some(SECRET.into())
    });
    p.discover().unwrap();
    assert!(!format!("{p:?}").contains(SECRET));
    assert!(!format!("{:?}", p.oidc_config()).contains(SECRET));
}

/// The form values named `name` in the last request to `path`.
fn form_values(s: &MockServer, path: &str, name: &str) -> Vec<String> {
    s.last(path)
        .form()
        .into_iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v)
        .collect()
}

#[test]
fn code_exchange_and_refresh_carry_their_own_resources_and_extra_params() {
    let s = MockServer::start();
    let p = oauth2(&s, |c| {
        c.resources.push("https://configured.example/".into())
    });
    s.json("/token", 200, &tokens());
    exchange(&p).unwrap();
    assert_eq!(
        form_values(&s, "/token", "resource"),
        ["https://configured.example/"],
        "without its own resources a request sends the configured ones"
    );
    p.exchange_code(
        &CodeExchange::new("the-code", REDIRECT)
            .pkce_verifier("the-verifier")
            .resources(["https://a.example/", "urn:example:b"])
            .extra_param("audience_hint", "x y"),
    )
    .unwrap();
    assert_eq!(
        form_values(&s, "/token", "resource"),
        ["https://a.example/", "urn:example:b"],
        "the request's resources replace the configured ones"
    );
    assert_eq!(form_values(&s, "/token", "audience_hint"), ["x y"]);
    assert_eq!(form_values(&s, "/token", "code"), ["the-code"]);
    p.refresh_tokens(
        &TokenRefresh::new("rt-1")
            .resource("https://narrow.example/")
            .extra_param("acr_values", "mfa"),
    )
    .unwrap();
    assert_eq!(
        form_values(&s, "/token", "resource"),
        ["https://narrow.example/"]
    );
    assert_eq!(form_values(&s, "/token", "acr_values"), ["mfa"]);
    assert_eq!(form_values(&s, "/token", "refresh_token"), ["rt-1"]);
}

#[test]
fn extra_params_that_name_what_the_request_sets_are_refused_before_sending() {
    let s = MockServer::start();
    let p = oauth2(&s, |c| c.client_secret = Some(SECRET.into()));
    s.json("/token", 200, &tokens());
    let client_auth = [
        "client_id",
        "client_secret",
        "client_assertion",
        "client_assertion_type",
    ];
    for name in [
        "grant_type",
        "code",
        "redirect_uri",
        "code_verifier",
        "resource",
    ]
    .into_iter()
    .chain(client_auth)
    {
        let e = p
            .exchange_code(
                &CodeExchange::new("the-code", REDIRECT)
                    .pkce_verifier("the-verifier")
                    .extra_param(name, "x"),
            )
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{name}: {e}");
        assert!(
            e.to_string().contains("cannot be set as an extra"),
            "{name}: {e}"
        );
        assert_clean(&e, &["the-code", "the-verifier", SECRET]);
    }
    for name in ["grant_type", "refresh_token", "resource"]
        .into_iter()
        .chain(client_auth)
    {
        let e = p
            .refresh_tokens(&TokenRefresh::new("rt-secret-1").extra_param(name, "x"))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{name}: {e}");
        assert_clean(&e, &["rt-secret-1", SECRET]);
    }
    for bad in ["api", "/relative", "https://api.example/#frag", ""] {
        let e = p
            .exchange_code(&CodeExchange::new("the-code", REDIRECT).resource(bad))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{bad}");
        let e = p
            .refresh_tokens(&TokenRefresh::new("rt-1").resource(bad))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{bad}");
    }
    assert_eq!(s.count("/token"), 0, "nothing refused was sent");
}

/// A mock token and device endpoint that answer every grant, and a
/// confidential client of it.
fn grant_server() -> (MockServer, OAuthProvider) {
    let s = MockServer::start();
    s.json("/token", 200, &tokens());
    s.json("/device", 200, &json!({}));
    let p = oauth2(&s, |c| {
        c.client_secret = Some(SECRET.into());
        c.device_authorization_url = Some(s.url("/device"));
    });
    (s, p)
}

/// Every grant refuses, before sending anything, an extra parameter that
/// names one it sets itself or one of client authentication: the one
/// check of `requests::check_extra_params`, for all five requests.
#[test]
fn every_grant_refuses_extra_params_it_sets_itself_before_sending() {
    use oauthkit::provider::{EndSessionRequest, GrantRequest};
    use oauthkit::unversioned::provider::token_exchange::token_types;
    let (s, p) = grant_server();
    let client_auth = [
        "client_id",
        "client_secret",
        "client_assertion",
        "client_assertion_type",
    ];
    let refused = |e: Error, name: &str, what: &str| {
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{what} {name}: {e}");
        assert!(
            e.to_string().contains(&format!(
                "'{name}' cannot be set as an extra {what} parameter"
            )),
            "{what} {name}: {e}"
        );
        assert_clean(&e, &[SECRET, "subject-secret", "h.p.s"]);
    };
    for name in ["grant_type", "scope", "resource", "audience"]
        .into_iter()
        .chain(client_auth)
    {
        let e = p
            .request_client_credentials(&GrantRequest::client_credentials().param(name, "x"))
            .unwrap_err();
        refused(e, name, "client credentials");
    }
    for name in ["grant_type", "assertion", "scope", "resource"]
        .into_iter()
        .chain(client_auth)
    {
        let e = p
            .request_jwt_bearer(&GrantRequest::jwt_bearer("h.p.s").param(name, "x"))
            .unwrap_err();
        refused(e, name, "JWT bearer");
    }
    for name in [
        "grant_type",
        "subject_token",
        "subject_token_type",
        "actor_token",
        "actor_token_type",
        "requested_token_type",
        "scope",
        "resource",
        "audience",
    ]
    .into_iter()
    .chain(client_auth)
    {
        let e = p
            .exchange_token(
                &GrantRequest::token_exchange("subject-secret", token_types::ACCESS_TOKEN)
                    .param(name, "x"),
            )
            .unwrap_err();
        refused(e, name, "token exchange");
    }
    for name in ["scope"].into_iter().chain(client_auth) {
        let e = p
            .request_device_authorization(&GrantRequest::device_authorization().param(name, "x"))
            .unwrap_err();
        refused(e, name, "device authorization");
    }
    let o = oidc(&s, discovery(s.base()), |c| {
        c.endpoints.end_session = Some(s.url("/logout"));
    });
    for name in ["id_token_hint", "post_logout_redirect_uri", "state"]
        .into_iter()
        .chain(client_auth)
    {
        let e = o
            .end_session_url(&EndSessionRequest::new().param(name, "x"))
            .unwrap_err();
        refused(e, name, "end-session");
    }
    // names the grants do not set still go out
    let url = o
        .end_session_url(&EndSessionRequest::new().param("ui_locales", "de"))
        .unwrap()
        .unwrap();
    assert!(url.contains("ui_locales=de"), "{url}");
    assert_eq!(
        s.count("/token") + s.count("/device"),
        0,
        "nothing refused was sent"
    );
}

/// One `GrantRequest` for four grants: a request given to another grant's
/// operation, or carrying a setter of another grant, is a typed
/// `InvalidArgument` naming the grant or the setter, never ignored, and
/// nothing is sent; the session manager refuses it before its cache.
#[test]
fn a_grant_request_for_another_grant_or_with_its_setters_is_refused_before_sending() {
    use oauthkit::provider::{GrantRequest, SigningAlgorithm, SigningKey};
    use oauthkit::session::SessionManager;
    use oauthkit::unversioned::provider::token_exchange::token_types;
    let (s, p) = grant_server();
    let key = SigningKey::generate(SigningAlgorithm::ES256).unwrap();
    let cc = GrantRequest::client_credentials;
    let jwt = || GrantRequest::jwt_bearer("h.p.s");
    let signed = || GrantRequest::jwt_bearer_signed(key.clone(), "iss", "sub");
    let te = || GrantRequest::token_exchange("subject-secret", token_types::ACCESS_TOKEN);
    let dev = GrantRequest::device_authorization;
    type Op = fn(&OAuthProvider, &GrantRequest) -> oauthkit::Result<()>;
    let ops: [(&str, Op); 4] = [
        ("client_credentials", |p, r| {
            p.request_client_credentials(r).map(drop)
        }),
        ("jwt_bearer", |p, r| p.request_jwt_bearer(r).map(drop)),
        ("token_exchange", |p, r| p.exchange_token(r).map(drop)),
        ("device_authorization", |p, r| {
            p.request_device_authorization(r).map(drop)
        }),
    ];
    let refused = |e: Error, needle: &str, what: &str| {
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{what}: {e}");
        assert!(e.to_string().contains(needle), "{what}: {e}");
        assert_clean(&e, &[SECRET, "subject-secret", "h.p.s"]);
    };
    // every request kind at every other grant's operation
    let kinds = [
        ("client_credentials", cc()),
        ("jwt_bearer", jwt()),
        ("jwt_bearer", signed()),
        ("token_exchange", te()),
        ("device_authorization", dev()),
    ];
    for (kind, request) in &kinds {
        for (op, call) in ops {
            if op != *kind {
                let e = call(&p, request).unwrap_err();
                refused(e, &format!("cannot be sent as a {op} grant"), kind);
            }
        }
    }
    // each grant-specific setter on each grant that does not have it
    type Setter = fn(GrantRequest) -> GrantRequest;
    let setters: [(&str, Setter); 7] = [
        ("audience", |r| r.audience("a")),
        ("actor_token", |r| r.actor_token("a", token_types::JWT)),
        ("requested_token_type", |r| {
            r.requested_token_type(token_types::JWT)
        }),
        ("assertion_audience", |r| r.assertion_audience("a")),
        ("lifetime", |r| r.lifetime(Duration::from_secs(60))),
        ("jti", |r| r.jti("j")),
        ("claim", |r| r.claim("c", 1)),
    ];
    let own: [(&str, GrantRequest, &[&str]); 5] = [
        ("client_credentials", cc(), &["audience"]),
        ("jwt_bearer", jwt(), &[]),
        (
            "jwt_bearer",
            signed(),
            &["assertion_audience", "lifetime", "jti", "claim"],
        ),
        (
            "token_exchange",
            te(),
            &["audience", "actor_token", "requested_token_type"],
        ),
        ("device_authorization", dev(), &[]),
    ];
    let mut misplaced = 0;
    for (grant, request, its_own) in &own {
        let (_, call) = ops.iter().find(|(op, _)| op == grant).unwrap();
        for (setter, set) in setters {
            if its_own.contains(&setter) {
                continue;
            }
            let e = call(&p, &set(request.clone())).unwrap_err();
            refused(
                e,
                &format!("'{setter}' is not a setting of a {grant} request"),
                setter,
            );
            misplaced += 1;
        }
    }
    assert_eq!(misplaced, 27);
    // client credentials take one audience
    let e = p
        .request_client_credentials(&cc().audience("a").audience("b"))
        .unwrap_err();
    refused(e, "at most one audience", "two audiences");
    // the session manager refuses before its cache and store
    let sessions = SessionManager::new(
        std::sync::Arc::new(oauth2(&s, |c| c.client_secret = Some(SECRET.into()))),
        std::sync::Arc::new(oauthkit::store::MemoryStore::new()),
    );
    for request in [cc().actor_token("a", token_types::JWT), te()] {
        let e = sessions.client_credentials_token(&request).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
        let e = sessions.client_credentials_key(&request).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    }
    assert_eq!(
        s.count("/token") + s.count("/device"),
        0,
        "nothing refused was sent"
    );
    // the same requests without the misplaced setters go out
    p.request_client_credentials(&cc().audience("a")).unwrap();
    p.request_jwt_bearer(&jwt()).unwrap();
    assert_eq!(s.count("/token"), 2);
}

#[test]
fn a_refresh_of_a_token_set_needs_its_refresh_token_and_keeps_the_user() {
    let e = TokenRefresh::of(&oauthkit::TokenSet::bearer("at-only")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    let s = MockServer::start();
    let p = public(&s);
    s.json(
        "/token",
        200,
        &json!({"access_token": "at-2", "token_type": "Bearer", "expires_in": 3600}),
    );
    let current = oauthkit::TokenSet::bearer("at-1")
        .with_refresh_token("rt-1")
        .with_identity_id("alice");
    let fresh = p
        .refresh_tokens(&TokenRefresh::of(&current).unwrap())
        .unwrap();
    assert_eq!(fresh.access_token.expose(), "at-2");
    assert_eq!(
        fresh.refresh_token.as_ref().map(|r| r.expose()),
        Some("rt-1"),
        "an unrotated refresh token is kept"
    );
    assert_eq!(form_values(&s, "/token", "refresh_token"), ["rt-1"]);
}
