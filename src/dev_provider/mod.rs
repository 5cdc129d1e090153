//! The development OpenID provider (feature `dev-provider`); public as
//! `oauthkit::unversioned::dev_provider`, documented there.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::error::{Error, Result};

mod authorize;
mod dpop;
mod grants;
pub(crate) mod headless;
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
    pub(crate) dpop: bool,
    pub(crate) dpop_nonce: bool,
    pub(crate) port: u16,
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
            dpop: true,
            dpop_nonce: false,
            port: 0,
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

    /// Issues a new refresh token on every refresh and revokes the old one.
    /// Presenting a rotated refresh token again is taken as theft (reuse
    /// detection, OAuth 2.0 Security BCP §4.14.2): it gets `invalid_grant`
    /// and every access and refresh token of that sign-in is revoked. Off
    /// by default (the same refresh token stays valid).
    pub fn rotate_refresh_tokens(mut self, on: bool) -> Self {
        self.rotate_refresh_tokens = on;
        self
    }

    /// Lifetime of access tokens, the `expires_in` of every token response
    /// (default one hour; whole seconds).
    pub fn access_token_ttl(mut self, ttl: Duration) -> Self {
        self.access_token_ttl = ttl;
        self
    }

    /// Delays every token response (to widen races in tests, or to see a
    /// slow provider; default none).
    pub fn token_delay(mut self, delay: Duration) -> Self {
        self.token_delay = delay;
        self
    }

    /// DPoP (RFC 9449), on by default: a token request carrying a valid
    /// DPoP proof gets tokens bound to its key, and discovery lists
    /// `dpop_signing_alg_values_supported`. Off, the provider ignores
    /// proofs and answers Bearer, as a provider without DPoP does.
    pub fn dpop(mut self, on: bool) -> Self {
        self.dpop = on;
        self
    }

    /// Requires DPoP proofs to carry the provider's nonce (RFC 9449 §8,
    /// §9): a proof without it gets `use_dpop_nonce` and the nonce in a
    /// `DPoP-Nonce` header (400 from the token endpoint, 401 from
    /// userinfo). Off by default.
    pub fn dpop_nonce(mut self, on: bool) -> Self {
        self.dpop_nonce = on;
        self
    }

    /// Listens on this port of `127.0.0.1` (default 0: a free port, a new
    /// one every start), so an issuer written into a configuration stays
    /// valid across restarts.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
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
    pub key: keys::IssuerKey,
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
    /// Starts on a free port of `127.0.0.1` (or the one
    /// [`DevProviderOptions::port`] names).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when no loopback port can be bound (or the given one is
    /// taken); [`Error::Internal`]
    /// when the signing key cannot be generated or the HTTP server not
    /// started on the port.
    pub fn start(opts: DevProviderOptions) -> Result<Self> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", opts.port)).map_err(|e| {
            Error::io(
                format!("starting the dev provider on 127.0.0.1:{}", opts.port),
                e,
            )
        })?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::io("reading the dev provider's address", e))?;
        let ctx = Arc::new(Ctx {
            opts,
            issuer: format!("http://{addr}"),
            key: keys::IssuerKey::generate()?,
            grants: grants::Grants::default(),
        });
        *grants::lock(&ctx.grants.dpop_nonce) = crate::random::token(16);
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

    /// Replaces the DPoP nonce (with [`DevProviderOptions::dpop_nonce`]):
    /// proofs carrying the old one are then answered `use_dpop_nonce`, as
    /// when a real server rotates its nonces. Returns the new nonce.
    pub fn rotate_dpop_nonce(&self) -> String {
        let nonce = crate::random::token(16);
        *grants::lock(&self.ctx.grants.dpop_nonce) = nonce.clone();
        nonce
    }

    /// The JWK thumbprint (`cnf.jkt`) an access or refresh token is bound
    /// to, `None` for a Bearer token or one the provider does not know.
    pub fn token_binding(&self, token: &str) -> Option<String> {
        [&self.ctx.grants.access, &self.ctx.grants.refresh]
            .iter()
            .find_map(|m| grants::lock(m).get(token).map(|g| g.jkt.clone()))
            .flatten()
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
