//! The session manager's refresh lock under pauses, on every store with a
//! cross-process lock (JSON file and SQLite, plain and encrypted; Redis;
//! Redis Cluster; memcached), against a token endpoint that rotates refresh
//! tokens and revokes the grant when a spent one comes back
//! (`tests/support/src/rotating_idp.rs`).
//!
//! Process A refreshes in this process and is paused at one point; during
//! the pause its lock is taken from it the way a lease runs out (the lock
//! entry or lock file removed, as expiry removes it) and process B, a child
//! process of this binary, refreshes the same key. Then A goes on. Each
//! scenario checks what the provider saw and what the store holds: the
//! grant survives, or, where the provider already rotated, nothing stale is
//! written or deleted and A's error says the lock was lost.
//!
//! This binary is its own child: `child SPEC TOKEN_URL KEY` plays B and
//! prints `RESULT OK <access token>` or `RESULT ERR <kind> <message>`.

#[macro_use]
extern crate oauthkit_test_support as support;

// The Redis failover scenarios, the one module of tests/session_fencing/.
#[cfg(feature = "redis")]
mod session_fencing {
    pub mod failover;
}
#[cfg(feature = "redis")]
use session_fencing::failover;
#[cfg(not(feature = "redis"))]
mod failover {
    pub fn run() -> (usize, usize) {
        (0, 0)
    }
}

use oauthkit::provider::{CodeExchange, TokenRefresh};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use oauthkit::provider::{OAuth2Config, Provider};
use oauthkit::provider::{OAuthProvider, OidcConfig};
use oauthkit::session::SessionManager;
use oauthkit::unversioned::store::KeyLock;
use oauthkit::{store, Error, ErrorKind, TokenSet, TokenStore};
use support::node_idp::NodeIdp;
use support::rotating_idp::RotatingIdp;

const KEY: &str = "alice";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("child") {
        child(&args[1..]);
        return;
    }
    if args.first().map(String::as_str) == Some("failover") {
        let (passed, failed) = failover::run();
        println!("session_fencing failover: {passed} passed, {failed} failed");
        std::process::exit(i32::from(failed > 0));
    }
    let dir = tempfile::tempdir().unwrap();
    #[cfg_attr(not(any(feature = "redis", feature = "memcache")), allow(unused_mut))]
    let mut targets: Vec<Target> = support::specs::local_store_specs(dir.path())
        .into_iter()
        .map(|(name, spec)| Target {
            name,
            spec,
            steal: Steal::LockFiles,
            lease: None,
        })
        .collect();
    #[cfg(feature = "redis")]
    let redis = support::servers::RedisServer::start();
    #[cfg(feature = "redis")]
    targets.push(Target {
        name: "redis",
        spec: format!("{}?lock_lease_ms=600&prefix=fx", redis.url()),
        steal: Steal::Redis(vec![redis.port]),
        lease: Some(Duration::from_millis(600)),
    });
    #[cfg(feature = "redis")]
    let cluster = support::servers::RedisCluster::start();
    #[cfg(feature = "redis")]
    targets.push(Target {
        name: "redis cluster",
        spec: format!("{}?lock_lease_ms=600&prefix=fx", cluster.spec()),
        steal: Steal::Redis(cluster.nodes.iter().map(|n| n.port).collect()),
        lease: Some(Duration::from_millis(600)),
    });
    #[cfg(feature = "memcache")]
    let memcached = support::servers::Memcached::start();
    #[cfg(feature = "memcache")]
    // memcached counts expiry in whole seconds (a lease of n s lives n to
    // n + 1 s), so its lease is 2 s: a heartbeat (every lease / 3) that a
    // loaded 2-core CI machine delays by over a second, which once let a
    // 1 s lease lapse in the middle of `slow_refresh_keeps_the_lock`, still
    // renews in time.
    targets.push(Target {
        name: "memcache",
        spec: format!("{}?lock_lease_ms=2000&prefix=fx", memcached.url()),
        steal: Steal::Memcache(memcached.port),
        lease: Some(Duration::from_secs(2)),
    });
    let mut passed = 0;
    let mut failed = 0;
    for t in &targets {
        let mut scenarios: Vec<Scenario> = vec![
            (
                "lock lost after the re-read, before the refresh token is spent: re-reads, uses B's tokens, grant survives",
                lost_before_spending,
            ),
            (
                "request delayed on its way, B refreshed first: the provider revokes, A deletes nothing of B's",
                request_delayed_past_the_lease,
            ),
            (
                "paused after the provider rotated, before the answer: B's reuse revokes, A writes nothing over B's deletion",
                paused_after_the_provider_rotated,
            ),
            (
                "paused before the write: B's reuse revokes, A writes nothing over B's deletion",
                paused_before_the_write,
            ),
            (
                "lease ran out before the write and nobody took the key: A takes it again and saves, grant survives",
                lease_ran_out_nobody_else,
            ),
        ];
        scenarios.push((
            "oidc-provider: lock lost before the refresh token is spent: A uses B's tokens, the grant still refreshes",
            panva_lost_before_spending,
        ));
        scenarios.push((
            "oidc-provider: paused before the write: its reuse detection revokes, A writes nothing over B's deletion",
            panva_paused_before_the_write,
        ));
        if t.lease.is_some() {
            scenarios.push((
                "a refresh slower than the lease keeps the lock (heartbeat): B waits and uses A's tokens",
                slow_refresh_keeps_the_lock,
            ));
        }
        for (i, (what, run)) in scenarios.into_iter().enumerate() {
            let spec = t.fresh_spec(i);
            match std::panic::catch_unwind(|| run(t, &spec)) {
                Ok(()) => {
                    println!("test {}: {what} ... ok", t.name);
                    passed += 1;
                }
                Err(_) => {
                    println!("test {}: {what} ... FAILED", t.name);
                    failed += 1;
                }
            }
        }
    }
    #[cfg(feature = "redis")]
    {
        drop((redis, cluster));
        let (p, f) = failover::run();
        passed += p;
        failed += f;
    }
    println!("session_fencing: {passed} passed, {failed} failed");
    if failed > 0 {
        std::process::exit(1);
    }
}

