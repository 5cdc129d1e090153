//! Secrets sent in request headers other than `Authorization` are scrubbed
//! from errors too (issue 21, item 4).
//!
//! A hostile loopback authorization server echoes every header of every
//! request (the DPoP proof above all) in `error`, `error_description`,
//! `error_uri`, `WWW-Authenticate` and non-JSON bodies, whole, in part (its
//! signature alone), percent-encoded, base64 and upper-cased. For every
//! operation that sends a DPoP proof (code exchange with and without a
//! given key, refresh, client credentials, device polling, userinfo,
//! revocation), the error's Display, Debug, `report()`, `source()` chain
//! and everything logged at debug or above (by oauthkit or a dependency)
//! must hold no proof and no run of 12 characters from one.

use crate::support::log_capture;
use crate::support::mock_http;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use oauthkit::provider::DpopConfig;
use oauthkit::provider::SigningAlgorithm;
use oauthkit::provider::{CodeExchange, TokenRefresh, TokenRevocation, UserinfoRequest};
use oauthkit::provider::{GrantRequest, OAuth2Config, OAuthProvider, Provider};
use oauthkit::unversioned::provider::DpopKey;
use oauthkit::{Error, TokenSet};
use serde_json::json;

use mock_http::{MockServer, Recorded, Reply};

/// Every header of `r` as `name: value`, joined.
fn all_headers(r: &Recorded) -> String {
    r.headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join(" ; ")
}

fn proof_of(r: &Recorded) -> String {
    r.header("DPoP").unwrap_or_default()
}

