//! Deploy mode under load (issue 26 §4): three deploy-mode instances, each
//! a process of its own (this binary run as `instance ...`, see
//! `tests/support/src/deploy_instance.rs`), one cookie key, sharing one Redis,
//! against the dev provider (auto-approving, rotating refresh tokens).
//!
//! - N concurrent sign-ins, each started on instance `k % 3` and finished
//!   (the callback) on instance `(k + 1) % 3`, the client alternating
//!   instances as a round-robin proxy would; then `/auth/status` of each
//!   session on the third instance. Two rounds of N: wall time, latency
//!   percentiles, Redis commands per sign-in (`INFO commandstats` delta of
//!   round 1), and each instance's RSS (`/proc/PID/status`) before, after
//!   round 1 and after round 2 (flat: nothing kept per finished sign-in).
//! - `access_token` of one signed-in user whose tokens are due for
//!   refresh, from all three instances at once (two threads each): calls
//!   per second and how many refreshes reached the provider (one).
//! - Reference, same run: `redis-benchmark` GET with as many clients
//!   (one `access_token` is one GET).
//!
//! `cargo bench --bench deploy_load --all-features` (N = 200;
//! `OAUTHKIT_LOAD_N` to change it). Under `cargo test --all-features` (the
//! bench target has `test = true`; CI) it runs a small N in debug and only
//! checks the outcome: every sign-in and status succeeds, one refresh,
//! memory does not grow by tens of MiB between the rounds.
//!
//! The dev provider signs in one user, so every sign-in stores that user's
//! tokens (the sessions are distinct).

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use oauthkit::unversioned::dev_provider::{
    DevProvider, DevProviderOptions, HeadlessBrowser, PageResponse,
};
use oauthkit::TokenStore;

extern crate oauthkit_test_support as support;

use support::deploy_instance::{self, Instance, Pause};
use support::servers;

