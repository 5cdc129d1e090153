//! The Google, Microsoft and GitHub presets and the settings constructor:
//! the URLs they build (real endpoints, no I/O) and the requests they send
//! (endpoints moved onto a loopback server with `config_at`), including
//! Microsoft's multi-tenant issuer rules and GitHub's API quirks.

use crate::support::mock_http;
use crate::support::test_jwt;

use oauthkit::provider::{CodeExchange, TokenRevocation, UserinfoRequest};
use std::collections::HashMap;
use std::sync::Mutex;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use oauthkit::provider::{
    github, google, microsoft, AuthorizeRequest, OAuthProvider, OidcConfig, Provider, ProviderKind,
    ProviderSettings, TokenTypeHint,
};
use oauthkit::unversioned::provider::Pkce;
use oauthkit::ErrorKind;
use serde_json::json;
use url::Url;

use mock_http::{MockServer, Reply};
use test_jwt::{jwks, keys, now};

const REDIRECT: &str = "http://127.0.0.1:8400/callback";
/// RFC 7636 appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// The authorization URL for a fixed request, split into its parts.
fn authorize(p: &dyn Provider, extra: &[(&str, &str)]) -> (String, HashMap<String, String>) {
    let pkce = Pkce::from_verifier(VERIFIER).unwrap();
    let url = p
        .build_authorize_url(&AuthorizeRequest {
            redirect_uri: REDIRECT,
            state: "the-state",
            pkce: Some(&pkce),
            nonce: Some("the-nonce"),
            extra_params: extra,
        })
        .unwrap();
    let u = Url::parse(&url).unwrap();
    let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
    let base = format!(
        "{}://{}{port}{}",
        u.scheme(),
        u.host_str().unwrap(),
        u.path()
    );
    let mut params = HashMap::new();
    for (k, v) in u.query_pairs() {
        assert!(
            params.insert(k.to_string(), v.to_string()).is_none(),
            "{k} appears twice in {url}"
        );
    }
    (base, params)
}

#[track_caller]
fn assert_common_params(params: &HashMap<String, String>, client_id: &str) {
    assert_eq!(params["response_type"], "code");
    assert_eq!(params["client_id"], client_id);
    assert_eq!(params["redirect_uri"], REDIRECT);
    assert_eq!(params["state"], "the-state");
    assert_eq!(params["code_challenge"], CHALLENGE, "RFC 7636 appendix B");
    assert_eq!(params["code_challenge_method"], "S256");
}

#[test]
fn pkce_rfc7636_appendix_b() {
    let p = Pkce::from_verifier(VERIFIER).unwrap();
    assert_eq!(p.challenge(), CHALLENGE);
    assert_eq!(p.method(), "S256");
    let g = Pkce::generate();
    assert!((43..=128).contains(&g.verifier().len()));
    assert_ne!(g.verifier(), Pkce::generate().verifier());
}

// ---------------------------------------------------------------- Google

