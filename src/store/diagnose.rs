//! [`diagnose`]: what a store spec (or an application's default store)
//! would use, checked without opening it: the backend, whether a keyring
//! answers (within a short time limit), file modes, whether encryption is
//! on and where its key comes from. Never a key, a token or a passphrase.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::factory::{path_of, split_namespace, take_param, STORE_ENV};
use super::{DefaultStore, KeyringBackend};
use crate::error::Result;

/// How long [`diagnose`] waits for a keyring by default.
pub const DIAGNOSE_KEYRING_TIMEOUT: Duration = Duration::from_secs(2);

/// What [`diagnose`] found. `Display` prints one line per finding.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Diagnosis {
    /// The spec examined (or `default store of APP`).
    pub spec: String,
    /// The backend: `memory`, `file`, `sqlite`, `keyring`, `redis`,
    /// `memcache`.
    pub backend: String,
    /// Where the tokens are: a path, a keyring service, a server URL
    /// (without a password).
    pub location: String,
    /// The namespace.
    pub namespace: String,
    /// Whether token sets are encrypted at rest, and with which key source.
    pub encryption: Encryption,
    /// Every keyring asked (the token store's and/or the key's).
    pub keyrings: Vec<KeyringCheck>,
    /// Every file involved (token file, database, key file).
    pub files: Vec<FileCheck>,
    /// What is wrong, in words; empty when nothing is.
    pub problems: Vec<String>,
}

/// Whether and how token sets are encrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Encryption {
    /// Not encrypted (`keyring` stores rely on the keyring's own protection).
    Off,
    /// Sealed by an `EncryptedStore`; `key_source` says where the key
    /// lives (`environment variable NAME`, `key file PATH`, `passphrase in
    /// environment variable NAME`, `keyring service 'S' (platform)`).
    On {
        /// Where the key lives, never the key.
        key_source: String,
    },
}

/// One keyring probe.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyringCheck {
    /// Which keyring.
    pub backend: KeyringBackend,
    /// The service asked about.
    pub service: String,
    /// What the probe was for (`token entries`, `encryption key`).
    pub purpose: String,
    /// `Ok(true)`: it answered and holds the entry; `Ok(false)`: it
    /// answered without it; `Err(why)`: it did not answer in time or
    /// refused.
    pub answer: std::result::Result<bool, String>,
    /// How long it took.
    pub elapsed: Duration,
}

/// One file's state.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FileCheck {
    /// What it is (`token file`, `key file`, `database`).
    pub role: String,
    /// The path.
    pub path: PathBuf,
    /// Whether it exists.
    pub exists: bool,
    /// Its permission bits (Unix).
    pub mode: Option<u32>,
    /// Whether it is a symbolic link (oauthkit never follows one).
    pub symlink: bool,
}

impl FileCheck {
    /// Whether only its owner can read it (true where modes do not apply).
    pub fn is_private(&self) -> bool {
        self.mode.is_none_or(|m| m & 0o077 == 0)
    }
}

/// Examines `spec` as [`open`](super::open) would read it, without opening
/// the store; keyrings are asked within [`DIAGNOSE_KEYRING_TIMEOUT`].
///
/// ```
/// use oauthkit::unversioned::store::{Encryption, diagnose};
/// let dir = tempfile::tempdir().unwrap();
/// let spec = format!("file:{}?encrypt=env:MY_APP_KEY", dir.path().join("t.json").display());
/// let d = diagnose(&spec).unwrap();
/// assert_eq!(d.backend, "file");
/// assert!(matches!(&d.encryption, Encryption::On { key_source } if key_source.contains("MY_APP_KEY")));
/// assert!(d.problems.iter().any(|p| p.contains("MY_APP_KEY is not set")));
/// ```
///
/// # Errors
/// [`Error::InvalidArgument`](crate::Error::InvalidArgument) for a spec
/// [`open`](super::open) would refuse to parse.
pub fn diagnose(spec: &str) -> Result<Diagnosis> {
    diagnose_with_timeout(spec, DIAGNOSE_KEYRING_TIMEOUT)
}

