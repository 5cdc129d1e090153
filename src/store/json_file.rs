//! [`JsonFileStore`]: one JSON file in globus-sdk's token file format.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

use super::file_lock::{
    held_key_lock, lock_key_in, reap_key_locks, FileLock, LockOptions, DEFAULT_LOCK_TIMEOUT,
};
use super::file_snapshot::{Current, SnapshotCache};
use super::globus_format::{from_record, to_record};
use super::private_dir::{io_error, link_refusal, split, Access, FileStamp, PrivateDir};
use super::{check_key, KeyLock, TokenStore, DEFAULT_NAMESPACE};
use crate::error::{Error, Result};
use crate::token::{json_error, TokenSet};

/// The format version written, as globus-sdk 3.50+ and 4.x write it.
pub const FORMAT_VERSION: &str = "2.0";

/// The format version of a file that holds records sealed by an
/// [`EncryptedStore`](super::EncryptedStore): the 2.0 layout, under a
/// version globus-sdk does not know, so it refuses the file with a
/// `ValueError` ("existing data file is in an unknown format") instead of
/// taking a sealed record for an access token. The top-level field
/// [`ENCRYPTION_FIELD`] describes the sealing.
pub const SEALED_FORMAT_VERSION: &str = "oauthkit-sealed-1";

/// The top-level field of an encrypted file:
/// `{"records": "oak:v1", "cipher": "AES-256-GCM", "note": "..."}`.
pub const ENCRYPTION_FIELD: &str = "oauthkit.encryption";

/// Keeps token sets in one JSON file that globus-sdk's `JSONTokenStorage`
/// reads and writes too:
///
/// ```json
/// {"data": {"DEFAULT": {"<key>": {<token data>}}}, "format_version": "2.0",
///  "globus-sdk.version": "3.50.0"}
/// ```
///
/// Version 1.0 files (`{"by_rs": {...}, "format_version": "1.0"}`) are read
/// as the `DEFAULT` namespace and rewritten as 2.0 on the next change.
/// Top-level keys oauthkit does not know are kept.
///
/// While the file holds any record sealed by an
/// [`EncryptedStore`](super::EncryptedStore), its header says so:
/// `"format_version": "oauthkit-sealed-1"` ([`SEALED_FORMAT_VERSION`]) and
/// an `"oauthkit.encryption"` field; globus-sdk refuses such a file with a
/// clean error and leaves it untouched. When the last sealed record is gone
/// the file is written as plain 2.0 again.
///
/// Where this store differs from globus-sdk, on purpose:
/// - **Atomic writes.** Each change writes a temporary file in the same
///   directory, flushes it to disk and renames it over the old one, so a
///   crash or a kill leaves either the old or the new file, never half of
///   one. globus-sdk truncates and rewrites in place.
/// - **No lost updates.** Writers take an exclusive advisory lock on
///   `{file}.lock` around read-modify-write, so several processes can save
///   different keys at once and all the saves survive. Readers need no lock.
/// - **Private from the start.** The file is created with mode 0600 (and
///   stays 0600 because every write creates it anew), its directory 0700.
/// - **Corruption is reported, never overwritten.** An unreadable file
///   makes every call fail with [`Error::Corrupt`] and is left untouched;
///   [`quarantine`](Self::quarantine) moves it aside when the caller decides
///   to start afresh.
/// - A delete of a missing key writes nothing.
///
/// ```
/// use oauthkit::{store::JsonFileStore, TokenSet, TokenStore};
/// let dir = tempfile::tempdir().unwrap();
/// let store = JsonFileStore::open(dir.path().join("tokens.json")).unwrap();
/// store.save("api.example.org", &TokenSet::bearer("at")).unwrap();
/// let again = JsonFileStore::open(dir.path().join("tokens.json")).unwrap();
/// assert!(again.exists("api.example.org").unwrap());
/// ```
#[derive(Clone)]
pub struct JsonFileStore {
    path: PathBuf,
    namespace: String,
    lock_timeout: Duration,
    file: Arc<TokenFile>,
}

/// The file every handle (clones, namespaces) of one `open` shares.
struct TokenFile {
    dir: Arc<PrivateDir>,
    /// The file's name in `dir`, `{name}.lock`, `{name}.lock.line` (the line of waiters).
    name: OsString,
    lock_name: OsString,
    line_name: OsString,
    cache: SnapshotCache,
}

impl std::fmt::Debug for JsonFileStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonFileStore")
            .field("path", &self.path)
            .field("namespace", &self.namespace)
            .field("lock_timeout", &self.lock_timeout)
            .finish()
    }
}

