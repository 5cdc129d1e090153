//! Token exchange (RFC 8693) for C programs: trade a subject token (and
//! optionally an actor token) for another token at the provider's token
//! endpoint, with the provider's client authentication.

use std::ffi::c_char;

use super::boundary::{call, handle, new_handle, opt_out, opt_str_arg, out, str_arg, OakStatus};
use super::provider::OakProvider;
use super::strings::to_c;
use super::token_set::OakTokenSet;
use crate::error::{Error, Result};
use crate::provider::grants::request::GrantRequest;
use crate::token::split_scopes;

/// `count` strings from `items` (NULL allowed when `count` is 0).
unsafe fn strings<'a>(
    items: *const *const c_char,
    count: usize,
    what: &str,
) -> Result<Vec<&'a str>> {
    if count == 0 {
        return Ok(Vec::new());
    }
    if items.is_null() {
        return Err(Error::InvalidArgument(format!(
            "{what} is NULL while its count is {count}"
        )));
    }
    (0..count)
        .map(|i| str_arg(*items.add(i), &format!("{what}[{i}]")))
        .collect()
}

/// Exchanges `subject_token` of type `subject_token_type` (an RFC 8693
/// token type URI, e.g. `urn:ietf:params:oauth:token-type:access_token`)
/// at `provider`'s token endpoint. Optional (NULL / 0: not sent):
/// `actor_token` with `actor_token_type` (delegation), `audience_count`
/// audiences from `audiences`, `resource_count` RFC 8707 resources from
/// `resources`, `scopes` separated by spaces, `requested_token_type`.
///
/// `*out_tokens` receives the issued token in its `access_token` (free
/// with `oak_token_set_free`); its `token_type` is `"N_A"` when the
/// provider says the token is not an access token (RFC 8693 §2.2.1: do not
/// send it as a Bearer token). `*out_issued_token_type` (may be NULL)
/// receives what was issued (free with `oak_string_free`).
///
/// A type that is not a URI, an empty token, or a resource with a fragment
/// is `OAK_ERR_INVALID_ARGUMENT` before any request; the provider's refusal
/// `OAK_ERR_OAUTH` (`invalid_target`, `invalid_request`, ...) or
/// `OAK_ERR_INVALID_GRANT` (a subject token it does not accept); a
/// provider type without a token endpoint `OAK_ERR_UNSUPPORTED`. The
/// tokens never appear in `oak_last_error_message`. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_token_exchange(
    provider: *const OakProvider,
    subject_token: *const c_char,
    subject_token_type: *const c_char,
    actor_token: *const c_char,
    actor_token_type: *const c_char,
    audiences: *const *const c_char,
    audience_count: usize,
    resources: *const *const c_char,
    resource_count: usize,
    scopes: *const c_char,
    requested_token_type: *const c_char,
    out_tokens: *mut *mut OakTokenSet,
    out_issued_token_type: *mut *mut c_char,
) -> OakStatus {
    call(
        (
            out(out_tokens, "out_tokens"),
            opt_out(out_issued_token_type),
        ),
        |(out_tokens, out_issued)| {
            let out_tokens = out_tokens.get()?;
            let provider = &handle(provider, "provider")?.0;
            let mut request = GrantRequest::token_exchange(
                str_arg(subject_token, "subject_token")?,
                str_arg(subject_token_type, "subject_token_type")?,
            );
            match (
                opt_str_arg(actor_token, "actor_token")?,
                opt_str_arg(actor_token_type, "actor_token_type")?,
            ) {
                (Some(t), Some(ty)) => request = request.actor_token(t, ty),
                (None, None) => {}
                _ => {
                    return Err(Error::InvalidArgument(
                        "actor_token and actor_token_type go together".into(),
                    ))
                }
            }
            for a in strings(audiences, audience_count, "audiences")? {
                request = request.audience(a);
            }
            for r in strings(resources, resource_count, "resources")? {
                request = request.resource(r);
            }
            if let Some(s) = opt_str_arg(scopes, "scopes")? {
                request = request.scopes(split_scopes(s));
            }
            if let Some(t) = opt_str_arg(requested_token_type, "requested_token_type")? {
                request = request.requested_token_type(t);
            }
            let tokens = provider.exchange_token(&request)?;
            if out_issued.wanted() {
                out_issued.set(to_c(tokens.issued_token_type().unwrap_or_default())?);
            }
            *out_tokens = new_handle(OakTokenSet(tokens));
            Ok(())
        },
    )
}
