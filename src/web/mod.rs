//! Deploy mode: a web application serves the sign-in itself.
//!
//! | concept | module |
//! |---|---|
//! | [`DeployHandler`], [`DeployServer`], [`DeployOptions`]: the `/auth/*` routes, from an [`http::Request`] to an [`http::Response`] | `handler` |
//! | reading a request: the checked headers, refusing repeated or non-text ones | `request` |
//! | [`PendingSignIns`](crate::unversioned::web::PendingSignIns): short-lived pending sign-ins, sealed in the login cookie | `pending` |
//! | sessions and used callbacks shared through the token store | `sessions` |
//! | sealing cookie values (AES-256-GCM-SIV) with [`DeployOptions::cookie_key`] | `cookie` |
//!
//! The native loopback flow, the device flow and the callback checks they
//! share with deploy mode live in [`crate::flow`]. The repository's
//! [deploy guide](https://github.com/oauthkit/oauthkit/blob/main/docs/deploy.md)
//! describes running it across instances.

mod cookie;
pub(crate) mod handler;
pub(crate) mod pending;
pub(crate) mod request;
mod sessions;

// What an application names; the rest is in `crate::unversioned::web`.
pub use handler::{DeployHandler, DeployOptions, DeployServer};

/// The [`http`](https://docs.rs/http/1) crate (version 1) whose
/// `Request` and `Response` [`DeployHandler::handle`] takes and gives:
/// name it here and no matching dependency is needed. A server built on
/// `http` 1 (hyper 1, axum 0.7+, ...) passes its requests as they are.
pub use ::http;
