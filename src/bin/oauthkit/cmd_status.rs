//! `oauthkit status` (alias `list`): who is signed in for which profile,
//! expiry, store, scopes. Never a token value.

use clap::Args;

use oauthkit::unversioned::terminal_text::escape;

use crate::config::Profile;
use crate::output::Answer;
use crate::style::Style;
use crate::{context, exit, stored_tokens, time, Ctx};

/// Show who is signed in for each profile (or one), when the token
/// expires, where it is stored and its scopes. Never prints tokens.
#[derive(Debug, Args)]
#[command(
    visible_alias = "list",
    after_help = "Examples:
  oauthkit status          # every profile in the config file
  oauthkit status work
  oauthkit list"
)]
pub struct StatusArgs {
    /// One profile (default: every profile in the config file).
    pub profile: Option<String>,
}

pub fn run(ctx: &Ctx, args: StatusArgs) -> oauthkit::Result<i32> {
    let names = match args.profile.as_deref().or(ctx.profile_flag.as_deref()) {
        Some(n) => vec![n.to_owned()],
        None => {
            let mut all = ctx.config.profile_names();
            if all.is_empty() {
                all.push(ctx.config.profile_name(None));
            }
            all
        }
    };
    let style = Style::stdout();
    let mut worst = exit::OK;
    // the whole report is built first and written once; everything that
    // came from the config or the token file is shown escaped
    let mut out = Answer::new("the status");
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            out.fixed("\n");
        }
        out.styled("profile name", &format!("profile {}", escape(name)), |t| {
            style.bold(t)
        })
        .fixed("\n");
        let shown = ctx
            .config
            .profile(name, &ctx.overrides)
            .and_then(|p| show(&p, &style, &mut out));
        if let Err(e) = shown {
            out.fixed("  error:    ")
                .value("error", &escape(&e.report().to_string()))
                .fixed("\n");
            worst = worst.max(exit::code_of(&e));
        }
    }
    let written = out.finish()?;
    Ok(if written == exit::OK { worst } else { written })
}

/// One line `  {label}{text}` of a profile's report, `text` escaped.
fn line(out: &mut Answer, label: &str, text: &str) {
    out.fixed("  ")
        .fixed(label)
        .value(label.trim_end_matches([' ', ':']), &escape(text))
        .fixed("\n");
}

fn show(p: &Profile, style: &Style, out: &mut Answer) -> oauthkit::Result<()> {
    line(
        out,
        "provider: ",
        &format!("{} {}", p.provider, p.issuer.as_deref().unwrap_or("")),
    );
    let opened = context::open_store(p)?;
    line(
        out,
        "store:    ",
        &format!("{} ({})", opened.location, opened.protection),
    );
    // a token file written by another program: corrupt, reported, unused
    match stored_tokens::load(p, opened.store.as_ref())? {
        None => {
            out.fixed("  signed in: ")
                .fixed(&style.dim("no (run `oauthkit login`)"))
                .fixed("\n");
        }
        Some(t) => {
            let now = oauthkit::unversioned::now_unix();
            let who = escape(t.identity_id.as_deref().unwrap_or("yes (identity unknown)"));
            out.fixed("  signed in: ")
                .styled("identity", &who, |t| style.green(t))
                .fixed("\n");
            line(out, "expires:  ", &time::relative(t.expires_at, now));
            line(
                out,
                "refresh:  ",
                if t.refresh_token.is_some() {
                    "yes (refreshed automatically)"
                } else {
                    "no refresh token (sign in again when it expires)"
                },
            );
            let scopes = if t.scopes.is_empty() {
                "(none recorded)".into()
            } else {
                t.scopes.join(" ")
            };
            line(out, "scopes:   ", &scopes);
        }
    }
    Ok(())
}