type Scenario = (&'static str, fn(&Target, &str));

/// How a lease running out is played: what is removed.
#[derive(Clone)]
#[cfg_attr(not(all(feature = "redis", feature = "memcache")), allow(dead_code))]
enum Steal {
    /// `{file}.locks/*.lock` of the store file in the spec.
    LockFiles,
    /// Every `*oauth:locks:*` key on these Redis ports.
    Redis(Vec<u16>),
    /// The lock entry of [`KEY`] on this memcached port.
    Memcache(u16),
}

struct Target {
    name: &'static str,
    spec: String,
    steal: Steal,
    lease: Option<Duration>,
}

impl Target {
    /// A fresh file, database or prefix for scenario `i`.
    fn fresh_spec(&self, i: usize) -> String {
        let (head, settings) = match self.spec.split_once('?') {
            Some((h, s)) => (h.to_owned(), Some(s.to_owned())),
            None => (self.spec.clone(), None),
        };
        if matches!(self.steal, Steal::LockFiles) {
            match settings {
                Some(s) => format!("{head}.{i}?{s}"),
                None => format!("{head}.{i}"),
            }
        } else {
            format!("{head}?{}{i}", settings.unwrap_or_default())
        }
    }
}

/// Removes A's lock the way a lease running out does.
fn steal(how: &Steal, spec: &str) {
    match how {
        Steal::LockFiles => {
            let path = spec.split_once(':').unwrap().1.split('?').next().unwrap();
            let locks = PathBuf::from(format!("{path}.locks"));
            let mut removed = 0;
            for entry in std::fs::read_dir(&locks).unwrap() {
                std::fs::remove_file(entry.unwrap().path()).unwrap();
                removed += 1;
            }
            assert_eq!(removed, 1, "one held key lock file in {}", locks.display());
        }
        Steal::Redis(ports) => {
            let mut removed = 0;
            for port in ports {
                let keys =
                    support::servers::redis_cli(*port, &["--scan", "--pattern", "*oauth:locks:*"]);
                for k in keys.lines().filter(|k| !k.is_empty()) {
                    support::servers::redis_cli(*port, &["DEL", k]);
                    removed += 1;
                }
            }
            assert_eq!(removed, 1, "one held Redis lock");
        }
        Steal::Memcache(port) => {
            let prefix = spec.rsplit("prefix=").next().unwrap();
            let reply =
                memcached_command(*port, &format!("delete {prefix}_lock_DEFAULT_{KEY}\r\n"));
            assert_eq!(reply.trim(), "DELETED", "one held memcached lock");
        }
    }
}

fn memcached_command(port: u16, command: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    s.write_all(command.as_bytes()).unwrap();
    let mut buf = [0u8; 512];
    let n = s.read(&mut buf).unwrap();
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

fn provider(token_url: &str) -> Arc<dyn Provider> {
    Arc::new(
        OAuthProvider::oauth2(OAuth2Config::new(
            "rotating",
            "client",
            "http://127.0.0.1:9/authorize",
            token_url,
        ))
        .unwrap(),
    )
}

/// Stores a fresh grant's tokens under [`KEY`], already due for refresh.
fn seed(store: &dyn TokenStore, idp: &RotatingIdp) -> (String, String) {
    let (at, rt) = idp.grant();
    let t = TokenSet::bearer(at.clone())
        .with_refresh_token(rt.clone())
        .with_expires_at(oauthkit::unversioned::now_unix() - 10);
    store.save(KEY, &t).unwrap();
    (at, rt)
}

/// What process B ended with.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Token(String),
    Failed(String),
}

/// Process B, refreshing through `provider_arg` (a token URL of the
/// rotating endpoint, or `oidc:{issuer}|{client_id}`).
fn spawn_b(spec: &str, provider_arg: &str) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["child", spec, provider_arg, KEY])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