#[test]
fn google_builds_its_urls() {
    let c = google::config("id.apps.googleusercontent.com").unwrap();
    assert_eq!(c.issuer, "https://accounts.google.com");
    assert_eq!(
        c.endpoints.token.as_deref(),
        Some("https://oauth2.googleapis.com/token")
    );
    assert_eq!(
        c.endpoints.revocation.as_deref(),
        Some("https://oauth2.googleapis.com/revoke")
    );
    assert_eq!(
        c.endpoints.userinfo.as_deref(),
        Some("https://openidconnect.googleapis.com/v1/userinfo")
    );
    let p = OAuthProvider::oidc(c).unwrap();
    assert_eq!(p.name(), "google");
    assert_eq!(p.issuer().as_deref(), Some("https://accounts.google.com"));
    let (base, params) = authorize(&p, &[]);
    assert_eq!(base, "https://accounts.google.com/o/oauth2/v2/auth");
    assert_common_params(&params, "id.apps.googleusercontent.com");
    assert_eq!(params["scope"], "openid email profile");
    assert_eq!(params["nonce"], "the-nonce");
    assert_eq!(params["access_type"], "offline");
    assert_eq!(params["prompt"], "consent");
    // a request's extra parameters override the defaults
    let (_, params) = authorize(&p, &[("prompt", "select_account"), ("login_hint", "a@b.c")]);
    assert_eq!(params["prompt"], "select_account");
    assert_eq!(params["login_hint"], "a@b.c");
    // plain PKCE cannot be smuggled in
    let e = p
        .build_authorize_url(&AuthorizeRequest {
            redirect_uri: REDIRECT,
            state: "s",
            extra_params: &[("code_challenge_method", "plain")],
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
}

/// A loopback stand-in for an OpenID provider at `issuer_path` (discovery
/// under it, JWKS at `/jwks`).
fn serve_oidc(s: &MockServer, discovery_path: &str, issuer: &str, token_path: &str) {
    s.json(
        discovery_path,
        200,
        &json!({
            "issuer": issuer,
            "authorization_endpoint": s.url("/authorize"),
            "token_endpoint": s.url(token_path),
            "jwks_uri": s.url("/jwks"),
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        }),
    );
    s.json("/jwks", 200, &jwks(&[&keys()[0]]));
}

fn token_reply(s: &MockServer, path: &str, id_token: &str) {
    s.json(
        path,
        200,
        &json!({"access_token": "at-1", "expires_in": 3599, "token_type": "Bearer",
                "scope": "openid https://www.googleapis.com/auth/userinfo.email", "id_token": id_token}),
    );
}

fn exchange(p: &dyn Provider, nonce: Option<&str>) -> oauthkit::Result<oauthkit::TokenSet> {
    let mut exchange = CodeExchange::new("code-1", REDIRECT).pkce_verifier(VERIFIER);
    if let Some(n) = nonce {
        exchange = exchange.nonce(n);
    }
    p.exchange_code(&exchange)
}

#[test]
fn google_against_a_loopback_server() {
    let s = MockServer::start();
    let client = "id.apps.googleusercontent.com";
    let c = google::config_at(s.base(), client)
        .unwrap()
        .client_secret("GOCSPX-secret");
    assert_eq!(c.endpoints.token.as_deref(), Some(&s.url("/token")[..]));
    let p = OAuthProvider::oidc(c).unwrap();
    let (base, _) = authorize(&p, &[]);
    assert_eq!(base, s.url("/o/oauth2/v2/auth"));
    serve_oidc(&s, "/.well-known/openid-configuration", s.base(), "/unused");
    let claims = json!({"iss": s.base(), "aud": client, "azp": client, "sub": "1234",
                        "email": "u@gmail.com", "nonce": "n1", "iat": now(), "exp": now() + 3600});
    token_reply(&s, "/token", &keys()[0].sign(&claims));
    let t = exchange(&p, Some("n1")).unwrap();
    assert_eq!(t.identity_id.as_deref(), Some("1234"));
    let req = s.last("/token");
    assert_eq!(req.form_value("code_verifier").as_deref(), Some(VERIFIER));
    assert!(req.header("Authorization").is_some(), "client_secret_basic");
    assert_eq!(s.count("/unused"), 0, "the preset's token endpoint wins");

    // Google documents iss as https://accounts.google.com or accounts.google.com
    let bare = s.base().trim_start_matches("http://").to_owned();
    let claims =
        json!({"iss": bare, "aud": client, "sub": "1234", "iat": now(), "exp": now() + 3600});
    token_reply(&s, "/token", &keys()[0].sign(&claims));
    let t = exchange(&p, None).expect("the scheme-less Google issuer is accepted");
    assert_eq!(t.identity_id.as_deref(), Some("1234"));
    // ... but only for Google
    let generic = OAuthProvider::oidc(OidcConfig::new(s.base(), client)).unwrap();
    let e = generic
        .validate_id_token(t.id_token.as_ref().unwrap().expose(), None, None)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::IdToken);

    // userinfo and revocation go to the preset's endpoints
    s.json("/v1/userinfo", 200, &json!({"sub": "1234"}));
    assert_eq!(
        p.get_userinfo(&UserinfoRequest::new("at-1"))
            .unwrap()
            .unwrap()
            .sub
            .as_deref(),
        Some("1234")
    );
    s.route("/revoke", Reply::status(200));
    assert!(p
        .revoke_token(&TokenRevocation::new("at-1").hint(TokenTypeHint::AccessToken))
        .unwrap());
    assert_eq!(
        s.last("/revoke").form_value("token").as_deref(),
        Some("at-1")
    );
}

// ------------------------------------------------------------- Microsoft

#[test]
fn microsoft_builds_its_urls() {
    let c = microsoft::config(microsoft::DEFAULT_TENANT, "app-id").unwrap();
    assert_eq!(
        c.issuer, "https://login.microsoftonline.com/common/v2.0",
        "default tenant is common"
    );
    assert_eq!(
        c.endpoints.userinfo.as_deref(),
        Some("https://graph.microsoft.com/oidc/userinfo")
    );
    assert_eq!(
        c.endpoints.token.as_deref(),
        Some("https://login.microsoftonline.com/common/oauth2/v2.0/token")
    );
    let p = OAuthProvider::oidc(c).unwrap();
    assert_eq!(p.name(), "microsoft");
    let (base, params) = authorize(&p, &[]);
    assert_eq!(
        base,
        "https://login.microsoftonline.com/common/oauth2/v2.0/authorize"
    );
    assert_common_params(&params, "app-id");
    assert_eq!(params["scope"], "openid email profile offline_access");

    let tenant = "0a1b2c3d-0000-4000-8000-0123456789ab";
    let c = microsoft::config(tenant, "app-id").unwrap();
    assert_eq!(
        c.issuer,
        format!("https://login.microsoftonline.com/{tenant}/v2.0")
    );
    for bad in ["", "../evil", "a/b", "x?y=1", "a#b", "ten ant"] {
        let e = microsoft::config(bad, "app-id").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(e.to_string().contains(&format!("'{bad}'")), "{e}");
    }
}

const TID_A: &str = "aaaaaaaa-1111-4111-8111-aaaaaaaaaaaa";
const TID_B: &str = "bbbbbbbb-2222-4222-8222-bbbbbbbbbbbb";
const CONSUMERS: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";

/// A Microsoft-like loopback server for `tenant` whose discovery says
/// `issuer`; returns the preset provider.
fn microsoft_at(s: &MockServer, tenant: Option<&str>, issuer: &str) -> OAuthProvider {
    let seg = tenant.unwrap_or("common");
    serve_oidc(
        s,
        &format!("/{seg}/v2.0/.well-known/openid-configuration"),
        issuer,
        "/unused",
    );
    let c = microsoft::config_at(s.base(), seg, "app-id").unwrap();
    assert_eq!(c.issuer, format!("{}/{seg}/v2.0", s.base()));
    assert_eq!(
        c.endpoints.token.as_deref(),
        Some(&s.url(&format!("/{seg}/oauth2/v2.0/token"))[..])
    );
    assert_eq!(
        c.endpoints.userinfo.as_deref(),
        Some(&s.url("/oidc/userinfo")[..])
    );
    OAuthProvider::oidc(c).unwrap()
}

fn ms_token(s: &MockServer, iss_tenant: &str, tid: Option<&str>) -> String {
    let mut c = json!({"iss": format!("{}/{iss_tenant}/v2.0", s.base()), "aud": "app-id",
                       "sub": "s-1", "oid": "o-1", "iat": now(), "exp": now() + 3600});
    if let Some(t) = tid {
        c["tid"] = json!(t);
    }
    keys()[0].sign(&c)
}

#[test]
fn microsoft_multi_tenant_issuer_validation() {
    let s = MockServer::start();
    let template = format!("{}/{{tenantid}}/v2.0", s.base());
    let p = microsoft_at(&s, None, &template);
    // any tenant, when iss names the token's own tid
    for tid in [TID_A, TID_B, CONSUMERS] {
        p.validate_id_token(&ms_token(&s, tid, Some(tid)), None, None)
            .unwrap_or_else(|e| panic!("{tid}: {e}"));
    }
    // iss and tid disagree, tid missing, or another host
    for t in [
        ms_token(&s, TID_A, Some(TID_B)),
        ms_token(&s, TID_A, None),
        ms_token(&s, "{tenantid}", Some(TID_A)),
    ] {
        let e = p.validate_id_token(&t, None, None).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::IdToken, "{e}");
        assert!(e.to_string().contains("issuer"), "{e}");
    }
    let evil = keys()[0].sign(
        &json!({"iss": format!("https://evil.example/{TID_A}/v2.0"), "tid": TID_A,
        "aud": "app-id", "sub": "s", "iat": now(), "exp": now() + 60}),
    );
    assert!(p.validate_id_token(&evil, None, None).is_err());

    // the code exchange posts to the tenant's token endpoint
    token_reply(
        &s,
        "/common/oauth2/v2.0/token",
        &ms_token(&s, TID_A, Some(TID_A)),
    );
    let t = exchange(&p, None).unwrap();
    assert_eq!(t.identity_id.as_deref(), Some("s-1"));

    // RFC 9207: the callback names the user's tenant
    p.check_authorization_response_iss(Some(&format!("{}/{TID_A}/v2.0", s.base())))
        .unwrap();
    assert!(p
        .check_authorization_response_iss(Some("https://evil.example/x/v2.0"))
        .is_err());

    // no revocation endpoint: false
    assert!(!p.revoke_token(&TokenRevocation::new("at")).unwrap());
}