fn with_suffix(name: &OsStr, suffix: &str) -> OsString {
    let mut s = name.to_owned();
    s.push(suffix);
    s
}

impl JsonFileStore {
    /// A store on the file at `path`, default namespace. The file itself is
    /// created on the first save; missing parent directories are created
    /// now (mode 0700). Temporary files a crashed writer left behind and
    /// per-key lock files nobody holds are removed now.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when `path` names no file, [`Error::Io`]
    /// when its directory cannot be created or opened.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        if path.as_os_str().is_empty() || path.file_name().is_none() {
            return Err(Error::InvalidArgument(format!(
                "'{}' is not a file path",
                path.display()
            )));
        }
        let (dir, name) = split(&path)?;
        let store = JsonFileStore {
            path,
            namespace: DEFAULT_NAMESPACE.to_owned(),
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            file: Arc::new(TokenFile {
                dir: Arc::new(dir),
                lock_name: with_suffix(&name, ".lock"),
                line_name: with_suffix(&name, ".lock.line"),
                name,
                cache: SnapshotCache::default(),
            }),
        };
        store.reap_on_open();
        Ok(store)
    }

    /// A handle on another namespace of the same file.
    pub fn in_namespace(&self, namespace: impl Into<String>) -> Self {
        let namespace = namespace.into();
        JsonFileStore {
            namespace,
            ..self.clone()
        }
    }

    /// How long a writer waits for any one other writer (default 10 s).
    /// Writers are served in arrival order, threads of this process first
    /// in line among themselves; waiting behind writers that keep finishing
    /// is not a timeout, a writer that holds the lock this long is
    /// ([`Error::LockTimeout`]).
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Moves an unreadable file aside to `{file}.corrupt-{unix time}` and
    /// returns the new path; `None` when the file is readable or missing.
    /// A file is unreadable when it is not a token file at all or when any
    /// one of its records is malformed. After this the store starts empty.
    ///
    /// # Errors
    ///
    /// [`Error::LockTimeout`] when another writer holds the file too long,
    /// [`Error::Io`] when it cannot be moved (a link planted at the new
    /// name is refused, never followed or replaced).
    pub fn quarantine(&self) -> Result<Option<PathBuf>> {
        let _lock = self.write_lock()?;
        let unreadable = match self.current() {
            Ok(None) => return Ok(None),
            Ok(Some((doc, _))) => match check_records(&doc) {
                Ok(()) => return Ok(None),
                Err(why) => why,
            },
            Err(e @ Error::Corrupt { .. }) => e.to_string(),
            Err(e) => return Err(e),
        };
        let dir = &self.file.dir;
        let stamp = crate::token::now_unix();
        for n in 0..100 {
            let aside = match n {
                0 => with_suffix(&self.file.name, &format!(".corrupt-{stamp}")),
                n => with_suffix(&self.file.name, &format!(".corrupt-{stamp}-{n}")),
            };
            let moving = |e| io_error("moving aside", &dir.join(&self.file.name), e);
            match dir.rename_no_replace(&self.file.name, &aside) {
                Ok(()) => {
                    self.file.cache.forget();
                    let _ = dir.sync();
                    log::warn!(
                        "oauthkit: moved the unreadable token file {} aside to {} ({})",
                        self.location(),
                        dir.join(&aside).display(),
                        unreadable
                    );
                    return Ok(Some(dir.join(&aside)));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    if dir
                        .stat(&aside)
                        .map_err(moving)?
                        .is_some_and(|s| s.is_symlink)
                    {
                        return Err(io_error(
                            "moving aside to",
                            &dir.join(&aside),
                            link_refusal(),
                        ));
                    }
                }
                Err(e) => return Err(moving(e)),
            }
        }
        Err(Error::io(
            format!("moving {} aside", self.location()),
            std::io::Error::from(std::io::ErrorKind::AlreadyExists),
        ))
    }

    fn location(&self) -> String {
        self.path.display().to_string()
    }

    fn write_lock(&self) -> Result<FileLock> {
        let options = LockOptions {
            line: Some(&self.file.line_name),
            // Nothing is left behind once nobody writes: a waiter blocked
            // on the removed file opens the name again.
            remove_on_release: true,
        };
        FileLock::acquire_in(
            &self.file.dir,
            &self.file.lock_name,
            options,
            self.lock_timeout,
        )
    }

    /// Removes what a crash may have left: temporary files (complete copies
    /// of every token) when no writer holds the lock, and unheld per-key
    /// lock files. Failures are reported, not fatal.
    fn reap_on_open(&self) {
        match FileLock::try_acquire_in(&self.file.dir, &self.file.lock_name, true) {
            Ok(Some(_lock)) => self.reap_temp_files(),
            Ok(None) => {} // a writer holds it and reaps on its own save
            Err(e) => log::warn!(
                "oauthkit: could not check {} for leftovers: {e}",
                self.location()
            ),
        }
        if let Err(e) = reap_key_locks(&self.file.dir, &self.file.name) {
            log::warn!(
                "oauthkit: could not remove unused key locks of {}: {e}",
                self.location()
            );
        }
    }

    /// Removes `.{name}.tmp-{pid}-{random}` files. Only a writer holding the
    /// write lock creates them and it removes its own before releasing the
    /// lock, so under the lock every one of them is a crash's leftover.
    fn reap_temp_files(&self) {
        let dir = &self.file.dir;
        let names = match dir.names() {
            Ok(n) => n,
            Err(e) => {
                log::warn!("oauthkit: could not list {}: {e}", dir.path().display());
                return;
            }
        };
        for tmp in names.iter().filter(|n| is_temp_name(&self.file.name, n)) {
            match dir.remove(tmp) {
                Ok(()) => log::info!(
                    "oauthkit: removed {}, left by a writer that stopped mid-write",
                    dir.join(tmp).display()
                ),
                Err(e) => log::warn!(
                    "oauthkit: could not remove the leftover {}: {e}",
                    dir.join(tmp).display()
                ),
            }
        }
    }

    /// The whole file as a 2.0 document (`None`: no file) and its stamp,
    /// parsed again only when it changed.
    fn current(&self) -> Result<Option<(Document, FileStamp)>> {
        let location = self.location();
        let found = self
            .file
            .cache
            .current(&self.file.dir, &self.file.name, |bytes| {
                parse_document(&location, bytes)
            })?;
        match found {
            Current::Missing => Ok(None),
            Current::Found { snap, new_mode } => {
                if new_mode && snap.stamp.mode & 0o077 != 0 {
                    log::warn!(
                        "oauthkit: the token file {} is readable or writable by others \
                         (mode {:o}); it is made 0600 on the next write",
                        location,
                        snap.stamp.mode
                    );
                }
                Ok(Some((snap.doc.clone(), snap.stamp)))
            }
        }
    }

    fn read_document(&self) -> Result<Arc<Map<String, Value>>> {
        Ok(self
            .current()?
            .map(|(doc, _)| doc)
            .unwrap_or_else(|| Arc::new(empty_document())))
    }

    fn namespace_records<'a>(&self, doc: &'a Map<String, Value>) -> Option<&'a Map<String, Value>> {
        doc.get("data")?.get(&self.namespace)?.as_object()
    }

    /// Read, change and atomically replace the file under the write lock.
    fn update<R>(
        &self,
        change: impl FnOnce(&mut Map<String, Value>) -> Result<(R, bool)>,
    ) -> Result<R> {
        let _lock = self.write_lock()?;
        self.reap_temp_files();
        let current = self.current()?;
        let loose_mode = current.as_ref().map(|(_, s)| s.mode & 0o077).unwrap_or(0);
        let mut doc = current
            .map(|(doc, _)| Map::clone(&doc))
            .unwrap_or_else(empty_document);
        let (result, changed) = change(&mut doc)?;
        if changed {
            if holds_sealed_records(&doc) {
                doc.insert("format_version".into(), SEALED_FORMAT_VERSION.into());
                doc.insert(ENCRYPTION_FIELD.into(), encryption_header());
            } else {
                doc.insert("format_version".into(), FORMAT_VERSION.into());
                doc.remove(ENCRYPTION_FIELD);
            }
            // globus-sdk refuses files without this key; keep its value when
            // globus-sdk wrote the file, else say who did.
            doc.entry("globus-sdk.version")
                .or_insert_with(|| concat!("oauthkit/", env!("CARGO_PKG_VERSION")).into());
            let bytes = serde_json::to_vec(&doc).expect("JSON values serialise");
            self.replace_file(doc, bytes)?;
            if loose_mode != 0 {
                log::warn!(
                    "oauthkit: the token file {} was readable or writable by others (mode {:o}); \
                     it is 0600 now",
                    self.location(),
                    loose_mode
                );
            }
        }
        Ok(result)
    }

    /// Writes `bytes` to a fresh 0600 temporary file beside the target,
    /// flushes it, renames it over the target and flushes the directory.
    fn replace_file(&self, doc: Map<String, Value>, bytes: Vec<u8>) -> Result<()> {
        let dir = &self.file.dir;
        let tmp = with_suffix(
            OsStr::new("."),
            &format!(
                "{}.tmp-{}-{:016x}",
                self.file.name.to_string_lossy(),
                std::process::id(),
                crate::random::u64()
            ),
        );
        let result = (|| {
            let mut f = dir.open_file(&tmp, Access::CreateNew)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
            dir.rename(&tmp, &self.file.name)?;
            let stamp = FileStamp::of(&f)?;
            drop(f);
            dir.sync()?;
            Ok(stamp)
        })();
        match result {
            Ok(stamp) => {
                self.file.cache.remember(stamp, doc, bytes);
                Ok(())
            }
            Err(e) => {
                let _ = dir.remove(&tmp);
                Err(io_error("writing", &self.path, e))
            }
        }
    }
}

