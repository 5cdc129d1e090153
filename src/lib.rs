//! # oauthkit
//!
//! OAuth 2.0 and OpenID Connect for native applications, blocking and
//! runtime-free, with token stores and a stable C ABI.
//!
//! The crate has four parts (see `docs/ARCHITECTURE.md`):
//!
//! 1. [`store`]: the [`TokenStore`] trait and its backends (memory, JSON
//!    file, SQLite, OS keyring, ...), and a validating wrapper.
//! 2. `provider`: authorization URLs, PKCE, code exchange, refresh,
//!    userinfo, revocation, OIDC discovery and ID-token validation.
//! 3. `flow`: the native loopback sign-in, deploy mode and the session
//!    manager that keeps tokens fresh.
//! 4. `capi` (feature `capi`): the C ABI over all of it. Rust programs
//!    leave it off; the C libraries are built with `scripts/build-capi.sh`.
//!
//! ```
//! use oauthkit::{store::MemoryStore, TokenSet, TokenStore};
//! let store = MemoryStore::new();
//! store.save("alice", &TokenSet::bearer("at").with_expires_in(3600)).unwrap();
//! assert!(!store.load("alice").unwrap().unwrap().is_expired(60));
//! ```

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "capi")]
#[cfg_attr(docsrs, doc(cfg(feature = "capi")))]
pub mod capi;
#[cfg(feature = "dev-provider")]
#[cfg_attr(docsrs, doc(cfg(feature = "dev-provider")))]
pub mod dev_provider;
pub mod error;
pub mod flow;
mod log_text;
pub mod provider;
pub mod secret;
pub mod server;
pub mod store;
pub mod token;

/// Entry points for the fuzz targets (`fuzz/`); not a public API.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
#[path = "fuzzing/mod.rs"]
pub mod __fuzz;

pub use error::{Error, ErrorKind, IdTokenError, Report, Result, SignInReason, ValidationError};
pub use secret::Secret;
pub use store::TokenStore;
pub use token::TokenSet;

/// The README's Rust examples, compiled and run as doc tests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeExamples;
