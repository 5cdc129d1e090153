//! [`NativeOptions`]: how one [`AuthFlowManager::run_native`](crate::flow::AuthFlowManager::run_native) shows the
//! authorization URL (the system browser, an application's own window).

use crate::error::Result;

/// A function that shows the authorization URL (an application's own
/// window, a test's headless browser).
pub(crate) type OpenBrowserHook<'a> = Box<dyn Fn(&str) -> Result<()> + 'a>;

/// How one [`AuthFlowManager::run_native`](crate::flow::AuthFlowManager::run_native) shows the authorization
/// URL. `NativeOptions::new()` (or `default()`) is the system browser,
/// with the URL handed to the notice hook when none opens.
///
/// ```no_run
/// use oauthkit::flow::{AuthFlowManager, NativeOptions};
/// # fn provider() -> std::sync::Arc<dyn oauthkit::provider::Provider> { unimplemented!() }
/// let flow = AuthFlowManager::new(provider());
/// let options = NativeOptions::new()
///     .open_browser(|url| {
///         println!("open {url} in the app's window");
///         Ok(())
///     })
///     .close_window(|| println!("close the app's window"));
/// flow.run_native(options)?;
/// # Ok::<(), oauthkit::Error>(())
/// ```
#[derive(Default)]
#[must_use]
pub struct NativeOptions<'a> {
    pub(crate) open_browser: Option<OpenBrowserHook<'a>>,
    pub(crate) close_window: Option<Box<dyn Fn() + 'a>>,
}

impl std::fmt::Debug for NativeOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NativeOptions")
            .field("open_browser", &self.open_browser.is_some())
            .field("close_window", &self.close_window.is_some())
            .finish()
    }
}

impl<'a> NativeOptions<'a> {
    /// The system browser, no window to close.
    pub fn new() -> Self {
        Self::default()
    }

    /// Shows the authorization URL with `open` instead of the system
    /// browser. An error from it ends the sign-in and is what
    /// [`run_native`](crate::flow::AuthFlowManager::run_native) returns.
    pub fn open_browser(mut self, open: impl Fn(&str) -> Result<()> + 'a) -> Self {
        self.open_browser = Some(Box::new(open));
        self
    }

    /// Called once the callback has arrived or the flow has ended,
    /// whatever the outcome (to close an application's window).
    pub fn close_window(mut self, close: impl Fn() + 'a) -> Self {
        self.close_window = Some(Box::new(close));
        self
    }
}