/// A parsed token file, shared with the cache.
type Document = Arc<Map<String, Value>>;

/// Whether `candidate` is one of this file's temporary names,
/// `.{name}.tmp-{pid}-{16 hex digits}` exactly (so another file's
/// temporaries, whose names merely start alike, are never touched).
fn is_temp_name(name: &OsStr, candidate: &OsStr) -> bool {
    let (Some(name), Some(candidate)) = (name.to_str(), candidate.to_str()) else {
        return false;
    };
    let Some(rest) = candidate
        .strip_prefix('.')
        .and_then(|c| c.strip_prefix(name))
        .and_then(|c| c.strip_prefix(".tmp-"))
    else {
        return false;
    };
    let Some((pid, random)) = rest.split_once('-') else {
        return false;
    };
    !pid.is_empty()
        && pid.bytes().all(|b| b.is_ascii_digit())
        && random.len() == 16
        && random.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether any record of any namespace is sealed by an `EncryptedStore`.
fn holds_sealed_records(doc: &Map<String, Value>) -> bool {
    let Some(Value::Object(data)) = doc.get("data") else {
        return false;
    };
    data.values()
        .filter_map(Value::as_object)
        .flat_map(|records| records.values())
        .any(|r| {
            r.get("token_type").and_then(Value::as_str) == Some(super::encrypted::SEALED_TOKEN_TYPE)
        })
}

/// What an encrypted file's header says about its records (never a key).
fn encryption_header() -> Value {
    serde_json::json!({
        "records": "oak:v1",
        "cipher": "AES-256-GCM",
        "note": "token records are sealed by oauthkit's EncryptedStore; \
                 globus-sdk cannot read this file and oauthkit needs the key to open it",
    })
}

/// Every record of every namespace must read as a token set.
fn check_records(doc: &Map<String, Value>) -> std::result::Result<(), String> {
    let Some(Value::Object(data)) = doc.get("data") else {
        return Ok(());
    };
    for records in data.values() {
        if let Value::Object(records) = records {
            for (key, record) in records {
                from_record(key, record)?;
            }
        }
    }
    Ok(())
}

/// The whole file as a 2.0 document.
fn parse_document(location: &str, bytes: &[u8]) -> Result<Map<String, Value>> {
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| Error::corrupt(location, json_error(&e)))?;
    let Value::Object(mut doc) = value else {
        return Err(Error::corrupt(location, "the top level is not an object"));
    };
    match doc.get("format_version").and_then(Value::as_str) {
        Some(FORMAT_VERSION | SEALED_FORMAT_VERSION) => match doc.get("data") {
            Some(Value::Object(data)) if data.values().all(Value::is_object) => Ok(doc),
            _ => Err(Error::corrupt(
                location,
                "'data' must map namespaces to objects",
            )),
        },
        Some("1.0") => match doc.remove("by_rs") {
            Some(Value::Object(by_rs)) => {
                let mut data = Map::new();
                data.insert(DEFAULT_NAMESPACE.into(), Value::Object(by_rs));
                doc.insert("data".into(), Value::Object(data));
                doc.insert("format_version".into(), FORMAT_VERSION.into());
                Ok(doc)
            }
            _ => Err(Error::corrupt(location, "'by_rs' must be an object")),
        },
        Some(other) => Err(Error::corrupt(
            location,
            format!(
                "unknown format_version '{other}' (supported: 1.0, 2.0, {SEALED_FORMAT_VERSION})"
            ),
        )),
        None => Err(Error::corrupt(location, "no format_version")),
    }
}