const PUBLIC: &str = "http://127.0.0.1:9";
const INSTANCES: usize = 3;
const THREADS_PER_INSTANCE: u64 = 2;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("instance") {
        deploy_instance::serve(&args[1..]);
        return;
    }
    let benching = args.iter().any(|a| a == "--bench");
    let n: usize = std::env::var("OAUTHKIT_LOAD_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if benching { 200 } else { 12 });
    let calls: u64 = if benching { 100_000 } else { 1_000 };

    let idp = DevProvider::start(
        DevProviderOptions::default()
            .auto_approve(true)
            .rotate_refresh_tokens(true),
    )
    .expect("dev provider");
    let redis = servers::RedisServer::start();
    let exe = std::env::current_exe().unwrap();
    let key: [u8; 32] = std::array::from_fn(|i| (i as u8).wrapping_mul(29) ^ 0xa5);
    let mut instances: Vec<Instance> = (0..INSTANCES)
        .map(|_| {
            Instance::spawn(
                &exe,
                &redis.url(),
                idp.issuer(),
                idp.client_id(),
                PUBLIC,
                &key,
                Pause::Never,
            )
        })
        .collect();
    let bases: Vec<String> = instances.iter().map(|i| i.base.clone()).collect();
    // Warm-up: one sign-in through each instance.
    for i in 0..INSTANCES {
        sign_in(&bases, i).unwrap();
    }
    let rss_before: Vec<u64> = instances.iter().map(Instance::rss_kib).collect();
    redis.cli(&["CONFIG", "RESETSTAT"]);
    let round1 = round(&bases, n);
    let commands = commandstats(&redis);
    let rss_1: Vec<u64> = instances.iter().map(Instance::rss_kib).collect();
    let round2 = round(&bases, n);
    let rss_2: Vec<u64> = instances.iter().map(Instance::rss_kib).collect();

    // access_token from every instance at once, tokens due for refresh.
    let user = idp.user().sub.clone();
    let store = oauthkit::store::open(&redis.url()).unwrap();
    let mut t = store.load(&user).unwrap().expect("the user's tokens");
    t.expires_at = Some(oauthkit::unversioned::now_unix() - 1);
    store.save(&user, &t).unwrap();
    let refreshes_before = idp.token_requests("refresh_token");
    let started = Instant::now();
    std::thread::scope(|s| {
        for i in instances.iter_mut() {
            let user = user.as_str();
            s.spawn(move || i.access_tokens(user, calls, THREADS_PER_INSTANCE));
        }
    });
    let access_wall = started.elapsed();
    let refreshes = idp.token_requests("refresh_token") - refreshes_before;
    let total_calls = calls * INSTANCES as u64;
    let reference = redis_benchmark_get(&redis, total_calls.min(200_000));

    let per_sign_in = |c: u64| c as f64 / n as f64;
    let total: u64 = commands.values().sum();
    println!(
        "deploy_load: N = {n} concurrent sign-ins per round through {INSTANCES} deploy-mode \
         processes sharing one Redis (login on instance k%3, callback on (k+1)%3, status on the third)"
    );
    for (name, r) in [("round 1", &round1), ("round 2", &round2)] {
        println!(
            "  {name}: wall {:.2} s, {:.0} sign-ins/s, latency p50 {} ms, p99 {} ms, max {} ms",
            r.wall.as_secs_f64(),
            n as f64 / r.wall.as_secs_f64(),
            r.percentile(50),
            r.percentile(99),
            r.percentile(100)
        );
    }
    let detail: Vec<String> = commands
        .iter()
        .map(|(k, v)| format!("{k} {:.2}", per_sign_in(*v)))
        .collect();
    println!(
        "  Redis commands per sign-in (round 1, INFO commandstats): {:.2} ({})",
        per_sign_in(total),
        detail.join(", ")
    );
    let mib = |v: &[u64]| {
        v.iter()
            .map(|k| format!("{:.1}", *k as f64 / 1024.0))
            .collect::<Vec<_>>()
            .join(" / ")
    };
    println!(
        "  RSS per instance (MiB): before {}, after round 1 {}, after round 2 {}",
        mib(&rss_before),
        mib(&rss_1),
        mib(&rss_2)
    );
    println!(
        "  access_token: {total_calls} calls ({INSTANCES} instances x {THREADS_PER_INSTANCE} \
         threads) in {:.2} s = {:.0} calls/s; refreshes at the provider: {refreshes}",
        access_wall.as_secs_f64(),
        total_calls as f64 / access_wall.as_secs_f64()
    );
    if let Some(rps) = reference {
        println!(
            "  reference: redis-benchmark GET, {} clients, same Redis: {rps:.0} requests/s",
            INSTANCES as u64 * THREADS_PER_INSTANCE
        );
    }

    let retried = RETRIED.load(std::sync::atomic::Ordering::SeqCst);
    println!(
        "  sign-ins retried after a failed request: {retried} of {}",
        2 * n
    );
    assert!(
        retried <= 1,
        "{retried} sign-ins needed a retry (at most one may)"
    );
    assert_eq!(refreshes, 1, "one refresh for all instances");
    for (i, (a, b)) in rss_1.iter().zip(&rss_2).enumerate() {
        assert!(
            *b < a + 32 * 1024,
            "instance {i} grew from {a} KiB to {b} KiB in round 2"
        );
    }
    drop(instances);
}

struct Round {
    wall: Duration,
    /// Sorted, in ms.
    latencies: Vec<u128>,
}

impl Round {
    fn percentile(&self, p: usize) -> u128 {
        let i = (self.latencies.len() * p / 100).min(self.latencies.len() - 1);
        self.latencies[i]
    }
}

