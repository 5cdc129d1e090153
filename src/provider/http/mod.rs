//! The HTTP layer every provider uses: one shared [`ureq`] agent per
//! provider, with timeouts, a response-size cap, no redirects and an
//! https-only rule (loopback excepted).
//!
//! TLS runs on rustls with the aws-lc-rs crypto provider (the same library
//! that verifies ID-token signatures). It trusts the operating system's
//! store by default, plus any CA bundle given in [`HttpConfig::tls`]
//! (see [`super::tls`]). Certificate verification cannot be turned off.

pub(crate) mod proxy;
pub(crate) mod redact;
pub(crate) mod tls;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use url::{Host, Url};

use crate::error::{Error, Result};
use crate::secret::Secret;
pub use proxy::HttpProxy;
use redact::{sanitize, Redactor};
pub use tls::{TlsTrust, TrustStore};

/// How long an idle pooled connection may be reused (see the agent's config).
const IDLE_CONNECTION_REUSE_LIMIT: Duration = Duration::from_secs(4);

/// Connect timeout used when none is configured: 10 seconds, enough for a
/// slow DNS lookup and a TLS handshake across the world.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Read timeout used when none is configured: 30 seconds for the response
/// headers and again for the body (the seed's 30 s token-call timeout).
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest response body read when none is configured: 1 MiB. Token,
/// userinfo, discovery and JWKS documents are a few kilobytes; anything
/// bigger is refused rather than buffered.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 1024 * 1024;

/// Timeouts, limits and TLS trust of a provider's HTTP client.
///
/// ```
/// use std::time::Duration;
/// use oauthkit::unversioned::provider::http::HttpConfig;
/// let c = HttpConfig::default();
/// assert_eq!(c.connect_timeout, Duration::from_secs(10));
/// assert_eq!(c.read_timeout, Duration::from_secs(30));
/// assert_eq!(c.max_response_bytes, 1024 * 1024);
/// let fast = HttpConfig { read_timeout: Duration::from_secs(2), ..c };
/// assert_eq!(fast.read_timeout.as_secs(), 2);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// Time allowed to connect, including DNS and the TLS handshake.
    pub connect_timeout: Duration,
    /// Time allowed to send the request, then to receive the response
    /// headers, then to receive the body (each separately).
    pub read_timeout: Duration,
    /// Largest accepted response body, in bytes.
    pub max_response_bytes: u64,
    /// Which certificate authorities HTTPS endpoints may chain to (default:
    /// the operating system's store).
    pub tls: TlsTrust,
    /// Which proxy requests go through (default: the environment's,
    /// `HTTPS_PROXY` / `NO_PROXY`; see [`HttpProxy`]).
    pub proxy: HttpProxy,
}

impl HttpConfig {
    /// Trusts the CA certificates in a PEM file as well (read now). See
    /// [`TlsTrust::ca_file`].
    ///
    /// ```no_run
    /// use oauthkit::unversioned::provider::http::{HttpConfig, TrustStore};
    /// // an internal provider whose CA is not in the OS store
    /// let http = HttpConfig::default().ca_file("/etc/myorg/ca.pem")?;
    /// // or trust that CA only
    /// let only = HttpConfig::default().ca_file("/etc/myorg/ca.pem")?.trust_store(TrustStore::None);
    /// # Ok::<(), oauthkit::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`TlsTrust::ca_file`]: [`Error::Io`] when the file cannot be
    /// read, [`Error::InvalidArgument`] when it holds no usable CA certificate.
    pub fn ca_file(mut self, path: impl AsRef<std::path::Path>) -> Result<Self> {
        self.tls = self.tls.ca_file(path)?;
        Ok(self)
    }

    /// Trusts the CA certificates of a PEM bundle as well. See
    /// [`TlsTrust::ca_pem`].
    ///
    /// # Errors
    ///
    /// As [`TlsTrust::ca_pem`]: [`Error::InvalidArgument`] when `pem`
    /// holds no usable CA certificate.
    pub fn ca_pem(mut self, pem: impl AsRef<[u8]>) -> Result<Self> {
        self.tls = self.tls.ca_pem(pem)?;
        Ok(self)
    }

