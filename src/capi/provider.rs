//! `OakProvider`: an authorization server (generic OpenID Connect, Google,
//! Microsoft, GitHub, or one described by environment settings), and
//! token revocation.
//!
//! Threads: every function may be called from any thread, also
//! concurrently on one handle; only `oak_provider_free` needs that no other
//! call uses the handle.

use std::ffi::c_char;
use std::sync::Arc;

use super::boundary::{
    call, free_handle, handle, new_handle, opt_out, opt_str_arg, out, str_arg, OakStatus,
};
use super::strings::put;
use crate::error::{Error, Result};
use crate::provider::{Provider, ProviderKind, ProviderSettings, TokenTypeHint};
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
        *out_provider = OakProvider::into_raw(settings.build()?);
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

/// Makes the provider the `OAUTHKIT_*` environment variables describe
/// (`OAUTHKIT_PROVIDER`, `OAUTHKIT_CLIENT_ID`, `OAUTHKIT_CLIENT_SECRET`,
/// `OAUTHKIT_SCOPES`, `OAUTHKIT_ISSUER_URL`, `OAUTHKIT_TENANT_ID`, ...). A
/// missing setting is `OAK_ERR_INVALID_ARGUMENT` naming the variable. Any
/// thread.
#[no_mangle]
pub unsafe extern "C" fn oak_provider_from_env(out_provider: *mut *mut OakProvider) -> OakStatus {
    call(out(out_provider, "out_provider"), |out_provider| {
        let out_provider = out_provider.get()?;
        *out_provider = OakProvider::into_raw(ProviderSettings::from_env()?.build()?);
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
    call(out(out_name, "out_name"), |out_name| {
        put(out_name.get()?, handle(provider, "provider")?.0.name())
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
            .revoke_token(str_arg(token, "token")?, hint_of(hint)?)?;
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
    call(out(out_json, "out_json"), |out_json| {
        let out_json = out_json.get()?;
        let claims = handle(provider, "provider")?
            .0
            .get_userinfo(str_arg(access_token, "access_token")?)?;
        put(out_json, &claims.to_string())
    })
}
