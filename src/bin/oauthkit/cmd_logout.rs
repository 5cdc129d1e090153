//! `oauthkit logout [PROFILE]`: revoke (refresh token first), delete, and
//! say what the provider did.

use clap::Args;
use oauthkit::flow::RevocationOutcome;
use oauthkit::provider::TokenTypeHint;

use crate::{context, exit, Ctx};

/// Sign out: revoke the tokens at the provider and delete them here.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  oauthkit logout work

The stored tokens are deleted whatever the provider answers; the output says
whether the provider revoked them (if it has no revocation endpoint they stay
valid there until they expire).")]
pub struct LogoutArgs {
    /// The profile (default: the config's default_profile).
    pub profile: Option<String>,
}

pub fn run(ctx: &Ctx, args: LogoutArgs) -> oauthkit::Result<i32> {
    let profile = ctx.profile(args.profile.as_deref())?;
    let opened = context::open_store(&profile)?;
    let sessions = context::sessions(&profile, opened.store)?;
    let report = sessions.logout(profile.token_key())?;
    if !report.had_tokens {
        println!(
            "Profile '{}' was not signed in; nothing to do.",
            profile.name
        );
        return Ok(exit::OK);
    }
    match &report.revocation {
        RevocationOutcome::Revoked => println!("Revoked the tokens at the provider."),
        RevocationOutcome::NotSupported => println!(
            "The provider has no revocation endpoint: the tokens stay valid there until they expire."
        ),
        RevocationOutcome::Failed(failures) => {
            for f in failures {
                let which = match f.token {
                    TokenTypeHint::RefreshToken => "refresh token",
                    TokenTypeHint::AccessToken => "access token",
                };
                println!("Revoking the {which} failed: {}", f.reason);
            }
        }
        RevocationOutcome::NothingToRevoke => {}
    }
    println!(
        "{} profile '{}'.",
        if report.tokens_deleted {
            "Deleted the stored tokens of"
        } else {
            "No stored tokens were left for"
        },
        profile.name
    );
    Ok(match report.revocation {
        RevocationOutcome::Failed(_) => exit::PROVIDER,
        _ => exit::OK,
    })
}
