//! `OakStore`: a handle on a token store opened from a spec.
//!
//! Threads: every store function may be called from any thread, also
//! concurrently on the same handle (stores are thread-safe); only
//! `oak_store_free` needs that no other call is using the handle.

use std::ffi::c_char;
use std::sync::Arc;

use super::boundary::{call, free_handle, handle, new_handle, opt_out, out, str_arg, OakStatus};
use super::strings::{array_to_c, put};
use super::token_set::OakTokenSet;
use crate::error::Result;
use crate::store::{self, TokenStore};

/// An opaque handle on a token store. Free it with `oak_store_free`.
/// Session managers and flows made from it keep the store alive on their
/// own, so the handle may be freed before them.
pub struct OakStore(pub(crate) Arc<dyn TokenStore>);

impl OakStore {
    /// Wraps any Rust [`TokenStore`] in a handle C code can use, for Rust
    /// hosts that hand a store of their own to a C component. The pointer
    /// is owned by the receiver, who frees it with `oak_store_free`.
    pub fn into_raw(store: Box<dyn TokenStore>) -> *mut OakStore {
        new_handle(OakStore(Arc::from(store)))
    }

    /// The store behind the handle.
    pub fn store(&self) -> &dyn TokenStore {
        &*self.0
    }
}

/// Opens a store from a spec such as `memory:`, `file:/path/tokens.json`,
/// `sqlite:/path/tokens.db` or `keyring:my-app`, optionally followed by
/// `?namespace=NAME`. A backend this build lacks is `OAK_ERR_UNSUPPORTED`
/// (the message names the cargo feature); an unknown scheme is
/// `OAK_ERR_INVALID_ARGUMENT`. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_store_open(
    spec: *const c_char,
    out_store: *mut *mut OakStore,
) -> OakStatus {
    call(out(out_store, "out_store"), |out_store| {
        let out_store = out_store.get()?;
        *out_store = new_handle(OakStore(store::open(str_arg(spec, "spec")?)?));
        Ok(())
    })
}

/// Opens the default store: the spec in the `OAUTHKIT_STORE` environment
/// variable when set, else the JSON file in the user's data directory.
/// Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_store_open_default(out_store: *mut *mut OakStore) -> OakStatus {
    call(out(out_store, "out_store"), |out_store| {
        let out_store = out_store.get()?;
        *out_store = new_handle(OakStore(store::open_default()?));
        Ok(())
    })
}

/// Frees a store handle. NULL is a no-op. Any thread, once no other call
/// uses the handle.
#[no_mangle]
pub unsafe extern "C" fn oak_store_free(store: *mut OakStore) {
    free_handle(store)
}

/// Saves (inserts or replaces) `tokens` under `key`. The token set stays
/// owned by the caller. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_store_save(
    store: *const OakStore,
    key: *const c_char,
    tokens: *const OakTokenSet,
) -> OakStatus {
    call((), |()| {
        handle(store, "store")?
            .0
            .save(str_arg(key, "key")?, &handle(tokens, "tokens")?.0)
    })
}

/// Loads the token set under `key` into `*out_tokens` (free it with
/// `oak_token_set_free`). A missing key is `OAK_OK` with `*out_tokens` set
/// to NULL; unreadable storage is `OAK_ERR_CORRUPT`. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_store_load(
    store: *const OakStore,
    key: *const c_char,
    out_tokens: *mut *mut OakTokenSet,
) -> OakStatus {
    call(out(out_tokens, "out_tokens"), |out_tokens| {
        let out_tokens = out_tokens.get()?;
        if let Some(tokens) = handle(store, "store")?.0.load(str_arg(key, "key")?)? {
            *out_tokens = new_handle(OakTokenSet(tokens));
        }
        Ok(())
    })
}

/// Deletes the token set under `key`; `*out_deleted` (may be NULL) tells
/// whether there was one. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_store_delete(
    store: *const OakStore,
    key: *const c_char,
    out_deleted: *mut bool,
) -> OakStatus {
    call(opt_out(out_deleted), |out_deleted| {
        out_deleted.set(handle(store, "store")?.0.delete(str_arg(key, "key")?)?);
        Ok(())
    })
}

/// Writes to `*out_exists` whether a token set is stored under `key`. Any
/// thread.
#[no_mangle]
pub unsafe extern "C" fn oak_store_exists(
    store: *const OakStore,
    key: *const c_char,
    out_exists: *mut bool,
) -> OakStatus {
    call(out(out_exists, "out_exists"), |out_exists| {
        let out_exists = out_exists.get()?;
        *out_exists = handle(store, "store")?.0.exists(str_arg(key, "key")?)?;
        Ok(())
    })
}

unsafe fn list(
    store: *const OakStore,
    out_items: *mut *mut *mut c_char,
    out_len: *mut usize,
    get: impl FnOnce(&dyn TokenStore) -> Result<Vec<String>>,
) -> OakStatus {
    let outs = (out(out_items, "out_items"), out(out_len, "out_len"));
    call(outs, |(out_items, out_len)| {
        let (out_items, out_len) = (out_items.get()?, out_len.get()?);
        (*out_items, *out_len) = array_to_c(&get(&*handle(store, "store")?.0)?)?;
        Ok(())
    })
}

/// Lists the keys of the store's namespace, sorted, as a NULL-terminated
/// array of `*out_len` strings in `*out_items` (free it with
/// `oak_string_array_free(items, len)`). Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_store_list(
    store: *const OakStore,
    out_items: *mut *mut *mut c_char,
    out_len: *mut usize,
) -> OakStatus {
    list(store, out_items, out_len, |s| s.list_keys())
}

/// Lists every namespace the underlying storage holds, sorted, like
/// `oak_store_list`. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_store_namespaces(
    store: *const OakStore,
    out_items: *mut *mut *mut c_char,
    out_len: *mut usize,
) -> OakStatus {
    list(store, out_items, out_len, |s| s.namespaces())
}

/// Copies the namespace this handle reads and writes to `*out` (free with
/// `oak_string_free`). Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_store_namespace(
    store: *const OakStore,
    out_namespace: *mut *mut c_char,
) -> OakStatus {
    call(out(out_namespace, "out_namespace"), |out_namespace| {
        let out_namespace = out_namespace.get()?;
        put(out_namespace, handle(store, "store")?.0.namespace())
    })
}

/// Copies the backend's short name (`"memory"`, `"file"`, `"sqlite"`,
/// ...) to `*out` (free with `oak_string_free`). Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_store_backend(
    store: *const OakStore,
    out_backend: *mut *mut c_char,
) -> OakStatus {
    call(out(out_backend, "out_backend"), |out_backend| {
        let out_backend = out_backend.get()?;
        put(out_backend, handle(store, "store")?.0.backend())
    })
}
