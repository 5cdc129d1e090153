//! The target of a local store spec (`file:`, `sqlite:`, `keyring:`,
//! `memory:`) must not look like a URL or carry credentials.
//!
//! A spec meant for a network store but mistyped (`sqlite:user:PW@redis://h`,
//! `file:redis://user:PW@h`, `file://:PW@h`) would otherwise become a
//! plain-text token file in the current directory whose very name holds the
//! password. Such a target is refused before anything is created, and the
//! error never quotes it: the whole class is recognised after undoing
//! percent-encoding (repeatedly), reading `\` as `/` and ignoring blanks and
//! control characters.

use crate::error::{Error, Result};

/// How many rounds of percent-decoding are undone (`%25` nests).
const DECODE_ROUNDS: usize = 4;

/// Checks the target of a spec of scheme `scheme` (the text after
/// `scheme:`, without its `?namespace=` / `?encrypt=` / `?backend=`
/// settings). Network schemes are not checked here (their URL parsers
/// handle credentials, and their errors redact them).
///
/// # Errors
/// [`Error::InvalidArgument`] naming the scheme and the rule, never quoting
/// the target.
pub(crate) fn check_local_target(scheme: &str, target: &str) -> Result<()> {
    let what = match scheme {
        "file" | "sqlite" => "a path",
        "keyring" => "a keyring service name",
        "memory" => {
            if target.is_empty() {
                return Ok(());
            }
            return Err(refused(
                scheme,
                "a memory: spec takes no target (write 'memory:' or 'memory:?namespace=NAME')",
            ));
        }
        _ => return Ok(()),
    };
    if let Some(why) = url_shape(scheme, target) {
        return Err(refused(
            scheme,
            &format!(
                "{why}; a {scheme}: spec names {what}, and this one looks like a URL that may hold credentials, so nothing was created (for a network store write its URL itself, e.g. redis://user:password@host:6379/0)"
            ),
        ));
    }
    Ok(())
}

fn refused(scheme: &str, why: &str) -> Error {
    Error::InvalidArgument(format!(
        "store spec '{scheme}:...' refused (its target is not shown): {why}"
    ))
}

/// Why `target` looks like a URL or credentials, if it does.
fn url_shape(scheme: &str, target: &str) -> Option<&'static str> {
    if target
        .chars()
        .any(|c| c.is_control() || is_invisible_format(c))
    {
        return Some("it holds a control or invisible format character");
    }
    for form in forms(target) {
        // blanks and control characters cannot hide `://` or `@`
        let compact: String = form
            .chars()
            .filter(|c| !c.is_whitespace() && !c.is_control() && !is_invisible_format(*c))
            .collect();
        if compact.contains("://") {
            return Some("it holds '://'");
        }
        if form.contains('?') {
            return Some("it holds '?' (a query, or a setting other than namespace= and encrypt=)");
        }
        if let Some(authority) = compact.strip_prefix("//") {
            if !authority.starts_with('/') {
                return Some("it names a host ('//host'); a local path is file:/abs/path or file:///abs/path");
            }
        }
        if has_user_info(&compact, scheme == "keyring") {
            return Some("it holds a 'user:password@' or 'user@host' part");
        }
    }
    None
}

/// Whether `path` has a user-info-like part: an `@` with a `:` or `/`
/// after it (`user:pw@host:6379`, `pw@host/db`, `/tmp/pw@host/x`), the
/// shape of a URL's `user:password@host`, an `@` beside a `:` in one
/// segment (`/tmp/user:pw@host`), or an `@` at the start of a relative
/// path, where a URL's user info goes (`pw@host`; write
/// `./tokens@work.json` for such a file). A file name with `@` in the last
/// segment of any other path is fine. For a keyring service name any `@`
/// counts.
fn has_user_info(path: &str, any_at: bool) -> bool {
    let Some(at) = path.find('@') else {
        return false;
    };
    let mut segments = path.split('/');
    let first_segment = segments.next().unwrap_or_default();
    any_at
        || path[at..].contains([':', '/'])
        || first_segment.contains('@')
        || segments.any(|s| s.contains('@') && s.contains(':'))
}

/// The target as given and every percent-decoded form of it, with `\`
/// read as `/` (Windows separators, `redis:\\user:pw@host`) and
/// look-alike characters read as the ASCII they imitate (fullwidth
/// `：／＠？`, division and fraction slashes, small and modifier colons).
fn forms(target: &str) -> Vec<String> {
    let mut out = vec![plain(target)];
    let mut current = target.to_owned();
    for _ in 0..DECODE_ROUNDS {
        let decoded = percent_encoding::percent_decode_str(&current)
            .decode_utf8_lossy()
            .into_owned();
        if decoded == current {
            break;
        }
        out.push(plain(&decoded));
        current = decoded;
    }
    out
}

/// `s` with `\` as `/` and look-alikes of ASCII punctuation as ASCII.
fn plain(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\\' | '\u{2215}' | '\u{2044}' | '\u{29F8}' => '/',
            '\u{FE55}' | '\u{A789}' | '\u{2236}' => ':',
            '\u{FE6B}' => '@',
            '\u{FE16}' => '?',
            // the fullwidth forms of ASCII (U+FF01..=U+FF5E)
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            c => c,
        })
        .collect()
}

/// Unicode format characters that render as nothing (zero-width, bidi
/// controls, soft hyphen, BOM) and could hide a separator.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_paths_pass() {
        for ok in [
            "/home/me/tokens.json",
            "///home/me/tokens.json",
            "tokens.json",
            "./tokens@work.json",
            "/home/me/tokens@work.json",
            "/home/me/tokens.json@2",
            "C:\\Users\\me\\tokens.json",
            "/tmp/a%20b.json",
        ] {
            assert!(check_local_target("file", ok).is_ok(), "{ok}");
        }
        assert!(check_local_target("keyring", "my-app").is_ok());
        assert!(check_local_target("memory", "").is_ok());
    }

    #[test]
    fn url_shapes_are_refused_without_quoting() {
        for bad in [
            "user:PWxyz@redis://127.0.0.1:6379",
            "redis://user:PWxyz@host",
            "PWxyz@x://h",
            "//:PWxyz@host://h",
            "//PWxyz/tokens.json",
            "user%3APWxyz%40redis%253A%252F%252Fhost",
            "redis:\\\\user:PWxyz@host",
            "redis:/\u{200B}/user:PWxyz@host",
            "user:PWxyz@host:6379",
            "PWxyz@host",
            "/tmp/PWxyz@host:6379",
            "/tmp/t.json?password=PWxyz",
            "/home/PWxyz@work/tokens.json",
            "redis:/\n/user:PWxyz@host",
            "user\u{FF1A}PWxyz\u{FF20}redis\u{FF1A}\u{FF0F}\u{FF0F}host",
            "redis:\u{2215}\u{2215}user:PWxyz\u{FE6B}host",
        ] {
            for scheme in ["file", "sqlite", "keyring", "memory"] {
                let e = check_local_target(scheme, bad).expect_err(bad);
                assert!(!format!("{e} {e:?}").contains("PWxyz"), "{bad}: {e}");
            }
        }
    }
}
