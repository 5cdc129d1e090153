//! The C ABI called the way C calls it: through the `extern "C"` functions,
//! with raw pointers, NULLs and bytes that are not UTF-8.

use std::ffi::{c_char, CStr, CString};
use std::ptr;

use oauthkit::capi::store::*;
use oauthkit::capi::strings::*;
use oauthkit::capi::token_set::*;
use oauthkit::capi::{
    oak_abi_version, oak_version, OakStatus, OakStatus::*, OakStore, OakTokenSet, OAK_ABI_VERSION,
};
use oauthkit::{Result, TokenSet, TokenStore};

mod out_params;

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

fn last_error() -> String {
    unsafe { CStr::from_ptr(oak_last_error_message()) }
        .to_str()
        .unwrap()
        .to_owned()
}

/// Takes ownership of a returned string.
fn take(s: *mut c_char) -> String {
    assert!(!s.is_null());
    let text = unsafe { CStr::from_ptr(s) }.to_str().unwrap().to_owned();
    unsafe { oak_string_free(s) };
    text
}

fn open(spec: &str) -> *mut OakStore {
    let mut store = ptr::null_mut();
    assert_eq!(
        unsafe { oak_store_open(c(spec).as_ptr(), &mut store) },
        OAK_OK,
        "{}",
        last_error()
    );
    store
}

fn token_set(access: &str) -> *mut OakTokenSet {
    let mut ts = ptr::null_mut();
    assert_eq!(
        unsafe { oak_token_set_new(c(access).as_ptr(), &mut ts) },
        OAK_OK
    );
    ts
}

const NOT_UTF8: &[u8] = b"caf\xe9\0";

#[test]
fn versions_are_reported() {
    assert_eq!(oak_abi_version(), OAK_ABI_VERSION);
    let v = unsafe { CStr::from_ptr(oak_version()) }.to_str().unwrap();
    assert_eq!(v, env!("CARGO_PKG_VERSION"));
}

#[test]
fn a_file_store_round_trips_a_token_set() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    let store = open(&format!("file:{}?namespace=app", path.display()));
    let ts = token_set("at-1");
    unsafe {
        assert_eq!(
            oak_token_set_set_refresh_token(ts, c("rt-1").as_ptr()),
            OAK_OK
        );
        assert_eq!(
            oak_token_set_set_scope(ts, c("openid email").as_ptr()),
            OAK_OK
        );
        assert_eq!(oak_token_set_set_expires_in(ts, 3600), OAK_OK);
        assert_eq!(
            oak_store_save(store, c("alice").as_ptr(), ts),
            OAK_OK,
            "{}",
            last_error()
        );
        oak_token_set_free(ts);

        let mut loaded = ptr::null_mut();
        assert_eq!(
            oak_store_load(store, c("alice").as_ptr(), &mut loaded),
            OAK_OK
        );
        let mut s = ptr::null_mut();
        assert_eq!(oak_token_set_access_token(loaded, &mut s), OAK_OK);
        assert_eq!(take(s), "at-1");
        assert_eq!(oak_token_set_refresh_token(loaded, &mut s), OAK_OK);
        assert_eq!(take(s), "rt-1");
        assert_eq!(oak_token_set_scope(loaded, &mut s), OAK_OK);
        assert_eq!(take(s), "openid email");
        assert_eq!(oak_token_set_id_token(loaded, &mut s), OAK_OK);
        assert!(s.is_null(), "no ID token was set");
        let (mut at, mut known, mut expired) = (0i64, false, true);
        assert_eq!(
            oak_token_set_expires_at(loaded, &mut at, &mut known),
            OAK_OK
        );
        assert!(known && at > 0);
        assert_eq!(oak_token_set_is_expired(loaded, 60, &mut expired), OAK_OK);
        assert!(!expired);
        oak_token_set_free(loaded);

        // The file is the real thing: a second handle on it sees the key.
        let again = open(&format!("file:{}?namespace=app", path.display()));
        let (mut items, mut len) = (ptr::null_mut(), 0usize);
        assert_eq!(oak_store_list(again, &mut items, &mut len), OAK_OK);
        assert_eq!(len, 1);
        assert_eq!(CStr::from_ptr(*items).to_str().unwrap(), "alice");
        assert!((*items.add(1)).is_null());
        oak_string_array_free(items, len);
        assert_eq!(oak_store_namespaces(again, &mut items, &mut len), OAK_OK);
        assert_eq!(len, 1);
        assert_eq!(CStr::from_ptr(*items).to_str().unwrap(), "app");
        oak_string_array_free(items, len);

        let mut deleted = false;
        assert_eq!(
            oak_store_delete(again, c("alice").as_ptr(), &mut deleted),
            OAK_OK
        );
        assert!(deleted);
        let mut exists = true;
        assert_eq!(
            oak_store_exists(store, c("alice").as_ptr(), &mut exists),
            OAK_OK
        );
        assert!(!exists);
        oak_store_free(again);
        oak_store_free(store);
    }
}

