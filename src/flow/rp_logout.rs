//! [`RpLogout`]: signing out everywhere. Revokes the stored tokens
//! (refresh token first), deletes them, then ends the user's session at
//! the provider through RP-initiated logout (`end_session_endpoint` with
//! `id_token_hint`, `client_id`, `post_logout_redirect_uri`, `state`):
//! either by opening the URL in the browser and waiting for the provider's
//! redirect on a loopback server ([`RpLogout::run`]), or by handing the URL
//! to the caller ([`RpLogout::url`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::browser::open_system_browser;
use super::notice::{self, Notice, NoticeFn, UrlPurpose};
use crate::error::{Error, Result};
use crate::provider::{EndSessionRequest, Provider};
use crate::random;
use crate::secret::constant_time_eq;
use crate::session::logout::{revoke_and_delete, LogoutReport};
use crate::store::TokenStore;

/// How long [`RpLogout::run`] waits for the provider's redirect by
/// default.
pub const DEFAULT_LOGOUT_TIMEOUT: Duration = Duration::from_secs(120);

/// The loopback path the provider redirects to after logout.
pub const LOGGED_OUT_PATH: &str = "/logged-out";

/// A function that opens a URL (default: the system browser).
pub type OpenUrlFn = Arc<dyn Fn(&str) -> Result<()> + Send + Sync>;

/// Signs a user out at the provider and locally.
///
/// ```no_run
/// use std::sync::Arc;
/// use oauthkit::flow::RpLogout;
/// # fn provider() -> Arc<dyn oauthkit::provider::Provider> { unimplemented!() }
/// let store: Arc<dyn oauthkit::TokenStore> = oauthkit::store::open_default()?;
/// let report = RpLogout::new(provider(), store).run("alice")?; // opens the browser
/// println!("provider session ended: {}", report.provider_session_ended);
/// # Ok::<(), oauthkit::Error>(())
/// ```
pub struct RpLogout {
    provider: Arc<dyn Provider>,
    store: Arc<dyn TokenStore>,
    post_logout_redirect_uri: Option<String>,
    timeout: Duration,
    open: Option<OpenUrlFn>,
    notice: NoticeFn,
}