    /// Replaces the built-in roots ([`TrustStore::Os`] by default),
    /// keeping added CAs.
    pub fn trust_store(mut self, store: TrustStore) -> Self {
        self.tls = self.tls.trust_store(store);
        self
    }

    /// Sends requests through `proxy` instead of the environment's proxy
    /// (see [`HttpProxy`]).
    pub fn proxy(mut self, proxy: HttpProxy) -> Self {
        self.proxy = proxy;
        self
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            read_timeout: DEFAULT_READ_TIMEOUT,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            tls: TlsTrust::default(),
            proxy: HttpProxy::default(),
        }
    }
}

/// Whether `host` is a loopback host: `localhost`, `127.0.0.0/8` or `::1`.
///
/// ```
/// use oauthkit::unversioned::provider::http::is_loopback_url;
/// assert!(is_loopback_url("http://127.0.0.1:8080/token"));
/// assert!(is_loopback_url("http://127.8.9.10/"));
/// assert!(is_loopback_url("http://[::1]:9/"));
/// assert!(is_loopback_url("http://localhost/x"));
/// assert!(!is_loopback_url("http://127.0.0.1.example.com/"));
/// assert!(!is_loopback_url("http://10.0.0.1/"));
/// ```
pub fn is_loopback_url(url: &str) -> bool {
    Url::parse(url).map(|u| is_loopback(&u)).unwrap_or(false)
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Checks that `url` may be called: `https`, or `http` to a loopback host.
/// `what` names the endpoint in the error.
///
/// ```
/// use oauthkit::unversioned::provider::http::check_endpoint_url;
/// assert!(check_endpoint_url("token", "https://idp.example/token").is_ok());
/// assert!(check_endpoint_url("token", "http://127.0.0.1:4000/token").is_ok());
/// let e = check_endpoint_url("token", "http://idp.example/token").unwrap_err();
/// assert!(e.to_string().contains("https"));
/// ```
///
/// # Errors
///
/// [`Error::InvalidArgument`] when `url` is not a URL, uses a scheme other
/// than `https` (`http` only to a loopback host), has no host or carries
/// credentials.
pub fn check_endpoint_url(what: &str, url: &str) -> Result<Url> {
    let parsed = Url::parse(url).map_err(|e| {
        Error::InvalidArgument(format!(
            "{what} endpoint URL '{url}' is not a valid URL: {e}"
        ))
    })?;
    match parsed.scheme() {
        "https" => {}
        "http" if is_loopback(&parsed) => {}
        "http" => {
            return Err(Error::InvalidArgument(format!(
                "{what} endpoint '{}' uses plain http; only https is allowed (http only for loopback hosts)",
                without_query(&parsed)
            )))
        }
        other => {
            return Err(Error::InvalidArgument(format!(
                "{what} endpoint URL has unsupported scheme '{other}'; use https"
            )))
        }
    }
    if parsed.host().is_none() {
        return Err(Error::InvalidArgument(format!(
            "{what} endpoint URL '{url}' has no host"
        )));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(Error::InvalidArgument(format!(
            "{what} endpoint URL must not carry credentials"
        )));
    }
    Ok(parsed)
}

fn without_query(url: &Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    u.set_fragment(None);
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.to_string()
}

/// A redirect target as reported in errors: resolved against the request
/// URL, without query, fragment or credentials, printable and short.
fn shown_location(base: &Url, location: &str) -> String {
    let shown = match base.join(location.trim()) {
        Ok(u) => without_query(&u),
        Err(_) => location
            .split(['?', '#'])
            .next()
            .unwrap_or_default()
            .to_owned(),
    };
    sanitize(&shown, 200)
}

/// An HTTP response that was read completely (within the size cap).
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// The `Content-Type` header, when present.
    pub content_type: Option<String>,
    /// The `WWW-Authenticate` header, when present (userinfo errors).
    pub www_authenticate: Option<String>,
    /// The `DPoP-Nonce` header, when present (RFC 9449 §8).
    pub dpop_nonce: Option<String>,
    /// The body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body parsed as a JSON value, or a typed error naming `endpoint`
    /// that describes the body without quoting it.
    ///
    /// # Errors
    ///
    /// [`Error::Http`] naming `endpoint` when the body is not JSON; the
    /// message gives the status, content type and length, never the body.
    pub fn json(&self, endpoint: &str) -> Result<serde_json::Value> {
        // A syntax error's text names a line and column, never the body.
        serde_json::from_slice(&self.body).map_err(|e| Error::Http {
            endpoint: endpoint.to_owned(),
            message: format!(
                "HTTP {}: response is not JSON (content type {}, {} bytes)",
                self.status,
                self.content_type.as_deref().unwrap_or("none"),
                self.body.len()
            ),
            source: Some(Box::new(e)),
        })
    }
}