fn empty_document() -> Map<String, Value> {
    let mut doc = Map::new();
    doc.insert("data".into(), Value::Object(Map::new()));
    doc.insert("format_version".into(), FORMAT_VERSION.into());
    doc
}

fn data_mut(doc: &mut Map<String, Value>) -> &mut Map<String, Value> {
    doc.entry("data")
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
        .expect("read_document checked that data is an object")
}

/// Removes the record `key` of `namespace` (and the namespace when it is
/// left empty); `(removed, removed)`: whether it was there, and whether
/// the document changed.
fn remove_record(doc: &mut Map<String, Value>, namespace: &str, key: &str) -> (bool, bool) {
    let data = data_mut(doc);
    let Some(Value::Object(records)) = data.get_mut(namespace) else {
        return (false, false);
    };
    let removed = records.remove(key).is_some();
    if records.is_empty() {
        data.remove(namespace);
    }
    (removed, removed)
}

impl TokenStore for JsonFileStore {
    fn save(&self, key: &str, tokens: &TokenSet) -> Result<()> {
        check_key("key", key)?;
        self.save_all(&BTreeMap::from([(key.to_owned(), tokens.clone())]))
    }

    fn load(&self, key: &str) -> Result<Option<TokenSet>> {
        check_key("key", key)?;
        let doc = self.read_document()?;
        match self.namespace_records(&doc).and_then(|ns| ns.get(key)) {
            None => Ok(None),
            Some(record) => from_record(key, record)
                .map(Some)
                .map_err(|m| Error::corrupt(self.location(), m)),
        }
    }

