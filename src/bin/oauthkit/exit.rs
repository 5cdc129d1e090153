//! Exit codes scripts can rely on, and errors as one readable line with a
//! hint.

use oauthkit::unversioned::terminal_text::escape;
use oauthkit::{Error, ErrorKind};

/// Success.
pub const OK: i32 = 0;
/// Any other failure.
pub const FAILURE: i32 = 1;
/// Bad usage: unknown flag, bad config (clap uses 2 as well).
pub const USAGE: i32 = 2;
/// Not signed in, or the sign-in is gone (refresh refused with
/// `invalid_grant`): run `oauthkit login`.
pub const SIGN_IN_AGAIN: i32 = 3;
/// The provider could not be reached or failed (network, HTTP, OAuth error).
pub const PROVIDER: i32 = 4;
/// The token store could not be used (no keyring, corrupt file, lock).
pub const STORE: i32 = 5;
/// An answer was not written because a value in it held a control
/// character (a line break would add lines to git's or docker's answer):
/// a hostile or corrupt value in the config or the token store.
pub const UNSAFE_VALUE: i32 = 6;
/// Cancelled (Ctrl-C) or timed out waiting for the browser.
pub const CANCELLED: i32 = 130;

/// The exit code of an error.
pub fn code_of(e: &Error) -> i32 {
    match e.kind() {
        ErrorKind::NotFound | ErrorKind::InvalidGrant => SIGN_IN_AGAIN,
        ErrorKind::InvalidArgument => USAGE,
        ErrorKind::Http | ErrorKind::OAuth | ErrorKind::IdToken | ErrorKind::Authentication => {
            PROVIDER
        }
        ErrorKind::Storage
        | ErrorKind::Corrupt
        | ErrorKind::Io
        | ErrorKind::Unavailable
        | ErrorKind::Unsupported
        | ErrorKind::Decryption
        | ErrorKind::LockTimeout
        | ErrorKind::Validation => STORE,
        ErrorKind::Timeout | ErrorKind::Cancelled => CANCELLED,
        _ => FAILURE,
    }
}

/// A hint for an error, when there is a useful one.
pub fn hint_of(e: &Error, profile: Option<&str>) -> Option<String> {
    let login = match profile {
        Some(p) => format!("oauthkit login {p}"),
        None => "oauthkit login".into(),
    };
    Some(match e.kind() {
        ErrorKind::NotFound => format!("sign in with `{login}`"),
        ErrorKind::InvalidGrant => format!("the sign-in has expired or was revoked; run `{login}`"),
        ErrorKind::Unavailable => {
            "see `oauthkit doctor`; on a machine without a keyring set OAUTHKIT_ALLOW_PLAINTEXT=1 \
             or give the profile a store spec with encrypt=env:NAME"
                .into()
        }
        ErrorKind::Http => "check the network and the profile's issuer (`oauthkit doctor`)".into(),
        ErrorKind::Decryption => {
            "the encryption key is not the one the tokens were sealed with; `oauthkit logout` and sign in again"
                .into()
        }
        ErrorKind::InvalidArgument => "see `oauthkit config` and `oauthkit --help`".into(),
        _ => return None,
    })
}

/// `error: ...` (the error and its causes on one line) and `hint: ...` on
/// standard error; returns the exit code.
pub fn report(e: &Error, profile: Option<&str>) -> i32 {
    // the error may quote a file or a provider: shown escaped, never raw
    let report = e.report().to_string();
    let line = escape(&report);
    let style = crate::style::Style::stderr();
    eprintln!("{} {line}", style.red("error:"));
    if let Some(h) = hint_of(e, profile) {
        eprintln!("{} {h}", style.dim("hint:"));
    }
    code_of(e)
}

/// `error: ...` for an answer refused by [`crate::output::Answer`]: names
/// the answer, the field and the character (never the value); returns
/// [`UNSAFE_VALUE`].
pub fn unsafe_value(what: &str, field: &str, c: char) -> i32 {
    let style = crate::style::Style::stderr();
    eprintln!(
        "{} refusing to write {what}: its {} holds a control character (U+{:04X}); nothing was written",
        style.red("error:"),
        escape(field),
        c as u32
    );
    eprintln!(
        "{} the value comes from the config file or the token store; check `oauthkit config`, or `oauthkit logout` and sign in again",
        style.dim("hint:")
    );
    UNSAFE_VALUE
}

/// A not-found error for a profile without tokens.
pub fn not_signed_in(profile: &str) -> Error {
    Error::NotFound {
        what: format!("tokens of profile '{profile}'"),
    }
}
