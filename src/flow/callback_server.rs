//! The loopback callback server of the native flow (RFC 8252 §7.3, §8.3).
//!
//! It listens on `127.0.0.1` (or `[::1]` when IPv4 loopback is
//! unavailable), never on `0.0.0.0`, on a port the operating system picks
//! unless told otherwise, and answers exactly one valid authorization
//! response. Everything else (other paths, `favicon.ico`, forged or
//! missing `state`, `error=` without the right state) gets a 400 or 404
//! and the sign-in keeps waiting; see [`callback`](super::callback) for
//! the rules. Only the redirect URI's authority is served: a request whose
//! `Host` (or absolute-form target) names another host or port, or that
//! has no or several `Host` headers, gets a 400 and the sign-in keeps
//! waiting (DNS-rebinding defence; the repository's
//! [flows guide](https://github.com/oauthkit/oauthkit/blob/main/docs/flows.md)
//! lists what counts as the same authority). Pages carry `Cache-Control: no-store`, a restrictive CSP,
//! `nosniff`, `X-Frame-Options: DENY` and `Referrer-Policy: no-referrer`.
//!
//! The server is [tiny_http](https://docs.rs/tiny_http); waiting uses
//! short receive timeouts, so neither a slow client nor a flood of
//! requests can keep the flow past its deadline or delay a cancel.
//! [`CallbackServer::shutdown`] (also run on drop) first answers every
//! request still queued `410 Gone` ("this sign-in has finished",
//! `Connection: close`; never tiny_http's `500` for a dropped request),
//! then closes the listening socket and returns once the port refuses
//! connections.

use std::io::ErrorKind as IoKind;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use super::callback::{CallbackVerdict, ExpectedCallback};
use super::host_check::LoopbackAuthority;
use super::html;
use super::paste::PasteInput;
use crate::error::{Error, Result};
use crate::secret::Secret;

/// How often the wait loop looks at the cancel flag and the deadline.
const POLL: Duration = Duration::from_millis(20);

/// The host name put in the redirect URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum RedirectHost {
    /// `127.0.0.1`, or `[::1]` when IPv4 loopback is unavailable
    /// (RFC 8252 §7.3, the default).
    #[default]
    Loopback,
    /// `localhost` (listening on the loopback address). RFC 8252 §8.3 does
    /// not recommend it, but some providers (Okta, Entra app
    /// registrations, Gitee) accept nothing else.
    Localhost,
}

/// Which port to listen on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum PortChoice {
    /// A free port chosen by the operating system (the default).
    #[default]
    Ephemeral,
    /// Exactly this port; a busy port is an error, not a wait.
    Fixed(u16),
    /// The first free port of this inclusive range.
    Range(u16, u16),
}

/// Options of the callback server.
///
/// ```
/// use oauthkit::unversioned::flow::{CallbackServer, CallbackServerOptions};
/// let server = CallbackServer::bind(&CallbackServerOptions::new()).unwrap();
/// assert!(server.local_addr().ip().is_loopback());
/// assert!(server.redirect_uri().starts_with("http://127.0.0.1:"));
/// assert!(server.redirect_uri().ends_with("/callback"));
/// ```
#[derive(Debug, Clone)]
pub struct CallbackServerOptions {
    host: RedirectHost,
    port: PortChoice,
    path: String,
}

impl Default for CallbackServerOptions {
    fn default() -> Self {
        CallbackServerOptions {
            host: RedirectHost::Loopback,
            port: PortChoice::Ephemeral,
            path: "/callback".into(),
        }
    }
}

impl CallbackServerOptions {
    /// `http://127.0.0.1:{free port}/callback`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the redirect host.
    pub fn host(mut self, host: RedirectHost) -> Self {
        self.host = host;
        self
    }

    /// Sets the port choice.
    pub fn port(mut self, port: PortChoice) -> Self {
        self.port = port;
        self
    }

    /// Sets the callback path (a leading `/` is added when missing).
    pub fn path(mut self, path: impl Into<String>) -> Self {
        let p = path.into();
        self.path = if p.starts_with('/') {
            p
        } else {
            format!("/{p}")
        };
        self
    }
}

/// How a wait for the callback ended.
#[derive(Debug)]
#[non_exhaustive]
pub enum CallbackOutcome {
    /// The valid authorization response.
    Code(Secret),
    /// A response with the right state that ends the flow.
    Failed(Error),
    /// The deadline passed.
    TimedOut,
    /// The cancel check said so.
    Cancelled,
}

