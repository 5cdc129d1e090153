//! Where token sets live in Redis: pywry's key layout, extended to
//! namespaces.
//!
//! | namespace | key |
//! |---|---|
//! | `DEFAULT` | `{prefix}:oauth:tokens:{key}` (exactly pywry's) |
//! | any other | `{prefix}:{namespace}:oauth:tokens:{key}` |
//!
//! In a namespace name `%` and `:` are written `%25` and `%3A`, so a
//! namespace is always one `:`-free segment and no namespace's keys can be
//! mistaken for another's (or for the default namespace's). Keys are stored
//! as given. Per-key locks use the same layout with `locks` for `tokens`
//! and a hash tag that puts each lock in its token set's cluster slot.

use super::slot;
use crate::store::DEFAULT_NAMESPACE;

/// The segment between the namespace and the key.
const TOKENS: &str = "oauth:tokens:";
const LOCKS: &str = "oauth:locks:";

/// The key layout of one store handle.
#[derive(Clone, Debug)]
pub(crate) struct Layout {
    prefix: String,
    /// `{prefix}:` or `{prefix}:{encoded namespace}:`.
    base: String,
}

impl Layout {
    pub(crate) fn new(prefix: &str, namespace: &str) -> Self {
        let base = if namespace == DEFAULT_NAMESPACE {
            format!("{prefix}:")
        } else {
            format!("{prefix}:{}:", encode_namespace(namespace))
        };
        Layout {
            prefix: prefix.to_owned(),
            base,
        }
    }

    /// The Redis key of a token set.
    pub(crate) fn token_key(&self, key: &str) -> String {
        format!("{}{TOKENS}{key}", self.base)
    }

    /// The Redis key of the lock on `key`: `{base}oauth:locks:{TAG}:{key}`,
    /// where the hash tag puts it in the token set's cluster slot (so one
    /// script can check the lock and write the tokens, see `slot.rs`).
    /// A base holding braces of its own keeps its tag when that already
    /// lands there.
    pub(crate) fn lock_key(&self, key: &str) -> String {
        let target = slot::slot(&self.token_key(key));
        let tagged = format!("{}{LOCKS}{{{}}}:{key}", self.base, slot::tag_for(target));
        let plain = format!("{}{LOCKS}{key}", self.base);
        if slot::slot(&tagged) != target && slot::slot(&plain) == target {
            plain
        } else {
            tagged
        }
    }

    /// The SCAN pattern matching this namespace's token keys.
    pub(crate) fn token_pattern(&self) -> String {
        format!("{}{TOKENS}*", glob_escape(&self.base))
    }

    /// The user key of a Redis key found by [`token_pattern`](Self::token_pattern).
    pub(crate) fn key_of<'a>(&self, redis_key: &'a str) -> Option<&'a str> {
        redis_key.strip_prefix(&self.base)?.strip_prefix(TOKENS)
    }

    /// The SCAN pattern matching token keys of every namespace.
    pub(crate) fn all_tokens_pattern(&self) -> String {
        format!("{}:*{TOKENS}*", glob_escape(&self.prefix))
    }

    /// The namespace of a Redis key found by
    /// [`all_tokens_pattern`](Self::all_tokens_pattern).
    pub(crate) fn namespace_of(&self, redis_key: &str) -> Option<String> {
        let rest = redis_key.strip_prefix(&self.prefix)?.strip_prefix(':')?;
        if rest.starts_with(TOKENS) {
            return Some(DEFAULT_NAMESPACE.to_owned());
        }
        let (ns, tail) = rest.split_once(':')?;
        if tail.starts_with(TOKENS) {
            decode_namespace(ns)
        } else {
            None
        }
    }
}

fn encode_namespace(ns: &str) -> String {
    ns.replace('%', "%25").replace(':', "%3A")
}

fn decode_namespace(enc: &str) -> Option<String> {
    let mut out = String::with_capacity(enc.len());
    let mut rest = enc;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let code = rest.get(i + 1..i + 3)?;
        out.push(match code {
            "25" => '%',
            "3A" => ':',
            _ => return None,
        });
        rest = &rest[i + 3..];
    }
    out.push_str(rest);
    Some(out)
}

/// Escapes Redis glob metacharacters so `s` matches only itself.
pub(crate) fn glob_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\' | '^' | '-') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_namespace_is_pywry_layout() {
        let l = Layout::new("pywry", DEFAULT_NAMESPACE);
        assert_eq!(l.token_key("alice"), "pywry:oauth:tokens:alice");
        assert_eq!(l.key_of("pywry:oauth:tokens:a:b"), Some("a:b"));
        assert_eq!(
            l.namespace_of("pywry:oauth:tokens:x").as_deref(),
            Some("DEFAULT")
        );
    }

    #[test]
    fn namespaces_never_collide() {
        let d = Layout::new("p", DEFAULT_NAMESPACE);
        let tricky = Layout::new("p", "oauth:tokens:x");
        let k = tricky.token_key("k");
        assert_eq!(k, "p:oauth%3Atokens%3Ax:oauth:tokens:k");
        assert_eq!(d.key_of(&k), None);
        assert_eq!(tricky.namespace_of(&k).as_deref(), Some("oauth:tokens:x"));
        let pct = Layout::new("p", "50%:off");
        assert_eq!(
            pct.namespace_of(&pct.token_key("k")).as_deref(),
            Some("50%:off")
        );
        assert_eq!(d.namespace_of("p:other:thing"), None);
    }

    #[test]
    fn a_lock_shares_its_token_sets_cluster_slot() {
        for (prefix, ns) in [
            ("oauthkit", DEFAULT_NAMESPACE),
            ("app", "tenant:1"),
            ("my{app}", DEFAULT_NAMESPACE),
        ] {
            let l = Layout::new(prefix, ns);
            for key in ["alice", "{bob}", "a}b{c", "x{}y"] {
                let lock = l.lock_key(key);
                assert_eq!(slot::slot(&lock), slot::slot(&l.token_key(key)), "{lock}");
                assert!(lock.starts_with(prefix), "{lock}");
            }
        }
        let l = Layout::new("oauthkit", DEFAULT_NAMESPACE);
        assert!(l.lock_key("alice").starts_with("oauthkit:oauth:locks:{"));
    }

    #[test]
    fn patterns_escape_globs() {
        let l = Layout::new("a*b", "n?");
        assert_eq!(l.token_pattern(), r"a\*b:n\?:oauth:tokens:*");
    }
}
