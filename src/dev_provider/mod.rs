//! A small OpenID provider on `127.0.0.1`, for offline development and for
//! applications' own tests (feature `dev-provider`).
//!
//! It speaks enough OpenID Connect for the native flow end to end:
//! discovery, JWKS (a fresh RSA-2048 key per start), `authorize` with an
//! approve page or auto-approve, `token` (authorization code with PKCE
//! S256 only; refresh, with optional rotation — a refresh token only when
//! the scope has `offline_access`, as real providers do), `userinfo`, revocation
//! (RFC 7009) and introspection (RFC 7662). Callbacks carry `iss`
//! (RFC 9207). It counts token requests by grant type, so tests can assert
//! "exactly one refresh".
//!
//! It is a convenience, not a reference: oauthkit's own correctness tests
//! of providers and flows run against an independent provider process.
//!
//! ```
//! use oauthkit::dev_provider::{DevProvider, DevProviderOptions};
//! let idp = DevProvider::start(DevProviderOptions::default().auto_approve(true)).unwrap();
//! assert!(idp.issuer().starts_with("http://127.0.0.1:"));
//! assert_eq!(idp.token_requests("refresh_token"), 0);
//! ```

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::error::{Error, Result};

mod authorize;
mod grants;
pub mod headless;
mod http;
mod keys;
mod resources;
mod token;

pub use headless::{HeadlessBrowser, HeadlessOutcome, PageResponse};

/// The user the dev provider signs in.
#[derive(Debug, Clone)]
pub struct DevUser {
    /// The `sub` claim.
    pub sub: String,
    /// The `name` claim.
    pub name: String,
    /// The `email` claim.
    pub email: String,
}

impl Default for DevUser {
    fn default() -> Self {
        DevUser {
            sub: "dev-user-1".into(),
            name: "Dev User".into(),
            email: "dev.user@example.test".into(),
        }
    }
}

/// How the dev provider behaves.
#[derive(Debug, Clone)]
pub struct DevProviderOptions {
    pub(crate) client_id: String,
    pub(crate) client_secret: Option<String>,
    pub(crate) auto_approve: bool,
    pub(crate) rotate_refresh_tokens: bool,
    pub(crate) access_token_ttl: Duration,
    pub(crate) token_delay: Duration,
    pub(crate) user: DevUser,
    pub(crate) extra_redirect_uris: Vec<String>,
}

impl Default for DevProviderOptions {
    fn default() -> Self {
        DevProviderOptions {
            client_id: "oauthkit-dev".into(),
            client_secret: None,
            auto_approve: false,
            rotate_refresh_tokens: false,
            access_token_ttl: Duration::from_secs(3600),
            token_delay: Duration::ZERO,
            user: DevUser::default(),
            extra_redirect_uris: Vec::new(),
        }
    }
}

impl DevProviderOptions {
    /// The one registered client's id (default `oauthkit-dev`).
    pub fn client_id(mut self, id: impl Into<String>) -> Self {
        self.client_id = id.into();
        self
    }

    /// Makes the client confidential with this secret (basic or post).
    pub fn client_secret(mut self, secret: impl Into<String>) -> Self {
        self.client_secret = Some(secret.into());
        self
    }

    /// Skips the approve page: `authorize` redirects with a code at once.
    pub fn auto_approve(mut self, on: bool) -> Self {
        self.auto_approve = on;
        self
    }

    /// Issues a new refresh token on every refresh and revokes the old one
    /// (reusing it then gets `invalid_grant`).
    pub fn rotate_refresh_tokens(mut self, on: bool) -> Self {
        self.rotate_refresh_tokens = on;
        self
    }

    /// Lifetime of access tokens (default one hour).
    pub fn access_token_ttl(mut self, ttl: Duration) -> Self {
        self.access_token_ttl = ttl;
        self
    }

    /// Delays every token response (to widen races in tests).
    pub fn token_delay(mut self, delay: Duration) -> Self {
        self.token_delay = delay;
        self
    }

    /// Sets the user.
    pub fn user(mut self, user: DevUser) -> Self {
        self.user = user;
        self
    }