fn wait_b(child: Child) -> Outcome {
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "process B failed: {:?}", out.status);
    let text = String::from_utf8(out.stdout).unwrap();
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .unwrap_or_else(|| panic!("no RESULT line from B: {text}"));
    match line.strip_prefix("OK ") {
        Some(at) => Outcome::Token(at.to_owned()),
        None => Outcome::Failed(line.to_owned()),
    }
}

/// Process B: one `access_token` through its own store handle and manager.
fn child(args: &[String]) {
    let [spec, provider_arg, key] = args else {
        panic!("usage: child SPEC TOKEN_URL|oidc:ISSUER|CLIENT_ID KEY");
    };
    let store: Arc<dyn TokenStore> = store::open(spec).unwrap();
    let provider = match provider_arg.strip_prefix("oidc:") {
        Some(rest) => {
            let (issuer, client_id) = rest.split_once('|').unwrap();
            panva_client(issuer, client_id)
        }
        None => provider(provider_arg),
    };
    let sessions = SessionManager::new(provider, store);
    match sessions.access_token(key) {
        Ok(at) => println!("RESULT OK {}", at.expose()),
        Err(e) => println!("RESULT ERR {:?} {}", e.kind(), e.report()),
    }
}

type Hook = Box<dyn FnOnce() + Send>;

/// A's store: forwards everything, and pauses (runs a hook) after its n-th
/// load or before its first fenced save.
struct Paused {
    inner: Arc<dyn TokenStore>,
    loads: AtomicUsize,
    after_load: usize,
    on_load: Mutex<Option<Hook>>,
    on_save_locked: Mutex<Option<Hook>>,
}

impl Paused {
    fn new(inner: Arc<dyn TokenStore>) -> Self {
        Paused {
            inner,
            loads: AtomicUsize::new(0),
            after_load: 0,
            on_load: Mutex::new(None),
            on_save_locked: Mutex::new(None),
        }
    }

    fn after_load(mut self, n: usize, hook: impl FnOnce() + Send + 'static) -> Self {
        self.after_load = n;
        self.on_load = Mutex::new(Some(Box::new(hook)));
        self
    }

