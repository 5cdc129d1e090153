//! Deploy mode: the application serves the sign-in itself.
//!
//! [`DeployHandler`] answers four routes, as a plain function from an
//! [`http::Request`] to an [`http::Response`] that any server can mount;
//! [`DeployServer`] serves it with tiny_http.
//!
//! | route | what it does |
//! |---|---|
//! | `GET /auth/login` | seals state, PKCE verifier, nonce and start time into a short-lived login cookie ([`PendingSignIns`]; nothing kept server-side, so no flood of logins can evict another browser's), redirects to the provider |
//! | `GET /auth/callback` | opens this browser's login cookie (its state only, unexpired, single use), checks `iss`/`error`, exchanges the code, stores the tokens, sets the session cookie (`HttpOnly; SameSite=Lax`, `Secure` on https) |
//! | `POST /auth/logout` | only with proof of same origin (`Origin`, else `Sec-Fetch-Site: same-origin`, else the session's CSRF token in `X-CSRF-Token`); revokes (refresh token first), deletes the tokens and the session, clears the cookie, reports the revocation ([`LogoutReport`]); then, when the deployment set [`DeployOptions::post_logout_redirect_uri`] and the provider has an `end_session_endpoint`, answers `303 See Other` to it (RP-initiated logout: `id_token_hint`, `client_id`, `post_logout_redirect_uri`, `state`) so the provider's session ends too |
//! | `GET /auth/status` | `{"authenticated": ...}` with the key, expiry, user info and the session's CSRF token |
//!
//! Sessions and used callback states are records in the token store
//! (`web/sessions.rs`), not in this process: every instance sharing the
//! store (and the cookie key, [`DeployOptions::cookie_key`]) answers for every session, a logout on
//! one ends it on all, a restart keeps it. The session cookie is an opaque
//! random id; the store keeps only its SHA-256.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::{json, Value};

use super::cookie::CookieKey;
use super::pending::{PendingRejection, PendingSignIns, DEFAULT_PENDING_TTL};
use super::request::Incoming;
use super::sessions::{SessionRecord, SharedRecords};
use crate::error::{Error, Result};
use crate::flow::callback::{CallbackVerdict, ExpectedCallback};
use crate::flow::html;
use crate::provider::pkce::Pkce;
use crate::provider::{AuthorizeRequest, CodeExchange, Provider, UserinfoRequest};
use crate::random;
use crate::secret::{constant_time_eq, Secret};
use crate::session::logout::{sign_out, LogoutReport, RevocationOutcome};
use crate::store::TokenStore;

/// The longest lifetime a cookie (session or login) is given: the cap
/// browsers apply to `Max-Age` (RFC 6265bis §5.6.2, 400 days). Longer
/// settings are capped, so no expiry arithmetic can overflow.
pub const MAX_COOKIE_AGE: Duration = Duration::from_secs(400 * 86_400);

