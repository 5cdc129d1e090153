//! Generates the C header `include/oauthkit.h` from `src/capi` with cbindgen,
//! when the `capi` feature is on. Without it (every Rust dependent) this
//! script does nothing and cbindgen is not even compiled.
//!
//! The header is committed. A normal build rewrites it only when its text
//! changes (so its mtime stays put) and only warns when generation or the
//! write fails (a read-only source directory, an unparsable file while
//! editing): building the Rust library never depends on the header.
//! `scripts/check-header.sh` sets `OAUTHKIT_HEADER_STRICT=1` (failures are
//! errors) and `OAUTHKIT_HEADER_OUT=<file>` (write there instead) and
//! compares the result with the committed header.

#[cfg(feature = "capi")]
use std::{
    env, fs,
    path::{Path, PathBuf},
};

#[cfg(not(feature = "capi"))]
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
}

// The shared library's SONAME (liboauthkit.so.0) is set by
// scripts/build-capi.sh, which also makes the symlinks.
#[cfg(feature = "capi")]
fn main() {
    println!("cargo:rerun-if-changed=src/capi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-env-changed=OAUTHKIT_HEADER_OUT");
    println!("cargo:rerun-if-env-changed=OAUTHKIT_HEADER_STRICT");

    let root =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let target = env::var_os("OAUTHKIT_HEADER_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("include").join("oauthkit.h"));
    let strict = env::var_os("OAUTHKIT_HEADER_STRICT").is_some_and(|v| v == "1");

    if let Err(problem) = generate(&root).and_then(|text| write_if_changed(&target, &text)) {
        if strict {
            panic!("generating {}: {problem}", target.display());
        }
        println!("cargo:warning=oauthkit.h not regenerated: {problem}");
    }
}

#[cfg(feature = "capi")]
fn generate(root: &Path) -> Result<String, String> {
    let config =
        cbindgen::Config::from_file(root.join("cbindgen.toml")).map_err(|e| e.to_string())?;
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(root.join("src").join("capi").join("mod.rs"))
        .generate()
        .map_err(|e| e.to_string())?;
    let mut text = Vec::new();
    bindings.write(&mut text);
    String::from_utf8(text).map_err(|e| e.to_string())
}

#[cfg(feature = "capi")]
fn write_if_changed(path: &Path, text: &str) -> Result<(), String> {
    if fs::read_to_string(path).is_ok_and(|old| old == text) {
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    }
    fs::write(path, text).map_err(|e| format!("writing {}: {e}", path.display()))
}