impl std::fmt::Debug for RpLogout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RpLogout")
            .field("provider", &self.provider.name())
            .field("post_logout_redirect_uri", &self.post_logout_redirect_uri)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl RpLogout {
    /// Signs out of `provider`, deleting tokens from `store`.
    pub fn new(provider: Arc<dyn Provider>, store: impl TokenStore + 'static) -> Self {
        RpLogout {
            provider,
            store: Arc::new(store),
            post_logout_redirect_uri: None,
            timeout: DEFAULT_LOGOUT_TIMEOUT,
            open: None,
            notice: notice::default_hook(),
        }
    }

    /// The `post_logout_redirect_uri` [`url`](Self::url) sends (registered
    /// with the provider; [`run`](Self::run) uses its own loopback URI).
    pub fn post_logout_redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.post_logout_redirect_uri = Some(uri.into());
        self
    }

    /// How long [`run`](Self::run) waits for the redirect.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Opens the end-session URL with `open` instead of the system browser.
    pub fn browser(mut self, open: impl Fn(&str) -> Result<()> + Send + Sync + 'static) -> Self {
        self.open = Some(Arc::new(open));
        self
    }

    /// Shows the end-session URL with `hook` when the system browser did
    /// not open (default: [`terminal_notice`](super::notice::terminal_notice)
    /// on standard error).
    pub fn notice(mut self, hook: impl Fn(&Notice<'_>) + Send + Sync + 'static) -> Self {
        self.notice = Arc::new(hook);
        self
    }

    /// Revokes and deletes `key`'s tokens and returns the end-session URL
    /// for the caller to open (deploy mode redirects there). Nothing waits
    /// for the provider.
    ///
    /// # Errors
    ///
    /// The store's errors from loading or deleting the tokens (see
    /// [`TokenStore::load`]) and those of
    /// [`Provider::end_session_url`].
    /// A failed revocation is no error: the report's `revocation` says
    /// which token failed and why.
    pub fn url(&self, key: &str) -> Result<LogoutReport> {
        let redirect = self.post_logout_redirect_uri.clone();
        self.local_logout(key, redirect.as_deref())
    }

    /// Revokes and deletes `key`'s tokens, opens the end-session URL, and
    /// waits until the provider redirects to
    /// `http://127.0.0.1:{port}/logged-out` with the right `state` (then
    /// `provider_session_ended` is `true`), or the timeout passes (`false`;
    /// the local sign-out has happened either way). Requests without the
    /// right state are answered 400 and do not end the wait. Register
    /// `http://127.0.0.1/logged-out` as a post-logout redirect URI (native
    /// clients: any port).
    ///
    /// # Errors
    ///
    /// As [`url`](Self::url); [`Error::Internal`] when no loopback port can be
    /// bound; the error of a caller-supplied browser opener. The provider not
    /// redirecting in time is no error (`provider_session_ended` is `false`).
    pub fn run(&self, key: &str) -> Result<LogoutReport> {
        let (server, redirect) = loopback()?;
        let report = self.local_logout(key, Some(&redirect))?;
        self.wait_for_provider(server, report)
    }

    /// Ends only the provider's session, for callers that signed out
    /// locally themselves (for instance with
    /// [`SessionManager::logout`](crate::session::SessionManager::logout),
    /// whose report says why a revocation failed): opens the end-session
    /// URL with `id_token_hint` and waits for the redirect as
    /// [`run`](Self::run) does. Nothing is revoked or deleted (the report
    /// says `had_tokens: false`, `NothingToRevoke`); `end_session_url` is
    /// `None` when the provider has no end-session endpoint.
    ///
    /// # Errors
    ///
    /// [`Error::Internal`] when no loopback port can be bound; the errors of
    /// [`Provider::end_session_url`]
    /// and of a caller-supplied browser opener. A timeout is no error.
    pub fn end_session_only(&self, id_token_hint: Option<&str>) -> Result<LogoutReport> {
        let (server, redirect) = loopback()?;
        let report = self.end_session(
            LogoutReport::nothing_stored(),
            id_token_hint,
            Some(&redirect),
        )?;
        self.wait_for_provider(server, report)
    }

    /// `report` with the provider's end-session URL (and its fresh
    /// `state`), when the provider has an end-session endpoint.
    fn end_session(
        &self,
        mut report: LogoutReport,
        id_token_hint: Option<&str>,
        redirect: Option<&str>,
    ) -> Result<LogoutReport> {
        let state = random::state();
        let mut request = EndSessionRequest::new().state(state.clone());
        if let Some(id) = id_token_hint {
            request = request.id_token_hint(id);
        }
        if let Some(r) = redirect {
            request = request.post_logout_redirect_uri(r);
        }
        report.end_session_url = self.provider.end_session_url(&request)?;
        if report.end_session_url.is_some() {
            report.state = state;
        }
        Ok(report)
    }

    fn wait_for_provider(
        &self,
        server: tiny_http::Server,
        mut report: LogoutReport,
    ) -> Result<LogoutReport> {
        let Some(url) = report.end_session_url.clone() else {
            return Ok(report);
        };
        match &self.open {
            Some(open) => open(&url)?,
            None => {
                if let Err(why) = open_system_browser(&url) {
                    let n = Notice::OpenUrl {
                        purpose: UrlPurpose::SignOut,
                        url: &url,
                        why: &why,
                    };
                    notice::tell(&self.notice, &n);
                }
            }
        }
        let deadline = Instant::now() + self.timeout;
        while Instant::now() < deadline {
            let Ok(Some(request)) = server.recv_timeout(Duration::from_millis(20)) else {
                continue;
            };
            let verdict = judge(request.method(), request.url(), &report.state);
            let (status, body) = match verdict {
                Verdict::LoggedOut => (200, "You are signed out. You can close this window."),
                Verdict::WrongState => (400, "This is not the expected sign-out response."),
                Verdict::NotFound => (404, "Not found."),
            };
            let response = tiny_http::Response::from_string(body)
                .with_status_code(status)
                .with_header(header("Content-Type", "text/plain; charset=utf-8"))
                .with_header(header("Cache-Control", "no-store"))
                .with_header(header("X-Content-Type-Options", "nosniff"))
                .with_header(header("Referrer-Policy", "no-referrer"));
            let _ = request.respond(response);
            if verdict == Verdict::LoggedOut {
                report.provider_session_ended = true;
                break;
            }
            log::warn!("sign-out redirect refused ({verdict:?}); still waiting");
        }
        if report.provider_session_ended {
            log::info!("sign-out: the provider ended its session");
        } else {
            log::warn!(
                "sign-out: no redirect from the provider within {:?}; its session may still be open",
                self.timeout
            );
        }
        drop(server);
        Ok(report)
    }

    fn local_logout(&self, key: &str, redirect: Option<&str>) -> Result<LogoutReport> {
        let tokens = self.store.load(key)?;
        let report = revoke_and_delete(&*self.provider, &*self.store, key, tokens.as_ref())?;
        let hint = tokens.as_ref().and_then(|t| t.id_token.as_ref());
        self.end_session(report, hint.map(|h| h.expose()), redirect)
    }
}

/// A loopback listener on a free port and its logged-out URI.
fn loopback() -> Result<(tiny_http::Server, String)> {
    let server = tiny_http::Server::http("127.0.0.1:0")
        .map_err(|e| Error::Internal(format!("binding a loopback port: {e}")))?;
    let port = server
        .server_addr()
        .to_ip()
        .map(|a| a.port())
        .ok_or_else(|| Error::Internal("the loopback listener has no port".into()))?;
    Ok((server, format!("http://127.0.0.1:{port}{LOGGED_OUT_PATH}")))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    LoggedOut,
    WrongState,
    NotFound,
}

/// A GET of the logged-out path with exactly one `state`, equal to ours.
fn judge(method: &tiny_http::Method, url: &str, expected: &str) -> Verdict {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    if path != LOGGED_OUT_PATH || *method != tiny_http::Method::Get {
        return Verdict::NotFound;
    }
    let states: Vec<String> = url::form_urlencoded::parse(query.as_bytes())
        .filter(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .collect();
    match states.as_slice() {
        [s] if constant_time_eq(s.as_bytes(), expected.as_bytes()) => Verdict::LoggedOut,
        _ => Verdict::WrongState,
    }
}

fn header(name: &str, value: &str) -> tiny_http::Header {
    tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("a valid header")
}