/// An answer being made: status, headers in order (`Set-Cookie` may
/// repeat), body; handed out as an [`http::Response`].
#[derive(Debug, Clone)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn json(status: u16, body: Value) -> Self {
        Answer {
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
        Answer {
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

    /// The answer as an `http` response. A header value that cannot be
    /// one (a control character in a provider's URL) gives a `500`
    /// saying so, never a panic or a dropped header.
    fn into_http(self) -> http::Response<String> {
        let mut response = http::Response::new(self.body);
        *response.status_mut() = http::StatusCode::from_u16(self.status)
            .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        for (name, value) in self.headers {
            let header = (
                http::HeaderName::from_bytes(name.as_bytes()),
                http::HeaderValue::from_str(&value),
            );
            match header {
                (Ok(n), Ok(v)) => {
                    response.headers_mut().append(n, v);
                }
                _ => {
                    log::warn!("deploy mode: the {name} header of an answer is no header value");
                    return Answer::error(
                        500,
                        "server_error",
                        &format!("the {name} header of the answer could not be encoded"),
                    )
                    .into_http();
                }
            }
        }
        response
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
    previous_cookie_keys: Vec<CookieKey>,
    trust_forwarded: bool,
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
            previous_cookie_keys: Vec::new(),
            trust_forwarded: false,
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
    /// use oauthkit::web::DeployOptions;
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

    /// The 256-bit key login cookies are sealed with (AES-256-GCM-SIV),
    /// 32 bytes the deployment keeps secret (from its secret manager). By
    /// default each [`DeployHandler`] makes a fresh random one, good for
    /// one process; set the same key on every instance behind a load
    /// balancer so any of them can finish a sign-in another started. The
    /// options keep it zeroized and their `Debug` never shows it.
    ///
    /// ```
    /// use oauthkit::web::DeployOptions;
    /// let o = DeployOptions::new("https://app.example").cookie_key([7; 32]);
    /// assert!(!format!("{o:?}").contains("7, 7"));
    /// ```
    pub fn cookie_key(mut self, key: [u8; 32]) -> Self {
        self.cookie_key = Some(CookieKey::from_bytes(key));
        self
    }

    /// Keys login cookies sealed earlier may still be opened with, while
    /// a key rotation spreads over the instances: new cookies are sealed
    /// with [`cookie_key`](Self::cookie_key) only. Roll out in two steps:
    /// first every instance gets the new key as a previous one, then every
    /// instance gets it as the current key with the old one as previous;
    /// drop the old key once the pending lifetime has passed.
    ///
    /// ```
    /// use oauthkit::web::DeployOptions;
    /// let o = DeployOptions::new("https://app.example")
    ///     .cookie_key([2; 32])
    ///     .previous_cookie_keys([[1; 32]]);
    /// # let _ = o;
    /// ```
    pub fn previous_cookie_keys(mut self, keys: impl IntoIterator<Item = [u8; 32]>) -> Self {
        self.previous_cookie_keys = keys.into_iter().map(CookieKey::from_bytes).collect();
        self
    }

    /// Trusts the reverse proxy's `Forwarded` (RFC 7239) or
    /// `X-Forwarded-Proto`/`X-Forwarded-Host` headers for the public origin
    /// (redirect URI, logout origin check, `Secure` cookies). Off by
    /// default: then those headers are ignored, since any client can send
    /// them; turn it on only behind a proxy that sets them and drops what
    /// the client sent. Without it the public URL is the one given to
    /// [`new`](Self::new).
    pub fn trust_forwarded_headers(mut self, on: bool) -> Self {
        self.trust_forwarded = on;
        self
    }

    /// Turns PKCE off (leave it on).
    pub fn pkce(mut self, on: bool) -> Self {
        self.use_pkce = on;
        self
    }

    /// Whether cookies get `Secure`: the base URL's scheme is https, in
    /// any letter case.
    fn secure(&self) -> bool {
        is_https(&self.base_url)
    }
}

/// The login cookie binding a pending sign-in to the browser.
const LOGIN_COOKIE: &str = "oauthkit_login";

/// The `/auth/*` routes. Share it between server threads in an `Arc`.
pub struct DeployHandler {
    provider: Arc<dyn Provider>,
    store: Arc<dyn TokenStore>,
    options: DeployOptions,
    pending: PendingSignIns,
    sessions: Arc<SharedRecords>,
}

impl std::fmt::Debug for DeployHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeployHandler")
            .field("provider", &self.provider.name())
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
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
        let sessions = Arc::new(SharedRecords::new(store.clone()));
        let pending = PendingSignIns::sealed_with(&key, &options.base_url, options.pending_ttl)
            .previous_keys(&options.previous_cookie_keys)
            .share_uses(sessions.clone());
        DeployHandler {
            provider,
            store,
            options,
            pending,
            sessions,
        }
    }

    /// The public base URL for `request`: the proxy's forwarded origin
    /// (with the configured path) when the deployment trusts it and it is
    /// a plain origin, else the configured base URL.
    fn base_for(&self, request: &Incoming) -> String {
        let forwarded = self
            .options
            .trust_forwarded
            .then_some(request.forwarded_origin.as_deref())
            .flatten()
            .and_then(clean_origin);
        match forwarded {
            Some(origin) => {
                let path = url::Url::parse(&self.options.base_url)
                    .map(|u| u.path().trim_end_matches('/').to_string())
                    .unwrap_or_default();
                format!("{origin}{path}")
            }
            None => self.options.base_url.clone(),
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

    /// The token-store key of the session the request's `Cookie` header
    /// carries, for the application's own routes; `None` when it carries
    /// no session cookie, one of a session this handler does not know
    /// (never issued, signed out, or expired), or a `Cookie` line that is
    /// not UTF-8 text.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use oauthkit::provider::{OAuth2Config, OAuthProvider};
    /// use oauthkit::web::{http, DeployHandler, DeployOptions};
    /// # let provider = Arc::new(OAuthProvider::oauth2(OAuth2Config::new(
    /// #     "idp", "my-app", "https://idp.example/authorize", "https://idp.example/token",
    /// # ))?);
    /// # let store = Arc::new(oauthkit::store::MemoryStore::new());
    /// let handler = DeployHandler::new(provider, store, DeployOptions::new("https://app.example"));
    /// let request = http::Request::get("/api/me")
    ///     .header(http::header::COOKIE, "oauthkit_session=unknown")
    ///     .body(())
    ///     .unwrap();
    /// assert_eq!(handler.session_key(&request), None);
    /// # Ok::<(), oauthkit::Error>(())
    /// ```
    pub fn session_key<B>(&self, request: &http::Request<B>) -> Option<String> {
        let cookies = Incoming::cookies_of(request.headers())?;
        self.session(&cookies).ok().flatten().map(|(_, s)| s.key)
    }

    /// Answers one request (its body is never read). Every outcome is an
    /// answer: a forged callback, an expired login or a missing session
    /// is a `4xx` with a JSON body `{"error", "error_description"}`, and
    /// so is a header the checks cannot trust: a repeated `Origin`,
    /// `Sec-Fetch-Site` or `X-CSRF-Token`, or a value of those, of
    /// `Cookie` (whose lines are joined) or of a trusted proxy header that
    /// is not UTF-8 text (`400 invalid_request`, naming the header).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use oauthkit::provider::{OAuth2Config, OAuthProvider};
    /// use oauthkit::web::{http, DeployHandler, DeployOptions};
    /// # let provider = Arc::new(OAuthProvider::oauth2(OAuth2Config::new(
    /// #     "idp", "my-app", "https://idp.example/authorize", "https://idp.example/token",
    /// # ))?);
    /// # let store = Arc::new(oauthkit::store::MemoryStore::new());
    /// let handler = DeployHandler::new(provider, store, DeployOptions::new("https://app.example"));
    /// let login = handler.handle(&http::Request::get("/auth/login").body(()).unwrap());
    /// assert_eq!(login.status(), http::StatusCode::FOUND);
    /// assert!(login.headers()["location"].to_str().unwrap().starts_with("https://idp.example/authorize?"));
    /// # Ok::<(), oauthkit::Error>(())
    /// ```
    pub fn handle<B>(&self, request: &http::Request<B>) -> http::Response<String> {
        match Incoming::read(request, self.options.trust_forwarded) {
            Ok(incoming) => self.route(&incoming),
            Err(why) => {
                log::info!(
                    "deploy mode: a request to {} refused: {why}",
                    request.uri().path()
                );
                Answer::error(400, "invalid_request", &why)
            }
        }
        .into_http()
    }

    fn route(&self, request: &Incoming) -> Answer {
        match (request.method.as_str(), request.path.as_str()) {
            ("GET", "/auth/login") => self.login(request),
            ("GET", "/auth/callback") => self.callback(request),
            ("POST", "/auth/logout") => self.logout(request),
            ("GET", "/auth/status") => self.status(request),
            (_, "/auth/login" | "/auth/callback" | "/auth/logout" | "/auth/status") => {
                Answer::error(405, "method_not_allowed", "wrong method for this route")
            }
            _ => Answer::error(404, "not_found", "no such route"),
        }
    }

    fn cookie_attrs(&self, base: &str, path: &str, max_age: Duration) -> String {
        let max_age = max_age.min(MAX_COOKIE_AGE).as_secs();
        let secure = if is_https(base) || self.options.secure() {
            "; Secure"
        } else {
            ""
        };
        format!("Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}")
    }

    fn login(&self, request: &Incoming) -> Answer {
        let base = self.base_for(request);
        let state = random::state();
        let nonce = random::nonce();
        let pkce = self.options.use_pkce.then(Pkce::generate);
        let redirect_uri = format!("{base}/auth/callback");
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
                return Answer::error(500, "server_error", &why);
            }
            Some(config) => match config.generate_key() {
                Ok(k) => Some(k),
                Err(e) => return Answer::error(500, "server_error", &e.to_string()),
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
        let url = match crate::flow::pushed_url::url_for_browser(self.provider.as_ref(), &request) {
            Ok(u) => u.into_url(),
            Err(e) => return Answer::error(500, "server_error", &e.to_string()),
        };
        let verifier = pkce.as_ref().map(Pkce::verifier);
        let sealed = match &dpop_key {
            Some(k) => self
                .pending
                .begin_with_dpop_key(&state, verifier, &nonce, k),
            None => self.pending.begin(&state, verifier, &nonce),
        };
        let attrs = self.cookie_attrs(&base, "/auth", self.options.pending_ttl);
        Answer::redirect(&url).cookie(format!("{LOGIN_COOKIE}={sealed}; {attrs}"))
    }

    fn callback(&self, request: &Incoming) -> Answer {
        let base = self.base_for(request);
        let redirect_uri = format!("{base}/auth/callback");
        let state = url::form_urlencoded::parse(request.query.as_bytes())
            .find(|(k, _)| k == "state")
            .map(|(_, v)| v.into_owned());
        let Some(state) = state else {
            return Answer::error(400, "invalid_state", "the callback has no state");
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
            if refusal == PendingRejection::Unavailable {
                return Answer::error(503, "temporarily_unavailable", refusal.describe());
            }
            return Answer::error(400, "invalid_state", refusal.describe());
        };
        // State matched a pending sign-in of this browser; the rest of the
        // checks (iss, error, code) are those of the native flow.
        let expected = ExpectedCallback::new(state).provider_iss_check(self.provider.clone());
        let code = match expected.check_query(&request.query) {
            CallbackVerdict::Code(c) => c,
            CallbackVerdict::Failed(Error::OAuth {
                error, description, ..
            }) => {
                return Answer::error(
                    400,
                    &error,
                    description.as_deref().unwrap_or("Authentication failed"),
                )
            }
            CallbackVerdict::Failed(e) => {
                return Answer::error(400, "invalid_callback", &e.to_string())
            }
            CallbackVerdict::Ignored(why) => return Answer::error(400, "invalid_callback", why),
        };
        let verifier = pending.pkce_verifier.as_ref().map(Secret::expose);
        let mut exchange =
            CodeExchange::new(code.expose(), &redirect_uri).nonce(pending.nonce.expose());
        if let Some(v) = verifier {
            exchange = exchange.pkce_verifier(v);
        }
        if let Some(key) = &pending.dpop_key {
            exchange = exchange.dpop(key);
        }
        let tokens = self.provider.exchange_code(&exchange);
        let mut tokens = match tokens {
            Ok(t) => t,
            Err(e) => return Answer::error(502, "token_exchange_failed", &e.to_string()),
        };
        let user_info = self
            .provider
            .get_userinfo(&UserinfoRequest::of(&tokens))
            .ok()
            .flatten();
        if tokens.identity_id.is_none() {
            tokens.identity_id = user_info.as_ref().and_then(crate::Claims::subject_id);
        }
        // Never a shared fallback key: two users would see each other's
        // tokens and one's logout would revoke the other's.
        let Some(key) = tokens.identity_id.clone() else {
            return Answer::error(
                502,
                "no_identity",
                "the provider named no user (no ID token sub and no userinfo)",
            );
        };
        if let Err(e) = self.store.save(&key, &tokens) {
            return self.abandon(&tokens, &e);
        }
        crate::flow::finish::advice_without_refresh_token(self.provider.as_ref(), &tokens);
        let session_id = random::token(32);
        let ttl_secs = i64::try_from(self.options.session_ttl.as_secs()).unwrap_or(i64::MAX);
        let now = i64::try_from(super::pending::now_unix_ms() / 1000).unwrap_or(i64::MAX);
        let record = SessionRecord {
            key,
            user_info: user_info
                .as_ref()
                .and_then(|c| serde_json::to_value(c).ok()),
            expires_at: now.saturating_add(ttl_secs),
            csrf_token: Secret::new(random::token(32)),
        };
        if let Err(e) = self.sessions.create(&session_id, &record) {
            return Answer::error(500, "storage_error", &e.to_string());
        }
        let name = &self.options.session_cookie;
        Answer::redirect(&self.options.after_login)
            .cookie(format!(
                "{name}={session_id}; {}",
                self.cookie_attrs(&base, "/", self.options.session_ttl)
            ))
            .cookie(format!(
                "{LOGIN_COOKIE}=; {}",
                self.cookie_attrs(&base, "/auth", Duration::ZERO)
            ))
    }

    /// The tokens of a finished exchange could not be stored: revokes them
    /// (best effort: refresh token first, then the access token) so no
    /// live grant is left behind that nobody holds, and answers one clear
    /// error; the user signs in again once the store answers.
    fn abandon(&self, tokens: &crate::token::TokenSet, e: &Error) -> Answer {
        use crate::provider::TokenRevocation;
        let mut sent = Vec::new();
        if let Some(r) = TokenRevocation::refresh_token_of(tokens) {
            sent.push(r);
        }
        sent.push(TokenRevocation::access_token_of(tokens));
        let mut revoked = true;
        for request in &sent {
            if !matches!(self.provider.revoke_token(request), Ok(true)) {
                revoked = false;
            }
        }
        log::warn!(
            "deploy sign-in at {}: storing the tokens failed ({:?}: {e}); the grant was {}",
            self.provider.name(),
            e.kind(),
            if revoked {
                "revoked"
            } else {
                "not revoked (revocation failed or unsupported)"
            }
        );
        Answer::error(
            503,
            "temporarily_unavailable",
            "signing in could not be saved because the token store cannot be reached; \
             nothing was kept, please sign in again in a moment",
        )
    }

    /// The live session the request's cookie names: `Ok(None)` without
    /// one; `Err` when the store cannot be asked. Every session cookie the
    /// browser sent is tried (a sibling site may toss in another).
    fn session(&self, request: &Incoming) -> Result<Option<(String, SessionRecord)>> {
        for id in request.cookie_values(&self.options.session_cookie) {
            if id.is_empty() || id.len() > 128 {
                continue;
            }
            if let Some(record) = self.sessions.get(id)? {
                return Ok(Some((id.to_string(), record)));
            }
        }
        Ok(None)
    }

    /// CSRF on logout. `Ok(true)`: the headers prove the request
    /// same-origin; `Ok(false)`: they prove nothing, the session's CSRF
    /// token must; `Err`: they say cross-site.
    fn logout_origin(&self, request: &Incoming) -> std::result::Result<bool, &'static str> {
        // Fetch metadata, when the browser sends it, must say same-origin
        // (`same-site` is a sibling origin; `none` is not a page's POST).
        let site = request.sec_fetch_site.as_deref().map(str::trim);
        if site.is_some_and(|s| s != "same-origin") {
            return Err("the browser says this logout comes from another site");
        }
        if let Some(origin) = &request.origin {
            let own =
                url::Url::parse(&self.base_for(request)).map(|u| u.origin().ascii_serialization());
            return match own {
                Ok(own) if own == origin.trim() => Ok(true),
                _ => Err("cross-origin logout refused"),
            };
        }
        Ok(site == Some("same-origin"))
    }

    fn logout(&self, request: &Incoming) -> Answer {
        let proven = match self.logout_origin(request) {
            Ok(p) => p,
            Err(why) => return Answer::error(403, "csrf_failed", why),
        };
        let (id, session) = match self.session(request) {
            Ok(Some(found)) => found,
            Ok(None) => return Answer::error(401, "not_authenticated", "no session"),
            Err(e) => return unavailable(&e),
        };
        let token_ok = request.csrf_token.as_deref().is_some_and(|t| {
            constant_time_eq(t.as_bytes(), session.csrf_token.expose().as_bytes())
        });
        if !proven && !token_ok {
            return Answer::error(
                403,
                "csrf_failed",
                "logout needs Origin, Sec-Fetch-Site: same-origin or the session's X-CSRF-Token",
            );
        }
        // Ended for every instance before anything else: a failure below
        // leaves no session that still reports the user signed in.
        if let Err(e) = self.sessions.end(&id) {
            return unavailable(&e);
        }
        let name = &self.options.session_cookie;
        let clear = format!(
            "{name}=; {}",
            self.cookie_attrs(&self.base_for(request), "/", Duration::ZERO)
        );
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
                        let mut r = Answer::json(303, body).cookie(clear);
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
                        Answer::json(200, body).cookie(clear)
                    }
                    // Signed out here; the provider's session could not be
                    // reached (discovery failed): say so, never hide it.
                    Err(e) => {
                        body["provider_logout"] = json!("failed");
                        body["provider_logout_error"] = json!(e.to_string());
                        Answer::json(200, body).cookie(clear)
                    }
                }
            }
            // The session is gone either way; the stored tokens may not be.
            Err(e) => Answer::json(
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

    fn status(&self, request: &Incoming) -> Answer {
        let s = match self.session(request) {
            Ok(Some((_, s))) => s,
            Ok(None) => return Answer::json(200, json!({"authenticated": false})),
            Err(e) => return unavailable(&e),
        };
        // The user's tokens are gone (signed out in another session of
        // the same user, or deleted by the application): not signed in.
        let tokens = match self.store.load(&s.key) {
            Ok(Some(t)) => t,
            Ok(None) => return Answer::json(200, json!({"authenticated": false})),
            Err(e) => return unavailable(&e),
        };
        Answer::json(
            200,
            json!({"authenticated": true, "key": s.key, "expires_at": tokens.expires_at,
                   "user_info": s.user_info, "csrf_token": s.csrf_token.expose()}),
        )
    }
}

