//! `OakProvider`: an authorization server (generic OpenID Connect, Google,
//! Microsoft, GitHub, Keycloak, Auth0, Okta, GitLab, or one described by
//! environment settings), and
//! token revocation.
//!
//! Threads: every function may be called from any thread, also
//! concurrently on one handle; only `oak_provider_free` needs that no other
//! call uses the handle.

use std::ffi::c_char;
use std::sync::Arc;

use super::boundary::{
    call, free_handle, handle, new_handle, opt_out, opt_str_arg, out, read, str_arg, OakStatus,
};
use super::strings::opt_to_c;
use crate::error::{Error, Result};
use crate::provider::grants::par::ParPolicy;
use crate::provider::{
    Provider, ProviderKind, ProviderSettings, TokenRevocation, TokenTypeHint, UserinfoRequest,
};
use crate::secret::Secret;

/// An opaque handle on a provider. Free it with `oak_provider_free`.
pub struct OakProvider(pub(crate) Arc<dyn Provider>);

impl OakProvider {
    /// Wraps any Rust [`Provider`] in a handle C code can use (for Rust
    /// hosts handing a provider to a C component). The receiver frees it
    /// with `oak_provider_free`.
    pub fn into_raw(provider: Arc<dyn Provider>) -> *mut OakProvider {
        new_handle(OakProvider(provider))
    }
}

/// Which token `oak_provider_revoke` names (RFC 7009 `token_type_hint`).
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum OakTokenHint {
    /// No hint: the provider works it out.
    OAK_TOKEN_HINT_NONE = 0,
    /// An access token.
    OAK_TOKEN_HINT_ACCESS_TOKEN = 1,
    /// A refresh token.
    OAK_TOKEN_HINT_REFRESH_TOKEN = 2,
}

/// A revocation of `token` with `hint`.
fn revocation(token: &str, hint: Option<TokenTypeHint>) -> TokenRevocation {
    let request = TokenRevocation::new(token);
    match hint {
        Some(h) => request.hint(h),
        None => request,
    }
}

fn hint_of(hint: i32) -> Result<Option<TokenTypeHint>> {
    match hint {
        0 => Ok(None),
        1 => Ok(Some(TokenTypeHint::AccessToken)),
        2 => Ok(Some(TokenTypeHint::RefreshToken)),
        other => Err(Error::InvalidArgument(format!(
            "unknown token hint {other}"
        ))),
    }
}

/// Builds a provider from settings: the one path every constructor takes.
unsafe fn from_settings(
    kind: ProviderKind,
    client_id: *const c_char,
    client_secret: *const c_char,
    scopes: *const c_char,
    out_provider: *mut *mut OakProvider,
    more: impl FnOnce(&mut ProviderSettings) -> Result<()>,
) -> OakStatus {
    call(out(out_provider, "out_provider"), |out_provider| {
        let out_provider = out_provider.get()?;
        let mut settings = ProviderSettings::new(kind, str_arg(client_id, "client_id")?);
        settings.client_secret = opt_str_arg(client_secret, "client_secret")?.map(Secret::new);
        settings.scopes = opt_str_arg(scopes, "scopes")?
            .map(|s| s.split_whitespace().map(str::to_owned).collect());
        more(&mut settings)?;
        *out_provider = OakProvider::into_raw(std::sync::Arc::new(settings.build()?));
        Ok(())
    })
}

/// Makes a generic OpenID Connect provider for `issuer` (discovery,
/// ID-token validation against its JWKS, `iss` checks). `client_secret`
/// NULL (or empty) means a public client; `scopes` (space-separated) NULL
/// means `openid email profile`. Nothing is fetched until first use. Any
/// thread.
#[no_mangle]
pub unsafe extern "C" fn oak_provider_oidc(
    issuer: *const c_char,
    client_id: *const c_char,
    client_secret: *const c_char,
    scopes: *const c_char,
    out_provider: *mut *mut OakProvider,
) -> OakStatus {
    from_settings(
        ProviderKind::Oidc,
        client_id,
        client_secret,
        scopes,
        out_provider,
        |s| {
            s.issuer_url = Some(str_arg(issuer, "issuer")?.to_owned());
            Ok(())
        },
    )
}

