//! Builders for the native sign-in: [`AuthFlowManagerBuilder`] (what
//! [`AuthFlowManager::builder`] returns) and [`NativeOptions`] (what one
//! run shows the URL with, for [`AuthFlowManager::run_native`]).
//!
//! ```no_run
//! use std::sync::Arc;
//! use oauthkit::flow::{AuthFlowManager, NativeOptions};
//! use oauthkit::session::SessionManager;
//! use oauthkit::provider::{OidcConfig, OidcProvider, Provider};
//!
//! let provider: Arc<dyn Provider> =
//!     Arc::new(OidcProvider::new(OidcConfig::new("https://idp.example", "my-app"))?);
//! let sessions = Arc::new(SessionManager::new(provider.clone(), oauthkit::store::open("memory:")?));
//! let flow = AuthFlowManager::builder(provider).session(sessions.clone()).build();
//! let signed_in = flow.run_native(NativeOptions::new().open_browser(|url| {
//!     println!("open {url}");
//!     Ok(())
//! }))?;
//! let token = sessions.access_token(&signed_in.key)?; // refreshed when due
//! # Ok::<(), oauthkit::Error>(())
//! ```

use std::sync::Arc;
use std::time::Duration;

use super::callback_server::CallbackServerOptions;
use super::native::{AuthFlowManager, CallbackMode};
use super::notice::Notice;
use super::paste::PasteInput;
use crate::error::Result;
use crate::provider::Provider;
use crate::session::SessionManager;
use crate::store::TokenStore;

/// Builds an [`AuthFlowManager`]: `AuthFlowManager::builder(provider)`,
/// then any of the setters, then [`build`](Self::build). Without a store
/// or a session the tokens are returned but stored nowhere.
#[must_use = "call .build() to get the AuthFlowManager"]
pub struct AuthFlowManagerBuilder {
    flow: AuthFlowManager,
    store: Option<Arc<dyn TokenStore>>,
    session: Option<Arc<SessionManager>>,
}

impl std::fmt::Debug for AuthFlowManagerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthFlowManagerBuilder")
            .field("flow", &self.flow)
            .field("store", &self.store.as_ref().map(|s| s.backend()))
            .field("session", &self.session.is_some())
            .finish()
    }
}

impl AuthFlowManagerBuilder {
    pub(crate) fn new(provider: Arc<dyn Provider>) -> Self {
        AuthFlowManagerBuilder {
            flow: AuthFlowManager::new(provider),
            store: None,
            session: None,
        }
    }

    fn map(mut self, f: impl FnOnce(AuthFlowManager) -> AuthFlowManager) -> Self {
        self.flow = f(self.flow);
        self
    }

    /// Saves the tokens in `store` (any store: the `Arc<dyn TokenStore>`
    /// of [`store::open`](crate::store::open), a concrete store).
    pub fn store(mut self, store: impl TokenStore + 'static) -> Self {
        self.store = Some(Arc::new(store));
        self
    }

    /// Saves the tokens in the store of `session` (unless
    /// [`store`](Self::store) names another), so the session keeps them
    /// fresh.
    pub fn session(mut self, session: Arc<SessionManager>) -> Self {
        self.session = Some(session);
        self
    }

    /// How long the user has to sign in (default
    /// [`DEFAULT_AUTH_TIMEOUT`](super::native::DEFAULT_AUTH_TIMEOUT)).
    pub fn timeout(self, timeout: Duration) -> Self {
        self.map(|f| f.with_auth_timeout(timeout))
    }

    /// Stores the tokens under `key` instead of the identity's `sub`.
    pub fn token_key(self, key: impl Into<String>) -> Self {
        self.map(|f| f.with_token_key(key))
    }

    /// Adds a query parameter to the authorization URL (`prompt`,
    /// `login_hint`, ...).
    pub fn extra_param(self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.map(|f| f.with_extra_param(name, value))
    }

    /// The callback server's host, port and path.
    pub fn callback_options(self, options: CallbackServerOptions) -> Self {
        self.map(|f| f.with_callback_options(options))
    }

    /// How the authorization response arrives (server, or also pasted).
    pub fn callback_mode(self, mode: CallbackMode) -> Self {
        self.map(|f| f.with_callback_mode(mode))
    }

    /// Also accepts the redirect address pasted into `input`.
    pub fn paste_input(self, input: PasteInput) -> Self {
        self.map(|f| f.with_paste_input(input))
    }

    /// Whether to call the userinfo endpoint after the exchange (default
    /// on).
    pub fn userinfo(self, fetch: bool) -> Self {
        self.map(|f| f.with_userinfo(fetch))
    }

    /// Turns PKCE off (leave it on; see [`AuthFlowManager::with_pkce`]).
    pub fn pkce(self, use_pkce: bool) -> Self {
        self.map(|f| f.with_pkce(use_pkce))
    }

    /// Shows what the user must read when no browser window shows it
    /// (default: standard error; see [`notice`](super::notice)).
    pub fn notice(self, hook: impl Fn(&Notice<'_>) + Send + Sync + 'static) -> Self {
        self.map(|f| f.with_notice(hook))
    }

    /// The manager.
    pub fn build(self) -> AuthFlowManager {
        self.flow.with_destination(self.store, self.session)
    }
}

/// A function that shows the authorization URL (an application's own
/// window, a test's headless browser).
pub type OpenBrowserHook<'a> = Box<dyn Fn(&str) -> Result<()> + 'a>;

/// How one [`AuthFlowManager::run_native`] shows the authorization
/// URL. `NativeOptions::new()` (or `default()`) is the system browser,
/// with the URL handed to the notice hook when none opens.
///
/// ```no_run
/// use oauthkit::flow::{AuthFlowManager, NativeOptions};
/// # fn provider() -> std::sync::Arc<dyn oauthkit::provider::Provider> { unimplemented!() }
/// let flow = AuthFlowManager::new(provider());
/// let options = NativeOptions::new()
///     .open_browser(|url| {
///         println!("open {url} in the app's window");
///         Ok(())
///     })
///     .close_window(|| println!("close the app's window"));
/// flow.run_native(options)?;
/// # Ok::<(), oauthkit::Error>(())
/// ```
#[derive(Default)]
#[must_use]
pub struct NativeOptions<'a> {
    pub(crate) open_browser: Option<OpenBrowserHook<'a>>,
    pub(crate) close_window: Option<Box<dyn Fn() + 'a>>,
}

impl std::fmt::Debug for NativeOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NativeOptions")
            .field("open_browser", &self.open_browser.is_some())
            .field("close_window", &self.close_window.is_some())
            .finish()
    }
}

impl<'a> NativeOptions<'a> {
    /// The system browser, no window to close.
    pub fn new() -> Self {
        Self::default()
    }

    /// Shows the authorization URL with `open` instead of the system
    /// browser. An error from it ends the sign-in and is what
    /// [`run_native`](AuthFlowManager::run_native) returns.
    pub fn open_browser(mut self, open: impl Fn(&str) -> Result<()> + 'a) -> Self {
        self.open_browser = Some(Box::new(open));
        self
    }

    /// Called once the callback has arrived or the flow has ended,
    /// whatever the outcome (to close an application's window).
    pub fn close_window(mut self, close: impl Fn() + 'a) -> Self {
        self.close_window = Some(Box::new(close));
        self
    }
}