#[test]
fn microsoft_organizations_and_consumers() {
    let s = MockServer::start();
    let template = format!("{}/{{tenantid}}/v2.0", s.base());
    let orgs = microsoft_at(&s, Some("organizations"), &template);
    orgs.validate_id_token(&ms_token(&s, TID_A, Some(TID_A)), None, None)
        .unwrap();

    // consumers with a template: only the consumer tenant is accepted
    let s = MockServer::start();
    let template = format!("{}/{{tenantid}}/v2.0", s.base());
    let p = microsoft_at(&s, Some("consumers"), &template);
    p.validate_id_token(&ms_token(&s, CONSUMERS, Some(CONSUMERS)), None, None)
        .unwrap();
    let e = p
        .validate_id_token(&ms_token(&s, TID_A, Some(TID_A)), None, None)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::IdToken);

    // consumers as Microsoft really answers: discovery names the consumer
    // tenant's id as the issuer
    let s = MockServer::start();
    let p = microsoft_at(
        &s,
        Some("consumers"),
        &format!("{}/{CONSUMERS}/v2.0", s.base()),
    );
    p.validate_id_token(&ms_token(&s, CONSUMERS, Some(CONSUMERS)), None, None)
        .expect("consumers discovery issuer is the consumer tenant id");
    assert!(p
        .validate_id_token(&ms_token(&s, TID_A, Some(TID_A)), None, None)
        .is_err());
    p.check_authorization_response_iss(Some(&format!("{}/{CONSUMERS}/v2.0", s.base())))
        .unwrap();
}

