//! The last step every interactive sign-in shares: user info, the key the
//! tokens are stored under, and the store write. The native flow
//! ([`AuthFlowManager`](super::AuthFlowManager)) and the device flow
//! ([`DeviceFlow`](super::DeviceFlow)) both end here, so their results are
//! stored and returned the same way.

use super::sign_in_result::AuthFlowResult;
use crate::claims::Claims;
use crate::error::Result;
use crate::provider::{Provider, UserinfoRequest};
use crate::store::TokenStore;
use crate::token::TokenSet;

/// Fetches user info (when asked and the provider has it), picks the key
/// (`token_key`, else the identity's `sub`, else userinfo `sub`/`id`/
/// `login`/`email`, else `default`), saves the tokens when there is a store
/// and returns the result.
pub(crate) fn complete_sign_in(
    provider: &dyn Provider,
    mut tokens: TokenSet,
    fetch_userinfo: bool,
    token_key: Option<&str>,
    store: Option<&dyn TokenStore>,
) -> Result<AuthFlowResult> {
    let user_info = if fetch_userinfo {
        // a userinfo failure does not undo a sign-in that succeeded
        provider
            .get_userinfo(&UserinfoRequest::of(&tokens))
            .ok()
            .flatten()
    } else {
        None
    };
    if tokens.identity_id.is_none() {
        tokens.identity_id = user_info.as_ref().and_then(Claims::subject_id);
    }
    let key = token_key
        .map(str::to_owned)
        .or_else(|| tokens.identity_id.clone())
        .unwrap_or_else(|| "default".to_string());
    if let Some(store) = store {
        store.save(&key, &tokens)?;
    }
    let refresh_token_advice = advice_without_refresh_token(provider, &tokens);
    Ok(AuthFlowResult {
        tokens,
        user_info,
        key,
        refresh_token_advice,
    })
}

/// Refuses, before the browser opens, a DPoP sign-in whose tokens would go
/// to a store that cannot hold their private key: the store would refuse
/// them only after the user signed in and consented.
pub(crate) fn refuse_unprotected_dpop_store(
    store: Option<&dyn TokenStore>,
    token_key: Option<&str>,
) -> Result<()> {
    match store {
        Some(s) if !s.protects_secrets() => Err(crate::Error::DpopKeyUnprotected {
            backend: s.backend(),
            key: token_key.unwrap_or("(the user who signs in)").to_owned(),
        }),
        _ => Ok(()),
    }
}

/// `None` when `tokens` has a refresh token; otherwise the provider's
/// advice, logged as a warning: the user will have to sign in again when
/// the access token expires, and the operator should know what to add.
pub(crate) fn advice_without_refresh_token(
    provider: &dyn Provider,
    tokens: &TokenSet,
) -> Option<String> {
    if tokens.refresh_token.is_some() {
        return None;
    }
    let advice = provider.refresh_token_advice();
    log::warn!(
        "{}: the sign-in brought no refresh token, so the user must sign in again when the \
         access token expires; {advice}",
        provider.name()
    );
    Some(advice)
}
