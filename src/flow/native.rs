//! [`AuthFlowManager`]: the native sign-in (RFC 8252) with a loopback
//! callback, PKCE, nonce, timeout and cancel.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::browser::open_system_browser;
use super::callback::ExpectedCallback;
use super::callback_server::{CallbackOutcome, CallbackServer, CallbackServerOptions};
use super::finish::{complete_sign_in, refuse_unprotected_dpop_store};
use super::native_options::NativeOptions;
use super::notice::{self, Notice, NoticeFn, UrlPurpose};
use super::paste::PasteInput;
use super::sign_in_result::AuthFlowResult;
use super::state::{AuthFlowState, FlowStatus};
use crate::error::{Error, Result};
use crate::provider::pkce::Pkce;
use crate::provider::{AuthorizeRequest, CodeExchange, Provider};
use crate::random;
use crate::session::SessionManager;
use crate::store::TokenStore;

/// The default time allowed for the user to sign in.
pub const DEFAULT_AUTH_TIMEOUT: Duration = Duration::from_secs(120);

/// How the authorization response reaches the flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum CallbackMode {
    /// The browser is redirected to the loopback callback server.
    #[default]
    Server,
    /// As `Server`, and the user may also paste the final redirect URL
    /// into standard input (for SSH sessions; see [`PasteInput`](crate::unversioned::flow::PasteInput)).
    ServerOrPaste,
}

/// Runs sign-ins against one provider and stores the result, blocking
/// until each is done.
///
/// ```no_run
/// use std::time::Duration;
/// use oauthkit::flow::AuthFlowManager;
/// # fn provider() -> std::sync::Arc<dyn oauthkit::provider::Provider> { unimplemented!() }
/// let flow = AuthFlowManager::builder(provider())
///     .store(oauthkit::store::open_default()?)
///     .timeout(Duration::from_secs(300))
///     .build();
/// let result = flow.sign_in()?; // opens the system browser
/// println!("signed in as {}", result.key);
/// # Ok::<(), oauthkit::Error>(())
/// ```
pub struct AuthFlowManager {
    pub(super) provider: Arc<dyn Provider>,
    pub(super) store: Option<Arc<dyn TokenStore>>,
    pub(super) session: Option<Arc<SessionManager>>,
    pub(super) use_pkce: bool,
    pub(super) auth_timeout: Duration,
    pub(super) callback: CallbackServerOptions,
    pub(super) mode: CallbackMode,
    pub(super) paste: Mutex<Option<PasteInput>>,
    pub(super) token_key: Option<String>,
    pub(super) extra_params: Vec<(String, String)>,
    pub(super) fetch_userinfo: bool,
    pub(super) status: Arc<FlowStatus>,
    pub(super) notice: NoticeFn,
    pub(super) dpop_key: Option<crate::jose::DpopKey>,
}

impl std::fmt::Debug for AuthFlowManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthFlowManager")
            .field("provider", &self.provider.name())
            .field("use_pkce", &self.use_pkce)
            .field("auth_timeout", &self.auth_timeout)
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}

/// A handle that cancels a running flow from any thread.
#[derive(Debug, Clone)]
pub struct CancelHandle(Arc<FlowStatus>);

impl CancelHandle {
    /// Cancels the running sign-in (see [`AuthFlowManager::cancel`]).
    pub fn cancel(&self) {
        self.0.cancel();
    }
}

impl AuthFlowManager {
    /// A manager for `provider` with the defaults: the tokens are
    /// returned but stored nowhere, PKCE is on and the timeout is
    /// [`DEFAULT_AUTH_TIMEOUT`]. The same as
    /// `AuthFlowManager::builder(provider).build()`; the
    /// [`builder`](Self::builder) adds a store, a session and the rest.
    ///
    /// ```no_run
    /// use std::sync::Arc;
    /// use oauthkit::flow::AuthFlowManager;
    /// use oauthkit::provider::{OidcConfig, OAuthProvider};
    /// let provider = Arc::new(OAuthProvider::oidc(OidcConfig::new("https://idp.example", "app"))?);
    /// let signed_in = AuthFlowManager::new(provider).sign_in()?; // system browser
    /// println!("{}", signed_in.tokens.access_token.expose());
    /// # Ok::<(), oauthkit::Error>(())
    /// ```
    pub fn new(provider: Arc<dyn Provider>) -> Self {
        AuthFlowManager {
            provider,
            store: None,
            session: None,
            use_pkce: true,
            auth_timeout: DEFAULT_AUTH_TIMEOUT,
            callback: CallbackServerOptions::default(),
            mode: CallbackMode::Server,
            paste: Mutex::new(None),
            token_key: None,
            extra_params: Vec::new(),
            fetch_userinfo: true,
            status: Arc::new(FlowStatus::new()),
            notice: notice::default_hook(),
            dpop_key: None,
        }
    }

