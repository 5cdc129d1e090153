//! What a test needs from the machine beyond Rust (servers, runtimes, a
//! browser, a keyring daemon), and what happens when it is missing: in a
//! plain `cargo test` the test is skipped, visibly and counted; under
//! `OAUTHKIT_REQUIRE_ALL=1` (set by scripts/test.sh, so in CI) it fails with
//! the same message.
//!
//! A skipped test prints `SKIP <test>: <what is missing> — <how to get it>`
//! on stderr past libtest's output capture, and the binary prints
//! `SKIPPED <n> tests ...` when it exits; libtest itself counts a skipped
//! test as passed, so these two lines are the count.
//!
//! A test says what it needs in its first line, `needs!(Redis, Node);`
//! (the names of [`Need`]). The servers' and tools' starters in
//! `tests/support` check again with [`require`]: a test that forgot to say
//! it fails there with the same message, never passes silently. The
//! conformance suites' tests open their store through [`opened`], which
//! turns that failure into a skip.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Once;

/// The environment variable that turns every skip into a failure.
pub const REQUIRE_ALL: &str = "OAUTHKIT_REQUIRE_ALL";

/// Something outside Rust a test needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// `redis-server` and `redis-cli`
    Redis,
    /// `memcached`
    Memcached,
    /// the `openssl` command (throwaway certificate authorities)
    Openssl,
    /// Node.js with tests/browser's packages (panva's oidc-provider)
    Node,
    /// Chromium and playwright-core (tests/browser)
    Chromium,
    /// a Secret Service (gnome-keyring) on a D-Bus session bus
    SecretService,
    /// the Python venv with globus-sdk (`target/interop-venv`)
    GlobusSdk,
    /// the Python venv with python-oauth2 (`target/python-oauth2-venv`)
    PythonOauth2,
    /// the Python venv with keyring for pywry's format (`target/python-keyring-venv`)
    PythonKeyring,
    /// Keycloak and a Java 21+ runtime (scripts/setup-keycloak.sh)
    Keycloak,
    /// `curl` (the command-line tests' browser)
    Curl,
}

impl Need {
    /// What is missing when [`Need::found`] is false.
    pub fn what(self) -> &'static str {
        match self {
            Need::Redis => "redis-server or redis-cli is not installed",
            Need::Memcached => "memcached is not installed",
            Need::Openssl => "the openssl command is not installed",
            Need::Node => "Node.js or tests/browser/node_modules/oidc-provider is missing",
            Need::Chromium => "chromium or tests/browser/node_modules/playwright-core is missing",
            Need::SecretService => "no D-Bus session bus with a Secret Service",
            Need::GlobusSdk => "the globus-sdk venv (target/interop-venv) is missing",
            Need::PythonOauth2 => "the python-oauth2 venv (target/python-oauth2-venv) is missing",
            Need::PythonKeyring => {
                "the Python keyring venv (target/python-keyring-venv) is missing"
            }
            Need::Keycloak => "Keycloak or its Java runtime is not installed",
            Need::Curl => "curl is not installed",
        }
    }

    /// How to get it.
    pub fn how(self) -> &'static str {
        match self {
            Need::Redis | Need::Memcached => {
                "run scripts/setup-servers.sh (installs redis-server, redis-tools and memcached)"
            }
            Need::Openssl => "run scripts/setup-tls.sh",
            Need::Node | Need::Chromium => {
                "run scripts/setup-browser.sh (apt chromium and nodejs, npm ci in tests/browser)"
            }
            Need::SecretService => {
                "run the tests through scripts/with-keyring.sh (gnome-keyring in \
                 dbus-run-session; apt packages dbus, gnome-keyring)"
            }
            Need::GlobusSdk => "run scripts/setup-python-interop.sh",
            Need::PythonOauth2 => "run scripts/setup-python-oauth2.sh",
            Need::PythonKeyring => "run scripts/setup-python-keyring.sh",
            Need::Keycloak => "run scripts/setup-keycloak.sh (needs Java 21+)",
            Need::Curl => "run scripts/setup-cli.sh (apt install curl)",
        }
    }

    /// Whether this machine has it.
    pub fn found(self) -> bool {
        let browser = crate::repo().join("tests/browser/node_modules");
        match self {
            Need::Redis => on_path("redis-server") && on_path("redis-cli"),
            Need::Memcached => on_path("memcached"),
            Need::Openssl => on_path("openssl"),
            Need::Node => on_path("node") && browser.join("oidc-provider/package.json").is_file(),
            Need::Chromium => {
                let chromium = std::env::var_os("CHROMIUM")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| "/usr/bin/chromium".into());
                chromium.exists()
                    && on_path("node")
                    && browser.join("playwright-core/package.json").is_file()
            }
            Need::SecretService => std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
            Need::GlobusSdk => crate::repo()
                .join("target/interop-venv/bin/python")
                .exists(),
            Need::PythonOauth2 => crate::repo()
                .join("target/python-oauth2-venv/bin/python")
                .exists(),
            Need::PythonKeyring => crate::repo()
                .join("target/python-keyring-venv/bin/python")
                .exists(),
            Need::Keycloak => keycloak_installed(),
            Need::Curl => on_path("curl"),
        }
    }
}

