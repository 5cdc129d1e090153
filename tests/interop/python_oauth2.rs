//! oauthkit's memcache server store and the real python-oauth2 1.1.1
//! memcache store (python-memcached, pickled dicts with flag 1) share one
//! memcached: each reads what the other wrote, and pickles that would run
//! code are refused, never run.
//!
//! Needs the venv made by scripts/setup-python-oauth2.sh and memcached
//! (scripts/setup-servers.sh).
#![cfg(feature = "memcache")]

use crate::support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use oauthkit::server::MemcacheServerStore;
use oauthkit::server::{AccessToken, AccessTokenStore, AuthCodeStore, AuthorizationCode};
use oauthkit::store::MemcacheConfig;
use oauthkit::unversioned::now_unix;
use oauthkit::unversioned::server::ValueFormat;
use oauthkit::ErrorKind;
use serde_json::Value;
use support::servers::Memcached;

fn python() -> PathBuf {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/python-oauth2-venv/bin/python");
    let ok = Command::new(&venv)
        .args(["-c", "import oauth2.store.memcache, memcache"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        ok,
        "python-oauth2 is not installed: run scripts/setup-python-oauth2.sh"
    );
    venv
}

/// Runs `code` with `store` = python-oauth2's memcache `TokenStore` on
/// memcached `m` and `mc` = its python-memcached client; returns what it
/// prints as JSON.
fn run_python(m: &Memcached, code: &str) -> Value {
    let prelude = format!(
        "import json, time\n\
         from oauth2.store.memcache import TokenStore\n\
         from oauth2.datatype import AccessToken, AuthorizationCode\n\
         from oauth2.error import AccessTokenNotFound, AuthCodeNotFound\n\
         store = TokenStore(servers=['127.0.0.1:{}'])\n\
         mc = store.mc\n",
        m.port
    );
    let out = Command::new(python())
        .args(["-c", &format!("{prelude}{code}")])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "python printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn store(m: &Memcached) -> MemcacheServerStore {
    MemcacheServerStore::open(MemcacheConfig::new(format!("127.0.0.1:{}", m.port))).unwrap()
}

/// Stores raw `bytes` with `flags` under `key` (text protocol).
fn raw_set(m: &Memcached, key: &str, flags: u32, bytes: &[u8]) {
    let mut s = TcpStream::connect(("127.0.0.1", m.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut msg = format!("set {key} {flags} 0 {}\r\n", bytes.len()).into_bytes();
    msg.extend_from_slice(bytes);
    msg.extend_from_slice(b"\r\n");
    s.write_all(&msg).unwrap();
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).unwrap();
    assert!(
        buf[..n].starts_with(b"STORED"),
        "memcached: {:?}",
        &buf[..n]
    );
}

/// The flags memcached holds for `key`.
fn raw_flags(m: &Memcached, key: &str) -> Option<u32> {
    let reply = m.raw(&format!("get {key}\r\n"));
    let header = reply.lines().next()?;
    let mut parts = header.split(' ');
    (parts.next() == Some("VALUE")).then_some(())?;
    parts.nth(1)?.parse().ok()
}

#[test]
fn rust_reads_what_python_oauth2_wrote() {
    needs!(Memcached, PythonOauth2);
    let m = Memcached::start();
    let now = now_unix();
    run_python(
        &m,
        &format!(
            "store.save_token(AccessToken('app', 'authorization_code', 'py-at', \
               data={{'k': 'v', 'n': 1}}, expires_at={exp}, refresh_token='py-rt', \
               refresh_expires_at=None, scopes=['read', 'write'], user_id=42))\n\
             store.save_code(AuthorizationCode('app', 'py-code', {code_exp}, \
               'https://app.example/cb', ['read'], data={{'nonce': 'x'}}, user_id='alice'))\n\
             print(json.dumps('ok'))\n",
            exp = now + 3600,
            code_exp = now + 600
        ),
    );
    assert_eq!(
        raw_flags(&m, "oauth2_py-at"),
        Some(1),
        "python-memcached pickles"
    );
    let s = store(&m);

    let by_rt = s.fetch_by_refresh_token("py-rt").unwrap();
    assert_eq!(by_rt.token.expose(), "py-at");
    assert_eq!(by_rt.user_id.as_deref(), Some("42"));
    assert_eq!(by_rt.scopes, ["read", "write"]);
    assert_eq!(by_rt.data["k"], "v");
    assert_eq!(by_rt.expires_at, Some(now + 3600));
    assert_eq!(
        s.fetch_existing_token_of_user(
            "app",
            "authorization_code",
            Some("42"),
            &["write".into(), "read".into()]
        )
        .unwrap()
        .token
        .expose(),
        "py-at"
    );
    assert_eq!(
        s.fetch_by_token("py-at")
            .unwrap()
            .refresh_token
            .unwrap()
            .expose(),
        "py-rt"
    );

    let code = s.take_code("py-code").unwrap();
    assert_eq!(code.user_id.as_deref(), Some("alice"));
    assert_eq!(code.redirect_uri, "https://app.example/cb");
    assert_eq!(code.data["nonce"], "x");
    assert_eq!(
        s.take_code("py-code").unwrap_err().kind(),
        ErrorKind::NotFound
    );

    // Rust deletes the refresh token; python-oauth2 no longer finds the
    // access token either.
    assert!(s.delete_refresh_token("py-rt").unwrap());
    let gone = run_python(
        &m,
        "print(json.dumps(mc.get('oauth2_py-at') is None and mc.get('oauth2_py-rt') is None))",
    );
    assert_eq!(gone, true);
}

/// python-memcached pickles with protocol 0 unless told otherwise; a
/// deployment may set `pickleProtocol` up to 5 (frames, memo opcodes,
/// short strings, bytes and sets as opcodes): every protocol is read.
/// Before protocol 3 (bytes) and 4 (sets) Python pickles those through
/// `GLOBAL` + `REDUCE` (a call), which is refused like any other call.
#[test]
fn rust_reads_python_memcached_pickles_of_every_protocol() {
    needs!(Memcached, PythonOauth2);
    let m = Memcached::start();
    let now = now_unix();
    run_python(
        &m,
        &format!(
            "import memcache, pickle\n\
             for p in range(0, pickle.HIGHEST_PROTOCOL + 1):\n\
             \x20   data = {{'tuple': (1, 'x'), 'f': 1.5, 'big': 2**63, 'none': None, 'yes': True}}\n\
             \x20   if p >= 3: data['b'] = b'raw'\n\
             \x20   if p >= 4: data['set'] = {{'a'}}\n\
             \x20   s = TokenStore(mc=memcache.Client(['127.0.0.1:{port}'], pickleProtocol=p))\n\
             \x20   s.save_token(AccessToken('app', 'password', 'p%d-at' % p, data=data, \
                 expires_at={exp}, refresh_token='p%d-rt' % p, scopes=['s', 's2'], user_id='ü-%d' % p))\n\
             old = TokenStore(mc=memcache.Client(['127.0.0.1:{port}'], pickleProtocol=2))\n\
             old.save_token(AccessToken('app', 'password', 'set-at', data={{'set': {{'a'}}}}))\n\
             print(json.dumps(pickle.HIGHEST_PROTOCOL))\n",
            port = m.port,
            exp = now + 3600
        ),
    );
    let s = store(&m);
    for p in 0..=5 {
        let t = s
            .fetch_by_refresh_token(&format!("p{p}-rt"))
            .unwrap_or_else(|e| panic!("protocol {p}: {e}"));
        assert_eq!(t.token.expose(), format!("p{p}-at"), "protocol {p}");
        assert_eq!(t.user_id.as_deref(), Some(format!("ü-{p}").as_str()));
        assert_eq!(t.scopes, ["s", "s2"], "protocol {p}");
        assert_eq!(t.data["tuple"], serde_json::json!([1, "x"]), "protocol {p}");
        assert_eq!(t.data["f"], 1.5, "protocol {p}");
        assert_eq!(t.data["big"], 9_223_372_036_854_775_808u64, "protocol {p}");
        assert!(t.data["none"].is_null(), "protocol {p}");
        assert_eq!(t.data["yes"], true, "protocol {p}");
        if p >= 3 {
            assert_eq!(t.data["b"], "raw", "protocol {p}");
        }
        if p >= 4 {
            assert_eq!(t.data["set"], serde_json::json!(["a"]), "protocol {p}");
        }
    }
    let err = s.fetch_by_token("set-at").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Corrupt, "{err}");
    assert!(err.to_string().contains("GLOBAL"), "{err}");
}

#[test]
fn python_oauth2_reads_what_rust_wrote() {
    needs!(Memcached, PythonOauth2);
    let m = Memcached::start();
    let now = now_unix();
    let s = store(&m).python_oauth2_aliases(true);
    s.save_token(
        &AccessToken::new("app", "authorization_code", "rs-at")
            .expires_at(now + 3600)
            .refresh_token("rs-rt", Some(now + 86_400))
            .scopes(["read", "write"])
            .user_id("alice"),
    )
    .unwrap();
    s.save_code(
        &AuthorizationCode::new("app", "rs-code", now + 600, "https://app.example/cb")
            .user_id("alice"),
    )
    .unwrap();
    assert_eq!(raw_flags(&m, "oauth2_rs-at"), Some(1));

    let read = run_python(
        &m,
        "at = AccessToken(**mc.get('oauth2_rs-at'))\n\
         by_rt = store.fetch_by_refresh_token('rs-rt')\n\
         latest = store.fetch_existing_token_of_user('app', 'authorization_code', 'alice')\n\
         code = store.fetch_by_code('rs-code')\n\
         print(json.dumps({'token': at.token, 'rt': at.refresh_token, 'scopes': at.scopes, \
           'expired': at.is_expired(), 'user': at.user_id, 'by_rt': by_rt.token, \
           'latest': latest.token, 'latest_scopes': latest.scopes, \
           'code_user': code.user_id, 'code_redirect': code.redirect_uri, \
           'code_expired': code.is_expired()}))\n",
    );
    assert_eq!(read["token"], "rs-at");
    assert_eq!(read["rt"], "rs-rt");
    assert_eq!(read["scopes"], serde_json::json!(["read", "write"]));
    assert_eq!(read["expired"], false);
    assert_eq!(read["user"], "alice");
    assert_eq!(read["by_rt"], "rs-at");
    assert_eq!(read["latest"], "rs-at");
    assert_eq!(read["code_user"], "alice");
    assert_eq!(read["code_redirect"], "https://app.example/cb");
    assert_eq!(read["code_expired"], false);

    // python-oauth2 spends the refresh token and the code; Rust agrees.
    run_python(
        &m,
        "store.delete_refresh_token('rs-rt')\nstore.delete_code('rs-code')\nprint(1)",
    );
    assert_eq!(
        s.fetch_by_refresh_token("rs-rt").unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        s.fetch_by_code("rs-code").unwrap_err().kind(),
        ErrorKind::NotFound
    );

    // Rust deleting a refresh token also removes the unprefixed aliases,
    // so python-oauth2 cannot find it any more.
    s.save_token(
        &AccessToken::new("app", "authorization_code", "rs-at2")
            .refresh_token("rs-rt2", None)
            .user_id("bob"),
    )
    .unwrap();
    assert!(s.delete_refresh_token("rs-rt2").unwrap());
    let after = run_python(
        &m,
        "out = []\n\
         for f in (lambda: store.fetch_by_refresh_token('rs-rt2'), \
                   lambda: store.fetch_existing_token_of_user('app', 'authorization_code', 'bob')):\n\
         \x20   try:\n\
         \x20       f(); out.append('found')\n\
         \x20   except AccessTokenNotFound:\n\
         \x20       out.append('not found')\n\
         print(json.dumps(out))\n",
    );
    assert_eq!(after, serde_json::json!(["not found", "not found"]));
}

#[test]
fn without_aliases_python_oauth2_misses_what_it_looks_up_unprefixed() {
    needs!(Memcached, PythonOauth2);
    // python-oauth2 1.1.1 looks refresh tokens and users' latest tokens up
    // without its prefix; without aliases only the prefixed entries exist
    // (python-oauth2 misses its own entries the same way).
    let m = Memcached::start();
    let s = store(&m);
    s.save_token(
        &AccessToken::new("app", "authorization_code", "at")
            .refresh_token("rt", None)
            .user_id("u"),
    )
    .unwrap();
    let r = run_python(
        &m,
        "try:\n\
         \x20   store.fetch_by_refresh_token('rt'); print(json.dumps('found'))\n\
         except AccessTokenNotFound:\n\
         \x20   print(json.dumps(AccessToken(**mc.get('oauth2_rt')).token))\n",
    );
    assert_eq!(r, "at");
    assert!(m.raw("get rt\r\n").starts_with("END"));
}

#[test]
fn json_format_stays_readable_and_selectable() {
    needs!(Memcached);
    let m = Memcached::start();
    let json = store(&m).format(ValueFormat::Json);
    json.save_token(&AccessToken::new("app", "client_credentials", "j1"))
        .unwrap();
    assert_eq!(raw_flags(&m, "oauth2_j1"), Some(0));
    // The default (pickle) store reads JSON records too.
    let pickle = store(&m);
    assert_eq!(pickle.fetch_by_token("j1").unwrap().client_id, "app");
}

/// Hostile: a pickle that would run `os.system` when unpickled (written
/// the way an attacker with write access to memcached would, through
/// python-memcached) is refused as corrupt data and nothing runs.
#[test]
fn a_pickle_that_would_run_code_is_refused_and_never_run() {
    needs!(Memcached, PythonOauth2);
    let m = Memcached::start();
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    run_python(
        &m,
        &format!(
            "import os\n\
             class Evil:\n\
             \x20   def __reduce__(self):\n\
             \x20       return (os.system, ('touch {}',))\n\
             mc.set('oauth2_evil-code', Evil())\n\
             mc.set('oauth2_evil-at', {{'client_id': 'app', 'grant_type': 'g', 'token': 'evil-at', 'data': Evil()}})\n\
             print(json.dumps(1))\n",
            marker.display()
        ),
    );
    assert_eq!(raw_flags(&m, "oauth2_evil-code"), Some(1));
    let s = store(&m);
    let err = s.fetch_by_code("evil-code").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Corrupt, "{err}");
    let text = err.to_string();
    assert!(
        text.contains("GLOBAL") || text.contains("STACK_GLOBAL"),
        "{text}"
    );
    assert!(text.contains("authorization code"), "{text}");
    let err = s.fetch_by_token("evil-at").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Corrupt, "{err}");
    assert!(!err.to_string().contains("evil-at"), "{err}");
    // A refused entry is left as it is, not deleted or overwritten.
    assert!(raw_flags(&m, "oauth2_evil-code").is_some());
    assert_eq!(
        s.take_code("evil-code").unwrap_err().kind(),
        ErrorKind::Corrupt
    );
    assert!(raw_flags(&m, "oauth2_evil-code").is_some());
    assert!(!marker.exists(), "the pickle's code ran");
}