    fn delete(&self, key: &str) -> Result<bool> {
        check_key("key", key)?;
        let namespace = self.namespace.clone();
        self.update(|doc| Ok(remove_record(doc, &namespace, key)))
    }

    fn list_keys(&self) -> Result<Vec<String>> {
        let doc = self.read_document()?;
        Ok(self
            .namespace_records(&doc)
            .map(|ns| ns.keys().cloned().collect())
            .unwrap_or_default())
    }

    fn namespace(&self) -> &str {
        &self.namespace
    }

    fn namespaces(&self) -> Result<Vec<String>> {
        let doc = self.read_document()?;
        let mut names: Vec<String> = doc
            .get("data")
            .and_then(Value::as_object)
            .map(|d| d.keys().cloned().collect())
            .unwrap_or_default();
        names.sort();
        Ok(names)
    }

    fn backend(&self) -> &'static str {
        "file"
    }

    fn load_all(&self) -> Result<BTreeMap<String, TokenSet>> {
        let doc = self.read_document()?;
        let mut all = BTreeMap::new();
        if let Some(records) = self.namespace_records(&doc) {
            for (key, record) in records {
                let t = from_record(key, record).map_err(|m| Error::corrupt(self.location(), m))?;
                all.insert(key.clone(), t);
            }
        }
        Ok(all)
    }

    fn save_all(&self, tokens: &BTreeMap<String, TokenSet>) -> Result<()> {
        check_key("namespace", &self.namespace)?;
        super::refuse_dpop_keys("file", tokens)?;
        for key in tokens.keys() {
            check_key("key", key)?;
        }
        let namespace = self.namespace.clone();
        self.update(|doc| {
            let records = data_mut(doc)
                .entry(namespace)
                .or_insert_with(|| Value::Object(Map::new()))
                .as_object_mut()
                .expect("read_document checked namespaces are objects");
            for (key, t) in tokens {
                records.insert(key.clone(), to_record(key, t));
            }
            Ok(((), true))
        })
    }

    fn lock_key(&self, key: &str, timeout: Duration) -> Result<KeyLock> {
        check_key("key", key)?;
        Ok(KeyLock::fenced(lock_key_in(
            &self.file.dir,
            &self.file.name,
            &self.namespace,
            key,
            timeout,
        )?))
    }

    /// Checks under the file's write lock that the key's lock file is still
    /// the one held (not removed and taken by another process), then saves.
    fn save_locked(&self, key: &str, tokens: &TokenSet, lock: &KeyLock) -> Result<()> {
        check_key("namespace", &self.namespace)?;
        check_key("key", key)?;
        super::refuse_dpop_key("file", key, tokens)?;
        let held = held_key_lock(lock, &self.file.dir, &self.file.name, &self.namespace, key)?;
        let namespace = self.namespace.clone();
        self.update(|doc| {
            held.check_held("saving tokens")?;
            let records = data_mut(doc)
                .entry(namespace)
                .or_insert_with(|| Value::Object(Map::new()))
                .as_object_mut()
                .expect("read_document checked namespaces are objects");
            records.insert(key.to_owned(), to_record(key, tokens));
            Ok(((), true))
        })
    }

    fn delete_locked(&self, key: &str, lock: &KeyLock) -> Result<bool> {
        check_key("key", key)?;
        let held = held_key_lock(lock, &self.file.dir, &self.file.name, &self.namespace, key)?;
        let namespace = self.namespace.clone();
        self.update(|doc| {
            held.check_held("deleting tokens")?;
            Ok(remove_record(doc, &namespace, key))
        })
    }
}