    /// Accepts this redirect URI too (loopback `http` redirect URIs on any
    /// port are always accepted).
    pub fn redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.extra_redirect_uris.push(uri.into());
        self
    }
}

/// What every endpoint shares.
pub(crate) struct Ctx {
    pub opts: DevProviderOptions,
    pub issuer: String,
    pub key: keys::SigningKey,
    pub grants: grants::Grants,
}

/// A running dev provider. Dropping it stops it and closes its port.
pub struct DevProvider {
    ctx: Arc<Ctx>,
    stop: Arc<AtomicBool>,
    workers: Vec<JoinHandle<()>>,
    server: Option<Arc<tiny_http::Server>>,
}

impl std::fmt::Debug for DevProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevProvider")
            .field("issuer", &self.ctx.issuer)
            .finish()
    }
}

impl DevProvider {
    /// Starts on a free port of `127.0.0.1`.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when no loopback port can be bound; [`Error::Internal`]
    /// when the signing key cannot be generated or the HTTP server not
    /// started on the port.
    pub fn start(opts: DevProviderOptions) -> Result<Self> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")
            .map_err(|e| Error::io("starting the dev provider", e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::io("reading the dev provider's address", e))?;
        let ctx = Arc::new(Ctx {
            opts,
            issuer: format!("http://{addr}"),
            key: keys::SigningKey::generate()?,
            grants: grants::Grants::default(),
        });
        let server = Arc::new(
            tiny_http::Server::from_listener(listener, None)
                .map_err(|e| Error::Internal(format!("starting the dev provider: {e}")))?,
        );
        let stop = Arc::new(AtomicBool::new(false));
        let workers = (0..8)
            .map(|_| {
                let (server, stop, ctx) = (server.clone(), stop.clone(), ctx.clone());
                std::thread::spawn(move || {
                    while !stop.load(Ordering::SeqCst) {
                        match server.recv_timeout(Duration::from_millis(50)) {
                            Ok(Some(rq)) => route(&ctx, rq),
                            Ok(None) => {}
                            Err(_) => break,
                        }
                    }
                })
            })
            .collect();
        Ok(DevProvider {
            ctx,
            stop,
            workers,
            server: Some(server),
        })
    }

    /// The issuer URL (`http://127.0.0.1:{port}`); discovery is at
    /// `{issuer}/.well-known/openid-configuration`.
    pub fn issuer(&self) -> &str {
        &self.ctx.issuer
    }

    /// The registered client's id.
    pub fn client_id(&self) -> &str {
        &self.ctx.opts.client_id
    }

    /// The user it signs in.
    pub fn user(&self) -> &DevUser {
        &self.ctx.opts.user
    }

    /// How many token requests with this `grant_type` arrived
    /// (`authorization_code`, `refresh_token`), valid or not.
    pub fn token_requests(&self, grant_type: &str) -> usize {
        grants::lock(&self.ctx.grants.token_requests)
            .get(grant_type)
            .copied()
            .unwrap_or(0)
    }

    /// Whether an access or refresh token is currently valid (as
    /// introspection would say).
    pub fn is_token_active(&self, token: &str) -> bool {
        resources::is_active(&self.ctx, token)
    }
}

impl Drop for DevProvider {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
        drop(self.server.take());
    }
}

fn route(ctx: &Ctx, mut rq: tiny_http::Request) {
    let req = http::Req::read(&mut rq);
    let resp = match (req.method.as_str(), req.path.as_str()) {
        ("GET", "/.well-known/openid-configuration") => resources::discovery(ctx),
        ("GET", "/jwks") => resources::jwks(ctx),
        ("GET", "/authorize") => authorize::authorize(ctx, &req),
        ("POST", "/authorize/decision") => authorize::decision(ctx, &req),
        ("POST", "/token") => token::token(ctx, &req),
        ("GET" | "POST", "/userinfo") => resources::userinfo(ctx, &req),
        ("POST", "/revoke") => resources::revoke(ctx, &req),
        ("POST", "/introspect") => resources::introspect(ctx, &req),
        _ => http::Resp::oauth_error(404, "not_found", "no such endpoint"),
    };
    resp.send(rq);
}