/// [`diagnose`] with another keyring time limit.
///
/// # Errors
/// As [`diagnose`].
pub fn diagnose_with_timeout(spec: &str, timeout: Duration) -> Result<Diagnosis> {
    let (scheme, rest) = spec.split_once(':').ok_or_else(super::factory::no_scheme)?;
    let (rest, encrypt) = take_param(rest, "encrypt");
    let (rest, backend_param) = if scheme == "keyring" {
        take_param(&rest, "backend")
    } else {
        (rest, None)
    };
    let (target, namespace) = split_namespace(&rest)?;
    super::spec_check::check_local_target(scheme, target)?;
    let mut d = Diagnosis {
        spec: super::factory::redacted_spec(spec),
        backend: scheme
            .trim_end_matches("+cluster")
            .trim_end_matches('s')
            .to_owned(),
        location: String::new(),
        namespace,
        encryption: Encryption::Off,
        keyrings: Vec::new(),
        files: Vec::new(),
        problems: Vec::new(),
    };
    match scheme {
        "memory" => d.location = "this process's memory".into(),
        "file" | "sqlite" => {
            let path = path_of(target)?;
            d.location = path.display().to_string();
            let role = if scheme == "file" {
                "token file"
            } else {
                "database"
            };
            d.check_file(role, &path, true);
        }
        "keyring" => {
            let backend: KeyringBackend =
                super::factory::keyring_backend(backend_param.as_deref().unwrap_or("platform"))?;
            d.location = format!("{}, service '{target}'", backend.describe());
            d.probe(backend, target, "oauthkit-index", "token entries", timeout);
        }
        "redis" | "rediss" | "redis+cluster" | "rediss+cluster" | "memcache" => {
            d.location = without_password(&format!("{scheme}:{target}"));
            d.backend = if scheme == "memcache" {
                "memcache".into()
            } else {
                "redis".into()
            };
        }
        other => {
            return Err(crate::Error::InvalidArgument(format!(
                "unknown store scheme {}",
                crate::url_text::shown_scheme(other)
            )))
        }
    }
    if let Some(source) = encrypt {
        d.key_source(&source, timeout);
    } else if matches!(d.backend.as_str(), "file" | "sqlite" | "redis" | "memcache") {
        d.problems.push(format!(
            "token sets are kept in plain text in the {} store (add encrypt=... to the spec)",
            d.backend
        ));
    }
    Ok(d)
}

/// Examines application `app`'s default store ([`DefaultStore`]): the spec
/// in `OAUTHKIT_STORE` when set, else its own file and the keyring key
/// that encrypts it.
///
/// # Errors
/// [`Error::InvalidArgument`](crate::Error::InvalidArgument) for a bad
/// application name or `OAUTHKIT_STORE` spec, or no data directory.
pub fn diagnose_default(app: &str, timeout: Duration) -> Result<Diagnosis> {
    let default = DefaultStore::builder(app)?;
    if let Ok(spec) = std::env::var(STORE_ENV) {
        if !spec.is_empty() {
            let mut d = diagnose_with_timeout(&spec, timeout)?;
            d.spec = format!("{STORE_ENV}={}", super::factory::redacted_spec(&spec));
            return Ok(d);
        }
    }
    let path = default.path()?;
    let mut d = Diagnosis {
        spec: format!("default store of {app}"),
        backend: "file".into(),
        location: path.display().to_string(),
        namespace: super::DEFAULT_NAMESPACE.into(),
        encryption: Encryption::Off,
        keyrings: Vec::new(),
        files: Vec::new(),
        problems: Vec::new(),
    };
    d.check_file("token file", &path, true);
    d.key_source(&format!("keyring:{}", default.keyring_service()), timeout);
    Ok(d)
}

impl Diagnosis {
    fn check_file(&mut self, role: &str, path: &Path, secret: bool) {
        let check = file_check(role, path);
        if check.symlink {
            self.problems.push(format!(
                "the {role} {} is a symbolic link; oauthkit refuses to follow it",
                path.display()
            ));
        } else if check.exists && !check.is_private() && secret {
            self.problems.push(format!(
                "the {role} {} is readable or writable by others (mode {:04o}); chmod 600",
                path.display(),
                check.mode.unwrap_or(0)
            ));
        }
        self.files.push(check);
    }

    fn probe(
        &mut self,
        backend: KeyringBackend,
        service: &str,
        account: &str,
        purpose: &str,
        timeout: Duration,
    ) {
        let started = Instant::now();
        let answer = probe(service, account, backend, timeout).map_err(|e| e.to_string());
        if let Err(why) = &answer {
            self.problems.push(format!(
                "the keyring for the {purpose} did not answer: {why}"
            ));
        }
        self.keyrings.push(KeyringCheck {
            backend,
            service: service.to_owned(),
            purpose: purpose.to_owned(),
            answer,
            elapsed: started.elapsed(),
        });
    }

