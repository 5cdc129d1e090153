//! Providers: talking to an authorization server.
//!
//! [`Provider`] is the one trait the flows use. Its one implementation in
//! this crate is [`OAuthProvider`]: a plain OAuth 2.0 provider with fixed
//! endpoints ([`OAuthProvider::oauth2`] from an [`OAuth2Config`]) or an
//! OpenID Connect one, with discovery and ID-token validation as a layer
//! ([`OAuthProvider::oidc`] from an [`OidcConfig`]). The presets
//! ([`google`], [`microsoft`], [`github`], [`keycloak`], [`auth0`],
//! [`okta`], [`gitlab`]) build it, and [`ProviderSettings`] builds it from
//! settings or the environment; applications may implement [`Provider`]
//! for their own servers.
//!
//! All HTTP goes through [`http::HttpClient`]: https only (http only to
//! loopback hosts), TLS verification always on, no redirects followed,
//! timeouts and a response-size cap. See the repository's
//! [providers guide](https://github.com/oauthkit/oauthkit/blob/main/docs/providers.md).

use crate::claims::Claims;
use crate::error::{Error, Result};
use crate::token::TokenSet;
use grants::device::DevicePoll;
use pkce::Pkce;

pub(crate) mod authorization_url;
pub(crate) mod base_url;
pub(crate) mod client;
pub(crate) mod client_assertion;
pub(crate) mod client_auth;
pub(crate) mod client_settings;
pub(crate) mod dpop;
pub(crate) mod endpoint;
pub(crate) mod grants;
pub(crate) mod http;
pub(crate) mod identity;
pub(crate) mod jws_algorithm;
pub(crate) mod oauth2_config;
pub(crate) mod oauth_provider;
pub(crate) mod offline_access;
pub(crate) mod oidc;
pub(crate) mod pkce;
pub(crate) mod presets;
pub(crate) mod profile;
pub(crate) mod requests;
pub(crate) mod settings;
pub(crate) mod token_response;

