//! A token store implemented in C: a struct of callbacks (save, load,
//! remove, list, optionally namespaces and lock/unlock) plus user data,
//! wrapped as an `OakStore` that flows, device flows and session managers
//! use like any other store.
//!
//! Rust never takes ownership of memory the callbacks own: a callback
//! hands values back by calling `oak_store_reply_add` on the
//! `OakStoreReply` it was given, which copies them. Everything a callback
//! gives is checked: a failure status becomes a typed error, and a
//! misbehaving callback (a NULL or non-UTF-8 value, a value that is not a
//! token set's JSON, two values where one belongs, an invalid key in a
//! listing) becomes a clear error naming the callback, never undefined
//! behaviour. Keys and namespaces are checked (non-empty, at most 512
//! bytes, no control characters) before any callback sees them.
//!
//! Threads: the callbacks are called on whatever thread uses the store,
//! also on several threads at once, so they must be thread-safe (guard
//! shared state with a mutex). `destroy` runs once, on the thread that drops
//! the last user of the store (the `OakStore` handle and every flow or
//! session made from it).

use std::cell::RefCell;
use std::ffi::{c_char, c_void, CStr, CString};
use std::sync::Arc;
use std::time::Duration;

use super::boundary::{call, handle, opt_str_arg, out, str_arg, OakStatus};
use super::store::OakStore;
use crate::error::{Error, Result};
use crate::store::{check_key, KeyLock, TokenStore, DEFAULT_NAMESPACE};
use crate::token::TokenSet;

/// Saves `json` (a token set in oauthkit's JSON shape, the one
/// `oak_token_set_to_json` writes) under `key` in `namespace_`, replacing
/// what was there. The strings are valid only during the call. Return 0
/// on success, else a status (`OAK_ERR_STORAGE`, `OAK_ERR_UNAVAILABLE`,
/// `OAK_ERR_IO`, ...): the store call fails with that status.
pub type OakStoreSaveFn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        namespace_: *const c_char,
        key: *const c_char,
        json: *const c_char,
    ) -> i32,
>;

/// Loads the token set under `key` in `namespace_`: when there is one,
/// call `oak_store_reply_add(reply, json)` once with its JSON (copied; the
/// string stays yours) and return 0; when there is none, return 0 without
/// adding anything. Any other return value is a failure status. `reply` is
/// valid only during the call.
pub type OakStoreLoadFn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        namespace_: *const c_char,
        key: *const c_char,
        reply: *mut OakStoreReply,
    ) -> i32,
>;

/// Deletes the token set under `key` in `namespace_` and sets `*deleted`
/// (never NULL, false on entry) to whether there was one. Return 0 or a
/// failure status.
pub type OakStoreDeleteFn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        namespace_: *const c_char,
        key: *const c_char,
        deleted: *mut bool,
    ) -> i32,
>;

/// Lists the keys of `namespace_`: call `oak_store_reply_add(reply, key)`
/// once per key, in any order. Return 0 or a failure status.
pub type OakStoreListFn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        namespace_: *const c_char,
        reply: *mut OakStoreReply,
    ) -> i32,
>;

/// Lists every namespace the storage holds: call
/// `oak_store_reply_add(reply, namespace)` once per namespace. Return 0 or
/// a failure status.
pub type OakStoreNamespacesFn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, reply: *mut OakStoreReply) -> i32>;

/// Takes an exclusive lock on `key` in `namespace_` that every process
/// sharing the storage respects, waiting at most `timeout_ms`
/// milliseconds. Return 0 when the lock is held, `OAK_ERR_LOCK_TIMEOUT`
/// when the wait ran out, or another failure status. The session manager
/// holds the lock while it re-reads and refreshes a token set, so that two
/// processes never spend the same rotating refresh token.
pub type OakStoreLockFn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        namespace_: *const c_char,
        key: *const c_char,
        timeout_ms: u64,
    ) -> i32,
>;

