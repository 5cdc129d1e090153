//! Signs in with a real provider (Google, Microsoft, GitHub or any OpenID
//! provider) through the native loopback flow and stores the tokens in the
//! default store.
//!
//! ```sh
//! OAUTHKIT_PROVIDER=google OAUTHKIT_CLIENT_ID=1234.apps.googleusercontent.com \
//!   cargo run --example signin_real
//! ```
//!
//! Settings come from the environment: `OAUTHKIT_PROVIDER` (google,
//! microsoft, github, oidc, custom), `OAUTHKIT_CLIENT_ID`, and where
//! needed `OAUTHKIT_CLIENT_SECRET`, `OAUTHKIT_SCOPES`, `OAUTHKIT_TENANT_ID`,
//! `OAUTHKIT_ISSUER_URL`. Register `http://127.0.0.1/callback` as a
//! redirect URI (a desktop / native app client); set
//! `OAUTHKIT_CALLBACK_PORT` when the provider wants an exact port and
//! `OAUTHKIT_REDIRECT_HOST=localhost` when it refuses `127.0.0.1`. Pass
//! `--paste` on a machine reached over SSH.

use std::process::ExitCode;
use std::sync::Arc;

use oauthkit::flow::AuthFlowManager;
use oauthkit::provider::{Provider, ProviderSettings};
use oauthkit::unversioned::flow::{CallbackMode, CallbackServerOptions, PortChoice, RedirectHost};
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
    let settings = ProviderSettings::from_env()?;
    let provider: Arc<dyn Provider> = Arc::new(settings.build()?);
    let store: Arc<dyn TokenStore> = store::open_default()?;
    let mut callback = CallbackServerOptions::new();
    if let Ok(p) = std::env::var("OAUTHKIT_CALLBACK_PORT") {
        let port = p.parse().map_err(|_| {
            oauthkit::Error::InvalidArgument(format!("OAUTHKIT_CALLBACK_PORT '{p}' is not a port"))
        })?;
        callback = callback.port(PortChoice::Fixed(port));
    }
    if std::env::var("OAUTHKIT_REDIRECT_HOST").as_deref() == Ok("localhost") {
        callback = callback.host(RedirectHost::Localhost);
    }
    let mode = if std::env::args().any(|a| a == "--paste") {
        CallbackMode::ServerOrPaste
    } else {
        CallbackMode::Server
    };
    let flow = AuthFlowManager::builder(provider)
        .store(store.clone())
        .callback_options(callback)
        .callback_mode(mode)
        .build();
    let result = flow.sign_in()?;
    let who = result.display_name();
    let name = who.as_deref().unwrap_or("(no user info)");
    println!(
        "Signed in as {name}; tokens stored in the {} store under '{}'",
        store.backend(),
        result.key
    );
    Ok(())
}
