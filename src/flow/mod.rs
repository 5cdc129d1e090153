//! Sign-in flows: the native loopback flow (RFC 8252), deploy mode and the
//! session manager that keeps stored tokens fresh.
//!
//! | concept | module |
//! |---|---|
//! | [`AuthFlowManager`]: the native flow, timeout and cancel | [`native`] |
//! | [`AuthFlowManager::builder`] and [`NativeOptions`] | [`native_builder`] |
//! | [`DeviceFlow`]: the device authorization grant (RFC 8628) | [`device`] |
//! | the end of every sign-in: userinfo, key, store | `finish` |
//! | the loopback callback server | [`callback_server`] |
//! | checking an authorization response (state, `iss`, `error`) | [`callback`] |
//! | pasting the final redirect URL (SSH) | [`paste`] |
//! | opening the system browser | [`browser`] |
//! | [`Notice`]: what the user must read when no window shows it | [`notice`] |
//! | deploy mode: `/auth/*` routes | [`deploy`] |
//! | short-lived pending sign-ins of deploy mode, sealed in a cookie | [`pending`] |
//! | signing out and what revocation did ([`LogoutReport`]) | [`logout`] |
//! | [`SessionManager`]: fresh access tokens, single-flight refresh | [`session`] |
//! | the background refresh thread | [`background`] |
//! | [`RpLogout`]: revoke, delete, end the provider session | [`rp_logout`] |
//!
//! The repository's [flows guide](https://github.com/oauthkit/oauthkit/blob/main/docs/flows.md) describes
//! the security behaviour in full.

pub mod background;
pub mod browser;
pub mod callback;
pub mod callback_server;
pub mod deploy;
mod deploy_sessions;
pub mod device;
mod finish;
mod host_check;
mod html;
pub mod logout;
pub mod native;
pub mod native_builder;
pub mod notice;
pub mod paste;
pub mod pending;
mod pushed_url;
pub mod rp_logout;
mod sealed_cookie;
pub mod session;
mod state;

pub use background::BackgroundRefresh;
pub use browser::open_system_browser;
pub use callback::{CallbackVerdict, ExpectedCallback};
pub use callback_server::{CallbackServer, CallbackServerOptions, PortChoice, RedirectHost};
pub use deploy::{DeployHandler, DeployOptions, DeployRequest, DeployResponse, DeployServer};
pub use device::{DeviceCancelHandle, DeviceFlow, PollStatus};
pub use logout::{LogoutReport, RevocationFailure, RevocationOutcome};
pub use native::{AuthFlowManager, AuthFlowResult, CallbackMode};
pub use native_builder::{AuthFlowManagerBuilder, NativeOptions};
pub use notice::{Notice, NoticeFn, UrlPurpose};
pub use rp_logout::{LogoutOutcome, RpLogout};
pub use sealed_cookie::CookieKey;
pub use session::SessionManager;
pub use state::AuthFlowState;

/// Escapes text for HTML (`& < > " '`).
pub fn html_escape(s: &str) -> String {
    html::escape(s)
}