#[test]
fn microsoft_single_tenant_by_id_and_by_domain() {
    // by tenant id: exact issuer
    let s = MockServer::start();
    let p = microsoft_at(&s, Some(TID_A), &format!("{}/{TID_A}/v2.0", s.base()));
    p.validate_id_token(&ms_token(&s, TID_A, Some(TID_A)), None, None)
        .unwrap();
    let e = p
        .validate_id_token(&ms_token(&s, TID_B, Some(TID_B)), None, None)
        .unwrap_err();
    assert!(e.to_string().contains("issuer"), "{e}");

    // by domain: discovery answers with the tenant's id
    let s = MockServer::start();
    let p = microsoft_at(
        &s,
        Some("contoso.onmicrosoft.com"),
        &format!("{}/{TID_A}/v2.0", s.base()),
    );
    p.validate_id_token(&ms_token(&s, TID_A, Some(TID_A)), None, None)
        .expect("a tenant named by domain");
    assert!(p
        .validate_id_token(&ms_token(&s, TID_B, Some(TID_B)), None, None)
        .is_err());

    // but a discovery document naming another host or shape is refused
    for wrong in [
        format!("https://evil.example/{TID_A}/v2.0"),
        format!("{}/{TID_A}/v1.0", "http://127.0.0.1:1"),
        format!("{}/not-a-tenant-id/v2.0", "http://127.0.0.1:1"),
    ] {
        let s = MockServer::start();
        let p = microsoft_at(&s, Some("contoso.onmicrosoft.com"), &wrong);
        let e = p.discover().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Authentication, "{wrong}: {e}");
    }
    let s = MockServer::start();
    let p = microsoft_at(
        &s,
        Some("contoso.onmicrosoft.com"),
        &format!("{}/not-a-guid/v2.0", s.base()),
    );
    assert_eq!(p.discover().unwrap_err().kind(), ErrorKind::Authentication);
}

