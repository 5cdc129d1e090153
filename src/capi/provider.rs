//! `OakProvider`: an authorization server (generic OpenID Connect, Google,
//! Microsoft, GitHub, or one described by environment settings), and
//! token revocation.
//!
//! Threads: every function may be called from any thread, also
//! concurrently on one handle; only `oak_provider_free` needs that no other
//! call uses the handle.

use std::ffi::c_char;
use std::sync::Arc;

use super::boundary::{call, free_handle, handle, new_handle, opt_out, out, str_arg, OakStatus};
use super::strings::put;
use crate::error::{Error, Result};
use crate::provider::{Provider, TokenTypeHint};

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
    call(|| {
        let out_name = out(out_name, "out_name")?;
        put(out_name, handle(provider, "provider")?.0.name())
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
    call(|| {
        let out_revoked = opt_out(out_revoked);
        let revoked = handle(provider, "provider")?
            .0
            .revoke_token(str_arg(token, "token")?, hint_of(hint)?)?;
        if let Some(slot) = out_revoked {
            *slot = revoked;
        }
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
    call(|| {
        let out_json = out(out_json, "out_json")?;
        let claims = handle(provider, "provider")?
            .0
            .get_userinfo(str_arg(access_token, "access_token")?)?;
        put(out_json, &claims.to_string())
    })
}
