//! A string that must not leak: tokens and client secrets.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroize;

/// A secret string: an access, refresh or ID token, or a client secret.
///
/// `Debug` prints `Secret([redacted])`, never the value; the memory is
/// overwritten with zeros when the value is dropped. The value is reachable
/// only through [`Secret::expose`], so every place that reads it is easy to
/// find. Equality is constant-time.
///
/// ```
/// use oauthkit::Secret;
/// let s = Secret::new("ya29.a0AfH6SM");
/// assert_eq!(format!("{s:?}"), "Secret([redacted])");
/// assert_eq!(format!("Bearer {}", s.expose()), "Bearer ya29.a0AfH6SM");
/// ```
///
/// There is deliberately no `Display` (and so no `to_string()`): with one,
/// `format!("Bearer {at}")` would compile and quietly send
/// `Bearer [redacted]`. Formatting a secret with `{}` is a compile error:
///
/// ```compile_fail
/// use oauthkit::Secret;
/// let at = Secret::new("ya29.a0AfH6SM");
/// let header = format!("Bearer {at}");
/// ```
///
/// ```compile_fail
/// use oauthkit::Secret;
/// let text: String = Secret::new("ya29.a0AfH6SM").to_string();
/// ```
#[derive(Clone, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret value. Do not log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the value is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

// A static assertion that `Secret` does not implement `Display` (the
// trait-ambiguity trick): were it to, `AmbiguousIfDisplay` would have two
// applicable impls for `Secret` and the `_` below could not be inferred.
const _: fn() = || {
    trait AmbiguousIfDisplay<A> {
        fn some_item() {}
    }
    impl<T: ?Sized> AmbiguousIfDisplay<()> for T {}
    #[allow(dead_code)]
    struct IsDisplay;
    impl<T: ?Sized + fmt::Display> AmbiguousIfDisplay<IsDisplay> for T {}
    let _ = <Secret as AmbiguousIfDisplay<_>>::some_item;
};

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        constant_time_eq(self.0.as_bytes(), other.0.as_bytes())
    }
}

impl Eq for Secret {}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret)
    }
}

/// Compares two byte strings in time that depends only on their lengths.
///
/// Used for `state`, `nonce` and secret comparisons so that an attacker
/// cannot learn a prefix from response timing.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    // black_box keeps the optimiser from short-circuiting the fold.
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts() {
        let s = Secret::new("hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert!(!format!("{:#?}", Some(&s)).contains("hunter2"));
    }

    #[test]
    fn serde_is_transparent() {
        let s = Secret::new("abc");
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"abc\"");
        let back: Secret = serde_json::from_str("\"abc\"").unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn constant_time_eq_compares() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
