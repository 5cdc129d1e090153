//! The request values of the [`Provider`](crate::provider::Provider)
//! operations: one value per operation, carrying what is optional (the
//! DPoP key, RFC 8707 resources, extra parameters) so the trait has one
//! method per operation.

use crate::error::{Error, Result};
use crate::jose::DpopKey;
use crate::provider::grants::params::{grant_setters, GrantParams};
use crate::provider::TokenTypeHint;
use crate::secret::Secret;
use crate::token::TokenSet;

/// An authorization-code exchange (RFC 6749 §4.1.3), for
/// [`Provider::exchange_code`](crate::provider::Provider::exchange_code).
///
/// ```
/// use oauthkit::provider::CodeExchange;
/// let exchange = CodeExchange::new("the-code", "http://127.0.0.1:8080/callback")
///     .pkce_verifier("the-verifier")
///     .nonce("n-0S6_WzA2Mj")
///     .resource("https://api.example.com/")
///     .extra_param("foo", "bar");
/// assert_eq!(exchange.redirect_uri(), "http://127.0.0.1:8080/callback");
/// // the code and the verifier never show in Debug
/// assert!(!format!("{exchange:?}").contains("the-code"));
/// ```
#[derive(Clone, Debug)]
pub struct CodeExchange {
    code: Secret,
    redirect_uri: String,
    pkce_verifier: Option<Secret>,
    nonce: Option<String>,
    dpop_key: Option<DpopKey>,
    grant: GrantParams,
}

impl CodeExchange {
    /// The exchange of `code`, received at `redirect_uri`.
    pub fn new(code: impl Into<String>, redirect_uri: impl Into<String>) -> Self {
        CodeExchange {
            code: Secret::new(code),
            redirect_uri: redirect_uri.into(),
            pkce_verifier: None,
            nonce: None,
            dpop_key: None,
            grant: GrantParams::default(),
        }
    }

    /// The PKCE verifier of the sign-in (RFC 7636 §4.5).
    pub fn pkce_verifier(mut self, verifier: impl Into<String>) -> Self {
        self.pkce_verifier = Some(Secret::new(verifier));
        self
    }

    /// The OpenID Connect nonce the ID token must carry.
    pub fn nonce(mut self, nonce: impl Into<String>) -> Self {
        self.nonce = Some(nonce.into());
        self
    }

    grant_setters! {
        "let r = oauthkit::provider::CodeExchange::new(\"the-code\", \"http://127.0.0.1:8080/cb\")";
        /// The key is the sign-in's, whose thumbprint went out as `dpop_jkt`;
        /// the token set carries it.
        dpop,
        /// The request's resources replace the provider's configured ones
        /// (a narrower token).
        resource,
        resources,
        /// The exchange sets `grant_type`, `code`, `redirect_uri`,
        /// `code_verifier` and `resource`.
        extra_param,
    }

    /// The authorization code.
    pub fn code(&self) -> &Secret {
        &self.code
    }

    /// Where the code was received.
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// The PKCE verifier, when set.
    pub fn verifier(&self) -> Option<&Secret> {
        self.pkce_verifier.as_ref()
    }

    /// The expected nonce, when set.
    pub fn expected_nonce(&self) -> Option<&str> {
        self.nonce.as_deref()
    }

    grant_setters! {
        "let r = oauthkit::provider::CodeExchange::new(\"the-code\", \"http://127.0.0.1:8080/cb\")";
        dpop_key,
        requested_resources,
        extra_params,
    }
}

/// A refresh (RFC 6749 §6), for
/// [`Provider::refresh_tokens`](crate::provider::Provider::refresh_tokens).
///
/// [`TokenRefresh::of`] refreshes a stored token set: its DPoP key signs
/// the proof and the answer must be for the same user (OpenID Connect
/// Core §12.2). [`TokenRefresh::new`] refreshes a bare refresh token.
///
/// ```
/// use oauthkit::provider::TokenRefresh;
/// let refresh = TokenRefresh::new("the-refresh-token").resource("https://api.example.com/");
/// assert!(refresh.current().is_none());
/// assert!(!format!("{refresh:?}").contains("the-refresh-token"));
/// ```
#[derive(Clone, Debug)]
pub struct TokenRefresh {
    refresh_token: Secret,
    current: Option<Box<TokenSet>>,
    dpop_key: Option<DpopKey>,
    grant: GrantParams,
}

impl TokenRefresh {
    /// A refresh of a bare refresh token (no identity to compare).
    pub fn new(refresh_token: impl Into<String>) -> Self {
        TokenRefresh {
            refresh_token: Secret::new(refresh_token),
            current: None,
            dpop_key: None,
            grant: GrantParams::default(),
        }
    }