/// Releases a lock `lock` took (called exactly once per successful
/// `lock`, possibly on another thread than the one that locked).
pub type OakStoreUnlockFn = Option<
    unsafe extern "C" fn(user_data: *mut c_void, namespace_: *const c_char, key: *const c_char),
>;

/// Frees `user_data` once the store is no longer used.
pub type OakStoreDestroyFn = Option<unsafe extern "C" fn(user_data: *mut c_void)>;

/// The callbacks of a token store implemented by the caller, for
/// `oak_store_from_callbacks`. `save`, `load`, `remove` and `list` are
/// required; `namespaces` may be NULL (the store then reports only its own
/// namespace); `lock` and `unlock` are both given or both NULL (no
/// cross-process lock); `destroy` may be NULL. Every callback gets
/// `user_data` first, must be thread-safe, must return promptly, and must
/// not unwind (no C++ exception, no longjmp) out of itself.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct OakStoreCallbacks {
    /// Passed to every callback; freed by `destroy`.
    pub user_data: *mut c_void,
    /// Saves a token set's JSON.
    pub save: OakStoreSaveFn,
    /// Loads a token set's JSON.
    pub load: OakStoreLoadFn,
    /// Deletes a token set (`remove`: `delete` is a C++ keyword).
    pub remove: OakStoreDeleteFn,
    /// Lists the keys of a namespace.
    pub list: OakStoreListFn,
    /// Lists the namespaces (may be NULL).
    pub namespaces: OakStoreNamespacesFn,
    /// Takes a cross-process lock on a key (may be NULL, with `unlock`).
    pub lock: OakStoreLockFn,
    /// Releases a lock (may be NULL, with `lock`).
    pub unlock: OakStoreUnlockFn,
    /// Frees `user_data` when the store is dropped (may be NULL).
    pub destroy: OakStoreDestroyFn,
}

/// What a callback hands back through `oak_store_reply_add`: the values,
/// or the first problem with them.
pub struct OakStoreReply {
    values: Vec<String>,
    problem: Option<String>,
}

/// Hands a value back from a store callback: the token set's JSON from
/// `load`, one key from `list`, one namespace from `namespaces`. The
/// string is copied (it stays the caller's). A NULL `value` or one that is
/// not UTF-8 is `OAK_ERR_INVALID_ARGUMENT`, and the store call the
/// callback serves then fails too (even if the callback returns 0). Only
/// on the thread running the callback, during the call.
#[no_mangle]
pub unsafe extern "C" fn oak_store_reply_add(
    reply: *mut OakStoreReply,
    value: *const c_char,
) -> OakStatus {
    let reply = reply.as_mut();
    call((), |()| {
        let reply = reply.ok_or_else(|| Error::InvalidArgument("reply is NULL".into()))?;
        match str_arg(value, "value") {
            Ok(v) => {
                reply.values.push(v.to_owned());
                Ok(())
            }
            Err(e) => {
                reply.problem.get_or_insert_with(|| e.to_string());
                Err(e)
            }
        }
    })
}

/// The callbacks, shared by every namespace handle on them; runs
/// `destroy` when the last one goes.
struct Callbacks(OakStoreCallbacks);

// SAFETY: the caller of `oak_store_from_callbacks` promises the callbacks
// and `user_data` may be used from any thread, also concurrently.
unsafe impl Send for Callbacks {}
unsafe impl Sync for Callbacks {}

impl Drop for Callbacks {
    fn drop(&mut self) {
        if let Some(destroy) = self.0.destroy {
            // SAFETY: the function pointer and user_data come from the caller.
            unsafe { destroy(self.0.user_data) }
        }
    }
}

/// A [`TokenStore`] whose storage is a set of C callbacks (see the module
/// documentation). Made by `oak_store_from_callbacks`; other namespaces of
/// the same callbacks come from [`CallbackStore::in_namespace`] or
/// `oak_store_callbacks_in_namespace`.
#[derive(Clone)]
pub struct CallbackStore {
    callbacks: Arc<Callbacks>,
    namespace: String,
    c_namespace: CString,
}

