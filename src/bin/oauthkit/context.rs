//! Opening what a command needs for one profile: its store (the encrypted
//! default store unless a spec is given) and its provider, built without
//! any network access so `oauthkit token` with a fresh token stays fast.

use std::sync::Arc;

use oauthkit::provider::Provider;
use oauthkit::session::SessionManager;
use oauthkit::store::{DefaultStore, Protection};
use oauthkit::{Result, TokenStore};

use crate::config::{Origin, Profile};

/// A profile's opened store.
pub struct OpenedProfileStore {
    pub store: Arc<dyn TokenStore>,
    /// "encrypted (key in keyring service ...)", "plain text (...)", "as the spec says".
    pub protection: String,
    /// A file path or a spec (specs are shown with their query, which
    /// names key sources, never keys).
    pub location: String,
}

/// Opens the profile's store.
pub fn open_store(profile: &Profile) -> Result<OpenedProfileStore> {
    match (&profile.store, profile.store_origin) {
        (Some(spec), _) => {
            let store = oauthkit::store::open(spec)?;
            Ok(OpenedProfileStore {
                store,
                protection: if spec.contains("encrypt=") {
                    "encrypted (store spec)".into()
                } else {
                    "not encrypted: the store spec has no encrypt=".into()
                },
                location: oauthkit::unversioned::store::redacted_spec(spec),
            })
        }
        (None, _) => {
            let opened = DefaultStore::open(profile.default_store_app())?;
            let protection = match opened.protection() {
                Protection::Encrypted { key_source } => format!("encrypted (key: {key_source})"),
                Protection::PlainText { why } => {
                    format!("PLAIN TEXT (OAUTHKIT_ALLOW_PLAINTEXT): {why}")
                }
                Protection::FromSpec => "as OAUTHKIT_STORE says".into(),
                _ => "unknown".into(),
            };
            let location = opened.location().to_owned();
            Ok(OpenedProfileStore {
                store: Arc::new(opened),
                protection,
                location,
            })
        }
    }
}

/// What `open_store` would open, without opening it (for `config`).
pub fn describe_store(profile: &Profile) -> String {
    match &profile.store {
        Some(spec) => format!(
            "{} ({})",
            oauthkit::unversioned::store::redacted_spec(spec),
            origin_text(profile.store_origin)
        ),
        None => {
            let app = profile.default_store_app();
            let path = DefaultStore::builder(&app)
                .and_then(|d| d.path())
                .map(|p| p.display().to_string())
                .unwrap_or_else(|e| format!("? ({e})"));
            format!("default store {path}, encrypted with a key in keyring service oauthkit:{app}")
        }
    }
}

fn origin_text(o: Origin) -> &'static str {
    o.label()
}

/// The profile's provider (no I/O: discovery happens on first use).
pub fn provider(profile: &Profile) -> Result<Arc<dyn Provider>> {
    Ok(Arc::new(profile.provider_settings().build()?))
}

/// A session manager over the profile's store and provider.
pub fn sessions(profile: &Profile, store: Arc<dyn TokenStore>) -> Result<SessionManager> {
    let mut s = SessionManager::new(provider(profile)?, store);
    if let Some(m) = profile.file.refresh_margin_secs {
        s = s.margin(std::time::Duration::from_secs(m));
    }
    Ok(s)
}
