//! The one writer of what the CLI answers on standard output: git's
//! credential protocol, docker's helper JSON, kubectl's ExecCredential,
//! `oauthkit token`, `status` and the shell completions.
//!
//! A value (a token, a user name, a registry, a server URL, scopes, a
//! profile name) holding CR, LF, NUL or any other control character (C0,
//! DEL, C1) would add lines or fields to a line-based answer (git reads
//! `password=at\nhost=evil` as two attributes), or act on a terminal. So
//! an [`Answer`] is built in memory, every value checked as it is added,
//! and written with one write only when all are clean. Otherwise nothing
//! at all is written: standard error names the answer and the field
//! (never the value) and the exit code is [`exit::UNSAFE_VALUE`].

use std::io::Write;

use serde_json::Value;

use crate::exit;

/// An answer being built; see the module documentation.
#[derive(Debug)]
pub struct Answer {
    /// What the answer is, for the error: "the git credential answer".
    what: &'static str,
    text: String,
    /// The first field refused and the character that refused it.
    refused: Option<(String, char)>,
}

impl Answer {
    /// An empty answer; `what` names it in errors.
    pub fn new(what: &'static str) -> Self {
        Answer {
            what,
            text: String::new(),
            refused: None,
        }
    }

    /// The program's own text (labels, separators, styling), added as it
    /// is.
    pub fn fixed(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// A value that came from a file, a provider or the user, named
    /// `field` in the error when it holds a control character.
    pub fn value(&mut self, field: &str, value: &str) -> &mut Self {
        self.check(field, value);
        self.text.push_str(value);
        self
    }

    /// A [value](Self::value) drawn with `paint` (colour codes the
    /// program adds around the checked text).
    pub fn styled(
        &mut self,
        field: &str,
        value: &str,
        paint: impl FnOnce(&str) -> String,
    ) -> &mut Self {
        self.check(field, value);
        self.text.push_str(&paint(value));
        self
    }

    /// A JSON document on one line: every string in it (member names
    /// too) is checked as a value named by its path (`status.token`).
    pub fn json(&mut self, v: &Value) -> &mut Self {
        self.check_json("", v);
        self.text.push_str(&v.to_string());
        self.text.push('\n');
        self
    }

    fn check_json(&mut self, path: &str, v: &Value) {
        match v {
            Value::String(s) => self.check(if path.is_empty() { "value" } else { path }, s),
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.check_json(&format!("{path}[{i}]"), item);
                }
            }
            Value::Object(map) => {
                for (k, item) in map {
                    if path.is_empty() {
                        self.check("a member name", k);
                        self.check_json(k, item);
                    } else {
                        self.check(&format!("a member name in {path}"), k);
                        self.check_json(&format!("{path}.{k}"), item);
                    }
                }
            }
            _ => {}
        }
    }

    fn check(&mut self, field: &str, value: &str) {
        if self.refused.is_some() {
            return;
        }
        if let Some(c) = value.chars().find(|c| c.is_control()) {
            self.refused = Some((field.to_owned(), c));
        }
    }

    /// Writes the answer with one write, or nothing when a value was
    /// refused (then the error is on standard error and the result is
    /// [`exit::UNSAFE_VALUE`]). A reader that went away (a closed pipe)
    /// is not an error.
    ///
    /// # Errors
    ///
    /// `Io` when standard output fails otherwise.
    pub fn finish(self) -> oauthkit::Result<i32> {
        if let Some((field, c)) = self.refused {
            return Ok(exit::unsafe_value(self.what, &field, c));
        }
        let mut stdout = std::io::stdout().lock();
        match stdout
            .write_all(self.text.as_bytes())
            .and_then(|_| stdout.flush())
        {
            Ok(()) => Ok(exit::OK),
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(exit::OK),
            Err(e) => Err(oauthkit::Error::Io {
                context: format!("writing {}", self.what),
                source: e,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(a: &Answer) -> Option<(String, char)> {
        a.refused.clone()
    }

    #[test]
    fn every_control_character_in_any_value_is_refused() {
        let controls = (0u32..0x20).chain([0x7f]).chain(0x80..0xa0);
        for c in controls.filter_map(char::from_u32) {
            let mut a = Answer::new("test");
            a.fixed("password=").value("password", &format!("at{c}x"));
            assert_eq!(refused(&a), Some(("password".into(), c)), "{c:?}");
            let mut a = Answer::new("test");
            a.json(&serde_json::json!({"status": {"token": format!("at{c}")}}));
            assert_eq!(
                refused(&a).map(|r| r.0),
                Some("status.token".into()),
                "{c:?}"
            );
            let mut a = Answer::new("test");
            a.json(&serde_json::json!({"scopes": ["a", format!("b{c}")]}));
            assert_eq!(refused(&a).map(|r| r.0), Some("scopes[1]".into()), "{c:?}");
            let mut a = Answer::new("test");
            a.json(&serde_json::json!({ format!("k{c}"): "v" }));
            assert!(refused(&a).is_some(), "{c:?}");
        }
    }

    #[test]
    fn printable_values_pass() {
        let mut a = Answer::new("test");
        a.value("x", "at-1 ~!é\u{202e}")
            .json(&serde_json::json!({"a": ["b"], "n": 1}));
        assert_eq!(refused(&a), None);
        assert_eq!(a.text, "at-1 ~!é\u{202e}{\"a\":[\"b\"],\"n\":1}\n");
    }
}
