//! A token store implemented through C callbacks (`oak_store_from_callbacks`)
//! driven entirely through the C ABI: the store conformance suite runs
//! against it, a sign-in and a refresh go through it (with its lock), and
//! misbehaving callbacks — failures, NULL or non-UTF-8 values, values that
//! are not JSON, too many values, re-entry — give clear typed errors.
//!
//! The "C" side is written in Rust here as `extern "C"` functions over a
//! mutex-guarded map, exactly the shape a C program provides.
#![cfg(feature = "capi")]

use crate::support;

use std::collections::BTreeMap;
use std::ffi::{c_char, c_void, CStr, CString};
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use oauthkit::capi::callback_store::*;
use oauthkit::capi::store::*;
use oauthkit::capi::strings::*;
use oauthkit::capi::token_set::*;
use oauthkit::capi::{OakStatus, OakStatus::*, OakStore, OakTokenSet};
use oauthkit::{Error, Result, TokenSet, TokenStore};

/// What a test makes the callbacks do wrong.
#[derive(Clone, Copy, PartialEq, Debug, Default)]
enum Fault {
    #[default]
    None,
    FailWith(i32),
    NullValue,
    NotUtf8,
    NotJson,
    TwoValues,
    BadKeyInList,
    DuplicateKeyInList,
    ReenterStore,
    ReplyNull,
}

#[derive(Default)]
struct Backend {
    map: Mutex<BTreeMap<(String, String), String>>,
    fault: Mutex<Fault>,
    locks: AtomicUsize,
    unlocks: AtomicUsize,
    destroyed: Arc<AtomicUsize>,
    /// A store handle the re-entry fault calls into.
    reenter: Mutex<usize>,
}

unsafe fn backend<'a>(user_data: *mut c_void) -> &'a Backend {
    &*(user_data as *const Backend)
}

unsafe fn s(p: *const c_char) -> String {
    CStr::from_ptr(p).to_str().unwrap().to_owned()
}

fn fault(b: &Backend) -> Fault {
    *b.fault.lock().unwrap()
}

unsafe extern "C" fn save(
    user_data: *mut c_void,
    ns: *const c_char,
    key: *const c_char,
    json: *const c_char,
) -> i32 {
    let b = backend(user_data);
    if let Fault::FailWith(status) = fault(b) {
        return status;
    }
    b.map.lock().unwrap().insert((s(ns), s(key)), s(json));
    0
}

unsafe extern "C" fn load(
    user_data: *mut c_void,
    ns: *const c_char,
    key: *const c_char,
    reply: *mut OakStoreReply,
) -> i32 {
    let b = backend(user_data);
    let value = b.map.lock().unwrap().get(&(s(ns), s(key))).cloned();
    match fault(b) {
        Fault::FailWith(status) => return status,
        Fault::NullValue => {
            oak_store_reply_add(reply, ptr::null());
            return 0;
        }
        Fault::NotUtf8 => {
            oak_store_reply_add(reply, c"caf\xe9".as_ptr());
            return 0;
        }
        Fault::NotJson => {
            oak_store_reply_add(reply, c"{\"access_token\": \"leaked-secret\"".as_ptr());
            return 0;
        }
        Fault::TwoValues => {
            let json = CString::new(TokenSet::bearer("a").to_json()).unwrap();
            oak_store_reply_add(reply, json.as_ptr());
            oak_store_reply_add(reply, json.as_ptr());
            return 0;
        }
        Fault::ReplyNull => {
            assert_eq!(
                oak_store_reply_add(ptr::null_mut(), c"x".as_ptr()),
                OAK_ERR_INVALID_ARGUMENT
            );
        }
        Fault::ReenterStore => {
            let store = *b.reenter.lock().unwrap() as *const OakStore;
            let mut exists = false;
            let status = oak_store_exists(store, key, &mut exists);
            return if status == OAK_OK { 0 } else { status as i32 };
        }
        _ => {}
    }
    if let Some(json) = value {
        let json = CString::new(json).unwrap();
        assert_eq!(oak_store_reply_add(reply, json.as_ptr()), OAK_OK);
    }
    0
}