// ---------------------------------------------------------------- GitHub

#[test]
fn github_builds_its_urls() {
    let c = github::config("Iv1.abc").unwrap();
    assert_eq!(c.token_url, "https://github.com/login/oauth/access_token");
    assert_eq!(
        c.userinfo_url.as_deref(),
        Some("https://api.github.com/user")
    );
    assert_eq!(
        c.revocation_url.as_deref(),
        Some("https://api.github.com/applications/Iv1.abc/token")
    );
    let p = OAuthProvider::oauth2(c).unwrap();
    assert_eq!(p.name(), "github");
    assert_eq!(p.issuer(), None);
    let (base, params) = authorize(&p, &[]);
    assert_eq!(base, "https://github.com/login/oauth/authorize");
    assert_common_params(&params, "Iv1.abc");
    assert_eq!(params["scope"], "read:user user:email");
    // the client id is a path segment, escaped
    let c = github::config("a/b?c").unwrap();
    assert_eq!(
        c.revocation_url.as_deref(),
        Some("https://api.github.com/applications/a%2Fb%3Fc/token")
    );
}

#[test]
fn github_against_a_loopback_server() {
    let s = MockServer::start();
    let c = github::config_at(s.base(), "Iv1.abc")
        .unwrap()
        .client_secret("gh-secret");
    let p = OAuthProvider::oauth2(c).unwrap();

    // code exchange: form post with the secret, Accept: application/json,
    // comma-separated scopes in the answer
    s.json(
        "/login/oauth/access_token",
        200,
        &json!({"access_token": "gho_abc", "token_type": "bearer", "scope": "read:user,user:email"}),
    );
    let t = exchange(&p, None).unwrap();
    assert_eq!(t.access_token.expose(), "gho_abc");
    assert_eq!(t.scopes, ["read:user", "user:email"]);
    assert!(t.has_scope("user:email"));
    let req = s.last("/login/oauth/access_token");
    assert_eq!(req.method, "POST");
    assert_eq!(req.header("Accept").as_deref(), Some("application/json"));
    assert_eq!(req.form_value("client_id").as_deref(), Some("Iv1.abc"));
    assert_eq!(
        req.form_value("client_secret").as_deref(),
        Some("gh-secret")
    );
    assert_eq!(req.form_value("code").as_deref(), Some("code-1"));
    assert_eq!(req.form_value("code_verifier").as_deref(), Some(VERIFIER));
    assert_eq!(req.header("Authorization"), None);

    // GitHub reports errors with HTTP 200
    s.json(
        "/login/oauth/access_token",
        200,
        &json!({"error": "bad_verification_code", "error_description": "The code passed is incorrect or expired."}),
    );
    let e = exchange(&p, None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OAuth);
    assert!(e.to_string().contains("bad_verification_code"), "{e}");
    assert!(!e.to_string().contains("gh-secret"));

    // user info from the API's user endpoint
    s.json("/user", 200, &json!({"login": "octocat", "id": 1}));
    let u = p
        .get_userinfo(&UserinfoRequest::new("gho_abc"))
        .unwrap()
        .unwrap();
    assert_eq!(u.extra["login"], "octocat");
    assert_eq!(u.subject_id().as_deref(), Some("1"));
    assert_eq!(u.display_name().as_deref(), Some("octocat"));
    let req = s.last("/user");
    assert_eq!(req.method, "GET");
    assert_eq!(
        req.header("Authorization").as_deref(),
        Some("Bearer gho_abc")
    );
    assert!(req.header("User-Agent").unwrap().starts_with("oauthkit/"));

    // revocation through the Applications API with Basic auth
    let path = "/applications/Iv1.abc/token";
    s.route(path, Reply::status(204));
    assert!(p.revoke_token(&TokenRevocation::new("gho_abc")).unwrap());
    let req = s.last(path);
    assert_eq!(req.method, "DELETE");
    let basic = req.header("Authorization").unwrap();
    let decoded = String::from_utf8(
        STANDARD
            .decode(basic.strip_prefix("Basic ").unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(decoded, "Iv1.abc:gh-secret");
    assert_eq!(req.json(), json!({"access_token": "gho_abc"}));
    assert_eq!(
        req.header("Accept").as_deref(),
        Some("application/vnd.github+json")
    );
    let accepts = req
        .headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("accept"));
    assert_eq!(accepts.count(), 1, "one Accept header: {:?}", req.headers);
    assert_eq!(
        req.header("Content-Type").as_deref(),
        Some("application/json")
    );
    s.route(path, Reply::status(404));
    assert!(
        !p.revoke_token(&TokenRevocation::new("gho_abc")).unwrap(),
        "nothing to revoke"
    );
    s.json(path, 422, &json!({"message": "Validation Failed"}));
    let e = p
        .revoke_token(&TokenRevocation::new("gho_abc"))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OAuth);
    assert!(e.to_string().contains("Validation Failed"), "{e}");

    // without a secret, revocation is refused before any request
    let n = s.count(path);
    let public = OAuthProvider::oauth2(github::config_at(s.base(), "Iv1.abc").unwrap()).unwrap();
    let e = public
        .revoke_token(&TokenRevocation::new("gho_abc"))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert_eq!(s.count(path), n);
}

