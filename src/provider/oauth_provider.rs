//! The one concrete provider: [`OAuthProvider`], an OAuth 2.0 client of one
//! authorization server, with fixed endpoints ([`OAuthProvider::oauth2`])
//! or with OpenID Connect as a layer ([`OAuthProvider::oidc`]: discovery,
//! JWKS, ID-token validation; see `oidc/layer.rs`).
//!
//! Every operation is written once here. What differs between the two
//! kinds of server is asked of four private functions: where an endpoint
//! comes from ([`OAuthProvider::endpoint`]: the fixed configuration, or
//! the override else discovery), the client authentication
//! ([`OAuthProvider::auth`]), the ID-token check after a token response
//! (none, or the layer's validation) and the defaults of an authorization
//! request (the layer's `offline_access`).

use std::borrow::Cow;

use crate::claims::Claims;
use crate::error::{Error, Result};
use crate::provider::authorization_url::AuthorizationUrl;
use crate::provider::client::OAuthClient;
use crate::provider::client_auth::ClientAuthMethod;
use crate::provider::client_settings::ClientSettings;
use crate::provider::dpop::DpopConfig;
use crate::provider::endpoint::Endpoint;
use crate::provider::grants::device::{no_device_endpoint, DeviceAuthorization, DevicePoll};
use crate::provider::grants::end_session::EndSessionRequest;
use crate::provider::grants::par::{no_par_endpoint, ParPolicy};
use crate::provider::grants::request::GrantRequest;
use crate::provider::identity::{check_same_identity, Identity};
use crate::provider::oauth2_config::{OAuth2Config, RevocationApi};
use crate::provider::offline_access::generic_refresh_token_advice;
use crate::provider::oidc::config::OidcConfig;
use crate::provider::oidc::discovery::ProviderMetadata;
use crate::provider::oidc::id_token::IdTokenClaims;
use crate::provider::oidc::iss_check::check_response_iss;
use crate::provider::oidc::layer::OidcLayer;
use crate::provider::profile::warn_unrotated;
use crate::provider::requests::{CodeExchange, TokenRefresh, TokenRevocation, UserinfoRequest};
use crate::provider::{AuthorizeRequest, Provider};
use crate::token::TokenSet;

/// An OAuth 2.0 / OpenID Connect provider: PKCE, PAR, code exchange,
/// refresh, userinfo, revocation, device, client credentials, JWT bearer,
/// token exchange and RP-initiated logout over one shared HTTP client.
///
/// Built from one of the two ways to describe a server:
///
/// - [`OAuthProvider::oauth2`] from an [`OAuth2Config`]: fixed endpoints,
///   no discovery, no ID token (custom servers, GitHub);
/// - [`OAuthProvider::oidc`] from an [`OidcConfig`]: OpenID Connect as a
///   layer. Discovery (`{issuer}/.well-known/openid-configuration`) runs
///   on first need and its result is cached; a failed discovery is
///   retried on the next call. Explicit endpoints in
///   [`OidcConfig::endpoints`] win over discovered ones, and calls that
///   only need overridden endpoints do no discovery at all. ID tokens are
///   validated after every code exchange and refresh unless turned off.
///
/// The presets ([`google`](crate::provider::google),
/// [`github`](crate::provider::github), ...) and
/// [`ProviderSettings`](crate::provider::ProviderSettings) build this type.
///
/// ```
/// use oauthkit::provider::{github, google, OAuthProvider, OidcConfig, Provider};
/// let providers: Vec<OAuthProvider> = vec![
///     google::provider("id.apps.googleusercontent.com")?,
///     github::provider("Iv1.abc")?,
///     OAuthProvider::oidc(OidcConfig::new("https://idp.example", "app"))?,
/// ];
/// assert_eq!(providers[1].name(), "github");
/// assert!(providers[1].oauth2_config().is_some());
/// assert!(providers[2].oidc_config().is_some());
/// # Ok::<(), oauthkit::Error>(())
/// ```
#[derive(Debug)]
pub struct OAuthProvider {
    client: OAuthClient,
    server: Server,
}

