//! `oak_store_validating`: a store that checks token sets on their way in
//! and out (expiry, refresh token, required scopes, one identity), for C
//! programs.

use std::ffi::c_char;
use std::sync::Arc;

use super::boundary::{call, handle, opt_str_arg, out, OakStatus};
use super::store::OakStore;
use crate::error::{Error, Result};
use crate::store::validating::{HasRefreshToken, NotExpired, UnchangingIdentity, ValidatingStore};
use crate::store::TokenStore;
use crate::token::split_scopes;

/// Refuse loaded token sets whose access token has expired (or expires
/// within `leeway_secs`); unknown expiry passes. `validator` `not_expired`.
pub const OAK_VALIDATE_NOT_EXPIRED: u32 = 1;
/// Refuse loaded token sets without a refresh token (`has_refresh_token`).
pub const OAK_VALIDATE_HAS_REFRESH_TOKEN: u32 = 2;
/// Refuse saving a token set of another identity (`sub`) than the one the
/// store already holds (`unchanging_identity`).
pub const OAK_VALIDATE_UNCHANGING_IDENTITY: u32 = 4;

const ALL: u32 =
    OAK_VALIDATE_NOT_EXPIRED | OAK_VALIDATE_HAS_REFRESH_TOKEN | OAK_VALIDATE_UNCHANGING_IDENTITY;

/// Wraps `inner` in a validating store in `*out_store` (free with
/// `oak_store_free`; it keeps its own reference to `inner`). `checks` is a
/// bitwise OR of `OAK_VALIDATE_*` (unknown bits:
/// `OAK_ERR_INVALID_ARGUMENT`); `leeway_secs` is used by
/// `OAK_VALIDATE_NOT_EXPIRED`; `required_scopes` (space-separated, NULL:
/// none) must all be granted to every token set saved or loaded. A token
/// set that fails a check is `OAK_ERR_VALIDATION` with a message naming
/// the check and the key (never a token), and is neither saved nor
/// returned. When `inner` already holds two identities and
/// `OAK_VALIDATE_UNCHANGING_IDENTITY` is asked, making the store is
/// `OAK_ERR_VALIDATION`. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_store_validating(
    inner: *const OakStore,
    checks: u32,
    leeway_secs: i64,
    required_scopes: *const c_char,
    out_store: *mut *mut OakStore,
) -> OakStatus {
    call(out(out_store, "out_store"), |out_store| {
        let out_store = out_store.get()?;
        let inner = handle(inner, "inner")?.0.clone();
        let scopes = opt_str_arg(required_scopes, "required_scopes")?.map(split_scopes);
        let store = validating(inner, checks, leeway_secs, scopes)?;
        *out_store = OakStore::into_raw(Box::new(store));
        Ok(())
    })
}

fn validating(
    inner: Arc<dyn TokenStore>,
    checks: u32,
    leeway_secs: i64,
    scopes: Option<Vec<String>>,
) -> Result<ValidatingStore<Arc<dyn TokenStore>>> {
    if checks & !ALL != 0 {
        return Err(Error::InvalidArgument(format!(
            "checks has unknown bits {:#x} (known: OAK_VALIDATE_* = {ALL:#x})",
            checks & !ALL
        )));
    }
    if leeway_secs < 0 {
        return Err(Error::InvalidArgument(
            "leeway_secs must not be negative".into(),
        ));
    }
    let mut store = ValidatingStore::new(inner)?;
    if checks & OAK_VALIDATE_NOT_EXPIRED != 0 {
        store = store.validator(NotExpired { leeway_secs });
    }
    if checks & OAK_VALIDATE_HAS_REFRESH_TOKEN != 0 {
        store = store.validator(HasRefreshToken);
    }
    if checks & OAK_VALIDATE_UNCHANGING_IDENTITY != 0 {
        store = store.validator(UnchangingIdentity);
    }
    if let Some(scopes) = scopes.filter(|s| !s.is_empty()) {
        store = store.require_scopes(scopes);
    }
    Ok(store)
}