impl std::fmt::Debug for CallbackStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallbackStore")
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

const BACKEND: &str = "callback";

thread_local! {
    /// Set while a callback runs on this thread, to refuse re-entry into
    /// the same store from its own callback (which would deadlock a
    /// callback holding its own mutex, or recurse without end).
    static IN_CALLBACK: RefCell<bool> = const { RefCell::new(false) };
}

impl CallbackStore {
    /// Wraps `callbacks` as a store bound to `namespace` (`None`: the
    /// default namespace). A missing required callback, or `lock` without
    /// `unlock`, is [`Error::InvalidArgument`]; then `destroy` is not
    /// called and `user_data` stays the caller's.
    ///
    /// # Safety
    /// The callbacks must follow [`OakStoreCallbacks`]'s rules: valid
    /// function pointers, thread-safe, `user_data` usable from any thread
    /// until `destroy`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when `save`, `load`, `remove` or `list` is
    /// NULL, only one of `lock` and `unlock` is given, or `namespace` is
    /// refused by [`check_key`].
    pub unsafe fn new(callbacks: OakStoreCallbacks, namespace: Option<&str>) -> Result<Self> {
        for (name, missing) in [
            ("save", callbacks.save.is_none()),
            ("load", callbacks.load.is_none()),
            ("remove", callbacks.remove.is_none()),
            ("list", callbacks.list.is_none()),
        ] {
            if missing {
                return Err(Error::InvalidArgument(format!(
                    "callbacks->{name} is NULL (save, load, remove and list are required)"
                )));
            }
        }
        if callbacks.lock.is_some() != callbacks.unlock.is_some() {
            return Err(Error::InvalidArgument(
                "callbacks->lock and callbacks->unlock must both be given or both be NULL".into(),
            ));
        }
        let namespace = namespace.unwrap_or(DEFAULT_NAMESPACE);
        check_key("namespace", namespace)?;
        // Only after every check: from here on the callbacks are ours and
        // `destroy` runs when the last handle goes.
        Ok(Self::with(Arc::new(Callbacks(callbacks)), namespace))
    }

    fn with(callbacks: Arc<Callbacks>, namespace: &str) -> Self {
        CallbackStore {
            callbacks,
            namespace: namespace.to_owned(),
            // check_key refused control characters, so there is no NUL.
            c_namespace: CString::new(namespace).unwrap_or_default(),
        }
    }

    /// A handle on another namespace of the same callbacks.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when [`check_key`] refuses `namespace`.
    pub fn in_namespace(&self, namespace: &str) -> Result<Self> {
        check_key("namespace", namespace)?;
        Ok(Self::with(self.callbacks.clone(), namespace))
    }

    fn cb(&self) -> &OakStoreCallbacks {
        &self.callbacks.0
    }

    /// Runs one callback: refuses re-entry from a callback of this thread,
    /// and turns its status into an error.
    fn invoke(&self, op: &'static str, f: impl FnOnce() -> i32) -> Result<()> {
        let reentered = IN_CALLBACK.with(|flag| std::mem::replace(&mut *flag.borrow_mut(), true));
        if reentered {
            return Err(Error::InvalidArgument(format!(
                "a store callback used a callback store on its own thread (in {op}); \
                 callbacks must not call back into oauthkit stores"
            )));
        }
        struct Reset;
        impl Drop for Reset {
            fn drop(&mut self) {
                IN_CALLBACK.with(|flag| *flag.borrow_mut() = false);
            }
        }
        let _reset = Reset;
        match f() {
            0 => Ok(()),
            status => Err(status_error(op, status)),
        }
    }