/// A request body.
#[derive(Debug, Clone, Copy)]
pub enum Body<'a> {
    /// No body.
    Empty,
    /// `application/x-www-form-urlencoded` pairs.
    Form(&'a [(&'a str, &'a str)]),
    /// A JSON document.
    Json(&'a serde_json::Value),
}

/// Credentials sent in the `Authorization` header.
#[derive(Clone, Copy)]
pub enum Auth<'a> {
    /// No `Authorization` header.
    None,
    /// `Basic base64(user:password)`, the values used as given.
    Basic(&'a str, &'a str),
    /// `Bearer <token>` (RFC 6750 §2.1: never in the query string).
    Bearer(&'a str),
    /// `DPoP <token>` (RFC 9449 §7.1), sent with a `DPoP` proof header.
    Dpop(&'a str),
}

impl std::fmt::Debug for Auth<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::None => f.write_str("None"),
            Auth::Basic(user, _) => write!(f, "Basic({user}, [redacted])"),
            Auth::Bearer(_) => f.write_str("Bearer([redacted])"),
            Auth::Dpop(_) => f.write_str("Dpop([redacted])"),
        }
    }
}

/// The HTTP method of a [`HttpClient::request`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET
    Get,
    /// POST
    Post,
    /// DELETE
    Delete,
}

/// A provider's HTTP client: one [`ureq::Agent`] (so connections are
/// reused), cheap to clone.
///
/// It never follows redirects: a 3xx answer is an error, so a token,
/// revocation, userinfo or JWKS request (and the credentials in it) cannot
/// be bounced to another host.
///
/// ```
/// use oauthkit::unversioned::provider::http::{Auth, Body, HttpClient, HttpConfig, Method};
/// let client = HttpClient::new(HttpConfig::default());
/// // plain http to a non-loopback host is refused before any I/O
/// let err = client
///     .request("token", Method::Post, "http://idp.example/token", Body::Empty, Auth::None, &[])
///     .unwrap_err();
/// assert_eq!(err.kind(), oauthkit::ErrorKind::InvalidArgument);
/// ```
#[derive(Clone)]
pub struct HttpClient {
    agent: ureq::Agent,
    config: Arc<HttpConfig>,
    /// Secrets of the provider itself (the client secret), scrubbed from
    /// every error of every request.
    secrets: Arc<Vec<Secret>>,
    /// Why no HTTPS request can succeed (no trusted roots), said before I/O.
    tls_problem: Option<Arc<str>>,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("config", &self.config)
            .finish()
    }
}

