//! Several real processes sharing one file or SQLite store: no lost update,
//! a kill in the middle of a write leaves readable storage, per-key locks
//! exclude across processes.
//!
//! This binary is its own child: run with `child ROLE SPEC ...` it plays one
//! process of a scenario. Without arguments it runs every scenario and
//! prints `multiprocess: N passed, M failed`.

mod support;

use std::collections::BTreeSet;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use oauthkit::{store, ErrorKind, TokenSet};
use support::conformance::full_token_set;

/// A scenario's name and body (given the store spec).
type Scenario = (&'static str, fn(&str));

const WRITERS: usize = 4;
const SAVES_PER_WRITER: usize = 25;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("child") {
        child(&args[1..]);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut specs = support::specs::local_store_specs(dir.path());
    // Network stores: a server each, shared by all processes of a scenario
    // (the scenario index lands at the end of the prefix).
    #[cfg(feature = "redis")]
    let redis = support::servers::RedisServer::start();
    #[cfg(feature = "redis")]
    specs.push(("redis", format!("{}?prefix=mp", redis.url())));
    #[cfg(feature = "memcache")]
    let memcached = support::servers::Memcached::start();
    #[cfg(feature = "memcache")]
    specs.push(("memcache", format!("{}?prefix=mp", memcached.url())));
    let mut passed = 0;
    let mut failed = 0;
    for (name, spec) in &specs {
        let scenarios: [Scenario; 3] = [
            ("concurrent writers lose no update", no_lost_update),
            ("a kill mid-write leaves readable storage", kill_mid_write),
            (
                "key locks exclude other processes",
                key_lock_across_processes,
            ),
        ];
        for (i, (what, run)) in scenarios.into_iter().enumerate() {
            // a fresh file, database or prefix per scenario: a local store's
            // suffix goes on its path, before any `?settings`
            let spec = match spec.split_once('?') {
                Some((path, settings))
                    if spec.starts_with("file:") || spec.starts_with("sqlite:") =>
                {
                    format!("{path}.{i}?{settings}")
                }
                _ => format!("{spec}.{i}"),
            };
            match std::panic::catch_unwind(|| run(&spec)) {
                Ok(()) => {
                    println!("test {name}: {what} ... ok");
                    passed += 1;
                }
                Err(_) => {
                    println!("test {name}: {what} ... FAILED");
                    failed += 1;
                }
            }
        }
    }
    println!("\nmultiprocess: {passed} passed, {failed} failed");
    // Stop the servers before a failing exit skips their destructors.
    #[cfg(feature = "redis")]
    drop(redis);
    #[cfg(feature = "memcache")]
    drop(memcached);
    if failed > 0 {
        std::process::exit(1);
    }
}

fn spawn(role: &str, spec: &str, extra: &[&str]) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["child", role, spec])
        .args(extra)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap()
}

fn child(args: &[String]) {
    let (role, spec) = (args[0].as_str(), args[1].as_str());
    let s = store::open(spec).unwrap();
    match role {
        "writer" => {
            let id: usize = args[2].parse().unwrap();
            for i in 0..SAVES_PER_WRITER {
                s.save(
                    &format!("w{id}-k{i}"),
                    &full_token_set((id * 1000 + i) as u32),
                )
                .unwrap();
            }
        }
        "churn" => {
            // Rewrites big records forever, until killed.
            let mut big = full_token_set(7);
            big.extra
                .insert("padding".into(), "x".repeat(64 * 1024).into());
            for n in 0.. {
                s.save(&format!("k{}", n % 20), &big).unwrap();
                if n == 1 {
                    println!("saved");
                }
            }
        }
        "holder" => {
            let _lock = s.lock_key("shared", Duration::from_secs(5)).unwrap();
            println!("locked");
            std::thread::sleep(Duration::from_millis(800));
        }
        other => panic!("unknown role {other}"),
    }
}

fn no_lost_update(spec: &str) {
    let children: Vec<Child> = (0..WRITERS)
        .map(|id| spawn("writer", spec, &[&id.to_string()]))
        .collect();
    for c in children {
        assert!(c.wait_with_output().unwrap().status.success());
    }
    let s = store::open(spec).unwrap();
    let keys: BTreeSet<String> = s.list_keys().unwrap().into_iter().collect();
    assert_eq!(
        keys.len(),
        WRITERS * SAVES_PER_WRITER,
        "lost updates: {keys:?}"
    );
    for id in 0..WRITERS {
        for i in 0..SAVES_PER_WRITER {
            let t = s.load(&format!("w{id}-k{i}")).unwrap().unwrap();
            assert_eq!(
                t.access_token,
                full_token_set((id * 1000 + i) as u32).access_token
            );
        }
    }
}

fn kill_mid_write(spec: &str) {
    let s = store::open(spec).unwrap();
    s.save("k0", &full_token_set(1)).unwrap();
    for round in 0..8u64 {
        let mut c = spawn("churn", spec, &[]);
        // the kill lands mid-churn, after the child's first complete save
        // (however slow the machine), at a different moment each round
        let mut first = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(c.stdout.as_mut().unwrap()),
            &mut first,
        )
        .unwrap();
        assert_eq!(
            first.trim(),
            "saved",
            "the churn child failed before saving"
        );
        std::thread::sleep(Duration::from_millis(30 + round * 17));
        c.kill().unwrap();
        c.wait().unwrap();
        let all = s
            .load_all()
            .unwrap_or_else(|e| panic!("unreadable after kill: {e}"));
        assert!(!all.is_empty());
        for t in all.values() {
            assert!(t.extra.contains_key("nested"), "a record was cut short");
        }
        let _: TokenSet = s.load("k0").unwrap().unwrap();
    }
    let written = s.list_keys().unwrap().len();
    assert!(
        written > 1,
        "the killed writers never wrote: the scenario proved nothing"
    );
}

fn key_lock_across_processes(spec: &str) {
    let s = store::open(spec).unwrap();
    let mut holder = spawn("holder", spec, &[]);
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(holder.stdout.as_mut().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line.trim(), "locked");
    let err = s
        .lock_key("shared", Duration::from_millis(100))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LockTimeout);
    let start = Instant::now();
    let _lock = s.lock_key("shared", Duration::from_secs(5)).unwrap();
    assert!(start.elapsed() < Duration::from_secs(5));
    assert!(holder.wait().unwrap().success());
}
