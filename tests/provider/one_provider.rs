//! One concrete provider (issue 24 §2): `OAuthProvider` built from an
//! `OAuth2Config` (fixed endpoints) or an `OidcConfig` (the OpenID Connect
//! layer) is one type; the OpenID-Connect-only operations on a provider
//! without the layer are a typed error, not a request, not a panic.

use crate::support::mock_http::MockServer;
use crate::support::test_jwt::{jwks, keys, now};

use oauthkit::provider::{
    auth0, github, gitlab, google, keycloak, microsoft, okta, EndSessionRequest, OAuth2Config,
    OAuthProvider, OidcConfig, Provider, ProviderKind, ProviderSettings,
};
use oauthkit::{Error, ErrorKind};
use serde_json::json;

/// A plain OAuth 2.0 provider whose endpoints are on `server`, which also
/// serves what an OpenID provider would (a discovery document and a key
/// set): the plain provider must not go looking for them.
fn plain_provider_beside_an_openid_server(server: &MockServer) -> OAuthProvider {
    let base = server.base().to_owned();
    server.json(
        "/.well-known/openid-configuration",
        200,
        &json!({
            "issuer": base,
            "authorization_endpoint": format!("{base}/authorize"),
            "token_endpoint": format!("{base}/token"),
            "jwks_uri": format!("{base}/jwks"),
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }),
    );
    server.json("/jwks", 200, &jwks(&[&keys()[0]]));
    let mut cfg = OAuth2Config::new(
        "plain",
        "client-1",
        format!("{base}/authorize"),
        format!("{base}/token"),
    );
    cfg.issuer = Some(base);
    OAuthProvider::oauth2(cfg).unwrap()
}

#[track_caller]
fn assert_unsupported_without_discovery(e: Error, what: &str) {
    assert_eq!(e.kind(), ErrorKind::Unsupported, "{what}: {e:?}");
    assert!(
        matches!(e, Error::ProviderUnsupported { ref provider, .. } if provider == "plain"),
        "{what}: {e:?}"
    );
    let text = e.to_string();
    assert!(
        text.contains("OAuth2Config") && text.contains("without discovery"),
        "{what} says why: {text}"
    );
}

#[test]
fn the_openid_connect_operations_of_a_plain_provider_are_a_typed_error_without_a_request() {
    let server = MockServer::start();
    let p = plain_provider_beside_an_openid_server(&server);
    // a token that would validate against the server's key set, had the
    // provider fetched it
    let id_token = keys()[0].sign(&json!({
        "iss": server.base(), "sub": "alice", "aud": "client-1",
        "iat": now(), "exp": now() + 300,
    }));

    assert_unsupported_without_discovery(p.discover().unwrap_err(), "discover");
    let e = p
        .validate_id_token(&id_token, Some("n"), Some("access"))
        .unwrap_err();
    assert!(
        !format!("{e} {e:?}").contains(&id_token),
        "the token is not echoed"
    );
    assert_unsupported_without_discovery(e, "validate_id_token");
    assert_eq!(p.jwks_fetch_count(), 0);
    assert!(p.oidc_config().is_none());
    assert_eq!(p.oauth2_config().unwrap().client.client_id, "client-1");
    // no end-session endpoint without the layer: Ok(None), as the trait says
    assert_eq!(p.end_session_url(&EndSessionRequest::new()).unwrap(), None);
    assert!(
        server.requests().is_empty(),
        "no discovery, no JWKS fetch: {:?}",
        server
            .requests()
            .iter()
            .map(|r| r.url.clone())
            .collect::<Vec<_>>()
    );

    // the same calls on the OpenID Connect layer over the same server work
    let o = OAuthProvider::oidc(OidcConfig::new(server.base(), "client-1")).unwrap();
    assert_eq!(o.discover().unwrap().issuer, server.base());
    let claims = o.validate_id_token(&id_token, None, None).unwrap();
    assert_eq!(claims.sub, "alice");
    assert_eq!(o.jwks_fetch_count(), 1);
    assert!(o.oauth2_config().is_none());
    assert_eq!(o.oidc_config().unwrap().issuer, server.base());
}

#[test]
fn the_presets_and_the_settings_of_every_kind_build_one_type() {
    let presets: Vec<OAuthProvider> = vec![
        google::provider("id.apps.googleusercontent.com").unwrap(),
        microsoft::provider("common", "app").unwrap(),
        keycloak::provider("https://sso.example", "realm", "app").unwrap(),
        auth0::provider("tenant.eu.auth0.com", "app").unwrap(),
        okta::provider("https://org.okta.com", "default", "app").unwrap(),
        gitlab::provider("https://gitlab.example", "app").unwrap(),
        github::provider("Iv1.abc").unwrap(),
    ];
    let names: Vec<&str> = presets.iter().map(|p| p.name()).collect();
    assert_eq!(
        names,
        [
            "google",
            "microsoft",
            "keycloak",
            "auth0",
            "okta",
            "gitlab",
            "github"
        ]
    );
    // exactly GitHub has fixed endpoints; the others the OpenID layer
    for p in &presets {
        let fixed = p.name() == "github";
        assert_eq!(p.oauth2_config().is_some(), fixed, "{}", p.name());
        assert_eq!(p.oidc_config().is_some(), !fixed, "{}", p.name());
        assert_eq!(p.issuer().is_none(), fixed, "{}", p.name());
    }

    let mut custom = ProviderSettings::new(ProviderKind::Custom, "c");
    custom.authorize_url = Some("https://as.example/authorize".into());
    custom.token_url = Some("https://as.example/token".into());
    let mut oidc = ProviderSettings::new(ProviderKind::Oidc, "c");
    oidc.issuer_url = Some("https://idp.example".into());
    let built: [OAuthProvider; 2] = [custom.build().unwrap(), oidc.build().unwrap()];
    assert!(built[0].oauth2_config().is_some() && built[0].oidc_config().is_none());
    assert!(built[1].oidc_config().is_some() && built[1].oauth2_config().is_none());
}