/// Pasted lines and the callback told why one was refused.
type PasteSource<'a> = (&'a PasteInput, &'a mut dyn FnMut(&str));

/// A listening callback server. Dropping it shuts it down.
pub struct CallbackServer {
    server: Option<tiny_http::Server>,
    addr: SocketAddr,
    redirect_uri: String,
    path: String,
    authority: LoopbackAuthority,
}

impl std::fmt::Debug for CallbackServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallbackServer")
            .field("addr", &self.addr)
            .field("redirect_uri", &self.redirect_uri)
            .finish()
    }
}

impl CallbackServer {
    /// Binds the listening socket; the server accepts connections as soon
    /// as this returns.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when the path holds `?`, `#` or a space;
    /// [`Error::Io`] when the port cannot be bound (in use, no loopback
    /// address); [`Error::Internal`] when the HTTP server cannot start on it.
    pub fn bind(options: &CallbackServerOptions) -> Result<Self> {
        if options.path.contains(['?', '#', ' ']) {
            return Err(Error::InvalidArgument(format!(
                "callback path '{}' must not contain '?', '#' or spaces",
                options.path
            )));
        }
        let listener = match bind_ip(IpAddr::V4(Ipv4Addr::LOCALHOST), options.port) {
            Ok(l) => l,
            // No IPv4 loopback on this machine: RFC 8252 §7.3 says use [::1].
            Err(BindError::NoAddress(_)) => bind_ip(IpAddr::V6(Ipv6Addr::LOCALHOST), options.port)
                .map_err(BindError::into_error)?,
            Err(e) => return Err(e.into_error()),
        };
        let addr = listener
            .local_addr()
            .map_err(|e| Error::io("reading the callback server's address", e))?;
        let host = match (options.host, addr.ip()) {
            (RedirectHost::Localhost, _) => "localhost".to_string(),
            (RedirectHost::Loopback, IpAddr::V4(ip)) => ip.to_string(),
            (RedirectHost::Loopback, IpAddr::V6(ip)) => format!("[{ip}]"),
        };
        let redirect_uri = format!("http://{host}:{}{}", addr.port(), options.path);
        let authority = LoopbackAuthority::new(&host, addr.port());
        let server = tiny_http::Server::from_listener(listener, None)
            .map_err(|e| Error::Internal(format!("starting the callback server: {e}")))?;
        Ok(CallbackServer {
            server: Some(server),
            addr,
            redirect_uri,
            path: options.path.clone(),
            authority,
        })
    }

    /// The redirect URI to register and send: `http://127.0.0.1:{port}{path}`.
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// The socket address listened on (always a loopback address).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Answers requests until the valid response, a final failure, the
    /// deadline or `cancelled()` returning true (checked every 20 ms).
    pub fn wait(
        &self,
        expected: &ExpectedCallback,
        deadline: Instant,
        cancelled: &dyn Fn() -> bool,
    ) -> CallbackOutcome {
        self.wait_inner(expected, deadline, cancelled, None)
    }

    /// Like [`wait`](Self::wait), and also takes a redirect URL pasted into
    /// `paste`; `rejected` is told why a pasted line was refused (so the
    /// caller can ask again).
    pub fn wait_or_paste(
        &self,
        expected: &ExpectedCallback,
        deadline: Instant,
        cancelled: &dyn Fn() -> bool,
        paste: &PasteInput,
        rejected: &mut dyn FnMut(&str),
    ) -> CallbackOutcome {
        self.wait_inner(expected, deadline, cancelled, Some((paste, rejected)))
    }

