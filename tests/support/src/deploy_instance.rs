//! Deploy-mode instances as processes of their own, for the tests and the
//! benchmark that kill one or measure each one's memory.
//!
//! A binary that uses this module and is its own child:
//! its `main` hands `instance ...` arguments to [`serve`], and the parent
//! starts one with [`Instance::spawn`]. The child serves
//! `DeployServer` on a free loopback port, prints `LISTENING {url}`, and
//! exits when its stdin closes (so a parent that dies leaves no instance
//! behind).
//!
//! `pause` stops the child in the callback, after the code exchange:
//! `before-save` when it is about to store the user's tokens,
//! `after-save` once they are stored (before the session record). It then
//! prints `PAUSED` and waits to be killed.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use oauthkit::provider::{OAuthProvider, OidcConfig, Provider};
use oauthkit::web::{DeployHandler, DeployOptions, DeployServer};
use oauthkit::{TokenSet, TokenStore};

/// Where the instance stops in the callback.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Pause {
    Never,
    BeforeSave,
    AfterSave,
}

impl Pause {
    fn arg(self) -> &'static str {
        match self {
            Pause::Never => "never",
            Pause::BeforeSave => "before-save",
            Pause::AfterSave => "after-save",
        }
    }
}

/// A running instance (a child process), killed on drop.
pub struct Instance {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    /// `http://127.0.0.1:PORT`, where it listens.
    pub base: String,
}

impl Instance {
    /// Starts `exe instance SPEC ISSUER CLIENT_ID PUBLIC KEY_HEX PAUSE`
    /// and waits for its `LISTENING` line.
    pub fn spawn(
        exe: &std::path::Path,
        spec: &str,
        issuer: &str,
        client_id: &str,
        public: &str,
        key: &[u8; 32],
        pause: Pause,
    ) -> Instance {
        let key_hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        let mut child = Command::new(exe)
            .args(["instance", spec, issuer, client_id, public, &key_hex])
            .arg(pause.arg())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting an instance");
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut instance = Instance {
            child,
            stdin,
            stdout,
            base: String::new(),
        };
        let line = instance.next_line();
        instance.base = line
            .strip_prefix("LISTENING ")
            .unwrap_or_else(|| panic!("the instance said {line:?}"))
            .to_owned();
        instance
    }

    /// The next line the instance prints.
    pub fn next_line(&mut self) -> String {
        let mut line = String::new();
        self.stdout
            .read_line(&mut line)
            .expect("reading an instance");
        assert!(!line.is_empty(), "the instance exited");
        line.trim_end().to_owned()
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The resident set size in KiB (`VmRSS` of `/proc/PID/status`).
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS")
    }

    /// Asks the instance for `calls` `access_token(key)` calls over
    /// `threads` threads of its own; their wall time.
    pub fn access_tokens(&mut self, key: &str, calls: u64, threads: u64) -> Duration {
        let stdin = self.stdin.as_mut().expect("running");
        writeln!(stdin, "access_token {key} {calls} {threads}").unwrap();
        stdin.flush().unwrap();
        let line = self.next_line();
        let micros: u64 = line
            .strip_prefix(&format!("DONE {calls} "))
            .unwrap_or_else(|| panic!("the instance said {line:?}"))
            .parse()
            .unwrap();
        Duration::from_micros(micros)
    }

    /// SIGKILL, and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        drop(self.stdin.take());
        self.kill();
    }
}

/// The child side: `args` are what follows `instance`.
pub fn serve(args: &[String]) {
    let [spec, issuer, client_id, public, key_hex, pause] = args else {
        panic!("usage: instance SPEC ISSUER CLIENT_ID PUBLIC KEY_HEX PAUSE");
    };
    let pause = match pause.as_str() {
        "never" => Pause::Never,
        "before-save" => Pause::BeforeSave,
        "after-save" => Pause::AfterSave,
        other => panic!("unknown pause {other}"),
    };
    let mut key = [0u8; 32];
    for (i, b) in key.iter_mut().enumerate() {
        *b = u8::from_str_radix(&key_hex[2 * i..2 * i + 2], 16).unwrap();
    }
    let store: Arc<dyn TokenStore> = oauthkit::store::open(spec).unwrap();
    let store: Arc<dyn TokenStore> = match pause {
        Pause::Never => store,
        _ => Arc::new(PausesAtSave {
            inner: store,
            pause,
            paused: AtomicBool::new(false),
        }),
    };
    let provider: Arc<dyn Provider> = Arc::new(
        OAuthProvider::oidc(OidcConfig::new(issuer, client_id).scopes([
            "openid",
            "email",
            "profile",
            "offline_access",
        ]))
        .unwrap(),
    );
    let options = DeployOptions::new(public).cookie_key(key);
    let server = DeployServer::serve(
        "127.0.0.1:0".parse().unwrap(),
        DeployHandler::new(provider.clone(), store.clone(), options),
    )
    .unwrap();
    println!("LISTENING {}", server.base_url());
    std::io::stdout().flush().unwrap();
    // Serve until the parent closes stdin (or dies); meanwhile run what it
    // asks for on its lines.
    let sessions = Arc::new(oauthkit::session::SessionManager::new(provider, store));
    let mut line = String::new();
    while std::io::stdin()
        .read_line(&mut line)
        .map(|n| n > 0)
        .unwrap_or(false)
    {
        let words: Vec<&str> = line.split_whitespace().collect();
        if let ["access_token", key, calls, threads] = words[..] {
            let (calls, threads): (u64, u64) = (calls.parse().unwrap(), threads.parse().unwrap());
            let took = access_tokens(&sessions, key, calls, threads);
            println!("DONE {calls} {}", took.as_micros());
            std::io::stdout().flush().unwrap();
        }
        line.clear();
    }
    drop(server);
}

/// `calls` calls of `access_token(key)` spread over `threads` threads;
/// the wall time.
fn access_tokens(
    sessions: &Arc<oauthkit::session::SessionManager>,
    key: &str,
    calls: u64,
    threads: u64,
) -> Duration {
    let started = std::time::Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            let share = calls / threads + u64::from(t < calls % threads);
            s.spawn(move || {
                for _ in 0..share {
                    std::hint::black_box(sessions.access_token(key).expect("access_token"));
                }
            });
        }
    });
    started.elapsed()
}

/// Forwards to the real store, and stops the first time the user's
/// tokens are saved (not a deploy record).
struct PausesAtSave {
    inner: Arc<dyn TokenStore>,
    pause: Pause,
    paused: AtomicBool,
}

impl PausesAtSave {
    fn stop_here(&self) -> ! {
        println!("PAUSED");
        std::io::stdout().flush().unwrap();
        loop {
            std::thread::sleep(Duration::from_secs(60));
        }
    }
}

impl TokenStore for PausesAtSave {
    fn save(&self, key: &str, tokens: &TokenSet) -> oauthkit::Result<()> {
        let user = !key.starts_with("oauthkit-deploy-");
        if user && !self.paused.swap(true, Ordering::SeqCst) {
            if self.pause == Pause::AfterSave {
                self.inner.save(key, tokens)?;
            }
            self.stop_here();
        }
        self.inner.save(key, tokens)
    }
    crate::forward_to_inner!(
        load,
        delete,
        list_keys,
        namespace,
        namespaces,
        backend,
        lock_key,
        save_locked,
        delete_locked
    );
}