    /// Runs a callback that answers through a reply; gives the values.
    fn with_reply(
        &self,
        op: &'static str,
        f: impl FnOnce(*mut OakStoreReply) -> i32,
    ) -> Result<Vec<String>> {
        let mut reply = OakStoreReply {
            values: Vec::new(),
            problem: None,
        };
        let ptr: *mut OakStoreReply = &mut reply;
        self.invoke(op, || f(ptr))?;
        if let Some(problem) = reply.problem {
            return Err(misbehaved(op, &problem));
        }
        Ok(reply.values)
    }

    fn key(key: &str) -> Result<CString> {
        check_key("key", key)?;
        // no control characters, so no NUL
        Ok(CString::new(key).unwrap_or_default())
    }

    /// Checks and sorts names a listing callback gave.
    fn names(op: &'static str, mut names: Vec<String>) -> Result<Vec<String>> {
        for name in &names {
            check_key("name", name).map_err(|e| misbehaved(op, &e.to_string()))?;
        }
        names.sort();
        let before = names.len();
        names.dedup();
        if names.len() != before {
            return Err(misbehaved(op, "it gave the same name twice"));
        }
        Ok(names)
    }
}

fn misbehaved(op: &str, problem: &str) -> Error {
    storage(format!("the {op} callback misbehaved: {problem}"))
}

fn storage(message: String) -> Error {
    Error::Storage {
        backend: BACKEND,
        message,
        source: None,
    }
}

/// The error for a failure status a callback returned: the same kind when
/// the status names one that fits a store, else a storage error.
fn status_error(op: &'static str, status: i32) -> Error {
    let name = unsafe { CStr::from_ptr(super::strings::oak_status_name(status)) }
        .to_str()
        .unwrap_or("OAK_ERR_UNKNOWN");
    let message = format!("the {op} callback failed with status {status} ({name})");
    match status {
        // "timed out waiting for the lock on the C callback store (its load
        // callback answered ...)": one sentence, not two glued together.
        16 => Error::LockTimeout(format!(
            "the C callback store (its {op} callback answered {name} (status {status}))"
        )),
        3 => Error::corrupt(format!("the {op} callback"), &message),
        5 => Error::io(
            message,
            std::io::Error::other("reported by a store callback"),
        ),
        6 => Error::Unavailable {
            backend: BACKEND,
            message,
            source: None,
        },
        7 => Error::Unsupported {
            backend: BACKEND,
            operation: op,
        },
        8 => Error::InvalidArgument(message),
        31 => Error::Decryption {
            location: format!("the {op} callback"),
            key_id: None,
            reason: message,
        },
        _ => storage(message),
    }
}

impl TokenStore for CallbackStore {
    fn save(&self, key: &str, tokens: &TokenSet) -> Result<()> {
        // What the C code does with the record is unknown: it is treated as
        // plain text, so a DPoP private key is never handed to it.
        crate::store::refuse_dpop_key(BACKEND, key, tokens)?;
        let key = Self::key(key)?;
        // serde_json escapes control characters, so the JSON has no NUL.
        let json = zeroize::Zeroizing::new(tokens.to_json());
        let json = CString::new(json.as_str())
            .map_err(|_| Error::Internal("token set JSON holds a NUL".into()))?;
        let save = self
            .cb()
            .save
            .ok_or_else(|| Error::Internal("no save".into()))?;
        let result = self.invoke("save", || unsafe {
            save(
                self.cb().user_data,
                self.c_namespace.as_ptr(),
                key.as_ptr(),
                json.as_ptr(),
            )
        });
        let mut bytes = json.into_bytes();
        zeroize::Zeroize::zeroize(&mut bytes);
        result
    }