    /// Signs in with the system browser (the URL goes to the notice hook
    /// when none opens): [`run_native`](Self::run_native) with
    /// [`NativeOptions::new()`].
    ///
    /// # Errors
    ///
    /// As [`run_native`](Self::run_native).
    pub fn sign_in(&self) -> Result<AuthFlowResult> {
        self.run_native(NativeOptions::new())
    }

    /// The state of the current or last sign-in.
    pub fn state(&self) -> AuthFlowState {
        self.status.get()
    }

    /// Cancels the running sign-in from any thread: `run_native` returns
    /// [`Error::Cancelled`] within about 20 ms (unless the code exchange is
    /// already under way, which then completes) and the port is closed.
    pub fn cancel(&self) {
        self.status.cancel();
    }

    /// A cloneable handle for [`cancel`](Self::cancel), for other threads.
    pub fn cancel_handle(&self) -> CancelHandle {
        CancelHandle(self.status.clone())
    }

    /// Deploy mode's sign-in address for the deployment at `base_url`: the
    /// URL the front end navigates to (`{base}/auth/login`). It only makes
    /// the address; the routes of [`DeployHandler`](crate::web::DeployHandler)
    /// run the sign-in.
    ///
    /// ```no_run
    /// # use std::sync::Arc;
    /// # fn provider() -> Arc<dyn oauthkit::provider::Provider> { unimplemented!() }
    /// let flow = oauthkit::flow::AuthFlowManager::new(provider());
    /// assert_eq!(
    ///     flow.deploy_login_url("https://app.example/"),
    ///     "https://app.example/auth/login"
    /// );
    /// ```
    pub fn deploy_login_url(&self, base_url: &str) -> String {
        format!("{}/auth/login", base_url.trim_end_matches('/'))
    }

    /// Runs the native sign-in and blocks until it succeeds, times out
    /// ([`Error::Timeout`]), is cancelled ([`Error::Cancelled`]) or fails.
    ///
    /// `options` say how the authorization URL is shown:
    /// [`NativeOptions::new()`] is the system browser (the URL goes to the
    /// notice hook when none can be opened), and
    /// [`open_browser`](NativeOptions::open_browser) an application's
    /// own window; [`close_window`](NativeOptions::close_window) is called
    /// once the callback has arrived or the flow has ended, whatever the
    /// outcome. [`sign_in`](Self::sign_in) is `run_native(NativeOptions::new())`.
    ///
    /// ```no_run
    /// use oauthkit::flow::{AuthFlowManager, NativeOptions};
    /// # fn provider() -> std::sync::Arc<dyn oauthkit::provider::Provider> { unimplemented!() }
    /// let flow = AuthFlowManager::new(provider());
    /// let signed_in = flow.run_native(
    ///     NativeOptions::new()
    ///         .open_browser(|url| { println!("open {url}"); Ok(()) })
    ///         .close_window(|| println!("done")),
    /// )?;
    /// # Ok::<(), oauthkit::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// - [`Error::Timeout`] when no callback arrived in time,
    ///   [`Error::Cancelled`] after [`cancel`](Self::cancel).
    /// - The provider's [`Error::OAuth`] (the user refused, the exchange
    ///   failed) and its transport errors ([`Error::Http`]).
    /// - [`Error::Authentication`]: a response that failed the
    ///   `state`/`iss` checks, or an `open_browser` function that failed
    ///   (its own error is returned as it is).
    /// - [`Error::IdToken`] when the ID token fails validation.
    /// - [`Error::Io`] when the callback server cannot listen.
    /// - A store error from saving the tokens.
    /// - [`Error::SecurityProfile`] when the request breaks the provider's
    ///   security profile (PKCE turned off under OAuth 2.1, for example).
    /// - [`Error::InvalidArgument`] when a sign-in is already running on
    ///   this manager, the timeout is too large to compute a deadline, the
    ///   token key is one the store refuses, or a DPoP key was given to a
    ///   provider without DPoP.
    /// - [`Error::DpopKeyUnprotected`] when the sign-in is DPoP-bound and
    ///   the store cannot protect the key.
    ///
    /// Configuration errors (these two, the security profile, PAR required
    /// without an endpoint) are raised before the browser opens.
    pub fn run_native(&self, options: NativeOptions<'_>) -> Result<AuthFlowResult> {
        if !self.status.try_start() {
            return Err(Error::InvalidArgument(
                "a sign-in is already running on this AuthFlowManager".into(),
            ));
        }
        log::info!(
            "sign-in at {} started (native, loopback)",
            self.provider.name()
        );
        let outcome = self.run_inner(&options);
        if let Some(close) = &options.close_window {
            close();
        }
        match &outcome {
            Ok(r) => log::info!(
                "sign-in at {} finished: tokens stored under '{}'",
                self.provider.name(),
                crate::log_text::plain(&r.key, 200)
            ),
            Err(Error::Cancelled) => log::info!("sign-in at {} cancelled", self.provider.name()),
            Err(e) => log::warn!("sign-in at {} failed: {e}", self.provider.name()),
        }
        self.status.set(match &outcome {
            Ok(_) => AuthFlowState::Completed,
            Err(Error::Timeout { .. }) => AuthFlowState::TimedOut,
            Err(Error::Cancelled) => AuthFlowState::Cancelled,
            Err(_) => AuthFlowState::Failed,
        });
        outcome
    }