unsafe extern "C" fn delete(
    user_data: *mut c_void,
    ns: *const c_char,
    key: *const c_char,
    deleted: *mut bool,
) -> i32 {
    let b = backend(user_data);
    if let Fault::FailWith(status) = fault(b) {
        return status;
    }
    *deleted = b.map.lock().unwrap().remove(&(s(ns), s(key))).is_some();
    0
}

unsafe extern "C" fn list(
    user_data: *mut c_void,
    ns: *const c_char,
    reply: *mut OakStoreReply,
) -> i32 {
    let b = backend(user_data);
    let ns = s(ns);
    let keys: Vec<String> = b
        .map
        .lock()
        .unwrap()
        .keys()
        .filter(|(n, _)| *n == ns)
        .map(|(_, k)| k.clone())
        .collect();
    match fault(b) {
        Fault::FailWith(status) => return status,
        Fault::BadKeyInList => {
            oak_store_reply_add(reply, c"tab\there".as_ptr());
        }
        Fault::DuplicateKeyInList => {
            oak_store_reply_add(reply, c"twice".as_ptr());
            oak_store_reply_add(reply, c"twice".as_ptr());
        }
        _ => {}
    }
    // in reverse: the store sorts
    for k in keys.iter().rev() {
        let k = CString::new(k.as_str()).unwrap();
        oak_store_reply_add(reply, k.as_ptr());
    }
    0
}

unsafe extern "C" fn namespaces(user_data: *mut c_void, reply: *mut OakStoreReply) -> i32 {
    let b = backend(user_data);
    let mut names: Vec<String> = b
        .map
        .lock()
        .unwrap()
        .keys()
        .map(|(n, _)| n.clone())
        .collect();
    names.dedup();
    for n in names {
        let n = CString::new(n).unwrap();
        oak_store_reply_add(reply, n.as_ptr());
    }
    0
}

unsafe extern "C" fn lock(
    user_data: *mut c_void,
    _ns: *const c_char,
    _key: *const c_char,
    timeout_ms: u64,
) -> i32 {
    let b = backend(user_data);
    assert!(timeout_ms > 0);
    if let Fault::FailWith(status) = fault(b) {
        return status;
    }
    b.locks.fetch_add(1, Ordering::SeqCst);
    0
}

unsafe extern "C" fn unlock(user_data: *mut c_void, _ns: *const c_char, _key: *const c_char) {
    backend(user_data).unlocks.fetch_add(1, Ordering::SeqCst);
}

unsafe extern "C" fn destroy(user_data: *mut c_void) {
    let b = Box::from_raw(user_data as *mut Backend);
    b.destroyed.fetch_add(1, Ordering::SeqCst);
}

fn callbacks(b: Box<Backend>) -> OakStoreCallbacks {
    OakStoreCallbacks {
        user_data: Box::into_raw(b).cast(),
        save: Some(save),
        load: Some(load),
        remove: Some(delete),
        list: Some(list),
        namespaces: Some(namespaces),
        lock: Some(lock),
        unlock: Some(unlock),
        destroy: Some(destroy),
    }
}

fn last_error() -> String {
    unsafe { CStr::from_ptr(oak_last_error_message()) }
        .to_string_lossy()
        .into_owned()
}

fn status_error(status: OakStatus) -> Error {
    let message = last_error();
    match status {
        OAK_ERR_INVALID_ARGUMENT => Error::InvalidArgument(message),
        // what a C caller sees of a refusal: the status and the message
        OAK_ERR_UNSUPPORTED => Error::ProviderUnsupported {
            provider: "the C ABI".into(),
            feature: "this store operation",
            detail: message,
        },
        _ => Error::Internal(format!("{status:?}: {message}")),
    }
}

fn check(status: OakStatus) -> Result<()> {
    match status {
        OAK_OK => Ok(()),
        other => Err(status_error(other)),
    }
}

/// A `TokenStore` whose every call goes through the C ABI to an
/// `OakStore` made from callbacks.
struct ViaC {
    raw: *mut OakStore,
    namespace: String,
    backend: *const Backend,
}
unsafe impl Send for ViaC {}
unsafe impl Sync for ViaC {}

impl Drop for ViaC {
    fn drop(&mut self) {
        unsafe { oak_store_free(self.raw) }
    }
}

