//! How a URL or scheme that may hold credentials is shown in an error
//! message: store specs (Redis, memcached) and proxy URLs. Mangled input
//! can put a password anywhere, so what cannot be shown safely is not
//! shown at all.

/// Whether `s` looks like a URL scheme (RFC 3986 §3.1 characters, short).
pub(crate) fn is_url_scheme(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 32
        && s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// A refused scheme as an error may show it: quoted when it looks like a
/// URL scheme, otherwise not at all, since in a mangled spec the text
/// before `:` or `://` can hold a password (`redis:/\n/:PASSWORD@host://...`).
pub(crate) fn shown_scheme(scheme: &str) -> String {
    if is_url_scheme(scheme) {
        format!("'{scheme}'")
    } else {
        "(not shown: it is not a URL scheme)".to_owned()
    }
}

/// `url` as an error may show it: the password (everything between the
/// user name and the last `@`) replaced by `***`; a URL whose text before
/// `://` is no scheme (so a mangled `scheme://user:password@...`) or that
/// has `@` without `://` is not shown at all.
pub(crate) fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return if url.contains('@') {
            "(not shown: a malformed URL that may hold credentials)".to_owned()
        } else {
            url.to_owned()
        };
    };
    if !is_url_scheme(scheme) {
        // the text before the first `://` is no scheme: it may be a
        // mangled `scheme://user:password@...`
        return "(not shown: a malformed URL that may hold credentials)".to_owned();
    }
    // Everything before the last `@` may be credentials, wherever that `@`
    // is (parsers disagree on where a mangled authority ends).
    match rest.rfind('@') {
        Some(at) => {
            let user = rest[..at].split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***{}", &rest[at..])
        }
        None => url.to_owned(),
    }
}
