//! Provider settings from an environment-like map (`OAUTHKIT_*=value`
//! lines), then building the provider they describe.

use std::collections::HashMap;

use super::assert_no_secret;
use oauthkit::provider::{Provider, ProviderSettings};

/// `ProviderSettings::from_lookup` and `build` on `NAME=value` lines; the
/// client secret never appears in an error or in Debug output.
pub fn provider_settings(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut env = HashMap::new();
    for line in text.lines() {
        if let Some((k, v)) = line.split_once('=') {
            env.entry(k.to_owned()).or_insert_with(|| v.to_owned());
        }
    }
    // The secret as the library reads it (trimmed), when it cannot be
    // confused with another value or a name.
    let secret = env
        .get("OAUTHKIT_CLIENT_SECRET")
        .map(|s| s.trim().to_owned())
        .filter(|s| {
            env.iter().all(|(k, v)| {
                k == "OAUTHKIT_CLIENT_SECRET"
                    || (!v.contains(s.as_str()) && !k.contains(s.as_str()))
            })
        })
        .unwrap_or_default();
    let secrets = [secret.as_str()];
    let settings = match ProviderSettings::from_lookup(|k| env.get(k).cloned()) {
        Ok(s) => s,
        Err(e) => {
            assert_no_secret("settings error", &e.to_string(), &secrets);
            return;
        }
    };
    assert_no_secret("settings Debug", &format!("{settings:?}"), &secrets);
    match settings.build() {
        Ok(provider) => {
            let _ = provider.name();
            let _ = provider.issuer();
        }
        Err(e) => {
            assert_no_secret("build error", &e.to_string(), &secrets);
            assert_no_secret("build error Debug", &format!("{e:?}"), &secrets);
        }
    }
}