/// Where the endpoints come from.
#[derive(Debug)]
enum Server {
    /// Fixed endpoints.
    Fixed(Box<OAuth2Config>),
    /// The OpenID Connect layer: discovery and overrides.
    Oidc(Box<OidcLayer>),
}

impl OAuthProvider {
    /// A plain OAuth 2.0 provider with the endpoints of `config` (no
    /// discovery, no ID token). Checks the endpoints (https, or http on
    /// loopback); no network I/O happens here.
    ///
    /// ```
    /// use oauthkit::provider::{OAuth2Config, OAuthProvider, Provider};
    /// let p = OAuthProvider::oauth2(OAuth2Config::new(
    ///     "custom", "my-client",
    ///     "https://auth.example.com/authorize", "https://auth.example.com/token",
    /// ))?;
    /// assert_eq!(p.name(), "custom");
    /// assert!(p.issuer().is_none());
    /// # Ok::<(), oauthkit::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// - [`Error::InvalidArgument`] when the client id is empty, a
    ///   resource is not an absolute URI without a fragment, an endpoint
    ///   is neither `https` nor `http` on loopback, or `client_auth` is
    ///   `private_key_jwt` without a usable key.
    /// - [`Error::SecurityProfile`] when the settings break a rule of the
    ///   configured [`profile`](ClientSettings::profile) (FAPI 2.0 without
    ///   DPoP or `private_key_jwt`, for example).
    pub fn oauth2(config: OAuth2Config) -> Result<Self> {
        config.check()?;
        let client = config.client.oauth_client(
            config
                .issuer
                .clone()
                .unwrap_or_else(|| config.token_url.clone()),
        );
        Ok(OAuthProvider {
            client,
            server: Server::Fixed(Box::new(config)),
        })
    }

    /// An OpenID Connect provider of `config`'s issuer: discovery on
    /// first need, endpoint overrides, ID-token validation. Checks the
    /// configuration; no network I/O happens here.
    ///
    /// ```
    /// use oauthkit::provider::{OAuthProvider, OidcConfig, Provider};
    /// let p = OAuthProvider::oidc(OidcConfig::new("https://idp.example", "app"))?;
    /// assert_eq!(p.issuer().as_deref(), Some("https://idp.example"));
    /// # Ok::<(), oauthkit::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// - [`Error::InvalidArgument`] when the client id is empty, a
    ///   resource is not an absolute URI without a fragment, the issuer or
    ///   an endpoint override is neither `https` nor `http` on loopback,
    ///   the ID-token algorithm allow-list is empty or names an algorithm
    ///   oauthkit does not verify, or `client_auth` is `private_key_jwt`
    ///   without a usable key.
    /// - [`Error::SecurityProfile`] when the settings break a rule of the
    ///   configured [`profile`](ClientSettings::profile).
    pub fn oidc(mut config: OidcConfig) -> Result<Self> {
        OidcLayer::check(&mut config)?;
        let client = config.client.oauth_client(config.issuer.clone());
        let layer = OidcLayer::new(config, client.http.clone());
        Ok(OAuthProvider {
            client,
            server: Server::Oidc(Box::new(layer)),
        })
    }

    /// The configuration of a provider built by [`oauth2`](Self::oauth2);
    /// `None` for an OpenID Connect one.
    ///
    /// ```
    /// use oauthkit::provider::github;
    /// let p = github::provider("Iv1.abc")?;
    /// assert_eq!(p.oauth2_config().unwrap().name, "github");
    /// assert!(p.oidc_config().is_none());
    /// # Ok::<(), oauthkit::Error>(())
    /// ```
    pub fn oauth2_config(&self) -> Option<&OAuth2Config> {
        match &self.server {
            Server::Fixed(c) => Some(c),
            Server::Oidc(_) => None,
        }
    }

