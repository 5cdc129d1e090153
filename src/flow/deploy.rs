//! Deploy mode: the application serves the sign-in itself.
//!
//! [`DeployHandler`] answers four routes, as a plain function from a
//! [`DeployRequest`] to a [`DeployResponse`] that any server can mount;
//! [`DeployServer`] serves it with tiny_http.
//!
//! | route | what it does |
//! |---|---|
//! | `GET /auth/login` | seals state, PKCE verifier, nonce and start time into a short-lived login cookie ([`PendingSignIns`]; nothing kept server-side, so no flood of logins can evict another browser's), redirects to the provider |
//! | `GET /auth/callback` | opens this browser's login cookie (its state only, unexpired, single use), checks `iss`/`error`, exchanges the code, stores the tokens, sets the session cookie (`HttpOnly; SameSite=Lax`, `Secure` on https) |
//! | `POST /auth/logout` | only with proof of same origin (`Origin`, else `Sec-Fetch-Site: same-origin`, else the session's CSRF token in `X-CSRF-Token`); revokes (refresh token first), deletes the tokens and the session, clears the cookie, reports the revocation ([`LogoutReport`]); then, when the deployment set [`DeployOptions::post_logout_redirect_uri`] and the provider has an `end_session_endpoint`, answers `303 See Other` to it (RP-initiated logout: `id_token_hint`, `client_id`, `post_logout_redirect_uri`, `state`) so the provider's session ends too |
//! | `GET /auth/status` | `{"authenticated": ...}` with the key, expiry, user info and the session's CSRF token |

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::digest::sha256;
use serde_json::{json, Value};

use super::callback::{CallbackVerdict, ExpectedCallback};
use super::html;
use super::logout::{sign_out, LogoutReport, RevocationOutcome};
use super::native::identity_of;
use super::pending::{PendingRejection, PendingSignIns, DEFAULT_PENDING_TTL};
use super::sealed_cookie::CookieKey;
use crate::error::{Error, Result};
use crate::provider::{random, AuthorizeRequest, CodeExchange, Pkce, Provider, UserinfoRequest};
use crate::secret::{constant_time_eq, Secret};
use crate::store::TokenStore;

/// The longest lifetime a cookie (session or login) is given: the cap
/// browsers apply to `Max-Age` (RFC 6265bis §5.6.2, 400 days). Longer
/// settings are capped, so no expiry arithmetic can overflow.
pub const MAX_COOKIE_AGE: Duration = Duration::from_secs(400 * 86_400);

/// A request, as much of it as the routes need.
#[derive(Debug, Clone, Default)]
pub struct DeployRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path, without query (`/auth/login`).
    pub path: String,
    /// The raw query string, without `?`.
    pub query: String,
    /// The `Cookie` header.
    pub cookie: Option<String>,
    /// The `Origin` header (checked on `POST /auth/logout`).
    pub origin: Option<String>,
    /// The `Sec-Fetch-Site` header (checked on `POST /auth/logout`).
    pub sec_fetch_site: Option<String>,
    /// The `X-CSRF-Token` header (the session's token from
    /// `/auth/status`; proves a logout without `Origin` same-origin).
    pub csrf_token: Option<String>,
}

impl DeployRequest {
    /// A request for `method` and `target` (`/auth/callback?code=...`).
    pub fn new(method: &str, target: &str) -> Self {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        DeployRequest {
            method: method.to_string(),
            path: path.to_string(),
            query: query.to_string(),
            ..Default::default()
        }
    }

    /// Sets the `Cookie` header.
    pub fn with_cookie(mut self, cookie: impl Into<String>) -> Self {
        self.cookie = Some(cookie.into());
        self
    }

    /// Sets the `Origin` header.
    pub fn with_origin(mut self, origin: impl Into<String>) -> Self {
        self.origin = Some(origin.into());
        self
    }

    /// Sets the `Sec-Fetch-Site` header.
    pub fn with_sec_fetch_site(mut self, site: impl Into<String>) -> Self {
        self.sec_fetch_site = Some(site.into());
        self
    }

    /// Sets the `X-CSRF-Token` header.
    pub fn with_csrf_token(mut self, token: impl Into<String>) -> Self {
        self.csrf_token = Some(token.into());
        self
    }

