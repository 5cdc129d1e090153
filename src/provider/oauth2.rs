//! A plain OAuth 2.0 provider with fixed endpoints (no discovery, no ID
//! token): custom servers and GitHub.

use crate::claims::Claims;
use crate::error::Result;
use crate::provider::authorization_url::AuthorizationUrl;
use crate::provider::client::OAuthClient;
use crate::provider::client_auth::ClientAuthMethod;
use crate::provider::client_settings::{
    client_settings_builders, wraps_client_settings, ClientSettings, ProviderFacts,
};
use crate::provider::dpop::DpopConfig;
use crate::provider::grants::par::{no_par_endpoint, ParPolicy};
use crate::provider::http::check_endpoint_url;
use crate::provider::offline_access::generic_refresh_token_advice;
use crate::provider::requests::{CodeExchange, TokenRefresh, TokenRevocation, UserinfoRequest};
use crate::provider::{AuthorizeRequest, Provider};
use crate::token::TokenSet;

/// How a provider revokes tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Revocation {
    /// No revocation endpoint: `revoke_token` returns `Ok(false)`.
    None,
    /// An RFC 7009 endpoint.
    Rfc7009(String),
    /// GitHub's Applications API: `DELETE {url}` with Basic auth and
    /// `{"access_token": ...}`; `url` is
    /// `https://api.github.com/applications/{client_id}/token`.
    GitHubApplicationsApi(String),
}

/// Everything an [`OAuth2Provider`] needs; plain data.
///
/// ```
/// use oauthkit::provider::{OAuth2Config, OAuth2Provider, Provider, AuthorizeRequest, Pkce};
/// let cfg = OAuth2Config::new(
///     "custom", "my-client",
///     "https://auth.example.com/authorize", "https://auth.example.com/token",
/// ).scopes(["read", "write"]);
/// let p = OAuth2Provider::new(cfg).unwrap();
/// let pkce = Pkce::generate();
/// let url = p.build_authorize_url(&AuthorizeRequest {
///     redirect_uri: "http://127.0.0.1:8400/callback",
///     state: "st",
///     pkce: Some(&pkce),
///     ..Default::default()
/// }).unwrap();
/// assert!(url.starts_with("https://auth.example.com/authorize?response_type=code&client_id=my-client"));
/// assert!(url.contains("scope=read+write"));
/// assert!(url.contains("code_challenge_method=S256"));
/// ```
#[derive(Debug, Clone)]
pub struct OAuth2Config {
    /// A short name for messages.
    pub name: String,
    /// The client settings every provider configuration shares (client
    /// id and secret, scopes, resources, authorization parameters, HTTP,
    /// `private_key_jwt`, PAR policy, profile, DPoP); their fields also
    /// read and write directly on the configuration (`cfg.scopes`).
    pub client: ClientSettings,
    /// The authorization endpoint.
    pub authorize_url: String,
    /// The token endpoint.
    pub token_url: String,
    /// The userinfo endpoint, when there is one.
    pub userinfo_url: Option<String>,
    /// How to revoke tokens.
    pub revocation: Revocation,
    /// The issuer identifier, when the server has one (RFC 8414); callbacks
    /// carrying `iss` are then checked against it (RFC 9207).
    pub issuer: Option<String>,
    /// Whether callbacks must carry `iss` (the server's metadata sets
    /// `authorization_response_iss_parameter_supported`).
    pub requires_iss: bool,
    /// The RFC 8628 device authorization endpoint, when the server has one.
    pub device_authorization_url: Option<String>,
    /// The RFC 9126 pushed authorization request endpoint, when the server
    /// has one.
    pub par_url: Option<String>,
    /// The server requires PAR (its metadata's
    /// `require_pushed_authorization_requests`).
    pub requires_par: bool,
    /// What to tell the operator when a sign-in ends without a refresh
    /// token (a preset's own advice; `None`: a generic one).
    pub refresh_token_advice: Option<String>,
}

wraps_client_settings!(OAuth2Config);

impl OAuth2Config {
    /// A public client with the given endpoints and no scopes.
    pub fn new(
        name: impl Into<String>,
        client_id: impl Into<String>,
        authorize_url: impl Into<String>,
        token_url: impl Into<String>,
    ) -> Self {
        OAuth2Config {
            name: name.into(),
            client: ClientSettings::new(client_id),
            authorize_url: authorize_url.into(),
            token_url: token_url.into(),
            userinfo_url: None,
            revocation: Revocation::None,
            issuer: None,
            requires_iss: false,
            device_authorization_url: None,
            par_url: None,
            requires_par: false,
            refresh_token_advice: None,
        }
    }

