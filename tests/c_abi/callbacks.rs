//! The callback plumbing of the C ABI, called through the `extern "C"`
//! functions: the session's refresh callback gets the key, the new tokens
//! and the caller's `user_data`; the flow's browser callback gets the
//! authorization URL and can fail the run; `oak_flow_cancel` works from
//! another thread; a panicking provider is contained.
//!
//! The provider here is an in-process one that refreshes by minting a new
//! access token: these tests are about the boundary. Real sign-ins against
//! the development OpenID provider run from C, C++ and Go in
//! `scripts/test-ffi.sh`.

use oauthkit::provider::{CodeExchange, TokenRefresh, TokenRevocation, UserinfoRequest};
use std::ffi::{c_char, c_void, CStr, CString};
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use oauthkit::capi::flow::*;
use oauthkit::capi::provider::*;
use oauthkit::capi::session::*;
use oauthkit::capi::store::*;
use oauthkit::capi::strings::*;
use oauthkit::capi::token_set::*;
use oauthkit::capi::{OakProvider, OakStatus::*, OakStore, OakTokenSet};
use oauthkit::provider::{AuthorizeRequest, Provider};
use oauthkit::{Result, TokenSet};

/// Refreshes by minting `refreshed-N`; panics when asked to for `panic-rt`.
struct MintingProvider {
    refreshes: AtomicUsize,
}

impl Provider for MintingProvider {
    fn name(&self) -> &str {
        "minting"
    }
    fn build_authorize_url(&self, r: &AuthorizeRequest<'_>) -> Result<String> {
        Ok(format!(
            "http://127.0.0.1:1/authorize?state={}&redirect_uri={}",
            r.state, r.redirect_uri
        ))
    }
    fn exchange_code(&self, _: &CodeExchange) -> Result<TokenSet> {
        unreachable!("no code reaches this provider in these tests")
    }
    fn refresh_tokens(&self, request: &TokenRefresh) -> Result<TokenSet> {
        assert_ne!(
            request.refresh_token().expose(),
            "panic-rt",
            "provider bug triggered"
        );
        let n = self.refreshes.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(TokenSet::bearer(format!("refreshed-{n}")).with_expires_in(3600))
    }
    fn get_userinfo(&self, _: &UserinfoRequest) -> Result<Option<oauthkit::Claims>> {
        Ok(None)
    }
    fn revoke_token(&self, _: &TokenRevocation) -> Result<bool> {
        Ok(false)
    }
}

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

fn last_error() -> String {
    unsafe { CStr::from_ptr(oak_last_error_message()) }
        .to_str()
        .unwrap()
        .to_owned()
}

fn provider() -> (*mut OakProvider, Arc<MintingProvider>) {
    let p = Arc::new(MintingProvider {
        refreshes: AtomicUsize::new(0),
    });
    (OakProvider::into_raw(p.clone()), p)
}

fn memory_store() -> *mut OakStore {
    let mut store = ptr::null_mut();
    assert_eq!(
        unsafe { oak_store_open(c"memory:".as_ptr(), &mut store) },
        OAK_OK
    );
    store
}

fn save_expired(store: *mut OakStore, key: &str, refresh_token: &str) {
    let mut ts = ptr::null_mut();
    unsafe {
        assert_eq!(oak_token_set_new(c"old-at".as_ptr(), &mut ts), OAK_OK);
        assert_eq!(
            oak_token_set_set_refresh_token(ts, c(refresh_token).as_ptr()),
            OAK_OK
        );
        assert_eq!(oak_token_set_set_expires_in(ts, -10), OAK_OK);
        assert_eq!(oak_store_save(store, c(key).as_ptr(), ts), OAK_OK);
        oak_token_set_free(ts);
    }
}

/// What the refresh callback saw: (key, access token) per call.
type Seen = Mutex<Vec<(String, String)>>;

unsafe extern "C" fn record_refresh(
    key: *const c_char,
    tokens: *const OakTokenSet,
    user_data: *mut c_void,
) {
    let seen = &*(user_data as *const Seen);
    let mut at = ptr::null_mut();
    assert_eq!(oak_token_set_access_token(tokens, &mut at), OAK_OK);
    let entry = (
        CStr::from_ptr(key).to_str().unwrap().to_owned(),
        CStr::from_ptr(at).to_str().unwrap().to_owned(),
    );
    oak_string_free(at);
    seen.lock().unwrap().push(entry);
}