    fn cookie_value<'a>(&'a self, name: &'a str) -> Option<&'a str> {
        self.cookie_values(name).next()
    }

    /// Every value of cookie `name`, in order (a browser sends several
    /// when another site or path set one too).
    fn cookie_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.cookie.as_deref().into_iter().flat_map(move |header| {
            header.split(';').filter_map(move |c| {
                let (k, v) = c.trim().split_once('=')?;
                (k == name).then_some(v)
            })
        })
    }
}

/// A response: status, headers, body.
#[derive(Debug, Clone)]
pub struct DeployResponse {
    /// The HTTP status.
    pub status: u16,
    /// Headers, in order (`Set-Cookie` may repeat).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: String,
}

impl DeployResponse {
    fn json(status: u16, body: Value) -> Self {
        DeployResponse {
            status,
            headers: vec![
                ("Content-Type".into(), "application/json".into()),
                ("Cache-Control".into(), "no-store".into()),
            ],
            body: body.to_string(),
        }
    }

    fn error(status: u16, error: &str, description: &str) -> Self {
        Self::json(
            status,
            json!({"error": error, "error_description": description}),
        )
    }

    fn redirect(location: &str) -> Self {
        DeployResponse {
            status: 302,
            headers: vec![
                ("Location".into(), location.into()),
                ("Cache-Control".into(), "no-store".into()),
            ],
            body: String::new(),
        }
    }

    fn cookie(mut self, value: String) -> Self {
        self.headers.push(("Set-Cookie".into(), value));
        self
    }

    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Settings of deploy mode.
#[derive(Debug, Clone)]
pub struct DeployOptions {
    base_url: String,
    session_cookie: String,
    session_ttl: Duration,
    after_login: String,
    use_pkce: bool,
    pending_ttl: Duration,
    cookie_key: Option<CookieKey>,
    post_logout_redirect_uri: Option<String>,
}

impl DeployOptions {
    /// Options for an application served at `base_url`
    /// (`https://app.example`); the redirect URI is
    /// `{base_url}/auth/callback`.
    pub fn new(base_url: impl Into<String>) -> Self {
        DeployOptions {
            base_url: base_url.into().trim_end_matches('/').to_string(),
            session_cookie: "oauthkit_session".into(),
            session_ttl: Duration::from_secs(86_400),
            after_login: "/".into(),
            use_pkce: true,
            pending_ttl: DEFAULT_PENDING_TTL,
            cookie_key: None,
            post_logout_redirect_uri: None,
        }
    }

    /// Ends the provider's session too on `POST /auth/logout`: after
    /// revoking and deleting, the answer is a `303 See Other` to the
    /// provider's `end_session_endpoint` (RP-initiated logout), which sends
    /// the browser back to `uri` (an absolute URL, or a path on
    /// `base_url`; register it with the provider as a post-logout
    /// redirect URI). Providers without the endpoint get the JSON answer
    /// as before, saying so.
    ///
    /// ```
    /// use oauthkit::flow::DeployOptions;
    /// let o = DeployOptions::new("https://app.example").post_logout_redirect_uri("/signed-out");
    /// # let _ = o;
    /// ```
    pub fn post_logout_redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.post_logout_redirect_uri = Some(uri.into());
        self
    }

    /// The session cookie's name (default `oauthkit_session`).
    pub fn session_cookie(mut self, name: impl Into<String>) -> Self {
        self.session_cookie = name.into();
        self
    }

    /// How long a session lasts (default one day; at most
    /// [`MAX_COOKIE_AGE`], longer is capped).
    pub fn session_ttl(mut self, ttl: Duration) -> Self {
        self.session_ttl = ttl.min(MAX_COOKIE_AGE);
        self
    }

    /// Where the browser goes after signing in (default `/`).
    pub fn after_login(mut self, path: impl Into<String>) -> Self {
        self.after_login = path.into();
        self
    }

    /// How long a sign-in may stay pending (default 10 minutes; at most
    /// [`MAX_COOKIE_AGE`], longer is capped).
    pub fn pending_ttl(mut self, ttl: Duration) -> Self {
        self.pending_ttl = ttl.min(MAX_COOKIE_AGE);
        self
    }