#[test]
fn a_missing_key_loads_as_null_with_ok() {
    let store = open("memory:");
    let mut loaded = ptr::dangling_mut::<OakTokenSet>(); // garbage the call must overwrite
    assert_eq!(
        unsafe { oak_store_load(store, c("nobody").as_ptr(), &mut loaded) },
        OAK_OK
    );
    assert!(loaded.is_null());
    unsafe { oak_store_free(store) };
}

/// A parameter name and a call that passes NULL for it.
type NullCase<'a> = Box<dyn FnMut() -> OakStatus + 'a>;

#[test]
fn null_arguments_are_invalid_arguments_naming_the_parameter() {
    let store = open("memory:");
    let ts = token_set("at");
    let key = c("k");
    let k = key.as_ptr();
    let mut out_ts: *mut OakTokenSet = ptr::null_mut();
    let mut out_store: *mut OakStore = ptr::null_mut();
    let mut out_s: *mut c_char = ptr::null_mut();
    let mut flag = false;
    let mut n = 0i64;
    let (p_ts, p_store, p_s) = (&raw mut out_ts, &raw mut out_store, &raw mut out_s);
    let (p_flag, p_n) = (&raw mut flag, &raw mut n);
    #[rustfmt::skip]
    let cases: Vec<(&str, NullCase)> = unsafe { vec![
        ("spec", Box::new(|| oak_store_open(ptr::null(), p_store))),
        ("out_store", Box::new(|| oak_store_open(k, ptr::null_mut()))),
        ("store", Box::new(|| oak_store_save(ptr::null(), k, ts))),
        ("key", Box::new(|| oak_store_save(store, ptr::null(), ts))),
        ("tokens", Box::new(|| oak_store_save(store, k, ptr::null()))),
        ("out_tokens", Box::new(|| oak_store_load(store, k, ptr::null_mut()))),
        ("key", Box::new(|| oak_store_delete(store, ptr::null(), ptr::null_mut()))),
        ("out_exists", Box::new(|| oak_store_exists(store, k, ptr::null_mut()))),
        ("out_items", Box::new(|| oak_store_list(store, ptr::null_mut(), ptr::null_mut()))),
        ("store", Box::new(|| oak_store_namespace(ptr::null(), p_s))),
        ("out_backend", Box::new(|| oak_store_backend(store, ptr::null_mut()))),
        ("access_token", Box::new(|| oak_token_set_new(ptr::null(), p_ts))),
        ("json", Box::new(|| oak_token_set_from_json(ptr::null(), p_ts))),
        ("tokens", Box::new(|| oak_token_set_to_json(ptr::null(), p_s))),
        ("tokens", Box::new(|| oak_token_set_access_token(ptr::null(), p_s))),
        ("out", Box::new(|| oak_token_set_access_token(ts, ptr::null_mut()))),
        ("out_unix", Box::new(|| oak_token_set_expires_at(ts, ptr::null_mut(), p_flag))),
        ("tokens", Box::new(|| oak_token_set_issued_at(ptr::null(), p_n))),
        ("scope", Box::new(|| oak_token_set_has_scope(ts, ptr::null(), p_flag))),
        ("tokens", Box::new(|| oak_token_set_set_scope(ptr::null_mut(), k))),
        ("scope", Box::new(|| oak_token_set_set_scope(ts, ptr::null()))),
    ] };
    for (param, mut f) in cases {
        assert_eq!(f(), OAK_ERR_INVALID_ARGUMENT, "{param}");
        assert_eq!(last_error(), format!("invalid argument: {param} is NULL"));
    }
    unsafe {
        oak_token_set_free(ts);
        oak_store_free(store);
    }
    assert!(out_store.is_null() && out_ts.is_null() && out_s.is_null());
}

