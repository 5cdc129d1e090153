//! Hostile: what a crash leaves behind. A writer killed between writing its
//! temporary file and renaming it leaves a complete copy of every token;
//! per-key lock files would pile up one per key ever locked. Neither may
//! outlive the next open or save, and removing lock files must never let
//! two holders in at once (`tests/multiprocess.rs` checks that across
//! processes).

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use oauthkit::store::JsonFileStore;
use oauthkit::{ErrorKind, TokenSet, TokenStore};

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// A temporary file as a writer killed mid-write leaves it: the whole new
/// document, tokens included.
fn plant_crash_copy(store: &Path, pid: u32, random: u64) -> PathBuf {
    let name = store.file_name().unwrap().to_string_lossy();
    let tmp = store
        .parent()
        .unwrap()
        .join(format!(".{name}.tmp-{pid}-{random:016x}"));
    fs::write(
        &tmp,
        br#"{"data": {"DEFAULT": {"signed-out": {"access_token": "DELETED-SECRET"}}}, "format_version": "2.0"}"#,
    )
    .unwrap();
    tmp
}

#[test]
fn a_crash_copy_is_removed_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    let copies = [
        plant_crash_copy(&path, 4242, 0x0123_4567_89ab_cdef),
        plant_crash_copy(&path, 1, u64::MAX),
    ];
    let s = JsonFileStore::open(&path).unwrap();
    for c in &copies {
        assert!(!c.exists(), "{} outlived open", c.display());
    }
    assert!(s.list_keys().unwrap().is_empty());
}

#[test]
fn a_crash_copy_is_removed_on_save_and_delete() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    let s = JsonFileStore::open(&path).unwrap();
    let copy = plant_crash_copy(&path, 77, 42);
    s.save("k", &TokenSet::bearer("a")).unwrap();
    assert!(!copy.exists(), "outlived a save");
    let copy = plant_crash_copy(&path, 78, 43);
    assert!(s.delete("k").unwrap());
    assert!(!copy.exists(), "outlived a delete (a sign-out)");
}

#[test]
fn only_this_files_temporaries_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    // Another store's temporaries and files that merely look alike.
    let keep = [
        ".tokens.json.tmp-",
        ".tokens.json.tmp-12-xyz",
        ".tokens.json.tmp-12-0123456789abcdef0",
        ".tokens.json.tmp-1-x.tmp-1-0123456789abcdef",
        ".tokens.json.bak.tmp-1-0123456789abcdef",
        "tokens.json.tmp-1-0123456789abcdef",
        ".other.json.tmp-1-0123456789abcdef",
    ];
    for k in keep {
        fs::write(dir.path().join(k), b"x").unwrap();
    }
    let s = JsonFileStore::open(&path).unwrap();
    s.save("k", &TokenSet::bearer("a")).unwrap();
    for k in keep {
        assert!(dir.path().join(k).exists(), "{k} was removed");
    }
}

#[test]
fn key_lock_files_do_not_pile_up() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    let s = JsonFileStore::open(&path).unwrap();
    for i in 0..200 {
        let _lock = s
            .lock_key(&format!("user-{i}"), Duration::from_secs(1))
            .unwrap();
    }
    let locks = dir.path().join("tokens.json.locks");
    assert_eq!(names_in(&locks), Vec::<String>::new());
}

#[test]
fn unheld_key_lock_files_left_by_a_crash_are_removed_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    let locks = dir.path().join("tokens.json.locks");
    fs::create_dir(&locks).unwrap();
    for i in 0..50 {
        fs::write(locks.join(format!("{i:024x}.lock")), b"").unwrap();
    }
    fs::write(locks.join("not-a-lock-file"), b"keep").unwrap();
    let _s = JsonFileStore::open(&path).unwrap();
    assert_eq!(names_in(&locks), vec!["not-a-lock-file".to_string()]);
}

#[test]
fn a_held_key_lock_survives_another_open_and_still_excludes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    let s = JsonFileStore::open(&path).unwrap();
    let held = s.lock_key("alice", Duration::from_secs(1)).unwrap();
    let other = JsonFileStore::open(&path).unwrap();
    assert_eq!(names_in(&dir.path().join("tokens.json.locks")).len(), 1);
    let err = other
        .lock_key("alice", Duration::from_millis(100))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LockTimeout);
    drop(held);
    assert!(other.lock_key("alice", Duration::from_secs(1)).is_ok());
}

