//! Test binary `command_line`: the `oauthkit` command line, run as a child process.
//!
//! One binary per part of the library (docs/ARCHITECTURE.md, "Tests"): this
//! file declares the shared helpers (`tests/support/`, reached as
//! `crate::support`) and the part's test modules, one file each in
//! `tests/command_line/`.

#[macro_use]
extern crate oauthkit_test_support as support;

mod command_line {
    #[cfg(feature = "dev-provider")]
    mod commands;
    mod grants;
    mod output_safety;
    mod store_spec;
}
