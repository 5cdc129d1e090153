//! [`DeviceFlow`]: the device authorization grant (RFC 8628) for machines
//! without a browser or reached over SSH. The user signs in on another
//! device (a phone, a laptop) by opening a URL and typing a short code;
//! this side polls the token endpoint until they have.
//!
//! Polling follows RFC 8628 §3.5: the first poll and each later one wait
//! `interval` (default 5 s) after the previous answer;
//! `authorization_pending` polls again, `slow_down` adds 5 s to this and
//! every later interval, `access_denied`, `expired_token` and any other
//! error end the flow; polling stops when the device code's lifetime
//! (`expires_in`) or the caller's timeout runs out, and
//! [`cancel`](DeviceFlow::cancel) from any thread ends the wait at once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use super::finish::complete_sign_in;
use super::sign_in_result::AuthFlowResult;
use crate::error::{Error, Result};
use crate::provider::grants::device::DevicePoll;
use crate::provider::grants::device::SLOW_DOWN_INCREMENT;
use crate::provider::grants::request::GrantRequest;
use crate::provider::{DeviceAuthorization, Provider};
use crate::session::SessionManager;
use crate::store::TokenStore;
use crate::terminal_text::{escape, is_plain};

/// Shows the user where to go and which code to enter.
pub type DevicePromptFn = Arc<dyn Fn(&DeviceAuthorization) -> Result<()> + Send + Sync>;

/// Told after every poll that did not end the flow.
pub type DevicePollFn = Arc<dyn Fn(&PollStatus) + Send + Sync>;

/// What one unfinished poll said, for progress displays and measurements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollStatus {
    /// 1 for the first poll.
    pub attempt: u32,
    /// The provider answered `slow_down` (else `authorization_pending`).
    pub slowed_down: bool,
    /// The wait before the next poll.
    pub next_interval: Duration,
}

/// The default prompt: writes the verification URI, the user code and a
/// QR code of the complete URI (or of the plain one) to standard error.
///
/// It is what [`DeviceFlow::new`] uses until [`DeviceFlow::prompt`]
/// replaces it (the hook like [`NoticeFn`](super::notice::NoticeFn) for
/// the other flows); oauthkit writes to the terminal nowhere else in this
/// flow. The user code is not logged.
/// Everything written comes from [`DeviceAuthorization`], whose URIs and
/// user code are checked to be free of control, bidi and invisible format
/// characters, and [`prompt_text`] escapes any that a caller put there.
///
/// # Errors
///
/// Never: a closed standard error is ignored (the flow goes on polling).
/// The `Result` is the prompt hooks' shape, whose errors end the run.
pub fn terminal_prompt(authorization: &DeviceAuthorization) -> Result<()> {
    use std::io::Write;
    // A closed standard error has nobody to show the code to; the flow
    // still polls (the code may be shown elsewhere, e.g. by a wrapper).
    let _ = writeln!(std::io::stderr().lock(), "{}", prompt_text(authorization));
    Ok(())
}

/// The text [`terminal_prompt`] writes, QR code included.
///
/// ```
/// use std::time::Duration;
/// use oauthkit::unversioned::flow::prompt_text;
/// use oauthkit::provider::DeviceAuthorization;
/// let a = DeviceAuthorization {
///     device_code: "dc".into(),
///     user_code: "WDJB-MJHT".into(),
///     verification_uri: "https://idp.example/device".into(),
///     verification_uri_complete: Some("https://idp.example/device?user_code=WDJB-MJHT".into()),
///     expires_in: Duration::from_secs(900),
///     interval: Duration::from_secs(5),
///     message: None,
///     scopes: vec![],
/// };
/// let text = prompt_text(&a);
/// assert!(text.starts_with("To sign in, open https://idp.example/device on any device and enter the code WDJB-MJHT"));
/// assert!(text.contains("scan this code"));
/// assert!(!text.contains("dc"));
/// ```
pub fn prompt_text(a: &DeviceAuthorization) -> String {
    // the fields are public: whoever filled them, nothing reaches the
    // terminal unescaped (terminal_text.rs)
    let mut text = format!(
        "To sign in, open {} on any device and enter the code {}",
        escape(&a.verification_uri),
        escape(&a.user_code)
    );
    // a QR code only of an address shown as it is
    let qr_target = a
        .verification_uri_complete
        .as_deref()
        .into_iter()
        .chain([a.verification_uri.as_str()])
        .find(|u| is_plain(u));
    if let Some(qr) = qr_target.and_then(qr_code) {
        text.push_str("\nor scan this code with a phone:\n\n");
        text.push_str(&qr);
    }
    if let Some(complete) = &a.verification_uri_complete {
        text.push_str(&format!("\n(direct link: {})", escape(complete)));
    }
    text
}