// -------------------------------------------------------------- settings

#[test]
fn settings_from_a_struct() {
    let g = ProviderSettings::new(ProviderKind::Google, "gid")
        .build()
        .unwrap();
    assert_eq!(g.name(), "google");
    assert_eq!(g.issuer().as_deref(), Some("https://accounts.google.com"));

    let mut s = ProviderSettings::new(ProviderKind::Microsoft, "app");
    s.tenant_id = Some("organizations".into());
    s.scopes = Some(vec!["openid".into(), "User.Read".into()]);
    let m = s.build().unwrap();
    let (base, params) = authorize(&m, &[]);
    assert_eq!(
        base,
        "https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize"
    );
    assert_eq!(params["scope"], "openid User.Read");

    let gh = ProviderSettings::new(ProviderKind::GitHub, "Iv1.x")
        .build()
        .unwrap();
    assert_eq!(gh.name(), "github");

    let mut s = ProviderSettings::new(ProviderKind::Oidc, "c");
    s.issuer_url = Some("https://idp.example".into());
    s.authorize_url = Some("https://idp.example/auth".into());
    let o = s.build().unwrap();
    let (base, _) = authorize(&o, &[]);
    assert_eq!(base, "https://idp.example/auth", "no discovery needed");

    let mut s = ProviderSettings::new(ProviderKind::Custom, "c");
    s.authorize_url = Some("https://as.example/authorize".into());
    s.token_url = Some("https://as.example/token".into());
    s.issuer_url = Some("https://as.example".into());
    let c = s.build().unwrap();
    assert_eq!(c.issuer().as_deref(), Some("https://as.example"));
}