    /// The configuration of a provider built by [`oidc`](Self::oidc);
    /// `None` for a plain OAuth 2.0 one.
    ///
    /// ```
    /// use oauthkit::provider::google;
    /// let p = google::provider("id.apps.googleusercontent.com")?;
    /// assert_eq!(p.oidc_config().unwrap().issuer, "https://accounts.google.com");
    /// # Ok::<(), oauthkit::Error>(())
    /// ```
    pub fn oidc_config(&self) -> Option<&OidcConfig> {
        self.layer().map(|l| &l.config)
    }

    /// Runs OpenID Connect discovery now (or returns the cached result);
    /// a failed discovery is tried again on the next call.
    ///
    /// # Errors
    ///
    /// - [`Error::ProviderUnsupported`] (kind `Unsupported`) when the
    ///   provider was built from an [`OAuth2Config`] (no discovery).
    /// - [`Error::Http`] when the server cannot be reached, answers with
    ///   an error status, or the document is too large or not provider
    ///   metadata.
    /// - [`Error::Authentication`] when the document's `issuer` is not
    ///   the configured one (a mix-up).
    /// - [`Error::InvalidArgument`] when its `jwks_uri` is neither
    ///   `https` nor `http` on loopback, or it lists no ID-token signing
    ///   algorithm oauthkit verifies.
    pub fn discover(&self) -> Result<ProviderMetadata> {
        self.oidc_layer("OpenID Connect discovery")?.metadata()
    }

    /// How many times the JWKS has been fetched (0 before the first
    /// validation, and always 0 for a plain OAuth 2.0 provider).
    pub fn jwks_fetch_count(&self) -> usize {
        self.layer().map_or(0, OidcLayer::jwks_fetch_count)
    }

    /// Validates an ID token of this provider (signature, `iss`, `aud`,
    /// `azp`, times, `nonce` when given, `at_hash` when the token has one
    /// and `access_token` is given).
    ///
    /// # Errors
    ///
    /// - [`Error::ProviderUnsupported`] (kind `Unsupported`) when the
    ///   provider was built from an [`OAuth2Config`] (no ID tokens).
    /// - [`Error::IdToken`] when the token fails a check (its
    ///   its `reason` says which), or the
    ///   provider has no `jwks_uri`.
    /// - Discovery's errors ([`discover`](Self::discover)) when discovery
    ///   has not run yet and fails, and [`Error::Http`] when the key set
    ///   cannot be fetched.
    pub fn validate_id_token(
        &self,
        id_token: &str,
        nonce: Option<&str>,
        access_token: Option<&str>,
    ) -> Result<IdTokenClaims> {
        let layer = self.oidc_layer("ID-token validation")?;
        let secrets = [id_token, access_token.unwrap_or_default()];
        self.guard(&secrets, || layer.validate(id_token, nonce, access_token))
    }

    fn layer(&self) -> Option<&OidcLayer> {
        match &self.server {
            Server::Fixed(_) => None,
            Server::Oidc(l) => Some(l),
        }
    }

    /// The OpenID Connect layer, or the typed error saying there is none.
    fn oidc_layer(&self, feature: &'static str) -> Result<&OidcLayer> {
        self.layer().ok_or_else(|| Error::ProviderUnsupported {
            provider: self.name().to_owned(),
            feature,
            detail: "the provider was built from an OAuth2Config without discovery \
                     (OAuthProvider::oauth2); build it from an OidcConfig \
                     (OAuthProvider::oidc) for OpenID Connect"
                .into(),
        })
    }

    /// The client settings of either configuration.
    fn settings(&self) -> &ClientSettings {
        match &self.server {
            Server::Fixed(c) => &c.client,
            Server::Oidc(l) => &l.config.client,
        }
    }

    fn guard<T>(&self, secrets: &[&str], f: impl FnOnce() -> Result<T>) -> Result<T> {
        self.client.http.guard(secrets, f)
    }

