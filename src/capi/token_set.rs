//! `OakTokenSet`: a handle on a [`TokenSet`], its accessors and its JSON
//! form.
//!
//! Threads: a token set may be read (getters, `to_json`, `clone`) from any
//! number of threads at once; the setters and `oak_token_set_free` need
//! exclusive use of the handle.

use std::ffi::c_char;

use super::boundary::{
    self, call, free_handle, handle, handle_mut, new_handle, opt_out, opt_str_arg, out, str_arg,
    OakStatus, OutValue,
};
use super::strings::opt_to_c;
use crate::error::Result;
use crate::token::{split_scopes, TokenSet};

/// An opaque handle on a set of tokens (access token, refresh token, ID
/// token, scopes, expiry). Free it with `oak_token_set_free`.
pub struct OakTokenSet(pub(crate) TokenSet);

impl OakTokenSet {
    /// The token set behind the handle.
    pub fn token_set(&self) -> &TokenSet {
        &self.0
    }
}

/// An accessor of the token set behind `ts`.
unsafe fn read<T: OutValue>(
    ts: *const OakTokenSet,
    out_value: *mut T,
    name: &'static str,
    get: impl FnOnce(&TokenSet) -> Result<T>,
) -> OakStatus {
    boundary::read(ts, "tokens", out_value, name, |ts| get(&ts.0))
}

/// A string accessor: a copy of the text, or NULL when there is none.
unsafe fn getter(
    ts: *const OakTokenSet,
    out_value: *mut *mut c_char,
    get: impl FnOnce(&TokenSet) -> Option<&str>,
) -> OakStatus {
    read(ts, out_value, "out", |t| opt_to_c(get(t)))
}

unsafe fn setter(ts: *mut OakTokenSet, set: impl FnOnce(&mut TokenSet) -> Result<()>) -> OakStatus {
    call((), |()| set(&mut handle_mut(ts, "tokens")?.0))
}

/// Makes a bearer token set holding only `access_token`, issued now.
/// Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_token_set_new(
    access_token: *const c_char,
    out_tokens: *mut *mut OakTokenSet,
) -> OakStatus {
    call(out(out_tokens, "out_tokens"), |out_tokens| {
        let out_tokens = out_tokens.get()?;
        *out_tokens = new_handle(OakTokenSet(TokenSet::bearer(str_arg(
            access_token,
            "access_token",
        )?)));
        Ok(())
    })
}

/// Parses a token set from oauthkit's JSON shape (the one
/// `oak_token_set_to_json` writes and the stores keep). Malformed JSON is
/// `OAK_ERR_CORRUPT`. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_token_set_from_json(
    json: *const c_char,
    out_tokens: *mut *mut OakTokenSet,
) -> OakStatus {
    call(out(out_tokens, "out_tokens"), |out_tokens| {
        let out_tokens = out_tokens.get()?;
        *out_tokens = new_handle(OakTokenSet(TokenSet::from_json(str_arg(json, "json")?)?));
        Ok(())
    })
}

/// Writes the token set as JSON to `*out_json` (a copy holding the tokens:
/// free it with `oak_string_free`, which zeroes it). Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_token_set_to_json(
    tokens: *const OakTokenSet,
    out_json: *mut *mut c_char,
) -> OakStatus {
    read(tokens, out_json, "out_json", |t| {
        opt_to_c(Some(&t.to_json()))
    })
}

/// Makes an independent copy of a token set (e.g. to keep one passed to a
/// callback). Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_token_set_clone(
    tokens: *const OakTokenSet,
    out_tokens: *mut *mut OakTokenSet,
) -> OakStatus {
    call(out(out_tokens, "out_tokens"), |out_tokens| {
        let out_tokens = out_tokens.get()?;
        *out_tokens = new_handle(OakTokenSet(handle(tokens, "tokens")?.0.clone()));
        Ok(())
    })
}

/// Frees a token set, zeroing its tokens. NULL is a no-op. Any thread, once
/// no other call uses the handle.
#[no_mangle]
pub unsafe extern "C" fn oak_token_set_free(tokens: *mut OakTokenSet) {
    free_handle(tokens)
}

/// Copies the access token to `*out` (free with `oak_string_free`). Any
/// thread.
#[no_mangle]
pub unsafe extern "C" fn oak_token_set_access_token(
    tokens: *const OakTokenSet,
    out: *mut *mut c_char,
) -> OakStatus {
    getter(tokens, out, |t| Some(t.access_token.expose()))
}

/// Copies the refresh token to `*out`, or sets it to NULL when there is
/// none (free with `oak_string_free`). Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_token_set_refresh_token(
    tokens: *const OakTokenSet,
    out: *mut *mut c_char,
) -> OakStatus {
    getter(tokens, out, |t| {
        t.refresh_token.as_ref().map(|s| s.expose())
    })
}

/// Copies the OpenID Connect ID token to `*out`, or sets it to NULL when
/// there is none (free with `oak_string_free`). Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_token_set_id_token(
    tokens: *const OakTokenSet,
    out: *mut *mut c_char,
) -> OakStatus {
    getter(tokens, out, |t| t.id_token.as_ref().map(|s| s.expose()))
}

