//! Finding the keyring entries of a service that other programs wrote
//! (pywry's `KeyringTokenStore`, Python's `keyring`, `secret-tool`), which
//! [`KeyringStore`](super::KeyringStore)'s index does not know about.
//!
//! | platform | can list a service's entries? |
//! |---|---|
//! | Linux / BSD, Secret Service | yes: `SearchItems` by the `service` attribute, which the keyring crate, Python's `keyring` and `secret-tool` users set; the `username` attribute is the key |
//! | macOS Keychain, Windows Credential Manager | not implemented here: only the index (entries written by oauthkit) |
//!
//! Attributes are not secret: a search reads no secret and needs no
//! unlocked item, and locked items are listed too.

use crate::error::Result;

/// The `username`s of every Secret Service item whose `service` attribute
/// is `service`, or `None` where this platform cannot search.
#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
pub(crate) fn users_of(service: &str) -> Result<Option<Vec<String>>> {
    use std::collections::HashMap;

    use dbus_secret_service::{EncryptionType, SecretService};

    let unavailable = |doing: &str, e: dbus_secret_service::Error| crate::Error::Unavailable {
        backend: "keyring",
        message: format!(
            "{doing}: no usable Secret Service ({e}). On Linux a Secret Service (gnome-keyring, \
             KWallet, KeePassXC) must run on the session D-Bus. oauthkit does not fall back to \
             storing tokens in plain text; choose another store explicitly if that is what you want"
        ),
        source: None,
    };
    // Plain: no secret crosses the bus in a search.
    let ss = SecretService::connect(EncryptionType::Plain)
        .map_err(|e| unavailable("searching the keyring", e))?;
    let found = ss
        .search_items(HashMap::from([("service", service)]))
        .map_err(|e| unavailable("searching the keyring", e))?;
    let mut users = Vec::new();
    for item in found.unlocked.iter().chain(found.locked.iter()) {
        let attributes = item
            .get_attributes()
            .map_err(|e| unavailable("reading a keyring item's attributes", e))?;
        if attributes.get("service").map(String::as_str) != Some(service) {
            continue;
        }
        if let Some(user) = attributes.get("username") {
            users.push(user.clone());
        }
    }
    Ok(Some(users))
}

/// Other platforms: no search, the index is all there is.
#[cfg(not(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd")))]
pub(crate) fn users_of(_service: &str) -> Result<Option<Vec<String>>> {
    Ok(None)
}
