//! Hostile: someone plants symbolic links (or other odd files) where the
//! file stores keep their data, lock, gate, key-lock, quarantine and SQLite
//! side files. The file a link points at (the victim) must stay exactly as
//! it was, nothing may be created through a dangling link, and the store
//! answers with a typed error instead.
#![cfg(unix)]

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::time::Duration;

use oauthkit::store::JsonFileStore;
use oauthkit::{Error, ErrorKind, TokenSet, TokenStore};
use tempfile::TempDir;

/// A victim file outside the store's directory, and a victim path that does
/// not exist yet (a dangling link must not create it).
struct Victims {
    _dir: TempDir,
    file: PathBuf,
    missing: PathBuf,
    content: Vec<u8>,
}

fn victims() -> Victims {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("victim");
    let content = b"precious data that is not a token file\n".to_vec();
    fs::write(&file, &content).unwrap();
    Victims {
        missing: dir.path().join("created-through-a-link"),
        file,
        content,
        _dir: dir,
    }
}

impl Victims {
    fn assert_untouched(&self, what: &str) {
        assert_eq!(
            fs::read(&self.file).unwrap(),
            self.content,
            "{what}: the victim changed"
        );
        assert!(
            !self.missing.exists(),
            "{what}: a file was created through a dangling link"
        );
    }
}

fn assert_refused(what: &str, result: Result<impl std::fmt::Debug, Error>) {
    let err = result.expect_err(what);
    assert_eq!(err.kind(), ErrorKind::Io, "{what}: {err}");
    assert!(
        err.to_string().contains("symbolic link"),
        "{what}: the error should say why: {err}"
    );
}

fn json_store() -> (JsonFileStore, TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = JsonFileStore::open(dir.path().join("tokens.json")).unwrap();
    (store, dir)
}

fn beside(store_path: &Path, suffix: &str) -> PathBuf {
    let mut p = store_path.as_os_str().to_owned();
    p.push(suffix);
    PathBuf::from(p)
}

#[test]
fn a_link_planted_as_the_token_file_is_never_followed() {
    for dangling in [false, true] {
        let v = victims();
        let (s, _d) = json_store();
        let target = if dangling { &v.missing } else { &v.file };
        symlink(target, s.path()).unwrap();
        assert_refused("load", s.load("k"));
        assert_refused("list_keys", s.list_keys());
        assert_refused("save", s.save("k", &TokenSet::bearer("SECRET-AT")));
        assert_refused("delete", s.delete("k"));
        v.assert_untouched("token file link");
        assert!(fs::symlink_metadata(s.path())
            .unwrap()
            .file_type()
            .is_symlink());
    }
}

#[test]
fn links_planted_as_the_lock_file_and_the_line_directory_are_never_followed() {
    for suffix in [".lock", ".lock.line"] {
        for dangling in [false, true] {
            let v = victims();
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("tokens.json");
            let target = if dangling { &v.missing } else { &v.file };
            symlink(target, beside(&path, suffix)).unwrap();
            let s = JsonFileStore::open(&path).unwrap();
            assert_refused(suffix, s.save("k", &TokenSet::bearer("SECRET-AT")));
            assert_refused(suffix, s.delete("k"));
            assert_refused(suffix, s.quarantine());
            v.assert_untouched(suffix);
            assert!(!path.exists(), "{suffix}: nothing was saved");
        }
    }
}

#[test]
fn a_link_planted_as_the_key_lock_directory_is_never_followed() {
    let victim_dir = tempfile::tempdir().unwrap();
    let (s, _d) = json_store();
    symlink(victim_dir.path(), beside(s.path(), ".locks")).unwrap();
    assert_refused("lock_key", s.lock_key("k", Duration::from_secs(1)));
    assert_eq!(
        fs::read_dir(victim_dir.path()).unwrap().count(),
        0,
        "a lock file was created in the victim directory"
    );
    // A store opened on it later does not follow it either.
    let again = JsonFileStore::open(s.path()).unwrap();
    assert_refused("lock_key", again.lock_key("k", Duration::from_secs(1)));
}

#[test]
fn a_link_planted_as_a_key_lock_file_is_never_followed() {
    for dangling in [false, true] {
        let v = victims();
        let (s, _d) = json_store();
        let locks = beside(s.path(), ".locks");
        // Learn the lock file's name while holding it.
        let held = s.lock_key("alice", Duration::from_secs(1)).unwrap();
        let name = fs::read_dir(&locks)
            .unwrap()
            .next()
            .expect("a lock file while held")
            .unwrap()
            .file_name();
        drop(held);
        // The empty folder went with the lock; the attacker makes it again.
        fs::create_dir_all(&locks).unwrap();
        let target = if dangling { &v.missing } else { &v.file };
        symlink(target, locks.join(&name)).unwrap();
        assert_refused("lock_key", s.lock_key("alice", Duration::from_secs(1)));
        v.assert_untouched("key lock file link");
        // Opening the store again leaves the link (and the victim) alone too.
        let _ = JsonFileStore::open(s.path()).unwrap();
        v.assert_untouched("key lock file link, reopened");
    }
}

