//! [`JsonFileStore`]: one JSON file in globus-sdk's token file format.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Map, Value};

use super::file_lock::{create_private_dir, key_lock_path, FileLock, DEFAULT_LOCK_TIMEOUT};
use super::globus_format::{from_record, to_record};
use super::{check_key, KeyLock, TokenStore, DEFAULT_NAMESPACE};
use crate::error::{Error, Result};
use crate::token::{json_error, TokenSet};

/// The format version written, as globus-sdk 3.50+ and 4.x write it.
pub const FORMAT_VERSION: &str = "2.0";

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
#[derive(Clone, Debug)]
pub struct JsonFileStore {
    path: PathBuf,
    namespace: String,
    lock_timeout: Duration,
}

impl JsonFileStore {
    /// A store on the file at `path`, default namespace. The file itself is
    /// created on the first save; missing parent directories are created
    /// now (mode 0700).
    pub fn open(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        if path.as_os_str().is_empty() || path.file_name().is_none() {
            return Err(Error::InvalidArgument(format!(
                "'{}' is not a file path",
                path.display()
            )));
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            create_private_dir(parent)?;
        }
        Ok(JsonFileStore {
            path,
            namespace: DEFAULT_NAMESPACE.to_owned(),
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
        })
    }

    /// A handle on another namespace of the same file.
    pub fn in_namespace(&self, namespace: &str) -> Self {
        JsonFileStore {
            namespace: namespace.to_owned(),
            ..self.clone()
        }
    }

    /// How long a writer waits for another process's write (default 10 s).
    pub fn with_lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Moves an unreadable file aside to `{file}.corrupt-{unix time}` and
    /// returns the new path; `None` when the file is readable or missing.
    /// After this the store starts empty.
    pub fn quarantine(&self) -> Result<Option<PathBuf>> {
        let _lock = self.write_lock()?;
        match self.read_document() {
            Ok(_) => Ok(None),
            Err(Error::Corrupt { .. }) => {
                let mut aside = self.path.as_os_str().to_owned();
                aside.push(format!(".corrupt-{}", crate::token::now_unix()));
                let aside = PathBuf::from(aside);
                fs::rename(&self.path, &aside)
                    .map_err(|e| Error::io(format!("moving {} aside", self.path.display()), e))?;
                Ok(Some(aside))
            }
            Err(e) => Err(e),
        }
    }

    fn location(&self) -> String {
        self.path.display().to_string()
    }

    fn write_lock(&self) -> Result<FileLock> {
        let mut lock = self.path.as_os_str().to_owned();
        lock.push(".lock");
        FileLock::acquire(Path::new(&lock), self.lock_timeout)
    }

    /// The whole file as a 2.0 document; a missing file is an empty one.
    fn read_document(&self) -> Result<Map<String, Value>> {
        let bytes = match fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(empty_document()),
            Err(e) => return Err(Error::io(format!("reading {}", self.location()), e)),
        };
        let value: Value = serde_json::from_slice(&bytes)
            .map_err(|e| Error::corrupt(self.location(), json_error(&e)))?;
        let Value::Object(mut doc) = value else {
            return Err(Error::corrupt(
                self.location(),
                "the top level is not an object",
            ));
        };
        match doc.get("format_version").and_then(Value::as_str) {
            Some("2.0") => match doc.get("data") {
                Some(Value::Object(data)) if data.values().all(Value::is_object) => Ok(doc),
                _ => Err(Error::corrupt(
                    self.location(),
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
                _ => Err(Error::corrupt(self.location(), "'by_rs' must be an object")),
            },
            Some(other) => Err(Error::corrupt(
                self.location(),
                format!("unknown format_version '{other}' (supported: 1.0, 2.0)"),
            )),
            None => Err(Error::corrupt(self.location(), "no format_version")),
        }
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
        let mut doc = self.read_document()?;
        let (result, changed) = change(&mut doc)?;
        if changed {
            doc.insert("format_version".into(), FORMAT_VERSION.into());
            // globus-sdk refuses files without this key; keep its value when
            // globus-sdk wrote the file, else say who did.
            doc.entry("globus-sdk.version")
                .or_insert_with(|| concat!("oauthkit/", env!("CARGO_PKG_VERSION")).into());
            self.replace_file(&serde_json::to_vec(&doc).expect("JSON values serialise"))?;
        }
        Ok(result)
    }

    /// Writes `bytes` to a fresh 0600 temporary file beside the target,
    /// flushes it, renames it over the target and flushes the directory.
    fn replace_file(&self, bytes: &[u8]) -> Result<()> {
        let dir = match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = self
            .path
            .file_name()
            .expect("checked in open")
            .to_string_lossy();
        let tmp = dir.join(format!(
            ".{name}.tmp-{}-{:016x}",
            std::process::id(),
            rand::random::<u64>()
        ));
        let result = (|| {
            let mut opts = fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            let mut f = opts.open(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            drop(f);
            fs::rename(&tmp, &self.path)?;
            #[cfg(unix)]
            fs::File::open(&dir)?.sync_all()?;
            Ok(())
        })();
        result.map_err(|e: std::io::Error| {
            let _ = fs::remove_file(&tmp);
            Error::io(format!("writing {}", self.location()), e)
        })
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
        self.update(|doc| {
            let data = data_mut(doc);
            let Some(Value::Object(records)) = data.get_mut(&namespace) else {
                return Ok((false, false));
            };
            let removed = records.remove(key).is_some();
            if records.is_empty() {
                data.remove(&namespace);
            }
            Ok((removed, removed))
        })
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
        let path = key_lock_path(&self.path, &self.namespace, key)?;
        Ok(KeyLock::from_guard(FileLock::acquire(&path, timeout)?))
    }
}