    /// Where an endpoint is: the fixed configuration, or the OpenID
    /// Connect override, else discovery (which may run now).
    fn endpoint(&self, which: Endpoint) -> Result<Option<String>> {
        let c = match &self.server {
            Server::Fixed(c) => c,
            Server::Oidc(l) => return l.endpoint(which),
        };
        Ok(match which {
            Endpoint::Authorization => Some(c.authorize_url.clone()),
            Endpoint::Token => Some(c.token_url.clone()),
            Endpoint::Userinfo => c.userinfo_url.clone(),
            Endpoint::Revocation => match c.revocation_api {
                RevocationApi::Rfc7009 => c.revocation_url.clone(),
                RevocationApi::GitHubApplications => None,
            },
            Endpoint::DeviceAuthorization => c.device_authorization_url.clone(),
            Endpoint::EndSession => None,
        })
    }

    /// An endpoint the operation cannot do without.
    fn required(&self, which: Endpoint) -> Result<String> {
        self.endpoint(which)?.ok_or_else(|| match which {
            Endpoint::DeviceAuthorization => no_device_endpoint(self.name()),
            _ => Error::InvalidArgument(format!(
                "{}: no {} endpoint configured or discovered",
                self.name(),
                which.name()
            )),
        })
    }

    /// How tokens are revoked: the endpoint and how it is called, `None`
    /// when there is none.
    fn revocation(&self) -> Result<Option<(RevocationApi, String)>> {
        match &self.server {
            Server::Fixed(c) => Ok(c.revocation_url.clone().map(|u| (c.revocation_api, u))),
            Server::Oidc(_) => Ok(self
                .endpoint(Endpoint::Revocation)?
                .map(|u| (RevocationApi::Rfc7009, u))),
        }
    }

    /// The PAR endpoint when authorization requests are to be pushed,
    /// `None` when not; an error when they must be and there is none.
    fn par_endpoint(&self) -> Result<Option<String>> {
        let c = match &self.server {
            Server::Fixed(c) => c,
            Server::Oidc(l) => return l.par_endpoint(),
        };
        if c.par == ParPolicy::Always || c.requires_par || c.profile.requires_par() {
            let url = c.par_url.clone();
            url.map(Some)
                .ok_or_else(|| no_par_endpoint(&c.name, "PAR is required"))
        } else {
            Ok(None)
        }
    }

    /// The client authentication: `private_key_jwt` when there is a key,
    /// the configured method, and with a secret but no method, the one
    /// discovery picks (a plain OAuth 2.0 provider: `client_secret_basic`).
    fn auth(&self) -> Result<ClientAuthMethod> {
        let s = self.settings();
        if s.private_key_jwt.is_some()
            && matches!(s.client_auth, None | Some(ClientAuthMethod::PrivateKeyJwt))
        {
            return Ok(ClientAuthMethod::PrivateKeyJwt);
        }
        match self.layer() {
            Some(l) if s.client_secret.is_some() && s.client_auth.is_none() => l.discovered_auth(),
            _ => Ok(ClientAuthMethod::choose(
                s.client_secret.is_some(),
                s.client_auth,
                None,
            )),
        }
    }

    /// The authorization request's default parameters: the configured
    /// ones, after the OpenID Connect layer's `offline_access` scope.
    fn authorize_defaults(&self) -> Cow<'_, [(String, String)]> {
        let params = &self.settings().authorize_params;
        match self.layer().and_then(OidcLayer::offline_access_scopes) {
            Some(scope) => {
                let mut d = vec![("scope".to_owned(), scope)];
                d.extend(params.iter().cloned());
                Cow::Owned(d)
            }
            None => Cow::Borrowed(params),
        }
    }

    /// The ID-token check of a fresh token set (none without the OpenID
    /// Connect layer): who it belongs to, when known. `refreshed_from` is
    /// `Some` after a refresh (with the user before, when known).
    fn check_id_token(
        &self,
        t: &mut TokenSet,
        nonce: Option<&str>,
        refreshed_from: Option<Option<&Identity>>,
    ) -> Result<Option<Identity>> {
        match self.layer() {
            Some(l) => l.check_id_token(t, nonce, refreshed_from),
            None => Ok(None),
        }
    }

    /// Records who a fresh refresh token was issued to.
    fn remember(&self, t: &TokenSet, who: Option<Identity>) {
        if let Some(l) = self.layer() {
            l.remember(t, who);
        }
    }
}