    /// How long a sign-in may stay pending. The count no longer matters:
    /// pending sign-ins live in the browsers' cookies, not on the server.
    #[deprecated(note = "pending sign-ins are not counted any more; use pending_ttl")]
    pub fn pending_limits(self, ttl: Duration, _max: usize) -> Self {
        self.pending_ttl(ttl)
    }

    /// The key login cookies are sealed with. By default each
    /// [`DeployHandler`] makes a fresh one; set the same key on every
    /// instance behind a load balancer so any of them can finish a
    /// sign-in another started.
    pub fn cookie_key(mut self, key: CookieKey) -> Self {
        self.cookie_key = Some(key);
        self
    }

    /// Turns PKCE off (leave it on).
    pub fn with_pkce(mut self, on: bool) -> Self {
        self.use_pkce = on;
        self
    }

    /// Whether cookies get `Secure`: the base URL's scheme is https, in
    /// any letter case.
    fn secure(&self) -> bool {
        self.base_url
            .get(..8)
            .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
    }
}

#[derive(Debug, Clone)]
struct Session {
    key: String,
    user_info: Option<Value>,
    expires: Instant,
    /// Proves a logout without `Origin` same-origin (read from
    /// `/auth/status`, which other sites cannot read).
    csrf_token: Secret,
}

/// The login cookie binding a pending sign-in to the browser.
const LOGIN_COOKIE: &str = "oauthkit_login";

/// The `/auth/*` routes. Share it between server threads in an `Arc`.
pub struct DeployHandler {
    provider: Arc<dyn Provider>,
    store: Arc<dyn TokenStore>,
    options: DeployOptions,
    pending: PendingSignIns,
    sessions: Mutex<HashMap<[u8; 32], Session>>,
}

impl std::fmt::Debug for DeployHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeployHandler")
            .field("provider", &self.provider.name())
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

fn session_hash(id: &str) -> [u8; 32] {
    sha256(id.as_bytes())
}

impl DeployHandler {
    /// Routes signing in with `provider` and storing tokens in `store`.
    pub fn new(
        provider: Arc<dyn Provider>,
        store: Arc<dyn TokenStore>,
        options: DeployOptions,
    ) -> Self {
        let key = options
            .cookie_key
            .clone()
            .unwrap_or_else(CookieKey::generate);
        let pending = PendingSignIns::new(key, &options.base_url, options.pending_ttl);
        DeployHandler {
            provider,
            store,
            options,
            pending,
            sessions: Mutex::new(HashMap::new()),
        }
    }

    /// The redirect URI to register: `{base_url}/auth/callback`.
    pub fn redirect_uri(&self) -> String {
        format!("{}/auth/callback", self.options.base_url)
    }

    /// The login URL (`{base_url}/auth/login`).
    pub fn login_url(&self) -> String {
        format!("{}/auth/login", self.options.base_url)
    }

    /// The token-store key of the session a `Cookie` header carries;
    /// `None` when it carries no session cookie, or one of a session this
    /// handler does not know (never issued, signed out, or expired).
    pub fn session_key(&self, request: &DeployRequest) -> Option<String> {
        self.session(request).map(|s| s.key)
    }

    /// Answers one request.
    pub fn handle(&self, request: &DeployRequest) -> DeployResponse {
        match (request.method.as_str(), request.path.as_str()) {
            ("GET", "/auth/login") => self.login(),
            ("GET", "/auth/callback") => self.callback(request),
            ("POST", "/auth/logout") => self.logout(request),
            ("GET", "/auth/status") => self.status(request),
            (_, "/auth/login" | "/auth/callback" | "/auth/logout" | "/auth/status") => {
                DeployResponse::error(405, "method_not_allowed", "wrong method for this route")
            }
            _ => DeployResponse::error(404, "not_found", "no such route"),
        }
    }

    fn cookie_attrs(&self, path: &str, max_age: Duration) -> String {
        let max_age = max_age.min(MAX_COOKIE_AGE).as_secs();
        let secure = if self.options.secure() {
            "; Secure"
        } else {
            ""
        };
        format!("Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}")
    }

