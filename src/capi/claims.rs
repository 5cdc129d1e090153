//! `OakClaims`: who signed in, typed ([`Claims`]): the claims of an ID
//! token (`oak_token_set_id_token_claims`) or of a userinfo answer
//! (`oak_claims_from_json` on the JSON `oak_flow_run_native` and
//! `oak_provider_userinfo` give), read by name.
//!
//! Threads: a claims handle is never changed after it is made; any number
//! of threads may read it at once; `oak_claims_free` needs exclusive use.

use std::ffi::c_char;

use serde::de::DeserializeOwned;

use super::boundary::{call, free_handle, handle, new_handle, out, str_arg, OakStatus};
use super::strings::{opt_to_c, put};
use super::token_set::OakTokenSet;
use crate::claims::Claims;
use crate::error::Result;

/// An opaque handle on the claims about a user. Free it with
/// `oak_claims_free`.
pub struct OakClaims(pub(crate) Claims);

/// Reads claims from a JSON object (a userinfo answer, an ID token's
/// payload). Standard claims sent with the wrong JSON type never fail:
/// `"true"`/`"false"` strings are booleans, a number in a string is a
/// time, anything else is kept as sent (read it with `oak_claims_json`).
/// Not a JSON object: `OAK_ERR_INVALID_ARGUMENT`. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_claims_from_json(
    json: *const c_char,
    out_claims: *mut *mut OakClaims,
) -> OakStatus {
    call(out(out_claims, "out_claims"), |out_claims| {
        let out_claims = out_claims.get()?;
        *out_claims = new_handle(OakClaims(Claims::from_json(str_arg(json, "json")?)?));
        Ok(())
    })
}

/// The claims of the token set's ID token (validated when it was received,
/// at sign-in or refresh) to `*out_claims`; NULL when the set has no ID
/// token. Free with `oak_claims_free`. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_token_set_id_token_claims(
    tokens: *const OakTokenSet,
    out_claims: *mut *mut OakClaims,
) -> OakStatus {
    call(out(out_claims, "out_claims"), |out_claims| {
        let out_claims = out_claims.get()?;
        let claims = handle(tokens, "tokens")?.0.id_token_claims();
        *out_claims = claims.map_or(std::ptr::null_mut(), |c| new_handle(OakClaims(c)));
        Ok(())
    })
}

/// Frees a claims handle. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn oak_claims_free(claims: *mut OakClaims) {
    free_handle(claims)
}

/// Reads claim `name` as `T` for the accessors below: `None` when absent.
unsafe fn typed<T: DeserializeOwned>(
    claims: *const OakClaims,
    name: *const c_char,
) -> Result<Option<T>> {
    handle(claims, "claims")?
        .0
        .claim::<T>(str_arg(name, "name")?)
}

/// Copies the string claim `name` (`"sub"`, `"email"`, a custom claim) to
/// `*out_value`, NULL when absent (free with `oak_string_free`). A claim
/// that is not a string: `OAK_ERR_INVALID_ARGUMENT`. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_claims_string(
    claims: *const OakClaims,
    name: *const c_char,
    out_value: *mut *mut c_char,
) -> OakStatus {
    call(out(out_value, "out_value"), |out_value| {
        let out_value = out_value.get()?;
        *out_value = opt_to_c(typed::<String>(claims, name)?.as_deref())?;
        Ok(())
    })
}

/// The boolean claim `name` (`"email_verified"`, `"phone_number_verified"`,
/// a custom claim): `*out_present` says whether it is there, `*out_value`
/// its value. A claim that is not a boolean: `OAK_ERR_INVALID_ARGUMENT`.
/// Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_claims_bool(
    claims: *const OakClaims,
    name: *const c_char,
    out_present: *mut bool,
    out_value: *mut bool,
) -> OakStatus {
    let outs = (out(out_present, "out_present"), out(out_value, "out_value"));
    call(outs, |(out_present, out_value)| {
        let (out_present, out_value) = (out_present.get()?, out_value.get()?);
        if let Some(v) = typed::<bool>(claims, name)? {
            *out_present = true;
            *out_value = v;
        }
        Ok(())
    })
}

/// The time claim `name` (`"exp"`, `"iat"`, `"auth_time"`,
/// `"updated_at"`) as seconds since the Unix epoch: `*out_present` says
/// whether it is there. A claim that is not a number of seconds (an
/// `updated_at` sent as a date string): `OAK_ERR_INVALID_ARGUMENT`; read
/// it with `oak_claims_json`. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_claims_time(
    claims: *const OakClaims,
    name: *const c_char,
    out_present: *mut bool,
    out_unix_seconds: *mut i64,
) -> OakStatus {
    let outs = (
        out(out_present, "out_present"),
        out(out_unix_seconds, "out_unix_seconds"),
    );
    call(outs, |(out_present, out_seconds)| {
        let (out_present, out_seconds) = (out_present.get()?, out_seconds.get()?);
        if let Some(v) = typed::<i64>(claims, name)? {
            *out_present = true;
            *out_seconds = v;
        }
        Ok(())
    })
}

/// Copies claim `name` as JSON text to `*out_json` (any claim: `"aud"`,
/// `"amr"`, a custom object), NULL when absent; with `name` NULL, all the
/// claims as one JSON object. Free with `oak_string_free`. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_claims_json(
    claims: *const OakClaims,
    name: *const c_char,
    out_json: *mut *mut c_char,
) -> OakStatus {
    call(out(out_json, "out_json"), |out_json| {
        let out_json = out_json.get()?;
        let c = &handle(claims, "claims")?.0;
        if name.is_null() {
            return put(out_json, &c.to_json());
        }
        match c.claim::<serde_json::Value>(str_arg(name, "name")?)? {
            Some(v) => put(out_json, &v.to_string()),
            None => Ok(()),
        }
    })
}

/// Copies the name to show for who signed in (email, else
/// preferred_username, login, name, then the subject id) to `*out_value`,
/// NULL when the claims name nobody. It came from the provider: escape it
/// before showing it on a terminal. Free with `oak_string_free`. Any
/// thread.
#[no_mangle]
pub unsafe extern "C" fn oak_claims_display_name(
    claims: *const OakClaims,
    out_value: *mut *mut c_char,
) -> OakStatus {
    call(out(out_value, "out_value"), |out_value| {
        let out_value = out_value.get()?;
        let name = handle(claims, "claims")?.0.display_name();
        *out_value = opt_to_c(name.as_deref())?;
        Ok(())
    })
}

/// Copies the stable id of the user (`sub`, else a provider's `id`,
/// `login`, `email`: what tokens are stored under) to `*out_value`, NULL
/// when there is none. Free with `oak_string_free`. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_claims_subject_id(
    claims: *const OakClaims,
    out_value: *mut *mut c_char,
) -> OakStatus {
    call(out(out_value, "out_value"), |out_value| {
        let out_value = out_value.get()?;
        let id = handle(claims, "claims")?.0.subject_id();
        *out_value = opt_to_c(id.as_deref())?;
        Ok(())
    })
}
