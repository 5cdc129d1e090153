//! Deploy mode: a web application serves the sign-in itself.
//!
//! | concept | module |
//! |---|---|
//! | [`DeployHandler`], [`DeployServer`], [`DeployOptions`], [`DeployRequest`], [`DeployResponse`]: the `/auth/*` routes | `handler` |
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
mod sessions;

// What an application names; the rest is in `crate::unversioned::web`.
#[cfg(feature = "capi")]
pub(crate) use handler::forwarded_origin;
pub use handler::{DeployHandler, DeployOptions, DeployRequest, DeployResponse, DeployServer};