    fn login(&self) -> DeployResponse {
        let state = random::state();
        let nonce = random::nonce();
        let pkce = self.options.use_pkce.then(Pkce::generate);
        let redirect_uri = self.redirect_uri();
        // DPoP (RFC 9449 §10): a key per sign-in, its thumbprint bound to
        // the code with `dpop_jkt`, the key itself sealed in the login
        // cookie for the exchange. The tokens will carry the key, so a
        // store that cannot protect it is refused now, before the user is
        // sent to the provider.
        let dpop_key = match self.provider.dpop() {
            None => None,
            Some(_) if !self.store.protects_secrets() => {
                let why = format!(
                    "this provider binds tokens to a DPoP key, but the {} store keeps token \
                     sets as plain text and cannot hold the key; give deploy mode an \
                     EncryptedStore (`encrypt=keyring` or `encrypt=env:NAME` in the store spec)",
                    self.store.backend()
                );
                log::warn!("deploy sign-in at {} refused: {why}", self.provider.name());
                return DeployResponse::error(500, "server_error", &why);
            }
            Some(config) => match config.generate_key() {
                Ok(k) => Some(k),
                Err(e) => return DeployResponse::error(500, "server_error", &e.to_string()),
            },
        };
        let jkt = dpop_key.as_ref().map(|k| [("dpop_jkt", k.thumbprint())]);
        let request = AuthorizeRequest {
            redirect_uri: &redirect_uri,
            state: &state,
            pkce: pkce.as_ref(),
            nonce: Some(&nonce),
            extra_params: jkt.as_ref().map_or(&[][..], |p| &p[..]),
        };
        // an expired pushed request is pushed again (RFC 9126 expires_in)
        let url = match super::pushed_url::url_for_browser(self.provider.as_ref(), &request) {
            Ok(u) => u.into_url(),
            Err(e) => return DeployResponse::error(500, "server_error", &e.to_string()),
        };
        let verifier = pkce.as_ref().map(Pkce::verifier);
        let sealed = match &dpop_key {
            Some(k) => self
                .pending
                .begin_with_dpop_key(&state, verifier, &nonce, k),
            None => self.pending.begin(&state, verifier, &nonce),
        };
        let attrs = self.cookie_attrs("/auth", self.options.pending_ttl);
        DeployResponse::redirect(&url).cookie(format!("{LOGIN_COOKIE}={sealed}; {attrs}"))
    }

