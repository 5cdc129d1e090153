//! The providers against a real, independent OpenID provider: panva's
//! oidc-provider (OpenID Certified) as a child process on a free loopback
//! port, one per test (tests/browser/oidc-server.mjs, installed by
//! scripts/setup-browser.sh). Codes come from its devInteractions login and
//! consent forms, driven over HTTP (tests/support/src/interactions.rs).

use crate::support;

use base64::Engine as _;
use oauthkit::provider::{ClientAuthMethod, OAuthProvider, OidcConfig, Provider, TokenTypeHint};
use oauthkit::provider::{CodeExchange, TokenRefresh, TokenRevocation, UserinfoRequest};
use oauthkit::unversioned::provider::Pkce;
use oauthkit::{ErrorKind, TokenSet};
use support::interactions;
use support::node_idp::NodeIdp;

/// Nothing listens here: the provider's redirect is read from its
/// `Location` header. Any port is fine for a native client (RFC 8252 §7.3).
const REDIRECT_URI: &str = "http://127.0.0.1:4567/callback";
const SCOPES: [&str; 4] = ["openid", "email", "profile", "offline_access"];

fn public_client(idp: &NodeIdp) -> OAuthProvider {
    OAuthProvider::oidc(OidcConfig::new(&idp.issuer, &idp.client_id).scopes(SCOPES)).unwrap()
}

fn confidential_client(idp: &NodeIdp, kind: &str, method: ClientAuthMethod) -> OAuthProvider {
    let (id, secret) = idp.confidential_client(kind);
    let mut cfg = OidcConfig::new(&idp.issuer, &id)
        .scopes(SCOPES)
        .client_secret(secret);
    cfg.client_auth = Some(method);
    OAuthProvider::oidc(cfg).unwrap()
}

/// One authorization request, answered by the provider.
struct Authorized {
    code: String,
    iss: Option<String>,
    pkce: Pkce,
    nonce: String,
}

/// Builds the authorization URL with state, PKCE S256 and a nonce, signs
/// in as `login` and consents (`prompt=consent`, so oidc-provider issues a
/// refresh token), and checks the state that comes back.
fn authorize(provider: &OAuthProvider, login: &str) -> Authorized {
    let (url, state, nonce, pkce) =
        support::interactions::authorize_url(provider, REDIRECT_URI, &[("prompt", "consent")]);
    assert!(url.contains("code_challenge_method=S256"), "{url}");
    let redirect = interactions::sign_in(&url, REDIRECT_URI, login);
    assert_eq!(redirect.param("state").as_deref(), Some(state.as_str()));
    let code = redirect
        .param("code")
        .unwrap_or_else(|| panic!("no code in {}", redirect.url));
    Authorized {
        code,
        iss: redirect.param("iss"),
        pkce,
        nonce,
    }
}

impl Authorized {
    /// Exchanges the code with its own verifier and nonce.
    fn exchange(&self, provider: &OAuthProvider) -> oauthkit::Result<TokenSet> {
        self.exchange_with(provider, self.pkce.verifier(), &self.nonce)
    }

    /// Exchanges the code claiming another verifier or nonce.
    fn exchange_with(
        &self,
        provider: &OAuthProvider,
        verifier: &str,
        nonce: &str,
    ) -> oauthkit::Result<TokenSet> {
        provider.exchange_code(
            &CodeExchange::new(&self.code, REDIRECT_URI)
                .pkce_verifier(verifier)
                .nonce(nonce),
        )
    }
}

fn sign_in(provider: &OAuthProvider, login: &str) -> TokenSet {
    let a = authorize(provider, login);
    a.exchange(provider).unwrap()
}

/// Asks the provider's introspection endpoint (RFC 7662), as a
/// confidential client, whether `token` is active.
fn is_active(idp: &NodeIdp, token: &str) -> bool {
    let endpoint = public_client(idp)
        .discover()
        .unwrap()
        .introspection_endpoint
        .expect("introspection endpoint");
    let (id, secret) = idp.confidential_client("basic");
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
    let json: serde_json::Value =
        serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap();
    json["active"]
        .as_bool()
        .expect("active in the introspection answer")
}

#[test]
fn discovery_finds_the_endpoints_and_the_issuer_matches() {
    needs!(Node);
    let idp = NodeIdp::start();
    let meta = public_client(&idp).discover().unwrap();
    assert_eq!(meta.issuer, idp.issuer);
    for endpoint in [
        &meta.authorization_endpoint,
        &meta.token_endpoint,
        &meta.userinfo_endpoint,
        &meta.jwks_uri,
        &meta.revocation_endpoint,
        &meta.introspection_endpoint,
    ] {
        let e = endpoint.as_deref().expect("advertised endpoint");
        assert!(e.starts_with(&idp.issuer), "{e}");
    }
    assert!(meta
        .code_challenge_methods_supported
        .contains(&"S256".to_string()));
    assert!(meta
        .id_token_signing_alg_values_supported
        .contains(&"RS256".to_string()));
    assert!(meta.authorization_response_iss_parameter_supported);
}

