//! Captures what oauthkit logs (through the `log` facade) so tests can
//! check what an operator would see, and that no secret is in it.

use std::sync::{Mutex, OnceLock};

struct Capture;

/// (level, target, message) of every record.
static RECORDS: Mutex<Vec<(log::Level, String, String)>> = Mutex::new(Vec::new());

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        RECORDS.lock().unwrap_or_else(|p| p.into_inner()).push((
            record.level(),
            record.target().to_string(),
            record.args().to_string(),
        ));
    }
    fn flush(&self) {}
}

/// Installs the capturing logger (once per test binary).
pub fn install() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        log::set_logger(&Capture).expect("no other logger in this test binary");
        log::set_max_level(log::LevelFilter::Trace);
    });
}

/// Every line logged so far at `level` or more severe that contains
/// `needle` (tests run in parallel: pick a needle unique to the test, such
/// as its temporary directory).
pub fn lines_with(level: log::Level, needle: &str) -> Vec<String> {
    RECORDS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .filter(|(l, _, s)| *l <= level && s.contains(needle))
        .map(|(_, _, s)| s.clone())
        .collect()
}

/// The targets of the records containing `needle` (docs/logging.md names
/// the targets an operator filters on).
#[allow(dead_code)]
pub fn targets_with(needle: &str) -> Vec<String> {
    RECORDS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .filter(|(_, _, s)| s.contains(needle))
        .map(|(_, t, _)| t.clone())
        .collect()
}

/// Everything logged so far.
pub fn all() -> String {
    matching(|_, _| true)
}

/// Everything logged so far by oauthkit itself (targets `oauthkit::...`).
#[allow(dead_code)]
pub fn oauthkit_records() -> String {
    matching(|_, target| target == "oauthkit" || target.starts_with("oauthkit::"))
}

/// Everything any crate logged so far at `level` or more severe.
#[allow(dead_code)]
pub fn at_least(level: log::Level) -> String {
    matching(|l, _| l <= level)
}

fn matching(keep: impl Fn(log::Level, &str) -> bool) -> String {
    RECORDS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .filter(|(l, t, _)| keep(*l, t))
        .map(|(l, t, s)| format!("{l} {t}: {s}"))
        .collect::<Vec<_>>()
        .join("\n")
}
