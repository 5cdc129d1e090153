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

/// Auth0's tenant discovery: the issuer ends with `/`, endpoints hang off
/// the domain (`/authorize`, `/oauth/token`, `/oauth/device/code`,
/// `/oauth/revoke`, `/userinfo`, `/.well-known/jwks.json`); the
/// end-session endpoint is listed only with the tenant's "RP-Initiated
/// Logout End Session Endpoint Discovery" on (`with_end_session`).
pub fn auth0(domain_url: &str, with_end_session: bool) -> Value {
    let d = domain_url.trim_end_matches('/');
    let mut v = json!({
        "issuer": format!("{d}/"),
        "authorization_endpoint": format!("{d}/authorize"),
        "token_endpoint": format!("{d}/oauth/token"),
        "device_authorization_endpoint": format!("{d}/oauth/device/code"),
        "userinfo_endpoint": format!("{d}/userinfo"),
        "mfa_challenge_endpoint": format!("{d}/mfa/challenge"),
        "jwks_uri": format!("{d}/.well-known/jwks.json"),
        "registration_endpoint": format!("{d}/oidc/register"),
        "revocation_endpoint": format!("{d}/oauth/revoke"),
        "scopes_supported": ["openid", "profile", "offline_access", "name", "given_name",
            "family_name", "nickname", "email", "email_verified", "picture", "created_at",
            "identities", "phone", "address"],
        "response_types_supported": ["code", "token", "id_token", "code token", "code id_token",
            "token id_token", "code token id_token"],
        "code_challenge_methods_supported": ["S256", "plain"],
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["public"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post",
            "private_key_jwt"],
        "claims_supported": ["aud", "auth_time", "created_at", "email", "email_verified", "exp",
            "family_name", "given_name", "iat", "identities", "iss", "name", "nickname",
            "phone_number", "picture", "sub"],
        "request_uri_parameter_supported": false,
        "request_parameter_supported": false,
        "id_token_signing_alg_values_supported": ["HS256", "RS256", "PS256"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256", "RS384", "PS256"],
    });
    if with_end_session {
        v["end_session_endpoint"] = format!("{d}/oidc/logout").into();
    }
    v
}

/// Okta's discovery for an authorization server: a custom one
/// (`{org}/oauth2/{id}`: endpoints under `{issuer}/v1/`) or the org one
/// (issuer = the org URL, endpoints under `{org}/oauth2/v1/`).
pub fn okta(issuer: &str, org_url: &str) -> Value {
    let p = if issuer == org_url {
        format!("{org_url}/oauth2/v1")
    } else {
        format!("{issuer}/v1")
    };
    json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{p}/authorize"),
        "token_endpoint": format!("{p}/token"),
        "userinfo_endpoint": format!("{p}/userinfo"),
        "registration_endpoint": format!("{org_url}/oauth2/v1/clients"),
        "jwks_uri": format!("{p}/keys"),
        "response_types_supported": ["code", "id_token", "code id_token", "code token",
            "id_token token", "code id_token token"],
        "response_modes_supported": ["query", "fragment", "form_post", "okta_post_message"],
        "grant_types_supported": ["authorization_code", "implicit", "refresh_token", "password",
            "urn:ietf:params:oauth:grant-type:device_code",
            "urn:ietf:params:oauth:grant-type:token-exchange"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "profile", "email", "address", "phone",
            "offline_access", "device_sso"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post",
            "client_secret_jwt", "private_key_jwt", "none"],
        "claims_supported": ["iss", "ver", "sub", "aud", "iat", "exp", "jti", "auth_time",
            "amr", "idp", "nonce", "name", "email", "email_verified", "preferred_username"],
        "code_challenge_methods_supported": ["S256"],
        "introspection_endpoint": format!("{p}/introspect"),
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic",
            "client_secret_post", "client_secret_jwt", "private_key_jwt", "none"],
        "revocation_endpoint": format!("{p}/revoke"),
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic",
            "client_secret_post", "client_secret_jwt", "private_key_jwt", "none"],
        "end_session_endpoint": format!("{p}/logout"),
        "request_parameter_supported": true,
        "request_object_signing_alg_values_supported": ["HS256", "HS384", "HS512", "RS256",
            "RS384", "RS512", "ES256", "ES384", "ES512"],
        "device_authorization_endpoint": format!("{p}/device/authorize"),
        "pushed_authorization_request_endpoint": format!("{p}/par"),
        "dpop_signing_alg_values_supported": ["RS256", "RS384", "RS512", "ES256", "ES384",
            "ES512"],
    })
}