impl ViaC {
    fn open(namespace: Option<&str>) -> (ViaC, Arc<AtomicUsize>) {
        let destroyed = Arc::new(AtomicUsize::new(0));
        let b = Box::new(Backend {
            destroyed: destroyed.clone(),
            ..Backend::default()
        });
        let cb = callbacks(b);
        let ns = namespace.map(|n| CString::new(n).unwrap());
        let mut raw = ptr::null_mut();
        let status = unsafe {
            oak_store_from_callbacks(
                &cb,
                ns.as_ref().map_or(ptr::null(), |n| n.as_ptr()),
                &mut raw,
            )
        };
        assert_eq!(status, OAK_OK, "{}", last_error());
        let store = ViaC {
            raw,
            namespace: namespace.unwrap_or("DEFAULT").to_owned(),
            backend: cb.user_data as *const Backend,
        };
        (store, destroyed)
    }

    fn in_namespace(&self, ns: &str) -> ViaC {
        let mut raw = ptr::null_mut();
        let c = CString::new(ns).unwrap();
        let status = unsafe { oak_store_callbacks_in_namespace(self.raw, c.as_ptr(), &mut raw) };
        assert_eq!(status, OAK_OK, "{}", last_error());
        ViaC {
            raw,
            namespace: ns.to_owned(),
            backend: self.backend,
        }
    }

    fn backend(&self) -> &Backend {
        unsafe { &*self.backend }
    }

    fn set_fault(&self, f: Fault) {
        *self.backend().fault.lock().unwrap() = f;
    }