/// Without the `qrcode` feature: always `None` (the prompt shows the URI
/// and the code only).
#[cfg(not(feature = "qrcode"))]
pub fn qr_code(_text: &str) -> Option<String> {
    None
}

/// `text` as a QR code drawn with Unicode half blocks (two modules per
/// character cell, dark on light with a quiet zone), for terminals.
/// `None` when the text is too long for a QR code, and always without the
/// cargo feature `qrcode`.
///
/// ```
/// let qr = oauthkit::unversioned::flow::qr_code("https://idp.example/device?user_code=ABCD-EFGH").unwrap();
/// assert!(qr.lines().count() > 10);
/// assert!(qr.contains('█') || qr.contains('▀') || qr.contains('▄'));
/// ```
#[cfg(feature = "qrcode")]
pub fn qr_code(text: &str) -> Option<String> {
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    Some(
        code.render::<qrcode::render::unicode::Dense1x2>()
            .dark_color(qrcode::render::unicode::Dense1x2::Light)
            .light_color(qrcode::render::unicode::Dense1x2::Dark)
            .quiet_zone(true)
            .build(),
    )
}

/// A cancel flag a waiting flow sleeps on, so a cancel wakes it at once.
#[derive(Debug, Default)]
struct CancelSignal {
    cancelled: Mutex<bool>,
    wake: Condvar,
}

impl CancelSignal {
    fn cancel(&self) {
        *self.cancelled.lock().unwrap_or_else(|p| p.into_inner()) = true;
        self.wake.notify_all();
    }

    fn reset(&self) {
        *self.cancelled.lock().unwrap_or_else(|p| p.into_inner()) = false;
    }

    fn is_cancelled(&self) -> bool {
        *self.cancelled.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sleeps until `until`; `true` when cancelled first.
    fn wait_until(&self, until: Instant) -> bool {
        let mut cancelled = self.cancelled.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if *cancelled {
                return true;
            }
            let now = Instant::now();
            if now >= until {
                return false;
            }
            cancelled = self
                .wake
                .wait_timeout(cancelled, until - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }
}

/// Cancels a running [`DeviceFlow`] from any thread.
#[derive(Debug, Clone)]
pub struct DeviceCancelHandle(Arc<CancelSignal>);

impl DeviceCancelHandle {
    /// Ends the flow's wait now; `run` returns [`Error::Cancelled`] (after
    /// the poll in flight, if one is).
    pub fn cancel(&self) {
        self.0.cancel();
    }
}

/// The device authorization grant, built step by step.
///
/// ```no_run
/// use std::sync::Arc;
/// use std::time::Duration;
/// use oauthkit::flow::DeviceFlow;
/// use oauthkit::provider::{microsoft, Provider};
///
/// let provider: Arc<dyn Provider> = Arc::new(microsoft::provider("common", "app-id")?);
/// let store: Arc<dyn oauthkit::TokenStore> = oauthkit::store::open_default()?;
/// let result = DeviceFlow::new(provider)
///     .store(store)
///     .scopes(["openid", "offline_access", "User.Read"])
///     .timeout(Duration::from_secs(600))
///     .run()?; // prints the URL, the code and a QR code on stderr, then polls
/// println!("signed in as {}", result.key);
/// # Ok::<(), oauthkit::Error>(())
/// ```
pub struct DeviceFlow {
    provider: Arc<dyn Provider>,
    store: Option<Arc<dyn TokenStore>>,
    request: GrantRequest,
    timeout: Option<Duration>,
    token_key: Option<String>,
    fetch_userinfo: bool,
    prompt: DevicePromptFn,
    on_poll: Option<DevicePollFn>,
    cancel: Arc<CancelSignal>,
    running: AtomicBool,
}

impl std::fmt::Debug for DeviceFlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceFlow")
            .field("provider", &self.provider.name())
            .field("request", &self.request)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl DeviceFlow {
    /// A device sign-in at `provider`: the provider's scopes, no store, no
    /// timeout beyond the device code's lifetime, the [`terminal_prompt`].
    pub fn new(provider: Arc<dyn Provider>) -> Self {
        DeviceFlow {
            provider,
            store: None,
            request: GrantRequest::device_authorization(),
            timeout: None,
            token_key: None,
            fetch_userinfo: true,
            prompt: Arc::new(terminal_prompt),
            on_poll: None,
            cancel: Arc::new(CancelSignal::default()),
            running: AtomicBool::new(false),
        }
    }

    /// Saves the tokens in `store`.
    pub fn store(mut self, store: impl TokenStore + 'static) -> Self {
        self.store = Some(Arc::new(store));
        self
    }

    /// Saves the tokens in the session manager's store (so it keeps them
    /// fresh).
    pub fn session(mut self, sessions: &SessionManager) -> Self {
        self.store = Some(sessions.store());
        self
    }

    /// Requests these scopes instead of the provider's configured ones.
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.request = self.request.scopes(scopes);
        self
    }

    /// Adds a parameter to the device authorization request (`resource`,
    /// `audience`, ...).
    pub fn param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.request = self.request.param(name, value);
        self
    }