/// `n` sign-ins at once, each then checked with `/auth/status` on the
/// third instance.
/// Sign-ins retried after a failed request (see [`round`]).
static RETRIED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn round(bases: &[String], n: usize) -> Round {
    let started = Instant::now();
    let mut latencies: Vec<u128> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|k| {
                s.spawn(move || {
                    let t = Instant::now();
                    // A browser user whose page does not load tries again:
                    // one retry, said on standard error, so a stall shows in
                    // the log without ending the run (a second failure does).
                    let session = sign_in(bases, k)
                        .or_else(|e| {
                            eprintln!("deploy_load: sign-in {k} failed ({e}); retrying it once");
                            RETRIED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            sign_in(bases, k)
                        })
                        .unwrap_or_else(|e| panic!("sign-in {k}, retried: {e}"));
                    let took = t.elapsed().as_millis();
                    let third = &bases[(k + 2) % bases.len()];
                    let st = HeadlessBrowser::send(
                        "GET",
                        &format!("{third}/auth/status"),
                        &[("Cookie", &session)],
                        None,
                    )
                    .unwrap();
                    assert!(
                        st.body.contains(r#""authenticated":true"#),
                        "status of sign-in {k}: {}",
                        st.body
                    );
                    took
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let wall = started.elapsed();
    latencies.sort_unstable();
    Round { wall, latencies }
}

fn cookie_pair(r: &PageResponse, name: &str) -> Option<String> {
    r.headers_named("set-cookie")
        .iter()
        .map(|v| v.split(';').next().unwrap().to_string())
        .find(|c| c.starts_with(&format!("{name}=")))
}

/// Login on instance `k % 3`, the provider, the callback on the next
/// instance: the session cookie pair.
fn sign_in(bases: &[String], k: usize) -> Result<String, String> {
    let (a, b) = (&bases[k % bases.len()], &bases[(k + 1) % bases.len()]);
    let login = HeadlessBrowser::get(&format!("{a}/auth/login")).map_err(|e| e.to_string())?;
    if login.status != 302 {
        return Err(format!("login: {} {}", login.status, login.body));
    }
    let cookie = cookie_pair(&login, "oauthkit_login").ok_or("no login cookie")?;
    let at_idp = HeadlessBrowser::get(login.header("location").ok_or("no location")?)
        .map_err(|e| e.to_string())?;
    let back = at_idp
        .header("location")
        .ok_or("the provider did not redirect")?;
    let rest = back.strip_prefix(PUBLIC).ok_or("a foreign redirect")?;
    let done = HeadlessBrowser::send("GET", &format!("{b}{rest}"), &[("Cookie", &cookie)], None)
        .map_err(|e| e.to_string())?;
    if done.status != 302 {
        return Err(format!("callback: {} {}", done.status, done.body));
    }
    cookie_pair(&done, "oauthkit_session").ok_or_else(|| "no session cookie".into())
}

/// Calls per command since the last `CONFIG RESETSTAT`, without the
/// commands this benchmark sends itself (`INFO`, `CONFIG`).
fn commandstats(redis: &servers::RedisServer) -> BTreeMap<String, u64> {
    let info = redis.cli(&["INFO", "commandstats"]);
    let mut out = BTreeMap::new();
    for line in info.lines() {
        let Some((name, rest)) = line
            .trim()
            .strip_prefix("cmdstat_")
            .and_then(|l| l.split_once(':'))
        else {
            continue;
        };
        if name == "info" || name.starts_with("config") {
            continue;
        }
        let calls = rest
            .split(',')
            .find_map(|kv| kv.strip_prefix("calls="))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        out.insert(name.to_uppercase(), calls);
    }
    out
}

/// `redis-benchmark -t get` with as many clients as the `access_token`
/// threads: requests per second, if redis-benchmark is installed.
fn redis_benchmark_get(redis: &servers::RedisServer, requests: u64) -> Option<f64> {
    let out = Command::new("redis-benchmark")
        .args(["-h", "127.0.0.1", "-p", &redis.port.to_string()])
        .args(["-t", "get", "-q", "-d", "1200"])
        .args(["-n", &requests.to_string()])
        .args(["-c", &(INSTANCES as u64 * THREADS_PER_INSTANCE).to_string()])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    // "GET: 81234.56 requests per second, p50=..." (after \r progress).
    let last = text.rsplit('\r').next().unwrap_or(&text);
    let (_, rest) = last.split_once("GET:")?;
    rest.split_whitespace().next()?.parse().ok()
}