impl Provider for OAuthProvider {
    fn name(&self) -> &str {
        match &self.server {
            Server::Fixed(c) => &c.name,
            Server::Oidc(l) => &l.config.name,
        }
    }

    fn refresh_token_advice(&self) -> String {
        let configured = match &self.server {
            Server::Fixed(c) => &c.refresh_token_advice,
            Server::Oidc(l) => &l.config.refresh_token_advice,
        };
        if let Some(a) = configured {
            return a.clone();
        }
        let supported = self.layer().and_then(OidcLayer::scopes_supported);
        generic_refresh_token_advice(&self.settings().scopes, supported.as_deref())
    }

    /// Pushes the request first (RFC 9126) when the configuration, the
    /// profile or discovery asks for PAR.
    fn build_authorize_url(&self, request: &AuthorizeRequest<'_>) -> Result<String> {
        self.authorization_url(request)
            .map(AuthorizationUrl::into_url)
    }

    /// As `build_authorize_url`, with a pushed request's lifetime.
    fn authorization_url(&self, request: &AuthorizeRequest<'_>) -> Result<AuthorizationUrl> {
        self.guard(&[], || {
            self.settings()
                .profile
                .check_request(self.name(), request)?;
            let url = self.required(Endpoint::Authorization)?;
            let defaults = self.authorize_defaults();
            let Some(par_url) = self.par_endpoint()? else {
                return self
                    .client
                    .authorize_url(&url, request, &defaults)
                    .map(AuthorizationUrl::new);
            };
            self.client
                .pushed_authorize_url(&par_url, &url, self.auth()?, request, &defaults)
        })
    }

    fn exchange_code(&self, request: &CodeExchange) -> Result<TokenSet> {
        let verifier = request.verifier().map(|v| v.expose()).unwrap_or_default();
        let secrets = [request.code().expose(), verifier];
        self.guard(&secrets, || {
            let url = self.required(Endpoint::Token)?;
            let mut who = None;
            let t = self
                .client
                .exchange_code(&url, self.auth()?, request, &mut |t| {
                    who = self.check_id_token(t, request.expected_nonce(), None)?;
                    Ok(())
                })?;
            self.remember(&t, who);
            Ok(t)
        })
    }

    /// An ID token in the answer must name the refreshed set's user, else
    /// the user this object saw the refresh token issued to.
    fn refresh_tokens(&self, request: &TokenRefresh) -> Result<TokenSet> {
        let refresh_token = request.refresh_token().expose();
        self.guard(&[refresh_token], || {
            let previous = self.layer().and_then(|l| l.previous_identity(request));
            let url = self.required(Endpoint::Token)?;
            let mut who = None;
            let mut t = self.client.refresh(&url, self.auth()?, request, &mut |t| {
                who = self.check_id_token(t, None, Some(previous.as_ref()))?;
                Ok(())
            })?;
            if t.identity_id.is_none() {
                t.identity_id = who.as_ref().map(|w| w.sub.clone());
            }
            warn_unrotated(
                self.settings().profile,
                self.name(),
                self.client.creds.is_confidential(),
                refresh_token,
                &t,
            );
            self.remember(&t, who);
            if let Some(current) = request.current() {
                check_same_identity(current, &t)?;
            }
            Ok(t)
        })
    }