    fn load(&self, key: &str) -> Result<Option<TokenSet>> {
        let c_key = Self::key(key)?;
        let load = self
            .cb()
            .load
            .ok_or_else(|| Error::Internal("no load".into()))?;
        let mut values = self.with_reply("load", |reply| unsafe {
            load(
                self.cb().user_data,
                self.c_namespace.as_ptr(),
                c_key.as_ptr(),
                reply,
            )
        })?;
        let result = match values.len() {
            0 => Ok(None),
            1 => TokenSet::from_json(&values[0])
                .map(Some)
                .map_err(|e| misbehaved("load", &format!("its value is not a token set: {e}"))),
            n => Err(misbehaved(
                "load",
                &format!("it gave {n} values for one key"),
            )),
        };
        values.iter_mut().for_each(zeroize::Zeroize::zeroize);
        result
    }

    fn delete(&self, key: &str) -> Result<bool> {
        let key = Self::key(key)?;
        let delete = self
            .cb()
            .remove
            .ok_or_else(|| Error::Internal("no delete".into()))?;
        let mut deleted = false;
        self.invoke("remove", || unsafe {
            delete(
                self.cb().user_data,
                self.c_namespace.as_ptr(),
                key.as_ptr(),
                &mut deleted,
            )
        })?;
        Ok(deleted)
    }

    fn list_keys(&self) -> Result<Vec<String>> {
        let list = self
            .cb()
            .list
            .ok_or_else(|| Error::Internal("no list".into()))?;
        let keys = self.with_reply("list", |reply| unsafe {
            list(self.cb().user_data, self.c_namespace.as_ptr(), reply)
        })?;
        Self::names("list", keys)
    }

    fn namespace(&self) -> &str {
        &self.namespace
    }

    fn namespaces(&self) -> Result<Vec<String>> {
        let Some(namespaces) = self.cb().namespaces else {
            return Ok(vec![self.namespace.clone()]);
        };
        let names = self.with_reply("namespaces", |reply| unsafe {
            namespaces(self.cb().user_data, reply)
        })?;
        Self::names("namespaces", names)
    }

    fn backend(&self) -> &'static str {
        BACKEND
    }

    fn lock_key(&self, key: &str, timeout: Duration) -> Result<KeyLock> {
        let (Some(lock), Some(_)) = (self.cb().lock, self.cb().unlock) else {
            return Ok(KeyLock::noop());
        };
        let c_key = Self::key(key)?;
        let timeout_ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        self.invoke("lock", || unsafe {
            lock(
                self.cb().user_data,
                self.c_namespace.as_ptr(),
                c_key.as_ptr(),
                timeout_ms,
            )
        })
        .map_err(|e| match e {
            Error::LockTimeout(_) => Error::LockTimeout(format!(
                "key '{key}' in namespace '{}' of the C callback store (its lock callback \
                 answered OAK_ERR_LOCK_TIMEOUT (status 16))",
                self.c_namespace.to_string_lossy()
            )),
            other => other,
        })?;
        Ok(KeyLock::from_guard(Unlock {
            callbacks: self.callbacks.clone(),
            namespace: self.c_namespace.clone(),
            key: c_key,
        }))
    }
}

/// The addresses of the callback stores inside `OakStore` handles, so that
/// `oak_store_callbacks_in_namespace` can tell one from any other store
/// (the handle holds a `dyn TokenStore`, which cannot be downcast).
static HANDLES: std::sync::Mutex<Vec<usize>> = std::sync::Mutex::new(Vec::new());

fn handles() -> std::sync::MutexGuard<'static, Vec<usize>> {
    HANDLES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A registered handle; leaves the registry when the store inside drops.
struct Registered(CallbackStore);

impl Drop for Registered {
    fn drop(&mut self) {
        let me = self as *const Registered as usize;
        handles().retain(|&a| a != me);
    }
}

impl TokenStore for Registered {
    fn save(&self, key: &str, tokens: &TokenSet) -> Result<()> {
        self.0.save(key, tokens)
    }
    fn load(&self, key: &str) -> Result<Option<TokenSet>> {
        self.0.load(key)
    }
    fn delete(&self, key: &str) -> Result<bool> {
        self.0.delete(key)
    }
    fn list_keys(&self) -> Result<Vec<String>> {
        self.0.list_keys()
    }
    fn namespace(&self) -> &str {
        self.0.namespace()
    }
    fn namespaces(&self) -> Result<Vec<String>> {
        self.0.namespaces()
    }
    fn backend(&self) -> &'static str {
        self.0.backend()
    }
    fn lock_key(&self, key: &str, timeout: Duration) -> Result<KeyLock> {
        self.0.lock_key(key, timeout)
    }
}

