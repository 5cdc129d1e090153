//! The builder of the native sign-in: [`AuthFlowManagerBuilder`] (what
//! [`AuthFlowManager::builder`] returns; that constructor is written here
//! so the manager's file never imports its builder back). What one run
//! shows the URL with, [`NativeOptions`](super::NativeOptions), is in `native_options.rs`.
//!
//! ```no_run
//! use std::sync::Arc;
//! use oauthkit::flow::{AuthFlowManager, NativeOptions};
//! use oauthkit::session::SessionManager;
//! use oauthkit::provider::{OidcConfig, OAuthProvider, Provider};
//!
//! let provider: Arc<dyn Provider> =
//!     Arc::new(OAuthProvider::oidc(OidcConfig::new("https://idp.example", "my-app"))?);
//! let sessions = Arc::new(SessionManager::new(provider.clone(), oauthkit::store::open("memory:")?));
//! let flow = AuthFlowManager::builder(provider).session(sessions.clone()).build();
//! let signed_in = flow.run_native(NativeOptions::new().open_browser(|url| {
//!     println!("open {url}");
//!     Ok(())
//! }))?;
//! let token = sessions.access_token(&signed_in.key)?; // refreshed when due
//! # Ok::<(), oauthkit::Error>(())
//! ```

use std::sync::{Arc, Mutex};
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

    /// The builder holding this manager's settings (the C ABI changes a
    /// flow's options one call at a time with it).
    #[cfg(feature = "capi")]
    pub(crate) fn into_builder(self) -> AuthFlowManagerBuilder {
        AuthFlowManagerBuilder { flow: self }
    }
}

/// Builds an [`AuthFlowManager`]: `AuthFlowManager::builder(provider)`,
/// then any of the setters, then [`build`](Self::build). Without a store
/// or a session the tokens are returned but stored nowhere.
#[must_use = "call .build() to get the AuthFlowManager"]
pub struct AuthFlowManagerBuilder {
    flow: AuthFlowManager,
}

impl std::fmt::Debug for AuthFlowManagerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthFlowManagerBuilder")
            .field("flow", &self.flow)
            .field("store", &self.flow.store.as_ref().map(|s| s.backend()))
            .field("session", &self.flow.session.is_some())
            .finish()
    }
}

impl AuthFlowManagerBuilder {
    pub(crate) fn new(provider: Arc<dyn Provider>) -> Self {
        AuthFlowManagerBuilder {
            flow: AuthFlowManager::new(provider),
        }
    }

    /// Saves the tokens in `store` (any store: the `Arc<dyn TokenStore>`
    /// of [`store::open`](crate::store::open), a concrete store).
    pub fn store(mut self, store: impl TokenStore + 'static) -> Self {
        self.flow.store = Some(Arc::new(store));
        self
    }

    /// Saves the tokens in the store of `session` (unless
    /// [`store`](Self::store) names another), so the session keeps them
    /// fresh.
    pub fn session(mut self, session: Arc<SessionManager>) -> Self {
        self.flow.session = Some(session);
        self
    }

    /// How long the user has to sign in (default
    /// [`DEFAULT_AUTH_TIMEOUT`](super::native::DEFAULT_AUTH_TIMEOUT)).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.flow.auth_timeout = timeout;
        self
    }

    /// Stores the tokens under `key` instead of the identity's `sub`.
    pub fn token_key(mut self, key: impl Into<String>) -> Self {
        self.flow.token_key = Some(key.into());
        self
    }

    /// Adds a query parameter to the authorization URL (`prompt`,
    /// `login_hint`, ...).
    pub fn extra_param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.flow.extra_params.push((name.into(), value.into()));
        self
    }

    /// The callback server's host, port and path.
    pub fn callback_options(mut self, options: CallbackServerOptions) -> Self {
        self.flow.callback = options;
        self
    }

    /// How the authorization response arrives (server, or also pasted).
    pub fn callback_mode(mut self, mode: CallbackMode) -> Self {
        self.flow.mode = mode;
        self
    }

    /// Also accepts the redirect address pasted into `input` (instead of
    /// standard input), in addition to the callback server.
    pub fn paste_input(mut self, input: PasteInput) -> Self {
        self.flow.mode = CallbackMode::ServerOrPaste;
        self.flow.paste = Mutex::new(Some(input));
        self
    }

    /// Whether to call the userinfo endpoint after the exchange (default
    /// on).
    pub fn userinfo(mut self, fetch: bool) -> Self {
        self.flow.fetch_userinfo = fetch;
        self
    }

    /// Turns PKCE (S256) on or off. Leave it on: RFC 9700 requires it for
    /// public clients, and the few providers that ignore it are unaffected.
    pub fn pkce(mut self, use_pkce: bool) -> Self {
        self.flow.use_pkce = use_pkce;
        self
    }

    /// The DPoP key to bind this sign-in's tokens to, instead of a new one
    /// per sign-in (the provider must be configured for DPoP, see
    /// [`Provider::dpop`]; otherwise the sign-in fails before the browser
    /// opens).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// use oauthkit::flow::AuthFlowManager;
    /// use oauthkit::provider::SigningAlgorithm;
    /// use oauthkit::unversioned::provider::DpopKey;
    /// use oauthkit::provider::DpopConfig;
    /// use oauthkit::provider::{OidcConfig, OAuthProvider};
    /// let provider = Arc::new(OAuthProvider::oidc(
    ///     OidcConfig::new("https://idp.example", "app").dpop(DpopConfig::new()),
    /// )?);
    /// let key = DpopKey::generate(SigningAlgorithm::ES256)?;
    /// let flow = AuthFlowManager::builder(provider).dpop_key(key).build();
    /// # Ok::<(), oauthkit::Error>(())
    /// ```
    pub fn dpop_key(mut self, key: crate::jose::DpopKey) -> Self {
        self.flow.dpop_key = Some(key);
        self
    }

    /// Shows what the user must read when no browser window shows it
    /// (default: standard error; see
    /// [`Notice`](crate::unversioned::flow::Notice)).
    pub fn notice(mut self, hook: impl Fn(&Notice<'_>) + Send + Sync + 'static) -> Self {
        self.flow.notice = Arc::new(hook);
        self
    }

    /// The manager.
    pub fn build(self) -> AuthFlowManager {
        self.flow
    }
}
