//! DPoP, sender-constrained tokens (RFC 9449).
//!
//! A provider configured with [`DpopConfig`] (`OidcConfig::dpop`,
//! `OAuth2Config::dpop`) sends a DPoP proof with every token request
//! (code exchange, refresh, device and client-credentials grants), with
//! userinfo and with revocation; the native flow adds `dpop_jkt` to the
//! authorization request. The key ([`DpopKey`](crate::jose::DpopKey), one per sign-in) is kept in
//! the token set ([`TokenSet::dpop_key`](crate::TokenSet::dpop_key)), so
//! every process that refreshes the tokens signs with the same key; stores
//! that keep plain text refuse such a token set
//! ([`Error::DpopKeyUnprotected`](crate::Error::DpopKeyUnprotected)).
//!
//! Server nonces (§8, §9) are remembered per origin ([`DpopNonces`]); a
//! `use_dpop_nonce` answer (400 from the token endpoint, 401 with a DPoP
//! challenge from userinfo) is retried exactly once with the new nonce.
//!
//! `token_type`: a request that carried a proof accepts only `DPoP`
//! (RFC 9449 §5: the server says `DPoP` when it bound the token); a
//! `Bearer` answer means the server ignored the proof, and taking it would
//! silently turn a sender-constrained configuration into bearer tokens, so
//! it is an error naming the cause. A `DPoP` answer to a request without a
//! proof is refused as before.
//!
//! For the application's own API calls, [`DpopHeaders::for_request`] (or
//! `SessionManager::dpop_headers`) gives the `Authorization: DPoP …` and
//! `DPoP` header values. See the repository's
//! [DPoP guide](https://github.com/oauthkit/oauthkit/blob/main/docs/dpop.md).

mod config;
mod nonce;
mod proof;
mod resource;

pub use config::DpopConfig;
pub(crate) use nonce::token_endpoint_wants_nonce;
pub use nonce::{is_nonce_challenge, DpopNonces};
pub use proof::{ath, htu, ProofRequest};
pub use resource::DpopHeaders;
pub(crate) mod client;

/// The error of a DPoP-bound call on a provider without DPoP configured.
pub(crate) fn not_configured() -> crate::Error {
    crate::Error::InvalidArgument(
        "these tokens are DPoP-bound but the provider is not configured for DPoP (set its DpopConfig: OidcConfig::dpop / OAuth2Config::dpop)".into(),
    )
}
