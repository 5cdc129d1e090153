//! A data key kept in the OS keyring, generated on first use.

use std::sync::mpsc;
use std::time::Duration;

use zeroize::Zeroizing;

use super::keys::SealingKeys;
use crate::error::{Error, Result};
use crate::hex::hex;
use crate::store::file_lock::FileLock;
use crate::store::KeyringBackend;

/// The keyring account (user name) under which the data key is kept.
pub const KEYRING_ACCOUNT: &str = "oauthkit-data-key";

/// How long a keyring call may take before the keyring counts as not
/// answering (a locked Secret Service waiting for a password prompt that
/// nobody sees would otherwise hang the caller).
pub const DEFAULT_KEYRING_TIMEOUT: Duration = Duration::from_secs(5);

impl SealingKeys {
    /// The data key kept in the OS keyring under `service` (account
    /// [`KEYRING_ACCOUNT`]), generated and stored there on first use.
    /// Processes that start at the same moment agree on one key: creation
    /// happens under a lock file next to the default store.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when no keyring answers within
    /// [`DEFAULT_KEYRING_TIMEOUT`] (never a silent fallback to plain text);
    /// [`Error::InvalidArgument`] when the keyring entry holds something
    /// that is not a key.
    pub fn from_keyring(service: &str) -> Result<Self> {
        Self::from_keyring_with_timeout(service, DEFAULT_KEYRING_TIMEOUT)
    }

    /// [`from_keyring`](Self::from_keyring) with another time limit for
    /// each keyring call.
    ///
    /// # Errors
    /// As [`from_keyring`](Self::from_keyring).
    pub fn from_keyring_with_timeout(service: &str, timeout: Duration) -> Result<Self> {
        Self::from_keyring_backend(service, KeyringBackend::Platform, timeout)
    }

    /// [`from_keyring_with_timeout`](Self::from_keyring_with_timeout) on a
    /// chosen keyring backend, e.g. [`KeyringBackend::Keyutils`] (the Linux
    /// kernel keyring: no D-Bus, but the key is gone after a reboot, and
    /// with it every record it sealed — use it for stores that can be
    /// signed into again).
    ///
    /// # Errors
    /// As [`from_keyring`](Self::from_keyring).
    pub fn from_keyring_backend(
        service: &str,
        backend: KeyringBackend,
        timeout: Duration,
    ) -> Result<Self> {
        crate::store::check_key("keyring service", service)?;
        let at = Target {
            service,
            backend,
            account: KEYRING_ACCOUNT,
        };
        let text = match with_timeout(at, timeout, read)? {
            Some(text) => text,
            None => {
                let lock_path = creation_lock_path(at)?;
                let _lock = FileLock::acquire(&lock_path, timeout.max(Duration::from_secs(10)))?;
                match with_timeout(at, timeout, read)? {
                    Some(text) => text,
                    None => {
                        let fresh = SealingKeys::generate_key_text();
                        let value = fresh.expose().to_owned();
                        with_timeout(at, timeout, move |e| e.set_password(&value).map(|()| None))?;
                        Zeroizing::new(fresh.expose().to_owned())
                    }
                }
            }
        };
        SealingKeys::from_text(&text)
            .map_err(|_| {
                Error::InvalidArgument(format!(
                    "the keyring entry '{service}'/'{KEYRING_ACCOUNT}' does not hold an oauthkit data key"
                ))
            })
            .map(|k| {
                k.with_source(match backend {
                    KeyringBackend::Platform => format!("OS keyring service '{service}'"),
                    other => format!("{other} keyring service '{service}'"),
                })
            })
    }

    /// Deletes the data key kept in the OS keyring under `service`; whether
    /// there was one. Every record sealed with it can no longer be opened:
    /// this is for tearing a store down, not for rotation.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when no keyring answers within
    /// [`DEFAULT_KEYRING_TIMEOUT`].
    pub fn delete_keyring_key(service: &str) -> Result<bool> {
        Self::delete_keyring_key_on(service, KeyringBackend::Platform)
    }