/// Copies the token type (normally `Bearer`) to `*out`. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_token_set_token_type(
    tokens: *const OakTokenSet,
    out: *mut *mut c_char,
) -> OakStatus {
    getter(tokens, out, |t| Some(&t.token_type))
}

/// Copies the granted scopes, space-separated, to `*out` (`""` when none).
/// Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_token_set_scope(
    tokens: *const OakTokenSet,
    out: *mut *mut c_char,
) -> OakStatus {
    read(tokens, out, "out", |t| opt_to_c(Some(&t.scope_string())))
}

/// Copies the resource server to `*out`, or NULL when unset. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_token_set_resource_server(
    tokens: *const OakTokenSet,
    out: *mut *mut c_char,
) -> OakStatus {
    getter(tokens, out, |t| t.resource_server.as_deref())
}

/// Copies the identity (the ID token's `sub`) to `*out`, or NULL when
/// unknown. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_token_set_identity_id(
    tokens: *const OakTokenSet,
    out: *mut *mut c_char,
) -> OakStatus {
    getter(tokens, out, |t| t.identity_id.as_deref())
}

/// Writes the access token's expiry (Unix seconds) to `*out_unix` and
/// whether it is known to `*out_known` (when unknown, `*out_unix` is 0).
/// `out_known` may be NULL. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_token_set_expires_at(
    tokens: *const OakTokenSet,
    out_unix: *mut i64,
    out_known: *mut bool,
) -> OakStatus {
    let outs = (out(out_unix, "out_unix"), opt_out(out_known));
    call(outs, |(out_unix, out_known)| {
        let out_unix = out_unix.get()?;
        let expires_at = handle(tokens, "tokens")?.0.expires_at;
        *out_unix = expires_at.unwrap_or(0);
        out_known.set(expires_at.is_some());
        Ok(())
    })
}

/// Writes when the tokens were received (Unix seconds) to `*out_unix`. Any
/// thread.
#[no_mangle]
pub unsafe extern "C" fn oak_token_set_issued_at(
    tokens: *const OakTokenSet,
    out_unix: *mut i64,
) -> OakStatus {
    read(tokens, out_unix, "out_unix", |t| Ok(t.issued_at))
}

/// Writes to `*out_expired` whether the access token expires within
/// `leeway_secs` seconds from now (never true when the expiry is unknown).
/// Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_token_set_is_expired(
    tokens: *const OakTokenSet,
    leeway_secs: i64,
    out_expired: *mut bool,
) -> OakStatus {
    read(tokens, out_expired, "out_expired", |t| {
        Ok(t.is_expired(leeway_secs))
    })
}

/// Writes to `*out_has` whether the granted scopes include `scope`. Any
/// thread.
#[no_mangle]
pub unsafe extern "C" fn oak_token_set_has_scope(
    tokens: *const OakTokenSet,
    scope: *const c_char,
    out_has: *mut bool,
) -> OakStatus {
    read(tokens, out_has, "out_has", |t| {
        Ok(t.has_scope(str_arg(scope, "scope")?))
    })
}

/// Sets (or with NULL removes) the refresh token. Needs exclusive use of
/// the handle.
#[no_mangle]
pub unsafe extern "C" fn oak_token_set_set_refresh_token(
    tokens: *mut OakTokenSet,
    refresh_token: *const c_char,
) -> OakStatus {
    setter(tokens, |t| {
        t.refresh_token = opt_str_arg(refresh_token, "refresh_token")?.map(Into::into);
        Ok(())
    })
}

/// Sets (or with NULL removes) the ID token. Needs exclusive use of the
/// handle.
#[no_mangle]
pub unsafe extern "C" fn oak_token_set_set_id_token(
    tokens: *mut OakTokenSet,
    id_token: *const c_char,
) -> OakStatus {
    setter(tokens, |t| {
        t.id_token = opt_str_arg(id_token, "id_token")?.map(Into::into);
        Ok(())
    })
}

/// Sets the granted scopes from a space-separated string. Needs exclusive
/// use of the handle.
#[no_mangle]
pub unsafe extern "C" fn oak_token_set_set_scope(
    tokens: *mut OakTokenSet,
    scope: *const c_char,
) -> OakStatus {
    setter(tokens, |t| {
        t.scopes = split_scopes(str_arg(scope, "scope")?);
        Ok(())
    })
}

/// Sets the expiry to `expires_in` seconds after the issue time. Needs
/// exclusive use of the handle.
#[no_mangle]
pub unsafe extern "C" fn oak_token_set_set_expires_in(
    tokens: *mut OakTokenSet,
    expires_in: i64,
) -> OakStatus {
    setter(tokens, |t| {
        t.expires_at = Some(t.issued_at.saturating_add(expires_in));
        Ok(())
    })
}

/// Sets (or with NULL removes) the resource server. Needs exclusive use of
/// the handle.
#[no_mangle]
pub unsafe extern "C" fn oak_token_set_set_resource_server(
    tokens: *mut OakTokenSet,
    resource_server: *const c_char,
) -> OakStatus {
    setter(tokens, |t| {
        t.resource_server = opt_str_arg(resource_server, "resource_server")?.map(Into::into);
        Ok(())
    })
}
