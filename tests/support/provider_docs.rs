//! Discovery documents and error bodies shaped like those the providers
//! publish (Keycloak, Auth0, Okta, GitLab), for a [`MockServer`] standing
//! in for each: endpoint paths, issuer forms, `scopes_supported` and the
//! error answers their documentation shows. Written here as data, with
//! the issuer and endpoints on the mock server's origin.

#![allow(dead_code)]

use serde_json::{json, Value};

/// Keycloak's realm discovery (`{base}/realms/{realm}`): every realm lists
/// `offline_access`, PAR and the device grant are there, PAR is not
/// marked required even for clients that require it.
pub fn keycloak(issuer: &str) -> Value {
    let p = format!("{issuer}/protocol/openid-connect");
    json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{p}/auth"),
        "token_endpoint": format!("{p}/token"),
        "introspection_endpoint": format!("{p}/token/introspect"),
        "userinfo_endpoint": format!("{p}/userinfo"),
        "end_session_endpoint": format!("{p}/logout"),
        "frontchannel_logout_session_supported": true,
        "frontchannel_logout_supported": true,
        "jwks_uri": format!("{p}/certs"),
        "check_session_iframe": format!("{p}/login-status-iframe.html"),
        "grant_types_supported": ["authorization_code", "implicit", "refresh_token", "password",
            "client_credentials", "urn:openid:params:grant-type:ciba",
            "urn:ietf:params:oauth:grant-type:device_code",
            "urn:ietf:params:oauth:grant-type:token-exchange"],
        "response_types_supported": ["code", "none", "id_token", "token", "id_token token",
            "code id_token", "code token", "code id_token token"],
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": ["PS384", "RS384", "EdDSA", "ES384", "HS256",
            "HS512", "ES256", "RS256", "HS384", "ES512", "PS256", "PS512", "RS512"],
        "response_modes_supported": ["query", "fragment", "form_post", "query.jwt",
            "fragment.jwt", "form_post.jwt", "jwt"],
        "registration_endpoint": format!("{issuer}/clients-registrations/openid-connect"),
        "token_endpoint_auth_methods_supported": ["private_key_jwt", "client_secret_basic",
            "client_secret_post", "tls_client_auth", "client_secret_jwt"],
        "scopes_supported": ["openid", "phone", "roles", "basic", "microprofile-jwt",
            "web-origins", "acr", "organization", "address", "profile", "email",
            "service_account", "offline_access"],
        "code_challenge_methods_supported": ["plain", "S256"],
        "revocation_endpoint": format!("{p}/revoke"),
        "device_authorization_endpoint": format!("{p}/auth/device"),
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
        "require_pushed_authorization_requests": false,
        "pushed_authorization_request_endpoint": format!("{p}/ext/par/request"),
        "authorization_response_iss_parameter_supported": true,
        "dpop_signing_alg_values_supported": ["PS384", "RS384", "EdDSA", "ES384", "ES256",
            "RS256", "ES512", "PS256", "PS512", "RS512"],
    })
}

/// The path of `url` (after the origin), for routing a mock server.
pub fn path_of(url: &str) -> String {
    let u = url::Url::parse(url).expect("an absolute URL");
    u.path().to_owned()
}

/// The path of a discovery document member.
pub fn path(doc: &Value, member: &str) -> String {
    path_of(
        doc[member]
            .as_str()
            .unwrap_or_else(|| panic!("{member} in {doc}")),
    )
}
