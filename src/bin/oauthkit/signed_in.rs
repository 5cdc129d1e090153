//! The line both sign-ins (`login`, `login --device`) end with: who signed
//! in and where the tokens went. Shared here so neither login command
//! imports the other back.

use oauthkit::flow::AuthFlowResult;
use oauthkit::unversioned::terminal_text::escape;

use crate::config::Profile;
use crate::context::OpenedProfileStore;
use crate::style::Style;

/// Prints "✓ signed in as WHO (profile ...; tokens in ..., ...)" to
/// standard error; WHO is [`AuthFlowResult::display_name`], escaped for
/// the terminal (it came from the provider).
pub fn report(
    style: &Style,
    result: &AuthFlowResult,
    profile: &Profile,
    opened: &OpenedProfileStore,
) {
    let who = result
        .display_name()
        .unwrap_or_else(|| "(unknown identity)".into());
    eprintln!(
        "{} signed in as {} (profile '{}'; tokens in {}, {})",
        style.green("✓"),
        style.bold(&escape(&who)),
        profile.name,
        escape(&opened.location),
        opened.protection
    );
}