/// The answers of the hostile server, chosen by `n`.
fn echo(r: &Recorded, n: usize) -> Reply {
    let all = all_headers(r);
    let proof = proof_of(r);
    let signature = proof.rsplit('.').next().unwrap_or_default().to_owned();
    let payload = proof.split('.').nth(1).unwrap_or_default().to_owned();
    let www = |text: &str| {
        (
            "WWW-Authenticate".to_owned(),
            format!(r#"DPoP error="invalid_dpop_proof", error_description="{text}""#),
        )
    };
    let json_reply = |status: u16, body: serde_json::Value, text: &str| Reply::Raw {
        status,
        headers: vec![
            ("Content-Type".into(), "application/json".into()),
            www(text),
        ],
        body: body.to_string().into_bytes(),
        chunked: false,
    };
    match n {
        // everything, in the OAuth error's fields and the challenge
        0 => json_reply(
            400,
            json!({"error": "invalid_dpop_proof", "error_description": all,
                   "error_uri": format!("https://as.example/e?h={all}")}),
            &all,
        ),
        // an unregistered error code made of the proof's signature
        1 => json_reply(
            400,
            json!({"error": signature, "error_description": format!("sig {signature} payload {payload}")}),
            &signature,
        ),
        // a challenge only (what userinfo reads), body not JSON
        2 => Reply::Raw {
            status: 401,
            headers: vec![("Content-Type".into(), "text/plain".into()), www(&all)],
            body: all.clone().into_bytes(),
            chunked: false,
        },
        // a server error page quoting the request
        3 => Reply::text(500, "text/html", &format!("<pre>{all}</pre>")),
        // encoded forms
        _ => json_reply(
            400,
            json!({"error": "invalid_request",
            "error_description": format!(
                "{} {} {} {}",
                url::form_urlencoded::byte_serialize(proof.as_bytes()).collect::<String>(),
                STANDARD.encode(&proof),
                URL_SAFE_NO_PAD.encode(&signature),
                proof.to_uppercase()
            )}),
            &url::form_urlencoded::byte_serialize(signature.as_bytes()).collect::<String>(),
        ),
    }
}

const VARIANTS: usize = 5;

fn provider(server: &MockServer) -> OAuthProvider {
    let mut cfg = OAuth2Config::new(
        "hostile",
        "client",
        server.url("/authorize"),
        server.url("/token"),
    )
    .client_secret("hostile-test-client-secret")
    .dpop(DpopConfig::new());
    cfg.userinfo_url = Some(server.url("/userinfo"));
    cfg.revocation_url = Some(server.url("/revoke"));
    cfg.device_authorization_url = Some(server.url("/device"));
    OAuthProvider::oauth2(cfg).unwrap()
}

fn bound_set() -> TokenSet {
    let mut t = TokenSet::bearer("at-dpop-bound-1")
        .with_refresh_token("rt-dpop-bound-1")
        .with_expires_in(3600)
        .with_dpop_key(DpopKey::generate(SigningAlgorithm::ES256).unwrap());
    t.token_type = "DPoP".into();
    t
}

fn full_text(e: &Error) -> String {
    let mut s = format!("{e}\n{e:?}\n{e:#?}\n{}", e.report());
    let mut src = std::error::Error::source(e);
    while let Some(inner) = src {
        s.push_str(&format!("\n{inner}\n{inner:?}"));
        src = inner.source();
    }
    s
}

#[track_caller]
fn assert_no_proof(text: &str, proofs: &[String], what: &str) {
    assert!(!proofs.is_empty(), "{what}: no DPoP proof was sent");
    let lower = text.to_lowercase();
    for proof in proofs {
        for part in proof.split('.') {
            let chars: Vec<char> = part.to_lowercase().chars().collect();
            for w in chars.windows(12) {
                let w: String = w.iter().collect();
                if let Some(at) = lower.find(&w) {
                    let from = lower[..at]
                        .char_indices()
                        .rev()
                        .nth(300)
                        .map_or(0, |(i, _)| i);
                    panic!(
                        "{what}: part '{w}' of the DPoP proof is shown: ...{}",
                        &text[from..(at + 40).min(text.len())]
                    );
                }
            }
        }
    }
}

type Op = fn(&OAuthProvider) -> oauthkit::Result<()>;

fn ops() -> Vec<(&'static str, &'static str, Op)> {
    vec![
        ("code exchange with a key", "/token", |p| {
            let key = DpopKey::generate(SigningAlgorithm::ES256).unwrap();
            p.exchange_code(
                &CodeExchange::new("code-1", "http://127.0.0.1:1/cb")
                    .pkce_verifier("v")
                    .dpop(&key),
            )
            .map(drop)
        }),
        ("code exchange, new key", "/token", |p| {
            p.exchange_code(&CodeExchange::new("code-1", "http://127.0.0.1:1/cb"))
                .map(drop)
        }),
        ("refresh", "/token", |p| {
            p.refresh_tokens(&TokenRefresh::of(&bound_set()).unwrap())
                .map(drop)
        }),
        ("client credentials", "/token", |p| {
            p.request_client_credentials(&GrantRequest::client_credentials())
                .map(drop)
        }),
        ("device poll", "/token", |p| {
            let auth = p.request_device_authorization(&GrantRequest::device_authorization())?;
            p.poll_device_token(&auth).map(drop)
        }),
        ("userinfo", "/userinfo", |p| {
            p.get_userinfo(&UserinfoRequest::of(&bound_set())).map(drop)
        }),
        ("revocation", "/revoke", |p| {
            p.revoke_token(&TokenRevocation::refresh_token_of(&bound_set()).unwrap())
                .map(drop)
        }),
    ]
}

#[test]
fn dpop_proofs_echoed_by_the_server_never_show() {
    log_capture::install();
    for (what, path, op) in ops() {
        for n in 0..VARIANTS {
            let server = MockServer::start();
            server.json(
                "/device",
                200,
                &json!({"device_code": "dc-hostile-1", "user_code": "ABCD-EFGH",
                        "verification_uri": server.url("/verify"), "expires_in": 600,
                        "interval": 1}),
            );
            server.route(path, Reply::Computed(echo, n));
            let p = provider(&server);
            let e = match op(&p) {
                Ok(()) => panic!("{what} #{n}: a hostile answer was accepted"),
                Err(e) => e,
            };
            let proofs: Vec<String> = server
                .requests_to(path)
                .iter()
                .map(proof_of)
                .filter(|p| !p.is_empty())
                .collect();
            // every record at debug or above, of any crate (ureq_proto's
            // trace records are raw HTTP bytes by design, docs/logging.md)
            let text = format!(
                "{}\n{}",
                full_text(&e),
                log_capture::at_least(log::Level::Debug)
            );
            assert_no_proof(&text, &proofs, &format!("{what} #{n}"));
        }
    }
}