// What an application names; the rest is in `crate::unversioned`. Code in
// the crate imports from the defining module (`crate::provider::oidc::jwks`),
// never back up through these lines.
pub use crate::jose::{SigningAlgorithm, SigningKey};
pub use authorization_url::AuthorizationUrl;
pub use client_auth::ClientAuthMethod;
pub use dpop::DpopConfig;
pub use grants::device::DeviceAuthorization;
pub use grants::end_session::EndSessionRequest;
pub use grants::par::ParPolicy;
pub use grants::request::GrantRequest;
pub use oauth2_config::OAuth2Config;
pub use oauth_provider::OAuthProvider;
pub use oidc::OidcConfig;
pub use presets::{auth0, github, gitlab, google, keycloak, microsoft, okta};
pub use profile::SecurityProfile;
pub use requests::{CodeExchange, TokenRefresh, TokenRevocation, UserinfoRequest};
pub use settings::{ProviderKind, ProviderSettings};

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
    /// The CSRF state (see [`random::state`](crate::random::state)).
    pub state: &'a str,
    /// The PKCE pair ([`Pkce`], public as `unversioned::provider::Pkce`); its
    /// S256 challenge is sent.
    pub pkce: Option<&'a Pkce>,
    /// The OIDC nonce (see [`random::nonce`](crate::random::nonce)).
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
    ///
    /// # Errors
    ///
    /// Implementations return [`Error::SecurityProfile`] when the request breaks
    /// the provider's security profile (no PKCE where it is required, ...);
    /// with pushed authorization requests (PAR) on, the errors of a token
    /// endpoint call (see [`exchange_code`](Self::exchange_code)) and
    /// [`Error::ProviderUnsupported`] when PAR is required but the provider has
    /// no PAR endpoint.
    fn build_authorize_url(&self, request: &AuthorizeRequest<'_>) -> Result<String>;

    /// [`build_authorize_url`](Self::build_authorize_url) with how long the
    /// URL works: a pushed request (PAR, RFC 9126) expires `expires_in`
    /// seconds after it was pushed. The flows call this and push again
    /// when the request expired before the browser was sent. The default
    /// wraps `build_authorize_url` (no expiry); the providers of this
    /// crate read the PAR endpoint's `expires_in`.
    ///
    /// # Errors
    ///
    /// As [`build_authorize_url`](Self::build_authorize_url); a PAR answer
    /// without a positive integer `expires_in` is an [`Error::Http`].
    fn authorization_url(&self, request: &AuthorizeRequest<'_>) -> Result<AuthorizationUrl> {
        self.build_authorize_url(request).map(AuthorizationUrl::new)
    }

    /// Exchanges an authorization code for tokens, validating the ID token
    /// (with `nonce`) where the provider issues one.
    ///
    /// # Errors
    ///
    /// Implementations return [`Error::Http`] when the token endpoint cannot be
    /// reached, times out or answers with something that is not a token
    /// response (not JSON, too large, no `access_token`); [`Error::OAuth`] with
    /// the provider's `error` code when it refuses the code (`invalid_grant`:
    /// kind [`ErrorKind::InvalidGrant`](crate::ErrorKind::InvalidGrant));
    /// [`Error::IdToken`] when the ID token fails validation (signature,
    /// issuer, audience, expiry, `nonce`); [`Error::InvalidArgument`] when the
    /// client authentication cannot be made (`private_key_jwt` without a
    /// key or audience).
    ///
    /// The request carries the PKCE verifier, the nonce, and optionally the
    /// sign-in's DPoP key (RFC 9449; the token set then carries the key),
    /// RFC 8707 resources and extra form parameters.
    ///
    /// With a DPoP key: [`Error::InvalidArgument`] when the provider is not
    /// configured for DPoP, [`Error::OAuth`] (`use_dpop_nonce`,
    /// `invalid_dpop_proof`) when the server still refuses the proof after
    /// the one retry with its `DPoP-Nonce`, and
    /// [`Error::ProviderUnsupported`] (kind `Unsupported`) when it answers
    /// with a token type other than `DPoP`. An extra parameter the exchange
    /// sets itself, or a resource that is not an absolute URI, is an
    /// [`Error::InvalidArgument`].
    fn exchange_code(&self, request: &CodeExchange) -> Result<TokenSet>;

    /// Refreshes; the result keeps `refresh_token` when the provider does
    /// not rotate it. A request made by [`TokenRefresh::of`] refreshes a
    /// stored set: its DPoP key signs the proof, and the answer must be for
    /// the same user (OpenID Connect Core §12.2): an ID token in the answer
    /// must have the `iss` and `sub` of the set (its `identity_id` and
    /// stored ID token), else an [`ErrorKind::IdToken`](crate::ErrorKind::IdToken)
    /// error and nothing is returned to save. The session manager
    /// refreshes this way.
    ///
    /// # Errors
    ///
    /// Implementations return [`Error::Http`] and [`Error::OAuth`] as
    /// [`exchange_code`](Self::exchange_code) does; `invalid_grant` (kind
    /// [`ErrorKind::InvalidGrant`](crate::ErrorKind::InvalidGrant), so
    /// [`Error::needs_sign_in`]) when the refresh token is revoked or expired;
    /// [`Error::IdToken`] when a returned ID token fails validation or names
    /// another issuer or user than the refreshed set;
    /// [`Error::InvalidArgument`] when the request has a DPoP key and the
    /// provider is not configured for DPoP.
    fn refresh_tokens(&self, request: &TokenRefresh) -> Result<TokenSet>;

    /// The user's claims from the userinfo endpoint (`None` when the
    /// provider has none); with `Authorization: DPoP` and a proof when the
    /// request carries a DPoP key ([`UserinfoRequest::of`] a bound set).
    ///
    /// # Errors
    ///
    /// Implementations return [`Error::Http`] when the userinfo endpoint
    /// cannot be reached, answers with something other than a JSON object or
    /// with an unexpected status, and [`Error::OAuth`] when it refuses the
    /// token with an OAuth error (in the body or, RFC 6750 §3, in
    /// `WWW-Authenticate`: `invalid_token`, ...); [`Error::InvalidArgument`]
    /// when the request has a DPoP key and the provider is not configured
    /// for DPoP.
    fn get_userinfo(&self, request: &UserinfoRequest) -> Result<Option<Claims>>;

    /// Revokes a token (RFC 7009); `Ok(false)` when the provider has no
    /// revocation endpoint. With a DPoP key in the request and DPoP
    /// configured, the request carries a proof by that key.
    ///
    /// # Errors
    ///
    /// Implementations return [`Error::Http`] when the revocation endpoint
    /// cannot be reached or answers with an unexpected status, and
    /// [`Error::OAuth`] when it answers with an OAuth error (RFC 7009
    /// §2.2.1). Servers answer 200 for a token they do not know (RFC 7009
    /// §2.2), which is `Ok(true)`; implementations that sign a DPoP proof
    /// add the errors of signing it.
    fn revoke_token(&self, request: &TokenRevocation) -> Result<bool>;

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

    /// The RFC 9207 check of an authorization response's `iss` parameter
    /// (`None` when the callback had none). Call it on every callback,
    /// error responses included, before using `code` or `error`.
    /// The default compares with [`issuer`](Self::issuer) through
    /// [`check_response_iss`](crate::unversioned::provider::check_response_iss).
    ///
    /// # Errors
    ///
    /// [`Error::Authentication`] when `iss` is not the provider's issuer (a
    /// possible mix-up attack) or is missing although the provider always sends
    /// it. Overriding implementations must refuse the same cases.
    fn check_authorization_response_iss(&self, iss: Option<&str>) -> Result<()> {
        oidc::iss_check::check_response_iss(
            self.issuer().as_deref(),
            self.requires_iss_in_response(),
            iss,
        )
    }

    /// RFC 8628 §3.1: asks for a device code and a user code. The default
    /// is an [`Error::ProviderUnsupported`]
    /// error (kind `Unsupported`) naming the provider.
    ///
    /// # Errors
    ///
    /// The default returns [`Error::ProviderUnsupported`]. Implementations
    /// return it too when the provider has no device authorization endpoint,
    /// and otherwise [`Error::Http`] when the endpoint cannot be reached or the
    /// answer lacks a field, [`Error::OAuth`] when it refuses the request.
    fn request_device_authorization(&self, request: &GrantRequest) -> Result<DeviceAuthorization> {
        let _ = request;
        Err(grants::device::no_device_endpoint(self.name()))
    }

    /// RFC 8628 §3.4: polls the token endpoint once for the device code;
    /// the tokens are validated as after a code exchange (ID token without
    /// a nonce).
    ///
    /// # Errors
    ///
    /// The default returns [`Error::ProviderUnsupported`]. "Not yet" is not
    /// an error: `authorization_pending` and `slow_down` are
    /// [`DevicePoll`] values (`unversioned::provider::DevicePoll`;
    /// advanced use: [`DeviceFlow`](crate::flow::DeviceFlow) runs the
    /// whole grant). Implementations return [`Error::OAuth`] for
    /// `access_denied`, `expired_token` and other refusals, and the errors of
    /// [`exchange_code`](Self::exchange_code) for the tokens.
    fn poll_device_token(&self, authorization: &DeviceAuthorization) -> Result<DevicePoll> {
        let _ = authorization;
        Err(grants::device::no_device_endpoint(self.name()))
    }

    /// The RP-initiated logout URL (`end_session_endpoint` with the
    /// request's `id_token_hint`, `post_logout_redirect_uri`, `state` and
    /// the client id); `Ok(None)` when the provider has no such endpoint.
    ///
    /// # Errors
    ///
    /// No end-session endpoint is `Ok(None)`, not an error. Implementations
    /// return [`Error::InvalidArgument`] when the endpoint or the request's
    /// `post_logout_redirect_uri` is not a usable URL or an extra parameter
    /// would replace one the request sets (`state`, `client_id`, ...), and
    /// the errors of discovery ([`Error::Http`]) when they look the endpoint
    /// up there.
    fn end_session_url(&self, request: &EndSessionRequest) -> Result<Option<String>> {
        let _ = request;
        Ok(None)
    }

    /// The client id, where the provider has one (client-credentials cache
    /// keys).
    fn client_id(&self) -> Option<&str> {
        None
    }

    /// What the configuration needs so that sign-ins bring a refresh
    /// token (a scope or authorization parameter, named for this
    /// provider). The flows log it as a warning, and put it in
    /// [`AuthFlowResult::refresh_token_advice`](crate::flow::AuthFlowResult::refresh_token_advice),
    /// when a sign-in ends without a refresh token.
    ///
    /// ```
    /// use oauthkit::provider::{google, Provider};
    /// let p = google::provider("id.apps.googleusercontent.com")?;
    /// assert!(p.refresh_token_advice().contains("access_type=offline"));
    /// # Ok::<(), oauthkit::Error>(())
    /// ```
    fn refresh_token_advice(&self) -> String {
        offline_access::generic_refresh_token_advice(&[], None)
    }

    /// RFC 6749 §4.4: a token for the client itself (confidential clients
    /// only). The result's `extra` records the request, so the session
    /// manager can ask again when it expires. The default is an
    /// [`Error::ProviderUnsupported`].
    ///
    /// # Errors
    ///
    /// The default returns [`Error::ProviderUnsupported`]. Implementations
    /// return [`Error::InvalidArgument`] for a public client (no secret or
    /// private key), and otherwise the token endpoint errors described under
    /// [`exchange_code`](Self::exchange_code) ([`Error::OAuth`]
    /// `invalid_client`, `invalid_scope`, ...).
    fn request_client_credentials(&self, request: &GrantRequest) -> Result<TokenSet> {
        let _ = request;
        Err(Error::ProviderUnsupported {
            provider: self.name().to_owned(),
            feature: "the client credentials grant",
            detail: "this provider type has no token endpoint for it".into(),
        })
    }

    /// RFC 8693 token exchange over the token endpoint with the client's
    /// authentication (a [`GrantRequest::token_exchange`]). The issued token
    /// is the set's `access_token` whatever its type; the set carries the
    /// answer's `issued_token_type` ([`TokenSet::issued_token_type`]) and,
    /// for a token that is not an access token, `token_type` `N_A`
    /// ([`TokenSet::bearer_usable`] is then `false`). The default is an
    /// [`Error::ProviderUnsupported`].
    ///
    /// # Errors
    ///
    /// The default returns [`Error::ProviderUnsupported`]. Implementations
    /// return [`Error::Http`] for an answer without `issued_token_type`,
    /// [`Error::InvalidArgument`] for a request that breaks RFC 8693
    /// §2.1 (an empty subject or actor token, a token type that is not a
    /// URI) and the token endpoint errors described under
    /// [`exchange_code`](Self::exchange_code).
    fn exchange_token(&self, request: &GrantRequest) -> Result<TokenSet> {
        let _ = request;
        Err(Error::ProviderUnsupported {
            provider: self.name().to_owned(),
            feature: "token exchange (RFC 8693)",
            detail: "this provider type has no token endpoint for it".into(),
        })
    }

    /// RFC 7523 §2.1: a token for the subject of a JWT assertion (given,
    /// or signed by oauthkit), with the provider's client authentication.
    /// The default is an [`Error::ProviderUnsupported`].
    ///
    /// # Errors
    ///
    /// The default returns [`Error::ProviderUnsupported`]. Implementations
    /// return [`Error::InvalidArgument`] when the given assertion is empty or
    /// not a compact JWS, or the one to sign is incomplete (an empty issuer
    /// or subject, a lifetime outside 1 s to 1 h, a reserved claim), and the token
    /// endpoint errors described under
    /// [`exchange_code`](Self::exchange_code).
    fn request_jwt_bearer(&self, request: &GrantRequest) -> Result<TokenSet> {
        let _ = request;
        Err(Error::ProviderUnsupported {
            provider: self.name().to_owned(),
            feature: "the JWT bearer grant",
            detail: "this provider type has no token endpoint for it".into(),
        })
    }

    /// The provider's DPoP settings (RFC 9449) when it is configured for
    /// DPoP: the flows then generate a key per sign-in and send its
    /// thumbprint as `dpop_jkt`; security profiles check it. `None` by
    /// default.
    fn dpop(&self) -> Option<&DpopConfig> {
        None
    }
}