    fn key_source(&mut self, source: &str, timeout: Duration) {
        let (kind, arg) = source.split_once(':').unwrap_or((source, ""));
        let key_source = match kind {
            "env" => {
                if std::env::var_os(arg).is_none_or(|v| v.is_empty()) {
                    self.problems
                        .push(format!("the key's environment variable {arg} is not set"));
                }
                format!("environment variable {arg}")
            }
            "passphrase-env" => {
                if std::env::var_os(arg).is_none_or(|v| v.is_empty()) {
                    self.problems.push(format!(
                        "the passphrase's environment variable {arg} is not set"
                    ));
                }
                format!("passphrase (Argon2id) in environment variable {arg}")
            }
            "file" => {
                let path = PathBuf::from(arg);
                self.check_file("key file", &path, true);
                if self.files.last().is_some_and(|f| !f.exists) {
                    self.problems
                        .push(format!("the key file {} does not exist", path.display()));
                }
                format!("key file {}", path.display())
            }
            "keyring" | "keyutils" => {
                let backend = if kind == "keyutils" {
                    KeyringBackend::Keyutils
                } else {
                    KeyringBackend::Platform
                };
                let service = if arg.is_empty() { "oauthkit" } else { arg };
                self.probe(backend, service, KEY_ACCOUNT, "encryption key", timeout);
                format!("keyring service '{service}' ({backend})")
            }
            other => {
                self.problems
                    .push(format!("unknown encryption key source '{other}'"));
                format!("unknown ({other})")
            }
        };
        self.encryption = Encryption::On { key_source };
    }
}

const KEY_ACCOUNT: &str = "oauthkit-data-key";

#[cfg(feature = "keyring")]
fn probe(service: &str, account: &str, backend: KeyringBackend, timeout: Duration) -> Result<bool> {
    super::encrypted::probe_keyring(service, account, backend, timeout)
}

#[cfg(not(feature = "keyring"))]
fn probe(_: &str, _: &str, _: KeyringBackend, _: Duration) -> Result<bool> {
    Err(crate::Error::Unsupported {
        backend: "keyring (build oauthkit with --features keyring)",
        operation: "asking the keyring",
    })
}

fn file_check(role: &str, path: &Path) -> FileCheck {
    let meta = std::fs::symlink_metadata(path).ok();
    #[cfg(unix)]
    let mode = {
        use std::os::unix::fs::PermissionsExt;
        meta.as_ref().map(|m| m.permissions().mode() & 0o777)
    };
    #[cfg(not(unix))]
    let mode = None;
    FileCheck {
        role: role.to_owned(),
        path: path.to_owned(),
        exists: meta.is_some(),
        mode,
        symlink: meta.as_ref().is_some_and(|m| m.file_type().is_symlink()),
    }
}

/// A URL with any password replaced by `***`.
fn without_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

impl fmt::Display for Diagnosis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "store: {} ({})", self.location, self.backend)?;
        writeln!(f, "namespace: {}", self.namespace)?;
        match &self.encryption {
            Encryption::Off => writeln!(f, "encryption: off")?,
            Encryption::On { key_source } => writeln!(f, "encryption: on (key: {key_source})")?,
        }
        for k in &self.keyrings {
            let answer = match &k.answer {
                Ok(true) => "answered, entry present".to_owned(),
                Ok(false) => "answered, no entry yet".to_owned(),
                Err(why) => format!("NO ANSWER: {why}"),
            };
            writeln!(
                f,
                "keyring ({}, {} for {}): {answer} in {} ms",
                k.backend,
                k.service,
                k.purpose,
                k.elapsed.as_millis()
            )?;
        }
        for file in &self.files {
            let state = match (file.exists, file.mode) {
                (false, _) => "does not exist yet".to_owned(),
                (true, Some(m)) => format!("mode {m:04o}"),
                (true, None) => "exists".to_owned(),
            };
            writeln!(f, "{}: {} {state}", file.role, file.path.display())?;
        }
        for p in &self.problems {
            writeln!(f, "problem: {p}")?;
        }
        Ok(())
    }
}