    /// [`delete_keyring_key`](Self::delete_keyring_key) on a chosen backend.
    ///
    /// # Errors
    /// As [`delete_keyring_key`](Self::delete_keyring_key).
    pub fn delete_keyring_key_on(service: &str, backend: KeyringBackend) -> Result<bool> {
        let at = Target {
            service,
            backend,
            account: KEYRING_ACCOUNT,
        };
        let deleted = with_timeout(at, DEFAULT_KEYRING_TIMEOUT, |e| {
            match e.delete_credential() {
                Ok(()) => Ok(Some(Zeroizing::new(String::new()))),
                Err(keyring::Error::NoEntry) => Ok(None),
                Err(e) => Err(e),
            }
        })?;
        Ok(deleted.is_some())
    }
}

/// Whether the keyring `backend` answers within `timeout` and holds an
/// entry `service`/`account` (its value is read, wiped and dropped, never
/// returned): `Ok(true)` present, `Ok(false)` answered without it.
///
/// # Errors
/// [`Error::Unavailable`] when the keyring does not answer in time or
/// refuses.
pub(crate) fn probe_keyring(
    service: &str,
    account: &str,
    backend: KeyringBackend,
    timeout: Duration,
) -> Result<bool> {
    let at = Target {
        service,
        backend,
        account,
    };
    Ok(with_timeout(at, timeout, read)?.is_some())
}

fn read(entry: keyring::Entry) -> keyring::Result<Option<Zeroizing<String>>> {
    match entry.get_password() {
        Ok(text) => Ok(Some(Zeroizing::new(text))),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Which entry holds a key.
#[derive(Clone, Copy)]
struct Target<'a> {
    service: &'a str,
    backend: KeyringBackend,
    account: &'a str,
}

/// Runs one keyring call on a helper thread, giving up after `timeout`.
fn with_timeout<F>(at: Target<'_>, timeout: Duration, call: F) -> Result<Option<Zeroizing<String>>>
where
    F: FnOnce(keyring::Entry) -> keyring::Result<Option<Zeroizing<String>>> + Send + 'static,
{
    let service = at.service;
    let backend = at.backend;
    let (tx, rx) = mpsc::channel();
    let name = service.to_owned();
    let account = at.account.to_owned();
    // Even opening the entry may talk to the keyring daemon: all of it
    // happens on the helper thread, which is left behind if it hangs.
    std::thread::Builder::new()
        .name("oauthkit-keyring".into())
        .spawn(move || {
            let _ = tx.send(backend.entry(&name, &account).and_then(call));
        })
        .map_err(|e| Error::io("starting the keyring thread", e))?;
    match rx.recv_timeout(timeout) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => {
            log::warn!("OS keyring unavailable for the encryption key of '{service}': {e}");
            Err(unavailable(service, &e))
        }
        Err(_) => {
            log::warn!(
                "OS keyring did not answer within {} ms (encryption key of '{service}')",
                timeout.as_millis()
            );
            Err(Error::Unavailable {
            backend: "keyring",
            message: format!(
                "the OS keyring did not answer within {} ms while fetching the encryption key for '{service}' \
                 (is the Secret Service locked or missing? choose another key source, e.g. encrypt=env:NAME)",
                timeout.as_millis()
            ),
            source: None,
        })
        }
    }
}

fn unavailable(service: &str, e: &keyring::Error) -> Error {
    Error::Unavailable {
        backend: "keyring",
        message: format!(
            "cannot reach the OS keyring for the encryption key of '{service}': {e} \
             (choose another key source, e.g. encrypt=env:NAME)"
        ),
        source: None,
    }
}

fn creation_lock_path(at: Target<'_>) -> Result<std::path::PathBuf> {
    use crate::digest::sha256;
    let dir = crate::store::default_store_path()?
        .parent()
        .map(std::path::Path::to_path_buf)
        .ok_or_else(|| Error::InvalidArgument("no data directory for the keyring lock".into()))?;
    crate::store::file_lock::create_private_dir(&dir)?;
    let digest = match at.backend {
        KeyringBackend::Platform => sha256(at.service.as_bytes()),
        other => sha256(format!("{other}\0{}", at.service).as_bytes()),
    };
    Ok(dir.join(format!(".keyring-key-{}.lock", hex(&digest[..8]))))
}
