//! Signs in with the device authorization grant (RFC 8628): for machines
//! without a browser, or reached over SSH. It prints a URL, a short code
//! and a QR code; sign in on any other device (a phone) and the tokens land
//! in the default store here.
//!
//! ```sh
//! # Microsoft (a public client with "Allow public client flows" on)
//! OAUTHKIT_PROVIDER=microsoft OAUTHKIT_CLIENT_ID=<app id> cargo run --example device
//! # GitHub (an OAuth app with "Enable Device Flow" on)
//! OAUTHKIT_PROVIDER=github OAUTHKIT_CLIENT_ID=<client id> cargo run --example device
//! # Google (a "TVs and Limited Input devices" client; it has a secret)
//! OAUTHKIT_PROVIDER=google OAUTHKIT_CLIENT_ID=... OAUTHKIT_CLIENT_SECRET=... \
//!   cargo run --example device
//! ```
//!
//! Offline, against panva's oidc-provider from the tests
//! (`scripts/setup-browser.sh` installs it): start
//! `node tests/browser/oidc-server.mjs demo` in `tests/browser`, note the
//! issuer it prints (`READY http://127.0.0.1:PORT`), then
//!
//! ```sh
//! OAUTHKIT_PROVIDER=oidc OAUTHKIT_ISSUER_URL=http://127.0.0.1:PORT \
//!   OAUTHKIT_CLIENT_ID=demo-device cargo run --example device
//! ```
//!
//! and open the printed URL in a browser (any login name, any password).
//! Any OpenID provider whose discovery document lists a
//! `device_authorization_endpoint` works the same way. Press Enter to
//! cancel; the sign-in also ends when the code expires.

use std::process::ExitCode;
use std::sync::Arc;

use oauthkit::flow::DeviceFlow;
use oauthkit::provider::{Provider, ProviderSettings};
use oauthkit::{store, TokenStore};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> oauthkit::Result<()> {
    let provider: Arc<dyn Provider> = Arc::new(ProviderSettings::from_env()?.build()?);
    let store: Arc<dyn TokenStore> = store::open_default()?;
    let flow = DeviceFlow::new(provider.clone()).store(store).on_poll(|s| {
        if s.slowed_down {
            eprintln!(
                "(the provider asked to poll less often: every {:?})",
                s.next_interval
            );
        }
    });
    // Enter on standard input cancels (the flow returns Error::Cancelled).
    let cancel = flow.cancel_handle();
    std::thread::spawn(move || {
        let mut line = String::new();
        if std::io::stdin().read_line(&mut line).is_ok_and(|n| n > 0) {
            cancel.cancel();
        }
    });
    let result = flow.run()?; // the default prompt writes the code to stderr
    println!("signed in at {} as '{}'", provider.name(), result.key);
    if let Some(exp) = result.tokens.expires_at {
        println!("access token expires at {exp} (unix time)");
    }
    println!(
        "refresh token: {}",
        if result.tokens.refresh_token.is_some() {
            "yes"
        } else {
            "no"
        }
    );
    Ok(())
}