impl HttpClient {
    /// A client with the given limits.
    pub fn new(config: HttpConfig) -> Self {
        let crypto = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let (roots, tls_problem) = match config.tls.root_certs() {
            Ok(roots) => (roots, None),
            Err(problem) => (
                ureq::tls::RootCerts::Specific(Arc::default()),
                Some(problem),
            ),
        };
        let tls = ureq::tls::TlsConfig::builder()
            .provider(ureq::tls::TlsProvider::Rustls)
            .unversioned_rustls_crypto_provider(crypto)
            .root_certs(roots)
            .disable_verification(false)
            .build();
        let agent = ureq::Agent::config_builder()
            .tls_config(tls)
            .proxy(config.proxy.to_ureq())
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            // Servers close idle keep-alive connections after a few seconds
            // (Node.js and Apache: 5 s). A POST sent on a connection the
            // server has just closed fails with a reset and must not be
            // retried (it may have been processed), so a connection idle
            // for 4 s is never reused: device-grant polls every 5+ s hit
            // exactly this against panva's oidc-provider.
            .max_idle_age(IDLE_CONNECTION_REUSE_LIMIT)
            .timeout_connect(Some(config.connect_timeout))
            .timeout_send_request(Some(config.read_timeout))
            .timeout_send_body(Some(config.read_timeout))
            .timeout_recv_response(Some(config.read_timeout))
            .timeout_recv_body(Some(config.read_timeout))
            .user_agent(concat!("oauthkit/", env!("CARGO_PKG_VERSION")))
            .accept("application/json")
            .accept_encoding("identity")
            .build()
            .new_agent();
        HttpClient {
            agent,
            // the proxy's password and Proxy-Authorization value
            secrets: Arc::new(config.proxy.secrets()),
            config: Arc::new(config),
            tls_problem: tls_problem.map(Arc::from),
        }
    }

    /// The same client, also scrubbing `secret` (the client secret) from
    /// every error.
    pub(crate) fn with_secret(mut self, secret: Option<&Secret>) -> Self {
        if let Some(s) = secret.filter(|s| !s.is_empty()) {
            let mut all = (*self.secrets).clone();
            all.push(s.clone());
            self.secrets = Arc::new(all);
        }
        self
    }

    /// A redactor that knows the provider's own secrets.
    pub(crate) fn redactor(&self) -> Redactor {
        let mut r = Redactor::new();
        for s in self.secrets.iter() {
            r.add(s.expose());
        }
        r
    }

    /// Runs `f` and scrubs its error of the provider's secrets and of
    /// `secrets` (the arguments of one provider operation). Every
    /// [`Provider`](crate::provider::Provider) operation runs inside one.
    pub(crate) fn guard<T>(&self, secrets: &[&str], f: impl FnOnce() -> Result<T>) -> Result<T> {
        f().map_err(|e| {
            let mut r = self.redactor();
            secrets.iter().for_each(|s| r.add(s));
            r.error(e)
        })
    }

