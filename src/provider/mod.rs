//! Providers: talking to an authorization server.
//!
//! [`Provider`] is the one trait the flows use. Its implementations are the
//! generic OAuth 2.0 provider, the generic OpenID Connect provider (with
//! discovery and ID-token validation) and the presets built on them.

use serde_json::Value;

use crate::error::Result;
use crate::token::TokenSet;

pub mod pkce;
pub mod random;

pub use pkce::Pkce;

/// Which kind of token a revocation request names (RFC 7009 §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenTypeHint {
    /// `access_token`
    AccessToken,
    /// `refresh_token`
    RefreshToken,
}

impl TokenTypeHint {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenTypeHint::AccessToken => "access_token",
            TokenTypeHint::RefreshToken => "refresh_token",
        }
    }
}

/// What goes into an authorization request URL.
#[derive(Debug, Clone, Default)]
pub struct AuthorizeRequest<'a> {
    /// The redirect URI registered with the provider.
    pub redirect_uri: &'a str,
    /// The CSRF state (see [`random::state`]).
    pub state: &'a str,
    /// The PKCE pair; its S256 challenge is sent.
    pub pkce: Option<&'a Pkce>,
    /// The OIDC nonce (see [`random::nonce`]).
    pub nonce: Option<&'a str>,
    /// Extra query parameters; they override the defaults of the same name.
    pub extra_params: &'a [(&'a str, &'a str)],
}

/// An authorization server, as the flows and the session manager see it.
/// Blocking; shareable between threads.
pub trait Provider: Send + Sync {
    /// A short name for messages (`"google"`, `"oidc"`, ...).
    fn name(&self) -> &str;

    /// The authorization URL to open in the browser.
    fn build_authorize_url(&self, request: &AuthorizeRequest<'_>) -> Result<String>;

    /// Exchanges an authorization code for tokens, validating the ID token
    /// (with `nonce`) where the provider issues one.
    fn exchange_code(
        &self,
        code: &str,
        redirect_uri: &str,
        pkce_verifier: Option<&str>,
        nonce: Option<&str>,
    ) -> Result<TokenSet>;

    /// Refreshes; the result keeps `refresh_token` when the provider does
    /// not rotate it.
    fn refresh_tokens(&self, refresh_token: &str) -> Result<TokenSet>;

    /// The user's claims from the userinfo endpoint (`Value::Null` when the
    /// provider has none).
    fn get_userinfo(&self, access_token: &str) -> Result<Value>;

    /// Revokes a token (RFC 7009); `Ok(false)` when the provider has no
    /// revocation endpoint.
    fn revoke_token(&self, token: &str, hint: Option<TokenTypeHint>) -> Result<bool>;

    /// The issuer identifier, for the RFC 9207 `iss` check of callbacks;
    /// `None` for plain OAuth providers.
    fn issuer(&self) -> Option<String> {
        None
    }

    /// Whether callbacks must carry `iss` (discovery advertised
    /// `authorization_response_iss_parameter_supported`).
    fn requires_iss_in_response(&self) -> bool {
        false
    }
}
