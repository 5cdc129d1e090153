//! `OakServerStore`: the server-side stores (registered clients,
//! authorization codes, issued access tokens) for a C program that is
//! itself an OAuth 2.0 authorization server. Records cross the boundary as
//! JSON in the shape of `oauthkit::server::{Client, AuthorizationCode,
//! AccessToken}` (see the repository's
//! [C ABI guide](https://github.com/oauthkit/oauthkit/blob/main/docs/capi.md)).
//!
//! Threads: every function may be called from any thread, also
//! concurrently on one handle; only `oak_server_store_free` needs that no
//! other call uses the handle.
//!
//! Only with the cargo feature `capi-server` (see `server_side.rs`).

use std::ffi::c_char;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::boundary::{call, free_handle, handle, new_handle, opt_out, out, str_arg, OakStatus};
use super::server_side::server_side;
use super::strings::put;
use crate::error::{Error, Result};
use crate::server::{
    AccessToken, AccessTokenStore, AuthCodeStore, AuthorizationCode, Client, ClientStore,
    MemoryServerStore,
};

/// The three stores of one backend.
trait ServerStores: ClientStore + AuthCodeStore + AccessTokenStore {}
impl<T: ClientStore + AuthCodeStore + AccessTokenStore> ServerStores for T {}

/// An opaque handle on server-side stores. Free it with
/// `oak_server_store_free`.
pub struct OakServerStore(Box<dyn ServerStores>);

fn open(spec: &str) -> Result<Box<dyn ServerStores>> {
    let (scheme, rest) = spec.split_once(':').ok_or_else(|| {
        Error::InvalidArgument("spec has no scheme (memory:, sqlite:PATH, redis://...)".into())
    })?;
    match scheme {
        "memory" if rest.is_empty() => Ok(Box::new(MemoryServerStore::new())),
        "sqlite" => {
            // a mistyped Redis URL never becomes a database file named
            // after its password
            crate::store::spec_check::check_local_target("sqlite", rest)?;
            sqlite(rest)
        }
        "redis" | "rediss" => redis(spec),
        // the spec is not quoted: a mangled one can hold a password
        _ => Err(Error::InvalidArgument(format!(
            "unknown server store spec of scheme {} (memory:, sqlite:PATH, redis://HOST[:PORT][/DB])",
            crate::url_text::shown_scheme(scheme)
        ))),
    }
}

#[cfg(feature = "sqlite")]
fn sqlite(path: &str) -> Result<Box<dyn ServerStores>> {
    if path.is_empty() {
        return Err(Error::InvalidArgument("sqlite: needs a path".into()));
    }
    Ok(Box::new(crate::server::SqliteServerStore::open(path)?))
}

#[cfg(not(feature = "sqlite"))]
fn sqlite(_: &str) -> Result<Box<dyn ServerStores>> {
    Err(crate::feature_off!(
        "the SQLite server store",
        "open",
        "sqlite"
    ))
}

#[cfg(feature = "redis")]
fn redis(url: &str) -> Result<Box<dyn ServerStores>> {
    let config = crate::store::redis::RedisConfig::from_url(url)?;
    Ok(Box::new(crate::server::RedisServerStore::open(
        config,
        crate::server::redis::DEFAULT_PREFIX,
    )?))
}

#[cfg(not(feature = "redis"))]
fn redis(_: &str) -> Result<Box<dyn ServerStores>> {
    Err(crate::feature_off!(
        "the Redis server store",
        "open",
        "redis"
    ))
}

fn parse<T: DeserializeOwned>(json: &str, what: &str) -> Result<T> {
    serde_json::from_str(json).map_err(|e| {
        Error::InvalidArgument(format!(
            "{what} is not {what} JSON: {}",
            crate::token::json_error(&e)
        ))
    })
}

fn json(value: &impl Serialize) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Internal(format!("serializing: {e}")))
}

/// The body of every `oak_server_store_save_*`: parse the record `what`
/// from the JSON argument `arg` and hand it to `save`.
unsafe fn save_record<T: DeserializeOwned>(
    store: *const OakServerStore,
    record_json: *const c_char,
    arg: &str,
    what: &str,
    save: impl FnOnce(&dyn ServerStores, &T) -> Result<()>,
) -> OakStatus {
    call((), |()| {
        server_side("the server stores")?;
        let store = handle(store, "store")?;
        let record: T = parse(str_arg(record_json, arg)?, what)?;
        save(&*store.0, &record)
    })
}

/// The body of every fetch or take: look up the record named by the
/// string argument `arg` and copy it as JSON to `*out_json`.
unsafe fn fetch_record<T: Serialize>(
    store: *const OakServerStore,
    id: *const c_char,
    arg: &str,
    out_json: *mut *mut c_char,
    fetch: impl FnOnce(&dyn ServerStores, &str) -> Result<T>,
) -> OakStatus {
    call(out(out_json, "out_json"), |out_json| {
        server_side("the server stores")?;
        let out_json = out_json.get()?;
        let record = fetch(&*handle(store, "store")?.0, str_arg(id, arg)?)?;
        put(out_json, &json(&record)?)
    })
}

/// The body of every delete: remove the record named by the string
/// argument `arg`; `*out_deleted` (may be NULL) tells whether there was one.
unsafe fn delete_record(
    store: *const OakServerStore,
    id: *const c_char,
    arg: &str,
    out_deleted: *mut bool,
    delete: impl FnOnce(&dyn ServerStores, &str) -> Result<bool>,
) -> OakStatus {
    call(opt_out(out_deleted), |out_deleted| {
        server_side("the server stores")?;
        let deleted = delete(&*handle(store, "store")?.0, str_arg(id, arg)?)?;
        out_deleted.set(deleted);
        Ok(())
    })
}

