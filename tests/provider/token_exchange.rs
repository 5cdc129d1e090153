//! RFC 8693 token exchange against panva's oidc-provider with a registered
//! custom grant (tests/browser/oidc-server.mjs) that checks the request the
//! way RFC 8693 §2.1 says: the subject token must be one of the provider's
//! active access tokens, the types are required and unknown ones refused,
//! audience and resource are checked (invalid_target). The provider's
//! introspection endpoint then says whose token was issued, so the test
//! checks the exchange at the provider, not only our parsing of it.

use crate::support;

use base64::Engine as _;
use oauthkit::provider::{ClientAuthMethod, GrantRequest, OAuthProvider, OidcConfig, Provider};
use oauthkit::unversioned::provider::token_exchange::token_types;
use oauthkit::{Error, ErrorKind};
use serde_json::Value;
use support::idp_tokens::{self, user_access_token};
use support::node_idp::NodeIdp;

const API_AUDIENCE: &str = "https://api.example";

/// The exchanging client (client_secret_basic).
fn tx_client(idp: &NodeIdp) -> OAuthProvider {
    let (id, secret) = idp_tokens::tx_client(idp);
    let mut cfg = OidcConfig::new(&idp.issuer, &id).client_secret(secret);
    cfg.client_auth = Some(ClientAuthMethod::ClientSecretBasic);
    OAuthProvider::oidc(cfg).unwrap()
}

