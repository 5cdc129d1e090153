//! Reading python-oauth2's `user_id`, which may be a string or a number.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// Accepts a string, a number (kept as its decimal text, as Python's
/// `str()` would write it) or null.
pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(serde::de::Error::custom(
            "user_id must be a string or a number",
        )),
    }
}