/// True when every need is met: the test goes on. Otherwise, under
/// `OAUTHKIT_REQUIRE_ALL=1` the test fails naming what is missing and how
/// to get it; without it the test is skipped (false: the caller returns)
/// with a `SKIP` line and counted.
#[track_caller]
pub fn met(needs: &[Need]) -> bool {
    let Some(why) = missing(needs) else {
        return true;
    };
    if required() {
        panic!("{why} ({REQUIRE_ALL}=1: a missing requirement is a failure)");
    }
    skip(&why);
    false
}

/// Skips the running test (returns from it) unless every [`Need`] named is
/// met; see [`met`].
#[macro_export]
macro_rules! needs {
    ($($need:ident),+ $(,)?) => {
        if !$crate::needs::met(&[$($crate::needs::Need::$need),+]) {
            return;
        }
    };
}

thread_local! {
    /// What [`require`] found missing on this thread (read by [`opened`]).
    static MISSING: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Fails the running test when `need` is missing, saying what and how to
/// get it (a starter's check: the test itself says `needs!` first).
#[track_caller]
pub fn require(need: Need) {
    if need.found() {
        return;
    }
    let why = format!("{} — {}", need.what(), need.how());
    MISSING.with(|m| *m.borrow_mut() = Some(why.clone()));
    panic!("{why}");
}

/// Runs `open` (a conformance suite's store and guard); when it failed in
/// [`require`], the test is skipped (`None`) or, under
/// `OAUTHKIT_REQUIRE_ALL=1`, fails; any other failure goes on unwinding.
pub fn opened<T>(open: impl FnOnce() -> T) -> Option<T> {
    MISSING.with(|m| m.borrow_mut().take());
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(open)) {
        Ok(v) => Some(v),
        Err(payload) => match MISSING.with(|m| m.borrow_mut().take()) {
            Some(why) if !required() => {
                skip(&why);
                None
            }
            _ => std::panic::resume_unwind(payload),
        },
    }
}

/// Whether a missing requirement fails (`OAUTHKIT_REQUIRE_ALL=1`).
pub fn required() -> bool {
    std::env::var_os(REQUIRE_ALL).is_some_and(|v| v == "1")
}

static SKIPPED: AtomicUsize = AtomicUsize::new(0);

/// What is missing of `needs` and how to get it, or `None` when all are met.
pub fn missing(needs: &[Need]) -> Option<String> {
    let why = needs
        .iter()
        .filter(|n| !n.found())
        .map(|n| format!("{} — {}", n.what(), n.how()))
        .collect::<Vec<_>>();
    (!why.is_empty()).then(|| why.join("; "))
}

/// Records a skip of the running test: the `SKIP` line now, the count when
/// the binary exits.
pub fn skip(why: &str) {
    let thread = std::thread::current();
    let test = match thread.name() {
        Some(name) if name != "main" => name.to_string(),
        _ => "a test".to_string(),
    };
    skip_test(&test, why);
}

/// Records a skip of the test named `test` (a runner of its own, such as
/// the Keycloak binary's).
pub fn skip_test(test: &str, why: &str) {
    SKIPPED.fetch_add(1, Ordering::SeqCst);
    static SUMMARY: Once = Once::new();
    SUMMARY.call_once(|| {
        // SAFETY: registers a plain function without arguments; it only
        // reads an atomic and writes to stderr.
        unsafe {
            atexit(print_summary);
        }
    });
    // Written to the stderr handle, not through `eprintln!`: libtest
    // captures the macros' output of a passing test, and a skip passes.
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIP {test}: {why}");
}

extern "C" {
    fn atexit(callback: extern "C" fn()) -> std::os::raw::c_int;
}

extern "C" fn print_summary() {
    use std::io::Write;
    let n = SKIPPED.load(Ordering::SeqCst);
    let binary = std::env::current_exe()
        .ok()
        .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .map(|s| {
            s.rsplit_once('-')
                .map_or(s.clone(), |(name, _hash)| name.to_string())
        })
        .unwrap_or_default();
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {n} test(s) of {binary}: counted as passed by libtest, each SKIP line above \
         says what is missing and how to get it ({REQUIRE_ALL}=1 fails them instead)"
    );
}

fn on_path(bin: &str) -> bool {
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|d| d.join(bin).is_file()))
        .unwrap_or(false)
}

/// The Keycloak release the tests run (scripts/setup-keycloak.sh installs it).
pub const KEYCLOAK_VERSION: &str = "26.5.6";

fn keycloak_installed() -> bool {
    let cache = std::env::var_os("OAUTHKIT_KEYCLOAK_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/oauthkit-keycloak"))
        });
    let Some(cache) = cache else { return false };
    let version =
        std::env::var("OAUTHKIT_KEYCLOAK_VERSION").unwrap_or_else(|_| KEYCLOAK_VERSION.into());
    let java = std::fs::read_to_string(cache.join("java-home")).unwrap_or_default();
    cache.join(format!("keycloak-{version}/bin/kc.sh")).exists()
        && Path::new(java.trim()).join("bin/java").exists()
}
