//! No secret in any error, whatever the provider sends (issue 10, item 1).
//!
//! A hostile loopback provider echoes every secret the library holds (the
//! client secret, the code, the PKCE verifier, the refresh and access
//! tokens, and the tokens of its own response) in every field it controls:
//! `error`, `error_description`, `error_uri`, GitHub's `message`,
//! non-JSON bodies, `Content-Type`, `WWW-Authenticate`, redirect
//! `Location` (path, query and fragment), `token_type`, discovery's
//! `issuer` and ID-token claims and headers; raw, in other letter cases,
//! percent-encoded, base64/base64url, hex, with invisible characters
//! inside, and split across fields. For every request kind (token, refresh,
//! revocation, GitHub revocation, userinfo, device authorization, token
//! exchange with its subject and actor tokens, discovery, JWKS) and every
//! such answer, the error's Display, Debug and `source()` chain must not
//! contain any secret the library holds at that call site (a refresh does
//! not know the code of the sign-in), nor a run of 10 characters from one.

use crate::support::log_capture;
use crate::support::mock_http;
use crate::support::test_jwt;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use oauthkit::provider::github;
use oauthkit::provider::{
    ClientAuthMethod, GrantRequest, OAuth2Config, OAuthProvider, OidcConfig, Provider,
    TokenTypeHint,
};
use oauthkit::provider::{CodeExchange, TokenRefresh, TokenRevocation, UserinfoRequest};
use oauthkit::unversioned::provider::token_exchange::token_types;
use oauthkit::Error;
use serde_json::{json, Value};

use mock_http::{MockServer, Reply};
use test_jwt::{claims, discovery, jwks, keys};

const CLIENT: &str = "client-1";
const CLIENT_SECRET: &str = "cs_Zq8vX2mK7pL4nR9tW3yB6";
const CODE: &str = "code_H5jD2sF8gA1kQ7wE4rT9";
const VERIFIER: &str = "verifier_Uo3iP6aS9dF2gH5jK8lZ1xC4vB7nM0qW3eR6tY";
const REFRESH: &str = "rt_Np4mQ8vL2cX6zB9sD3fG7";
const ACCESS: &str = "at_Yw5eR1tU7iO3pA9sD6fG2";
/// The access token the hostile token endpoint itself issues.
const ISSUED: &str = "issued_Kj3hG7fD1sA5qW9eR2t";
const REDIRECT: &str = "http://127.0.0.1:1/callback";
/// The subject and actor tokens of a token exchange (RFC 8693).
const SUBJECT: &str = "subject_Lm4nB8vC2xZ6aS1dF9g";
const ACTOR: &str = "actor_Qe7rT3yU9iO1pL5kJ2h";

const SECRETS: &[&str] = &[
    CLIENT_SECRET,
    CODE,
    VERIFIER,
    REFRESH,
    ACCESS,
    ISSUED,
    SUBJECT,
    ACTOR,
];

/// Every way a value can be echoed.
fn echoes(s: &str) -> Vec<String> {
    let interleaved: String = s.chars().flat_map(|c| [c, '\u{200B}']).collect::<String>();
    vec![
        s.to_owned(),
        s.to_uppercase(),
        s.to_lowercase(),
        url::form_urlencoded::byte_serialize(s.as_bytes()).collect(),
        s.bytes().map(|b| format!("%{b:02X}")).collect(),
        URL_SAFE_NO_PAD.encode(s),
        STANDARD.encode(s),
        STANDARD.encode(format!("{CLIENT}:{s}")),
        s.bytes().map(|b| format!("{b:02x}")).collect(),
        interleaved,
        format!("\u{1b}[2J{s}\r\n{s}"),
    ]
}

/// All secrets in all forms, in one text.
fn everything() -> String {
    SECRETS
        .iter()
        .flat_map(|s| echoes(s))
        .collect::<Vec<_>>()
        .join(" | ")
}