#[track_caller]
fn assert_names(r: oauthkit::Result<OAuthProvider>, words: &[&str]) {
    let e = r.expect_err("must fail");
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    for w in words {
        assert!(e.to_string().contains(w), "should name {w}: {e}");
    }
}

#[test]
fn settings_errors_name_what_is_missing_or_wrong() {
    assert_names(
        ProviderSettings::new(ProviderKind::Google, "").build(),
        &["client_id", "OAUTHKIT_CLIENT_ID"],
    );
    assert_names(
        ProviderSettings::new(ProviderKind::Oidc, "c").build(),
        &["issuer_url", "OAUTHKIT_ISSUER_URL", "oidc"],
    );
    assert_names(
        ProviderSettings::new(ProviderKind::Custom, "c").build(),
        &["authorize_url", "OAUTHKIT_AUTHORIZE_URL"],
    );
    let mut s = ProviderSettings::new(ProviderKind::Custom, "c");
    s.authorize_url = Some("https://as.example/a".into());
    assert_names(s.build(), &["token_url", "OAUTHKIT_TOKEN_URL"]);
    s.token_url = Some("http://as.example/t".into());
    assert_names(s.build(), &["https"]);
    let mut s = ProviderSettings::new(ProviderKind::Microsoft, "c");
    s.tenant_id = Some("../x".into());
    assert_names(s.build(), &["tenant", "../x"]);
    // settings the provider would silently ignore are refused
    let mut s = ProviderSettings::new(ProviderKind::Google, "c");
    s.tenant_id = Some("t".into());
    assert_names(s.build(), &["OAUTHKIT_TENANT_ID", "google"]);
    let mut s = ProviderSettings::new(ProviderKind::GitHub, "c");
    s.token_url = Some("https://ghe.example/login/oauth/access_token".into());
    assert_names(s.build(), &["OAUTHKIT_TOKEN_URL", "github"]);
    let mut s = ProviderSettings::new(ProviderKind::Microsoft, "c");
    s.issuer_url = Some("https://login.microsoftonline.com/x/v2.0".into());
    assert_names(s.build(), &["OAUTHKIT_ISSUER_URL", "microsoft"]);
    // unknown provider names list the known ones
    let e = "pingfederate".parse::<ProviderKind>().unwrap_err();
    assert!(
        e.to_string().contains("pingfederate")
            && e.to_string()
                .contains("google, github, microsoft, oidc, custom")
    );
    assert_eq!(
        "Azure".parse::<ProviderKind>().unwrap(),
        ProviderKind::Microsoft
    );
}

/// Every test that touches the process environment takes this lock.
static ENV: Mutex<()> = Mutex::new(());

const VARS: [&str; 10] = [
    "OAUTHKIT_PROVIDER",
    "OAUTHKIT_CLIENT_ID",
    "OAUTHKIT_CLIENT_SECRET",
    "OAUTHKIT_SCOPES",
    "OAUTHKIT_ISSUER_URL",
    "OAUTHKIT_TENANT_ID",
    "OAUTHKIT_AUTHORIZE_URL",
    "OAUTHKIT_TOKEN_URL",
    "OAUTHKIT_USERINFO_URL",
    "OAUTHKIT_REVOCATION_URL",
];

fn with_env<T>(vars: &[(&str, &str)], f: impl FnOnce() -> T) -> T {
    let _guard = ENV.lock().unwrap_or_else(|p| p.into_inner());
    for v in VARS {
        std::env::remove_var(v);
    }
    for (k, v) in vars {
        std::env::set_var(k, v);
    }
    let out = f();
    for v in VARS {
        std::env::remove_var(v);
    }
    out
}