    fn wait_inner(
        &self,
        expected: &ExpectedCallback,
        deadline: Instant,
        cancelled: &dyn Fn() -> bool,
        mut paste: Option<PasteSource<'_>>,
    ) -> CallbackOutcome {
        let Some(server) = &self.server else {
            return CallbackOutcome::Failed(Error::Internal("callback server is shut down".into()));
        };
        loop {
            if cancelled() {
                return CallbackOutcome::Cancelled;
            }
            let now = Instant::now();
            if now >= deadline {
                return CallbackOutcome::TimedOut;
            }
            if let Some((input, rejected)) = paste.as_mut() {
                if let Some(line) = input.try_next() {
                    match expected.check_url(&line) {
                        CallbackVerdict::Code(code) => return CallbackOutcome::Code(code),
                        CallbackVerdict::Failed(e) => return CallbackOutcome::Failed(e),
                        CallbackVerdict::Ignored(why) => {
                            log::warn!("pasted redirect address refused ({why}); still waiting");
                            rejected(why)
                        }
                    }
                }
            }
            let slice = POLL.min(deadline - now);
            let request = match server.recv_timeout(slice) {
                Ok(Some(r)) => r,
                Ok(None) => continue,
                // An accept error: the listener is gone; nothing more can come.
                Err(e) => {
                    return CallbackOutcome::Failed(Error::io("callback server stopped", e));
                }
            };
            if let Some(outcome) = self.answer(request, expected) {
                return outcome;
            }
        }
    }

    /// Responds to one request; `Some` when it ends the wait.
    fn answer(
        &self,
        request: tiny_http::Request,
        expected: &ExpectedCallback,
    ) -> Option<CallbackOutcome> {
        // DNS rebinding: a page whose name resolves to the loopback
        // address reaches this port, but its browser names that page's
        // host. Refused before anything else is looked at.
        let hosts: Vec<&str> = request
            .headers()
            .iter()
            .filter(|h| h.field.equiv("Host"))
            .map(|h| h.value.as_str())
            .collect();
        let target = match self.authority.check(request.url(), &hosts) {
            Ok(t) => t.to_string(),
            Err(why) => {
                log::warn!("sign-in callback refused: wrong Host ({why}); still waiting");
                respond(
                    request,
                    400,
                    &html::page(
                        "Invalid request",
                        &format!("This server only answers the sign-in redirect ({why})."),
                    ),
                );
                return None;
            }
        };
        let (path, query) = match target.split_once('?') {
            Some((p, q)) => (p.to_string(), q.to_string()),
            None => (target, String::new()),
        };
        if path != self.path {
            log::info!("sign-in callback server: request for another path answered 404");
            respond(
                request,
                404,
                &html::page("Not found", "There is nothing here."),
            );
            return None;
        }
        if *request.method() != tiny_http::Method::Get {
            log::info!(
                "sign-in callback refused: method {} answered 405",
                request.method()
            );
            respond(request, 405, &html::page("Method not allowed", "Use GET."));
            return None;
        }
        match expected.check_query(&query) {
            CallbackVerdict::Code(code) => {
                log::debug!("sign-in callback accepted (state matched)");
                respond(request, 200, &html::success());
                Some(CallbackOutcome::Code(code))
            }
            CallbackVerdict::Failed(err) => {
                log::warn!("sign-in callback ended the sign-in: {err}");
                let body = match &err {
                    Error::OAuth {
                        error, description, ..
                    } => html::provider_error(error, description.as_deref()),
                    other => html::page("Sign-in failed", &other.to_string()),
                };
                respond(request, 400, &body);
                Some(CallbackOutcome::Failed(err))
            }
            CallbackVerdict::Ignored(why) => {
                log::warn!("sign-in callback refused ({why}); still waiting");
                respond(
                    request,
                    400,
                    &html::page(
                        "Invalid request",
                        &format!("This is not a valid sign-in response ({why})."),
                    ),
                );
                None
            }
        }
    }

    /// Answers the requests still queued (`410 Gone`, until none came for
    /// 100 ms, at most 2 s), closes the listening socket and returns once
    /// the port refuses connections (at most about a second more).
    pub fn shutdown(mut self) {
        self.close();
    }

    fn close(&mut self) {
        if let Some(server) = self.server.take() {
            answer_the_rest(&server);
            drop(server);
            // tiny_http's accept thread drops the listener right after the
            // wake-up connection its Drop makes; wait for that.
            let until = Instant::now() + Duration::from_secs(1);
            while Instant::now() < until {
                match TcpStream::connect_timeout(&self.addr, Duration::from_millis(50)) {
                    Ok(_) => std::thread::sleep(Duration::from_millis(2)),
                    Err(_) => break,
                }
            }
        }
    }
}

impl Drop for CallbackServer {
    fn drop(&mut self) {
        self.close();
    }
}

/// How long the closing server keeps telling late requests that the
/// sign-in has finished: until none came for [`LATE_QUIET`], at most
/// [`LATE_LIMIT`].
const LATE_QUIET: Duration = Duration::from_millis(100);
const LATE_LIMIT: Duration = Duration::from_secs(2);