    /// Sends one request and hands the response to `handle`; any error of
    /// either is scrubbed of the provider's secrets, of every secret the
    /// request carried (non-public form values, credentials, header values
    /// other than `Accept`/`Content-Type`, JSON body strings) and of what `handle` adds to the redactor (the tokens of
    /// the response). The one path every provider request takes.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn call<T>(
        &self,
        endpoint: &str,
        method: Method,
        url: &str,
        body: Body<'_>,
        auth: Auth<'_>,
        headers: &[(&str, &str)],
        handle: impl FnOnce(HttpResponse, &mut Redactor) -> Result<T>,
    ) -> Result<T> {
        let mut red = self.redactor();
        match body {
            Body::Form(pairs) => red.add_form(pairs),
            Body::Json(v) => red.add_json(v),
            Body::Empty => {}
        }
        // every header value but content negotiation: the DPoP proof and
        // any header a later request adds
        red.add_headers(headers);
        match auth {
            Auth::Basic(user, password) => {
                red.add(password);
                red.add(&basic_credentials(user, password));
            }
            Auth::Bearer(token) | Auth::Dpop(token) => red.add(token),
            Auth::None => {}
        }
        let result = self
            .send(endpoint, method, url, body, auth, headers)
            .and_then(|r| handle(r, &mut red));
        result.map_err(|e| red.error(e))
    }

    /// The limits in force.
    pub fn config(&self) -> &HttpConfig {
        &self.config
    }

    /// Sends one request and reads the whole response (up to the size cap).
    ///
    /// `endpoint` names the call in errors (`"token"`, `"jwks"`, ...).
    /// Non-2xx statuses are returned, not turned into errors; 3xx answers
    /// are errors (redirects are never followed). `headers` are extra
    /// request headers. Errors never contain the secrets the request
    /// carried (see the `redact` module).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when `url` fails [`check_endpoint_url`];
    /// [`Error::Http`] when the request cannot be sent or answered: connection
    /// refused, DNS or TLS failure, timeout, a 3xx answer, a body larger than
    /// the configured cap. A non-2xx status is not an error here.
    pub fn request(
        &self,
        endpoint: &str,
        method: Method,
        url: &str,
        body: Body<'_>,
        auth: Auth<'_>,
        headers: &[(&str, &str)],
    ) -> Result<HttpResponse> {
        self.call(endpoint, method, url, body, auth, headers, |r, _| Ok(r))
    }

    fn send(
        &self,
        endpoint: &str,
        method: Method,
        url: &str,
        body: Body<'_>,
        auth: Auth<'_>,
        headers: &[(&str, &str)],
    ) -> Result<HttpResponse> {
        let parsed = check_endpoint_url(endpoint, url)?;
        let shown = without_query(&parsed);
        let http_err = |message: String| Error::http(endpoint, message);
        // The HTTP client's error is the source; the message adds the URL
        // (without its query) and the limit that fired, not its text.
        let map_err = |e: ureq::Error| Error::Http {
            endpoint: endpoint.to_owned(),
            message: describe(&e, &shown, &self.config),
            source: Some(Box::new(e)),
        };
        if let (Some(problem), "https") = (&self.tls_problem, parsed.scheme()) {
            return Err(http_err(format!("{shown}: {problem}")));
        }

        let auth_header = match auth {
            Auth::None => None,
            Auth::Basic(user, password) => {
                Some(format!("Basic {}", basic_credentials(user, password)))
            }
            Auth::Bearer(token) => Some(format!("Bearer {token}")),
            Auth::Dpop(token) => Some(format!("DPoP {token}")),
        };

        macro_rules! decorate {
            ($builder:expr) => {{
                let mut b = $builder;
                if let Some(a) = &auth_header {
                    b = b.header("Authorization", a.as_str());
                }
                for (k, v) in headers {
                    b = b.header(*k, *v);
                }
                b
            }};
        }

        let result = match (method, body) {
            (Method::Get, Body::Empty) => decorate!(self.agent.get(parsed.as_str())).call(),
            (Method::Delete, Body::Empty) => decorate!(self.agent.delete(parsed.as_str())).call(),
            (Method::Post, Body::Empty) => decorate!(self.agent.post(parsed.as_str())).send_empty(),
            (Method::Post, Body::Form(pairs)) => {
                decorate!(self.agent.post(parsed.as_str())).send_form(pairs.iter().copied())
            }
            (Method::Post, Body::Json(v)) => decorate!(self.agent.post(parsed.as_str()))
                .header("Content-Type", "application/json")
                .send(v.to_string().as_bytes()),
            (Method::Delete, Body::Json(v)) => decorate!(self.agent.delete(parsed.as_str()))
                .force_send_body()
                .header("Content-Type", "application/json")
                .send(v.to_string().as_bytes()),
            (m, _) => {
                return Err(Error::InvalidArgument(format!(
                    "{m:?} requests with this kind of body are not supported"
                )))
            }
        };
        let mut response = result.map_err(map_err)?;
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        if (300..400).contains(&status) {
            let location = header("location").unwrap_or_default();
            let location = shown_location(&parsed, &location);
            return Err(http_err(format!(
                "{shown} answered HTTP {status} redirecting to '{location}'; redirects are not followed"
            )));
        }
        let content_type = header("content-type").map(|c| sanitize(&c, 100));
        let www_authenticate = header("www-authenticate");
        let dpop_nonce = header("dpop-nonce");
        let max = self.config.max_response_bytes;
        if let Some(len) = response.body().content_length() {
            if len > max {
                return Err(http_err(format!(
                    "{shown} sent a {len}-byte response; the limit is {max} bytes"
                )));
            }
        }
        let body = response
            .body_mut()
            .with_config()
            .limit(max)
            .read_to_vec()
            .map_err(map_err)?;
        Ok(HttpResponse {
            status,
            content_type,
            www_authenticate,
            dpop_nonce,
            body,
        })
    }
}

