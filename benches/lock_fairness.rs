//! How long each writer waits for one JSON token file's write lock when
//! many processes and the threads of one process save at once, beside CPU
//! hogs: the p50, p99 and max of every save's duration, for the threads of
//! the many-threaded process and for the single-threaded processes apart
//! (issue 21, item 8: the wait of every thread is bounded and fair, not
//! only that of every process).
//!
//! `cargo bench --bench lock_fairness` runs issue 21's setting: 8 processes
//! x 1000 saves and 32 threads x 200 saves on one file beside 2 CPU hogs.
//! Sizes come from the environment: `OAUTHKIT_FAIRNESS_PROCESSES`,
//! `OAUTHKIT_FAIRNESS_PROCESS_SAVES`, `OAUTHKIT_FAIRNESS_THREADS`,
//! `OAUTHKIT_FAIRNESS_THREAD_SAVES`, `OAUTHKIT_FAIRNESS_HOGS`.
//!
//! This binary is its own child (`child writer|hog ...`).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use oauthkit::store::JsonFileStore;
use oauthkit::{TokenSet, TokenStore};

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
    if args.first().map(String::as_str) == Some("child") {
        return child(&args[1..]);
    }
    if args.iter().any(|a| a == "--list") {
        return; // `cargo test --benches` asks what there is
    }
    let processes = env("OAUTHKIT_FAIRNESS_PROCESSES", 8);
    let process_saves = env("OAUTHKIT_FAIRNESS_PROCESS_SAVES", 1000);
    let threads = env("OAUTHKIT_FAIRNESS_THREADS", 32);
    let thread_saves = env("OAUTHKIT_FAIRNESS_THREAD_SAVES", 200);
    let hogs = env("OAUTHKIT_FAIRNESS_HOGS", 2);

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
    let store = JsonFileStore::open(&path).unwrap();
    let mut thread_waits: Vec<Duration> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let store = &store;
                scope.spawn(move || write_many(store, &format!("t{t}"), thread_saves))
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a writer thread panicked"))
            .collect()
    });
    let mut process_waits = Vec::new();
    for w in writers {
        let out = w.wait_with_output().unwrap();
        assert!(out.status.success(), "a writer process failed");
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            process_waits.push(Duration::from_micros(line.parse().expect("a wait in µs")));
        }
    }
    let elapsed = start.elapsed();
    for mut h in hog_children {
        let _ = h.kill();
        let _ = h.wait();
    }
    println!(
        "lock fairness: {processes} processes x {process_saves} saves + {threads} threads x \
         {thread_saves} saves on one JSON file beside {hogs} CPU hog(s), {:.1} s",
        elapsed.as_secs_f64()
    );
    report("threads of one process", &mut thread_waits);
    report("single-threaded processes", &mut process_waits);
}

fn report(who: &str, waits: &mut [Duration]) {
    waits.sort_unstable();
    let at = |q: f64| waits[((waits.len() as f64 * q) as usize).min(waits.len() - 1)];
    println!(
        "  {who}: {} saves, p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        waits.len(),
        at(0.50).as_secs_f64() * 1000.0,
        at(0.99).as_secs_f64() * 1000.0,
        waits.last().unwrap().as_secs_f64() * 1000.0
    );
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

/// Saves `saves` times (cycling over 10 keys); every save must succeed.
/// Returns how long each save took.
fn write_many(store: &JsonFileStore, who: &str, saves: usize) -> Vec<Duration> {
    (0..saves)
        .map(|i| {
            let started = Instant::now();
            let token = TokenSet::bearer(format!("{who}-save-{i}"));
            if let Err(e) = store.save(&format!("{who}-k{}", i % 10), &token) {
                panic!("{who}: save {i} failed: {e}");
            }
            started.elapsed()
        })
        .collect()
}

fn child(args: &[String]) {
    match args[0].as_str() {
        "writer" => {
            let store = JsonFileStore::open(&args[1]).unwrap();
            for wait in write_many(&store, &args[2], args[3].parse().unwrap()) {
                println!("{}", wait.as_micros());
            }
        }
        "hog" => {
            // Spins until killed or until the parent is gone.
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
