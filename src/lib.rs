//! # oauthkit
//!
//! OAuth 2.0 and OpenID Connect for native applications, blocking and
//! runtime-free, with token stores and a stable C ABI.
//!
//! Five lines: a provider, a store, a sign-in, and a valid access token
//! from then on.
//!
//! ```no_run
//! use std::sync::Arc;
//! use oauthkit::provider::{OidcConfig, OAuthProvider};
//! use oauthkit::{flow::AuthFlowManager, session::SessionManager, store, TokenStore};
//!
//! let provider = Arc::new(OAuthProvider::oidc(OidcConfig::new("https://accounts.example.com", "my-client-id"))?);
//! let store = store::open_default_for("my-app")?; // a file sealed with a key in the OS keyring
//! let signed_in = AuthFlowManager::new(provider.clone()).sign_in()?; // opens the system browser
//! store.save(&signed_in.key, &signed_in.tokens)?;
//! let token = SessionManager::new(provider, store).access_token(&signed_in.key)?; // refreshed when needed
//! # let _ = token;
//! # Ok::<(), oauthkit::Error>(())
//! ```
//!
//! The crate root holds the values every program meets ([`TokenSet`],
//! [`TokenStore`], [`Secret`], [`Claims`], [`Error`], [`ErrorKind`],
//! [`Result`]); the parts hold the rest (the repository's
//! [architecture map](https://github.com/oauthkit/oauthkit/blob/main/docs/ARCHITECTURE.md) has more):
//!
//! 1. [`store`]: the backends of [`TokenStore`] (memory, JSON file,
//!    SQLite, OS keyring, Redis, memcached), encryption, a validating
//!    wrapper, and [`store::open`] for a spec string.
//! 2. [`provider`]: OAuth 2.0 and OpenID Connect providers, the presets
//!    ([`provider::google`], ...), and the request values of each grant.
//! 3. [`flow`]: the native loopback and device sign-ins; [`session`]: the
//!    session manager that keeps tokens fresh, background refresh and
//!    sign-out; [`web`]: deploy mode; [`server`]: python-oauth2's
//!    authorization-server stores.
//! 4. the C ABI (feature `capi`, documented by its header and the
//!    repository's `docs/capi.md`): Rust programs leave it off; the C
//!    libraries are built with `scripts/build-capi.sh`.
//!
//! One path names each item. What a tool built on oauthkit's internals may
//! need and what may change in any release (the HTTP client, the callback
//! server, pending sign-ins, `random`, JOSE and PKCE pieces, preset URLs,
//! diagnostics) is in [`unversioned`], outside semantic versioning.
//!
//! # Guide
//!
//! ## Sign in
//!
//! Build a provider, say where the tokens go, and run the native flow: it
//! opens the system browser at the provider, waits for the redirect on a
//! loopback port (RFC 8252, with `state`, PKCE and `nonce`), exchanges the
//! code, validates the ID token and stores the tokens under the user's
//! `sub`. Here the development provider (feature `dev-provider`) plays the
//! provider and [`HeadlessBrowser`](crate::unversioned::dev_provider::HeadlessBrowser)
//! the user, so the example runs anywhere:
//!
//! ```
//! # #[cfg(feature = "dev-provider")] {
//! use std::sync::Arc;
//! use oauthkit::unversioned::dev_provider::{DevProvider, DevProviderOptions, HeadlessBrowser};
//! use oauthkit::flow::{AuthFlowManager, NativeOptions};
//! use oauthkit::session::SessionManager;
//! use oauthkit::provider::{OidcConfig, OAuthProvider};
//!
//! let idp = DevProvider::start(DevProviderOptions::default())?;
//! let config = OidcConfig::new(idp.issuer(), idp.client_id())
//!     .scopes(["openid", "email", "offline_access"]);
//! let provider = Arc::new(OAuthProvider::oidc(config)?);
//! let sessions = Arc::new(SessionManager::new(provider.clone(), Arc::new(oauthkit::store::MemoryStore::new())));
//! let flow = AuthFlowManager::builder(provider).session(sessions.clone()).build();
//! // `flow.sign_in()` opens the system browser; here the headless browser approves.
//! let signed_in = flow.run_native(NativeOptions::new().open_browser(|url| {
//!     let url = url.to_string();
//!     std::thread::spawn(move || HeadlessBrowser::approve(&url));
//!     Ok(())
//! }))?;
//! assert_eq!(signed_in.key, idp.user().sub);
//! # }
//! # Ok::<(), oauthkit::Error>(())
//! ```
//!
//! Real providers: one type, [`provider::OAuthProvider`]:
//! [`OAuthProvider::oidc`](provider::OAuthProvider::oidc) for any OpenID
//! provider (discovery), [`OAuthProvider::oauth2`](provider::OAuthProvider::oauth2)
//! for plain OAuth 2.0, and the [`provider::google`], [`provider::microsoft`],
//! [`provider::github`] (and other) presets that build it. Without a browser on the machine, [`flow::DeviceFlow`] (RFC
//! 8628) shows a URL and a code to enter on another device.
//!
//! ## Keep tokens fresh
//!
//! [`session::SessionManager::access_token`] returns a valid access token,
//! refreshing first when it expires within a minute: once per key however
//! many threads (and, with a file or SQLite store, processes) ask, keeping
//! the old refresh token unless the provider rotated it. When it fails,
//! [`Error::needs_sign_in`] tells "sign in again" from "try again later":
//!
//! ```
//! use std::sync::Arc;
//! use oauthkit::session::SessionManager;
//! use oauthkit::provider::{OAuth2Config, OAuthProvider};
//! use oauthkit::store::MemoryStore;
//!
//! let provider = Arc::new(OAuthProvider::oauth2(OAuth2Config::new(
//!     "idp", "my-app", "https://idp.example/authorize", "https://idp.example/token",
//! ))?);
//! let sessions = SessionManager::new(provider, Arc::new(MemoryStore::new()));
//! match sessions.access_token("alice") {
//!     Ok(token) => println!("Authorization: Bearer <{} bytes>", token.expose().len()),
//!     Err(e) if e.needs_sign_in() => println!("alice must sign in: {e}"),
//!     Err(e) => return Err(e), // network or provider trouble: retry later
//! }
//! # Ok::<(), oauthkit::Error>(())
//! ```
//!
//! [`session::BackgroundRefresh`] keeps keys fresh on a thread of its own;
//! [`session::SessionManager::logout`] revokes and deletes.
//!
//! ## Pick a store
//!
//! | store | for | open with |
//! |---|---|---|
//! | [`store::DefaultStore`] | a desktop app: its own file, encrypted with a key in the OS keyring | `DefaultStore::open("my-app")?` |
//! | [`store::MemoryStore`] | tests, short-lived programs | `store::open("memory:")` |
//! | [`store::JsonFileStore`] | one user's tokens in a JSON file | `store::open("file:/path/tokens.json")` |
//! | `SqliteStore` (feature `sqlite`) | many keys, several processes | `store::open("sqlite:/path/tokens.db")` |
//! | `KeyringStore` (feature `keyring`) | the OS keyring, one secret per key | `store::open("keyring:my-app")` |
//! | `RedisStore`, `MemcacheStore` (features `redis`, `memcache`) | servers sharing tokens | `store::open("redis://host/0")` |
//! | [`store::EncryptedStore`] | any of them, sealed with AES-256-GCM | `?encrypt=env:NAME` on a spec |
//!
//! Every store implements [`TokenStore`]; [`store::ValidatingStore`]
//! refuses expired or under-scoped token sets on the way out:
//!
//! ```
//! use oauthkit::{store, TokenSet, TokenStore};
//! let store = store::open("memory:")?;
//! store.save("alice", &TokenSet::bearer("at").with_refresh_token("rt").with_expires_in(3600))?;
//! assert!(!store.load("alice")?.expect("saved").is_expired(60));
//! # Ok::<(), oauthkit::Error>(())
//! ```
//!
//! ## Deploy mode
//!
//! A web application signs its users in itself: [`web::DeployHandler`]
//! answers `GET /auth/login`, `GET /auth/callback`, `POST /auth/logout` and
//! `GET /auth/status` as a plain function from an `http::Request` to an
//! `http::Response` (the [`web::http`] crate, version 1: mount it in
//! any server, or run [`web::DeployServer`]); pending sign-ins live
//! in a sealed, short-lived cookie, sessions in an `HttpOnly` cookie.
//!
//! ```
//! use std::sync::Arc;
//! use oauthkit::web::{http, DeployHandler, DeployOptions};
//! use oauthkit::provider::{OAuth2Config, OAuthProvider};
//!
//! let provider = Arc::new(OAuthProvider::oauth2(OAuth2Config::new(
//!     "idp", "my-app", "https://idp.example/authorize", "https://idp.example/token",
//! ))?);
//! let store = Arc::new(oauthkit::store::MemoryStore::new());
//! let handler = DeployHandler::new(provider, store, DeployOptions::new("https://app.example"));
//! let login = handler.handle(&http::Request::get("/auth/login").body(()).unwrap());
//! assert_eq!(login.status(), 302); // to the provider, with state and PKCE
//! # Ok::<(), oauthkit::Error>(())
//! ```
//!
//! ## From C, C++, Go and Python
//!
//! The cargo feature `capi` adds the C ABI (`capi` module, `oak_*`
//! functions over opaque handles, status codes, a generated header);
//! Rust programs leave it off and build none of it. `scripts/build-capi.sh
//! --prefix /usr/local` in the repository builds `liboauthkit.so.0`,
//! `liboauthkit.a`, the header, pkg-config and CMake files. A C sign-in:
//!
//! ```c
//! OakProvider *provider; OakStore *store; OakFlow *flow; OakTokenSet *tokens; char *key;
//! oak_provider_oidc("https://idp.example", "my-app", NULL, "openid offline_access", &provider);
//! oak_store_open("file:/home/me/.local/share/my-app/tokens.json", &store);
//! oak_flow_new(provider, store, NULL, &flow);
//! if (oak_flow_run_native(flow, NULL, NULL, &tokens, &key, NULL) != OAK_OK)
//!     fprintf(stderr, "%s\n", oak_last_error_message());
//! ```
//!
//! The repository's `ffi/` folder has the C++ RAII wrapper and the Go
//! package, `python/` the Python package over the same ABI.
//!
//! ## Logging
//!
//! oauthkit logs through the [`log`](https://docs.rs/log) facade: sign-ins
//! started, finished and failed, callbacks refused and why, refreshes
//! (single flight, rotation), JWKS fetches and rate limits, discovery,
//! revocation outcomes, store quarantine, long lock waits, an unavailable
//! keyring. The target is the module path (`oauthkit::session`); no
//! record holds a secret. The library writes to the terminal only through
//! replaceable defaults: the device prompt and the notice hook
//! ([`unversioned::flow::Notice`]).
//! C programs get the records through `oak_set_log_callback`.
//!
//! ## Interoperability
//!
//! Token files, SQLite databases, keyring entries and Redis/memcached keys
//! use the layouts of globus-sdk, pywry and python-oauth2, so programs
//! written with them and programs using oauthkit share tokens:
//!
//! | oauthkit | shares with |
//! |---|---|
//! | [`store::JsonFileStore`], `SqliteStore` (namespace `DEFAULT`) | globus-sdk's `JSONTokenStorage`, `SQLiteTokenStorage` |
//! | `KeyringStore` (default namespace), the [`TokenSet`] JSON | pywry's `KeyringTokenStore`, `OAuthTokenSet` |
//! | `RedisStore` with prefix `pywry` (default namespace) | pywry's `RedisTokenStore` |
//! | [`server`] stores (Redis, memcached, prefix `oauth2`) | python-oauth2's `oauth2.store` |