/// Makes a Google provider (OpenID Connect). `client_secret` and `scopes`
/// may be NULL (Google's desktop clients do have a secret). Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_provider_google(
    client_id: *const c_char,
    client_secret: *const c_char,
    scopes: *const c_char,
    out_provider: *mut *mut OakProvider,
) -> OakStatus {
    from_settings(
        ProviderKind::Google,
        client_id,
        client_secret,
        scopes,
        out_provider,
        |_| Ok(()),
    )
}

/// Makes a Microsoft identity platform provider for `tenant` (NULL:
/// `common`; also `organizations`, `consumers` or a tenant ID).
/// `client_secret` and `scopes` may be NULL. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_provider_microsoft(
    tenant: *const c_char,
    client_id: *const c_char,
    client_secret: *const c_char,
    scopes: *const c_char,
    out_provider: *mut *mut OakProvider,
) -> OakStatus {
    from_settings(
        ProviderKind::Microsoft,
        client_id,
        client_secret,
        scopes,
        out_provider,
        |s| {
            s.tenant_id = opt_str_arg(tenant, "tenant")?.map(str::to_owned);
            Ok(())
        },
    )
}

/// Makes a GitHub provider (OAuth 2.0, identity from the user API).
/// `client_secret` and `scopes` may be NULL. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_provider_github(
    client_id: *const c_char,
    client_secret: *const c_char,
    scopes: *const c_char,
    out_provider: *mut *mut OakProvider,
) -> OakStatus {
    from_settings(
        ProviderKind::GitHub,
        client_id,
        client_secret,
        scopes,
        out_provider,
        |_| Ok(()),
    )
}

/// Makes a Keycloak provider for `realm` on the server at `base_url`
/// (issuer `{base_url}/realms/{realm}`; a trailing `/` and a legacy
/// `/auth` path are fine). `client_secret` and `scopes` may be NULL
/// (scopes: `openid email profile`). `par_required`: the client has
/// "Pushed authorization request required" on, so every sign-in is pushed
/// (Keycloak's discovery does not say so). An empty or malformed base URL
/// or realm is `OAK_ERR_INVALID_ARGUMENT` naming it. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_provider_keycloak(
    base_url: *const c_char,
    realm: *const c_char,
    client_id: *const c_char,
    client_secret: *const c_char,
    scopes: *const c_char,
    par_required: bool,
    out_provider: *mut *mut OakProvider,
) -> OakStatus {
    from_settings(
        ProviderKind::Keycloak,
        client_id,
        client_secret,
        scopes,
        out_provider,
        |s| {
            s.base_url = Some(str_arg(base_url, "base_url")?.to_owned());
            s.realm = Some(str_arg(realm, "realm")?.to_owned());
            if par_required {
                s.par = Some(ParPolicy::Always);
            }
            Ok(())
        },
    )
}

/// Makes an Auth0 provider for the tenant `domain` (`acme.eu.auth0.com`
/// or a custom domain; issuer `https://{domain}/`). `client_secret` and
/// `scopes` may be NULL (scopes: `openid profile email offline_access`);
/// `audience` (may be NULL) names the API access tokens are for. Any
/// thread.
#[no_mangle]
pub unsafe extern "C" fn oak_provider_auth0(
    domain: *const c_char,
    client_id: *const c_char,
    client_secret: *const c_char,
    scopes: *const c_char,
    audience: *const c_char,
    out_provider: *mut *mut OakProvider,
) -> OakStatus {
    from_settings(
        ProviderKind::Auth0,
        client_id,
        client_secret,
        scopes,
        out_provider,
        |s| {
            s.domain = Some(str_arg(domain, "domain")?.to_owned());
            s.audience = opt_str_arg(audience, "audience")?.map(str::to_owned);
            Ok(())
        },
    )
}

/// Makes an Okta provider for the org at `org_url` and its
/// `authorization_server`: NULL or `"default"` (issuer
/// `{org_url}/oauth2/default`), a custom server's id
/// (`{org_url}/oauth2/{id}`) or `"org"` (the org authorization server,
/// issuer `org_url`). `client_secret` and `scopes` may be NULL (scopes:
/// `openid profile email offline_access`). Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_provider_okta(
    org_url: *const c_char,
    authorization_server: *const c_char,
    client_id: *const c_char,
    client_secret: *const c_char,
    scopes: *const c_char,
    out_provider: *mut *mut OakProvider,
) -> OakStatus {
    from_settings(
        ProviderKind::Okta,
        client_id,
        client_secret,
        scopes,
        out_provider,
        |s| {
            s.base_url = Some(str_arg(org_url, "org_url")?.to_owned());
            s.authorization_server =
                opt_str_arg(authorization_server, "authorization_server")?.map(str::to_owned);
            Ok(())
        },
    )
}