    fn before_save_locked(self, hook: impl FnOnce() + Send + 'static) -> Self {
        *self.on_save_locked.lock().unwrap() = Some(Box::new(hook));
        self
    }
}

impl TokenStore for Paused {
    forward_to_inner!(
        save,
        delete,
        list_keys,
        namespace,
        namespaces,
        backend,
        lock_key,
        delete_locked
    );
    fn load(&self, key: &str) -> oauthkit::Result<Option<TokenSet>> {
        let got = self.inner.load(key);
        if self.loads.fetch_add(1, Ordering::SeqCst) + 1 == self.after_load {
            if let Some(hook) = self.on_load.lock().unwrap().take() {
                hook();
            }
        }
        got
    }
    fn save_locked(&self, key: &str, tokens: &TokenSet, lock: &KeyLock) -> oauthkit::Result<()> {
        let hook = self.on_save_locked.lock().unwrap().take();
        if let Some(hook) = hook {
            hook();
        }
        self.inner.save_locked(key, tokens, lock)
    }
}

/// A hook that plays "A's lease ran out and B refreshed": steals A's lock,
/// runs B to the end, and leaves B's outcome in the returned slot.
fn lease_out_then_b(
    t: &Target,
    spec: &str,
    provider_arg: &str,
) -> (impl FnOnce() + Send + 'static, Arc<Mutex<Option<Outcome>>>) {
    let slot: Arc<Mutex<Option<Outcome>>> = Arc::default();
    let (how, spec, arg, out) = (
        t.steal.clone(),
        spec.to_owned(),
        provider_arg.to_owned(),
        slot.clone(),
    );
    let hook = move || {
        steal(&how, &spec);
        let b = wait_b(spawn_b(&spec, &arg));
        *out.lock().unwrap() = Some(b);
    };
    (hook, slot)
}

fn assert_lock_lost(err: &Error) {
    assert_eq!(err.kind(), ErrorKind::LockTimeout, "{err}");
    assert!(matches!(err, Error::LockLost { .. }), "{err:?}");
    assert!(err.to_string().contains("was lost"), "{err}");
    assert!(!err.needs_sign_in(), "{err}");
}

fn lost_before_spending(t: &Target, spec: &str) {
    let idp = Arc::new(RotatingIdp::start());
    let store = store::open(spec).unwrap();
    let (at0, _) = seed(&*store, &idp);
    let (hook, b) = lease_out_then_b(t, spec, &idp.token_url);
    // load 1: the check outside the lock; load 2: the re-read under it.
    let paused = Paused::new(store.clone()).after_load(2, hook);
    let a = SessionManager::new(provider(&idp.token_url), Arc::new(paused))
        .access_token(KEY)
        .expect("A uses B's tokens");
    let b = b.lock().unwrap().clone().expect("B ran");
    assert_eq!(b, Outcome::Token(a.expose().to_owned()), "A and B agree");
    assert_ne!(a.expose(), at0);
    assert_eq!(idp.rotations(), 1, "one refresh at the provider");
    assert_eq!(idp.reuses(), 0, "no spent refresh token presented again");
    let stored = store.load(KEY).unwrap().unwrap();
    assert_eq!(stored.access_token.expose(), a.expose());
    assert!(
        idp.is_live(stored.refresh_token.unwrap().expose()),
        "grant survives"
    );
}

fn request_delayed_past_the_lease(t: &Target, spec: &str) {
    let idp = Arc::new(RotatingIdp::start());
    let store = store::open(spec).unwrap();
    seed(&*store, &idp);
    let (hook, b) = lease_out_then_b(t, spec, &idp.token_url);
    idp.before_next_refresh(hook);
    let err = SessionManager::new(provider(&idp.token_url), store.clone())
        .access_token(KEY)
        .expect_err("A presented a spent refresh token");
    assert_lock_lost(&err);
    let Outcome::Token(b_at) = b.lock().unwrap().clone().expect("B ran") else {
        panic!("B refreshed first")
    };
    assert_eq!((idp.rotations(), idp.reuses()), (1, 1));
    // B's tokens stay: A, no longer holding the lock, deleted nothing.
    let stored = store
        .load(KEY)
        .unwrap()
        .expect("B's tokens are still stored");
    assert_eq!(stored.access_token.expose(), b_at);
}