#![warn(missing_docs)]
#![warn(clippy::missing_errors_doc, clippy::missing_panics_doc)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod backoff;
// The C ABI: C users read the header (include/oauthkit.h) and docs/capi.md,
// so it stays off the Rust docs' front page.
#[cfg(feature = "capi")]
#[doc(hidden)]
pub mod capi;
mod claims;
// A development tool, not a part an application names: its types are
// re-exported under `unversioned::dev_provider`.
#[cfg(feature = "dev-provider")]
pub(crate) mod dev_provider;
mod digest;
pub(crate) mod error;
pub mod flow;
mod hex;
pub(crate) mod jose;
mod log_text;
pub mod provider;
pub(crate) mod random;
pub(crate) mod secret;
pub mod server;
pub mod session;
pub mod store;
pub(crate) mod terminal_text;
pub(crate) mod token;
pub(crate) mod token_chars;
pub mod unversioned;
mod url_text;
pub mod web;

/// What the fuzz targets (`fuzz/`) need beyond the public API; not a public API.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
#[path = "fuzzing.rs"]
pub mod __fuzz;

pub use claims::Claims;
pub use error::{Error, ErrorKind, Result, SignInReason};
pub use secret::Secret;
pub use store::token_store::TokenStore;
pub use token::TokenSet;

/// The README's Rust examples, compiled and run as doc tests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeExamples;
