//! What stores read back: TokenSet JSON, globus-sdk token files, and the
//! store specs of `store::open`.

use std::path::PathBuf;
use std::sync::OnceLock;

use serde_json::Value;

use super::{assert_no_secret, check_debug_redacts, json_eq, thread_tag};
use oauthkit::__fuzz::{from_record, to_record};
use oauthkit::store::{self, JsonFileStore};
use oauthkit::{TokenSet, TokenStore};

/// Whether two token sets are equal, floats in `extra` up to rounding.
fn same(a: &TokenSet, b: &TokenSet) -> bool {
    let strip = |t: &TokenSet| {
        let mut t = t.clone();
        t.extra = Default::default();
        t
    };
    strip(a) == strip(b)
        && json_eq(
            &Value::Object(a.extra.clone()),
            &Value::Object(b.extra.clone()),
        )
}

/// `TokenSet::from_json`; what parses must survive `to_json` →
/// `from_json` unchanged.
pub fn token_set_json(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(t) = TokenSet::from_json(text) else {
        return;
    };
    let json = t.to_json();
    let back = TokenSet::from_json(&json)
        .unwrap_or_else(|e| panic!("to_json wrote what from_json refuses ({e}): {json}"));
    assert!(same(&t, &back), "round trip changed {t:?} into {back:?}");
    assert_eq!(
        back.to_json().len(),
        json.len(),
        "serialisation is not stable"
    );
    check_debug_redacts(&t);
}

/// A private scratch directory for this process.
fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("oauthkit-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        dir
    })
}

/// The fuzz input as a globus-sdk token file read by `JsonFileStore`
/// (format 1.0 or 2.0): every record it loads must survive the globus
/// record → JSON text → record round trip, and errors quote no token.
pub fn globus_file(data: &[u8]) {
    let dir = scratch().join(thread_tag()).join("globus");
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let path = dir.join("tokens.json");
    std::fs::write(&path, data).expect("writing the scratch file");
    check_token_file(&path, data);
    let _ = std::fs::remove_dir_all(&dir);
}

fn check_token_file(path: &std::path::Path, data: &[u8]) {
    let doc: Value = serde_json::from_slice(data).unwrap_or_default();
    let tokens = doc_tokens(&doc);
    let secrets: Vec<&str> = tokens.iter().map(String::as_str).collect();
    let file = JsonFileStore::open(path).expect("opening a scratch file");
    let namespaces = match file.namespaces() {
        Ok(n) => n,
        Err(e) => {
            assert_no_secret("token file error", &e.to_string(), &secrets);
            return;
        }
    };
    for ns in namespaces.iter().take(8) {
        let store = file.in_namespace(ns);
        match store.load_all() {
            Ok(all) => {
                for (key, t) in all {
                    let record = to_record(&key, &t);
                    let text = serde_json::to_string(&record).expect("records serialise");
                    let parsed: Value = serde_json::from_str(&text).expect("written JSON parses");
                    let back = from_record(&key, &parsed).unwrap_or_else(|e| {
                        panic!("to_record wrote what from_record refuses: {e}")
                    });
                    assert!(same(&t, &back), "round trip changed {t:?} into {back:?}");
                    check_debug_redacts(&t);
                }
            }
            Err(e) => assert_no_secret("token file error", &e.to_string(), &secrets),
        }
        if let Ok(keys) = store.list_keys() {
            for key in keys.iter().take(4) {
                if let Err(e) = store.load(key) {
                    assert_no_secret("token file error", &e.to_string(), &secrets);
                }
            }
        }
    }
}

/// Token strings anywhere in a token file document (those that cannot be
/// confused with its object keys, which errors may name).
fn doc_tokens(doc: &Value) -> Vec<String> {
    fn walk(v: &Value, keys: &mut Vec<String>, tokens: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    keys.push(k.clone());
                    if let ("access_token" | "refresh_token" | "id_token", Value::String(s)) =
                        (k.as_str(), v)
                    {
                        tokens.push(s.clone());
                    }
                    walk(v, keys, tokens);
                }
            }
            Value::Array(a) => a.iter().for_each(|v| walk(v, keys, tokens)),
            _ => {}
        }
    }
    let (mut keys, mut tokens) = (Vec::new(), Vec::new());
    walk(doc, &mut keys, &mut tokens);
    tokens.retain(|t| keys.iter().all(|k| !k.contains(t.as_str())));
    tokens
}

/// `spec` with any file path moved into this thread's scratch directory,
/// or `None` when it names a path that could leave it (`..`) or a keyring
/// key source. Fuzzing must not create files or keyring entries anywhere
/// else.
pub(crate) fn sandboxed_spec(spec: &str) -> Option<String> {
    // A keyring key source would create an entry in the user's OS keyring.
    if spec.contains("keyring") && spec.contains("encrypt") {
        return None;
    }
    let Some((scheme, rest)) = spec.split_once(':') else {
        return Some(spec.to_owned());
    };
    if !matches!(scheme, "file" | "sqlite") {
        return Some(spec.to_owned());
    }
    let (slashes, path) = match rest.strip_prefix("//") {
        Some(p) => ("//", p),
        None => ("", rest),
    };
    // Only a spec with nothing after the scheme stays as it is: anything
    // else may name a path (`file:&x` is the relative path `&x`).
    if path.is_empty() {
        return Some(spec.to_owned());
    }
    if path.contains("..") {
        return None;
    }
    let dir = scratch().join(thread_tag()).join("specs");
    Some(format!("{scheme}:{slashes}{}/{path}", dir.display()))
}

/// Removes what `store::open` created in the scratch directory.
pub(crate) fn clean_specs_dir() {
    let dir = scratch().join(thread_tag()).join("specs");
    if dir.exists() {
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// `store::open` on a spec: parses or refuses with a typed error; a
/// password in a Redis URL never appears in the error.
pub fn store_spec(data: &[u8]) {
    let spec = String::from_utf8_lossy(data);
    let Some(sandboxed) = sandboxed_spec(&spec) else {
        return;
    };
    // Redis URLs carry passwords, which the library redacts from errors.
    // A password that also appears elsewhere in the URL (the host, the
    // path) cannot be told apart from that other, printable part: only a
    // password unique to the user-info is checked. The URL parser reports
    // it percent-encoded, so the comparison is on the parsed URL with the
    // password taken out.
    let password = url::Url::parse(&sandboxed)
        .ok()
        .filter(|u| u.scheme().starts_with("redis"))
        .and_then(|u| {
            let p = u.password()?.to_owned();
            let mut rest = u.clone();
            rest.set_password(None).ok()?;
            (!rest.as_str().contains(p.as_str()) && !sandboxed.replacen(&p, "", 1).contains(&p))
                .then_some(p)
        })
        .unwrap_or_default();
    match store::open(&sandboxed) {
        Ok(s) => {
            let _ = s.backend();
            assert!(!s.namespace().is_empty(), "{sandboxed:?}: empty namespace");
        }
        Err(e) => {
            assert_no_secret("store spec error", &e.to_string(), &[password.as_str()]);
        }
    }
    clean_specs_dir();
}