#[test]
fn the_refresh_callback_gets_key_tokens_and_user_data() {
    let (provider, minted) = provider();
    let store = memory_store();
    save_expired(store, "alice", "rt-1");
    let seen: Seen = Mutex::new(Vec::new());
    let mut session = ptr::null_mut();
    unsafe {
        let user_data = &seen as *const Seen as *mut c_void;
        assert_eq!(
            oak_session_new(
                provider,
                store,
                Some(record_refresh),
                user_data,
                &mut session
            ),
            OAK_OK
        );
        // The session keeps its own references.
        oak_provider_free(provider);
        oak_store_free(store);

        let mut at = ptr::null_mut();
        assert_eq!(
            oak_session_access_token(session, c"alice".as_ptr(), &mut at),
            OAK_OK,
            "{}",
            last_error()
        );
        assert_eq!(CStr::from_ptr(at).to_str().unwrap(), "refreshed-1");
        oak_string_free(at);
        // Fresh now: no second refresh, no second callback.
        let mut tokens = ptr::null_mut();
        assert_eq!(
            oak_session_tokens(session, c"alice".as_ptr(), &mut tokens),
            OAK_OK
        );
        oak_token_set_free(tokens);
        assert_eq!(minted.refreshes.load(Ordering::SeqCst), 1);
        assert_eq!(
            *seen.lock().unwrap(),
            vec![("alice".to_string(), "refreshed-1".to_string())]
        );

        // A forced refresh is told too; out_tokens may be NULL.
        assert_eq!(
            oak_session_refresh(session, c"alice".as_ptr(), ptr::null_mut()),
            OAK_OK
        );
        assert_eq!(seen.lock().unwrap().len(), 2);

        let mut missing = ptr::null_mut();
        assert_eq!(
            oak_session_access_token(session, c"bob".as_ptr(), &mut missing),
            OAK_ERR_NOT_FOUND
        );
        assert!(missing.is_null());
        let mut had = true;
        assert_eq!(
            oak_session_logout(session, c"bob".as_ptr(), &mut had),
            OAK_OK
        );
        assert!(!had);
        oak_session_free(session);
    }
}

#[test]
fn a_panicking_provider_is_contained_and_the_session_still_works() {
    let (provider, _) = provider();
    let store = memory_store();
    save_expired(store, "carol", "panic-rt");
    save_expired(store, "dave", "rt-2");
    let mut session = ptr::null_mut();
    unsafe {
        assert_eq!(
            oak_session_new(provider, store, None, ptr::null_mut(), &mut session),
            OAK_OK
        );
        let mut at = ptr::null_mut();
        assert_eq!(
            oak_session_access_token(session, c"carol".as_ptr(), &mut at),
            OAK_ERR_INTERNAL
        );
        assert!(
            last_error().contains("provider bug triggered"),
            "{}",
            last_error()
        );
        assert!(at.is_null());
        // The per-key lock the panic unwound through does not wedge others.
        assert_eq!(
            oak_session_access_token(session, c"dave".as_ptr(), &mut at),
            OAK_OK,
            "{}",
            last_error()
        );
        oak_string_free(at);
        oak_session_free(session);
        oak_provider_free(provider);
        oak_store_free(store);
    }
}

/// What a C browser callback returns: any `int32_t`, not only a status.
struct Opener {
    urls: Vec<String>,
    answer: i32,
}

unsafe extern "C" fn open_browser(url: *const c_char, user_data: *mut c_void) -> i32 {
    let opener = &mut *(user_data as *mut Opener);
    opener
        .urls
        .push(CStr::from_ptr(url).to_str().unwrap().to_owned());
    opener.answer
}

#[test]
fn the_browser_callback_gets_the_url_and_can_fail_the_run() {
    let (provider, _) = provider();
    let mut flow = ptr::null_mut();
    let mut opener = Opener {
        urls: Vec::new(),
        answer: 1234, // not a status at all: still a clean failure
    };
    unsafe {
        assert_eq!(
            oak_flow_new(provider, ptr::null(), ptr::null(), &mut flow),
            OAK_OK
        );
        let mut tokens = ptr::null_mut();
        let user_data = &mut opener as *mut Opener as *mut c_void;
        let status = oak_flow_run_native(
            flow,
            Some(open_browser),
            user_data,
            &mut tokens,
            ptr::null_mut(),
            ptr::null_mut(),
        );
        assert_eq!(status, OAK_ERR_AUTHENTICATION);
        assert!(
            last_error().contains("browser callback failed with status 1234"),
            "{}",
            last_error()
        );
        assert!(tokens.is_null());
        let mut state = OakFlowState::OAK_FLOW_COMPLETED;
        assert_eq!(oak_flow_state(flow, &mut state), OAK_OK);
        assert_eq!(state, OakFlowState::OAK_FLOW_FAILED);
        oak_flow_free(flow);
        oak_provider_free(provider);
    }
    assert_eq!(opener.urls.len(), 1);
    assert!(opener.urls[0].starts_with("http://127.0.0.1:1/authorize?state="));
    assert!(
        opener.urls[0].contains("redirect_uri=http://127.0.0.1:"),
        "{}",
        opener.urls[0]
    );
}

