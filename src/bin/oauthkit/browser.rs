//! Showing the authorization URL: `$OAUTHKIT_BROWSER` or `$BROWSER` (a
//! command; `%s` is replaced by the URL, else the URL is its last
//! argument), else the system browser, else the URL printed.

use std::process::{Command, Stdio};

use oauthkit::unversioned::terminal_text::escape;
use oauthkit::{Error, Result};

/// How to show the URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Show {
    /// Open a browser (and print the URL when none opens).
    Open,
    /// Only print the URL.
    Print,
}

/// Shows `url` on standard error and opens it as `show` says.
pub fn show(url: &str, how: Show) -> Result<()> {
    // the address holds the provider's authorization endpoint: shown escaped
    let shown = escape(url);
    let print = || eprintln!("Open this address in a browser to sign in:\n\n  {shown}\n");
    if how == Show::Print {
        print();
        return Ok(());
    }
    let command = ["OAUTHKIT_BROWSER", "BROWSER"]
        .iter()
        .find_map(|v| crate::config::env_nonempty(v));
    match command {
        Some(cmd) => {
            // $BROWSER may list several commands separated by ':'; the first is used.
            let first = cmd.split(':').next().unwrap_or(&cmd).trim().to_owned();
            let script = if first.contains("%s") {
                first.replace("%s", "\"$1\"")
            } else {
                format!("{first} \"$1\"")
            };
            // the URL is passed as an argument, never spliced into the script
            let mut child = Command::new("sh")
                .arg("-c")
                .arg(&script)
                .arg("oauthkit-browser")
                .arg(url)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .spawn()
                .map_err(|e| Error::Io {
                    context: format!("starting the browser command '{first}'"),
                    source: e,
                })?;
            std::thread::spawn(move || child.wait());
            eprintln!("Opened the browser ({first}); waiting for the sign-in...");
            Ok(())
        }
        None => {
            if oauthkit::unversioned::flow::open_system_browser(url).is_ok() {
                eprintln!("Opened your browser; waiting for the sign-in... (the address, if it did not open:\n  {shown} )");
            } else {
                print();
            }
            Ok(())
        }
    }
}