    fn run_inner(&self, options: &NativeOptions<'_>) -> Result<AuthFlowResult> {
        let deadline = Instant::now()
            .checked_add(self.auth_timeout)
            .ok_or_else(|| Error::InvalidArgument("the sign-in timeout is too large".into()))?;
        let store = self
            .store
            .clone()
            .or_else(|| self.session.as_ref().map(|s| s.store()));
        // configuration errors known now are raised before the browser opens
        if self.dpop_key.is_some() && self.provider.dpop().is_none() {
            return Err(crate::provider::dpop::not_configured());
        }
        if let (Some(k), Some(_)) = (&self.token_key, &store) {
            crate::store::check_key("the token key", k)?;
        }
        if self.dpop_key.is_some() || self.provider.dpop().is_some() {
            refuse_unprotected_dpop_store(store.as_deref(), self.token_key.as_deref())?;
        }
        let server = CallbackServer::bind(&self.callback)?;
        let redirect_uri = server.redirect_uri().to_string();
        let state = random::state();
        let nonce = random::nonce();
        let pkce = self.use_pkce.then(Pkce::generate);
        // DPoP (RFC 9449 §10): this sign-in's key, its thumbprint bound to
        // the authorization code with `dpop_jkt`
        let dpop_key = match (&self.dpop_key, self.provider.dpop()) {
            (Some(k), Some(_)) => Some(k.clone()),
            (Some(_), None) => return Err(crate::provider::dpop::not_configured()),
            (None, Some(c)) => Some(c.generate_key()?),
            (None, None) => None,
        };
        let mut extra: Vec<(&str, &str)> = self
            .extra_params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        if let Some(k) = &dpop_key {
            extra.push(("dpop_jkt", k.thumbprint()));
        }
        // a pushed request that expired before the browser is sent is
        // pushed again (RFC 9126 expires_in)
        let url = super::pushed_url::url_for_browser(
            self.provider.as_ref(),
            &AuthorizeRequest {
                redirect_uri: &redirect_uri,
                state: &state,
                pkce: pkce.as_ref(),
                nonce: Some(&nonce),
                extra_params: &extra,
            },
        )?
        .into_url();
        match &options.open_browser {
            Some(open) => open(&url)?,
            None => {
                if let Err(why) = open_system_browser(&url) {
                    let n = Notice::OpenUrl {
                        purpose: UrlPurpose::SignIn,
                        url: &url,
                        why: &why,
                    };
                    notice::tell(&self.notice, &n);
                }
            }
        }
        let expected = ExpectedCallback::new(state).provider_iss_check(self.provider.clone());
        let cancelled = || self.status.is_cancelled();
        let outcome = match self.mode {
            CallbackMode::Server => server.wait(&expected, deadline, &cancelled),
            CallbackMode::ServerOrPaste => {
                let mut guard = self.paste.lock().unwrap_or_else(|p| p.into_inner());
                let input = guard.get_or_insert_with(PasteInput::stdin);
                notice::tell(
                    &self.notice,
                    &Notice::PasteRedirect {
                        redirect_uri: &redirect_uri,
                    },
                );
                server.wait_or_paste(&expected, deadline, &cancelled, input, &mut |why| {
                    notice::tell(&self.notice, &Notice::PasteRefused { why });
                })
            }
        };
        // The listener closes on the first final response, on error, on
        // timeout and on cancel (RFC 8252 §7.3).
        server.shutdown();
        let code = match outcome {
            CallbackOutcome::Code(code) => code,
            CallbackOutcome::Failed(e) => return Err(e),
            CallbackOutcome::TimedOut => {
                return Err(Error::Timeout {
                    seconds: self.auth_timeout.as_secs(),
                })
            }
            CallbackOutcome::Cancelled => return Err(Error::Cancelled),
        };
        if self.status.is_cancelled() {
            return Err(Error::Cancelled);
        }
        self.status.set(AuthFlowState::Exchanging);
        let verifier = pkce.as_ref().map(Pkce::verifier);
        let mut exchange = CodeExchange::new(code.expose(), &redirect_uri).nonce(&nonce);
        if let Some(v) = verifier {
            exchange = exchange.pkce_verifier(v);
        }
        if let Some(key) = &dpop_key {
            exchange = exchange.dpop(key);
        }
        let tokens = self.provider.exchange_code(&exchange)?;
        complete_sign_in(
            self.provider.as_ref(),
            tokens,
            self.fetch_userinfo,
            self.token_key.as_deref(),
            store.as_deref(),
        )
    }
}
