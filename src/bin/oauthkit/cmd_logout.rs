//! `oauthkit logout [PROFILE]`: revoke (refresh token first), delete, end
//! the provider's session (RP-initiated logout, when the provider has an
//! `end_session_endpoint`), and say what happened.

use std::time::Duration;

use clap::Args;
use oauthkit::flow::RpLogout;
use oauthkit::provider::{EndSessionRequest, TokenTypeHint};
use oauthkit::session::RevocationOutcome;
use oauthkit::unversioned::terminal_text::escape;

use crate::browser::{self, Show};
use crate::{context, exit, Ctx};

/// Seconds to wait for the provider's sign-out page by default.
const DEFAULT_PROVIDER_TIMEOUT_SECS: u64 = 120;

/// Sign out: revoke the tokens at the provider and delete them here.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  oauthkit logout work
  oauthkit logout work --print-url   # print the provider's sign-out address instead
  oauthkit logout work --local       # only revoke and delete here

The stored tokens are deleted whatever the provider answers; the output says
whether the provider revoked them (if it has no revocation endpoint they stay
valid there until they expire). When the provider has an end_session_endpoint,
its sign-out page opens in the browser (as for `login`) and oauthkit waits for
the provider to send the browser back to a loopback address, which ends your
session at the provider too.")]
pub struct LogoutArgs {
    /// The profile (default: the config's default_profile).
    pub profile: Option<String>,
    /// Print the provider's sign-out address instead of opening it.
    #[arg(long)]
    pub print_url: bool,
    /// Only revoke and delete here; leave the provider's session alone.
    #[arg(long, conflicts_with = "print_url")]
    pub local: bool,
    /// Seconds to wait for the provider's sign-out (default 120).
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
}

pub fn run(ctx: &Ctx, args: LogoutArgs) -> oauthkit::Result<i32> {
    let profile = ctx.profile(args.profile.as_deref())?;
    let opened = context::open_store(&profile)?;
    // The ID token is the provider's sign-out hint: read it before the
    // tokens are deleted.
    let id_token = opened
        .store
        .load(profile.token_key())
        .ok()
        .flatten()
        .and_then(|t| t.id_token);
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
                println!("Revoking the {which} failed: {}", escape(&f.reason));
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
    let code = match report.revocation {
        RevocationOutcome::Failed(_) => exit::PROVIDER,
        _ => exit::OK,
    };
    if args.local {
        return Ok(code);
    }
    let provider = sessions.provider();
    let hint = id_token.as_ref().map(|t| t.expose());
    if args.print_url {
        let mut request = EndSessionRequest::new();
        if let Some(h) = hint {
            request = request.id_token_hint(h);
        }
        match provider.end_session_url(&request)? {
            Some(url) => println!(
                "To end your session at the provider too, open:\n\n  {}\n",
                escape(&url)
            ),
            None => println!(
                "The provider has no end_session_endpoint: your session there (if any) stays."
            ),
        }
        return Ok(code);
    }
    if provider
        .end_session_url(&EndSessionRequest::new())?
        .is_none()
    {
        println!("The provider has no end_session_endpoint: your session there (if any) stays.");
        return Ok(code);
    }
    let timeout = args.timeout.unwrap_or(DEFAULT_PROVIDER_TIMEOUT_SECS);
    eprintln!(
        "Ending your session at the provider: its sign-out page opens in the browser; \
         waiting up to {timeout} s for it to send the browser back..."
    );
    let outcome = RpLogout::new(provider, sessions.store())
        .timeout(Duration::from_secs(timeout))
        .browser(|url| browser::show(url, Show::Open))
        .end_session_only(hint)?;
    if outcome.end_session_url.is_none() {
        println!("The provider has no end_session_endpoint: your session there (if any) stays.");
    } else if outcome.provider_session_ended {
        println!("Ended the session at the provider.");
    } else {
        println!(
            "The provider did not confirm the sign-out within {timeout} s: your session there may still be open."
        );
        return Ok(exit::CANCELLED);
    }
    Ok(code)
}