fn paused_after_the_provider_rotated(t: &Target, spec: &str) {
    let idp = Arc::new(RotatingIdp::start());
    let store = store::open(spec).unwrap();
    seed(&*store, &idp);
    let (hook, b) = lease_out_then_b(t, spec, &idp.token_url);
    idp.after_next_rotation(hook);
    let err = SessionManager::new(provider(&idp.token_url), store.clone())
        .access_token(KEY)
        .expect_err("A's lock was lost");
    assert_lock_lost(&err);
    stale_tokens_not_written(&idp, &store, &b);
}

fn paused_before_the_write(t: &Target, spec: &str) {
    let idp = Arc::new(RotatingIdp::start());
    let store = store::open(spec).unwrap();
    seed(&*store, &idp);
    let (hook, b) = lease_out_then_b(t, spec, &idp.token_url);
    let paused = Paused::new(store.clone()).before_save_locked(hook);
    let err = SessionManager::new(provider(&idp.token_url), Arc::new(paused))
        .access_token(KEY)
        .expect_err("A's lock was lost");
    assert_lock_lost(&err);
    stale_tokens_not_written(&idp, &store, &b);
}

/// B presented the refresh token A had already spent: the provider revoked
/// the grant, B deleted the stored tokens, and A wrote nothing after.
fn stale_tokens_not_written(
    idp: &RotatingIdp,
    store: &Arc<dyn TokenStore>,
    b: &Mutex<Option<Outcome>>,
) {
    let b = b.lock().unwrap().clone().expect("B ran");
    assert!(
        matches!(&b, Outcome::Failed(m) if m.starts_with("ERR InvalidGrant")),
        "{b:?}"
    );
    assert_eq!((idp.rotations(), idp.reuses()), (1, 1));
    assert!(
        store.load(KEY).unwrap().is_none(),
        "A's revoked tokens were written over B's deletion"
    );
}

fn lease_ran_out_nobody_else(t: &Target, spec: &str) {
    let idp = Arc::new(RotatingIdp::start());
    let store = store::open(spec).unwrap();
    seed(&*store, &idp);
    let (how, s) = (t.steal.clone(), spec.to_owned());
    let paused = Paused::new(store.clone()).before_save_locked(move || steal(&how, &s));
    let a = SessionManager::new(provider(&idp.token_url), Arc::new(paused))
        .access_token(KEY)
        .expect("A saves under the lock taken again");
    assert_eq!((idp.rotations(), idp.reuses()), (1, 0));
    let stored = store.load(KEY).unwrap().unwrap();
    assert_eq!(stored.access_token.expose(), a.expose());
    assert!(
        idp.is_live(stored.refresh_token.unwrap().expose()),
        "grant survives"
    );
}

fn slow_refresh_keeps_the_lock(t: &Target, spec: &str) {
    let lease = t.lease.unwrap();
    let idp = Arc::new(RotatingIdp::start());
    let store = store::open(spec).unwrap();
    seed(&*store, &idp);
    let b: Arc<Mutex<Option<Child>>> = Arc::default();
    {
        let (spec, idp2, b) = (spec.to_owned(), idp.clone(), b.clone());
        // The provider answers after four leases; B starts meanwhile.
        idp.after_next_rotation(move || {
            *b.lock().unwrap() = Some(spawn_b(&spec, &idp2.token_url));
            std::thread::sleep(lease * 4);
        });
    }
    let a = SessionManager::new(provider(&idp.token_url), store.clone())
        .access_token(KEY)
        .expect("A refreshes");
    let child = b.lock().unwrap().take().expect("B started");
    assert_eq!(wait_b(child), Outcome::Token(a.expose().to_owned()));
    assert_eq!((idp.rotations(), idp.reuses()), (1, 0), "B waited for A");
    let stored = store.load(KEY).unwrap().unwrap();
    assert!(
        idp.is_live(stored.refresh_token.unwrap().expose()),
        "grant survives"
    );
}