/// RFC 7662 introspection of `token` as the exchanging client.
fn introspect(idp: &NodeIdp, token: &str) -> Value {
    let endpoint = tx_client(idp)
        .discover()
        .unwrap()
        .introspection_endpoint
        .expect("introspection endpoint");
    let (id, secret) = idp_tokens::tx_client(idp);
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
    let body = format!(
        "token={}",
        url::form_urlencoded::byte_serialize(token.as_bytes()).collect::<String>()
    );
    let mut resp = ureq::post(&endpoint)
        .header("authorization", format!("Basic {basic}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .send(body.as_bytes())
        .expect("introspection");
    serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap()
}

fn last_exchange(idp: &NodeIdp) -> Value {
    idp.stats()["tx_requests"]
        .as_array()
        .and_then(|a| a.last().cloned())
        .expect("the provider saw a token exchange")
}

#[track_caller]
fn assert_oauth_error(e: &Error, code: &str, secrets: &[&str]) {
    match e {
        Error::OAuth { error, .. } => assert_eq!(error, code, "{e}"),
        other => panic!("expected OAuth error {code}, got {other:?}"),
    }
    let text = format!("{e} {e:?}");
    for s in secrets {
        assert!(!text.contains(s), "the error shows a token: {text}");
    }
}

#[test]
fn a_user_access_token_is_exchanged_for_one_with_another_audience() {
    needs!(Node);
    let idp = NodeIdp::start();
    let subject = user_access_token(&idp, "alice");
    let r = tx_client(&idp)
        .exchange_token(
            &GrantRequest::token_exchange(subject.as_str(), token_types::ACCESS_TOKEN)
                .audience(API_AUDIENCE)
                .scopes(["openid"])
                .requested_token_type(token_types::ACCESS_TOKEN),
        )
        .unwrap();
    assert_eq!(r.issued_token_type(), Some(token_types::ACCESS_TOKEN));
    assert!(r.bearer_usable());
    assert_ne!(r.access_token.expose(), subject);
    assert!(r.expires_at.is_some());
    assert_eq!(r.scopes, ["openid"]);
    // at the provider: an active token for alice, for the audience, held
    // by the exchanging client
    let info = introspect(&idp, r.access_token.expose());
    assert_eq!(info["active"], true, "{info}");
    assert_eq!(info["sub"], "alice", "{info}");
    assert_eq!(info["client_id"], idp.client("tx"), "{info}");
    assert_eq!(info["aud"], API_AUDIENCE, "{info}");
    let seen = last_exchange(&idp);
    assert_eq!(seen["subject_token_type"], token_types::ACCESS_TOKEN);
    assert_eq!(seen["audience"][0], API_AUDIENCE);
    assert_eq!(seen["answer"], "access_token");
}

#[test]
fn delegation_sends_the_actor_token_and_resources_go_as_resource() {
    needs!(Node);
    let idp = NodeIdp::start();
    let subject = user_access_token(&idp, "alice");
    let actor = user_access_token(&idp, "service-bob");
    let r = tx_client(&idp)
        .exchange_token(
            &GrantRequest::token_exchange(subject.as_str(), token_types::ACCESS_TOKEN)
                .actor_token(actor.as_str(), token_types::ACCESS_TOKEN)
                .resource("https://api.example/")
                .resource("https://other.example/"),
        )
        .unwrap();
    assert_eq!(r.issued_token_type(), Some(token_types::ACCESS_TOKEN));
    let seen = last_exchange(&idp);
    assert_eq!(seen["actor_token_type"], token_types::ACCESS_TOKEN);
    assert_eq!(
        seen["resource"],
        serde_json::json!(["https://api.example/", "https://other.example/"])
    );
    let info = introspect(&idp, r.access_token.expose());
    assert_eq!(info["sub"], "alice", "{info}");
    assert_eq!(info["aud"], "https://api.example/", "{info}");
    // RFC 8693 §4.1: the actor is named in the issued token
    assert_eq!(info["act"]["sub"], "service-bob", "{info}");
}

#[test]
fn a_jwt_answered_with_token_type_n_a_is_returned_but_not_bearer_usable() {
    needs!(Node);
    let idp = NodeIdp::start();
    let subject = user_access_token(&idp, "alice");
    let r = tx_client(&idp)
        .exchange_token(
            &GrantRequest::token_exchange(subject.as_str(), token_types::ACCESS_TOKEN)
                .audience(API_AUDIENCE)
                .requested_token_type(token_types::JWT),
        )
        .unwrap();
    assert_eq!(r.issued_token_type(), Some(token_types::JWT));
    assert_eq!(r.token_type, "N_A");
    assert!(!r.bearer_usable());
    let payload = r.access_token.expose().split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["aud"], API_AUDIENCE);
}

#[test]
fn the_provider_refusals_are_typed_and_never_show_the_tokens() {
    needs!(Node);
    let idp = NodeIdp::start();
    let subject = user_access_token(&idp, "alice");
    let p = tx_client(&idp);
    let base = || GrantRequest::token_exchange(subject.as_str(), token_types::ACCESS_TOKEN);
    let held = [subject.as_str()];

    let e = p
        .exchange_token(&base().resource("https://unknown.example/"))
        .unwrap_err();
    assert_oauth_error(&e, "invalid_target", &held);
    let e = p
        .exchange_token(&base().audience("https://nobody.example"))
        .unwrap_err();
    assert_oauth_error(&e, "invalid_target", &held);
    // a type this provider does not take
    let e = p
        .exchange_token(&GrantRequest::token_exchange(
            subject.as_str(),
            token_types::ID_TOKEN,
        ))
        .unwrap_err();
    assert_oauth_error(&e, "invalid_request", &held);
    let e = p
        .exchange_token(&base().requested_token_type(token_types::SAML2))
        .unwrap_err();
    assert_oauth_error(&e, "invalid_request", &held);
    // a token the provider never issued
    let forged = "forged-subject-token-0123456789abcdef";
    let e = p
        .exchange_token(&GrantRequest::token_exchange(
            forged,
            token_types::ACCESS_TOKEN,
        ))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidGrant, "{e}");
    assert_oauth_error(&e, "invalid_grant", &[forged]);
    let e = p
        .exchange_token(&base().actor_token(forged, token_types::ACCESS_TOKEN))
        .unwrap_err();
    assert_oauth_error(&e, "invalid_grant", &[forged, subject.as_str()]);
    // more scope than the subject token carries
    let e = p.exchange_token(&base().scopes(["api:write"])).unwrap_err();
    assert_oauth_error(&e, "invalid_scope", &held);
    // a client not allowed the grant: the provider refuses it
    let (id, secret) = idp.confidential_client("basic");
    let mut cfg = OidcConfig::new(&idp.issuer, &id).client_secret(secret);
    cfg.client_auth = Some(ClientAuthMethod::ClientSecretBasic);
    let other = OAuthProvider::oidc(cfg).unwrap();
    let e = other.exchange_token(&base()).unwrap_err();
    // oidc-provider answers invalid_request (RFC 6749 would say unauthorized_client)
    assert_oauth_error(&e, "invalid_request", &held);
    // wrong client secret
    let mut cfg = OidcConfig::new(&idp.issuer, idp.client("tx"))
        .client_secret("not-the-secret-0123456789abcdef");
    cfg.client_auth = Some(ClientAuthMethod::ClientSecretBasic);
    let e = OAuthProvider::oidc(cfg)
        .unwrap()
        .exchange_token(&base())
        .unwrap_err();
    assert_oauth_error(&e, "invalid_client", &held);
    // checked before anything is sent: no request reached the provider
    let before = idp.stats()["tx_requests"].as_array().unwrap().len();
    let e = p
        .exchange_token(&GrantRequest::token_exchange(
            subject.as_str(),
            "access_token",
        ))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    assert_eq!(idp.stats()["tx_requests"].as_array().unwrap().len(), before);
}
