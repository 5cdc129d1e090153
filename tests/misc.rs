//! Test binary `misc`: error messages, the log (a capturing logger for the whole binary),
//! terminal text, and the fuzz regressions replayed.
//!
//! One binary per part of the library (docs/ARCHITECTURE.md, "Tests"): this
//! file declares the shared helpers (`tests/support/`, reached as
//! `crate::support`) and the part's test modules, one file each in
//! `tests/misc/`.

extern crate oauthkit_test_support as support;

mod misc {
    mod error_messages;
    #[cfg(feature = "fuzzing")]
    mod fuzz_regressions;
    #[cfg(feature = "dev-provider")]
    mod logging;
    mod terminal_text_safety;
}
