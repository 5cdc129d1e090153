//! The main job, offline: a full sign-in through the real native flow
//! (loopback callback server, PKCE, code exchange, ID-token validation)
//! against oauthkit's development OpenID provider, tokens stored in the
//! default store, then a refresh and a revocation.
//!
//! ```sh
//! cargo run --example signin --features dev-provider            # opens your browser
//! cargo run --example signin --features dev-provider -- --headless
//! ```
//!
//! With no display (no `$DISPLAY`/`$WAYLAND_DISPLAY`) or `--headless`, the
//! example acts as the browser itself: it follows the authorization URL
//! over HTTP and submits the provider's approve page.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use oauthkit::flow::{AuthFlowManager, NativeOptions};
use oauthkit::provider::{OAuthProvider, OidcConfig, Provider};
use oauthkit::session::SessionManager;
use oauthkit::unversioned::dev_provider::{DevProvider, DevProviderOptions, HeadlessBrowser};
use oauthkit::unversioned::flow::has_display;
use oauthkit::{store, ErrorKind, TokenStore};

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
    let headless = std::env::args().any(|a| a == "--headless") || !has_display();
    let idp = DevProvider::start(DevProviderOptions::default().rotate_refresh_tokens(true))?;
    println!("Development OpenID provider: {}", idp.issuer());

    let provider: Arc<dyn Provider> = Arc::new(OAuthProvider::oidc(
        OidcConfig::new(idp.issuer(), idp.client_id()).scopes([
            "openid",
            "email",
            "profile",
            "offline_access",
        ]),
    )?);
    let store: Arc<dyn TokenStore> = match store::open_default() {
        Ok(s) => {
            match std::env::var("OAUTHKIT_STORE") {
                Ok(spec) if !spec.is_empty() => println!("Token store: {spec} (OAUTHKIT_STORE)"),
                _ => println!(
                    "Token store: {} (this program's default store, encrypted with a key in the OS keyring)",
                    store::DefaultStore::builder(oauthkit::unversioned::store::default_app_name()?)?
                        .path()?
                        .display()
                ),
            }
            s
        }
        // No OS keyring here (a headless machine, or a build without the
        // `keyring` feature): oauthkit refuses to write plain text unless
        // told to. This demo's tokens come from a throwaway local provider,
        // so it says yes, loudly; a real program gets the error instead.
        Err(e) if matches!(e.kind(), ErrorKind::Unavailable | ErrorKind::Unsupported) => {
            let default =
                store::DefaultStore::builder(oauthkit::unversioned::store::default_app_name()?)?;
            println!("No OS keyring: {e}");
            println!(
                "This demo keeps the dev provider's throwaway tokens in PLAIN TEXT at {}",
                default.path()?.display()
            );
            Arc::new(default.allow_plain_text(true).open()?)
        }
        Err(e) => return Err(e),
    };
    let flow = AuthFlowManager::builder(provider.clone())
        .store(store.clone())
        .build();

    let started = Instant::now();
    let result = if headless {
        println!("No display (or --headless): acting as the browser myself, following the");
        println!("authorization URL over HTTP and pressing Approve on the provider's page.");
        let open = |url: &str| -> oauthkit::Result<()> {
            let url = url.to_string();
            std::thread::spawn(move || {
                if let Err(e) = HeadlessBrowser::approve(&url) {
                    eprintln!("headless browser: {e}");
                }
            });
            Ok(())
        };
        flow.run_native(NativeOptions::new().open_browser(open))?
    } else {
        println!("Opening your browser; press Approve on the provider's page.");
        flow.sign_in()?
    };
    let who = result.user_info.clone().unwrap_or_default();
    println!(
        "Signed in as {} <{}> (sub {}) in {:.0?}",
        who.name.as_deref().unwrap_or("?"),
        who.email.as_deref().unwrap_or("?"),
        result.key,
        started.elapsed()
    );
    println!(
        "ID token validated; tokens stored in the {} store under key '{}' (expires in {} s)",
        store.backend(),
        result.key,
        result.tokens.expires_in().unwrap_or_default().as_secs()
    );

    let sessions = SessionManager::new(provider, store.clone());
    let refreshed = sessions.refresh(&result.key)?;
    println!(
        "Refreshed: new access token, refresh token {} (provider rotates them), {} refresh request(s) at the provider",
        if refreshed.refresh_token != result.tokens.refresh_token { "rotated" } else { "kept" },
        idp.token_requests("refresh_token")
    );

    let access = refreshed.access_token.clone();
    let report = sessions.logout(&result.key)?;
    println!(
        "Signed out (revocation: {:?}): access token active at the provider? {}; stored? {}",
        report.revocation,
        idp.is_token_active(access.expose()),
        store.load(&result.key)?.is_some()
    );
    Ok(())
}
