//! The C ABI: `extern "C"` functions over opaque handles, declared in the
//! generated header `include/oauthkit.h`.
//!
//! This module is a thin translation layer with no logic of its own: each
//! entry point converts its arguments, calls the Rust API and reports the
//! outcome through [`boundary::call`], which also contains panics.
//!
//! The contract every function follows (the repository's
//! [C ABI guide](https://github.com/oauthkit/oauthkit/blob/main/docs/capi.md) has more):
//!
//! - It returns an [`OakStatus`]; `OAK_OK` (0) is success. On failure
//!   `oak_last_error_message()` gives the reason on the calling thread.
//! - NULL where a value is required, or a string that is not UTF-8, is
//!   `OAK_ERR_INVALID_ARGUMENT`, never a crash. Out-parameters are set to
//!   NULL/0/false before any argument is checked (and again when the call
//!   fails), so a failed call leaves no dangling or stale value.
//! - Whoever allocates frees: strings from `oak_string_free`, string
//!   arrays from `oak_string_array_free`, each handle from its own
//!   `oak_X_free`. Freeing NULL is a no-op.
//! - Pointers passed in must be NULL or valid: a handle this library made
//!   and has not freed, a NUL-terminated string, a writable out-parameter.
//!   (That is the whole safety contract of the `unsafe` functions below.)
//!
//! Called from Rust the way C calls it:
//!
//! ```
//! use oauthkit::capi::{store::*, strings::*, OakStatus};
//! let mut store = std::ptr::null_mut();
//! assert_eq!(unsafe { oak_store_open(c"memory:".as_ptr(), &mut store) }, OakStatus::OAK_OK);
//! let mut exists = true;
//! let status = unsafe { oak_store_exists(store, c"alice".as_ptr(), &mut exists) };
//! assert_eq!((status, exists), (OakStatus::OAK_OK, false));
//! // NULL is an invalid argument, never a crash:
//! let status = unsafe { oak_store_exists(store, std::ptr::null(), &mut exists) };
//! assert_eq!(status, OakStatus::OAK_ERR_INVALID_ARGUMENT);
//! let message = unsafe { std::ffi::CStr::from_ptr(oak_last_error_message()) };
//! assert_eq!(message.to_str().unwrap(), "invalid argument: key is NULL");
//! unsafe { oak_store_free(store) };
//! ```
//!
//! Rust programs do not need this module: it exists only with the cargo
//! feature `capi`, which `scripts/build-capi.sh` turns on to build the C
//! libraries. With it on, the header and the symbols are the same whatever
//! other features are on (a function whose feature is off answers
//! `OAK_ERR_UNSUPPORTED`).

#![allow(clippy::missing_safety_doc)]

use std::ffi::c_char;

pub mod background;
pub mod boundary;
pub mod callback_store;
pub mod claims;
pub mod client_credentials;
pub mod deploy;
pub mod dev_provider;
pub mod device;
pub mod dpop;
pub mod flow;
pub mod flow_options;
pub mod jwt_bearer;
pub mod log;
pub mod logout;
pub mod provider;
pub mod provider_oauth2;
pub mod provider_settings;
mod server_side;
pub mod server_store;
pub mod session;
pub mod store;
pub mod strings;
pub mod token_exchange;
pub mod token_set;
pub mod validating_store;

pub use boundary::OakStatus;
pub use claims::OakClaims;
pub use dev_provider::OakDevProvider;
pub use device::OakDeviceFlow;
pub use flow::{OakFlow, OakFlowState};
pub use log::OakLogLevel;
pub use provider::{OakProvider, OakTokenHint};
pub use session::OakSession;
pub use store::OakStore;
pub use token_set::OakTokenSet;

/// The version of the C ABI this header describes. It grows by one whenever
/// functions or constants are added; nothing is ever removed or changed, so
/// a program built against version N runs with any library whose
/// `oak_abi_version()` is N or more.
pub const OAK_ABI_VERSION: u32 = 4;

/// The ABI version of the loaded library (compare with `OAK_ABI_VERSION`
/// from the header you compiled against). Any thread.
#[no_mangle]
pub extern "C" fn oak_abi_version() -> u32 {
    OAK_ABI_VERSION
}

/// The library's version, e.g. `"0.1.0"`: a static string, never NULL,
/// never to be freed. Any thread.
#[no_mangle]
pub extern "C" fn oak_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}
