//! Several real processes sharing one file or SQLite store: no lost update,
//! a kill in the middle of a write leaves readable storage, per-key locks
//! exclude across processes.
//!
//! This binary is its own child: run with `child ROLE SPEC ...` it plays one
//! process of a scenario. Without arguments it runs every scenario and
//! prints `multiprocess: N passed, M failed`.

extern crate oauthkit_test_support as support;

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
    #[cfg_attr(not(any(feature = "redis", feature = "memcache")), allow(unused_mut))]
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
        let mut scenarios: Vec<Scenario> = vec![
            ("concurrent writers lose no update", no_lost_update),
            ("a kill mid-write leaves readable storage", kill_mid_write),
            (
                "key locks exclude other processes",
                key_lock_across_processes,
            ),
        ];
        if matches!(*name, "file" | "sqlite") {
            scenarios.push((
                "key locks exclude while their files are removed and recreated",
                key_lock_files_come_and_go,
            ));
        }
        if *name == "file" {
            scenarios.push((
                "a load sees every write of another process, even within one clock tick",
                loads_see_every_write,
            ));
            scenarios.push((
                "writers killed while in line never block it or leave it behind",
                killed_waiters_never_block_the_line,
            ));
        }
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
        "locker" => {
            // Takes and releases the key lock again and again; while holding
            // it, owns a marker file that only one process may create.
            let marker = std::path::Path::new(&args[2]);
            let rounds: usize = args[3].parse().unwrap();
            for _ in 0..rounds {
                let _lock = s.lock_key("shared", Duration::from_secs(30)).unwrap();
                std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(marker)
                    .expect("two processes hold the key lock at once");
                std::thread::yield_now();
                std::fs::remove_file(marker).unwrap();
            }
        }
        "loader" => {
            // Loads "k" for every line the parent sends, answering with the
            // access token it sees.
            use std::io::{BufRead, Write};
            let stdin = std::io::stdin();
            let mut out = std::io::stdout();
            for line in stdin.lock().lines() {
                let _ = line.unwrap();
                let t = s.load("k").unwrap().unwrap();
                writeln!(out, "{}", t.access_token.expose()).unwrap();
                out.flush().unwrap();
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
    if let Some(path) = spec.strip_prefix("file:") {
        // A writer killed between its temporary file and the rename leaves a
        // copy of every token; the next open removes it.
        let path = std::path::Path::new(path);
        let _ = store::open(spec).unwrap();
        let copies: Vec<String> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".tmp-"))
            .collect();
        assert!(copies.is_empty(), "token copies left behind: {copies:?}");
    }
}

fn key_lock_files_come_and_go(spec: &str) {
    // Lock files are removed by whoever releases them and by stores opening
    // (reaping unheld ones); a process blocked on a removed file must notice
    // and never hold the lock beside another.
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("inside");
    let marker = marker.to_str().unwrap();
    let children: Vec<Child> = (0..4)
        .map(|_| spawn("locker", spec, &[marker, "150"]))
        .collect();
    let stop = std::sync::atomic::AtomicBool::new(false);
    let statuses = std::thread::scope(|scope| {
        scope.spawn(|| {
            // Stores opening meanwhile reap unheld lock files.
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let _ = store::open(spec).unwrap();
            }
        });
        let statuses: Vec<bool> = children
            .into_iter()
            .map(|c| c.wait_with_output().unwrap().status.success())
            .collect();
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        statuses
    });
    assert!(
        statuses.iter().all(|ok| *ok),
        "a locker failed: {statuses:?}"
    );
    let path = spec.split_once(':').unwrap().1;
    let locks = std::path::PathBuf::from(format!("{path}.locks"));
    let left = std::fs::read_dir(&locks).map(|d| d.count()).unwrap_or(0);
    assert_eq!(left, 0, "lock files left in {}", locks.display());
}

fn loads_see_every_write(spec: &str) {
    use std::io::{BufRead, Write};
    let path = spec.strip_prefix("file:").unwrap();
    let s = store::open(spec).unwrap();
    s.save("k", &TokenSet::bearer("AT-start")).unwrap();
    let mut loader = Command::new(std::env::current_exe().unwrap())
        .args(["child", "loader", spec])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut to = loader.stdin.take().unwrap();
    let mut from = std::io::BufReader::new(loader.stdout.take().unwrap());
    for i in 0..400 {
        // Same size every time; rewrites come faster than the file clock
        // ticks. Even rounds rewrite in place (as globus-sdk does, same
        // inode), odd ones through the store (a new inode by rename, whose
        // number may be reused).
        let token = format!("AT-{i:06}");
        if i % 2 == 0 {
            std::fs::write(
                path,
                format!(
                    r#"{{"data": {{"DEFAULT": {{"k": {{"access_token": "{token}"}}}}}}, "format_version": "2.0"}}"#
                ),
            )
            .unwrap();
        } else {
            s.save("k", &TokenSet::bearer(token.clone())).unwrap();
        }
        writeln!(to, "load").unwrap();
        to.flush().unwrap();
        let mut seen = String::new();
        from.read_line(&mut seen).unwrap();
        assert_eq!(seen.trim(), token, "round {i}: a stale load");
    }
    drop(to);
    assert!(loader.wait().unwrap().success());
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

/// Writers in the line of waiters (`{file}.lock.line/`) are killed again
/// and again (kill -9: their tickets stay, unlocked); the parent's saves,
/// made meanwhile in its own line, never time out, and once everyone is
/// done no ticket, line or lock file is left.
fn killed_waiters_never_block_the_line(spec: &str) {
    let s = store::open(spec).unwrap();
    let path = std::path::PathBuf::from(
        spec.strip_prefix("file:")
            .unwrap()
            .split('?')
            .next()
            .unwrap(),
    );
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        let saver = scope.spawn(|| {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                s.save(&format!("parent-{}", n % 5), &full_token_set(n))
                    .unwrap_or_else(|e| panic!("a save behind killed waiters failed: {e}"));
                n += 1;
            }
            n
        });
        for round in 0..6u64 {
            let mut churners: Vec<Child> = (0..3).map(|_| spawn("churn", spec, &[])).collect();
            for c in &mut churners {
                let mut first = String::new();
                std::io::BufRead::read_line(
                    &mut std::io::BufReader::new(c.stdout.as_mut().unwrap()),
                    &mut first,
                )
                .unwrap();
                assert_eq!(first.trim(), "saved", "a churn child failed before saving");
            }
            std::thread::sleep(Duration::from_millis(20 + round * 13));
            for mut c in churners {
                c.kill().unwrap();
                c.wait().unwrap();
            }
        }
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        assert!(saver.join().unwrap() > 0);
    });
    // One more save walks past whatever dead tickets are left and then
    // removes the empty line.
    s.save("last", &full_token_set(1)).unwrap();
    let dir = path.parent().unwrap();
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let left: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&name) && n != &name)
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}
