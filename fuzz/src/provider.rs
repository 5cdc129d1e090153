//! What authorization servers send back: token and error responses,
//! discovery documents, JWKS.

use std::cell::RefCell;
use std::sync::OnceLock;

use oauthkit::unversioned::provider::Algorithm;
use serde_json::Value;

use super::loopback::{self, Canned};
use super::{assert_no_secret, check_debug_redacts, thread_tag};
use oauthkit::provider::OidcConfig;
use oauthkit::provider::{
    microsoft, AuthorizeRequest, CodeExchange, Provider, TokenRefresh, TokenRevocation,
    TokenTypeHint, UserinfoRequest,
};
use oauthkit::provider::{OAuth2Config, OAuthProvider};
use oauthkit::unversioned::now_unix;
use oauthkit::unversioned::provider::http::{HttpClient, HttpConfig, HttpResponse};
use oauthkit::unversioned::provider::jwks::JwksCache;
use oauthkit::unversioned::provider::token_response::parse_token_response;
use oauthkit::TokenSet;

/// The secrets the token-endpoint harness holds; none may reach an error.
pub(crate) const CLIENT_SECRET: &str = "cs-Fz9QwErTy8Uio";
pub(crate) const CODE: &str = "code-Kx81mZpQ2Wd";
pub(crate) const VERIFIER: &str = "pkce-Vr4Hn8Jm2Qs6Tb0Yc3Lk7Gd1Zx5Wp9Ef-ab12cd";
pub(crate) const REFRESH_TOKEN: &str = "rt-Lm5Np0Qr3StU";
pub(crate) const ACCESS_TOKEN: &str = "at-Vb7Cx2Zs4DfG";

const STATUSES: [u16; 12] = [200, 200, 201, 400, 401, 403, 500, 503, 302, 301, 204, 429];
const CONTENT_TYPES: [Option<&str>; 4] = [
    Some("application/json"),
    Some("application/json; charset=utf-8"),
    Some("text/html"),
    None,
];

/// Input: a status byte, a content-type byte, then the body; for a 3xx
/// status the body's first line is the `Location` header.
fn canned(data: &[u8]) -> Canned {
    let status = STATUSES[usize::from(data.first().copied().unwrap_or(0)) % STATUSES.len()];
    let ct = CONTENT_TYPES[usize::from(data.get(1).copied().unwrap_or(0)) % CONTENT_TYPES.len()];
    let body = data.get(2..).unwrap_or_default();
    let (location, body) = if (300..400).contains(&status) {
        let (l, b) = match body.iter().position(|b| *b == b'\n') {
            Some(i) => (&body[..i], &body[i + 1..]),
            None => (body, &[][..]),
        };
        (Some(String::from_utf8_lossy(l).into_owned()), b)
    } else {
        (None, body)
    };
    Canned {
        status,
        content_type: ct.map(str::to_owned),
        location,
        body: body.to_vec(),
    }
}

/// What every token set from a token endpoint must satisfy.
fn check_token_set(t: &TokenSet, received_after: i64) {
    assert!(!t.access_token.is_empty(), "empty access token accepted");
    assert!(
        t.issued_at >= received_after,
        "issued_at before the response"
    );
    if let Some(at) = t.expires_at {
        assert!(at >= t.issued_at, "expires before it was issued");
    }
    for k in ["access_token", "refresh_token", "id_token"] {
        assert!(!t.extra.contains_key(k), "{k} repeated in extra");
    }
    check_debug_redacts(t);
}

