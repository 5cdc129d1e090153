//! Lock contention on one JSON token file: many processes and many threads
//! save at once, with a CPU hog beside them, and not one save may fail (a
//! lock timeout is a lost save) or be lost.
//!
//! This binary is its own child (`child ROLE ...`). Sizes come from the
//! environment; the defaults keep CI short while still contending:
//!
//! | variable | default | the full target |
//! |---|---|---|
//! | `OAUTHKIT_CONTENTION_PROCESSES` | 4 | 8 |
//! | `OAUTHKIT_CONTENTION_PROCESS_SAVES` | 50 | 1000 |
//! | `OAUTHKIT_CONTENTION_THREADS` | 8 | 32 |
//! | `OAUTHKIT_CONTENTION_THREAD_SAVES` | 10 | 200 |
//! | `OAUTHKIT_CONTENTION_HOGS` | 1 | 2 (one per core) |
//! | `OAUTHKIT_CONTENTION_ROUNDS` | 1 | 3 |
//!
//! The full target:
//! `OAUTHKIT_CONTENTION_PROCESSES=8 OAUTHKIT_CONTENTION_PROCESS_SAVES=1000
//! OAUTHKIT_CONTENTION_THREADS=32 OAUTHKIT_CONTENTION_THREAD_SAVES=200
//! OAUTHKIT_CONTENTION_HOGS=2 OAUTHKIT_CONTENTION_ROUNDS=3
//! cargo test --release --test contention`.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use oauthkit::store::JsonFileStore;
use oauthkit::{TokenSet, TokenStore};

/// Keys each writer cycles through (the file stays small; every save still
/// rewrites it whole).
const KEYS_PER_WRITER: usize = 10;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name}={v} is not a number"))
        })
        .unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("child") => return child(&args[1..]),
        // `cargo test` passes libtest flags; a filter that names nothing
        // here selects nothing.
        Some(filter) if !filter.starts_with('-') && !"contention".contains(filter) => return,
        _ => {}
    }
    let processes = env("OAUTHKIT_CONTENTION_PROCESSES", 4);
    let process_saves = env("OAUTHKIT_CONTENTION_PROCESS_SAVES", 50);
    let threads = env("OAUTHKIT_CONTENTION_THREADS", 8);
    let thread_saves = env("OAUTHKIT_CONTENTION_THREAD_SAVES", 10);
    let hogs = env("OAUTHKIT_CONTENTION_HOGS", 1);
    let rounds = env("OAUTHKIT_CONTENTION_ROUNDS", 1);
    let mut failed = false;
    for round in 1..=rounds {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.json");
        let hog_children: Vec<Child> = (0..hogs).map(|_| spawn(&["hog"])).collect();
        let start = Instant::now();
        let writers: Vec<Child> = (0..processes)
            .map(|id| {
                spawn(&[
                    "writer",
                    path.to_str().unwrap(),
                    &format!("p{id}"),
                    &process_saves.to_string(),
                ])
            })
            .collect();
        // The threads of this process write at the same time.
        let store = JsonFileStore::open(&path).unwrap();
        let thread_result = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let store = &store;
                    scope.spawn(move || write_many(store, &format!("t{t}"), thread_saves))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a writer thread panicked"))
                .collect::<Vec<_>>()
        });
        let mut slowest = Duration::ZERO;
        let mut errors = 0;
        for r in thread_result {
            slowest = slowest.max(r.slowest);
            errors += r.errors;
        }
        for w in writers {
            let out = w.wait_with_output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            match parse_report(&text) {
                Some((e, s)) if out.status.success() => {
                    errors += e;
                    slowest = slowest.max(s);
                }
                _ => {
                    println!("a writer process failed: {text}");
                    errors += 1;
                }
            }
        }
        let elapsed = start.elapsed();
        for mut h in hog_children {
            let _ = h.kill();
            let _ = h.wait();
        }
        // Every key holds the last value its writer saved.
        let mut lost = 0;
        let mut expected = Vec::new();
        for id in 0..processes {
            expected.push((format!("p{id}"), process_saves));
        }
        for t in 0..threads {
            expected.push((format!("t{t}"), thread_saves));
        }
        let all = store.load_all().unwrap();
        for (writer, saves) in &expected {
            for (key, value) in last_values(writer, *saves) {
                match all.get(&key) {
                    Some(t) if t.access_token.expose() == value => {}
                    _ => lost += 1,
                }
            }
        }
        let saves = processes * process_saves + threads * thread_saves;
        println!(
            "contention round {round}: {processes} processes x {process_saves} saves + \
             {threads} threads x {thread_saves} saves = {saves} saves beside {hogs} CPU hog(s) \
             in {:.1} s: {errors} errors, {lost} lost, slowest save {:.0} ms",
            elapsed.as_secs_f64(),
            slowest.as_secs_f64() * 1000.0
        );
        failed |= errors > 0 || lost > 0;
    }
    if failed {
        println!("contention: FAILED");
        std::process::exit(1);
    }
    println!("contention: ok");
}

fn spawn(args: &[&str]) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .arg("child")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap()
}

struct Report {
    errors: usize,
    slowest: Duration,
}

/// The value writer `who` saves in round `i` under its key `i % KEYS`.
fn value(who: &str, i: usize) -> String {
    format!("{who}-save-{i}")
}

fn last_values(who: &str, saves: usize) -> Vec<(String, String)> {
    (saves.saturating_sub(KEYS_PER_WRITER)..saves)
        .map(|i| (format!("{who}-k{}", i % KEYS_PER_WRITER), value(who, i)))
        .collect()
}

fn write_many(store: &JsonFileStore, who: &str, saves: usize) -> Report {
    let mut report = Report {
        errors: 0,
        slowest: Duration::ZERO,
    };
    for i in 0..saves {
        let started = Instant::now();
        let key = format!("{who}-k{}", i % KEYS_PER_WRITER);
        if let Err(e) = store.save(&key, &TokenSet::bearer(value(who, i))) {
            println!("{who}: save {i} failed: {e}");
            report.errors += 1;
        }
        report.slowest = report.slowest.max(started.elapsed());
    }
    report
}

fn parse_report(text: &str) -> Option<(usize, Duration)> {
    let line = text.lines().find_map(|l| l.strip_prefix("report "))?;
    let (errors, micros) = line.split_once(' ')?;
    Some((
        errors.parse().ok()?,
        Duration::from_micros(micros.parse().ok()?),
    ))
}

fn child(args: &[String]) {
    match args[0].as_str() {
        "writer" => {
            let store = JsonFileStore::open(&args[1]).unwrap();
            let saves: usize = args[3].parse().unwrap();
            let r = write_many(&store, &args[2], saves);
            println!("report {} {}", r.errors, r.slowest.as_micros());
        }
        "hog" => {
            // Spins until killed, or until the parent is gone (its end of
            // stdin closes), so a failing run leaves no hog behind.
            std::thread::spawn(|| {
                let mut x: u64 = 1;
                loop {
                    x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
                }
            });
            let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
            std::process::exit(0);
        }
        other => panic!("unknown role {other}"),
    }
}