/// Opens server-side stores from a spec: `memory:`, `sqlite:PATH` (feature
/// `sqlite`), `redis://HOST[:PORT][/DB]` (feature `redis`; python-oauth2's
/// key scheme and prefix). A backend this build lacks is
/// `OAK_ERR_UNSUPPORTED`; an unknown spec `OAK_ERR_INVALID_ARGUMENT`. Any
/// thread. Every `oak_server_store_*` function needs a library built with
/// the cargo feature `capi-server`; without it they answer
/// `OAK_ERR_UNSUPPORTED`.
#[no_mangle]
pub unsafe extern "C" fn oak_server_store_open(
    spec: *const c_char,
    out_store: *mut *mut OakServerStore,
) -> OakStatus {
    call(out(out_store, "out_store"), |out_store| {
        server_side("the server stores")?;
        let out_store = out_store.get()?;
        *out_store = new_handle(OakServerStore(open(str_arg(spec, "spec")?)?));
        Ok(())
    })
}

/// Frees server-side stores. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn oak_server_store_free(store: *mut OakServerStore) {
    free_handle(store)
}

/// Saves (registers or replaces) a client given as JSON
/// `{"identifier", "secret", "redirect_uris": [...], "authorized_grants":
/// [...] or null, "authorized_response_types": [...] or null}`. Malformed
/// JSON is `OAK_ERR_INVALID_ARGUMENT` (the message never quotes it). Any
/// thread.
#[no_mangle]
pub unsafe extern "C" fn oak_server_store_save_client(
    store: *const OakServerStore,
    client_json: *const c_char,
) -> OakStatus {
    save_record(
        store,
        client_json,
        "client_json",
        "client",
        |s, r: &Client| s.save_client(r),
    )
}

/// Copies the client `client_id` as JSON (holding its secret; free with
/// `oak_string_free`, which zeroes it) to `*out_json`. An unknown client
/// is `OAK_ERR_NOT_FOUND`. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_server_store_fetch_client(
    store: *const OakServerStore,
    client_id: *const c_char,
    out_json: *mut *mut c_char,
) -> OakStatus {
    fetch_record(store, client_id, "client_id", out_json, |s, id| {
        s.fetch_by_client_id(id)
    })
}

/// Deletes the client `client_id`; `*out_deleted` (may be NULL) tells
/// whether there was one. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_server_store_delete_client(
    store: *const OakServerStore,
    client_id: *const c_char,
    out_deleted: *mut bool,
) -> OakStatus {
    delete_record(store, client_id, "client_id", out_deleted, |s, id| {
        s.delete_client(id)
    })
}

/// Saves an authorization code given as JSON `{"client_id", "code",
/// "expires_at" (Unix seconds), "redirect_uri", "scopes": [...], "data":
/// {...}, "user_id" or null, "code_challenge" or null,
/// "code_challenge_method" or null}`. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_server_store_save_code(
    store: *const OakServerStore,
    code_json: *const c_char,
) -> OakStatus {
    save_record(
        store,
        code_json,
        "code_json",
        "code",
        |s, r: &AuthorizationCode| s.save_code(r),
    )
}

/// Fetches and deletes the authorization code `code` (single use: a second
/// take, or an expired or unknown code, is `OAK_ERR_NOT_FOUND`) and copies
/// it as JSON to `*out_json` (free with `oak_string_free`). Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_server_store_take_code(
    store: *const OakServerStore,
    code: *const c_char,
    out_json: *mut *mut c_char,
) -> OakStatus {
    fetch_record(store, code, "code", out_json, |s, id| s.take_code(id))
}

/// Saves an issued access token given as JSON `{"client_id",
/// "grant_type", "token", "data": {...}, "expires_at" or null,
/// "refresh_token" or null, "refresh_expires_at" or null, "scopes": [...],
/// "user_id" or null}`. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_server_store_save_token(
    store: *const OakServerStore,
    token_json: *const c_char,
) -> OakStatus {
    save_record(
        store,
        token_json,
        "token_json",
        "token",
        |s, r: &AccessToken| s.save_token(r),
    )
}

/// Copies the access token record of `token` as JSON to `*out_json` (free
/// with `oak_string_free`). Unknown or expired is `OAK_ERR_NOT_FOUND`. Any
/// thread.
#[no_mangle]
pub unsafe extern "C" fn oak_server_store_fetch_token(
    store: *const OakServerStore,
    token: *const c_char,
    out_json: *mut *mut c_char,
) -> OakStatus {
    fetch_record(store, token, "token", out_json, |s, id| {
        s.fetch_by_token(id)
    })
}

/// Copies the access token record holding `refresh_token` as JSON to
/// `*out_json` (free with `oak_string_free`). Unknown or expired is
/// `OAK_ERR_NOT_FOUND`. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_server_store_fetch_by_refresh_token(
    store: *const OakServerStore,
    refresh_token: *const c_char,
    out_json: *mut *mut c_char,
) -> OakStatus {
    fetch_record(store, refresh_token, "refresh_token", out_json, |s, id| {
        s.fetch_by_refresh_token(id)
    })
}

/// Deletes the record holding `refresh_token` (and its access token);
/// `*out_deleted` (may be NULL) tells whether there was one. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_server_store_delete_refresh_token(
    store: *const OakServerStore,
    refresh_token: *const c_char,
    out_deleted: *mut bool,
) -> OakStatus {
    delete_record(
        store,
        refresh_token,
        "refresh_token",
        out_deleted,
        |s, id| s.delete_refresh_token(id),
    )
}