/// Display, Debug and the `source()` chain.
fn full_text(e: &Error) -> String {
    let mut s = format!("{e}\n{e:?}\n{e:#?}");
    let mut src = std::error::Error::source(e);
    while let Some(inner) = src {
        s.push_str(&format!("\n{inner}\n{inner:?}"));
        src = inner.source();
    }
    s
}

#[track_caller]
fn assert_no_secret(e: &Error, held: &[&str], what: &str) {
    // What oauthkit logged (discovery, JWKS) so far, in any test of this
    // binary: no secret of any test may be in it.
    let text = format!("{}\n{}", full_text(e), log_capture::oauthkit_records());
    let lower = text.to_lowercase();
    for s in held {
        let forms = [
            s.to_string(),
            URL_SAFE_NO_PAD.encode(s),
            STANDARD.encode(s).trim_end_matches('=').to_owned(),
        ];
        for f in forms {
            assert!(
                !lower.contains(&f.to_lowercase()),
                "{what}: the error shows a secret ({s}): {text}"
            );
        }
        let chars: Vec<char> = s.to_lowercase().chars().collect();
        for w in chars.windows(10) {
            let w: String = w.iter().collect();
            assert!(
                !lower.contains(&w),
                "{what}: the error shows part '{w}' of a secret: {text}"
            );
        }
    }
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{200B}'),
        "{what}: control or invisible characters kept: {text:?}"
    );
    assert!(
        log_capture::oauthkit_records()
            .chars()
            .all(|c| c == '\n' || !c.is_control()),
        "{what}: control characters in the log"
    );
    assert!(
        format!("{e}").chars().count() < 4000,
        "{what}: unbounded message"
    );
}

/// The hostile answers a JSON endpoint can give, each with a label.
fn hostile_replies(server: &MockServer) -> Vec<(String, Reply)> {
    let all = everything();
    let mut out = Vec::new();
    for s in SECRETS {
        for (i, x) in echoes(s).into_iter().enumerate() {
            out.push((
                format!("error body echoing {s} (form {i})"),
                Reply::json(
                    400,
                    &json!({"error": x, "error_description": x, "error_uri": x, "message": x}),
                ),
            ));
        }
        let (a, b) = s.split_at(s.len() / 2);
        out.push((
            format!("{s} split across error and error_description"),
            Reply::json(
                400,
                &json!({"error": a, "error_description": b, "message": a}),
            ),
        ));
        out.push((
            format!("registered error code, {s} in the description"),
            Reply::json(
                400,
                &json!({"error": "invalid_grant", "error_description": format!("bad: {s}")}),
            ),
        ));
    }
    out.push((
        "every secret in a 200 error body".into(),
        Reply::json(200, &json!({"error": all, "error_description": all})),
    ));
    out.push((
        "non-JSON 500 with every secret in body and Content-Type".into(),
        Reply::Raw {
            status: 500,
            headers: vec![(
                "Content-Type".into(),
                format!("text/plain; {}", SECRETS.join(";")),
            )],
            body: all.as_bytes().to_vec(),
            chunked: false,
        },
    ));
    out.push((
        "non-JSON 200".into(),
        Reply::Raw {
            status: 200,
            headers: vec![("Content-Type".into(), format!("text/html; x={ACCESS}"))],
            body: all.as_bytes().to_vec(),
            chunked: false,
        },
    ));
    out.push((
        "401 with WWW-Authenticate echoing secrets".into(),
        Reply::Raw {
            status: 401,
            headers: vec![(
                "WWW-Authenticate".into(),
                format!(
                    "Bearer realm=\"{CLIENT_SECRET}\", error=\"{ACCESS}\", error_description=\"{}\"",
                    SECRETS.join(" ")
                ),
            )],
            body: Vec::new(),
            chunked: false,
        },
    ));
    for s in SECRETS {
        for location in [
            format!("https://evil.example/{s}?q={s}#{s}"),
            format!("/cb/{s}?token={s}#frag={s}"),
            format!("https://{s}@evil.example/?{s}"),
            format!("{s}?{s}"),
            format!("https://evil.example/{}", URL_SAFE_NO_PAD.encode(s)),
        ] {
            out.push((
                format!("302 to {location}"),
                Reply::redirect(302, &location),
            ));
        }
    }
    let _ = server;
    out
}