    client_settings_builders!(
        "let cfg = oauthkit::provider::OAuth2Config::new(\"custom\", \"app\", \"https://as.example/authorize\", \"https://as.example/token\")"
    );

    /// Pushes authorization requests to `par_url` (RFC 9126) according
    /// to `policy`.
    ///
    /// ```
    /// use oauthkit::provider::{OAuth2Config, OAuth2Provider, ParPolicy};
    /// let cfg = OAuth2Config::new("custom", "app",
    ///         "https://as.example/authorize", "https://as.example/token")
    ///     .par("https://as.example/par", ParPolicy::Always);
    /// OAuth2Provider::new(cfg)?;
    /// # Ok::<(), oauthkit::Error>(())
    /// ```
    pub fn par(mut self, par_url: impl Into<String>, policy: ParPolicy) -> Self {
        self.par_url = Some(par_url.into());
        self.client.par = policy;
        self
    }
}

/// A generic OAuth 2.0 provider: fixed endpoints, PKCE, code exchange,
/// refresh, userinfo and revocation over one shared HTTP client.
#[derive(Debug)]
pub struct OAuth2Provider {
    config: OAuth2Config,
    client: OAuthClient,
    auth: ClientAuthMethod,
}

impl OAuth2Provider {
    /// Checks the endpoints (https, or http on loopback) and builds the
    /// provider. No network I/O happens here.
    ///
    /// # Errors
    ///
    /// - [`Error::InvalidArgument`](crate::Error::InvalidArgument) when the
    ///   client id is empty, a resource is not an absolute URI without a
    ///   fragment, an endpoint is neither `https` nor `http` on loopback,
    ///   or `client_auth` is `private_key_jwt` without a usable key.
    /// - [`Error::SecurityProfile`](crate::Error::SecurityProfile) when the
    ///   settings break a rule of the configured
    ///   [`profile`](ClientSettings::profile) (FAPI 2.0 without DPoP or
    ///   `private_key_jwt`, for example).
    pub fn new(config: OAuth2Config) -> Result<Self> {
        config.client.check_client(&config.name)?;
        check_endpoint_url("authorization", &config.authorize_url)?;
        check_endpoint_url("token", &config.token_url)?;
        if let Some(u) = &config.userinfo_url {
            check_endpoint_url("userinfo", u)?;
        }
        if let Some(u) = &config.device_authorization_url {
            check_endpoint_url("device_authorization", u)?;
        }
        if let Some(u) = &config.par_url {
            check_endpoint_url("pushed_authorization_request", u)?;
        }
        config.client.check_authentication(
            &config.name,
            ProviderFacts {
                has_par_endpoint_or_discovery: config.par_url.is_some(),
                // no ID tokens here
                id_token_algorithms: None,
                has_issuer: config.issuer.is_some(),
            },
        )?;
        match &config.revocation {
            Revocation::Rfc7009(u) | Revocation::GitHubApplicationsApi(u) => {
                check_endpoint_url("revocation", u)?;
            }
            Revocation::None => {}
        }
        let client = config.client.oauth_client(
            config
                .issuer
                .clone()
                .unwrap_or_else(|| config.token_url.clone()),
        );
        let auth = match (&config.private_key_jwt, config.client_auth) {
            (Some(_), None | Some(ClientAuthMethod::PrivateKeyJwt)) => {
                ClientAuthMethod::PrivateKeyJwt
            }
            _ => ClientAuthMethod::choose(config.client_secret.is_some(), config.client_auth, None),
        };
        Ok(OAuth2Provider {
            config,
            client,
            auth,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &OAuth2Config {
        &self.config
    }
}

impl Provider for OAuth2Provider {
    fn name(&self) -> &str {
        &self.config.name
    }

    fn refresh_token_advice(&self) -> String {
        match &self.config.refresh_token_advice {
            Some(a) => a.clone(),
            None => generic_refresh_token_advice(&self.config.scopes, None),
        }
    }

    /// Pushes the request first (RFC 9126) when the configuration or the
    /// profile asks for PAR.
    fn build_authorize_url(&self, request: &AuthorizeRequest<'_>) -> Result<String> {
        self.authorization_url(request)
            .map(AuthorizationUrl::into_url)
    }

    /// As `build_authorize_url`, with a pushed request's lifetime.
    fn authorization_url(&self, request: &AuthorizeRequest<'_>) -> Result<AuthorizationUrl> {
        self.client.http.guard(&[], || {
            let cfg = &self.config;
            cfg.profile.check_request(&cfg.name, request)?;
            let push =
                cfg.par == ParPolicy::Always || cfg.requires_par || cfg.profile.requires_par();
            if !push {
                return self
                    .client
                    .authorize_url(&cfg.authorize_url, request, &cfg.authorize_params)
                    .map(AuthorizationUrl::new);
            }
            let par_url = cfg
                .par_url
                .as_deref()
                .ok_or_else(|| no_par_endpoint(&cfg.name, "PAR is required"))?;
            self.client.pushed_authorize_url(
                par_url,
                &cfg.authorize_url,
                self.auth,
                request,
                &cfg.authorize_params,
            )
        })
    }

    fn exchange_code(&self, request: &CodeExchange) -> Result<TokenSet> {
        let verifier = request.verifier().map(|v| v.expose()).unwrap_or_default();
        let secrets = [request.code().expose(), verifier];
        self.client.http.guard(&secrets, || {
            self.client
                .exchange_code(&self.config.token_url, self.auth, request, &mut |_| Ok(()))
        })
    }

    fn refresh_tokens(&self, request: &TokenRefresh) -> Result<TokenSet> {
        let refresh_token = request.refresh_token().expose();
        let fresh = self.client.http.guard(&[refresh_token], || {
            let t = self
                .client
                .refresh(&self.config.token_url, self.auth, request, &mut |_| Ok(()))?;
            crate::provider::profile::warn_unrotated(
                self.config.profile,
                &self.config.name,
                self.client.creds.is_confidential(),
                refresh_token,
                &t,
            );
            Ok(t)
        })?;
        if let Some(current) = request.current() {
            crate::provider::identity::check_same_identity(current, &fresh)?;
        }
        Ok(fresh)
    }

    fn dpop(&self) -> Option<&DpopConfig> {
        self.config.dpop.as_ref()
    }

    fn get_userinfo(&self, request: &UserinfoRequest) -> Result<Option<Claims>> {
        let at = request.access_token().expose();
        self.client
            .http
            .guard(&[at], || match &self.config.userinfo_url {
                Some(u) => self.client.userinfo(u, request).map(Claims::from_object),
                None => Ok(None),
            })
    }

    fn revoke_token(&self, request: &TokenRevocation) -> Result<bool> {
        let token = request.token().expose();
        self.client
            .http
            .guard(&[token], || match &self.config.revocation {
                Revocation::None => Ok(false),
                Revocation::Rfc7009(u) => self.client.revoke(u, self.auth, request),
                Revocation::GitHubApplicationsApi(u) => self.client.revoke_github(u, token),
            })
    }

    fn issuer(&self) -> Option<String> {
        self.config.issuer.clone()
    }

    fn requires_iss_in_response(&self) -> bool {
        self.config.requires_iss || self.config.profile.requires_iss()
    }

    fn request_device_authorization(
        &self,
        request: &crate::provider::grants::device::DeviceAuthorizationRequest,
    ) -> Result<crate::provider::grants::device::DeviceAuthorization> {
        let url = self
            .config
            .device_authorization_url
            .as_deref()
            .ok_or_else(|| crate::provider::grants::device::no_device_endpoint(self.name()))?;
        self.client.device_authorization(url, self.auth, request)
    }

    fn client_id(&self) -> Option<&str> {
        Some(&self.config.client_id)
    }

    fn request_client_credentials(
        &self,
        request: &crate::provider::grants::client_credentials::ClientCredentialsRequest,
    ) -> Result<TokenSet> {
        self.client
            .client_credentials(&self.config.token_url, self.auth, request)
    }

    fn exchange_token(
        &self,
        request: &crate::provider::grants::token_exchange::TokenExchangeRequest,
    ) -> Result<crate::provider::grants::token_exchange::TokenExchangeResponse> {
        self.client
            .token_exchange(&self.config.token_url, self.auth, request)
    }

    fn request_jwt_bearer(
        &self,
        request: &crate::provider::grants::jwt_bearer::JwtBearerRequest,
    ) -> Result<TokenSet> {
        self.client.http.guard(&[], || {
            let form = self.client.jwt_bearer_form(request)?;
            self.client.jwt_bearer(
                &self.config.token_url,
                self.auth,
                request,
                form,
                &mut |_| Ok(()),
            )
        })
    }

    fn poll_device_token(
        &self,
        authorization: &crate::provider::grants::device::DeviceAuthorization,
    ) -> Result<crate::provider::grants::device::DevicePoll> {
        self.client
            .poll_device(&self.config.token_url, self.auth, authorization)
    }
}