#[test]
fn settings_from_environment_variables() {
    // a complete Microsoft configuration
    let s = with_env(
        &[
            ("OAUTHKIT_PROVIDER", "microsoft"),
            ("OAUTHKIT_CLIENT_ID", "app-id"),
            ("OAUTHKIT_CLIENT_SECRET", "env-secret"),
            ("OAUTHKIT_TENANT_ID", TID_A),
            ("OAUTHKIT_SCOPES", "openid, offline_access  User.Read"),
        ],
        ProviderSettings::from_env,
    )
    .unwrap();
    assert_eq!(s.provider, ProviderKind::Microsoft);
    assert_eq!(s.client_id, "app-id");
    assert_eq!(s.client_secret.as_ref().unwrap().expose(), "env-secret");
    assert_eq!(
        s.scopes.as_deref().unwrap(),
        ["openid", "offline_access", "User.Read"]
    );
    assert!(!format!("{s:?}").contains("env-secret"), "secret in Debug");
    let p = s.build().unwrap();
    assert_eq!(
        p.issuer().unwrap(),
        format!("https://login.microsoftonline.com/{TID_A}/v2.0")
    );

    // oidc with endpoint overrides
    let s = with_env(
        &[
            ("OAUTHKIT_PROVIDER", "OIDC"),
            ("OAUTHKIT_CLIENT_ID", "c"),
            ("OAUTHKIT_ISSUER_URL", "https://idp.example"),
            ("OAUTHKIT_AUTHORIZE_URL", "https://idp.example/authorize"),
            ("OAUTHKIT_CLIENT_SECRET", ""),
        ],
        ProviderSettings::from_env,
    )
    .unwrap();
    assert_eq!(s.client_secret, None, "empty counts as unset");
    let (base, _) = authorize(&s.build().unwrap(), &[]);
    assert_eq!(base, "https://idp.example/authorize");

    // missing and unknown values are named
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str]);
    let cases: [Case; 5] = [
        (&[], &["OAUTHKIT_PROVIDER", "google"]),
        (
            &[
                ("OAUTHKIT_PROVIDER", "pingfederate"),
                ("OAUTHKIT_CLIENT_ID", "c"),
            ],
            &["pingfederate", "OAUTHKIT_PROVIDER"],
        ),
        (&[("OAUTHKIT_PROVIDER", "google")], &["OAUTHKIT_CLIENT_ID"]),
        (
            &[
                ("OAUTHKIT_PROVIDER", "google"),
                ("OAUTHKIT_CLIENT_ID", "   "),
            ],
            &["OAUTHKIT_CLIENT_ID"],
        ),
        (
            &[("OAUTHKIT_PROVIDER", "  "), ("OAUTHKIT_CLIENT_ID", "c")],
            &["OAUTHKIT_PROVIDER"],
        ),
    ];
    for (vars, words) in cases {
        let e = with_env(vars, ProviderSettings::from_env).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        for w in words {
            assert!(e.to_string().contains(w), "{vars:?}: should name {w}: {e}");
        }
    }
    let e = with_env(
        &[("OAUTHKIT_PROVIDER", "oidc"), ("OAUTHKIT_CLIENT_ID", "c")],
        || ProviderSettings::from_env().unwrap().build().map(|_| ()),
    )
    .unwrap_err();
    assert!(e.to_string().contains("OAUTHKIT_ISSUER_URL"), "{e}");
    let e = with_env(
        &[
            ("OAUTHKIT_PROVIDER", "github"),
            ("OAUTHKIT_CLIENT_ID", "c"),
            ("OAUTHKIT_CLIENT_SECRET", "very-secret"),
            ("OAUTHKIT_TENANT_ID", "x"),
        ],
        || ProviderSettings::from_env().unwrap().build().map(|_| ()),
    )
    .unwrap_err();
    assert!(e.to_string().contains("OAUTHKIT_TENANT_ID"), "{e}");
    assert!(!e.to_string().contains("very-secret"));
}

#[test]
fn userinfo_of_value_type() {
    // the trait's userinfo is a JSON object, or Null without an endpoint
    let s = MockServer::start();
    let mut c = oauthkit::provider::OAuth2Config::new("x", "c", s.url("/a"), s.url("/t"));
    c.userinfo_url = None;
    let p = OAuthProvider::oauth2(c).unwrap();
    assert_eq!(p.get_userinfo(&UserinfoRequest::new("at")).unwrap(), None);
}