/// GitLab's discovery (Doorkeeper): issuer = the instance URL, endpoints
/// under `/oauth/`, no end-session endpoint.
pub fn gitlab(base: &str) -> Value {
    json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/oauth/authorize"),
        "token_endpoint": format!("{base}/oauth/token"),
        "revocation_endpoint": format!("{base}/oauth/revoke"),
        "introspection_endpoint": format!("{base}/oauth/introspect"),
        "userinfo_endpoint": format!("{base}/oauth/userinfo"),
        "jwks_uri": format!("{base}/oauth/discovery/keys"),
        "scopes_supported": ["api", "read_api", "read_user", "create_runner", "k8s_proxy",
            "read_repository", "write_repository", "read_registry", "write_registry", "sudo",
            "admin_mode", "openid", "profile", "email"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "fragment", "form_post"],
        "grant_types_supported": ["authorization_code", "password", "client_credentials",
            "device_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "claim_types_supported": ["normal"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "sub_legacy", "name",
            "nickname", "preferred_username", "email", "email_verified", "website", "profile",
            "picture", "groups", "groups_direct"],
        "code_challenge_methods_supported": ["plain", "S256"],
    })
}

/// Error bodies as each provider documents them (status, body).
pub mod errors {
    use serde_json::{json, Value};

    /// Keycloak, a wrong client secret.
    pub fn keycloak_wrong_secret() -> (u16, Value) {
        (
            401,
            json!({"error": "unauthorized_client",
            "error_description": "Invalid client or Invalid client credentials"}),
        )
    }
    /// Keycloak, token exchange to an audience that is no client.
    pub fn keycloak_unknown_audience() -> (u16, Value) {
        (
            400,
            json!({"error": "invalid_client", "error_description": "Audience not found"}),
        )
    }
    /// Keycloak, a revoked or expired refresh token.
    pub fn keycloak_inactive_token() -> (u16, Value) {
        (
            400,
            json!({"error": "invalid_grant", "error_description": "Token is not active"}),
        )
    }
    /// Keycloak, `offline_access` for a user without the role.
    pub fn keycloak_offline_not_allowed() -> (u16, Value) {
        (
            400,
            json!({"error": "not_allowed", "error_description": "Offline tokens not allowed"}),
        )
    }
    /// Auth0, an unknown, expired or reused refresh token (HTTP 403).
    pub fn auth0_invalid_refresh() -> (u16, Value) {
        (
            403,
            json!({"error": "invalid_grant",
            "error_description": "Unknown or invalid refresh token."}),
        )
    }
    /// Auth0, an `audience` that names no API of the tenant.
    pub fn auth0_unknown_audience() -> (u16, Value) {
        (
            403,
            json!({"error": "access_denied",
            "error_description": "Service not enabled within domain: https://api.unknown"}),
        )
    }
    /// Okta, a wrong client secret.
    pub fn okta_wrong_secret() -> (u16, Value) {
        (
            401,
            json!({"error": "invalid_client",
            "error_description": "The client secret supplied for a confidential client is invalid."}),
        )
    }
    /// Okta, an expired or revoked refresh token.
    pub fn okta_invalid_refresh() -> (u16, Value) {
        (
            400,
            json!({"error": "invalid_grant",
            "error_description": "The refresh token is invalid or expired."}),
        )
    }
    /// GitLab (Doorkeeper), a spent (rotated) or revoked refresh token.
    pub fn gitlab_invalid_grant() -> (u16, Value) {
        (
            400,
            json!({"error": "invalid_grant",
            "error_description": "The provided authorization grant is invalid, expired, revoked, \
does not match the redirection URI used in the authorization request, or was issued to another \
client."}),
        )
    }
    /// GitLab (Doorkeeper), a wrong client secret.
    pub fn gitlab_wrong_secret() -> (u16, Value) {
        (
            401,
            json!({"error": "invalid_client",
            "error_description": "Client authentication failed due to unknown client, no client \
authentication included, or unsupported authentication method."}),
        )
    }
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