#[test]
fn a_discovery_document_for_another_issuer_is_refused() {
    needs!(Node);
    let idp = NodeIdp::start();
    // Same server, other name: its document says issuer 127.0.0.1.
    let other = idp.issuer.replace("127.0.0.1", "localhost");
    let p = OAuthProvider::oidc(OidcConfig::new(&other, &idp.client_id)).unwrap();
    let err = p.discover().unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("issuer") && msg.contains(&idp.issuer), "{msg}");
}

#[test]
fn code_exchange_with_pkce_validates_the_id_token_and_the_response_iss() {
    needs!(Node);
    let idp = NodeIdp::start();
    let provider = public_client(&idp);
    let a = authorize(&provider, "alice");
    // RFC 9207: oidc-provider sends iss, and it is the issuer.
    let iss = a.iss.as_deref().expect("iss in the authorization response");
    provider
        .check_authorization_response_iss(Some(iss))
        .unwrap();
    let mixup = provider
        .check_authorization_response_iss(Some("http://127.0.0.1:1"))
        .unwrap_err();
    assert_eq!(mixup.kind(), ErrorKind::Authentication);
    let missing = provider.check_authorization_response_iss(None).unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::Authentication);

    let tokens = a.exchange(&provider).unwrap();
    assert_eq!(tokens.identity_id.as_deref(), Some("alice"));
    assert!(tokens.refresh_token.is_some(), "offline_access + consent");
    assert!(tokens.expires_at.is_some());
    assert!(
        tokens.scopes.iter().any(|s| s == "openid"),
        "{:?}",
        tokens.scopes
    );
    let id_token = tokens.id_token.as_ref().expect("an ID token").expose();
    let claims = provider
        .validate_id_token(id_token, Some(&a.nonce), Some(tokens.access_token.expose()))
        .unwrap();
    assert_eq!(claims.sub, "alice");
    assert_eq!(claims.claims()["nonce"], a.nonce.as_str());
    // The code is single use at the provider.
    let again = a.exchange(&provider).unwrap_err();
    assert_eq!(again.kind(), ErrorKind::InvalidGrant, "{again}");
}

#[test]
fn a_wrong_pkce_verifier_is_the_providers_invalid_grant() {
    needs!(Node);
    let idp = NodeIdp::start();
    let provider = public_client(&idp);
    let a = authorize(&provider, "alice");
    let other = Pkce::generate();
    let err = a
        .exchange_with(&provider, other.verifier(), &a.nonce)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidGrant, "{err}");
    match &err {
        oauthkit::Error::OAuth { status, error, .. } => {
            assert_eq!(*status, Some(400));
            assert_eq!(error, "invalid_grant");
        }
        other => panic!("expected an OAuth error, got {other:?}"),
    }
}

#[test]
fn an_id_token_for_another_nonce_is_refused_after_exchange() {
    needs!(Node);
    let idp = NodeIdp::start();
    let provider = public_client(&idp);
    let a = authorize(&provider, "alice");
    let err = a
        .exchange_with(&provider, a.pkce.verifier(), "replayed-nonce")
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::IdToken, "{err}");
    assert!(err.to_string().contains("nonce"), "{err}");
}

#[test]
fn a_tampered_id_token_is_refused() {
    needs!(Node);
    let idp = NodeIdp::start();
    let provider = public_client(&idp);
    let a = authorize(&provider, "alice");
    let tokens = a.exchange(&provider).unwrap();
    let id_token = tokens.id_token.unwrap().expose().to_string();
    let parts: Vec<&str> = id_token.split('.').collect();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut payload: serde_json::Value =
        serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
    payload["sub"] = "mallory".into();
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        b64.encode(serde_json::to_vec(&payload).unwrap()),
        parts[2]
    );
    let err = provider
        .validate_id_token(&forged, Some(&a.nonce), None)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::IdToken, "{err}");
    assert!(
        !err.to_string().contains(parts[2]),
        "no token in the message"
    );
}

