//! Colour only on a terminal, and never with `NO_COLOR`.

use std::io::IsTerminal;

#[derive(Debug, Clone, Copy)]
pub struct Style {
    on: bool,
}

impl Style {
    pub fn stderr() -> Self {
        Self::for_tty(std::io::stderr().is_terminal())
    }

    pub fn stdout() -> Self {
        Self::for_tty(std::io::stdout().is_terminal())
    }

    fn for_tty(tty: bool) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
        Style {
            on: tty && !no_color && !dumb,
        }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    pub fn red(&self, t: &str) -> String {
        self.paint("1;31", t)
    }

    pub fn green(&self, t: &str) -> String {
        self.paint("32", t)
    }

    pub fn bold(&self, t: &str) -> String {
        self.paint("1", t)
    }

    pub fn dim(&self, t: &str) -> String {
        self.paint("2", t)
    }
}
