//! `oauthkit login --device`: the device authorization grant (RFC 8628)
//! for machines without a browser. The code, the address and a QR code go
//! to standard error; a spinner (a line per poll when standard error is
//! not a terminal) shows the polling; Ctrl-C cancels at once.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::Duration;

use oauthkit::flow::DeviceFlow;
use oauthkit::provider::Provider;
use oauthkit::unversioned::flow::prompt_text;
use oauthkit::unversioned::flow::PollStatus;
use oauthkit::{Error, ErrorKind};

use crate::config::Profile;
use crate::context::OpenedProfileStore;
use crate::style::Style;
use crate::{exit, interrupt};

const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/// What one poll shows.
fn progress_line(p: &PollStatus) -> String {
    format!(
        "Waiting for the sign-in on the other device (check {}{}; next in {} s, Ctrl-C cancels)",
        p.attempt,
        if p.slowed_down {
            ", the provider asked to slow down"
        } else {
            ""
        },
        p.next_interval.as_secs()
    )
}

pub fn run(
    profile: &Profile,
    provider: Arc<dyn Provider>,
    opened: &OpenedProfileStore,
    timeout_secs: u64,
) -> oauthkit::Result<i32> {
    let style = Style::stderr();
    let tty = std::io::stderr().is_terminal();
    let mut flow = DeviceFlow::new(provider)
        .store(opened.store.clone())
        .token_key(profile.token_key())
        .timeout(Duration::from_secs(timeout_secs))
        .prompt(|a| {
            eprintln!("{}", prompt_text(a));
            eprintln!(
                "The code is valid for {} minutes.",
                a.expires_in.as_secs().div_ceil(60)
            );
            Ok(())
        })
        .on_poll(move |p| {
            let line = progress_line(p);
            let mut err = std::io::stderr().lock();
            if tty {
                let spin = SPINNER[p.attempt as usize % SPINNER.len()];
                let _ = write!(err, "\r\x1b[2K{spin} {line}");
            } else {
                let _ = writeln!(err, "{line}");
            }
            let _ = err.flush();
        });
    for (k, v) in &profile.file.extra_params {
        flow = flow.param(k, v);
    }
    let cancel = flow.cancel_handle();
    interrupt::on_interrupt(move || cancel.cancel());
    let result = flow.run();
    if tty {
        eprint!("\r\x1b[2K");
    }
    match result {
        Ok(result) => {
            crate::signed_in::report(&style, &result, profile, opened);
            Ok(exit::OK)
        }
        Err(Error::Cancelled) if interrupt::interrupted() => {
            eprintln!("Sign-in cancelled; nothing was stored.");
            Ok(exit::CANCELLED)
        }
        Err(e) if e.kind() == ErrorKind::Unsupported => {
            eprintln!(
                "error: {}\nhint: this provider has no device authorization endpoint; use `oauthkit login` (browser) or `--paste` over SSH",
                oauthkit::unversioned::terminal_text::escape(&e.report().to_string())
            );
            Ok(exit::USAGE)
        }
        Err(e) => Err(e),
    }
}
