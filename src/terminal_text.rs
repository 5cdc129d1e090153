//! The one rule for text that came from a provider or a file and is shown
//! on a terminal (the device prompt, [notices](crate::flow::notice), the
//! CLI's `status`, `login` and error lines).
//!
//! Such text may hold characters a terminal acts on instead of showing:
//! control characters (C0, DEL, C1: line breaks, `ESC` sequences that
//! move the cursor, clear the screen or set a link), Unicode format
//! characters (category Cf: bidi overrides and isolates U+202A–202E and
//! U+2066–2069 that reorder what is shown, zero-width spaces and joiners,
//! the byte-order mark, tags), the other invisible fillers and variation
//! selectors, and the line and paragraph separators. [`is_hostile`] is the
//! classification; [`escape`] shows each such character visibly, as
//! `\u{202e}`, and leaves all other text as it is. The redaction of
//! provider errors (`provider/redact.rs`) uses the same classification to
//! drop them before it looks for secrets.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal as it is: a control character
/// (C0, DEL, C1), a Unicode format character (category Cf: bidi
/// controls, zero-width characters, the BOM, tags), another invisible
/// filler or variation selector, or a line or paragraph separator.
///
/// ```
/// use oauthkit::unversioned::terminal_text::is_hostile;
/// for c in ['\n', '\r', '\0', '\u{1b}', '\u{7f}', '\u{9b}', '\u{202e}', '\u{2066}', '\u{200b}', '\u{feff}', '\u{2028}'] {
///     assert!(is_hostile(c), "{c:?}");
/// }
/// for c in ['a', ' ', '-', 'é', '日', '€', '\\'] {
///     assert!(!is_hostile(c), "{c:?}");
/// }
/// ```
pub fn is_hostile(c: char) -> bool {
    c.is_control() || is_format(c) || is_invisible(c) || matches!(c, '\u{2028}' | '\u{2029}')
}

/// Whether `text` holds no [hostile](is_hostile) character.
///
/// ```
/// use oauthkit::unversioned::terminal_text::is_plain;
/// assert!(is_plain("WDJB-MJHT"));
/// assert!(!is_plain("WDJB\u{202e}-MJHT"));
/// ```
pub fn is_plain(text: &str) -> bool {
    !text.chars().any(is_hostile)
}

/// `text` with every [hostile](is_hostile) character written visibly as
/// `\u{hex}` (Rust's escape form); other text is unchanged (borrowed when
/// there is nothing to escape).
///
/// ```
/// use oauthkit::unversioned::terminal_text::escape;
/// assert_eq!(escape("ABCD-EFGH"), "ABCD-EFGH");
/// assert_eq!(escape("ABCD\u{202e}HGFE"), "ABCD\\u{202e}HGFE");
/// assert_eq!(escape("a\u{1b}[2Jb\nc"), "a\\u{1b}[2Jb\\u{a}c");
/// assert_eq!(escape("zero\u{200b}width"), "zero\\u{200b}width");
/// ```
pub fn escape(text: &str) -> Cow<'_, str> {
    if is_plain(text) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_hostile(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Unicode general category Cf (Format), Unicode 15.1.
fn is_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{0600}'..='\u{0605}' | '\u{061C}' | '\u{06DD}' | '\u{070F}'
        | '\u{0890}'..='\u{0891}' | '\u{08E2}' | '\u{180E}' | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}'
        | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}' | '\u{110BD}' | '\u{110CD}'
        | '\u{13430}'..='\u{1343F}' | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0001}' | '\u{E0020}'..='\u{E007F}')
}

/// Characters outside Cf that render as nothing: fillers, variation
/// selectors, the combining grapheme joiner, unassigned specials, the
/// rest of the tag and variation-selector planes.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{034F}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}' | '\u{180B}'..='\u{180F}'
        | '\u{2065}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FFA0}' | '\u{FFF0}'..='\u{FFF8}'
        | '\u{E0000}'..='\u{E0FFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_control_and_format_character_is_escaped_visibly() {
        let hostile: Vec<char> = (0u32..=0x10FFFF)
            .filter_map(char::from_u32)
            .filter(|c| is_hostile(*c))
            .collect();
        for c in ['\u{0}', '\n', '\r', '\u{1b}', '\u{7f}', '\u{85}', '\u{9f}'] {
            assert!(hostile.contains(&c), "{c:?}");
        }
        for c in ('\u{202A}'..='\u{202E}').chain('\u{2066}'..='\u{2069}') {
            assert!(hostile.contains(&c), "bidi {c:?}");
        }
        for c in hostile {
            let raw = format!("a{c}b");
            let shown = escape(&raw);
            assert_eq!(shown, format!("a\\u{{{:x}}}b", c as u32));
            assert!(is_plain(&shown));
        }
    }

    #[test]
    fn ordinary_text_of_any_script_is_kept() {
        for s in [
            "https://idp.example/device?user_code=ABCD",
            "Zoë",
            "東京",
            "مرحبا",
            "😀",
            "C:\\x",
        ] {
            assert!(matches!(escape(s), Cow::Borrowed(_)), "{s}");
        }
    }
}
