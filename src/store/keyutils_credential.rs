//! A keyring-crate credential on the Linux kernel keyring (keyutils), used
//! by [`KeyringBackend::Keyutils`](super::KeyringBackend::Keyutils).
//!
//! Entries are `user` keys described `keyring-rs:{user}@{service}` (the
//! keyring crate's own keyutils naming) in the user's **persistent
//! keyring**, which the kernel keeps for the user across login sessions
//! until `/proc/sys/kernel/keys/persistent_keyring_expiry` seconds (3 days
//! by default) pass without use, and never across a reboot. Unlike the
//! keyring crate's keyutils store this needs no session keyring, so it also
//! works for a service or a container process that has none (there the
//! crate's store fails to link its keys). Where the kernel has no
//! persistent keyrings the user keyring (`@u`) is used: it lasts while the
//! user has processes.

use std::any::Any;

use keyring::credential::CredentialApi;
use keyring::Error as KrError;
use linux_keyutils::{KeyError, KeyRing, KeyRingIdentifier};

pub(crate) struct KernelKeyCredential {
    description: String,
}

impl KernelKeyCredential {
    pub(crate) fn new(service: &str, user: &str) -> Self {
        KernelKeyCredential {
            description: format!("keyring-rs:{user}@{service}"),
        }
    }

    fn keyring() -> keyring::Result<KeyRing> {
        KeyRing::get_persistent(KeyRingIdentifier::User)
            .or_else(|_| KeyRing::from_special_id(KeyRingIdentifier::User, true))
            .map_err(error)
    }
}

fn error(e: KeyError) -> KrError {
    match e {
        KeyError::KeyDoesNotExist | KeyError::KeyExpired | KeyError::KeyRevoked => KrError::NoEntry,
        other => KrError::NoStorageAccess(Box::new(std::io::Error::other(format!(
            "the kernel keyring refused: {other:?}"
        )))),
    }
}

impl CredentialApi for KernelKeyCredential {
    fn set_secret(&self, secret: &[u8]) -> keyring::Result<()> {
        if secret.is_empty() {
            return Err(KrError::Invalid(
                "secret".into(),
                "a kernel key cannot be empty".into(),
            ));
        }
        Self::keyring()?
            .add_key(&self.description, secret)
            .map(|_| ())
            .map_err(error)
    }

    fn get_secret(&self) -> keyring::Result<Vec<u8>> {
        let key = Self::keyring()?.search(&self.description).map_err(error)?;
        key.read_to_vec().map_err(error)
    }

    fn delete_credential(&self) -> keyring::Result<()> {
        let key = Self::keyring()?.search(&self.description).map_err(error)?;
        key.invalidate().map_err(error)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