    /// Gives up after `timeout` even if the device code lives longer
    /// ([`Error::Timeout`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Stores the tokens under `key` instead of the identity's `sub`.
    pub fn token_key(mut self, key: impl Into<String>) -> Self {
        self.token_key = Some(key.into());
        self
    }

    /// Whether to call the userinfo endpoint after sign-in (default on).
    pub fn userinfo(mut self, fetch: bool) -> Self {
        self.fetch_userinfo = fetch;
        self
    }

    /// Shows the code with `prompt` instead of [`terminal_prompt`] (a GUI,
    /// a log line, a test driving the user's side). An error from it ends
    /// the flow before any poll.
    pub fn prompt(
        mut self,
        prompt: impl Fn(&DeviceAuthorization) -> Result<()> + Send + Sync + 'static,
    ) -> Self {
        self.prompt = Arc::new(prompt);
        self
    }

    /// Calls `hook` after every poll that did not end the flow.
    pub fn on_poll(mut self, hook: impl Fn(&PollStatus) + Send + Sync + 'static) -> Self {
        self.on_poll = Some(Arc::new(hook));
        self
    }

    /// Cancels the running flow (see [`DeviceCancelHandle::cancel`]).
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    /// A cloneable handle that cancels from another thread.
    pub fn cancel_handle(&self) -> DeviceCancelHandle {
        DeviceCancelHandle(self.cancel.clone())
    }

    /// Runs the grant and blocks until the user has signed in, refused,
    /// the code expired, the timeout passed or the flow was cancelled.
    ///
    /// | outcome | result |
    /// |---|---|
    /// | approved | `Ok(AuthFlowResult)`, tokens validated and stored |
    /// | the provider has no device endpoint | [`Error::ProviderUnsupported`] (kind `Unsupported`) |
    /// | the user refused | [`Error::OAuth`] `access_denied` |
    /// | the provider says the code expired | [`Error::OAuth`] `expired_token` |
    /// | the code's `expires_in` passed here first | [`Error::OAuth`] `expired_token`, `status: None` |
    /// | [`timeout`](Self::timeout) passed first | [`Error::Timeout`] |
    /// | [`cancel`](Self::cancel) | [`Error::Cancelled`] |
    ///
    /// # Errors
    ///
    /// As in the table, plus transport errors ([`Error::Http`]), an ID
    /// token that fails validation ([`Error::IdToken`]), a store error from
    /// saving the tokens, and [`Error::InvalidArgument`] when a run is
    /// already under way on this flow.
    pub fn run(&self) -> Result<AuthFlowResult> {
        let prompt = self.prompt.clone();
        self.run_with(&*prompt)
    }