/// Hostile, the whole class: every instruction that imports or calls
/// code, memo "billion laughs", self-reference, deep nesting, huge
/// integers, truncation, compressed values: each a typed Corrupt error,
/// with the stored value untouched.
#[test]
fn hostile_and_malformed_pickles_are_typed_errors() {
    needs!(Memcached);
    let m = Memcached::start();
    let s = store(&m);
    let mut bomb = b"\x80\x02]q\x00".to_vec();
    for i in 0..40u8 {
        bomb.extend_from_slice(&[b'(', b'h', i, b'h', i, b'l', b'q', i + 1]);
    }
    bomb.push(b'.');
    let mut deep = b"\x80\x02".to_vec();
    deep.extend(std::iter::repeat_n(b']', 200_000));
    deep.extend(std::iter::repeat_n(b'a', 199_999));
    deep.push(b'.');
    let cases: Vec<(&str, Vec<u8>, u32)> = vec![
        ("global", b"cos\nsystem\n(S'true'\ntR.".to_vec(), 1),
        (
            "stack_global",
            b"\x80\x04\x8c\x02os\x8c\x06system\x93\x8c\x04true\x85R.".to_vec(),
            1,
        ),
        ("inst", b"(S'true'\nios\nsystem\n.".to_vec(), 1),
        ("obj", b"(cos\nsystem\nS'true'\no.".to_vec(), 1),
        ("newobj", b"\x80\x02cbuiltins\nobject\n)\x81.".to_vec(), 1),
        ("build", b"\x80\x02}}b.".to_vec(), 1),
        ("ext", b"\x80\x02\x82\x01).".to_vec(), 1),
        ("persid", b"Pfile\n.".to_vec(), 1),
        ("binpersid", b"\x80\x02K\x01Q.".to_vec(), 1),
        ("buffer", b"\x80\x05\x97.".to_vec(), 1),
        ("bomb", bomb, 1),
        ("cycle", b"\x80\x02]q\x00h\x00a.".to_vec(), 1),
        ("deep", deep, 1),
        (
            "bigint",
            format!("I{}\n.", "9".repeat(100_000)).into_bytes(),
            1,
        ),
        ("truncated", b"(dp0\nVclient_id\np1\n".to_vec(), 1),
        ("no-stop", b"\x80\x02}".to_vec(), 1),
        ("unknown-op", b"\x80\x02\xfe.".to_vec(), 1),
        (
            "huge-length",
            b"\x80\x02\x8d\xff\xff\xff\xff\xff\xff\xff\x7f".to_vec(),
            1,
        ),
        (
            "compressed",
            b"x\x9c\x03\x00\x00\x00\x00\x01".to_vec(),
            1 | 8,
        ),
        ("not-utf8", b"\xff\xfe{}".to_vec(), 0),
    ];
    for (name, bytes, flags) in &cases {
        let key = format!("oauth2_{name}");
        raw_set(&m, &key, *flags, bytes);
        let err = s.fetch_by_code(name).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Corrupt, "{name}: {err}");
        assert_eq!(raw_flags(&m, &key), Some(*flags), "{name} must stay");
    }
}
