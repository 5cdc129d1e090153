//! [`SqliteServerStore`]: the server stores in one SQLite file, shared by
//! the processes of one machine (feature `sqlite`).
//!
//! Each record is kept as the same JSON the other backends use, next to
//! the columns it is looked up by:
//!
//! ```sql
//! oauth_clients(identifier TEXT PRIMARY KEY, record TEXT)
//! oauth_auth_codes(code TEXT PRIMARY KEY, expires_at INTEGER, record TEXT)
//! oauth_access_tokens(token TEXT PRIMARY KEY, refresh_token TEXT,
//!     unique_key TEXT, expires_at INTEGER, refresh_expires_at INTEGER,
//!     record TEXT)  -- indexed by refresh_token
//! oauth_latest_tokens(unique_key TEXT PRIMARY KEY, token TEXT)
//! ```
//!
//! `oauth_latest_tokens` maps `{client_id}_{grant_type}_{user_id}` to the
//! latest token saved for it, as the key-value backends do.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension};
use serde::de::DeserializeOwned;

use super::access_token::unique_key;
use super::stores::*;
use super::{AccessToken, AuthorizationCode, Client};
use crate::error::{Error, Result};
use crate::token::now_unix;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS oauth_clients (
    identifier TEXT PRIMARY KEY NOT NULL,
    record TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS oauth_auth_codes (
    code TEXT PRIMARY KEY NOT NULL,
    expires_at INTEGER NOT NULL,
    record TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS oauth_access_tokens (
    token TEXT PRIMARY KEY NOT NULL,
    refresh_token TEXT,
    unique_key TEXT NOT NULL,
    expires_at INTEGER,
    refresh_expires_at INTEGER,
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS oauth_access_tokens_refresh ON oauth_access_tokens(refresh_token);
CREATE TABLE IF NOT EXISTS oauth_latest_tokens (
    unique_key TEXT PRIMARY KEY NOT NULL,
    token TEXT NOT NULL
);
";

/// Clients, authorization codes and access tokens in a SQLite file.
///
/// ```
/// use oauthkit::server::{AuthCodeStore, AuthorizationCode, SqliteServerStore};
/// let dir = tempfile::tempdir().unwrap();
/// let store = SqliteServerStore::open(dir.path().join("server.db")).unwrap();
/// let expires = oauthkit::unversioned::now_unix() + 600;
/// store.save_code(&AuthorizationCode::new("app", "c1", expires, "https://app/cb")).unwrap();
/// assert_eq!(store.take_code("c1").unwrap().client_id, "app");
/// assert!(store.take_code("c1").is_err()); // single use
/// ```
pub struct SqliteServerStore {
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for SqliteServerStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteServerStore")
            .field("path", &self.path)
            .finish()
    }
}

impl SqliteServerStore {
    /// Opens (creating it, readable by its owner only) the database at
    /// `path`.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the folder cannot be created or the new file's mode
    /// not set to 0600; [`Error::Storage`] when SQLite cannot open the file
    /// or create the tables (not a database, locked past 5 seconds).
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        }
        let created = !path.exists();
        let conn = Connection::open(&path).map_err(|e| sql_error(&path, e))?;
        #[cfg(unix)]
        if created {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| Error::io(format!("restricting {}", path.display()), e))?;
        }
        let _ = created;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(|e| sql_error(&path, e))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| sql_error(&path, e))?;
        conn.execute_batch(SCHEMA)
            .map_err(|e| sql_error(&path, e))?;
        Ok(SqliteServerStore {
            path,
            conn: Mutex::new(conn),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Deletes expired codes and tokens whose access and refresh tokens
    /// have both expired; returns how many rows went.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] when SQLite fails (locked past 5 seconds, disk
    /// full); nothing is deleted then.
    pub fn purge_expired(&self) -> Result<usize> {
        let now = now_unix();
        let c = self.lock();
        let codes = c
            .execute(
                "DELETE FROM oauth_auth_codes WHERE expires_at <= ?1",
                params![now],
            )
            .map_err(|e| self.err(e))?;
        let tokens = c
            .execute(
                "DELETE FROM oauth_access_tokens WHERE expires_at IS NOT NULL AND expires_at <= ?1
                 AND (refresh_token IS NULL OR (refresh_expires_at IS NOT NULL AND refresh_expires_at <= ?1))",
                params![now],
            )
            .map_err(|e| self.err(e))?;
        Ok(codes + tokens)
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn err(&self, e: rusqlite::Error) -> Error {
        sql_error(&self.path, e)
    }

    fn parse<T: DeserializeOwned>(&self, table: &str, json: &str) -> Result<T> {
        serde_json::from_str(json).map_err(|e| {
            Error::corrupt(
                format!("{} table {table}", self.path.display()),
                crate::token::json_error(&e),
            )
        })
    }

    fn one(&self, sql: &str, arg: &str) -> Result<Option<String>> {
        self.lock()
            .query_row(sql, params![arg], |r| r.get::<_, String>(0))
            .optional()
            .map_err(|e| self.err(e))
    }
}

fn sql_error(path: &Path, e: rusqlite::Error) -> Error {
    let busy = matches!(
        &e,
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(f.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    );
    let message = path.display().to_string();
    if busy {
        Error::Unavailable {
            backend: "sqlite",
            message,
            source: Some(Box::new(e)),
        }
    } else {
        Error::Storage {
            backend: "sqlite",
            message,
            source: Some(Box::new(e)),
        }
    }
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("server records serialise")
}

impl ClientStore for SqliteServerStore {
    fn save_client(&self, client: &Client) -> Result<()> {
        self.lock()
            .execute(
                "INSERT OR REPLACE INTO oauth_clients (identifier, record) VALUES (?1, ?2)",
                params![client.identifier, json(client)],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    fn fetch_by_client_id(&self, client_id: &str) -> Result<Client> {
        match self.one(
            "SELECT record FROM oauth_clients WHERE identifier = ?1",
            client_id,
        )? {
            Some(j) => self.parse("oauth_clients", &j),
            None => Err(client_not_found(client_id)),
        }
    }

    fn delete_client(&self, client_id: &str) -> Result<bool> {
        let n = self
            .lock()
            .execute(
                "DELETE FROM oauth_clients WHERE identifier = ?1",
                params![client_id],
            )
            .map_err(|e| self.err(e))?;
        Ok(n > 0)
    }
}

impl AuthCodeStore for SqliteServerStore {
    fn save_code(&self, code: &AuthorizationCode) -> Result<()> {
        self.lock()
            .execute(
                "INSERT OR REPLACE INTO oauth_auth_codes (code, expires_at, record) VALUES (?1, ?2, ?3)",
                params![code.code.expose(), code.expires_at, json(code)],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    fn fetch_by_code(&self, code: &str) -> Result<AuthorizationCode> {
        let found = self
            .lock()
            .query_row(
                "SELECT record FROM oauth_auth_codes WHERE code = ?1 AND expires_at > ?2",
                params![code, now_unix()],
                |r| r.get::<_, String>(0),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        match found {
            Some(j) => self.parse("oauth_auth_codes", &j),
            None => Err(code_not_found()),
        }
    }

    fn delete_code(&self, code: &str) -> Result<bool> {
        let n = self
            .lock()
            .execute(
                "DELETE FROM oauth_auth_codes WHERE code = ?1",
                params![code],
            )
            .map_err(|e| self.err(e))?;
        Ok(n > 0)
    }

    /// `DELETE ... RETURNING`: one statement, so one redeemer wins even
    /// across processes.
    fn take_code(&self, code: &str) -> Result<AuthorizationCode> {
        let found = self
            .lock()
            .query_row(
                "DELETE FROM oauth_auth_codes WHERE code = ?1 RETURNING expires_at, record",
                params![code],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        match found {
            Some((at, j)) if at > now_unix() => self.parse("oauth_auth_codes", &j),
            _ => Err(code_not_found()),
        }
    }
}

impl AccessTokenStore for SqliteServerStore {
    fn save_token(&self, t: &AccessToken) -> Result<()> {
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(|e| self.err(e))?;
        tx.execute(
            "INSERT OR REPLACE INTO oauth_access_tokens
                 (token, refresh_token, unique_key, expires_at, refresh_expires_at, record)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                t.token.expose(),
                t.refresh_token.as_ref().map(|r| r.expose()),
                t.unique_key(),
                t.expires_at,
                t.refresh_expires_at,
                json(t)
            ],
        )
        .map_err(|e| self.err(e))?;
        tx.execute(
            "INSERT OR REPLACE INTO oauth_latest_tokens (unique_key, token) VALUES (?1, ?2)",
            params![t.unique_key(), t.token.expose()],
        )
        .map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))
    }

    fn fetch_by_token(&self, token: &str) -> Result<AccessToken> {
        let found = self
            .lock()
            .query_row(
                "SELECT record FROM oauth_access_tokens WHERE token = ?1 AND (expires_at IS NULL OR expires_at > ?2)",
                params![token, now_unix()],
                |r| r.get::<_, String>(0),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        match found {
            Some(j) => self.parse("oauth_access_tokens", &j),
            None => Err(token_not_found()),
        }
    }

    fn fetch_by_refresh_token(&self, refresh_token: &str) -> Result<AccessToken> {
        let found = self
            .lock()
            .query_row(
                "SELECT record FROM oauth_access_tokens WHERE refresh_token = ?1
                 AND (refresh_expires_at IS NULL OR refresh_expires_at > ?2)
                 ORDER BY rowid DESC LIMIT 1",
                params![refresh_token, now_unix()],
                |r| r.get::<_, String>(0),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        match found {
            Some(j) => self.parse("oauth_access_tokens", &j),
            None => Err(refresh_not_found()),
        }
    }

    /// Deletes every token row issued with this refresh token.
    fn delete_refresh_token(&self, refresh_token: &str) -> Result<bool> {
        let n = self
            .lock()
            .execute(
                "DELETE FROM oauth_access_tokens WHERE refresh_token = ?1",
                params![refresh_token],
            )
            .map_err(|e| self.err(e))?;
        Ok(n > 0)
    }

    fn fetch_existing_token_of_user(
        &self,
        client_id: &str,
        grant_type: &str,
        user_id: Option<&str>,
        scopes: &[String],
    ) -> Result<AccessToken> {
        // The latest token saved for the key, as in the key-value stores.
        let key = unique_key(client_id, grant_type, user_id);
        let latest = self.one(
            "SELECT t.record FROM oauth_latest_tokens l JOIN oauth_access_tokens t ON t.token = l.token
             WHERE l.unique_key = ?1",
            &key,
        )?;
        let t: Option<AccessToken> = latest
            .map(|j| self.parse("oauth_access_tokens", &j))
            .transpose()?;
        match t {
            Some(t) if !t.is_expired_at(now_unix()) && t.has_same_scopes(scopes) => Ok(t),
            _ => Err(existing_not_found(client_id, grant_type, user_id)),
        }
    }
}