#[test]
fn non_utf8_strings_are_invalid_arguments() {
    let store = open("memory:");
    let ts = token_set("at");
    let bad = NOT_UTF8.as_ptr().cast::<c_char>();
    let mut out_store = ptr::null_mut();
    let mut out_ts = ptr::null_mut();
    unsafe {
        assert_eq!(
            oak_store_open(bad, &mut out_store),
            OAK_ERR_INVALID_ARGUMENT
        );
        assert!(
            last_error().contains("spec is not valid UTF-8"),
            "{}",
            last_error()
        );
        assert_eq!(oak_store_save(store, bad, ts), OAK_ERR_INVALID_ARGUMENT);
        assert!(last_error().contains("key is not valid UTF-8"));
        assert_eq!(
            oak_token_set_new(bad, &mut out_ts),
            OAK_ERR_INVALID_ARGUMENT
        );
        assert_eq!(
            oak_token_set_from_json(bad, &mut out_ts),
            OAK_ERR_INVALID_ARGUMENT
        );
        assert_eq!(
            oak_token_set_set_refresh_token(ts, bad),
            OAK_ERR_INVALID_ARGUMENT
        );
        // Nothing was saved under any key.
        let (mut items, mut len) = (ptr::null_mut(), 99usize);
        assert_eq!(oak_store_list(store, &mut items, &mut len), OAK_OK);
        assert_eq!(len, 0);
        assert!((*items).is_null());
        oak_string_array_free(items, len);
        oak_token_set_free(ts);
        oak_store_free(store);
    }
    assert!(out_store.is_null() && out_ts.is_null());
}

#[test]
fn bad_input_gets_typed_statuses() {
    let mut store = ptr::null_mut();
    let mut ts = ptr::null_mut();
    unsafe {
        assert_eq!(
            oak_store_open(c("floppy:/a").as_ptr(), &mut store),
            OAK_ERR_INVALID_ARGUMENT
        );
        assert!(last_error().contains("unknown store scheme 'floppy'"));
        assert_eq!(
            oak_token_set_from_json(c("{\"access_token\": \"secret-at\"").as_ptr(), &mut ts),
            OAK_ERR_CORRUPT
        );
        assert!(
            !last_error().contains("secret-at"),
            "messages never quote tokens"
        );
        let mem = open("memory:");
        let valid = token_set("at");
        assert_eq!(
            oak_store_save(mem, c("").as_ptr(), valid),
            OAK_ERR_INVALID_ARGUMENT
        );
        oak_token_set_free(valid);
        oak_store_free(mem);
    }
    assert!(store.is_null() && ts.is_null());
}

#[test]
fn json_round_trips_and_clones_are_independent() {
    let json = r#"{"access_token":"at","token_type":"Bearer","refresh_token":"rt","scope":"a b","issued_at":1700000000,"expires_at":1700003600,"identity_id":"user-1"}"#;
    let mut ts = ptr::null_mut();
    unsafe {
        assert_eq!(oak_token_set_from_json(c(json).as_ptr(), &mut ts), OAK_OK);
        let mut copy = ptr::null_mut();
        assert_eq!(oak_token_set_clone(ts, &mut copy), OAK_OK);
        assert_eq!(oak_token_set_set_refresh_token(copy, ptr::null()), OAK_OK);
        let mut s = ptr::null_mut();
        assert_eq!(oak_token_set_refresh_token(ts, &mut s), OAK_OK);
        assert_eq!(take(s), "rt");
        assert_eq!(oak_token_set_refresh_token(copy, &mut s), OAK_OK);
        assert!(s.is_null());
        assert_eq!(oak_token_set_identity_id(ts, &mut s), OAK_OK);
        assert_eq!(take(s), "user-1");
        let (mut at, mut issued, mut has) = (0, 0, false);
        assert_eq!(
            oak_token_set_expires_at(ts, &mut at, ptr::null_mut()),
            OAK_OK
        );
        assert_eq!(at, 1_700_003_600);
        assert_eq!(oak_token_set_issued_at(ts, &mut issued), OAK_OK);
        assert_eq!(issued, 1_700_000_000);
        assert_eq!(
            oak_token_set_has_scope(ts, c("b").as_ptr(), &mut has),
            OAK_OK
        );
        assert!(has);
        assert_eq!(oak_token_set_to_json(ts, &mut s), OAK_OK);
        let back = TokenSet::from_json(&take(s)).unwrap();
        assert_eq!(back.refresh_token.unwrap().expose(), "rt");
        assert_eq!(back.expires_at, Some(1_700_003_600));
        oak_token_set_free(copy);
        oak_token_set_free(ts);
    }
}

#[test]
fn freeing_null_is_a_no_op() {
    unsafe {
        oak_store_free(ptr::null_mut());
        oak_token_set_free(ptr::null_mut());
        oak_string_free(ptr::null_mut());
        oak_string_array_free(ptr::null_mut(), 3);
    }
}

/// A store whose every call panics, as a bug in a backend would.
struct PanickingStore;

impl TokenStore for PanickingStore {
    fn save(&self, _: &str, _: &TokenSet) -> Result<()> {
        panic!("save exploded")
    }
    fn load(&self, _: &str) -> Result<Option<TokenSet>> {
        panic!("load exploded")
    }
    fn delete(&self, _: &str) -> Result<bool> {
        panic!("delete exploded")
    }
    fn list_keys(&self) -> Result<Vec<String>> {
        panic!("list exploded")
    }
    fn namespace(&self) -> &str {
        panic!("namespace exploded")
    }
    fn namespaces(&self) -> Result<Vec<String>> {
        panic!("namespaces exploded")
    }
    fn backend(&self) -> &'static str {
        "panicking"
    }
}