#[test]
fn threads_waiting_on_a_key_lock_that_is_removed_never_overlap() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    // Separate opens: separate handles, as separate libraries would have.
    let stores: Vec<JsonFileStore> = (0..6)
        .map(|_| JsonFileStore::open(&path).unwrap())
        .collect();
    let inside = Arc::new(AtomicUsize::new(0));
    let entries = Arc::new(AtomicUsize::new(0));
    std::thread::scope(|scope| {
        for s in &stores {
            let (inside, entries) = (inside.clone(), entries.clone());
            scope.spawn(move || {
                for _ in 0..100 {
                    let _lock = s.lock_key("shared", Duration::from_secs(30)).unwrap();
                    assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0, "two holders");
                    entries.fetch_add(1, Ordering::SeqCst);
                    std::thread::yield_now();
                    inside.fetch_sub(1, Ordering::SeqCst);
                }
            });
        }
        // Meanwhile, stores opened again and again sweep the lock directory.
        scope.spawn(|| {
            for _ in 0..50 {
                let _ = JsonFileStore::open(&path).unwrap();
            }
        });
    });
    assert_eq!(entries.load(Ordering::SeqCst), 600);
}

#[cfg(feature = "sqlite")]
#[test]
fn sqlite_key_lock_files_do_not_pile_up() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.db");
    let s = oauthkit::store::SqliteStore::open(&path).unwrap();
    for i in 0..50 {
        let _lock = s
            .lock_key(&format!("user-{i}"), Duration::from_secs(1))
            .unwrap();
    }
    assert_eq!(
        names_in(&dir.path().join("tokens.db.locks")),
        Vec::<String>::new()
    );
}

/// A logout (the key locked, its tokens deleted, the lock released) that
/// deletes the last token leaves only the token file the user named: no
/// `.lock` file, no line of waiters, no per-key lock folder.
#[test]
fn a_logout_of_the_last_token_leaves_nothing_but_the_token_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    let s = JsonFileStore::open(&path).unwrap();
    s.save("alice", &TokenSet::bearer("AT-1")).unwrap();
    s.save("bob", &TokenSet::bearer("AT-2")).unwrap();
    for key in ["alice", "bob"] {
        let lock = s.lock_key(key, Duration::from_secs(5)).unwrap();
        assert!(s.delete(key).unwrap());
        drop(lock);
    }
    assert_eq!(names_in(dir.path()), ["tokens.json"]);
    assert!(s.list_keys().unwrap().is_empty());
    // A save and a key lock after that work as before.
    s.save("carol", &TokenSet::bearer("AT-3")).unwrap();
    drop(s.lock_key("carol", Duration::from_secs(5)).unwrap());
    assert_eq!(names_in(dir.path()), ["tokens.json"]);
}

/// A folder holding anything else is never removed.
#[test]
fn the_key_lock_folder_is_kept_while_it_holds_other_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    let s = JsonFileStore::open(&path).unwrap();
    s.save("alice", &TokenSet::bearer("AT-1")).unwrap();
    let lock = s.lock_key("alice", Duration::from_secs(5)).unwrap();
    let note = dir.path().join("tokens.json.locks").join("notes.txt");
    fs::write(&note, b"mine").unwrap();
    assert!(s.delete("alice").unwrap());
    drop(lock);
    assert_eq!(fs::read(&note).unwrap(), b"mine");
    assert_eq!(names_in(dir.path()), ["tokens.json", "tokens.json.locks"]);
}

/// Threads that save, lock and delete at once never fail or lose a save
/// while the lock files and folders come and go under them.
#[test]
fn removing_lock_files_and_folders_races_safely_with_savers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    let s = JsonFileStore::open(&path).unwrap();
    std::thread::scope(|scope| {
        for t in 0..6 {
            let s = &s;
            scope.spawn(move || {
                for i in 0..40 {
                    let key = format!("t{t}");
                    let lock = s.lock_key(&key, Duration::from_secs(30)).unwrap();
                    s.save(&key, &TokenSet::bearer(format!("AT-{t}-{i}")))
                        .unwrap();
                    if i % 2 == 0 {
                        assert!(s.delete(&key).unwrap());
                    }
                    drop(lock);
                }
            });
        }
    });
    // Each thread's last round (i = 39) saved and kept its token.
    for t in 0..6 {
        let got = s.load(&format!("t{t}")).unwrap().expect("kept");
        assert_eq!(got.access_token.expose(), format!("AT-{t}-39"));
    }
    for t in 0..6 {
        assert!(s.delete(&format!("t{t}")).unwrap());
    }
    assert_eq!(names_in(dir.path()), ["tokens.json"]);
}