fn oidc_doc(server: &MockServer) -> Value {
    let mut d = discovery(server.base());
    d["revocation_endpoint"] = json!(server.url("/revoke"));
    d["device_authorization_endpoint"] = json!(server.url("/device"));
    d
}

fn oidc_provider(server: &MockServer, auth: ClientAuthMethod) -> OAuthProvider {
    let mut c = OidcConfig::new(server.base(), CLIENT).client_secret(CLIENT_SECRET);
    c.client_auth = Some(auth);
    OAuthProvider::oidc(c).expect("provider")
}

type Op = fn(&OAuthProvider) -> oauthkit::Result<()>;

/// Secrets held by a code exchange, a refresh, a revocation of `ACCESS`
/// and a userinfo call with `ACCESS`.
const HELD_EXCHANGE: &[&str] = &[CLIENT_SECRET, CODE, VERIFIER];
const HELD_REFRESH: &[&str] = &[CLIENT_SECRET, REFRESH];
const HELD_ACCESS: &[&str] = &[CLIENT_SECRET, ACCESS];
const HELD_EXCHANGE_TOKENS: &[&str] = &[CLIENT_SECRET, SUBJECT, ACTOR];

fn token_exchange(p: &OAuthProvider) -> oauthkit::Result<()> {
    p.exchange_token(
        &GrantRequest::token_exchange(SUBJECT, token_types::ACCESS_TOKEN)
            .actor_token(ACTOR, token_types::ACCESS_TOKEN)
            .audience("https://api.example"),
    )
    .map(drop)
}

fn ops() -> Vec<(&'static str, &'static str, Op, &'static [&'static str])> {
    vec![
        (
            "token",
            "/token",
            |p| {
                p.exchange_code(
                    &CodeExchange::new(CODE, REDIRECT)
                        .pkce_verifier(VERIFIER)
                        .nonce("nonce-1"),
                )
                .map(drop)
            },
            HELD_EXCHANGE,
        ),
        (
            "refresh",
            "/token",
            |p| p.refresh_tokens(&TokenRefresh::new(REFRESH)).map(drop),
            HELD_REFRESH,
        ),
        (
            "revocation",
            "/revoke",
            |p| {
                p.revoke_token(&TokenRevocation::new(ACCESS).hint(TokenTypeHint::AccessToken))
                    .map(drop)
            },
            HELD_ACCESS,
        ),
        (
            "userinfo",
            "/userinfo",
            |p| p.get_userinfo(&UserinfoRequest::new(ACCESS)).map(drop),
            HELD_ACCESS,
        ),
        (
            "device authorization",
            "/device",
            |p| {
                p.request_device_authorization(&GrantRequest::device_authorization())
                    .map(drop)
            },
            &[CLIENT_SECRET],
        ),
        (
            "token exchange",
            "/token",
            token_exchange,
            HELD_EXCHANGE_TOKENS,
        ),
    ]
}

