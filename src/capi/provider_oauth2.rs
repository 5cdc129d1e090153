//! `oak_provider_oauth2`: a plain OAuth 2.0 provider (no OpenID Connect:
//! no discovery, no ID token) with explicit endpoints, for C programs.

use std::ffi::c_char;

use super::boundary::{call, opt_str_arg, out, str_arg, OakStatus};
use super::provider::OakProvider;
use crate::provider::{ProviderKind, ProviderSettings};
use crate::secret::Secret;

/// Makes a plain OAuth 2.0 provider (its name is `"custom"`): the user
/// signs in at `authorize_url`, codes and refresh tokens are redeemed at
/// `token_url`. `revocation_url` (RFC 7009) and `userinfo_url` may be NULL
/// (then `oak_provider_revoke` reports not revoked and userinfo is
/// `null`). `client_secret` NULL or empty: a public client (PKCE only).
/// `scopes` space-separated, NULL: none. HTTPS is required except for
/// loopback hosts; a bad URL is `OAK_ERR_INVALID_ARGUMENT` naming it.
/// Tokens have no identity unless a userinfo endpoint gives one, so a
/// flow should set a token key (`oak_flow_set_token_key`). For timeouts,
/// CA bundles and trust stores use `oak_provider_from_settings` with
/// `OAUTHKIT_PROVIDER=custom`. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_provider_oauth2(
    authorize_url: *const c_char,
    token_url: *const c_char,
    revocation_url: *const c_char,
    userinfo_url: *const c_char,
    client_id: *const c_char,
    client_secret: *const c_char,
    scopes: *const c_char,
    out_provider: *mut *mut OakProvider,
) -> OakStatus {
    call(out(out_provider, "out_provider"), |out_provider| {
        let out_provider = out_provider.get()?;
        let mut s = ProviderSettings::new(ProviderKind::Custom, str_arg(client_id, "client_id")?);
        s.authorize_url = Some(str_arg(authorize_url, "authorize_url")?.to_owned());
        s.token_url = Some(str_arg(token_url, "token_url")?.to_owned());
        s.revocation_url = opt_str_arg(revocation_url, "revocation_url")?.map(str::to_owned);
        s.userinfo_url = opt_str_arg(userinfo_url, "userinfo_url")?.map(str::to_owned);
        s.client_secret = opt_str_arg(client_secret, "client_secret")?.map(Secret::new);
        s.scopes = Some(
            opt_str_arg(scopes, "scopes")?
                .unwrap_or("")
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
        );
        *out_provider = OakProvider::into_raw(std::sync::Arc::new(s.build()?));
        Ok(())
    })
}
