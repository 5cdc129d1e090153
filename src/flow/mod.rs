//! Sign-in flows: the native loopback flow (RFC 8252) and the device flow;
//! deploy mode lives in [`crate::web`]. The
//! session manager that keeps stored tokens fresh, background refresh and
//! sign-out live in [`crate::session`].
//!
//! | concept | names |
//! |---|---|
//! | the native flow, timeout and cancel | [`AuthFlowManager`], [`AuthFlowManager::builder`], [`NativeOptions`] |
//! | the device authorization grant (RFC 8628) | [`DeviceFlow`] |
//! | what a sign-in returns | [`AuthFlowResult`] |
//! | revoke, delete, end the provider session | [`RpLogout`] (it returns a [`LogoutReport`](crate::session::LogoutReport)) |
//!
//! The loopback callback server, the callback checks (state, `iss`,
//! `error`), pasting the final redirect URL (SSH), opening the system
//! browser and what the user must read when no window shows it (the
//! `Notice` a `.notice(..)` hook gets) are in
//! [`unversioned::flow`](crate::unversioned::flow).
//!
//! The repository's [flows guide](https://github.com/oauthkit/oauthkit/blob/main/docs/flows.md) describes
//! the security behaviour in full.

pub(crate) mod browser;
pub(crate) mod callback;
pub(crate) mod callback_server;
pub(crate) mod device;
pub(crate) mod finish;
mod host_check;
pub(crate) mod html;
pub(crate) mod native;
pub(crate) mod native_builder;
mod native_options;
pub(crate) mod notice;
pub(crate) mod paste;
pub(crate) mod pushed_url;
pub(crate) mod rp_logout;
mod sign_in_result;
pub(crate) mod state;

// What an application names; the rest is in `crate::unversioned::flow`.
pub use device::DeviceFlow;
pub use native::AuthFlowManager;
pub use native_builder::AuthFlowManagerBuilder;
pub use native_options::NativeOptions;
pub use rp_logout::RpLogout;
pub use sign_in_result::AuthFlowResult;

/// Escapes text for HTML (`& < > " '`).
#[cfg(feature = "dev-provider")]
pub(crate) fn html_escape(s: &str) -> String {
    html::escape(s)
}