/// `parse_token_response` on a body with any status.
pub fn token_response(data: &[u8]) {
    let c = canned(data);
    let response = HttpResponse {
        status: c.status,
        content_type: c.content_type,
        www_authenticate: None,
        dpop_nonce: None,
        body: c.body,
    };
    let before = now_unix();
    let requested = ["openid".to_owned(), "email".to_owned()];
    match parse_token_response("token", &response, &requested) {
        Ok(t) => {
            assert!(response.is_success(), "a token set from HTTP {}", c.status);
            check_token_set(&t, before);
        }
        Err(e) => {
            // Tokens in an error response are never quoted back.
            let body: Value = serde_json::from_slice(&response.body).unwrap_or_default();
            let tokens: Vec<&str> = ["access_token", "refresh_token", "id_token"]
                .iter()
                .filter_map(|k| body.get(k).and_then(Value::as_str))
                .filter(|t| {
                    ["error", "error_description"].iter().all(|f| {
                        body.get(f)
                            .and_then(Value::as_str)
                            .is_none_or(|s| !s.contains(t))
                    })
                })
                .collect();
            assert_no_secret("token response error", &e.to_string(), &tokens);
        }
    }
}

thread_local! {
    static OAUTH2: RefCell<Option<(String, OAuthProvider)>> = const { RefCell::new(None) };
}

/// The token, refresh, revocation and userinfo calls of an OAuth 2.0
/// provider holding a client secret, against an endpoint answering with
/// the fuzz input: no error may contain a secret the library holds
/// (client secret, code, PKCE verifier, refresh and access tokens).
pub fn token_endpoint(data: &[u8]) {
    let server = loopback::server();
    let path = format!("/{}/token", thread_tag());
    server.set(&path, canned(data));
    OAUTH2.with(|cell| {
        let mut cell = cell.borrow_mut();
        let (_, provider) = cell.get_or_insert_with(|| {
            let url = format!("{}{path}", server.base());
            let mut c =
                OAuth2Config::new("fuzz", "client-1", "https://idp.example/authorize", &url)
                    .client_secret(CLIENT_SECRET);
            c.userinfo_url = Some(url.clone());
            c.revocation_url = Some(url.clone());
            (url, OAuthProvider::oauth2(c).expect("a valid config"))
        });
        // What the library holds at each call: the client secret and the
        // call's own secrets.
        let check_err = |what: &str, e: &oauthkit::Error, held: &[&str]| {
            assert_no_secret(what, &e.to_string(), held);
            assert_no_secret(what, &format!("{e:?}"), held);
        };
        let before = now_unix();
        match provider.exchange_code(
            &CodeExchange::new(CODE, "http://127.0.0.1:1/callback").pkce_verifier(VERIFIER),
        ) {
            Ok(t) => check_token_set(&t, before),
            Err(e) => check_err("token error", &e, &[CLIENT_SECRET, CODE, VERIFIER]),
        }
        match provider.refresh_tokens(&TokenRefresh::new(REFRESH_TOKEN)) {
            Ok(t) => check_token_set(&t, before),
            Err(e) => check_err("refresh error", &e, &[CLIENT_SECRET, REFRESH_TOKEN]),
        }
        if let Err(e) = provider
            .revoke_token(&TokenRevocation::new(REFRESH_TOKEN).hint(TokenTypeHint::RefreshToken))
        {
            check_err("revocation error", &e, &[CLIENT_SECRET, REFRESH_TOKEN]);
        }
        if let Err(e) = provider.get_userinfo(&UserinfoRequest::new(ACCESS_TOKEN)) {
            check_err("userinfo error", &e, &[CLIENT_SECRET, ACCESS_TOKEN]);
        }
    });
}

