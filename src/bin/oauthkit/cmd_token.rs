//! `oauthkit token [PROFILE]`: a fresh access token on standard output and
//! nothing else, refreshed first when it expires within the margin (one
//! refresh across concurrent invocations: the session manager's
//! cross-process key lock and re-read).

use clap::{Args, ValueEnum};
use oauthkit::{Error, ErrorKind, TokenSet};

use crate::output::Answer;
use crate::{context, exit, stored_tokens, time, Ctx};

/// Print a fresh access token (refreshed when needed) on standard output.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  oauthkit token work
  curl -H \"Authorization: Bearer $(oauthkit token work)\" https://api.example.com/me
  oauthkit token work --format json   # {\"access_token\", \"token_type\", \"expires_at\", \"expires_at_rfc3339\", \"scopes\"}
  oauthkit token work --id-token      # the OpenID ID token instead
  oauthkit token work || { [ $? = 3 ] && oauthkit login work; }

Exit code 3 means: not signed in, or the sign-in expired or was revoked (run `oauthkit login`).")]
pub struct TokenArgs {
    /// The profile (default: the config's default_profile).
    pub profile: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Print the ID token instead of the access token.
    #[arg(long)]
    pub id_token: bool,
    /// Refresh now, even when the token is still fresh.
    #[arg(long)]
    pub force_refresh: bool,
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// The token alone, one line.
    Text,
    /// A JSON object: token, type, expiry, scopes.
    Json,
}

pub fn run(ctx: &Ctx, args: TokenArgs) -> oauthkit::Result<i32> {
    let profile = ctx.profile(args.profile.as_deref())?;
    let tokens = fresh_tokens(&profile, args.force_refresh)?;
    let token = if args.id_token {
        tokens
            .id_token
            .as_ref()
            .ok_or_else(|| Error::NotFound {
                what: format!(
                    "an ID token for profile '{}' (the provider issued none; ask for scope openid)",
                    profile.name
                ),
            })?
            .expose()
            .to_owned()
    } else {
        tokens.access_token.expose().to_owned()
    };
    let field = if args.id_token {
        "id_token"
    } else {
        "access_token"
    };
    let mut answer = Answer::new("the token");
    match args.format {
        Format::Text => {
            answer.value(field, &token).fixed("\n");
        }
        Format::Json => {
            let mut v = serde_json::json!({
                "token_type": if args.id_token { "id_token" } else { tokens.token_type.as_str() },
                "expires_at": tokens.expires_at,
                "expires_at_rfc3339": tokens.expires_at.map(time::rfc3339),
                "scopes": tokens.scopes,
            });
            v[field] = serde_json::Value::String(token);
            answer.json(&v);
        }
    }
    // a closed pipe (`oauthkit token | head -c0`) is not an error worth a message
    Ok(answer.finish().unwrap_or(exit::OK))
}

/// The profile's token set, refreshed when due. Not signed in is
/// `NotFound` (exit code 3).
pub fn fresh_tokens(profile: &crate::config::Profile, force: bool) -> oauthkit::Result<TokenSet> {
    let opened = context::open_store(profile)?;
    let sessions = context::sessions(profile, opened.store)?;
    let key = profile.token_key();
    // expired with no refresh token: only a new sign-in helps (exit 3)
    // a token file written by another program: checked before any use
    if let Some(t) = stored_tokens::load(profile, sessions.store().as_ref())? {
        if t.refresh_token.is_none() && (force || sessions.needs_refresh_now(key)?) {
            return Err(oauthkit::Error::NotFound {
                what: format!(
                    "a valid token for profile '{}' (it expired and there is no refresh token)",
                    profile.name
                ),
            });
        }
    }
    let result = if force {
        sessions.refresh(key)
    } else {
        sessions.tokens(key)
    };
    let tokens = result.map_err(|e| match e.kind() {
        ErrorKind::NotFound => exit::not_signed_in(&profile.name),
        _ => e,
    })?;
    stored_tokens::check(profile, &tokens)?;
    Ok(tokens)
}
