//! [`KeyringBackend`]: which OS keyring a [`KeyringStore`](super::KeyringStore)
//! or a keyring-held encryption key uses.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// Which keyring holds the entries.
///
/// | backend | where | survives |
/// |---|---|---|
/// | [`Platform`](Self::Platform) (default) | the Secret Service on the session D-Bus (Linux, BSD), the Keychain (macOS), the Credential Manager (Windows) | reboots: the entries are on disk, encrypted by the keyring daemon |
/// | [`Keyutils`](Self::Keyutils) (Linux) | the kernel's key retention service: `user` keys in the user's persistent keyring (the user keyring where the kernel has none) | **no reboot**: keyutils keys live in kernel memory only. They outlast logins, until `/proc/sys/kernel/keys/persistent_keyring_expiry` seconds (3 days by default) pass without any use |
///
/// Keyutils needs no D-Bus and no daemon, so it answers on a headless
/// server or in a container; what it holds is lost on reboot, which suits a
/// cache of tokens or a per-boot encryption key, not the only copy of a
/// long-lived secret. Any process of the same user in the same session can
/// read the entries (as with the Secret Service).
///
/// Spelled `platform` or `keyutils` in specs: `keyring:my-app?backend=keyutils`,
/// `file:/path/tokens.json?encrypt=keyutils:my-app`.
///
/// ```
/// use oauthkit::unversioned::store::KeyringBackend;
/// assert_eq!("keyutils".parse::<KeyringBackend>().unwrap(), KeyringBackend::Keyutils);
/// assert_eq!(KeyringBackend::default(), KeyringBackend::Platform);
/// assert!("kwallet".parse::<KeyringBackend>().is_err());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyringBackend {
    /// The platform's keyring service (Secret Service on Linux).
    #[default]
    Platform,
    /// The Linux kernel's keyutils (the user's persistent keyring; nothing
    /// survives a reboot).
    Keyutils,
}

impl KeyringBackend {
    /// The name used in specs and diagnostics.
    pub fn name(self) -> &'static str {
        match self {
            KeyringBackend::Platform => "platform",
            KeyringBackend::Keyutils => "keyutils",
        }
    }

    /// What this backend is, in words (for diagnostics).
    pub fn describe(self) -> &'static str {
        match self {
            KeyringBackend::Platform if cfg!(target_os = "macos") => "the macOS Keychain",
            KeyringBackend::Platform if cfg!(windows) => "the Windows Credential Manager",
            KeyringBackend::Platform => "the Secret Service on the session D-Bus",
            KeyringBackend::Keyutils => {
                "the Linux kernel keyring (keyutils, persistent keyring; nothing survives a reboot)"
            }
        }
    }

    /// The keyring entry `service`/`user` on this backend.
    #[cfg(feature = "keyring")]
    pub(crate) fn entry(self, service: &str, user: &str) -> keyring::Result<keyring::Entry> {
        match self {
            KeyringBackend::Platform => keyring::Entry::new(service, user),
            KeyringBackend::Keyutils => keyutils_entry(service, user),
        }
    }
}

#[cfg(all(feature = "keyring", target_os = "linux"))]
fn keyutils_entry(service: &str, user: &str) -> keyring::Result<keyring::Entry> {
    let credential = super::keyutils_credential::KernelKeyCredential::new(service, user);
    Ok(keyring::Entry::new_with_credential(Box::new(credential)))
}

#[cfg(all(feature = "keyring", not(target_os = "linux")))]
fn keyutils_entry(_: &str, _: &str) -> keyring::Result<keyring::Entry> {
    Err(keyring::Error::NoStorageAccess(
        "the keyutils keyring exists on Linux only".into(),
    ))
}

impl FromStr for KeyringBackend {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "platform" | "default" | "secret-service" => Ok(KeyringBackend::Platform),
            "keyutils" => Ok(KeyringBackend::Keyutils),
            other => Err(Error::InvalidArgument(format!(
                "unknown keyring backend '{other}' (known: platform, keyutils)"
            ))),
        }
    }
}

impl fmt::Display for KeyringBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
