//! The JWT bearer grant (RFC 7523 §2.1) for C programs: tokens for the
//! subject of an assertion the caller has, or of one oauthkit signs with a
//! PEM key. PAR, `private_key_jwt` and the security profile are provider
//! settings (`OAUTHKIT_PAR`, `OAUTHKIT_PRIVATE_KEY`,
//! `OAUTHKIT_SECURITY_PROFILE`, ... through `oak_provider_from_settings`).

use std::ffi::c_char;

use super::boundary::{call, handle, new_handle, opt_str_arg, out, str_arg, OakStatus};
use super::provider::OakProvider;
use super::token_set::OakTokenSet;
use crate::provider::grants::request::GrantRequest;
use crate::provider::settings::signing_key_from_text;
use crate::secret::Secret;
use crate::token::split_scopes;

fn with_scopes(request: GrantRequest, scopes: Option<&str>) -> GrantRequest {
    match scopes {
        Some(s) => request.scopes(split_scopes(s)),
        None => request,
    }
}

/// Trades `assertion` (a signed JWT the caller has) for tokens at
/// `provider`'s token endpoint, with the provider's client authentication.
/// `scopes` separated by spaces (NULL: the provider's). `*out_tokens`
/// receives the tokens (free with `oak_token_set_free`). The provider's
/// refusal is `OAK_ERR_INVALID_GRANT` or `OAK_ERR_OAUTH`; the assertion
/// never appears in `oak_last_error_message()`. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_provider_jwt_bearer(
    provider: *const OakProvider,
    assertion: *const c_char,
    scopes: *const c_char,
    out_tokens: *mut *mut OakTokenSet,
) -> OakStatus {
    call(out(out_tokens, "out_tokens"), |out_tokens| {
        let out_tokens = out_tokens.get()?;
        let provider = &handle(provider, "provider")?.0;
        let assertion = Secret::new(str_arg(assertion, "assertion")?);
        let request = with_scopes(
            GrantRequest::jwt_bearer(assertion),
            opt_str_arg(scopes, "scopes")?,
        );
        *out_tokens = new_handle(OakTokenSet(provider.request_jwt_bearer(&request)?));
        Ok(())
    })
}

/// Like `oak_provider_jwt_bearer` with an assertion oauthkit signs:
/// `key` is a PEM private key or a private JWK, `alg` its algorithm
/// (`RS256`, `PS256`, `ES256`, `EdDSA`; NULL: worked out from the key),
/// `kid` (NULL: none), `issuer` and `subject` the assertion's `iss` and
/// `sub`, `audience` its `aud` (NULL: the provider's issuer, else its
/// token endpoint). Each call signs a fresh assertion (new `jti`, valid
/// 5 minutes). The key never appears in `oak_last_error_message()`. Any
/// thread.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn oak_provider_jwt_bearer_signed(
    provider: *const OakProvider,
    key: *const c_char,
    alg: *const c_char,
    kid: *const c_char,
    issuer: *const c_char,
    subject: *const c_char,
    audience: *const c_char,
    scopes: *const c_char,
    out_tokens: *mut *mut OakTokenSet,
) -> OakStatus {
    call(out(out_tokens, "out_tokens"), |out_tokens| {
        let out_tokens = out_tokens.get()?;
        let provider = &handle(provider, "provider")?.0;
        let alg = opt_str_arg(alg, "alg")?.map(str::parse).transpose()?;
        let mut signing_key = signing_key_from_text(str_arg(key, "key")?, alg)?;
        if let Some(k) = opt_str_arg(kid, "kid")? {
            signing_key = signing_key.with_kid(k);
        }
        let mut request = GrantRequest::jwt_bearer_signed(
            signing_key,
            str_arg(issuer, "issuer")?,
            str_arg(subject, "subject")?,
        );
        if let Some(a) = opt_str_arg(audience, "audience")? {
            request = request.assertion_audience(a);
        }
        let request = with_scopes(request, opt_str_arg(scopes, "scopes")?);
        *out_tokens = new_handle(OakTokenSet(provider.request_jwt_bearer(&request)?));
        Ok(())
    })
}