/// A public client of panva's oidc-provider (which rotates refresh tokens
/// and, on a spent one presented again, revokes the grant).
fn panva_client(issuer: &str, client_id: &str) -> Arc<dyn Provider> {
    Arc::new(
        OAuthProvider::oidc(OidcConfig::new(issuer, client_id).scopes([
            "openid",
            "email",
            "offline_access",
        ]))
        .unwrap(),
    )
}

/// Signs in at `idp` (its login and consent forms driven over HTTP) and
/// stores the tokens under [`KEY`], due for refresh.
fn panva_sign_in(idp: &NodeIdp, store: &dyn TokenStore) -> Arc<dyn Provider> {
    const REDIRECT_URI: &str = "http://127.0.0.1:4567/callback";
    let provider = panva_client(&idp.issuer, &idp.client_id);
    let (url, _state, nonce, pkce) =
        support::interactions::authorize_url(&*provider, REDIRECT_URI, &[("prompt", "consent")]);
    let code = support::interactions::sign_in(&url, REDIRECT_URI, "fenced")
        .param("code")
        .expect("a code");
    let mut tokens = provider
        .exchange_code(
            &CodeExchange::new(&code, REDIRECT_URI)
                .pkce_verifier(pkce.verifier())
                .nonce(&nonce),
        )
        .unwrap();
    assert!(
        tokens.refresh_token.is_some(),
        "offline_access gave a refresh token"
    );
    tokens.expires_at = Some(oauthkit::unversioned::now_unix() - 10);
    store.save(KEY, &tokens).unwrap();
    provider
}

fn panva_lost_before_spending(t: &Target, spec: &str) {
    let idp = NodeIdp::start();
    let store = store::open(spec).unwrap();
    let provider = panva_sign_in(&idp, &*store);
    let arg = format!("oidc:{}|{}", idp.issuer, idp.client_id);
    let (hook, b) = lease_out_then_b(t, spec, &arg);
    let paused = Paused::new(store.clone()).after_load(2, hook);
    let a = SessionManager::new(provider.clone(), Arc::new(paused))
        .access_token(KEY)
        .expect("A uses B's tokens");
    let b = b.lock().unwrap().clone().expect("B ran");
    assert_eq!(b, Outcome::Token(a.expose().to_owned()), "A and B agree");
    // The grant survived: the stored refresh token still refreshes.
    let stored = store.load(KEY).unwrap().unwrap();
    provider
        .refresh_tokens(&TokenRefresh::of(&stored).unwrap())
        .expect("the grant is alive at oidc-provider");
}

fn panva_paused_before_the_write(t: &Target, spec: &str) {
    let idp = NodeIdp::start();
    let store = store::open(spec).unwrap();
    let provider = panva_sign_in(&idp, &*store);
    let spent = store.load(KEY).unwrap().unwrap();
    let arg = format!("oidc:{}|{}", idp.issuer, idp.client_id);
    let (hook, b) = lease_out_then_b(t, spec, &arg);
    let paused = Paused::new(store.clone()).before_save_locked(hook);
    let err = SessionManager::new(provider.clone(), Arc::new(paused))
        .access_token(KEY)
        .expect_err("A's lock was lost");
    assert_lock_lost(&err);
    let b = b.lock().unwrap().clone().expect("B ran");
    assert!(
        matches!(&b, Outcome::Failed(m) if m.starts_with("ERR InvalidGrant")),
        "oidc-provider saw the spent refresh token again: {b:?}"
    );
    assert!(
        store.load(KEY).unwrap().is_none(),
        "A's revoked tokens were written over B's deletion"
    );
    // What A held is dead at the provider too: the grant was revoked.
    let again = provider
        .refresh_tokens(&TokenRefresh::of(&spent).unwrap())
        .unwrap_err();
    assert_eq!(again.kind(), ErrorKind::InvalidGrant, "{again}");
}
