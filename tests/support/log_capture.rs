//! Captures what oauthkit logs (through the `log` facade) so tests can
//! check what an operator would see, and that no secret is in it.

use std::sync::{Mutex, OnceLock};

struct Capture;

static LINES: Mutex<Vec<(log::Level, String)>> = Mutex::new(Vec::new());

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        LINES
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((record.level(), record.args().to_string()));
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
    LINES
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .filter(|(l, s)| *l <= level && s.contains(needle))
        .map(|(_, s)| s.clone())
        .collect()
}

/// Everything logged so far.
pub fn all() -> String {
    LINES
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .map(|(_, s)| s.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}