    fn callback(&self, request: &DeployRequest) -> DeployResponse {
        let state = url::form_urlencoded::parse(request.query.as_bytes())
            .find(|(k, _)| k == "state")
            .map(|(_, v)| v.into_owned());
        let Some(state) = state else {
            return DeployResponse::error(400, "invalid_state", "the callback has no state");
        };
        // Every login cookie the browser sent is tried, so one tossed in
        // by a sibling site (or left by another tab) cannot shadow the
        // genuine one; only a cookie carrying this state can succeed.
        let mut refusal = PendingRejection::NoPendingSignIn;
        let mut taken = None;
        for value in request.cookie_values(LOGIN_COOKIE) {
            match self.pending.take(&state, Some(value)) {
                Ok(p) => {
                    taken = Some(p);
                    break;
                }
                Err(PendingRejection::NoPendingSignIn) => {}
                Err(why) => refusal = why,
            }
        }
        let Some(pending) = taken else {
            return DeployResponse::error(400, "invalid_state", refusal.describe());
        };
        // State matched a pending sign-in of this browser; the rest of the
        // checks (iss, error, code) are those of the native flow.
        let expected = ExpectedCallback::new(state).with_provider_iss_check(self.provider.clone());
        let code = match expected.check_query(&request.query) {
            CallbackVerdict::Code(c) => c,
            CallbackVerdict::Failed(Error::OAuth {
                error, description, ..
            }) => {
                return DeployResponse::error(
                    400,
                    &error,
                    description.as_deref().unwrap_or("Authentication failed"),
                )
            }
            CallbackVerdict::Failed(e) => {
                return DeployResponse::error(400, "invalid_callback", &e.to_string())
            }
            CallbackVerdict::Ignored(why) => {
                return DeployResponse::error(400, "invalid_callback", why)
            }
        };
        let verifier = pending.pkce_verifier.as_ref().map(Secret::expose);
        let mut exchange =
            CodeExchange::new(code.expose(), self.redirect_uri()).nonce(pending.nonce.expose());
        if let Some(v) = verifier {
            exchange = exchange.pkce_verifier(v);
        }
        if let Some(key) = &pending.dpop_key {
            exchange = exchange.dpop(key);
        }
        let tokens = self.provider.exchange_code(&exchange);
        let mut tokens = match tokens {
            Ok(t) => t,
            Err(e) => return DeployResponse::error(502, "token_exchange_failed", &e.to_string()),
        };
        let user_info = match self.provider.get_userinfo(&UserinfoRequest::of(&tokens)) {
            Ok(Value::Null) | Err(_) => None,
            Ok(v) => Some(v),
        };
        if tokens.identity_id.is_none() {
            tokens.identity_id = user_info.as_ref().and_then(identity_of);
        }
        // Never a shared fallback key: two users would see each other's
        // tokens and one's logout would revoke the other's.
        let Some(key) = tokens.identity_id.clone() else {
            return DeployResponse::error(
                502,
                "no_identity",
                "the provider named no user (no ID token sub and no userinfo)",
            );
        };
        if let Err(e) = self.store.save(&key, &tokens) {
            return DeployResponse::error(500, "storage_error", &e.to_string());
        }
        super::finish::advice_without_refresh_token(self.provider.as_ref(), &tokens);
        let session_id = random::token(32);
        {
            let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            sessions.retain(|_, s| s.expires > now);
            // Capped at MAX_COOKIE_AGE, so this cannot overflow; if it
            // ever did, the session would simply be expired.
            let expires = now.checked_add(self.options.session_ttl).unwrap_or(now);
            sessions.insert(
                session_hash(&session_id),
                Session {
                    key,
                    user_info,
                    expires,
                    csrf_token: Secret::new(random::token(32)),
                },
            );
        }
        let name = &self.options.session_cookie;
        DeployResponse::redirect(&self.options.after_login)
            .cookie(format!(
                "{name}={session_id}; {}",
                self.cookie_attrs("/", self.options.session_ttl)
            ))
            .cookie(format!(
                "{LOGIN_COOKIE}=; {}",
                self.cookie_attrs("/auth", Duration::ZERO)
            ))
    }

    fn session(&self, request: &DeployRequest) -> Option<Session> {
        let id = request.cookie_value(&self.options.session_cookie)?;
        let sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        sessions
            .get(&session_hash(id))
            .filter(|s| s.expires > Instant::now())
            .cloned()
    }