/// Discovery of an OIDC provider whose metadata document is the fuzz
/// input: `{issuer}` in it stands for the configured issuer, `{base}` for
/// the server's base URL. The first byte's low bit picks a Microsoft
/// multi-tenant configuration (`organizations`) over a plain issuer.
pub fn discovery(data: &[u8]) {
    let server = loopback::server();
    let tag = thread_tag();
    let microsoft = data.first().is_some_and(|b| b & 1 == 1);
    let base = format!("{}/{tag}/d", server.base());
    let mut config = if microsoft {
        microsoft::config_at(&base, "organizations", "client-1").expect("a valid tenant")
    } else {
        OidcConfig::new(&base, "client-1")
    };
    config.client_secret = Some(CLIENT_SECRET.into());
    let issuer = config.issuer.clone();
    let body = String::from_utf8_lossy(data.get(1..).unwrap_or_default())
        .replace("{issuer}", &issuer)
        .replace("{base}", &base);
    let path = format!(
        "{}/.well-known/openid-configuration",
        issuer
            .strip_prefix(server.base())
            .expect("a loopback issuer")
    );
    server.set(&path, Canned::json(body));
    let provider = OAuthProvider::oidc(config).expect("a valid config");
    match provider.discover() {
        Ok(metadata) => {
            if !microsoft {
                assert_eq!(metadata.issuer, issuer, "a foreign issuer was accepted");
            }
            let _ = provider.requires_iss_in_response();
            let _ = provider.check_authorization_response_iss(Some(&metadata.issuer));
            let _ = provider.check_authorization_response_iss(None);
            if let Ok(url) = provider.build_authorize_url(&AuthorizeRequest {
                redirect_uri: "http://127.0.0.1:1/callback",
                state: "st",
                ..Default::default()
            }) {
                assert!(url.contains("state=st"), "{url}");
            }
        }
        Err(e) => {
            assert_no_secret("discovery error", &e.to_string(), &[CLIENT_SECRET]);
        }
    }
}

fn http() -> &'static HttpClient {
    static HTTP: OnceLock<HttpClient> = OnceLock::new();
    HTTP.get_or_init(|| HttpClient::new(HttpConfig::default()))
}

const ALGORITHMS: [Algorithm; 7] = [
    Algorithm::RS256,
    Algorithm::PS384,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
    Algorithm::RS512,
    Algorithm::HS256,
];

/// A JWKS document from the fuzz input: keys are looked up by each `kid`
/// it names and without one, for every algorithm family.
pub fn jwks(data: &[u8]) {
    let server = loopback::server();
    let path = format!("/{}/jwks", thread_tag());
    server.set(&path, Canned::json(data));
    let cache = JwksCache::new(http().clone(), format!("{}{path}", server.base()));
    let doc: Value = serde_json::from_slice(data).unwrap_or_default();
    let entries = doc
        .get("keys")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut kids: Vec<Option<String>> = vec![None, Some("no-such-kid".into())];
    kids.extend(
        entries
            .iter()
            .filter_map(|k| k.get("kid").and_then(Value::as_str))
            .take(4)
            .map(|k| Some(k.to_owned())),
    );
    // A document without a key array fails every lookup with a fresh fetch
    // (a failed fetch is retried by the next lookup): two lookups show
    // that; the other forty would only repeat the same HTTP round trip
    // and slow the fuzzer down twentyfold.
    let has_keys = doc.get("keys").is_some_and(Value::is_array);
    let (kids, algorithms) = if has_keys {
        (&kids[..], &ALGORITHMS[..])
    } else {
        (&kids[..1], &ALGORITHMS[..2])
    };
    for kid in kids {
        for &alg in algorithms {
            match cache.key_for(kid.as_deref(), alg) {
                Ok(_) => {
                    assert_ne!(alg, Algorithm::HS256, "a JWKS key for HMAC");
                    if let Some(kid) = kid {
                        assert!(
                            entries
                                .iter()
                                .any(|e| e.get("kid").and_then(Value::as_str) == Some(kid)),
                            "a key for kid {kid:?}, which the JWKS does not name"
                        );
                    }
                }
                Err(e) => {
                    let m = e.to_string();
                    assert!(m.len() < 2000, "a {} byte error message", m.len());
                }
            }
        }
    }
    // A key set that was fetched is reused: at most the first fetch and
    // one refetch for unknown kids (a failed fetch is retried by the next
    // lookup, so the bound holds only for a valid document).
    if doc.get("keys").is_some_and(Value::is_array) {
        assert!(
            cache.fetch_count() <= 2,
            "{} JWKS fetches",
            cache.fetch_count()
        );
    }
}
