//! Pasting the final redirect URL, for machines reached over SSH where the
//! browser runs elsewhere and cannot reach the loopback callback server.
//!
//! The user opens the authorization URL on any machine, signs in, and the
//! browser ends on `http://127.0.0.1:{port}/callback?code=...&state=...`
//! (a "cannot connect" page). They copy that URL from the address bar and
//! paste it into the terminal. The pasted URL goes through the same checks
//! as a request to the server (state in constant time, `iss`, `error`).

use std::io::BufRead;
use std::sync::mpsc::{self, Receiver};

/// Lines typed or piped in, read on a helper thread so that waiting for
/// them honours the flow's deadline and cancel.
///
/// The helper thread ends at the end of input, or after the flow has ended
/// and the next line arrives (a blocked terminal read cannot be
/// interrupted portably).
#[derive(Debug)]
pub struct PasteInput {
    lines: Receiver<String>,
}

impl PasteInput {
    /// Reads standard input.
    pub fn stdin() -> Self {
        Self::from_reader(std::io::BufReader::new(std::io::stdin()))
    }

    /// Reads any line source (a pipe, a test's buffer).
    ///
    /// ```
    /// use oauthkit::unversioned::flow::PasteInput;
    /// let input = PasteInput::from_reader(std::io::Cursor::new("http://127.0.0.1:1/callback?code=c&state=s\n"));
    /// // the line arrives from the reader's thread; wait for it
    /// let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    /// let line = loop {
    ///     if let Some(line) = input.try_next() { break line; }
    ///     assert!(std::time::Instant::now() < deadline, "no line");
    ///     std::thread::sleep(std::time::Duration::from_millis(5));
    /// };
    /// assert!(line.contains("code=c"));
    /// ```
    pub fn from_reader(reader: impl BufRead + Send + 'static) -> Self {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in reader.lines() {
                let Ok(line) = line else { break };
                let line = line.trim().to_string();
                if line.is_empty() {
                    continue;
                }
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        PasteInput { lines: rx }
    }

    /// The next pasted line, if one is waiting.
    pub fn try_next(&self) -> Option<String> {
        self.lines.try_recv().ok()
    }
}