/// Answers every request still queued (or arriving while it drains) with
/// `410 Gone`, "this sign-in has finished", and `Connection: close`: a
/// request tiny_http still holds when its server is dropped would be
/// answered `500 Internal Server Error`.
fn answer_the_rest(server: &tiny_http::Server) {
    let limit = Instant::now() + LATE_LIMIT;
    let mut quiet_until = Instant::now() + LATE_QUIET;
    let mut answered = 0usize;
    loop {
        let now = Instant::now();
        let until = quiet_until.min(limit);
        if now >= until {
            break;
        }
        match server.recv_timeout(until - now) {
            Ok(Some(request)) => {
                answered += 1;
                quiet_until = Instant::now() + LATE_QUIET;
                respond_closing(
                    request,
                    410,
                    "Gone",
                    &html::page(
                        "Sign-in finished",
                        "This sign-in has finished; this request came too late. You can close this window.",
                    ),
                );
            }
            Ok(None) => {}
            Err(_) => break,
        }
    }
    if answered > 0 {
        log::info!(
            "sign-in callback server: {answered} late request(s) answered 410 while closing"
        );
    }
}

fn respond(request: tiny_http::Request, status: u16, body: &str) {
    let mut response = tiny_http::Response::from_string(body).with_status_code(status);
    for (k, v) in html::SECURITY_HEADERS {
        if let Ok(h) = tiny_http::Header::from_bytes(k.as_bytes(), v.as_bytes()) {
            response.add_header(h);
        }
    }
    // A client that went away is not our problem.
    let _ = request.respond(response);
}

/// Like [`respond`], and says `Connection: close` (which tiny_http's
/// responses cannot carry, so the answer is written whole here): the
/// client does not send another request on this connection.
fn respond_closing(request: tiny_http::Request, status: u16, reason: &str, body: &str) {
    use std::io::Write;
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in html::SECURITY_HEADERS {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let mut writer = request.into_writer();
    // A client that went away is not our problem.
    let _ = writer
        .write_all(head.as_bytes())
        .and_then(|()| writer.write_all(body.as_bytes()))
        .and_then(|()| writer.flush());
}

enum BindError {
    NoAddress(std::io::Error),
    Other(Error),
}

impl BindError {
    fn into_error(self) -> Error {
        match self {
            BindError::NoAddress(e) => Error::io("no loopback address to listen on", e),
            BindError::Other(e) => e,
        }
    }
}

fn bind_ip(ip: IpAddr, port: PortChoice) -> std::result::Result<TcpListener, BindError> {
    let classify = |e: std::io::Error, what: String| {
        if e.kind() == IoKind::AddrNotAvailable {
            BindError::NoAddress(e)
        } else {
            BindError::Other(Error::io(what, e))
        }
    };
    match port {
        PortChoice::Ephemeral => TcpListener::bind(SocketAddr::new(ip, 0))
            .map_err(|e| classify(e, format!("listening on {ip} for the sign-in callback"))),
        PortChoice::Fixed(p) => TcpListener::bind(SocketAddr::new(ip, p)).map_err(|e| {
            if e.kind() == IoKind::AddrInUse {
                BindError::Other(Error::io(
                    format!("the fixed callback port {p} on {ip} is in use by another program"),
                    e,
                ))
            } else {
                classify(e, format!("listening on {ip}:{p} for the sign-in callback"))
            }
        }),
        PortChoice::Range(lo, hi) => {
            if lo > hi || lo == 0 {
                return Err(BindError::Other(Error::InvalidArgument(format!(
                    "callback port range {lo}-{hi} is empty or starts at 0"
                ))));
            }
            let mut last = None;
            for p in lo..=hi {
                match TcpListener::bind(SocketAddr::new(ip, p)) {
                    Ok(l) => return Ok(l),
                    Err(e) if e.kind() == IoKind::AddrNotAvailable => {
                        return Err(BindError::NoAddress(e))
                    }
                    Err(e) => last = Some(e),
                }
            }
            Err(BindError::Other(Error::io(
                format!("every callback port from {lo} to {hi} on {ip} is in use"),
                last.unwrap_or_else(|| std::io::Error::from(IoKind::AddrInUse)),
            )))
        }
    }
}