    /// [`run`](Self::run) with `prompt` for this run instead of the
    /// configured one (it need not be `'static` or `Send`; the C ABI uses
    /// this).
    ///
    /// # Errors
    ///
    /// As [`run`](Self::run); an error `prompt` returns ends the run with it.
    pub fn run_with(
        &self,
        prompt: &dyn Fn(&DeviceAuthorization) -> Result<()>,
    ) -> Result<AuthFlowResult> {
        if self.running.swap(true, Ordering::SeqCst) {
            return Err(Error::InvalidArgument(
                "a device sign-in is already running on this DeviceFlow".into(),
            ));
        }
        self.cancel.reset();
        log::info!("sign-in at {} started (device grant)", self.provider.name());
        let outcome = self.run_inner(prompt);
        self.running.store(false, Ordering::SeqCst);
        match &outcome {
            Ok(r) => log::info!(
                "sign-in at {} finished (device grant): tokens stored under '{}'",
                self.provider.name(),
                crate::log_text::plain(&r.key, 200)
            ),
            Err(Error::Cancelled) => {
                log::info!(
                    "sign-in at {} cancelled (device grant)",
                    self.provider.name()
                )
            }
            Err(e) => log::warn!(
                "sign-in at {} failed (device grant): {e}",
                self.provider.name()
            ),
        }
        outcome
    }

    fn run_inner(
        &self,
        prompt: &dyn Fn(&DeviceAuthorization) -> Result<()>,
    ) -> Result<AuthFlowResult> {
        let authorization = self.provider.request_device_authorization(&self.request)?;
        let started = Instant::now();
        let far = |d: Duration| started.checked_add(d);
        let code_deadline = far(authorization.expires_in);
        let timeout_deadline = self.timeout.map(|t| far(t).ok_or_else(too_large));
        let timeout_deadline = timeout_deadline.transpose()?;
        // The earlier of the two ends the wait; which one decides the error.
        let (deadline, by_timeout) = match (code_deadline, timeout_deadline) {
            (Some(c), Some(t)) if t < c => (Some(t), true),
            (None, Some(t)) => (Some(t), true),
            (c, _) => (c, false),
        };
        prompt(&authorization)?;
        let mut interval = authorization.interval;
        let mut next = next_poll(interval, deadline).ok_or_else(|| expired(&authorization))?;
        let mut attempt = 0u32;
        loop {
            let wake = deadline.map_or(next, |d| d.min(next));
            if self.cancel.wait_until(wake) {
                return Err(Error::Cancelled);
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(if by_timeout {
                    Error::Timeout {
                        seconds: self.timeout.unwrap_or_default().as_secs(),
                    }
                } else {
                    expired(&authorization)
                });
            }
            attempt = attempt.saturating_add(1);
            let poll = self.provider.poll_device_token(&authorization)?;
            if self.cancel.is_cancelled() {
                return Err(Error::Cancelled);
            }
            let slowed_down = match poll {
                DevicePoll::Tokens(tokens) => {
                    return complete_sign_in(
                        self.provider.as_ref(),
                        *tokens,
                        self.fetch_userinfo,
                        self.token_key.as_deref(),
                        self.store.as_deref(),
                    )
                }
                DevicePoll::Pending => false,
                DevicePoll::SlowDown => {
                    interval = interval.saturating_add(SLOW_DOWN_INCREMENT);
                    log::info!(
                        "device grant: the provider asked to slow down; polling every {interval:?}"
                    );
                    true
                }
            };
            // The wait is measured from the answer, so the provider never
            // sees two polls closer than the interval.
            next = next_poll(interval, deadline).ok_or_else(|| expired(&authorization))?;
            if let Some(hook) = &self.on_poll {
                hook(&PollStatus {
                    attempt,
                    slowed_down,
                    next_interval: interval,
                });
            }
        }
    }
}

/// `interval` from now; the deadline when that is past the end of time;
/// `None` when there is neither.
fn next_poll(interval: Duration, deadline: Option<Instant>) -> Option<Instant> {
    Instant::now().checked_add(interval).or(deadline)
}

fn too_large() -> Error {
    Error::InvalidArgument("the device sign-in timeout is too large".into())
}

fn expired(a: &DeviceAuthorization) -> Error {
    Error::OAuth {
        endpoint: "device".into(),
        status: None,
        error: "expired_token".into(),
        description: Some(format!(
            "the device code expired after {} s without the user's approval",
            a.expires_in.as_secs()
        )),
        source: None,
    }
}
