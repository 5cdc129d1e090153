//! Opening the system browser (RFC 8252 §8.12: an external user agent,
//! never an embedded web view).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// Whether this session can show a graphical browser: always on macOS and
/// Windows; on other systems when `$DISPLAY` or `$WAYLAND_DISPLAY` is set.
pub fn has_display() -> bool {
    if cfg!(any(target_os = "macos", windows)) {
        return true;
    }
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
}

/// Opens `url` in the system browser (`xdg-open`, `open`, or the URL
/// handler on Windows). Only `http` and `https` URLs are opened.
///
/// An opener that is still running after two seconds is taken as having
/// succeeded (some start the browser in the foreground) and is reaped in
/// the background.
///
/// ```
/// use oauthkit::unversioned::flow::open_system_browser;
/// let err = open_system_browser("file:///etc/passwd").unwrap_err();
/// assert_eq!(err.kind(), oauthkit::ErrorKind::InvalidArgument);
/// ```
///
/// # Errors
///
/// [`Error::InvalidArgument`] when `url` is not `http(s)`;
/// [`Error::Unavailable`] when there is no display (Linux and BSD: `DISPLAY` and
/// `WAYLAND_DISPLAY` unset) or the opener exits with a failure status;
/// [`Error::Io`] when the opener cannot be started or waited for.
pub fn open_system_browser(url: &str) -> Result<()> {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(Error::InvalidArgument(
            "only http and https URLs are opened in the browser".into(),
        ));
    }
    if !has_display() {
        return Err(Error::Unavailable {
            backend: "browser",
            message: "no display ($DISPLAY / $WAYLAND_DISPLAY unset)".into(),
            source: None,
        });
    }
    let mut cmd = if cfg!(target_os = "macos") {
        let mut c = Command::new("open");
        c.arg(url);
        c
    } else if cfg!(windows) {
        // Not `cmd /C start`: cmd would interpret the `&` of the query.
        let mut c = Command::new("rundll32");
        c.arg("url.dll,FileProtocolHandler").arg(url);
        c
    } else {
        let mut c = Command::new("xdg-open");
        c.arg(url);
        c
    };
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| Error::io("starting the system browser", e))?;
    let until = Instant::now() + Duration::from_secs(2);
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => {
                return Err(Error::Unavailable {
                    backend: "browser",
                    message: format!("the browser opener exited with {status}"),
                    source: None,
                })
            }
            Ok(None) if Instant::now() < until => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                std::thread::spawn(move || child.wait());
                return Ok(());
            }
            Err(e) => return Err(Error::io("waiting for the browser opener", e)),
        }
    }
}
