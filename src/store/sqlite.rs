//! [`SqliteStore`]: token sets in a SQLite database with globus-sdk's schema.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use serde_json::Value;

use super::file_lock::{create_private_dir, key_lock_path, FileLock};
use super::globus_format::{from_record, to_record};
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
/// - **Checked on open.** A file that is not a database, or a schema version
///   other than 2, is [`Error::Corrupt`], and nothing is written to it.
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
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`, default namespace.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        if path.as_os_str().is_empty() || path.as_os_str() == ":memory:" {
            return Err(Error::InvalidArgument(
                "a SQLite token store needs a file path (use the memory store for memory)".into(),
            ));
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            create_private_dir(parent)?;
        }
        if !path.exists() {
            // Create the file ourselves so that it is 0600 from the start.
            super::file_lock::open_private(&path)
                .map_err(|e| Error::io(format!("creating {}", path.display()), e))?;
        }
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| db_error(&path, "opening", e))?;
        let store = SqliteStore {
            path,
            namespace: DEFAULT_NAMESPACE.to_owned(),
            conn: Arc::new(Mutex::new(Some(conn))),
        };
        store.prepare()?;
        Ok(store)
    }

    /// A handle on another namespace of the same database (same connection).
    pub fn in_namespace(&self, namespace: &str) -> Self {
        SqliteStore {
            namespace: namespace.to_owned(),
            ..self.clone()
        }
    }

    /// The database file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Closes the connection (for every handle sharing it). Later calls fail
    /// with [`Error::InvalidArgument`].
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

    fn prepare(&self) -> Result<()> {
        let version = self.with_conn(|c| {
            c.busy_timeout(BUSY_TIMEOUT)?;
            c.pragma_update(None, "journal_mode", "WAL")?;
            c.pragma_update(None, "synchronous", "NORMAL")?;
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
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
            let version: String = tx.query_row(
                "SELECT value FROM sdk_storage_adapter_internal
                 WHERE attribute = 'globus-sdk.database_schema_version'",
                [],
                |r| r.get(0),
            )?;
            if version == SCHEMA_VERSION {
                tx.commit()?;
            }
            Ok(version)
        });
        match version {
            Ok(v) if v == SCHEMA_VERSION => Ok(()),
            Ok(v) => Err(Error::corrupt(
                self.path.display().to_string(),
                format!("database schema version {v}; this store reads version {SCHEMA_VERSION}"),
            )),
            Err(e @ Error::Storage { .. }) if e.report().to_string().contains("not a database") => {
                Err(Error::corrupt(
                    self.path.display().to_string(),
                    "the file is not a SQLite database",
                ))
            }
            Err(e) => Err(e),
        }
    }

    fn parse(&self, key: &str, json: &str) -> Result<TokenSet> {
        let location = || format!("{} ({}/{key})", self.path.display(), self.namespace);
        let value: Value = serde_json::from_str(json)
            .map_err(|e| Error::corrupt(location(), crate::token::json_error(&e)))?;
        from_record(key, &value).map_err(|m| Error::corrupt(location(), m))
    }
}

fn db_error(path: &Path, doing: &str, e: rusqlite::Error) -> Error {
    Error::storage("sqlite", format!("{doing} {}", path.display()), e)
}

impl TokenStore for SqliteStore {
    fn save(&self, key: &str, tokens: &TokenSet) -> Result<()> {
        check_key("key", key)?;
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

    fn lock_key(&self, key: &str, timeout: Duration) -> Result<KeyLock> {
        check_key("key", key)?;
        let path = key_lock_path(&self.path, &self.namespace, key)?;
        Ok(KeyLock::from_guard(FileLock::acquire(&path, timeout)?))
    }
}
