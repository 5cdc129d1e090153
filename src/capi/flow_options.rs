//! The native flow's callback server options (host, port or port range,
//! path) and paste mode (the user pastes the final redirect URL, for SSH
//! sessions) for C programs.
//!
//! Threads: like the other `oak_flow_set_*` functions, before running the
//! flow, from one thread.

use std::ffi::c_char;

use super::boundary::{call, opt_str_arg, OakStatus};
use super::flow::{configure, OakFlow};
use crate::error::{Error, Result};
use crate::flow::callback_server::{CallbackServerOptions, PortChoice, RedirectHost};
use crate::flow::paste::PasteInput;

/// The longest callback path accepted, in bytes.
const MAX_PATH_LEN: usize = 256;

fn port_choice(first: u16, last: u16) -> Result<PortChoice> {
    match (first, last) {
        (0, 0) => Ok(PortChoice::Ephemeral),
        (0, _) => Err(Error::InvalidArgument(
            "port_first is 0 but port_last is not (0, 0 means any free port)".into(),
        )),
        (f, l) if f == l => Ok(PortChoice::Fixed(f)),
        (f, l) if f < l => Ok(PortChoice::Range(f, l)),
        (f, l) => Err(Error::InvalidArgument(format!(
            "port range {f}-{l} is empty (port_first must not exceed port_last)"
        ))),
    }
}

/// A callback path: starts with `/` (added when missing), then only
/// characters a URL path keeps as they are.
fn callback_path(path: &str) -> Result<String> {
    if path.len() > MAX_PATH_LEN {
        return Err(Error::InvalidArgument(format!(
            "path is {} bytes long; the limit is {MAX_PATH_LEN}",
            path.len()
        )));
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || "/-._~!$&'()*+,;=:@".contains(c);
    if let Some(bad) = path.chars().find(|&c| !allowed(c)) {
        return Err(Error::InvalidArgument(format!(
            "path holds {bad:?}; a callback path takes letters, digits and -._~!$&'()*+,;=:@/ only"
        )));
    }
    let path = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    };
    if path.contains("//") || path.split('/').any(|seg| seg == "." || seg == "..") {
        return Err(Error::InvalidArgument(
            "path must not hold empty, '.' or '..' segments".into(),
        ));
    }
    Ok(path)
}

/// Sets where the flow's loopback callback server listens and which
/// redirect URI it registers: host `localhost` when `localhost` is true
/// (still listening on the loopback address; some providers accept
/// nothing else) or `127.0.0.1` (RFC 8252's choice, the default); port
/// `port_first`..=`port_last`: `0, 0` any free port (the default), `N, N`
/// exactly port N (busy: the run fails with `OAK_ERR_IO`, it does not
/// wait), `N, M` the first free port of the range; `path` (NULL:
/// `/callback`; a leading `/` is added) with URL path characters only.
/// A bad range or path is `OAK_ERR_INVALID_ARGUMENT` and changes nothing.
/// Before running; one thread.
#[no_mangle]
pub unsafe extern "C" fn oak_flow_set_callback(
    flow: *mut OakFlow,
    localhost: bool,
    port_first: u16,
    port_last: u16,
    path: *const c_char,
) -> OakStatus {
    call((), |()| {
        let port = port_choice(port_first, port_last)?;
        let path = opt_str_arg(path, "path")?
            .map(callback_path)
            .transpose()?
            .unwrap_or_else(|| "/callback".into());
        let host = match localhost {
            true => RedirectHost::Localhost,
            false => RedirectHost::Loopback,
        };
        let options = CallbackServerOptions::new()
            .host(host)
            .port(port)
            .path(path);
        configure(flow, |m| m.callback_options(options))
    })
}

/// Turns on paste mode: while the callback server waits, the user may
/// instead paste the final redirect URL (from a browser on another
/// machine) as a line on file descriptor `fd` (0 for standard input; a
/// pipe the program writes to). The pasted URL gets the same checks as a
/// redirect (state in constant time, `iss`, `error`); a line that is not
/// this flow's redirect is ignored. `fd` is duplicated: the caller keeps
/// and may close its own descriptor. A reader thread reads lines until the
/// end of input (or until the next line after the flow ended). A bad
/// descriptor is `OAK_ERR_IO`; on systems without file descriptors,
/// `OAK_ERR_UNSUPPORTED`. Before running; one thread.
#[no_mangle]
pub unsafe extern "C" fn oak_flow_set_paste_fd(flow: *mut OakFlow, fd: i32) -> OakStatus {
    call((), |()| {
        let input = paste_input(fd)?;
        configure(flow, |m| m.paste_input(input))
    })
}

#[cfg(unix)]
unsafe fn paste_input(fd: i32) -> Result<PasteInput> {
    use std::os::fd::BorrowedFd;
    if fd < 0 {
        return Err(Error::InvalidArgument(format!("fd {fd} is negative")));
    }
    // SAFETY: only borrowed for the duplication below; a closed descriptor
    // makes the dup fail (EBADF), it is never read.
    let owned = BorrowedFd::borrow_raw(fd)
        .try_clone_to_owned()
        .map_err(|e| Error::io(format!("duplicating paste descriptor {fd}"), e))?;
    let file = std::fs::File::from(owned);
    Ok(PasteInput::from_reader(std::io::BufReader::new(file)))
}

#[cfg(not(unix))]
unsafe fn paste_input(_fd: i32) -> Result<PasteInput> {
    Err(Error::Unsupported {
        backend: "this platform",
        operation: "read a pasted URL from a file descriptor",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_map_to_choices() {
        assert_eq!(port_choice(0, 0).unwrap(), PortChoice::Ephemeral);
        assert_eq!(port_choice(8765, 8765).unwrap(), PortChoice::Fixed(8765));
        assert_eq!(
            port_choice(8000, 8010).unwrap(),
            PortChoice::Range(8000, 8010)
        );
        assert!(port_choice(0, 5).is_err());
        assert!(port_choice(9, 5).is_err());
    }

    #[test]
    fn paths_are_checked() {
        assert_eq!(callback_path("cb").unwrap(), "/cb");
        assert_eq!(callback_path("/oauth/done").unwrap(), "/oauth/done");
        for bad in [
            "/a b",
            "/a?x=1",
            "/a#f",
            "/a\r\nX: y",
            "/%2e",
            "/a//b",
            "/../x",
            "/./x",
            "/é",
        ] {
            assert!(callback_path(bad).is_err(), "{bad:?}");
        }
        assert!(callback_path(&"a".repeat(300)).is_err());
    }
}
