//! `oauthkit status` (alias `list`): who is signed in for which profile,
//! expiry, store, scopes. Never a token value.

use clap::Args;

use crate::config::Profile;
use crate::style::Style;
use crate::{context, exit, time, Ctx};

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
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            println!();
        }
        println!("{}", style.bold(&format!("profile {name}")));
        match ctx.config.profile(name, &ctx.overrides) {
            Ok(p) => {
                if let Err(e) = show(&p, &style) {
                    println!("  error:    {}", one_line(&e));
                    worst = worst.max(exit::code_of(&e));
                }
            }
            Err(e) => {
                println!("  error:    {}", one_line(&e));
                worst = worst.max(exit::code_of(&e));
            }
        }
    }
    Ok(worst)
}

fn show(p: &Profile, style: &Style) -> oauthkit::Result<()> {
    println!(
        "  provider: {} {}",
        p.provider,
        p.issuer.as_deref().unwrap_or("")
    );
    let opened = context::open_store(p)?;
    println!("  store:    {} ({})", opened.location, opened.protection);
    match opened.store.load(p.token_key())? {
        None => println!("  signed in: {}", style.dim("no (run `oauthkit login`)")),
        Some(t) => {
            let now = oauthkit::token::now_unix();
            println!(
                "  signed in: {}",
                style.green(t.identity_id.as_deref().unwrap_or("yes (identity unknown)"))
            );
            println!("  expires:  {}", time::relative(t.expires_at, now));
            println!(
                "  refresh:  {}",
                if t.refresh_token.is_some() {
                    "yes (refreshed automatically)"
                } else {
                    "no refresh token (sign in again when it expires)"
                }
            );
            println!(
                "  scopes:   {}",
                if t.scopes.is_empty() {
                    "(none recorded)".into()
                } else {
                    t.scopes.join(" ")
                }
            );
        }
    }
    Ok(())
}

fn one_line(e: &oauthkit::Error) -> String {
    e.report()
        .to_string()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}