    /// CSRF on logout. `Ok(true)`: the headers prove the request
    /// same-origin; `Ok(false)`: they prove nothing, the session's CSRF
    /// token must; `Err`: they say cross-site.
    fn logout_origin(&self, request: &DeployRequest) -> std::result::Result<bool, &'static str> {
        // Fetch metadata, when the browser sends it, must say same-origin
        // (`same-site` is a sibling origin; `none` is not a page's POST).
        let site = request.sec_fetch_site.as_deref().map(str::trim);
        if site.is_some_and(|s| s != "same-origin") {
            return Err("the browser says this logout comes from another site");
        }
        if let Some(origin) = &request.origin {
            let own =
                url::Url::parse(&self.options.base_url).map(|u| u.origin().ascii_serialization());
            return match own {
                Ok(own) if own == origin.trim() => Ok(true),
                _ => Err("cross-origin logout refused"),
            };
        }
        Ok(site == Some("same-origin"))
    }

    fn logout(&self, request: &DeployRequest) -> DeployResponse {
        let proven = match self.logout_origin(request) {
            Ok(p) => p,
            Err(why) => return DeployResponse::error(403, "csrf_failed", why),
        };
        let Some(id) = request.cookie_value(&self.options.session_cookie) else {
            return DeployResponse::error(401, "not_authenticated", "no session");
        };
        let session = {
            let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
            let hash = session_hash(id);
            let Some(session) = sessions.get(&hash).filter(|s| s.expires > Instant::now()) else {
                return DeployResponse::error(401, "not_authenticated", "no session");
            };
            let token_ok = request.csrf_token.as_deref().is_some_and(|t| {
                constant_time_eq(t.as_bytes(), session.csrf_token.expose().as_bytes())
            });
            if !proven && !token_ok {
                return DeployResponse::error(
                    403,
                    "csrf_failed",
                    "logout needs Origin, Sec-Fetch-Site: same-origin or the session's X-CSRF-Token",
                );
            }
            sessions
                .remove(&hash)
                .expect("looked up under the same lock")
        };
        let name = &self.options.session_cookie;
        let clear = format!("{name}=; {}", self.cookie_attrs("/", Duration::ZERO));
        // The ID token is the end-session hint; read it before the tokens
        // are deleted.
        let id_token = self
            .options
            .post_logout_redirect_uri
            .as_ref()
            .and_then(|_| self.store.load(&session.key).ok().flatten())
            .and_then(|t| t.id_token);
        match sign_out(&*self.provider, &*self.store, &session.key) {
            Ok(report) => {
                let mut body = logout_json(&report);
                match self.end_session_url(id_token) {
                    Ok(Some(url)) => {
                        body["provider_logout"] = json!("redirect");
                        let mut r = DeployResponse::json(303, body).cookie(clear);
                        r.headers.push(("Location".into(), url));
                        r
                    }
                    Ok(None) => {
                        body["provider_logout"] =
                            json!(if self.options.post_logout_redirect_uri.is_some() {
                                "not_supported"
                            } else {
                                "not_configured"
                            });
                        DeployResponse::json(200, body).cookie(clear)
                    }
                    // Signed out here; the provider's session could not be
                    // reached (discovery failed): say so, never hide it.
                    Err(e) => {
                        body["provider_logout"] = json!("failed");
                        body["provider_logout_error"] = json!(e.to_string());
                        DeployResponse::json(200, body).cookie(clear)
                    }
                }
            }
            // The session is gone either way; the stored tokens may not be.
            Err(e) => DeployResponse::json(
                500,
                json!({"success": false, "error": "storage_error",
                       "error_description": e.to_string()}),
            )
            .cookie(clear),
        }
    }

    /// The provider's end-session URL for a signed-out session, when the
    /// deployment configured a post-logout redirect URI.
    fn end_session_url(&self, id_token: Option<Secret>) -> Result<Option<String>> {
        let Some(uri) = &self.options.post_logout_redirect_uri else {
            return Ok(None);
        };
        let uri = if uri.starts_with('/') {
            format!("{}{uri}", self.options.base_url)
        } else {
            uri.clone()
        };
        let mut request = crate::provider::EndSessionRequest::new()
            .post_logout_redirect_uri(uri)
            .state(random::state());
        if let Some(t) = id_token {
            request = request.id_token_hint(t);
        }
        self.provider.end_session_url(&request)
    }

    fn status(&self, request: &DeployRequest) -> DeployResponse {
        match self.session(request) {
            None => DeployResponse::json(200, json!({"authenticated": false})),
            Some(s) => {
                let expires_at = self
                    .store
                    .load(&s.key)
                    .ok()
                    .flatten()
                    .and_then(|t| t.expires_at);
                DeployResponse::json(
                    200,
                    json!({"authenticated": true, "key": s.key, "expires_at": expires_at,
                           "user_info": s.user_info, "csrf_token": s.csrf_token.expose()}),
                )
            }
        }
    }
}

/// `/auth/logout`'s answer: signed out, and what the provider did.
fn logout_json(report: &LogoutReport) -> Value {
    let (revocation, failures) = match &report.revocation {
        RevocationOutcome::NothingToRevoke => ("nothing_to_revoke", Vec::new()),
        RevocationOutcome::Revoked => ("revoked", Vec::new()),
        RevocationOutcome::NotSupported => ("not_supported", Vec::new()),
        RevocationOutcome::Failed(f) => (
            "failed",
            f.iter()
                .map(|f| json!({"token": f.token.as_str(), "error": f.reason}))
                .collect(),
        ),
    };
    let mut body = json!({
        "success": true,
        "message": "Logged out",
        "revoked": report.revoked(),
        "revocation": revocation,
        "tokens_deleted": report.tokens_deleted,
    });
    if !failures.is_empty() {
        body["revocation_errors"] = Value::Array(failures);
    }
    body
}