#[test]
fn a_panic_inside_a_call_is_contained_and_reported() {
    let store = OakStore::into_raw(Box::new(PanickingStore));
    let ts = token_set("at");
    let mut loaded = ptr::null_mut();
    let (mut items, mut len) = (ptr::null_mut(), 0usize);
    let mut ns = ptr::null_mut();
    unsafe {
        assert_eq!(
            oak_store_load(store, c("k").as_ptr(), &mut loaded),
            OAK_ERR_INTERNAL
        );
        assert_eq!(last_error(), "internal error: panic: load exploded");
        assert!(loaded.is_null());
        assert_eq!(oak_store_save(store, c("k").as_ptr(), ts), OAK_ERR_INTERNAL);
        assert_eq!(last_error(), "internal error: panic: save exploded");
        assert_eq!(
            oak_store_list(store, &mut items, &mut len),
            OAK_ERR_INTERNAL
        );
        assert!(items.is_null());
        assert_eq!(oak_store_namespace(store, &mut ns), OAK_ERR_INTERNAL);
        assert!(ns.is_null());
        // The handle and the process are still fine afterwards.
        let mut backend = ptr::null_mut();
        assert_eq!(oak_store_backend(store, &mut backend), OAK_OK);
        assert_eq!(take(backend), "panicking");
        oak_token_set_free(ts);
        oak_store_free(store);
    }
}

#[test]
fn each_thread_has_its_own_last_error() {
    let mut store = ptr::null_mut();
    assert_eq!(
        unsafe { oak_store_open(c("nope").as_ptr(), &mut store) },
        OAK_ERR_INVALID_ARGUMENT
    );
    let mine = last_error();
    let theirs = std::thread::spawn(|| {
        let before = last_error();
        let mut ts = ptr::null_mut();
        unsafe { oak_token_set_new(ptr::null(), &mut ts) };
        (before, last_error())
    })
    .join()
    .unwrap();
    assert_eq!(theirs.0, "", "a fresh thread has no error yet");
    assert_eq!(theirs.1, "invalid argument: access_token is NULL");
    assert_eq!(
        last_error(),
        mine,
        "another thread's failure does not touch this one"
    );
    assert!(mine.contains("has no scheme"));
}

#[test]
fn a_store_handle_is_shared_by_threads() {
    let store = open("memory:") as usize;
    let workers: Vec<_> = (0..4)
        .map(|i| {
            std::thread::spawn(move || unsafe {
                let store = store as *const OakStore;
                let ts = token_set(&format!("at-{i}"));
                assert_eq!(
                    oak_store_save(store, c(&format!("k{i}")).as_ptr(), ts),
                    OAK_OK
                );
                oak_token_set_free(ts);
            })
        })
        .collect();
    workers.into_iter().for_each(|w| w.join().unwrap());
    let store = store as *mut OakStore;
    let (mut items, mut len) = (ptr::null_mut(), 0usize);
    unsafe {
        assert_eq!(oak_store_list(store, &mut items, &mut len), OAK_OK);
        assert_eq!(len, 4);
        oak_string_array_free(items, len);
        oak_store_free(store);
    }
}

/// `oak_store_open` takes the library's spec check: a mistyped Redis URL
/// as a `file:`/`sqlite:` spec creates nothing and is never quoted. The
/// process runs in an empty temporary directory, which must stay empty.
#[test]
fn url_shaped_store_specs_create_nothing_through_the_c_abi() {
    const PW: &str = "capiSp3cPassw0rd";
    let dir = tempfile::tempdir().unwrap().keep();
    std::env::set_current_dir(&dir).unwrap();
    for spec in [
        format!("sqlite:user:{PW}@redis://127.0.0.1:6379"),
        format!("file:redis://user:{PW}@host"),
        format!("sqlite:{PW}@x://h"),
        format!("file://:{PW}@host://h"),
        format!("file:user%3A{PW}%40redis%3A%2F%2Fh"),
    ] {
        let mut store = ptr::null_mut();
        let st = unsafe { oak_store_open(c(&spec).as_ptr(), &mut store) };
        assert_eq!(st, OakStatus::OAK_ERR_INVALID_ARGUMENT, "{spec}");
        assert!(store.is_null());
        assert!(!last_error().contains(PW), "{spec}: {}", last_error());
        let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert!(left.is_empty(), "{spec} created {left:?}");
    }
}