/// Makes a GitLab provider for the instance at `base_url` (NULL:
/// `https://gitlab.com`; issuer = the base URL). `client_secret` and
/// `scopes` may be NULL (scopes: `openid profile email`). Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_provider_gitlab(
    base_url: *const c_char,
    client_id: *const c_char,
    client_secret: *const c_char,
    scopes: *const c_char,
    out_provider: *mut *mut OakProvider,
) -> OakStatus {
    from_settings(
        ProviderKind::GitLab,
        client_id,
        client_secret,
        scopes,
        out_provider,
        |s| {
            s.base_url = opt_str_arg(base_url, "base_url")?.map(str::to_owned);
            Ok(())
        },
    )
}

/// Makes the provider the `OAUTHKIT_*` environment variables describe
/// (`OAUTHKIT_PROVIDER`, `OAUTHKIT_CLIENT_ID`, `OAUTHKIT_CLIENT_SECRET`,
/// `OAUTHKIT_SCOPES`, `OAUTHKIT_ISSUER_URL`, `OAUTHKIT_TENANT_ID`, ...). A
/// missing setting is `OAK_ERR_INVALID_ARGUMENT` naming the variable. Any
/// thread.
#[no_mangle]
pub unsafe extern "C" fn oak_provider_from_env(out_provider: *mut *mut OakProvider) -> OakStatus {
    call(out(out_provider, "out_provider"), |out_provider| {
        let out_provider = out_provider.get()?;
        *out_provider =
            OakProvider::into_raw(std::sync::Arc::new(ProviderSettings::from_env()?.build()?));
        Ok(())
    })
}

/// Frees a provider. NULL is a no-op. Any thread, once no other call uses
/// the handle.
#[no_mangle]
pub unsafe extern "C" fn oak_provider_free(provider: *mut OakProvider) {
    free_handle(provider)
}

/// Copies the provider's short name (`"oidc"`, `"google"`, ...) to `*out`
/// (free with `oak_string_free`). Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_provider_name(
    provider: *const OakProvider,
    out_name: *mut *mut c_char,
) -> OakStatus {
    read(provider, "provider", out_name, "out_name", |p| {
        opt_to_c(Some(p.0.name()))
    })
}

/// Copies the provider's issuer to `*out_issuer` (free with
/// `oak_string_free`); NULL when it has none (GitHub, a plain OAuth 2.0
/// provider without one). No network: the configured issuer, which
/// discovery must confirm. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_provider_issuer(
    provider: *const OakProvider,
    out_issuer: *mut *mut c_char,
) -> OakStatus {
    read(provider, "provider", out_issuer, "out_issuer", |p| {
        opt_to_c(p.0.issuer().as_deref())
    })
}

/// Revokes `token` at the provider (RFC 7009); `hint` is an
/// `OakTokenHint`. `*out_revoked` (may be NULL) is false when the provider
/// has no revocation endpoint. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_provider_revoke(
    provider: *const OakProvider,
    token: *const c_char,
    hint: i32,
    out_revoked: *mut bool,
) -> OakStatus {
    call(opt_out(out_revoked), |out_revoked| {
        let revoked = handle(provider, "provider")?
            .0
            .revoke_token(&revocation(str_arg(token, "token")?, hint_of(hint)?))?;
        out_revoked.set(revoked);
        Ok(())
    })
}

/// Copies the user's claims from the provider's userinfo endpoint as JSON
/// to `*out_json` (`null` when the provider has none; free with
/// `oak_string_free`). Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_provider_userinfo(
    provider: *const OakProvider,
    access_token: *const c_char,
    out_json: *mut *mut c_char,
) -> OakStatus {
    read(provider, "provider", out_json, "out_json", |p| {
        let request = UserinfoRequest::new(str_arg(access_token, "access_token")?);
        let claims = p.0.get_userinfo(&request)?;
        opt_to_c(Some(
            &claims.map_or_else(|| "null".to_owned(), |c| c.to_json()),
        ))
    })
}
