//! `oauthkit git-credential [get|store|erase]`: git's credential helper
//! protocol (gitcredentials(7)). `get` answers `username` and
//! `password` = a fresh access token for hosts listed in the profile's
//! `git_hosts`; other hosts get no answer, so git asks its other helpers.

use std::io::BufRead;

use clap::{Args, ValueEnum};

use crate::output::Answer;
use crate::{cmd_token, exit, Ctx};

/// A git credential helper: answers git with a fresh access token as the
/// password for the profile's git_hosts.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  git config --global credential.https://git.example.com.helper '!oauthkit git-credential --profile work'
  git -c credential.helper='!oauthkit git-credential --profile work' clone https://git.example.com/team/repo.git

The profile lists the hosts: git_hosts = [\"git.example.com\"], and optionally
username = \"oauth2\" (the default). `store` and `erase` change nothing: the
tokens are oauthkit's, renewed by refresh; `oauthkit logout` removes them.")]
pub struct GitArgs {
    /// get, store or erase (as git calls it).
    #[arg(value_enum)]
    pub operation: GitOperation,
}

/// git's operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GitOperation {
    Get,
    Store,
    Erase,
}

/// The attributes git sends: `key=value` lines up to a blank line or EOF.
pub fn read_attributes(input: impl BufRead) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in input.lines() {
        let Ok(line) = line else { break };
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once('=') {
            out.push((k.to_owned(), v.to_owned()));
        }
    }
    out
}

pub fn run(ctx: &Ctx, args: GitArgs) -> oauthkit::Result<i32> {
    let attrs = read_attributes(std::io::stdin().lock());
    if args.operation != GitOperation::Get {
        return Ok(exit::OK);
    }
    let profile = ctx.profile(None)?;
    let get = |k: &str| attrs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    if get("protocol") != Some("https") && get("protocol") != Some("http") {
        return Ok(exit::OK);
    }
    let Some(host) = get("host") else {
        return Ok(exit::OK);
    };
    // git sends host:port for non-default ports
    let matches = profile
        .file
        .git_hosts
        .iter()
        .any(|h| h.eq_ignore_ascii_case(host));
    if !matches {
        // not ours: say nothing, git goes on to its other helpers
        return Ok(exit::OK);
    }
    let tokens = cmd_token::fresh_tokens(&profile, false)?;
    // one answer, checked whole: a line break in any value would add
    // attributes (`host=`, `password=`) to what git reads
    let mut answer = Answer::new("the git credential answer");
    answer
        .fixed("username=")
        .value("username", profile.username())
        .fixed("\npassword=")
        .value("password", tokens.access_token.expose())
        .fixed("\n");
    if let Some(at) = tokens.expires_at {
        answer.fixed(&format!("password_expiry_utc={at}\n"));
    }
    answer.finish()
}
