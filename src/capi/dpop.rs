//! DPoP (RFC 9449) from C: the header values for the application's own API
//! calls with a session's DPoP-bound tokens, the resource server's nonce,
//! and whether a provider uses DPoP. DPoP is turned on for a provider with
//! the `OAUTHKIT_DPOP` setting (`ES256`, `EdDSA`, `RS256`, `PS256`, `on`,
//! `off`) of `oak_provider_from_settings` / `oak_provider_from_env`.
//!
//! Threads: every function may be called from any thread, also
//! concurrently on one handle.

use std::ffi::c_char;

use super::boundary::{call, handle, opt_str_arg, out, str_arg, OakStatus};
use super::provider::OakProvider;
use super::session::OakSession;
use super::strings::{put, to_c};

/// Writes the `Authorization` header value (`DPoP <access token>`) to
/// `*out_authorization` and the `DPoP` header value (a new proof for
/// `method` on `url`) to `*out_dpop`, for the tokens of `key` (refreshed
/// first when they expire within a minute, with the same key). Free both
/// with `oak_string_free` (which zeroes them). Tokens that are not
/// DPoP-bound are `OAK_ERR_INVALID_ARGUMENT`; no tokens for `key` is
/// `OAK_ERR_NOT_FOUND`. Send the request with both headers, then pass its
/// status and headers to `oak_dpop_record_nonce`. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_dpop_headers(
    session: *const OakSession,
    key: *const c_char,
    method: *const c_char,
    url: *const c_char,
    out_authorization: *mut *mut c_char,
    out_dpop: *mut *mut c_char,
) -> OakStatus {
    call(
        (
            out(out_authorization, "out_authorization"),
            out(out_dpop, "out_dpop"),
        ),
        |(out_authorization, out_dpop)| {
            let (out_authorization, out_dpop) = (out_authorization.get()?, out_dpop.get()?);
            let headers = handle(session, "session")?.0.dpop_headers(
                str_arg(key, "key")?,
                str_arg(method, "method")?,
                str_arg(url, "url")?,
            )?;
            let authorization = to_c(headers.authorization())?;
            put(out_dpop, headers.dpop())?;
            *out_authorization = authorization;
            Ok(())
        },
    )
}

/// Records a resource server's answer to a DPoP request to `url`: its
/// `DPoP-Nonce` header `dpop_nonce` (NULL when absent) is kept for the
/// URL's origin. `*out_retry` tells whether to send the request once more
/// with new headers from `oak_dpop_headers` (a 401 whose
/// `WWW-Authenticate`, `www_authenticate` or NULL, asks for a nonce with
/// `error="use_dpop_nonce"`). Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_dpop_record_nonce(
    session: *const OakSession,
    url: *const c_char,
    status: u16,
    www_authenticate: *const c_char,
    dpop_nonce: *const c_char,
    out_retry: *mut bool,
) -> OakStatus {
    call(out(out_retry, "out_retry"), |out_retry| {
        let out_retry = out_retry.get()?;
        *out_retry = handle(session, "session")?.0.record_dpop_nonce(
            str_arg(url, "url")?,
            status,
            opt_str_arg(www_authenticate, "www_authenticate")?,
            opt_str_arg(dpop_nonce, "dpop_nonce")?,
        );
        Ok(())
    })
}

/// Writes the DPoP algorithm of `provider` (`"ES256"`, `"EdDSA"`,
/// `"RS256"`, `"PS256"`) to `*out_algorithm` (free it with
/// `oak_string_free`), or NULL when the provider does not use DPoP. Any
/// thread.
#[no_mangle]
pub unsafe extern "C" fn oak_provider_dpop_algorithm(
    provider: *const OakProvider,
    out_algorithm: *mut *mut c_char,
) -> OakStatus {
    call(out(out_algorithm, "out_algorithm"), |out_algorithm| {
        let out_algorithm = out_algorithm.get()?;
        let provider = &handle(provider, "provider")?.0;
        if let Some(c) = provider.dpop() {
            put(out_algorithm, c.key_algorithm().as_str())?;
        }
        Ok(())
    })
}
