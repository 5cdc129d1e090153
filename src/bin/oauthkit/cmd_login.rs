//! `oauthkit login [PROFILE]`: the native loopback sign-in (RFC 8252).

use std::time::Duration;

use clap::Args;
use oauthkit::flow::{AuthFlowManager, NativeOptions};
use oauthkit::unversioned::flow::{CallbackMode, CallbackServerOptions, PortChoice, RedirectHost};
use oauthkit::Error;

use crate::browser::{self, Show};
use crate::style::Style;
use crate::{context, exit, interrupt, Ctx};

/// Seconds the user has to sign in unless the profile says otherwise.
pub const DEFAULT_TIMEOUT_SECS: u64 = 300;

/// Sign in: opens the browser at the provider, waits for the redirect to a
/// loopback address, stores the tokens.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  oauthkit login                 # the default profile, opens your browser
  oauthkit login work --no-browser   # print the address instead
  oauthkit login work --paste        # over SSH: open the address anywhere, paste where it ends
  oauthkit login work --device       # no browser here: a code to enter on a phone (QR code)

The browser command: $OAUTHKIT_BROWSER, else $BROWSER (%s is the address, else it is
the last argument), else the system browser. Ctrl-C cancels cleanly.")]
pub struct LoginArgs {
    /// The profile (default: the config's default_profile).
    pub profile: Option<String>,
    /// Also accept the final address pasted into this terminal (SSH).
    #[arg(long)]
    pub paste: bool,
    /// Print the address instead of opening a browser.
    #[arg(long)]
    pub no_browser: bool,
    /// The device grant (RFC 8628): sign in on another device (a phone) with
    /// a short code, shown here with a QR code; for machines without a
    /// browser.
    #[arg(long, conflicts_with_all = ["paste", "no_browser"])]
    pub device: bool,
    /// Seconds to wait for the sign-in (default: the profile's, else 300).
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
}

pub fn run(ctx: &Ctx, args: LoginArgs) -> oauthkit::Result<i32> {
    let profile = ctx.profile(args.profile.as_deref())?;
    let style = Style::stderr();
    let provider = context::provider(&profile)?;
    let opened = context::open_store(&profile)?;
    eprintln!(
        "Signing in to {} ({}) for profile '{}'",
        style.bold(profile.issuer.as_deref().unwrap_or(provider.name())),
        provider.name(),
        profile.name
    );
    let timeout = args
        .timeout
        .or(profile.file.timeout_secs)
        .unwrap_or(DEFAULT_TIMEOUT_SECS);
    if args.device {
        return crate::cmd_login_device::run(&profile, provider, &opened, timeout);
    }
    let mut options = CallbackServerOptions::new();
    if let Some(port) = profile.file.port {
        options = options.port(PortChoice::Fixed(port));
    }
    if profile.file.redirect_host.as_deref() == Some("localhost") {
        options = options.host(RedirectHost::Localhost);
    }
    if let Some(path) = &profile.file.callback_path {
        options = options.path(path.clone());
    }
    let mut builder = AuthFlowManager::builder(provider)
        .store(opened.store.clone())
        .token_key(profile.token_key())
        .timeout(Duration::from_secs(timeout))
        .callback_options(options);
    for (k, v) in &profile.file.extra_params {
        builder = builder.extra_param(k, v);
    }
    if args.paste {
        builder = builder.callback_mode(CallbackMode::ServerOrPaste);
    }
    let flow = builder.build();
    let cancel = flow.cancel_handle();
    interrupt::on_interrupt(move || cancel.cancel());
    let how = if args.no_browser || args.paste {
        Show::Print
    } else {
        Show::Open
    };
    let open = |url: &str| browser::show(url, how);
    eprintln!("Waiting up to {timeout} s for the browser (Ctrl-C cancels)...");
    match flow.run_native(NativeOptions::new().open_browser(open)) {
        Ok(result) => {
            crate::signed_in::report(&style, &result, &profile, &opened);
            Ok(exit::OK)
        }
        Err(Error::Cancelled) if interrupt::interrupted() => {
            eprintln!("Sign-in cancelled; nothing was stored.");
            Ok(exit::CANCELLED)
        }
        Err(e) => Err(e),
    }
}
