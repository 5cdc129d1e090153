//! Sign-in flows: the native loopback flow (RFC 8252) and the device flow;
//! deploy mode lives in [`crate::web`]. The
//! session manager that keeps stored tokens fresh, background refresh and
//! sign-out live in [`crate::session`].
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
//! | [`RpLogout`]: revoke, delete, end the provider session | [`rp_logout`] |
//!
//! The repository's [flows guide](https://github.com/oauthkit/oauthkit/blob/main/docs/flows.md) describes
//! the security behaviour in full.

pub mod browser;
pub mod callback;
pub mod callback_server;
pub mod device;
pub(crate) mod finish;
mod host_check;
pub(crate) mod html;
pub mod native;
pub mod native_builder;
mod native_options;
pub mod notice;
pub mod paste;
pub(crate) mod pushed_url;
pub mod rp_logout;
mod sign_in_result;
mod state;

pub use browser::open_system_browser;
pub use callback::{CallbackVerdict, ExpectedCallback};
pub use callback_server::{CallbackServer, CallbackServerOptions, PortChoice, RedirectHost};
pub use device::{DeviceCancelHandle, DeviceFlow, PollStatus};
pub use native::{AuthFlowManager, CallbackMode};
pub use native_builder::AuthFlowManagerBuilder;
pub use native_options::NativeOptions;
pub use notice::{Notice, NoticeFn, UrlPurpose};
pub use rp_logout::{LogoutOutcome, RpLogout};
pub use sign_in_result::AuthFlowResult;
pub use state::AuthFlowState;

/// Escapes text for HTML (`& < > " '`).
pub fn html_escape(s: &str) -> String {
    html::escape(s)
}
