//! The cost of the C ABI: one store load through `oak_store_load` (plus
//! `oak_token_set_free`, as a C caller does) against the same
//! `TokenStore::load` called from Rust, on a memory store (where the
//! boundary's share is largest) and a JSON file store, and the cost of
//! copying the access token out (`oak_token_set_access_token` +
//! `oak_string_free`, which zeroes).
//!
//! `cargo bench --bench capi`

use std::ffi::{c_char, CString};
use std::hint::black_box;
use std::ptr;

use criterion::{criterion_group, criterion_main, Criterion};
use oauthkit::capi::store::{oak_store_free, oak_store_load, oak_store_open, oak_store_save};
use oauthkit::capi::strings::oak_string_free;
use oauthkit::capi::token_set::{
    oak_token_set_access_token, oak_token_set_free, oak_token_set_from_json,
};
use oauthkit::capi::{OakStatus, OakStore};
use oauthkit::TokenSet;

fn token() -> TokenSet {
    TokenSet::bearer(format!("access-token-{}", "x".repeat(800)))
        .with_refresh_token(format!("refresh-{}", "y".repeat(100)))
        .with_scopes(["openid", "email", "profile", "offline_access"])
        .with_identity_id("user-1")
        .with_expires_in(3600)
}

/// Opens `spec` twice: once through the C ABI, once from Rust, with the
/// same token set saved under "alice" in each.
fn open_both(spec: &str) -> (*mut OakStore, std::sync::Arc<dyn oauthkit::TokenStore>) {
    let rust = oauthkit::store::open(spec).unwrap();
    rust.save("alice", &token()).unwrap();
    let mut c_store = ptr::null_mut();
    let mut c_tokens = ptr::null_mut();
    let json = CString::new(token().to_json()).unwrap();
    unsafe {
        assert_eq!(
            oak_store_open(CString::new(spec).unwrap().as_ptr(), &mut c_store),
            OakStatus::OAK_OK
        );
        assert_eq!(
            oak_token_set_from_json(json.as_ptr(), &mut c_tokens),
            OakStatus::OAK_OK
        );
        assert_eq!(
            oak_store_save(c_store, c"alice".as_ptr(), c_tokens),
            OakStatus::OAK_OK
        );
        oak_token_set_free(c_tokens);
    }
    (c_store, rust)
}

fn bench_load(c: &mut Criterion, name: &str, spec: &str) {
    let (c_store, rust) = open_both(spec);
    let mut group = c.benchmark_group(format!("load/{name}"));
    group.bench_function("rust", |b| {
        b.iter(|| black_box(rust.load(black_box("alice")).unwrap()));
    });
    group.bench_function("c_abi", |b| {
        b.iter(|| unsafe {
            let mut out = ptr::null_mut();
            let status = oak_store_load(c_store, black_box(c"alice".as_ptr()), &mut out);
            assert_eq!(status, OakStatus::OAK_OK);
            oak_token_set_free(black_box(out));
        });
    });
    group.finish();
    unsafe { oak_store_free(c_store) };
}

fn bench_access_token_copy(c: &mut Criterion) {
    let (c_store, _) = open_both("memory:");
    let mut tokens = ptr::null_mut();
    unsafe { oak_store_load(c_store, c"alice".as_ptr(), &mut tokens) };
    c.bench_function("access_token_copy/c_abi", |b| {
        b.iter(|| unsafe {
            let mut s: *mut c_char = ptr::null_mut();
            oak_token_set_access_token(tokens, &mut s);
            oak_string_free(black_box(s));
        });
    });
    unsafe {
        oak_token_set_free(tokens);
        oak_store_free(c_store);
    }
}

fn benches(c: &mut Criterion) {
    bench_load(c, "memory", "memory:");
    let dir = tempfile::tempdir().unwrap();
    bench_load(
        c,
        "json_file",
        &format!("file:{}", dir.path().join("t.json").display()),
    );
    bench_access_token_copy(c);
}

criterion_group!(capi, benches);
criterion_main!(capi);