#[test]
fn token_refresh_revocation_and_userinfo_errors_never_show_a_secret() {
    log_capture::install();
    let server = MockServer::start();
    server.json("/.well-known/openid-configuration", 200, &oidc_doc(&server));
    server.json("/jwks", 200, &jwks(&[&keys()[0]]));
    let replies = hostile_replies(&server);
    let mut checked = 0;
    for auth in [
        ClientAuthMethod::ClientSecretBasic,
        ClientAuthMethod::ClientSecretPost,
    ] {
        let p = oidc_provider(&server, auth);
        for (kind, path, op, held) in ops() {
            for (label, reply) in &replies {
                server.route(path, reply.clone());
                // a revocation answered 2xx succeeded, whatever the body
                if let Err(e) = op(&p) {
                    assert_no_secret(&e, held, &format!("{kind} ({auth:?}): {label}"));
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 300, "{checked}");
}

#[test]
fn token_responses_echoing_secrets_in_token_type_or_other_members_are_scrubbed() {
    log_capture::install();
    let server = MockServer::start();
    server.json("/.well-known/openid-configuration", 200, &oidc_doc(&server));
    server.json("/jwks", 200, &jwks(&[&keys()[0]]));
    let p = oidc_provider(&server, ClientAuthMethod::ClientSecretPost);
    let mut exchange_errors = 0;
    for s in SECRETS {
        for x in echoes(s) {
            for body in [
                json!({"access_token": ISSUED, "token_type": x, "refresh_token": s}),
                json!({"access_token": ISSUED, "token_type": "Bearer", "id_token": x}),
                json!({"access_token": x, "token_type": x}),
            ] {
                server.json("/token", 200, &body);
                let e = p
                    .exchange_code(&CodeExchange::new(CODE, REDIRECT).pkce_verifier(VERIFIER))
                    .expect_err("hostile token response");
                let held = [HELD_EXCHANGE, &[ISSUED, s]].concat();
                assert_no_secret(&e, &held, &format!("token response {body}"));
                let e = p
                    .refresh_tokens(&TokenRefresh::new(REFRESH))
                    .expect_err("hostile refresh");
                let held = [HELD_REFRESH, &[ISSUED, s]].concat();
                assert_no_secret(&e, &held, &format!("refresh response {body}"));
                let mut body = body;
                body["issued_token_type"] = json!(token_types::ACCESS_TOKEN);
                server.json("/token", 200, &body);
                // an exchange validates no ID token: only the hostile
                // token_type bodies fail, and an ID token outside VSCHAR
                // (RFC 6749 A.12-style check, issue 21)
                match token_exchange(&p) {
                    Err(e) => {
                        let held = [HELD_EXCHANGE_TOKENS, &[ISSUED, s]].concat();
                        assert_no_secret(&e, &held, &format!("token exchange response {body}"));
                        exchange_errors += 1;
                    }
                    Ok(()) => assert_eq!(body["token_type"], "Bearer", "{body}"),
                }
            }
        }
    }
    // two hostile token_type bodies per echo, and the ID-token body of each
    // echo that is not VSCHAR (invisible characters, escape sequences)
    let not_vschar = echoes("x")
        .iter()
        .filter(|e| !oauthkit::unversioned::token_chars::is_vschar(e))
        .count();
    assert_eq!(
        exchange_errors,
        SECRETS.len() * (echoes("x").len() * 2 + not_vschar)
    );
}

#[test]
fn id_token_claims_and_headers_echoing_secrets_are_scrubbed() {
    log_capture::install();
    let server = MockServer::start();
    server.json("/.well-known/openid-configuration", 200, &oidc_doc(&server));
    server.json("/jwks", 200, &jwks(&[&keys()[0]]));
    let p = oidc_provider(&server, ClientAuthMethod::ClientSecretBasic);
    let key = &keys()[0];
    let good = claims(server.base(), CLIENT);
    for s in SECRETS {
        for x in echoes(s) {
            let mut tokens = Vec::new();
            for claim in ["iss", "aud", "azp", "sub", "nonce", "at_hash", "iat"] {
                let mut c = good.clone();
                c[claim] = json!(x);
                tokens.push((claim.to_owned(), key.sign(&c)));
            }
            let mut c = good.clone();
            c["aud"] = json!([CLIENT, x]);
            tokens.push(("extra aud".into(), key.sign(&c)));
            for header in [
                json!({"alg": "RS256", "kid": x}),
                json!({"alg": x, "kid": key.kid}),
                json!({"alg": "HS256", "kid": x}),
            ] {
                tokens.push((
                    format!("header {header}"),
                    key.sign_with_header(&header, &good),
                ));
            }
            for (what, token) in tokens {
                server.json(
                    "/token",
                    200,
                    &json!({"access_token": ISSUED, "token_type": "Bearer", "id_token": token}),
                );
                let e = p
                    .exchange_code(
                        &CodeExchange::new(CODE, REDIRECT)
                            .pkce_verifier(VERIFIER)
                            .nonce("nonce-1"),
                    )
                    .expect_err(&format!("{what} must be refused"));
                let held = [HELD_EXCHANGE, &[ISSUED]].concat();
                assert_no_secret(&e, &held, &format!("ID token {what} = {x}"));
            }
        }
    }
}

#[test]
fn discovery_and_jwks_errors_never_show_a_secret() {
    log_capture::install();
    for (label, reply) in hostile_replies(&MockServer::start()) {
        // discovery: a fresh provider per answer (discovery is cached)
        let server = MockServer::start();
        server.route("/.well-known/openid-configuration", reply.clone());
        let p = oidc_provider(&server, ClientAuthMethod::ClientSecretBasic);
        let e = p
            .exchange_code(&CodeExchange::new(CODE, REDIRECT).pkce_verifier(VERIFIER))
            .expect_err("discovery fails");
        assert_no_secret(
            &e,
            HELD_EXCHANGE,
            &format!("discovery via exchange: {label}"),
        );
        let e = p.discover().expect_err("discovery fails");
        assert_no_secret(&e, &[CLIENT_SECRET], &format!("discovery: {label}"));
        let e = p
            .refresh_tokens(&TokenRefresh::new(REFRESH))
            .expect_err("discovery fails");
        assert_no_secret(&e, HELD_REFRESH, &format!("discovery via refresh: {label}"));

        // JWKS
        let server = MockServer::start();
        server.json("/.well-known/openid-configuration", 200, &oidc_doc(&server));
        server.route("/jwks", reply.clone());
        let token = keys()[0].sign(&claims(server.base(), CLIENT));
        server.json(
            "/token",
            200,
            &json!({"access_token": ISSUED, "token_type": "Bearer", "id_token": token, "refresh_token": REFRESH}),
        );
        let p = oidc_provider(&server, ClientAuthMethod::ClientSecretPost);
        let e = p
            .exchange_code(&CodeExchange::new(CODE, REDIRECT).pkce_verifier(VERIFIER))
            .expect_err("JWKS fails");
        let held = [HELD_EXCHANGE, &[ISSUED, REFRESH]].concat();
        assert_no_secret(&e, &held, &format!("jwks: {label}"));
    }
    // a discovery document naming a secret as its issuer, or as endpoints
    for s in SECRETS {
        for x in echoes(s) {
            let server = MockServer::start();
            let mut d = oidc_doc(&server);
            d["issuer"] = json!(x);
            server.json("/.well-known/openid-configuration", 200, &d);
            let p = oidc_provider(&server, ClientAuthMethod::ClientSecretBasic);
            let e = p
                .exchange_code(&CodeExchange::new(CODE, REDIRECT).pkce_verifier(VERIFIER))
                .expect_err("issuer mismatch");
            assert_no_secret(&e, HELD_EXCHANGE, &format!("discovery issuer {x}"));
            let e = token_exchange(&p).expect_err("issuer mismatch");
            assert_no_secret(
                &e,
                HELD_EXCHANGE_TOKENS,
                &format!("token exchange, discovery issuer {x}"),
            );
            let mut d = oidc_doc(&server);
            d["token_endpoint"] = json!(format!("http://evil.example/{x}?{x}"));
            d["jwks_uri"] = json!(format!("ftp://{x}"));
            server.json("/.well-known/openid-configuration", 200, &d);
            let p = oidc_provider(&server, ClientAuthMethod::ClientSecretBasic);
            let e = p
                .exchange_code(&CodeExchange::new(CODE, REDIRECT).pkce_verifier(VERIFIER))
                .expect_err("bad endpoint");
            assert_no_secret(&e, HELD_EXCHANGE, &format!("discovered endpoint {x}"));
        }
    }
}

#[test]
fn plain_oauth2_and_github_revocation_errors_never_show_a_secret() {
    log_capture::install();
    let server = MockServer::start();
    let replies = hostile_replies(&server);
    let mut cfg = OAuth2Config::new(
        "custom",
        CLIENT,
        server.url("/authorize"),
        server.url("/token"),
    )
    .revocation_url(server.url("/revoke"))
    .client_secret(CLIENT_SECRET);
    cfg.userinfo_url = Some(server.url("/userinfo"));
    let p = OAuthProvider::oauth2(cfg).unwrap();
    // the GitHub preset on the loopback server: revoked through its
    // Applications API at {base}/applications/{client}/token
    let gh_cfg = github::config_at(server.base(), CLIENT)
        .unwrap()
        .client_secret(CLIENT_SECRET);
    let gh_revoke = format!("/applications/{CLIENT}/token");
    assert_eq!(gh_cfg.revocation_url, Some(server.url(&gh_revoke)));
    let gh = OAuthProvider::oauth2(gh_cfg).unwrap();
    for (label, reply) in &replies {
        for path in ["/token", "/revoke", "/userinfo", gh_revoke.as_str()] {
            server.route(path, reply.clone());
        }
        let results: Vec<(&str, oauthkit::Result<()>, &[&str])> = vec![
            (
                "token",
                p.exchange_code(&CodeExchange::new(CODE, REDIRECT).pkce_verifier(VERIFIER))
                    .map(drop),
                HELD_EXCHANGE,
            ),
            (
                "refresh",
                p.refresh_tokens(&TokenRefresh::new(REFRESH)).map(drop),
                HELD_REFRESH,
            ),
            (
                "revocation",
                p.revoke_token(&TokenRevocation::new(REFRESH)).map(drop),
                HELD_REFRESH,
            ),
            (
                "userinfo",
                p.get_userinfo(&UserinfoRequest::new(ACCESS)).map(drop),
                HELD_ACCESS,
            ),
            (
                "token exchange",
                p.exchange_token(
                    &GrantRequest::token_exchange(SUBJECT, token_types::ACCESS_TOKEN)
                        .actor_token(ACTOR, token_types::JWT),
                )
                .map(drop),
                HELD_EXCHANGE_TOKENS,
            ),
            (
                "github revocation",
                gh.revoke_token(&TokenRevocation::new(ACCESS)).map(drop),
                HELD_ACCESS,
            ),
        ];
        for (kind, r, held) in results {
            // revocations answered 2xx succeeded, whatever the body
            if let Err(e) = r {
                assert_no_secret(&e, held, &format!("{kind}: {label}"));
            }
        }
    }
}

#[test]
fn a_huge_token_echoed_in_part_is_still_scrubbed() {
    log_capture::install();
    // a hostile token endpoint returns a ~900 kB access token and echoes a
    // slice from its middle as token_type and error text: scrubbing stays
    // proportional to the text (no per-window table of the whole token)
    let server = MockServer::start();
    server.json("/.well-known/openid-configuration", 200, &oidc_doc(&server));
    let p = oidc_provider(&server, ClientAuthMethod::ClientSecretPost);
    let big: String = (0..900_000u32)
        .map(|i| char::from(b'a' + ((i.wrapping_mul(2_654_435_761) >> 7) % 26) as u8))
        .collect();
    let slice = &big[450_000..450_030];
    server.json(
        "/token",
        200,
        &json!({"access_token": big, "token_type": slice, "refresh_token": REFRESH}),
    );
    let e = p
        .exchange_code(&CodeExchange::new(CODE, REDIRECT).pkce_verifier(VERIFIER))
        .expect_err("unknown token_type");
    assert_no_secret(
        &e,
        &[HELD_EXCHANGE, &[slice, REFRESH]].concat(),
        "huge token",
    );
}
