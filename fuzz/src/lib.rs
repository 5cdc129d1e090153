//! Entry points of the fuzz targets (`fuzz_targets/`), and of their
//! regression test in the main package (`tests/fuzz_regressions.rs`
//! includes this file). Not part of oauthkit's API.
//!
//! Each function takes arbitrary bytes, feeds them to one of oauthkit's
//! parsers of untrusted input through the same code the library runs, and
//! panics when a property fails: a panic inside the library, a value that
//! does not survive a parse → serialise → parse round trip, a secret the
//! library holds showing up in an error message, a check that accepted
//! what it must refuse. libFuzzer reports a panic as a crash.
//!
//! They use oauthkit's public API only, except the globus-sdk record
//! conversion, reached through `oauthkit::__fuzz` (the `fuzzing` feature).
//! Parsers that sit behind HTTP (discovery, JWKS, token endpoint) are
//! reached through the real HTTP client against a loopback server that
//! answers with the fuzz input (`loopback`), so the response handling of
//! `provider/http.rs` is covered too.

mod callback;
mod capi;
mod deploy;
mod id_token;
mod loopback;
mod provider;
mod settings;
mod store;

pub use callback::{callback, callback_http, paste_url};
pub use capi::capi;
pub use deploy::deploy;
pub use id_token::id_token;
pub use provider::{discovery, jwks, token_endpoint, token_response};
pub use settings::provider_settings;
pub use store::{globus_file, store_spec, token_set_json};

/// A fuzz target's entry point.
pub type Target = fn(&[u8]);

/// Every fuzz target: its name (the file `fuzz/fuzz_targets/{name}.rs`, the
/// folders `fuzz/corpus/{name}` and `fuzz/regressions/{name}`) and its
/// entry point.
pub const TARGETS: &[(&str, Target)] = &[
    ("callback", callback),
    ("callback_http", callback_http),
    ("paste_url", paste_url),
    ("token_response", token_response),
    ("token_endpoint", token_endpoint),
    ("discovery", discovery),
    ("jwks", jwks),
    ("id_token", id_token),
    ("token_set_json", token_set_json),
    ("globus_file", globus_file),
    ("store_spec", store_spec),
    ("provider_settings", provider_settings),
    ("deploy", deploy),
    ("capi", capi),
];

/// Panics when `message` (an error's Display or Debug text, a log line)
/// contains one of `secrets`. Only secret-looking values are checked: at
/// least 8 characters with both a letter and a digit (shorter or plainer
/// fuzz-chosen "secrets" such as `organizations` occur in the library's
/// own wording).
fn assert_no_secret(what: &str, message: &str, secrets: &[&str]) {
    for s in secrets {
        let looks_secret = s.len() >= 8
            && s.chars().any(|c| c.is_ascii_digit())
            && s.chars().any(|c| c.is_ascii_alphabetic());
        if looks_secret && message.contains(s) {
            panic!("{what} contains the secret {s:?}: {message}");
        }
    }
}

/// Debug output of a token set shows none of its tokens (except those
/// equal to text of its other, printed fields, such as an `extra` key).
fn check_debug_redacts(t: &oauthkit::TokenSet) {
    let mut public = t.clone();
    public.access_token = "".into();
    public.refresh_token = None;
    public.id_token = None;
    let baseline = format!("{public:?}");
    let secrets: Vec<&str> = [
        Some(&t.access_token),
        t.refresh_token.as_ref(),
        t.id_token.as_ref(),
    ]
    .into_iter()
    .flatten()
    .map(|s| s.expose())
    .filter(|s| !baseline.contains(s))
    .collect();
    assert_no_secret("TokenSet Debug", &format!("{t:?}"), &secrets);
}

/// JSON equality where floats may differ in the last bits (serde_json's
/// default float parsing is not exactly round-trip safe).
fn json_eq(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            if x == y {
                return true;
            }
            match (x.as_f64(), y.as_f64()) {
                (Some(p), Some(q)) => p == q || ((p - q) / p.abs().max(q.abs())).abs() < 1e-12,
                _ => false,
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

/// Splits fuzz input into `n` fields at NUL bytes; missing fields are
/// empty, bytes after the `n`th field are dropped.
fn fields(data: &[u8], n: usize) -> Vec<&[u8]> {
    let mut out: Vec<&[u8]> = data.split(|b| *b == 0).take(n).collect();
    out.resize(n, &[]);
    out
}

/// A unique, per-thread name (the regression test runs targets on several
/// threads at once; each gets its own loopback route and scratch file).
fn thread_tag() -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static TAG: usize = NEXT.fetch_add(1, Ordering::Relaxed);
    }
    TAG.with(|t| format!("t{t}"))
}
