//! Replays every committed fuzz input through the fuzz targets' entry
//! points (`fuzz/src/`, the fuzz crate's library, compiled into this test
//! from the same files), so the inputs that once crashed a target
//! (`fuzz/regressions/{target}/`) and the seed corpus
//! (`fuzz/corpus/{target}/`) are checked by a plain `cargo test`, without
//! cargo-fuzz or a nightly compiler. See docs/fuzzing.md.

use std::fs;
use std::path::{Path, PathBuf};

// The fuzz crate is a separate cargo project (libFuzzer, its own
// workspace); its entry points use oauthkit's public API (plus
// `oauthkit::__fuzz`), so they compile here as a module too.
#[path = "../../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod oauthkit_fuzz;

use oauthkit_fuzz::TARGETS;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The files of `dir`, sorted; none when it does not exist.
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("a readable directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Runs `target` on every file; returns the files it failed on.
fn replay(name: &str, target: fn(&[u8]), files: &[PathBuf]) -> Vec<String> {
    let mut failed = Vec::new();
    for file in files {
        let data = fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        if std::panic::catch_unwind(|| target(&data)).is_err() {
            failed.push(format!("{name}: {}", file.display()));
        }
    }
    failed
}

/// Fails naming every input that failed (not only the first).
fn assert_none_failed(failed: &[String]) {
    assert!(
        failed.is_empty(),
        "fuzz targets fail on {} input(s) (their panics are printed above):\n{}",
        failed.len(),
        failed.join("\n")
    );
}

#[test]
fn every_target_has_a_fuzz_target_file_and_a_seed_corpus() {
    for (name, _) in TARGETS {
        let target = root().join("fuzz_targets").join(format!("{name}.rs"));
        assert!(target.is_file(), "{} is missing", target.display());
        let seeds = inputs(&root().join("corpus").join(name));
        assert!(
            seeds.len() >= 3,
            "fuzz/corpus/{name} has {} seed files; give it realistic inputs",
            seeds.len()
        );
    }
}

#[test]
fn regressions_and_no_unknown_targets() {
    let dir = root().join("regressions");
    let mut failed = Vec::new();
    for entry in fs::read_dir(&dir).expect("fuzz/regressions exists") {
        let path = entry.expect("a readable directory entry").path();
        if !path.is_dir() {
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let (_, target) = TARGETS
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("fuzz/regressions/{name} names no fuzz target"));
        failed.extend(replay(&name, *target, &inputs(&path)));
    }
    assert_none_failed(&failed);
}

#[test]
fn seed_corpus() {
    let mut failed = Vec::new();
    for (name, target) in TARGETS {
        failed.extend(replay(
            name,
            *target,
            &inputs(&root().join("corpus").join(name)),
        ));
    }
    assert_none_failed(&failed);
}
