//! `OakDevProvider`: the loopback development OpenID provider and its
//! headless browser, for C programs' offline development and tests.
//!
//! Always declared; without the cargo feature `dev-provider` every
//! function answers `OAK_ERR_UNSUPPORTED`. Threads: any thread may call any
//! of these functions, also concurrently on one handle; only
//! `oak_dev_provider_free` needs that no other call uses the handle.

use std::ffi::c_char;
use std::time::Duration;

use super::boundary::{call, free_handle, handle, new_handle, out, str_arg, OakStatus};
use super::strings::put;
use imp::{DevProvider, DevProviderOptions, HeadlessBrowser};

#[cfg(feature = "dev-provider")]
mod imp {
    pub use crate::dev_provider::{DevProvider, DevProviderOptions, HeadlessBrowser};
}

/// Stand-ins with the same surface that refuse to run, so that the entry
/// points (and the header) are the same in every build.
#[cfg(not(feature = "dev-provider"))]
mod imp {
    use std::convert::Infallible;
    use std::time::Duration;

    use crate::error::Result;

    fn unsupported<T>() -> Result<T> {
        Err(crate::feature_off!(
            "the dev provider",
            "start",
            "dev-provider"
        ))
    }

    #[derive(Default)]
    pub struct DevProviderOptions {
        _stand_in: (),
    }

    impl DevProviderOptions {
        pub fn auto_approve(self, _: bool) -> Self {
            self
        }
        pub fn rotate_refresh_tokens(self, _: bool) -> Self {
            self
        }
        pub fn access_token_ttl(self, _: Duration) -> Self {
            self
        }
    }

    pub struct DevProvider(Infallible);

    impl DevProvider {
        pub fn start(_: DevProviderOptions) -> Result<Self> {
            unsupported()
        }
        pub fn issuer(&self) -> &str {
            match self.0 {}
        }
        pub fn client_id(&self) -> &str {
            match self.0 {}
        }
        pub fn token_requests(&self, _: &str) -> usize {
            match self.0 {}
        }
        pub fn is_token_active(&self, _: &str) -> bool {
            match self.0 {}
        }
    }

    pub struct HeadlessBrowser;

    impl HeadlessBrowser {
        pub fn approve(_: &str) -> Result<()> {
            unsupported()
        }
        pub fn deny(_: &str) -> Result<()> {
            unsupported()
        }
    }
}

/// An opaque handle on a running development OpenID provider on
/// `127.0.0.1`. Free it with `oak_dev_provider_free`, which stops it.
pub struct OakDevProvider(DevProvider);

/// Starts a development OpenID provider on a free loopback port. With
/// `auto_approve` the authorization endpoint approves at once, else it
/// shows an approve page (which `oak_dev_browser_approve` presses).
/// `access_token_ttl_secs` sets the access token lifetime (0: one hour);
/// `rotate_refresh_tokens` makes each refresh issue a new refresh token.
/// `OAK_ERR_UNSUPPORTED` without the `dev-provider` feature. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_dev_provider_start(
    auto_approve: bool,
    access_token_ttl_secs: u64,
    rotate_refresh_tokens: bool,
    out_provider: *mut *mut OakDevProvider,
) -> OakStatus {
    call(out(out_provider, "out_provider"), |out_provider| {
        let out_provider = out_provider.get()?;
        let mut options = DevProviderOptions::default()
            .auto_approve(auto_approve)
            .rotate_refresh_tokens(rotate_refresh_tokens);
        if access_token_ttl_secs > 0 {
            options = options.access_token_ttl(Duration::from_secs(access_token_ttl_secs));
        }
        *out_provider = new_handle(OakDevProvider(DevProvider::start(options)?));
        Ok(())
    })
}

/// Stops the development provider and frees the handle. NULL is a no-op.
/// Any thread, once no other call uses the handle.
#[no_mangle]
pub unsafe extern "C" fn oak_dev_provider_free(provider: *mut OakDevProvider) {
    free_handle(provider)
}

/// Copies the provider's issuer URL (`http://127.0.0.1:PORT`) to `*out`
/// (free with `oak_string_free`). Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_dev_provider_issuer(
    provider: *const OakDevProvider,
    out_issuer: *mut *mut c_char,
) -> OakStatus {
    call(out(out_issuer, "out_issuer"), |out_issuer| {
        put(out_issuer.get()?, handle(provider, "provider")?.0.issuer())
    })
}

/// Copies the client ID the provider has registered (a public native
/// client accepting any loopback redirect URI) to `*out`. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_dev_provider_client_id(
    provider: *const OakDevProvider,
    out_client_id: *mut *mut c_char,
) -> OakStatus {
    call(out(out_client_id, "out_client_id"), |out_client_id| {
        put(
            out_client_id.get()?,
            handle(provider, "provider")?.0.client_id(),
        )
    })
}

/// Writes how many token requests of `grant_type` (`"authorization_code"`,
/// `"refresh_token"`) the provider has answered. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_dev_provider_token_requests(
    provider: *const OakDevProvider,
    grant_type: *const c_char,
    out_count: *mut u64,
) -> OakStatus {
    call(out(out_count, "out_count"), |out_count| {
        let out_count = out_count.get()?;
        *out_count = handle(provider, "provider")?
            .0
            .token_requests(str_arg(grant_type, "grant_type")?) as u64;
        Ok(())
    })
}

/// Writes whether `token` (access or refresh) is active: issued and
/// neither expired nor revoked. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_dev_provider_is_token_active(
    provider: *const OakDevProvider,
    token: *const c_char,
    out_active: *mut bool,
) -> OakStatus {
    call(out(out_active, "out_active"), |out_active| {
        let out_active = out_active.get()?;
        *out_active = handle(provider, "provider")?
            .0
            .is_token_active(str_arg(token, "token")?);
        Ok(())
    })
}

/// A headless stand-in for the user's browser (loopback `http://` URLs
/// only): opens `authorize_url` on the development provider, approves, and
/// follows the redirect to the flow's callback. Blocks until the callback
/// answered, so call it from another thread than the one running
/// `oak_flow_run_native` (e.g. a thread the browser callback starts).
/// Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_dev_browser_approve(authorize_url: *const c_char) -> OakStatus {
    call((), |()| {
        HeadlessBrowser::approve(str_arg(authorize_url, "authorize_url")?).map(drop)
    })
}

/// Like `oak_dev_browser_approve` but presses "Deny": the flow then fails
/// with the provider's `access_denied`. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_dev_browser_deny(authorize_url: *const c_char) -> OakStatus {
    call((), |()| {
        HeadlessBrowser::deny(str_arg(authorize_url, "authorize_url")?).map(drop)
    })
}
