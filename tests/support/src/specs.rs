//! Store specs for the multi-process tests: the local stores this build
//! has, each in `dir`, plain and encrypted.

use std::path::Path;

/// The environment variable holding the encrypted specs' key; children
/// inherit it from the test process.
pub const KEY_ENV: &str = "OAUTHKIT_TEST_MULTIPROCESS_KEY";

/// `("file", "file:{dir}/t.json")`, `("sqlite", "sqlite:{dir}/t.db")` when
/// the `sqlite` feature is on, and an encrypted variant of each (key in
/// [`KEY_ENV`], set here when unset).
pub fn local_store_specs(dir: &Path) -> Vec<(&'static str, String)> {
    if std::env::var_os(KEY_ENV).is_none() {
        // Called first thing in a test's main, before any thread starts.
        std::env::set_var(
            KEY_ENV,
            oauthkit::store::SealingKeys::generate_key_text().expose(),
        );
    }
    let encrypted = |_: &Path| format!("?encrypt=env:{KEY_ENV}");
    let mut specs = vec![("file", format!("file:{}", dir.join("t.json").display()))];
    specs.push((
        "file+encrypted",
        format!("file:{}{}", dir.join("te.json").display(), encrypted(dir)),
    ));
    if cfg!(feature = "sqlite") {
        specs.push(("sqlite", format!("sqlite:{}", dir.join("t.db").display())));
        specs.push((
            "sqlite+encrypted",
            format!("sqlite:{}{}", dir.join("te.db").display(), encrypted(dir)),
        ));
    }
    specs
}
