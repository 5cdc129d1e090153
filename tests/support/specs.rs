//! Store specs for the multi-process tests: the local stores this build
//! has, each in `dir`.

use std::path::Path;

/// `("file", "file:{dir}/t.json")`, and `("sqlite", "sqlite:{dir}/t.db")`
/// when the `sqlite` feature is on.
pub fn local_store_specs(dir: &Path) -> Vec<(&'static str, String)> {
    let mut specs = vec![("file", format!("file:{}", dir.join("t.json").display()))];
    if cfg!(feature = "sqlite") {
        specs.push(("sqlite", format!("sqlite:{}", dir.join("t.db").display())));
    }
    specs
}