#[test]
fn refresh_rotates_and_the_spent_refresh_token_is_refused() {
    needs!(Node);
    let idp = NodeIdp::start();
    let provider = public_client(&idp);
    let first = sign_in(&provider, "alice");
    let rt1 = first.refresh_token.as_ref().unwrap().expose().to_string();
    let second = provider.refresh_tokens(&TokenRefresh::new(&rt1)).unwrap();
    let rt2 = second.refresh_token.as_ref().unwrap().expose().to_string();
    assert_ne!(rt2, rt1, "oidc-provider rotates refresh tokens");
    assert_ne!(second.access_token, first.access_token);
    assert!(provider
        .get_userinfo(&UserinfoRequest::new(second.access_token.expose()))
        .is_ok());
    // the refresh's new ID token, typed
    let before = first.id_token_claims().expect("sign-in ID token claims");
    let after = second.id_token_claims().expect("refresh ID token claims");
    assert_eq!(after.sub.as_deref(), Some("alice"));
    assert_eq!(after.iss, before.iss);
    assert_eq!(after.aud, before.aud);
    assert!(after.exp.unwrap() > std::time::SystemTime::now());
    assert!(after.iat.unwrap() >= before.iat.unwrap());
    let err = provider
        .refresh_tokens(&TokenRefresh::new(&rt1))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidGrant, "{err}");
}

#[test]
fn userinfo_returns_the_users_claims() {
    needs!(Node);
    let idp = NodeIdp::start();
    let provider = public_client(&idp);
    let tokens = sign_in(&provider, "carol");
    let info = provider
        .get_userinfo(&UserinfoRequest::new(tokens.access_token.expose()))
        .unwrap()
        .unwrap();
    assert_eq!(info.email_verified, Some(true), "{info:?}");
    assert!(!format!("{info:?}").contains("carol@"), "no email in Debug");
    let id = tokens.id_token_claims().expect("ID token claims");
    assert_eq!(id.sub, info.sub);
    assert_eq!(id.iss.as_deref(), Some(&*idp.issuer));
    assert!(id.nonce.is_some() && !format!("{id:?}").contains(id.nonce.as_deref().unwrap()));
    assert_eq!(info.sub.as_deref(), Some("carol"));
    assert_eq!(info.email.as_deref(), Some("carol@example.test"));
    assert_eq!(info.name.as_deref(), Some("User carol"));
    let err = provider
        .get_userinfo(&UserinfoRequest::new("not-a-real-access-token"))
        .unwrap_err();
    assert!(
        err.to_string().contains("401") || err.to_string().contains("invalid_token"),
        "{err}"
    );
}

#[test]
fn revoked_tokens_are_inactive_at_the_provider() {
    needs!(Node);
    let idp = NodeIdp::start();
    let provider = public_client(&idp);
    let tokens = sign_in(&provider, "alice");
    let at = tokens.access_token.expose();
    let rt = tokens.refresh_token.as_ref().unwrap().expose();
    assert!(is_active(&idp, at), "fresh access token is active");
    assert!(is_active(&idp, rt), "fresh refresh token is active");

    assert!(provider
        .revoke_token(&TokenRevocation::new(at).hint(TokenTypeHint::AccessToken))
        .unwrap());
    assert!(!is_active(&idp, at), "revoked access token is inactive");
    assert!(
        provider.get_userinfo(&UserinfoRequest::new(at)).is_err(),
        "userinfo refuses it"
    );

    assert!(provider
        .revoke_token(&TokenRevocation::new(rt).hint(TokenTypeHint::RefreshToken))
        .unwrap());
    assert!(!is_active(&idp, rt), "revoked refresh token is inactive");
    let err = provider.refresh_tokens(&TokenRefresh::new(rt)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidGrant, "{err}");
}

#[test]
fn confidential_clients_authenticate_with_basic_and_post() {
    needs!(Node);
    let idp = NodeIdp::start();
    for (kind, method) in [
        ("basic", ClientAuthMethod::ClientSecretBasic),
        ("post", ClientAuthMethod::ClientSecretPost),
    ] {
        let provider = confidential_client(&idp, kind, method);
        let tokens = sign_in(&provider, "dave");
        assert_eq!(tokens.identity_id.as_deref(), Some("dave"), "{kind}");
        let rt = tokens.refresh_token.as_ref().unwrap().expose();
        let refreshed = provider.refresh_tokens(&TokenRefresh::new(rt)).unwrap();
        assert!(provider
            .revoke_token(&TokenRevocation::new(refreshed.access_token.expose()))
            .unwrap());
    }
}

/// (Which method goes on the wire is asserted in tests/provider_http.rs:
/// oidc-provider accepts a secret by basic or post alike.)
#[test]
fn a_wrong_client_secret_is_invalid_client_and_never_shown() {
    needs!(Node);
    let idp = NodeIdp::start();
    let (id, _) = idp.confidential_client("basic");
    let mut cfg = OidcConfig::new(&idp.issuer, &id)
        .scopes(SCOPES)
        .client_secret("not-the-secret");
    cfg.client_auth = Some(ClientAuthMethod::ClientSecretBasic);
    let wrong_secret = OAuthProvider::oidc(cfg).unwrap();
    let a = authorize(&wrong_secret, "erin");
    let err = a.exchange(&wrong_secret).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("invalid_client"), "{msg}");
    assert!(
        !msg.contains("not-the-secret"),
        "no secret in errors: {msg}"
    );
}
