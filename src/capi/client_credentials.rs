//! The client credentials grant for C programs: a cached service token
//! from a session, renewed ahead of expiry, one token request per key
//! however many threads and processes ask.

use std::ffi::c_char;

use super::boundary::{call, handle, new_handle, opt_out, opt_str_arg, out, OakStatus};
use super::session::OakSession;
use super::strings::to_c;
use super::token_set::OakTokenSet;
use crate::provider::grants::request::GrantRequest;
use crate::token::split_scopes;

/// A client-credentials token set from `session`'s provider (a
/// confidential client): `scopes` separated by spaces (NULL: the
/// provider's), `resource` an RFC 8707 resource indicator (NULL: none),
/// `audience` (NULL: none). The cached token is returned while it does not
/// expire within the session's margin; otherwise one grant runs (others
/// asking for the same key wait for it). `*out_tokens` receives the tokens
/// (free with `oak_token_set_free`), `*out_key` (may be NULL) the store key
/// they are cached under (free with `oak_string_free`). A public client or
/// a bad resource is `OAK_ERR_INVALID_ARGUMENT`; the provider's refusal
/// `OAK_ERR_OAUTH`. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_session_client_credentials(
    session: *const OakSession,
    scopes: *const c_char,
    resource: *const c_char,
    audience: *const c_char,
    out_tokens: *mut *mut OakTokenSet,
    out_key: *mut *mut c_char,
) -> OakStatus {
    call(
        (out(out_tokens, "out_tokens"), opt_out(out_key)),
        |(out_tokens, out_key)| {
            let out_tokens = out_tokens.get()?;
            let sessions = &handle(session, "session")?.0;
            let mut request = GrantRequest::client_credentials();
            if let Some(s) = opt_str_arg(scopes, "scopes")? {
                request = request.scopes(split_scopes(s));
            }
            if let Some(r) = opt_str_arg(resource, "resource")? {
                request = request.resource(r);
            }
            if let Some(a) = opt_str_arg(audience, "audience")? {
                request = request.audience(a);
            }
            let tokens = sessions.client_credentials_token(&request)?;
            if out_key.wanted() {
                out_key.set(to_c(&sessions.client_credentials_key(&request)?)?);
            }
            *out_tokens = new_handle(OakTokenSet(tokens));
            Ok(())
        },
    )
}
