//! The builder of the native sign-in: [`AuthFlowManagerBuilder`] (what
//! [`AuthFlowManager::builder`] returns; that constructor is written here
//! so the manager's file never imports its builder back). What one run
//! shows the URL with, [`NativeOptions`](super::NativeOptions), is in `native_options.rs`.
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
use crate::provider::Provider;
use crate::session::SessionManager;
use crate::store::TokenStore;

impl AuthFlowManager {
    /// A builder: `AuthFlowManager::builder(provider).session(s).build()`
    /// (see [`AuthFlowManagerBuilder`]); the way to make a manager.
    pub fn builder(provider: Arc<dyn Provider>) -> AuthFlowManagerBuilder {
        AuthFlowManagerBuilder::new(provider)
    }
}

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
        self.map(|f| f.timeout(timeout))
    }

    /// Stores the tokens under `key` instead of the identity's `sub`.
    pub fn token_key(self, key: impl Into<String>) -> Self {
        self.map(|f| f.token_key(key))
    }

    /// Adds a query parameter to the authorization URL (`prompt`,
    /// `login_hint`, ...).
    pub fn extra_param(self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.map(|f| f.extra_param(name, value))
    }

    /// The callback server's host, port and path.
    pub fn callback_options(self, options: CallbackServerOptions) -> Self {
        self.map(|f| f.callback_options(options))
    }

    /// How the authorization response arrives (server, or also pasted).
    pub fn callback_mode(self, mode: CallbackMode) -> Self {
        self.map(|f| f.callback_mode(mode))
    }

    /// Also accepts the redirect address pasted into `input`.
    pub fn paste_input(self, input: PasteInput) -> Self {
        self.map(|f| f.paste_input(input))
    }

    /// Whether to call the userinfo endpoint after the exchange (default
    /// on).
    pub fn userinfo(self, fetch: bool) -> Self {
        self.map(|f| f.userinfo(fetch))
    }

    /// Turns PKCE off (leave it on; see [`AuthFlowManager::pkce`]).
    pub fn pkce(self, use_pkce: bool) -> Self {
        self.map(|f| f.pkce(use_pkce))
    }

    /// The DPoP key to bind the tokens to (see
    /// [`AuthFlowManager::dpop_key`]).
    pub fn dpop_key(self, key: crate::jose::DpopKey) -> Self {
        self.map(|f| f.dpop_key(key))
    }

    /// Shows what the user must read when no browser window shows it
    /// (default: standard error; see [`Notice`](crate::flow::Notice)).
    pub fn notice(self, hook: impl Fn(&Notice<'_>) + Send + Sync + 'static) -> Self {
        self.map(|f| f.notice(hook))
    }

    /// The manager.
    pub fn build(self) -> AuthFlowManager {
        self.flow.with_destination(self.store, self.session)
    }
}