#[test]
fn cancel_from_another_thread_ends_the_run() {
    let (provider, _) = provider();
    let mut flow = ptr::null_mut();
    let mut opener = Opener {
        urls: Vec::new(),
        answer: 0,
    };
    unsafe {
        assert_eq!(
            oak_flow_new(provider, ptr::null(), ptr::null(), &mut flow),
            OAK_OK
        );
        assert_eq!(oak_flow_set_timeout(flow, 60), OAK_OK);
    }
    let shared = flow as usize;
    let canceller = std::thread::spawn(move || unsafe {
        let flow = shared as *const OakFlow;
        let mut state = OakFlowState::OAK_FLOW_IDLE;
        while state != OakFlowState::OAK_FLOW_WAITING_FOR_CALLBACK {
            assert_eq!(oak_flow_state(flow, &mut state), OAK_OK);
            std::thread::sleep(Duration::from_millis(5));
        }
        let at = Instant::now();
        assert_eq!(oak_flow_cancel(flow), OAK_OK);
        at
    });
    let mut tokens = ptr::null_mut();
    let status = unsafe {
        oak_flow_run_native(
            flow,
            Some(open_browser),
            &mut opener as *mut Opener as *mut c_void,
            &mut tokens,
            ptr::null_mut(),
            ptr::null_mut(),
        )
    };
    let returned = Instant::now();
    let cancelled_at = canceller.join().unwrap();
    assert_eq!(status, OAK_ERR_CANCELLED);
    assert!(returned.duration_since(cancelled_at) < Duration::from_secs(2));
    assert!(tokens.is_null());
    unsafe {
        let mut state = OakFlowState::OAK_FLOW_IDLE;
        assert_eq!(oak_flow_state(flow, &mut state), OAK_OK);
        assert_eq!(state, OakFlowState::OAK_FLOW_CANCELLED);
        oak_flow_free(flow);
        oak_provider_free(provider);
    }
}

#[test]
fn flow_and_session_arguments_are_checked() {
    let (provider, _) = provider();
    let mut flow: *mut OakFlow = ptr::null_mut();
    let mut session: *mut OakSession = ptr::null_mut();
    let bad = c"caf\xe9".as_ptr();
    unsafe {
        assert_eq!(
            oak_flow_new(ptr::null(), ptr::null(), ptr::null(), &mut flow),
            OAK_ERR_INVALID_ARGUMENT
        );
        assert_eq!(last_error(), "invalid argument: provider is NULL");
        assert_eq!(
            oak_session_new(provider, ptr::null(), None, ptr::null_mut(), &mut session),
            OAK_ERR_INVALID_ARGUMENT
        );
        assert_eq!(last_error(), "invalid argument: store is NULL");
        assert!(flow.is_null() && session.is_null());
        assert_eq!(
            oak_flow_new(provider, ptr::null(), ptr::null(), &mut flow),
            OAK_OK
        );
        assert_eq!(oak_flow_set_token_key(flow, bad), OAK_ERR_INVALID_ARGUMENT);
        assert!(last_error().contains("key is not valid UTF-8"));
        assert_eq!(oak_flow_set_timeout(flow, 0), OAK_ERR_INVALID_ARGUMENT);
        assert_eq!(
            oak_flow_add_param(flow, c"prompt".as_ptr(), ptr::null()),
            OAK_ERR_INVALID_ARGUMENT
        );
        // The flow is still usable after refused settings.
        assert_eq!(oak_flow_set_token_key(flow, c"me".as_ptr()), OAK_OK);
        assert_eq!(oak_flow_cancel(ptr::null()), OAK_ERR_INVALID_ARGUMENT);
        let mut state = OakFlowState::OAK_FLOW_COMPLETED;
        assert_eq!(oak_flow_state(flow, &mut state), OAK_OK);
        assert_eq!(state, OakFlowState::OAK_FLOW_IDLE);
        oak_flow_free(flow);
        oak_flow_free(ptr::null_mut());
        oak_session_free(ptr::null_mut());
        oak_provider_free(provider);
    }
}