fn basic_credentials(user: &str, password: &str) -> String {
    STANDARD.encode(format!("{user}:{password}"))
}

fn describe(e: &ureq::Error, url: &str, config: &HttpConfig) -> String {
    match e {
        ureq::Error::Timeout(which) => {
            let limit = match which {
                ureq::Timeout::Connect | ureq::Timeout::Resolve => config.connect_timeout,
                _ => config.read_timeout,
            };
            format!(
                "{url} timed out ({which:?}, limit {} ms)",
                limit.as_millis()
            )
        }
        ureq::Error::BodyExceedsLimit(limit) => {
            format!("{url} sent a response larger than the limit of {limit} bytes")
        }
        ureq::Error::HostNotFound => format!("host of {url} not found"),
        ureq::Error::ConnectionFailed => format!("could not connect to {url}"),
        ureq::Error::Io(_) => format!("I/O error talking to {url}"),
        _ => format!("the request to {url} failed"),
    }
}

/// [`origin`](crate::log_text::origin) of a URL a provider sent, for a log
/// record, or `[redacted]` when it holds one of the provider's secrets (a
/// hostile provider may echo them anywhere).
pub(crate) fn provider_origin(http: &HttpClient, url: &str) -> String {
    let o = crate::log_text::origin(url);
    if http.redactor().finds_secret_in(&o) {
        "[redacted]".to_string()
    } else {
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_rules() {
        assert!(check_endpoint_url("t", "http://127.0.0.1/").is_ok());
        assert!(check_endpoint_url("t", "http://127.255.0.1:1/").is_ok());
        assert!(check_endpoint_url("t", "http://[::1]:1/").is_ok());
        assert!(check_endpoint_url("t", "http://LOCALHOST:1/").is_ok());
        assert!(check_endpoint_url("t", "http://0.0.0.0/").is_err());
        assert!(check_endpoint_url("t", "http://[::]/").is_err());
        assert!(check_endpoint_url("t", "http://localhost.evil.example/").is_err());
        assert!(check_endpoint_url("t", "ftp://127.0.0.1/").is_err());
        assert!(check_endpoint_url("t", "https://u:p@idp.example/").is_err());
        assert!(check_endpoint_url("t", "not a url").is_err());
    }

    /// Any header a request carries (a custom one with a secret, here) is
    /// learned by the redactor: a server echoing it shows nothing of it;
    /// the public `Accept` value stays readable.
    #[test]
    fn every_non_public_header_value_is_scrubbed_from_errors() {
        let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
        let url = format!("http://{}/echo", server.server_addr().to_ip().unwrap());
        let echo = std::thread::spawn(move || {
            let req = server.recv().unwrap();
            let all: Vec<String> = req
                .headers()
                .iter()
                .map(|h| format!("{}={}", h.field, h.value))
                .collect();
            let _ = req.respond(tiny_http::Response::from_string(all.join(" ")));
        });
        const SECRET: &str = "xk-Secret-Value-4821";
        let e = HttpClient::new(HttpConfig::default())
            .call(
                "echo",
                Method::Get,
                &url,
                Body::Empty,
                Auth::None,
                &[("X-Api-Key", SECRET), ("Accept", "application/x-test")],
                |r, _| -> Result<()> { Err(Error::http("echo", String::from_utf8_lossy(&r.body))) },
            )
            .unwrap_err();
        echo.join().unwrap();
        let shown = format!("{e} {e:?}");
        assert!(shown.to_lowercase().contains("x-api-key="), "{shown}");
        assert!(!shown.contains("Secret-Val"), "{shown}");
        assert!(shown.contains("application/x-test"), "{shown}");
    }

    #[test]
    fn auth_debug_is_redacted() {
        assert!(!format!("{:?}", Auth::Bearer("tok")).contains("tok"));
        assert!(!format!("{:?}", Auth::Basic("id", "sec")).contains("sec"));
    }
}