/// The store could not be asked: one clear answer, retry later.
fn unavailable(e: &Error) -> Answer {
    log::warn!("deploy mode: the store failed: {e}");
    Answer::error(
        503,
        "temporarily_unavailable",
        "the session store cannot be reached; try again in a moment",
    )
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
        let (listener, local) = Self::bind(addr)?;
        let handler = make(&format!("http://{local}"));
        Self::run(listener, local, handler)
    }

    /// Listens on `addr` and serves `handler` as it is: the handler's
    /// [`DeployOptions`] name the public URL (the load balancer's, which
    /// the provider redirects to), whatever address this instance listens
    /// on behind it.
    ///
    /// ```no_run
    /// # use std::sync::Arc;
    /// # fn demo(provider: Arc<dyn oauthkit::provider::Provider>, store: Arc<dyn oauthkit::TokenStore>) -> oauthkit::Result<()> {
    /// use oauthkit::web::{DeployHandler, DeployOptions, DeployServer};
    /// let handler = DeployHandler::new(provider, store, DeployOptions::new("https://app.example"));
    /// let server = DeployServer::serve("10.0.0.5:8080".parse().unwrap(), handler)?;
    /// # drop(server); Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`start`](Self::start).
    pub fn serve(addr: SocketAddr, handler: DeployHandler) -> Result<Self> {
        let (listener, local) = Self::bind(addr)?;
        Self::run(listener, local, handler)
    }

    fn bind(addr: SocketAddr) -> Result<(std::net::TcpListener, SocketAddr)> {
        let listener = std::net::TcpListener::bind(addr)
            .map_err(|e| Error::io(format!("listening on {addr} for deploy mode"), e))?;
        let local = listener
            .local_addr()
            .map_err(|e| Error::io("reading the deploy server's address", e))?;
        Ok((listener, local))
    }

    fn run(
        listener: std::net::TcpListener,
        local: SocketAddr,
        handler: DeployHandler,
    ) -> Result<Self> {
        let base_url = format!("http://{local}");
        let handler = Arc::new(handler);
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

    /// The address this instance listens on, `http://127.0.0.1:{port}`
    /// (not the public URL behind a proxy).
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

/// One tiny_http request through the handler: method, target and every
/// header carried over as they came (a name no `http` header can have is
/// left out: the routes read none such; a value with a control character
/// is refused), the answer carried back.
fn serve(handler: &DeployHandler, rq: tiny_http::Request) {
    let out = match to_http(&rq) {
        Ok(request) => handler.handle(&request),
        Err(why) => Answer::error(400, "invalid_request", &why).into_http(),
    };
    let (parts, body) = out.into_parts();
    let mut response =
        tiny_http::Response::from_string(body).with_status_code(parts.status.as_u16());
    for (k, v) in &parts.headers {
        if let Ok(h) = tiny_http::Header::from_bytes(k.as_str().as_bytes(), v.as_bytes()) {
            response.add_header(h);
        }
    }
    if parts.status.as_u16() >= 400 {
        for (k, v) in html::SECURITY_HEADERS.iter().skip(1) {
            if let Ok(h) = tiny_http::Header::from_bytes(k.as_bytes(), v.as_bytes()) {
                response.add_header(h);
            }
        }
    }
    let _ = rq.respond(response);
}

/// A tiny_http request as an `http` one (no body: no route reads one).
fn to_http(rq: &tiny_http::Request) -> std::result::Result<http::Request<()>, String> {
    let method = http::Method::from_bytes(rq.method().as_str().as_bytes())
        .map_err(|_| "the method is no HTTP method".to_string())?;
    let mut request = http::Request::new(());
    *request.method_mut() = method;
    *request.uri_mut() = super::request::request_target(rq.url(), None)?;
    for h in rq.headers() {
        let name = http::HeaderName::from_bytes(h.field.as_str().as_str().as_bytes());
        let value = http::HeaderValue::from_bytes(h.value.as_str().as_bytes());
        match (name, value) {
            (Ok(name), Ok(value)) => {
                request.headers_mut().append(name, value);
            }
            (Ok(name), Err(_)) => {
                return Err(format!("the {name} header holds a control character"));
            }
            (Err(_), _) => {}
        }
    }
    Ok(request)
}

fn is_https(url: &str) -> bool {
    url.get(..8)
        .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
}

/// A forwarded origin as `scheme://host[:port]` when it is one (http or
/// https, a host, nothing else); `None` for anything else.
fn clean_origin(origin: &str) -> Option<String> {
    let u = url::Url::parse(origin.trim()).ok()?;
    let plain = matches!(u.scheme(), "http" | "https")
        && u.host_str().is_some()
        && u.username().is_empty()
        && u.password().is_none()
        && u.path() == "/"
        && u.query().is_none()
        && u.fragment().is_none();
    plain.then(|| u.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::DeployOptions;

    #[test]
    fn debug_never_shows_the_cookie_keys() {
        // Bytes whose decimal and hex forms appear nowhere else in the output.
        let (key, old) = ([0xa7u8; 32], [0xc3u8; 32]);
        let o = DeployOptions::new("https://app.example")
            .cookie_key(key)
            .previous_cookie_keys([old, key]);
        for shown in [format!("{o:?}"), format!("{o:#?}")] {
            assert_eq!(shown.matches("CookieKey([redacted])").count(), 3, "{shown}");
            for text in ["167", "195", "a7", "A7", "c3", "C3"] {
                assert!(!shown.contains(text), "{text} in {shown}");
            }
        }
    }

    #[test]
    fn cookies_are_secure_for_https_in_any_letter_case() {
        assert!(DeployOptions::new("https://app.example").secure());
        assert!(DeployOptions::new("HTTPS://app.example").secure());
        assert!(!DeployOptions::new("http://127.0.0.1:8080").secure());
        assert!(!DeployOptions::new("http").secure());
    }
}
