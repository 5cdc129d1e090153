//! globus-sdk's token data record (`TokenStorageData.to_dict`), used by the
//! JSON file and SQLite stores so that a Python program using globus-sdk
//! and an oauthkit program can share one file.
//!
//! ```json
//! {"resource_server": "rs", "identity_id": "sub", "scope": "a b",
//!  "access_token": "…", "refresh_token": "…", "expires_at_seconds": 1700003600,
//!  "token_type": "Bearer", "id_token": "…", "issued_at": 1700000000, "…": "…"}
//! ```
//!
//! globus-sdk omits `None` values and keeps unknown keys as `extra`; oauthkit
//! keeps its `id_token`, `issued_at` and the provider's other fields as such
//! extra keys, which globus-sdk carries along untouched. An unknown expiry is
//! written without `expires_at_seconds` (globus-sdk requires the field, so it
//! cannot load such a record; oauthkit never invents an expiry).

use serde_json::{Map, Value};

use crate::secret::Secret;
use crate::token::{split_scopes, TokenSet};

const KNOWN: &[&str] = &[
    "resource_server",
    "identity_id",
    "scope",
    "access_token",
    "refresh_token",
    "expires_at_seconds",
    "token_type",
    "id_token",
    "issued_at",
];

/// A token set as a globus-sdk record stored under `key`.
pub fn to_record(key: &str, t: &TokenSet) -> Value {
    let mut m = Map::new();
    let rs = t.resource_server.as_deref().unwrap_or(key);
    m.insert("resource_server".into(), rs.into());
    if let Some(id) = &t.identity_id {
        m.insert("identity_id".into(), id.as_str().into());
    }
    m.insert("scope".into(), t.scope_string().into());
    m.insert("access_token".into(), t.access_token.expose().into());
    if let Some(rt) = &t.refresh_token {
        m.insert("refresh_token".into(), rt.expose().into());
    }
    if let Some(at) = t.expires_at {
        m.insert("expires_at_seconds".into(), at.into());
    }
    m.insert("token_type".into(), t.token_type.as_str().into());
    if let Some(id) = &t.id_token {
        m.insert("id_token".into(), id.expose().into());
    }
    m.insert("issued_at".into(), t.issued_at.into());
    for (k, v) in &t.extra {
        if !KNOWN.contains(&k.as_str()) {
            m.insert(k.clone(), v.clone());
        }
    }
    Value::Object(m)
}

/// Reads a globus-sdk record.
///
/// # Errors
///
/// A message for a Corrupt error when the record is not a token record.
pub fn from_record(key: &str, v: &Value) -> Result<TokenSet, String> {
    let m = v
        .as_object()
        .ok_or_else(|| format!("token data for '{key}' is not an object"))?;
    let text = |name: &str| -> Result<Option<String>, String> {
        match m.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(format!("'{name}' of '{key}' must be a string")),
        }
    };
    let int = |name: &str| -> Result<Option<i64>, String> {
        match m.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_i64()
                .or_else(|| v.as_f64().map(|f| f.floor() as i64))
                .map(Some)
                .ok_or_else(|| format!("'{name}' of '{key}' must be a number")),
        }
    };
    let access_token =
        text("access_token")?.ok_or_else(|| format!("'{key}' has no access_token"))?;
    let extra = m
        .iter()
        .filter(|(k, _)| !KNOWN.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Ok(TokenSet {
        access_token: Secret::new(access_token),
        token_type: text("token_type")?.unwrap_or_else(|| "Bearer".into()),
        refresh_token: text("refresh_token")?.map(Secret::new),
        id_token: text("id_token")?.map(Secret::new),
        scopes: split_scopes(&text("scope")?.unwrap_or_default()),
        expires_at: int("expires_at_seconds")?,
        // Records written by globus-sdk carry no issue time; 0 says "unknown"
        // without making up a time that would shift expiry arithmetic.
        issued_at: int("issued_at")?.unwrap_or(0),
        resource_server: Some(text("resource_server")?.unwrap_or_else(|| key.to_owned())),
        identity_id: text("identity_id")?,
        extra,
        // never written to a globus-sdk record (plain text): such stores
        // refuse DPoP-bound sets before they get here
        dpop_key: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_record_written_by_globus_sdk() {
        let v: Value = serde_json::from_str(
            r#"{"resource_server": "transfer.api.globus.org", "identity_id": "u1",
                "scope": "urn:globus:auth:scope:transfer.api.globus.org:all",
                "access_token": "AT", "refresh_token": "RT",
                "expires_at_seconds": 1700003600, "token_type": "Bearer",
                "custom": {"a": 1}}"#,
        )
        .unwrap();
        let t = from_record("transfer.api.globus.org", &v).unwrap();
        assert_eq!(t.access_token.expose(), "AT");
        assert_eq!(t.refresh_token.as_ref().unwrap().expose(), "RT");
        assert_eq!(t.expires_at, Some(1_700_003_600));
        assert_eq!(t.identity_id.as_deref(), Some("u1"));
        assert_eq!(t.extra["custom"]["a"], 1);
        let back = to_record("transfer.api.globus.org", &t);
        assert_eq!(back["custom"]["a"], 1);
        assert_eq!(back["expires_at_seconds"], 1_700_003_600);
    }

    #[test]
    fn wrong_types_are_reported() {
        let v: Value = serde_json::from_str(r#"{"access_token": 5}"#).unwrap();
        assert!(from_record("k", &v).unwrap_err().contains("access_token"));
    }
}