    fn names(
        &self,
        f: unsafe extern "C" fn(*const OakStore, *mut *mut *mut c_char, *mut usize) -> OakStatus,
    ) -> Result<Vec<String>> {
        let (mut items, mut len) = (ptr::null_mut(), 0usize);
        check(unsafe { f(self.raw, &mut items, &mut len) })?;
        let out = (0..len)
            .map(|i| {
                unsafe { CStr::from_ptr(*items.add(i)) }
                    .to_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        unsafe { oak_string_array_free(items, len) };
        Ok(out)
    }
}

impl TokenStore for ViaC {
    fn save(&self, key: &str, tokens: &TokenSet) -> Result<()> {
        let json = CString::new(tokens.to_json()).unwrap();
        let mut ts: *mut OakTokenSet = ptr::null_mut();
        check(unsafe { oak_token_set_from_json(json.as_ptr(), &mut ts) })?;
        let key = CString::new(key).map_err(|_| Error::InvalidArgument("NUL".into()))?;
        let status = unsafe { oak_store_save(self.raw, key.as_ptr(), ts) };
        unsafe { oak_token_set_free(ts) };
        check(status)
    }
    fn load(&self, key: &str) -> Result<Option<TokenSet>> {
        let key = CString::new(key).unwrap();
        let mut ts = ptr::null_mut();
        check(unsafe { oak_store_load(self.raw, key.as_ptr(), &mut ts) })?;
        if ts.is_null() {
            return Ok(None);
        }
        let mut json = ptr::null_mut();
        check(unsafe { oak_token_set_to_json(ts, &mut json) })?;
        let tokens = TokenSet::from_json(unsafe { CStr::from_ptr(json) }.to_str().unwrap());
        unsafe {
            oak_string_free(json);
            oak_token_set_free(ts);
        }
        tokens.map(Some)
    }
    fn delete(&self, key: &str) -> Result<bool> {
        let key = CString::new(key).unwrap();
        let mut deleted = false;
        check(unsafe { oak_store_delete(self.raw, key.as_ptr(), &mut deleted) })?;
        Ok(deleted)
    }
    fn list_keys(&self) -> Result<Vec<String>> {
        self.names(oak_store_list)
    }
    fn namespace(&self) -> &str {
        &self.namespace
    }
    fn namespaces(&self) -> Result<Vec<String>> {
        self.names(oak_store_namespaces)
    }
    fn backend(&self) -> &'static str {
        "callback"
    }
}

token_store_conformance!(
    {
        let (store, destroyed) = ViaC::open(None);
        (store, destroyed)
    },
    |s: &ViaC| s.in_namespace("other")
);

fn store_with_fault(f: Fault) -> ViaC {
    let (store, _) = ViaC::open(Some("app"));
    let mut ts = ptr::null_mut();
    unsafe {
        assert_eq!(oak_token_set_new(c"at".as_ptr(), &mut ts), OAK_OK);
        assert_eq!(oak_store_save(store.raw, c"k".as_ptr(), ts), OAK_OK);
        oak_token_set_free(ts);
    }
    store.set_fault(f);
    store
}

fn load_status(store: &ViaC) -> (OakStatus, String, bool) {
    let mut ts = std::ptr::dangling_mut::<OakTokenSet>();
    let status = unsafe { oak_store_load(store.raw, c"k".as_ptr(), &mut ts) };
    let message = last_error();
    let null = ts.is_null();
    if !null {
        unsafe { oak_token_set_free(ts) };
    }
    (status, message, null)
}

#[test]
fn a_failure_status_becomes_the_same_typed_error() {
    for (status, expected) in [
        (OAK_ERR_UNAVAILABLE as i32, OAK_ERR_UNAVAILABLE),
        (OAK_ERR_IO as i32, OAK_ERR_IO),
        (OAK_ERR_STORAGE as i32, OAK_ERR_STORAGE),
        (OAK_ERR_LOCK_TIMEOUT as i32, OAK_ERR_LOCK_TIMEOUT),
        (OAK_ERR_CORRUPT as i32, OAK_ERR_CORRUPT),
        (-1, OAK_ERR_STORAGE),
        (12345, OAK_ERR_STORAGE),
    ] {
        let store = store_with_fault(Fault::FailWith(status));
        let (got, message, null) = load_status(&store);
        assert_eq!(got, expected, "status {status}: {message}");
        assert!(null, "out-parameter left set");
        assert!(
            message.contains("load callback") && message.contains(&status.to_string()),
            "{message}"
        );
        let mut ts = ptr::null_mut();
        let saved = unsafe {
            oak_token_set_new(c"at".as_ptr(), &mut ts);
            let st = oak_store_save(store.raw, c"k2".as_ptr(), ts);
            oak_token_set_free(ts);
            st
        };
        assert_eq!(saved, expected, "{}", last_error());
        assert!(last_error().contains("save callback"));
        let mut deleted = true;
        let st = unsafe { oak_store_delete(store.raw, c"k".as_ptr(), &mut deleted) };
        assert_eq!((st, deleted), (expected, false));
        assert!(store.list_keys().is_err());
    }
}

/// A lock timeout a callback reports reads as one sentence naming the C
/// store and the callback, never "the lock on the lock callback failed".
fn assert_one_lock_sentence(message: &str) {
    assert!(
        message.starts_with("timed out waiting for the lock on ")
            && message.matches("timed out").count() == 1
            && message.contains("C callback store")
            && message.contains("callback answered OAK_ERR_LOCK_TIMEOUT (status 16)")
            && !message.contains("callback failed")
            && !message.contains("on the lock callback")
            && !message.contains("on the load callback"),
        "{message}"
    );
}

#[test]
fn a_lock_timeout_from_any_callback_is_one_clear_sentence() {
    let store = store_with_fault(Fault::FailWith(OAK_ERR_LOCK_TIMEOUT as i32));
    let (status, message, _) = load_status(&store);
    assert_eq!(status, OAK_ERR_LOCK_TIMEOUT);
    assert_one_lock_sentence(&message);
    assert!(message.contains("its load callback"), "{message}");
    let mut deleted = true;
    let st = unsafe { oak_store_delete(store.raw, c"k".as_ptr(), &mut deleted) };
    assert_eq!(st, OAK_ERR_LOCK_TIMEOUT);
    assert_one_lock_sentence(&last_error());
    // The lock callback names the key and namespace it was asked for.
    let err = unsafe { &*store.raw }
        .store()
        .lock_key("alice", std::time::Duration::from_secs(1))
        .map(drop)
        .expect_err("the lock callback refused");
    assert_eq!(err.kind(), oauthkit::ErrorKind::LockTimeout);
    let message = err.to_string();
    assert_one_lock_sentence(&message);
    assert!(
        message.contains("key 'alice' in namespace 'app'") && message.contains("its lock callback"),
        "{message}"
    );
}

#[test]
fn misbehaving_load_callbacks_give_clear_storage_errors() {
    for (f, text) in [
        (Fault::NullValue, "value is NULL"),
        (Fault::NotUtf8, "value is not valid UTF-8"),
        (Fault::NotJson, "its value is not a token set"),
        (Fault::TwoValues, "it gave 2 values for one key"),
    ] {
        let store = store_with_fault(f);
        let (status, message, null) = load_status(&store);
        assert_eq!(status, OAK_ERR_STORAGE, "{f:?}: {message}");
        assert!(null);
        assert!(
            message.contains("load callback misbehaved"),
            "{f:?}: {message}"
        );
        assert!(message.contains(text), "{f:?}: {message}");
        assert!(!message.contains("leaked-secret"), "{message}");
    }
}

#[test]
fn a_reply_given_as_null_is_refused_and_the_load_still_works() {
    let store = store_with_fault(Fault::ReplyNull);
    let (status, message, null) = load_status(&store);
    assert_eq!(status, OAK_OK, "{message}");
    assert!(!null);
}

#[test]
fn misbehaving_listings_are_refused() {
    let store = store_with_fault(Fault::BadKeyInList);
    let err = store.list_keys().unwrap_err().to_string();
    assert!(
        err.contains("list callback misbehaved") && err.contains("control"),
        "{err}"
    );
    store.set_fault(Fault::DuplicateKeyInList);
    let err = store.list_keys().unwrap_err().to_string();
    assert!(err.contains("the same name twice"), "{err}");
    store.set_fault(Fault::None);
    assert_eq!(store.list_keys().unwrap(), vec!["k".to_string()]);
}

#[test]
fn a_callback_calling_back_into_the_store_is_refused_not_deadlocked() {
    let store = store_with_fault(Fault::ReenterStore);
    *store.backend().reenter.lock().unwrap() = store.raw as usize;
    let (status, message, _) = load_status(&store);
    assert_eq!(status, OAK_ERR_INVALID_ARGUMENT, "{message}");
    // the inner refusal is what the outer call reports
    assert!(
        message.contains("load callback failed with status 8"),
        "{message}"
    );
}

#[test]
fn bad_keys_never_reach_the_callbacks() {
    let store = store_with_fault(Fault::None);
    for key in ["", "a\u{1}b", &"x".repeat(513)] {
        let c = CString::new(key).unwrap();
        let mut exists = true;
        let st = unsafe { oak_store_exists(store.raw, c.as_ptr(), &mut exists) };
        assert_eq!(st, OAK_ERR_INVALID_ARGUMENT, "{key:?}");
    }
    assert_eq!(store.backend().map.lock().unwrap().len(), 1);
}

unsafe extern "C" fn never(_: *mut c_void) {
    panic!("destroy must not run when the store was refused");
}

#[test]
fn missing_callbacks_are_refused_and_user_data_stays_the_callers() {
    let full = callbacks(Box::default());
    let user_data = full.user_data;
    let mut cases = Vec::new();
    for name in ["save", "load", "remove", "list"] {
        let mut cb = full;
        cb.destroy = Some(never);
        match name {
            "save" => cb.save = None,
            "load" => cb.load = None,
            "remove" => cb.remove = None,
            _ => cb.list = None,
        }
        cases.push((cb, format!("callbacks->{name} is NULL")));
    }
    let mut half_lock = full;
    half_lock.unlock = None;
    half_lock.destroy = Some(never);
    cases.push((half_lock, "both be given or both be NULL".into()));
    let mut bad_ns = full;
    bad_ns.destroy = Some(never);
    for (cb, text) in cases {
        let mut raw = std::ptr::dangling_mut::<OakStore>();
        let st = unsafe { oak_store_from_callbacks(&cb, ptr::null(), &mut raw) };
        assert_eq!(st, OAK_ERR_INVALID_ARGUMENT);
        assert!(raw.is_null());
        assert!(last_error().contains(&text), "{}", last_error());
    }
    let mut raw = ptr::null_mut();
    let st = unsafe { oak_store_from_callbacks(&bad_ns, c"".as_ptr(), &mut raw) };
    assert_eq!(st, OAK_ERR_INVALID_ARGUMENT);
    assert!(last_error().contains("namespace must not be empty"));
    let st = unsafe { oak_store_from_callbacks(ptr::null(), ptr::null(), &mut raw) };
    assert_eq!(st, OAK_ERR_INVALID_ARGUMENT);
    assert_eq!(last_error(), "invalid argument: callbacks is NULL");
    // still ours: free it
    unsafe { drop(Box::from_raw(user_data as *mut Backend)) };
}

#[test]
fn in_namespace_refuses_other_stores() {
    let mut memory = ptr::null_mut();
    let mut raw = std::ptr::dangling_mut::<OakStore>();
    unsafe {
        assert_eq!(oak_store_open(c"memory:".as_ptr(), &mut memory), OAK_OK);
        let st = oak_store_callbacks_in_namespace(memory, c"x".as_ptr(), &mut raw);
        assert_eq!(st, OAK_ERR_UNSUPPORTED, "{}", last_error());
        assert!(raw.is_null());
        oak_store_free(memory);
    }
}

#[test]
fn destroy_runs_once_after_the_last_handle_goes() {
    let (store, destroyed) = ViaC::open(None);
    let other = store.in_namespace("second");
    drop(store);
    assert_eq!(destroyed.load(Ordering::SeqCst), 0);
    other.save("k", &TokenSet::bearer("a")).unwrap();
    drop(other);
    assert_eq!(destroyed.load(Ordering::SeqCst), 1);
}

#[cfg(feature = "dev-provider")]
#[test]
fn a_sign_in_and_a_refresh_go_through_the_callbacks_and_the_lock() {
    use oauthkit::capi::session::*;
    use oauthkit::capi::OakProvider;
    use oauthkit::unversioned::dev_provider::DevProviderOptions;

    let (idp, provider) = support::dev::dev_pair(DevProviderOptions::default());
    let (store, destroyed) = ViaC::open(Some("app"));
    // the native flow saves through a second handle on the same callbacks
    let via_c: Arc<dyn TokenStore> = Arc::new(store.in_namespace("app"));
    let signed_in = support::dev::sign_in(&provider, via_c.clone(), "me");
    let key = ("app".to_string(), "me".to_string());
    assert!(store.backend().map.lock().unwrap().contains_key(&key));
    support::dev::expire(&store, "me");
    // a C session over the callback store refreshes under its lock
    let provider_raw = OakProvider::into_raw(provider.clone());
    let mut session = ptr::null_mut();
    let mut token = ptr::null_mut();
    unsafe {
        let st = oak_session_new(provider_raw, store.raw, None, ptr::null_mut(), &mut session);
        assert_eq!(st, OAK_OK, "{}", last_error());
        let st = oak_session_access_token(session, c"me".as_ptr(), &mut token);
        assert_eq!(st, OAK_OK, "{}", last_error());
        let fresh = CStr::from_ptr(token).to_str().unwrap().to_owned();
        oak_string_free(token);
        assert_ne!(fresh, signed_in.access_token.expose());
    }
    assert_eq!(idp.token_requests("refresh_token"), 1);
    let b = store.backend();
    assert!(b.locks.load(Ordering::SeqCst) >= 1);
    assert_eq!(
        b.locks.load(Ordering::SeqCst),
        b.unlocks.load(Ordering::SeqCst)
    );
    // a lock the callback refuses fails the refresh with its status
    support::dev::expire(&store, "me");
    store.set_fault(Fault::FailWith(OAK_ERR_LOCK_TIMEOUT as i32));
    let st = unsafe { oak_session_access_token(session, c"me".as_ptr(), &mut token) };
    assert_eq!(st, OAK_ERR_LOCK_TIMEOUT, "{}", last_error());
    assert!(token.is_null());
    assert_one_lock_sentence(&last_error());
    store.set_fault(Fault::None);
    unsafe {
        oak_session_free(session);
        oauthkit::capi::provider::oak_provider_free(provider_raw);
    }
    drop((via_c, store));
    assert_eq!(destroyed.load(Ordering::SeqCst), 1);
}