fn into_handle(store: CallbackStore) -> *mut OakStore {
    let arc = Arc::new(Registered(store));
    handles().push(Arc::as_ptr(&arc) as usize);
    super::boundary::new_handle(OakStore(arc))
}

/// The callback store inside `store`, when it is one.
fn registered(store: &OakStore) -> Option<&CallbackStore> {
    let addr = Arc::as_ptr(&store.0) as *const () as usize;
    if handles().contains(&addr) {
        // SAFETY: the address is registered only while a `Registered` lives
        // there, and `store` keeps the one at this address alive.
        Some(unsafe { &(*(addr as *const Registered)).0 })
    } else {
        None
    }
}

/// Releases a lock taken through the callbacks when dropped.
struct Unlock {
    callbacks: Arc<Callbacks>,
    namespace: CString,
    key: CString,
}

impl Drop for Unlock {
    fn drop(&mut self) {
        if let Some(unlock) = self.callbacks.0.unlock {
            // SAFETY: the caller's callback, with the pointers it was given.
            unsafe {
                unlock(
                    self.callbacks.0.user_data,
                    self.namespace.as_ptr(),
                    self.key.as_ptr(),
                )
            }
        }
    }
}

/// Makes a store whose storage is `callbacks` (copied; see
/// `OakStoreCallbacks`), bound to `namespace_` (NULL: `DEFAULT`), in
/// `*out_store` (free with `oak_store_free`). On success the store owns
/// `callbacks->user_data`: `destroy` runs once the handle and every flow or
/// session using the store are freed. On failure (a missing required
/// callback, `lock` without `unlock`, a bad namespace:
/// `OAK_ERR_INVALID_ARGUMENT`) nothing is kept and `destroy` is not
/// called. Errors of the store's calls: a callback's failure status
/// becomes that status (`OAK_ERR_STORAGE` for a value that names none);
/// a misbehaving callback is `OAK_ERR_STORAGE` with a message naming the
/// callback and what it did. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_store_from_callbacks(
    callbacks: *const OakStoreCallbacks,
    namespace_: *const c_char,
    out_store: *mut *mut OakStore,
) -> OakStatus {
    call(out(out_store, "out_store"), |out_store| {
        let out_store = out_store.get()?;
        let callbacks = *handle(callbacks, "callbacks")?;
        let namespace = opt_str_arg(namespace_, "namespace_")?;
        *out_store = into_handle(CallbackStore::new(callbacks, namespace)?);
        Ok(())
    })
}

/// Makes a handle on another namespace of the callback store `store`
/// (same callbacks and `user_data`; `destroy` runs once, when every handle
/// and user is gone) in `*out_store` (free with `oak_store_free`). A store
/// not made by `oak_store_from_callbacks` is `OAK_ERR_UNSUPPORTED`. Any
/// thread.
#[no_mangle]
pub unsafe extern "C" fn oak_store_callbacks_in_namespace(
    store: *const OakStore,
    namespace_: *const c_char,
    out_store: *mut *mut OakStore,
) -> OakStatus {
    call(out(out_store, "out_store"), |out_store| {
        let out_store = out_store.get()?;
        let store = handle(store, "store")?;
        let namespace = str_arg(namespace_, "namespace_")?;
        let Some(callbacks) = registered(store) else {
            return Err(Error::Unsupported {
                backend: store.store().backend(),
                operation: "open another namespace through oak_store_callbacks_in_namespace",
            });
        };
        *out_store = into_handle(callbacks.in_namespace(namespace)?);
        Ok(())
    })
}
