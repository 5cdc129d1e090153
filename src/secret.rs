//! A string that must not leak: tokens and client secrets.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

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
        // SAFETY: the bytes are wiped and the length set to 0, which leaves
        // valid (empty) UTF-8.
        wipe_vec(unsafe { self.0.as_mut_vec() });
    }
}

/// Overwrites all of `v`'s memory, its whole capacity, with zeros and
/// empties it, as `zeroize` does, but eight bytes per volatile write where
/// `zeroize` writes one: a token set's drop wipes several kilobytes
/// (issue 25 §5, measured in `benches/encrypted.rs`). The writes are
/// volatile and followed by a compiler fence, so they cannot be removed as
/// dead stores.
pub(crate) fn wipe_vec(v: &mut Vec<u8>) {
    let len = v.capacity();
    let start = v.as_mut_ptr();
    v.clear();
    let mut i = 0;
    // SAFETY: every write is inside the allocation of `capacity` bytes
    // (writing to its spare, uninitialised part through a raw pointer is
    // allowed); the `u64` writes are at 8-aligned addresses.
    unsafe {
        while i < len && !(start as usize + i).is_multiple_of(8) {
            std::ptr::write_volatile(start.add(i), 0);
            i += 1;
        }
        while i + 8 <= len {
            std::ptr::write_volatile(start.add(i).cast::<u64>(), 0);
            i += 8;
        }
        while i < len {
            std::ptr::write_volatile(start.add(i), 0);
            i += 1;
        }
    }
    std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
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

/// A byte buffer wiped with [`wipe_vec`] when dropped (a plaintext
/// token set's JSON while it is sealed or opened).
pub(crate) struct WipedBytes(pub Vec<u8>);

impl Drop for WipedBytes {
    fn drop(&mut self) {
        wipe_vec(&mut self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wipe_vec_zeroes_the_whole_capacity_at_every_length() {
        for len in 0..80 {
            for spare in [0, 1, 7, 8, 9] {
                let mut v = Vec::with_capacity(len + spare);
                v.resize(v.capacity(), 0xA5u8);
                v.truncate(len);
                let capacity = v.capacity();
                wipe_vec(&mut v);
                assert!(v.is_empty());
                // SAFETY: every byte of the capacity was written (0xA5, then 0).
                unsafe { v.set_len(capacity) };
                assert!(v.iter().all(|&b| b == 0), "len {len} spare {spare}");
            }
        }
    }

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