    /// A refresh of `current` with its refresh token and its DPoP key (when
    /// bound); the answer must name the same issuer and user.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when `current` has no refresh token.
    pub fn of(current: &TokenSet) -> Result<Self> {
        let rt = current.refresh_token.as_ref().ok_or_else(|| {
            Error::InvalidArgument("the token set has no refresh token to refresh with".into())
        })?;
        Ok(TokenRefresh {
            refresh_token: rt.clone(),
            current: Some(Box::new(current.clone())),
            dpop_key: current.dpop_key.clone(),
            grant: GrantParams::default(),
        })
    }

    grant_setters! {
        "let r = oauthkit::provider::TokenRefresh::new(\"the-refresh-token\")";
        /// A set made by [`of`](Self::of) already carries its key.
        dpop,
        /// The request's resources replace the provider's configured ones
        /// (a narrower token).
        resource,
        resources,
        /// The refresh sets `grant_type`, `refresh_token` and `resource`.
        extra_param,
    }

    /// The refresh token.
    pub fn refresh_token(&self) -> &Secret {
        &self.refresh_token
    }

    /// The token set refreshed, when made by [`of`](Self::of).
    pub fn current(&self) -> Option<&TokenSet> {
        self.current.as_deref()
    }

    grant_setters! {
        "let r = oauthkit::provider::TokenRefresh::new(\"the-refresh-token\")";
        dpop_key,
        requested_resources,
        extra_params,
    }
}

/// A userinfo request (OpenID Connect Core §5.3), for
/// [`Provider::get_userinfo`](crate::provider::Provider::get_userinfo).
///
/// ```
/// use oauthkit::provider::UserinfoRequest;
/// let request = UserinfoRequest::new("the-access-token");
/// assert!(request.dpop_key().is_none());
/// assert!(!format!("{request:?}").contains("the-access-token"));
/// ```
#[derive(Clone, Debug)]
pub struct UserinfoRequest {
    access_token: Secret,
    dpop_key: Option<DpopKey>,
}

impl UserinfoRequest {
    /// A request with a bearer access token.
    pub fn new(access_token: impl Into<String>) -> Self {
        UserinfoRequest {
            access_token: Secret::new(access_token),
            dpop_key: None,
        }
    }

    /// A request with the access token of `tokens`, and its DPoP key when
    /// the set is DPoP-bound (`Authorization: DPoP` with a proof).
    pub fn of(tokens: &TokenSet) -> Self {
        UserinfoRequest {
            access_token: tokens.access_token.clone(),
            dpop_key: tokens.dpop_key.clone(),
        }
    }

    grant_setters! {
        "let r = oauthkit::provider::UserinfoRequest::new(\"the-access-token\")";
        /// The token is sent as a DPoP-bound one (`Authorization: DPoP`).
        dpop,
        dpop_key,
    }

    /// The access token.
    pub fn access_token(&self) -> &Secret {
        &self.access_token
    }
}

/// A revocation (RFC 7009), for
/// [`Provider::revoke_token`](crate::provider::Provider::revoke_token).
///
/// ```
/// use oauthkit::provider::{TokenRevocation, TokenTypeHint};
/// let request = TokenRevocation::new("the-refresh-token").hint(TokenTypeHint::RefreshToken);
/// assert_eq!(request.type_hint(), Some(TokenTypeHint::RefreshToken));
/// assert!(!format!("{request:?}").contains("the-refresh-token"));
/// ```
#[derive(Clone, Debug)]
pub struct TokenRevocation {
    token: Secret,
    hint: Option<TokenTypeHint>,
    dpop_key: Option<DpopKey>,
}

impl TokenRevocation {
    /// The revocation of `token`.
    pub fn new(token: impl Into<String>) -> Self {
        TokenRevocation {
            token: Secret::new(token),
            hint: None,
            dpop_key: None,
        }
    }

    /// The revocation of the refresh token of `tokens` (with its hint, and
    /// the set's DPoP key when bound); `None` when it has none.
    pub fn refresh_token_of(tokens: &TokenSet) -> Option<Self> {
        let rt = tokens.refresh_token.as_ref()?;
        Some(TokenRevocation {
            token: rt.clone(),
            hint: Some(TokenTypeHint::RefreshToken),
            dpop_key: tokens.dpop_key.clone(),
        })
    }

    /// The revocation of the access token of `tokens` (with its hint, and
    /// the set's DPoP key when bound).
    pub fn access_token_of(tokens: &TokenSet) -> Self {
        TokenRevocation {
            token: tokens.access_token.clone(),
            hint: Some(TokenTypeHint::AccessToken),
            dpop_key: tokens.dpop_key.clone(),
        }
    }

    /// Which kind of token it is (`token_type_hint`).
    pub fn hint(mut self, hint: TokenTypeHint) -> Self {
        self.hint = Some(hint);
        self
    }

    grant_setters! {
        "let r = oauthkit::provider::TokenRevocation::new(\"the-refresh-token\")";
        /// The key is the one the token is bound to.
        dpop,
        dpop_key,
    }

    /// The token.
    pub fn token(&self) -> &Secret {
        &self.token
    }

    /// The hint, when set.
    pub fn type_hint(&self) -> Option<TokenTypeHint> {
        self.hint
    }
}
