//! [`SqliteStore`]: token sets in a SQLite database with globus-sdk's schema.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use serde_json::Value;

use super::file_lock::{held_key_lock, lock_key_in, reap_key_locks, FileLock};
use super::globus_format::{from_record, to_record};
use super::private_dir::{io_error, split, Access, PrivateDir};
use super::{check_key, KeyLock, TokenStore, DEFAULT_NAMESPACE};
use crate::error::{Error, Result};
use crate::token::TokenSet;

/// The schema version globus-sdk's `SQLiteTokenStorage` writes.
pub const SCHEMA_VERSION: &str = "2";

/// How long a statement waits for another connection's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Keeps token sets in a SQLite database that globus-sdk's
/// `SQLiteTokenStorage` reads and writes too:
///
/// ```sql
/// CREATE TABLE token_storage (namespace VARCHAR NOT NULL,
///     resource_server VARCHAR NOT NULL, token_data_json VARCHAR NOT NULL,
///     PRIMARY KEY (namespace, resource_server));
/// CREATE TABLE sdk_storage_adapter_internal (attribute VARCHAR NOT NULL,
///     value VARCHAR NOT NULL, PRIMARY KEY (attribute));
/// -- ('globus-sdk.database_schema_version', '2')
/// ```
///
/// `token_data_json` is a globus-sdk token record (see the JSON file store).
///
/// Where this store differs from globus-sdk, on purpose:
/// - **Safe from any thread.** One connection behind a mutex, so the store
///   is `Send + Sync`; globus-sdk's connection raises when another thread
///   uses it (globus-compute#907).
/// - **Safe across processes.** WAL journal and a busy timeout, so readers
///   never block writers and concurrent writers wait instead of failing.
/// - **Private from the start.** A new database file is created 0600.
/// - **Checked before anything changes.** A file that is not a database, a
///   schema version other than 2, or a database holding tables other than
///   globus-sdk's two is [`Error::Corrupt`]; such a file is left byte for
///   byte as it was (no WAL switch, no `-wal`/`-shm` files, no tables
///   added). Only a new or empty database gets the tables.
/// - **No links.** The database, its `-wal`, `-shm` and `-journal` files
///   and the key-lock files are never opened through a symbolic link; a
///   database readable by others is made 0600 (and reported in the log).
///
/// ```
/// use oauthkit::{store::SqliteStore, TokenSet, TokenStore};
/// let dir = tempfile::tempdir().unwrap();
/// let store = SqliteStore::open(dir.path().join("tokens.db")).unwrap();
/// store.save("api", &TokenSet::bearer("at")).unwrap();
/// assert_eq!(store.list_keys().unwrap(), vec!["api".to_string()]);
/// store.close().unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct SqliteStore {
    path: PathBuf,
    namespace: String,
    conn: Arc<Mutex<Option<Connection>>>,
    dir: Arc<PrivateDir>,
    name: std::ffi::OsString,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`, default namespace.
    ///
    /// # Errors
    ///
    /// [`Error::Corrupt`] for a file this store must not use (see above),
    /// [`Error::Io`] for a link planted at the database or its side files,
    /// [`Error::Storage`] when SQLite fails.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        if path.as_os_str().is_empty() || path.as_os_str() == ":memory:" {
            return Err(Error::InvalidArgument(
                "a SQLite token store needs a file path (use the memory store for memory)".into(),
            ));
        }
        let (dir, name) = split(&path)?;
        // SQLite refuses (SQLITE_OPEN_NOFOLLOW) a path with any link in it,
        // so it is given the directory's real path: the caller's directory
        // may be reached through links, the names in it may not.
        let real_dir =
            std::fs::canonicalize(dir.path()).map_err(|e| io_error("resolving", dir.path(), e))?;
        let db_path = real_dir.join(&name);
        for suffix in ["-wal", "-shm", "-journal"] {
            let mut side = name.clone();
            side.push(suffix);
            if dir
                .stat(&side)
                .map_err(|e| io_error("checking", &dir.join(&side), e))?
                .is_some_and(|s| s.is_symlink)
            {
                return Err(io_error(
                    "opening",
                    &dir.join(&side),
                    super::private_dir::link_refusal(),
                ));
            }
        }
        // Created here (0600, no link followed) when missing; an existing
        // file is only looked at.
        let file = dir
            .open_file(&name, Access::ReadWriteCreate)
            .map_err(|e| io_error("opening", &path, e))?;
        let mode = super::private_dir::FileStamp::of(&file)
            .map_err(|e| io_error("opening", &path, e))?
            .mode;
        check_database(&db_path, &path)?;
        if mode & 0o077 != 0 {
            tighten(&file, &path, mode)?;
        }
        drop(file);
        // Side files left by an earlier run keep their own mode.
        for suffix in ["-wal", "-shm"] {
            let mut side = name.clone();
            side.push(suffix);
            let side_path = dir.join(&side);
            let loose = dir
                .stat(&side)
                .map_err(|e| io_error("checking", &side_path, e))?
                .filter(|s| s.mode & 0o077 != 0);
            if let Some(s) = loose {
                let f = dir
                    .open_file(&side, Access::ReadWriteCreate)
                    .map_err(|e| io_error("opening", &side_path, e))?;
                tighten(&f, &side_path, s.mode)?;
            }
        }
        let conn = Connection::open_with_flags(
            &db_path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_NOFOLLOW,
        )
        .map_err(|e| db_error(&path, "opening", e))?;
        let store = SqliteStore {
            path,
            namespace: DEFAULT_NAMESPACE.to_owned(),
            conn: Arc::new(Mutex::new(Some(conn))),
            dir: Arc::new(dir),
            name,
        };
        store.prepare()?;
        if let Err(e) = reap_key_locks(&store.dir, &store.name) {
            log::warn!(
                "oauthkit: could not remove unused key locks of {}: {e}",
                store.path.display()
            );
        }
        Ok(store)
    }

    /// A handle on another namespace of the same database (same connection).
    pub fn in_namespace(&self, namespace: impl Into<String>) -> Self {
        let namespace = namespace.into();
        SqliteStore {
            namespace,
            ..self.clone()
        }
    }

    /// The database file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Closes the connection (for every handle sharing it). Later calls fail
    /// with [`Error::InvalidArgument`].
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] when SQLite fails to close the connection (it is
    /// dropped all the same). Closing a closed store is `Ok`.
    pub fn close(&self) -> Result<()> {
        if let Some(conn) = self.lock().take() {
            conn.close()
                .map_err(|(_, e)| db_error(&self.path, "closing", e))?;
        }
        Ok(())
    }

    fn lock(&self) -> MutexGuard<'_, Option<Connection>> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn with_conn<R>(&self, f: impl FnOnce(&mut Connection) -> rusqlite::Result<R>) -> Result<R> {
        let mut guard = self.lock();
        let conn = guard
            .as_mut()
            .ok_or_else(|| Error::InvalidArgument("the SQLite store was closed".into()))?;
        f(conn).map_err(|e| db_error(&self.path, "querying", e))
    }

    /// Runs `write` in an immediate transaction after checking there that
    /// `held` is still the key's lock; nothing is written when it is not.
    fn fenced_write(
        &self,
        held: &FileLock,
        action: &'static str,
        write: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<usize>,
    ) -> Result<usize> {
        let mut lost = None;
        let n = self.with_conn(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            if let Err(e) = held.check_held(action) {
                lost = Some(e);
                return Ok(0); // the transaction rolls back when dropped
            }
            let n = write(&tx)?;
            tx.commit()?;
            Ok(n)
        })?;
        match lost {
            Some(e) => Err(e),
            None => Ok(n),
        }
    }

    /// Creates the tables in a new or empty database (checked again inside
    /// the write transaction, in case another process changed the file
    /// since [`check_database`]), then switches to WAL.
    fn prepare(&self) -> Result<()> {
        let verdict = self.with_conn(|c| {
            c.busy_timeout(BUSY_TIMEOUT)?;
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let verdict = judge(&tx)?;
            if verdict.is_ok() {
                tx.execute_batch(
                    "CREATE TABLE IF NOT EXISTS token_storage (
                        namespace VARCHAR NOT NULL,
                        resource_server VARCHAR NOT NULL,
                        token_data_json VARCHAR NOT NULL,
                        PRIMARY KEY (namespace, resource_server));
                     CREATE TABLE IF NOT EXISTS sdk_storage_adapter_internal (
                        attribute VARCHAR NOT NULL,
                        value VARCHAR NOT NULL,
                        PRIMARY KEY (attribute));",
                )?;
                tx.execute(
                    "INSERT OR IGNORE INTO sdk_storage_adapter_internal (attribute, value)
                     VALUES ('globus-sdk.database_schema_version', ?1)",
                    [SCHEMA_VERSION],
                )?;
                tx.commit()?;
                c.pragma_update(None, "journal_mode", "WAL")?;
                c.pragma_update(None, "synchronous", "NORMAL")?;
            }
            Ok(verdict)
        })?;
        verdict.map_err(|why| Error::corrupt(self.path.display().to_string(), why))
    }

    fn parse(&self, key: &str, json: &str) -> Result<TokenSet> {
        let location = || format!("{} ({}/{key})", self.path.display(), self.namespace);
        let value: Value = serde_json::from_str(json)
            .map_err(|e| Error::corrupt(location(), crate::token::json_error(&e)))?;
        from_record(key, &value).map_err(|m| Error::corrupt(location(), m))
    }
}

/// Looks at an existing database through a read-only connection, which
/// writes nothing (no WAL switch, no journal, no checkpoint on close), and
/// refuses what this store must not use.
fn check_database(db_path: &Path, shown: &Path) -> Result<()> {
    let location = || shown.display().to_string();
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_NOFOLLOW;
    let side_file = |suffix: &str| {
        let mut p = db_path.as_os_str().to_owned();
        p.push(suffix);
        std::fs::symlink_metadata(p).is_ok()
    };
    // Even a read-only connection creates (and leaves) -wal and -shm files
    // for a database in WAL mode. With no -wal or -journal file the whole
    // database is in the main file, so it is read as immutable: no locks,
    // no side files. Otherwise another program has it open and the side
    // files exist already.
    let conn = match url::Url::from_file_path(db_path) {
        Ok(mut uri) if !side_file("-wal") && !side_file("-journal") => {
            uri.set_query(Some("immutable=1"));
            Connection::open_with_flags(uri.as_str(), flags | OpenFlags::SQLITE_OPEN_URI)
        }
        _ => Connection::open_with_flags(db_path, flags),
    }
    .map_err(|e| db_error(shown, "opening", e))?;
    let verdict = conn.busy_timeout(BUSY_TIMEOUT).and_then(|()| judge(&conn));
    let _ = conn.close();
    match verdict {
        Ok(Ok(())) => Ok(()),
        Ok(Err(why)) => Err(Error::corrupt(location(), why)),
        Err(e) if is_not_a_database(&e) => Err(Error::corrupt(
            location(),
            "the file is not a SQLite database",
        )),
        Err(e) => Err(db_error(shown, "reading", e)),
    }
}

fn is_not_a_database(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::NotADatabase)
}

/// `Ok(Err(why))` when the database holds anything but globus-sdk's tables
/// at schema version 2; `Ok(Ok(()))` for such a database or an empty one.
fn judge(conn: &Connection) -> rusqlite::Result<std::result::Result<(), String>> {
    const OURS: [&str; 2] = ["token_storage", "sdk_storage_adapter_internal"];
    let mut st = conn.prepare(
        "SELECT type, name FROM sqlite_master
         WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
    )?;
    let objects: Vec<(String, String)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let foreign: Vec<&str> = objects
        .iter()
        .filter(|(kind, name)| !(kind == "table" && OURS.contains(&name.as_str())))
        .map(|(_, name)| name.as_str())
        .collect();
    if !foreign.is_empty() {
        let mut names = foreign[..foreign.len().min(5)].join(", ");
        if foreign.len() > 5 {
            names.push_str(", ...");
        }
        return Ok(Err(format!(
            "the database holds other tables or objects ({names}); oauthkit keeps tokens only \
             in a database of its own and adds nothing to this one"
        )));
    }
    if !objects
        .iter()
        .any(|(_, n)| n == "sdk_storage_adapter_internal")
    {
        return Ok(Ok(()));
    }
    let version: Option<String> = conn
        .query_row(
            "SELECT value FROM sdk_storage_adapter_internal
             WHERE attribute = 'globus-sdk.database_schema_version'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    Ok(match version {
        None => Ok(()),
        Some(v) if v == SCHEMA_VERSION => Ok(()),
        Some(v) => Err(format!(
            "database schema version {v}; this store reads version {SCHEMA_VERSION}"
        )),
    })
}

/// Makes a database others can read 0600 (its -wal and -shm files take the
/// database's mode when SQLite creates them) and says so.
fn tighten(file: &std::fs::File, path: &Path, mode: u32) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| io_error("restricting", path, e))?;
        log::warn!(
            "oauthkit: the token database {} was readable or writable by others (mode {mode:o}); \
             it is 0600 now",
            path.display()
        );
    }
    #[cfg(not(unix))]
    let _ = (file, path, mode);
    Ok(())
}

fn db_error(path: &Path, doing: &str, e: rusqlite::Error) -> Error {
    Error::storage("sqlite", format!("{doing} {}", path.display()), e)
}

impl TokenStore for SqliteStore {
    fn save(&self, key: &str, tokens: &TokenSet) -> Result<()> {
        check_key("key", key)?;
        super::refuse_dpop_key("sqlite", key, tokens)?;
        check_key("namespace", &self.namespace)?;
        let json = to_record(key, tokens).to_string();
        self.with_conn(|c| {
            c.execute(
                "REPLACE INTO token_storage (namespace, resource_server, token_data_json)
                 VALUES (?1, ?2, ?3)",
                params![self.namespace, key, json],
            )
        })?;
        Ok(())
    }

    fn load(&self, key: &str) -> Result<Option<TokenSet>> {
        check_key("key", key)?;
        let json: Option<String> = self.with_conn(|c| {
            c.query_row(
                "SELECT token_data_json FROM token_storage
                 WHERE namespace = ?1 AND resource_server = ?2",
                params![self.namespace, key],
                |r| r.get(0),
            )
            .optional()
        })?;
        json.map(|j| self.parse(key, &j)).transpose()
    }

    fn delete(&self, key: &str) -> Result<bool> {
        check_key("key", key)?;
        let n = self.with_conn(|c| {
            c.execute(
                "DELETE FROM token_storage WHERE namespace = ?1 AND resource_server = ?2",
                params![self.namespace, key],
            )
        })?;
        Ok(n > 0)
    }

    fn exists(&self, key: &str) -> Result<bool> {
        check_key("key", key)?;
        self.with_conn(|c| {
            c.query_row(
                "SELECT EXISTS(SELECT 1 FROM token_storage
                 WHERE namespace = ?1 AND resource_server = ?2)",
                params![self.namespace, key],
                |r| r.get(0),
            )
        })
    }

    fn list_keys(&self) -> Result<Vec<String>> {
        self.with_conn(|c| {
            let mut st = c.prepare(
                "SELECT resource_server FROM token_storage WHERE namespace = ?1
                 ORDER BY resource_server",
            )?;
            let keys = st.query_map([&self.namespace], |r| r.get(0))?;
            keys.collect()
        })
    }

    fn namespace(&self) -> &str {
        &self.namespace
    }

    fn namespaces(&self) -> Result<Vec<String>> {
        self.with_conn(|c| {
            let mut st =
                c.prepare("SELECT DISTINCT namespace FROM token_storage ORDER BY namespace")?;
            let names = st.query_map([], |r| r.get(0))?;
            names.collect()
        })
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn load_all(&self) -> Result<BTreeMap<String, TokenSet>> {
        let rows: Vec<(String, String)> = self.with_conn(|c| {
            let mut st = c.prepare(
                "SELECT resource_server, token_data_json FROM token_storage WHERE namespace = ?1",
            )?;
            let rows = st.query_map([&self.namespace], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        })?;
        rows.into_iter()
            .map(|(k, j)| self.parse(&k, &j).map(|t| (k, t)))
            .collect()
    }

    fn save_all(&self, tokens: &BTreeMap<String, TokenSet>) -> Result<()> {
        check_key("namespace", &self.namespace)?;
        super::refuse_dpop_keys("sqlite", tokens)?;
        for key in tokens.keys() {
            check_key("key", key)?;
        }
        self.with_conn(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            {
                let mut st = tx.prepare(
                    "REPLACE INTO token_storage (namespace, resource_server, token_data_json)
                     VALUES (?1, ?2, ?3)",
                )?;
                for (key, t) in tokens {
                    st.execute(params![self.namespace, key, to_record(key, t).to_string()])?;
                }
            }
            tx.commit()
        })
    }

    /// Checks inside the write transaction (which holds SQLite's write
    /// lock) that the key's lock file is still the one held, then saves.
    fn save_locked(&self, key: &str, tokens: &TokenSet, lock: &KeyLock) -> Result<()> {
        check_key("key", key)?;
        super::refuse_dpop_key("sqlite", key, tokens)?;
        check_key("namespace", &self.namespace)?;
        let held = held_key_lock(lock, &self.dir, &self.name, &self.namespace, key)?;
        let json = to_record(key, tokens).to_string();
        self.fenced_write(held, "saving tokens", |tx| {
            tx.execute(
                "REPLACE INTO token_storage (namespace, resource_server, token_data_json)
                 VALUES (?1, ?2, ?3)",
                params![self.namespace, key, json],
            )
        })?;
        Ok(())
    }

    fn delete_locked(&self, key: &str, lock: &KeyLock) -> Result<bool> {
        check_key("key", key)?;
        let held = held_key_lock(lock, &self.dir, &self.name, &self.namespace, key)?;
        let n = self.fenced_write(held, "deleting tokens", |tx| {
            tx.execute(
                "DELETE FROM token_storage WHERE namespace = ?1 AND resource_server = ?2",
                params![self.namespace, key],
            )
        })?;
        Ok(n > 0)
    }

    fn lock_key(&self, key: &str, timeout: Duration) -> Result<KeyLock> {
        check_key("key", key)?;
        Ok(KeyLock::fenced(lock_key_in(
            &self.dir,
            &self.name,
            &self.namespace,
            key,
            timeout,
        )?))
    }
}