    fn dpop(&self) -> Option<&DpopConfig> {
        self.settings().dpop.as_ref()
    }

    fn get_userinfo(&self, request: &UserinfoRequest) -> Result<Option<Claims>> {
        self.guard(&[request.access_token().expose()], || {
            match self.endpoint(Endpoint::Userinfo)? {
                Some(u) => self.client.userinfo(&u, request).map(Claims::from_object),
                None => Ok(None),
            }
        })
    }

    fn revoke_token(&self, request: &TokenRevocation) -> Result<bool> {
        let token = request.token().expose();
        self.guard(&[token], || match self.revocation()? {
            None => Ok(false),
            Some((RevocationApi::Rfc7009, u)) => self.client.revoke(&u, self.auth()?, request),
            Some((RevocationApi::GitHubApplications, u)) => self.client.revoke_github(&u, token),
        })
    }

    fn issuer(&self) -> Option<String> {
        match &self.server {
            Server::Fixed(c) => c.issuer.clone(),
            Server::Oidc(l) => Some(l.config.issuer.clone()),
        }
    }

    /// With the OpenID Connect layer, runs discovery if needed; when it
    /// fails, answers `true` (a callback without `iss` is then refused
    /// rather than trusted).
    fn requires_iss_in_response(&self) -> bool {
        self.settings().profile.requires_iss()
            || match &self.server {
                Server::Fixed(c) => c.requires_iss,
                Server::Oidc(l) => l.requires_iss(),
            }
    }

    fn check_authorization_response_iss(&self, iss: Option<&str>) -> Result<()> {
        self.guard(&[], || {
            let required = self.requires_iss_in_response();
            match self.layer() {
                Some(l) => l.check_iss(iss, required),
                None => check_response_iss(self.issuer().as_deref(), required, iss),
            }
        })
    }

    fn request_device_authorization(&self, request: &GrantRequest) -> Result<DeviceAuthorization> {
        let url = self.required(Endpoint::DeviceAuthorization)?;
        self.client
            .device_authorization(&url, self.auth()?, request)
    }

    fn poll_device_token(&self, authorization: &DeviceAuthorization) -> Result<DevicePoll> {
        let url = self.required(Endpoint::Token)?;
        let mut poll = self.client.poll_device(&url, self.auth()?, authorization)?;
        if let DevicePoll::Tokens(t) = &mut poll {
            self.check_id_token(t, None, None)?;
        }
        Ok(poll)
    }

    fn end_session_url(&self, request: &EndSessionRequest) -> Result<Option<String>> {
        self.endpoint(Endpoint::EndSession)?
            .map(|u| request.url(&u, &self.settings().client_id))
            .transpose()
    }

    fn client_id(&self) -> Option<&str> {
        Some(&self.settings().client_id)
    }

    fn request_client_credentials(&self, request: &GrantRequest) -> Result<TokenSet> {
        let url = self.required(Endpoint::Token)?;
        self.client.client_credentials(&url, self.auth()?, request)
    }

    fn exchange_token(&self, request: &GrantRequest) -> Result<TokenSet> {
        let subject = request.subject_token().map(|s| s.expose());
        let actor = request.actor().map(|a| a.expose());
        self.guard(
            &[subject.unwrap_or_default(), actor.unwrap_or_default()],
            || {
                let url = self.required(Endpoint::Token)?;
                self.client.token_exchange(&url, self.auth()?, request)
            },
        )
    }

    /// Validates an ID token when the answer has one (without a nonce).
    fn request_jwt_bearer(&self, request: &GrantRequest) -> Result<TokenSet> {
        self.guard(&[], || {
            let form = self.client.jwt_bearer_form(request)?;
            let url = self.required(Endpoint::Token)?;
            self.client
                .jwt_bearer(&url, self.auth()?, request, form, &mut |t| {
                    if t.id_token.is_some() {
                        self.check_id_token(t, None, None)?;
                    }
                    Ok(())
                })
        })
    }
}