#[test]
fn a_link_planted_at_the_quarantine_name_is_never_followed_or_replaced() {
    let v = victims();
    let (s, _d) = json_store();
    fs::write(s.path(), b"not json").unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // Every name the next few seconds could give.
    for t in now..now + 5 {
        symlink(&v.file, beside(s.path(), &format!(".corrupt-{t}"))).unwrap();
    }
    assert_refused("quarantine", s.quarantine());
    v.assert_untouched("quarantine link");
    assert_eq!(fs::read(s.path()).unwrap(), b"not json", "the file stays");
}

#[test]
fn a_fifo_or_directory_planted_as_the_token_file_is_an_error_not_a_hang() {
    let (s, _d) = json_store();
    let status = std::process::Command::new("mkfifo")
        .arg(s.path())
        .status()
        .expect("mkfifo (coreutils) is needed");
    assert!(status.success());
    assert!(s.load("k").is_err());
    assert!(s.save("k", &TokenSet::bearer("a")).is_err());
    let (s, _d) = json_store();
    fs::create_dir(s.path()).unwrap();
    assert!(s.load("k").is_err());
    assert!(s.save("k", &TokenSet::bearer("a")).is_err());
}

#[test]
fn no_secret_reaches_the_victim_or_the_error() {
    let v = victims();
    let (s, _d) = json_store();
    // Replaced after the store opened (and created) it.
    let _ = fs::remove_file(beside(s.path(), ".lock"));
    symlink(&v.file, beside(s.path(), ".lock")).unwrap();
    let err = s.save("k", &TokenSet::bearer("SECRET-AT")).unwrap_err();
    assert!(!err.to_string().contains("SECRET-AT"));
    assert!(!String::from_utf8_lossy(&fs::read(&v.file).unwrap()).contains("SECRET-AT"));
}

#[cfg(feature = "sqlite")]
mod sqlite {
    use super::*;
    use oauthkit::store::SqliteStore;

    /// A victim that is itself a SQLite database with a table of its own.
    fn victim_db(dir: &Path) -> (PathBuf, Vec<u8>) {
        let path = dir.join("victim.db");
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch("CREATE TABLE precious (x); INSERT INTO precious VALUES (1);")
            .unwrap();
        drop(c);
        let bytes = fs::read(&path).unwrap();
        (path, bytes)
    }

    #[test]
    fn a_link_planted_as_the_database_is_never_followed() {
        let vdir = tempfile::tempdir().unwrap();
        let (victim, bytes) = victim_db(vdir.path());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.db");
        symlink(&victim, &path).unwrap();
        assert_refused("open", SqliteStore::open(&path));
        assert_eq!(fs::read(&victim).unwrap(), bytes);
        let names: Vec<_> = fs::read_dir(vdir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "no -wal/-shm beside the victim");
        // A dangling one creates nothing.
        let dangling = dir.path().join("other.db");
        symlink(vdir.path().join("new.db"), &dangling).unwrap();
        assert_refused("open", SqliteStore::open(&dangling));
        assert!(!vdir.path().join("new.db").exists());
    }

    #[test]
    fn links_planted_as_the_side_files_are_never_followed() {
        for suffix in ["-wal", "-shm", "-journal"] {
            let v = victims();
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("tokens.db");
            // An existing store, closed, then the link appears.
            let s = SqliteStore::open(&path).unwrap();
            s.save("k", &TokenSet::bearer("a")).unwrap();
            s.close().unwrap();
            symlink(&v.file, beside(&path, suffix)).unwrap();
            assert_refused(suffix, SqliteStore::open(&path));
            v.assert_untouched(suffix);
            // And on a new database.
            let fresh = dir.path().join("fresh.db");
            symlink(&v.missing, beside(&fresh, suffix)).unwrap();
            assert_refused(suffix, SqliteStore::open(&fresh));
            v.assert_untouched(suffix);
        }
    }

    #[test]
    fn the_key_lock_directory_of_a_database_is_never_followed() {
        let victim_dir = tempfile::tempdir().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.db");
        symlink(victim_dir.path(), beside(&path, ".locks")).unwrap();
        let s = SqliteStore::open(&path).unwrap();
        assert_refused("lock_key", s.lock_key("k", Duration::from_secs(1)));
        assert_eq!(fs::read_dir(victim_dir.path()).unwrap().count(), 0);
    }
}
