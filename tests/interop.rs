//! Test binary `interop`: files and records shared with other implementations (globus-sdk,
//! python-oauth2).
//!
//! One binary per part of the library (docs/ARCHITECTURE.md, "Tests"): this
//! file declares the shared helpers (`tests/support/`, reached as
//! `crate::support`) and the part's test modules, one file each in
//! `tests/interop/`.

#[macro_use]
extern crate oauthkit_test_support as support;

mod interop {
    mod globus;
    mod python_oauth2;
}
