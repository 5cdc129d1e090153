//! [`Notice`]: what a flow needs the user to read when no window shows it
//! (the browser did not open; paste the redirect address), and the hook
//! that shows it.
//!
//! oauthkit writes nothing to the terminal by itself: every such message
//! goes to a [`NoticeFn`]. Its default, [`terminal_notice`], writes the
//! message to standard error, as a command-line program wants; a GUI or a
//! service passes its own hook with `.notice(..)` on
//! [`AuthFlowManagerBuilder`](super::AuthFlowManagerBuilder) or
//! [`RpLogout`](super::RpLogout). Each notice is also logged (without the
//! URL, which carries the sign-in's `state`). The text of a notice
//! ([`Display`](fmt::Display)) shows the values it quotes (URLs a provider
//! announced, a pasted address) with control, bidi and invisible format
//! characters escaped ([`crate::terminal_text::escape`]).

use std::fmt;
use std::io::Write;
use std::sync::Arc;

use crate::error::Error;
use crate::terminal_text::escape;

/// What the user must read.
#[derive(Debug)]
#[non_exhaustive]
pub enum Notice<'a> {
    /// The system browser did not open: the user opens `url` themselves.
    OpenUrl {
        /// What the URL is for.
        purpose: UrlPurpose,
        /// The URL to open (it carries the sign-in's `state`: show it to
        /// the user, do not log it).
        url: &'a str,
        /// Why the browser did not open.
        why: &'a Error,
    },
    /// The user may paste the address the browser ends on (SSH sessions).
    PasteRedirect {
        /// The redirect URI the pasted address starts with.
        redirect_uri: &'a str,
    },
    /// A pasted address was not this sign-in's redirect.
    PasteRefused {
        /// Why, in a few words.
        why: &'a str,
    },
}

/// What an [`Notice::OpenUrl`] URL is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UrlPurpose {
    /// Signing in.
    SignIn,
    /// Signing out at the provider.
    SignOut,
}

impl fmt::Display for Notice<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Notice::OpenUrl { purpose, url, .. } => {
                let what = match purpose {
                    UrlPurpose::SignIn => "sign in",
                    UrlPurpose::SignOut => "sign out",
                };
                write!(
                    f,
                    "Open this URL in a browser to {what}:\n\n  {}\n",
                    escape(url)
                )
            }
            Notice::PasteRedirect { redirect_uri } => write!(
                f,
                "If the browser runs on another machine, paste the address it ends on \
                 (starting {}) here and press Enter:",
                escape(redirect_uri)
            ),
            Notice::PasteRefused { why } => write!(
                f,
                "That is not this sign-in's redirect address ({}); paste it again:",
                escape(why)
            ),
        }
    }
}

/// A hook that shows a [`Notice`] to the user. It may be called from the
/// thread running the flow.
pub type NoticeFn = Arc<dyn Fn(&Notice<'_>) + Send + Sync>;

/// The default hook: the notice's text on standard error (the one place
/// besides [`terminal_prompt`](super::device::terminal_prompt) where
/// oauthkit writes to the terminal, and only until a hook replaces it).
///
/// ```
/// use oauthkit::unversioned::flow::Notice;
/// let text = Notice::PasteRefused { why: "wrong state" }.to_string();
/// assert!(text.contains("wrong state"));
/// ```
pub fn terminal_notice(notice: &Notice<'_>) {
    // A closed stderr has nobody to tell; the log has the notice too.
    let _ = writeln!(std::io::stderr().lock(), "{notice}");
}

/// Logs `notice` (never its URL) and hands it to `hook`.
pub(crate) fn tell(hook: &NoticeFn, notice: &Notice<'_>) {
    match notice {
        Notice::OpenUrl { purpose, why, .. } => log::warn!(
            "the system browser did not open ({why}); the {} URL went to the notice hook",
            match purpose {
                UrlPurpose::SignIn => "sign-in",
                UrlPurpose::SignOut => "sign-out",
            }
        ),
        Notice::PasteRedirect { .. } => {
            log::info!("sign-in: waiting for the callback or a pasted redirect address")
        }
        // The callback server logs the refusal itself.
        Notice::PasteRefused { .. } => {}
    }
    hook(notice);
}

/// The default hook as a [`NoticeFn`].
pub(crate) fn default_hook() -> NoticeFn {
    Arc::new(terminal_notice)
}