/// The routes served with tiny_http on a few worker threads. Dropping it
/// stops the workers and closes the socket.
pub struct DeployServer {
    base_url: String,
    stop: Arc<AtomicBool>,
    workers: Vec<JoinHandle<()>>,
    server: Option<Arc<tiny_http::Server>>,
}

impl std::fmt::Debug for DeployServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeployServer")
            .field("base_url", &self.base_url)
            .finish()
    }
}

impl DeployServer {
    /// Listens on `addr` (`127.0.0.1:0` for a free loopback port) and
    /// serves the handler `make` builds from the server's base URL
    /// (`http://{addr}`).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when `addr` cannot be listened on (in use, not a local
    /// address); [`Error::Internal`] when the HTTP server cannot start on it.
    pub fn start(addr: SocketAddr, make: impl FnOnce(&str) -> DeployHandler) -> Result<Self> {
        let listener = std::net::TcpListener::bind(addr)
            .map_err(|e| Error::io(format!("listening on {addr} for deploy mode"), e))?;
        let local = listener
            .local_addr()
            .map_err(|e| Error::io("reading the deploy server's address", e))?;
        let base_url = format!("http://{local}");
        let handler = Arc::new(make(&base_url));
        let server = Arc::new(
            tiny_http::Server::from_listener(listener, None)
                .map_err(|e| Error::Internal(format!("starting the deploy server: {e}")))?,
        );
        let stop = Arc::new(AtomicBool::new(false));
        let workers = (0..4)
            .map(|_| {
                let (server, stop, handler) = (server.clone(), stop.clone(), handler.clone());
                std::thread::spawn(move || {
                    while !stop.load(Ordering::SeqCst) {
                        match server.recv_timeout(Duration::from_millis(50)) {
                            Ok(Some(rq)) => serve(&handler, rq),
                            Ok(None) => {}
                            Err(_) => break,
                        }
                    }
                })
            })
            .collect();
        Ok(DeployServer {
            base_url,
            stop,
            workers,
            server: Some(server),
        })
    }

    /// `http://127.0.0.1:{port}`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }
}

impl Drop for DeployServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
        drop(self.server.take());
    }
}

fn serve(handler: &DeployHandler, rq: tiny_http::Request) {
    let header = |name: &'static str| {
        rq.headers()
            .iter()
            .find(|h| h.field.equiv(name))
            .map(|h| h.value.as_str().to_string())
    };
    let mut request = DeployRequest::new(rq.method().as_str(), rq.url());
    // Several Cookie header lines are one list (RFC 6265 §5.4 sends one,
    // but proxies and HTTP/2 gateways may split it).
    let cookies: Vec<&str> = rq
        .headers()
        .iter()
        .filter(|h| h.field.equiv("Cookie"))
        .map(|h| h.value.as_str())
        .collect();
    request.cookie = (!cookies.is_empty()).then(|| cookies.join("; "));
    request.origin = header("Origin");
    request.sec_fetch_site = header("Sec-Fetch-Site");
    request.csrf_token = header("X-CSRF-Token");
    let out = handler.handle(&request);
    let mut response = tiny_http::Response::from_string(out.body).with_status_code(out.status);
    for (k, v) in &out.headers {
        if let Ok(h) = tiny_http::Header::from_bytes(k.as_bytes(), v.as_bytes()) {
            response.add_header(h);
        }
    }
    if out.status >= 400 {
        for (k, v) in html::SECURITY_HEADERS.iter().skip(1) {
            if let Ok(h) = tiny_http::Header::from_bytes(k.as_bytes(), v.as_bytes()) {
                response.add_header(h);
            }
        }
    }
    let _ = rq.respond(response);
}

#[cfg(test)]
mod tests {
    use super::DeployOptions;

    #[test]
    fn cookies_are_secure_for_https_in_any_letter_case() {
        assert!(DeployOptions::new("https://app.example").secure());
        assert!(DeployOptions::new("HTTPS://app.example").secure());
        assert!(!DeployOptions::new("http://127.0.0.1:8080").secure());
        assert!(!DeployOptions::new("http").secure());
    }
}
