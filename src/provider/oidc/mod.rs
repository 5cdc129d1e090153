//! A generic OpenID Connect provider: discovery (cached), explicit endpoint
//! overrides, and ID-token validation after every code exchange and
//! refresh unless turned off.

pub mod discovery;
pub mod id_token;
pub(crate) mod iss_check;
pub mod jwks;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use crate::claims::Claims;
use crate::error::{Error, Result};
use crate::provider::authorization_url::AuthorizationUrl;
use crate::provider::client::OAuthClient;
use crate::provider::client_auth::ClientAuthMethod;
use crate::provider::client_settings::{
    client_settings_builders, wraps_client_settings, ClientSettings, ProviderFacts,
};
use crate::provider::dpop::DpopConfig;
use crate::provider::grants::par::{no_par_endpoint, ParPolicy};
use crate::provider::http::check_endpoint_url;
use crate::provider::identity::{check_same_identity, Identity, RefreshIdentities};
use crate::provider::offline_access::{
    generic_refresh_token_advice, scopes_with_offline_access, OfflineAccess,
};
use crate::provider::oidc::discovery::ProviderMetadata;
use crate::provider::oidc::id_token::{
    algorithm_allow_list, Expected, ExpectedIssuer, IdTokenClaims, IdTokenSettings,
    IdTokenValidator, TENANT_PLACEHOLDER,
};
use crate::provider::oidc::iss_check::check_response_iss;
use crate::provider::oidc::jwks::{JwksCache, DEFAULT_MAX_AGE, DEFAULT_MIN_REFETCH_INTERVAL};
use crate::provider::profile::FAPI2_ALGORITHMS;
use crate::provider::requests::{CodeExchange, TokenRefresh, TokenRevocation, UserinfoRequest};
use crate::provider::{AuthorizeRequest, Provider};
use crate::token::TokenSet;

/// Endpoints that replace (or stand in for) the discovered ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndpointOverrides {
    /// The authorization endpoint.
    pub authorization: Option<String>,
    /// The token endpoint.
    pub token: Option<String>,
    /// The userinfo endpoint.
    pub userinfo: Option<String>,
    /// The RFC 7009 revocation endpoint.
    pub revocation: Option<String>,
    /// The JWKS URI.
    pub jwks_uri: Option<String>,
    /// The RFC 8628 device authorization endpoint.
    pub device_authorization: Option<String>,
    /// The RP-initiated logout endpoint (`end_session_endpoint`).
    pub end_session: Option<String>,
    /// The RFC 9126 pushed authorization request endpoint.
    pub pushed_authorization_request: Option<String>,
}

/// Issuers with a tenant placeholder (Microsoft's multi-tenant
/// endpoints): discovery answers `.../{tenantid}/v2.0`, tokens carry the
/// user's own tenant in `iss` and `tid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantIssuer {
    /// The tenant segment of the configured issuer (`common`,
    /// `organizations`, `consumers` or a tenant id).
    pub tenant: String,
    /// A `tid` every token must have, when the endpoint is restricted to
    /// one tenant (`consumers`).
    pub required_tid: Option<String>,
}

/// Everything an [`OidcProvider`] needs; plain data.
///
/// ```
/// use oauthkit::provider::{OidcConfig, OidcProvider};
/// let mut cfg = OidcConfig::new("https://idp.example", "my-client");
/// cfg.endpoints.authorization = Some("https://idp.example/authorize".into());
/// assert!(cfg.require_id_token_validation);
/// assert_eq!(cfg.scopes, ["openid", "email", "profile"]);
/// let p = OidcProvider::new(cfg).unwrap(); // no I/O until needed
/// ```
#[derive(Debug, Clone)]
pub struct OidcConfig {
    /// A short name for messages (`"oidc"`, `"google"`, ...).
    pub name: String,
    /// The issuer; discovery must return exactly this `issuer`.
    pub issuer: String,
    /// The client settings every provider configuration shares (client
    /// id and secret, scopes, resources, authorization parameters, HTTP,
    /// `private_key_jwt`, PAR policy, profile, DPoP); their fields also
    /// read and write directly on the configuration (`cfg.scopes`). With
    /// a secret and no `client_auth`, the method is picked from discovery
    /// (`client_secret_basic` first).
    pub client: ClientSettings,
    /// Whether `offline_access` is added when discovery lists it (default
    /// [`OfflineAccess::AsConfigured`]: never; see [`OfflineAccess`]).
    pub offline_access: OfflineAccess,
    /// What to tell the operator when a sign-in ends without a refresh
    /// token (a preset's own advice; `None`: one from the scopes and
    /// discovery's `scopes_supported`).
    pub refresh_token_advice: Option<String>,
    /// Endpoints used instead of the discovered ones.
    pub endpoints: EndpointOverrides,
    /// Validate ID tokens after code exchange and refresh (default on).
    pub require_id_token_validation: bool,
    /// ID-token validation knobs.
    pub id_token: IdTokenSettings,
    /// A tenant placeholder in the issuer (Microsoft multi-tenant).
    pub tenant_issuer: Option<TenantIssuer>,
    /// Shortest time between JWKS refetches for unknown `kid`s.
    pub jwks_min_refetch_interval: Duration,
    /// How long fetched JWKS keys are trusted before the key set is
    /// fetched again, so a key the provider withdraws stops verifying.
    pub jwks_max_age: Duration,
}

wraps_client_settings!(OidcConfig);

impl OidcConfig {
    /// A public client of `issuer` with scopes `openid email profile`.
    pub fn new(issuer: impl Into<String>, client_id: impl Into<String>) -> Self {
        OidcConfig {
            name: "oidc".to_owned(),
            issuer: issuer.into(),
            client: ClientSettings::new(client_id).scopes(["openid", "email", "profile"]),
            offline_access: OfflineAccess::default(),
            refresh_token_advice: None,
            endpoints: EndpointOverrides::default(),
            require_id_token_validation: true,
            id_token: IdTokenSettings::default(),
            tenant_issuer: None,
            jwks_min_refetch_interval: DEFAULT_MIN_REFETCH_INTERVAL,
            jwks_max_age: DEFAULT_MAX_AGE,
        }
    }

    client_settings_builders!(
        "let cfg = oauthkit::provider::OidcConfig::new(\"https://idp.example\", \"app\")"
    );

    /// Sets when authorization requests are pushed (RFC 9126).
    ///
    /// ```
    /// use oauthkit::provider::{OidcConfig, ParPolicy};
    /// let cfg = OidcConfig::new("https://idp.example", "app").par(ParPolicy::Always);
    /// assert_eq!(cfg.par, ParPolicy::Always);
    /// ```
    pub fn par(mut self, par: ParPolicy) -> Self {
        self.client.par = par;
        self
    }
}

/// What discovery settled, computed once.
#[derive(Debug)]
struct Discovered {
    metadata: ProviderMetadata,
    expected_issuer: ExpectedIssuer,
    jwks: Option<JwksCache>,
    validator: IdTokenValidator,
    auth: ClientAuthMethod,
}

/// A generic OpenID Connect provider.
///
/// Discovery (`{issuer}/.well-known/openid-configuration`) runs on first
/// need and its result is cached; a failed discovery is retried on the
/// next call. Explicit endpoints in [`OidcConfig::endpoints`] win over
/// discovered ones, and calls that only need overridden endpoints do no
/// discovery at all.
#[derive(Debug)]
pub struct OidcProvider {
    config: OidcConfig,
    client: OAuthClient,
    discovered: Mutex<Option<Arc<Discovered>>>,
    /// Who each refresh token seen by this object was issued to.
    identities: RefreshIdentities,
}

enum Endpoint {
    Authorization,
    Token,
    Userinfo,
    Revocation,
}

impl OidcProvider {
    /// Checks the configuration and builds the provider (no I/O).
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
    pub fn new(mut config: OidcConfig) -> Result<Self> {
        config.client.check_client(&config.name)?;
        check_endpoint_url("issuer", &config.issuer)?;
        let o = &config.endpoints;
        for (what, url) in [
            ("authorization", &o.authorization),
            ("token", &o.token),
            ("userinfo", &o.userinfo),
            ("revocation", &o.revocation),
            ("jwks", &o.jwks_uri),
            ("device_authorization", &o.device_authorization),
            ("end_session", &o.end_session),
            (
                "pushed_authorization_request",
                &o.pushed_authorization_request,
            ),
        ] {
            if let Some(u) = url {
                check_endpoint_url(what, u)?;
            }
        }
        if let Some(list) = &config.id_token.allowed_algorithms {
            algorithm_allow_list(list, true)?;
        }
        config.client.check_authentication(
            &config.name,
            ProviderFacts {
                // discovery names it, or the first request fails with a
                // typed error naming PAR
                has_par_endpoint_or_discovery: true,
                id_token_algorithms: config.id_token.allowed_algorithms.as_deref(),
                has_issuer: true,
            },
        )?;
        if config.profile.is_fapi2() && config.id_token.allowed_algorithms.is_none() {
            config.id_token.allowed_algorithms =
                Some(FAPI2_ALGORITHMS.iter().map(|a| a.to_string()).collect());
        }
        let client = config.client.oauth_client(config.issuer.clone());
        Ok(OidcProvider {
            config,
            client,
            discovered: Mutex::new(None),
            identities: RefreshIdentities::default(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &OidcConfig {
        &self.config
    }

    /// Runs discovery now (or returns the cached result); a failed
    /// discovery is tried again on the next call.
    ///
    /// # Errors
    ///
    /// - [`Error::Http`] when the server cannot be reached, answers with
    ///   an error status, or the document is too large or not provider
    ///   metadata.
    /// - [`Error::Authentication`] when the document's `issuer` is not
    ///   the configured one (a mix-up).
    /// - [`Error::InvalidArgument`] when its `jwks_uri` is neither
    ///   `https` nor `http` on loopback, or it lists no ID-token signing
    ///   algorithm oauthkit verifies.
    pub fn discover(&self) -> Result<ProviderMetadata> {
        Ok(self.discovered()?.metadata.clone())
    }

    fn guard<T>(&self, secrets: &[&str], f: impl FnOnce() -> Result<T>) -> Result<T> {
        self.client.http.guard(secrets, f)
    }

    /// How many times the JWKS has been fetched (0 before the first
    /// validation).
    pub fn jwks_fetch_count(&self) -> usize {
        let guard = self.discovered.lock().unwrap_or_else(|p| p.into_inner());
        guard
            .as_ref()
            .and_then(|d| d.jwks.as_ref())
            .map_or(0, JwksCache::fetch_count)
    }

    /// Validates an ID token of this provider (signature, `iss`, `aud`,
    /// `azp`, times, `nonce` when given, `at_hash` when the token has one
    /// and `access_token` is given).
    ///
    /// # Errors
    ///
    /// - [`Error::IdToken`] when the token fails a check (its
    ///   [`IdTokenError`](crate::error::IdTokenError) says which), or the
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
        let secrets = [id_token, access_token.unwrap_or_default()];
        self.guard(&secrets, || {
            self.validate_id_token_inner(id_token, nonce, access_token)
        })
    }

    fn validate_id_token_inner(
        &self,
        id_token: &str,
        nonce: Option<&str>,
        access_token: Option<&str>,
    ) -> Result<IdTokenClaims> {
        let d = self.discovered()?;
        let jwks = d
            .jwks
            .as_ref()
            .ok_or_else(|| Error::IdToken("the provider has no jwks_uri".into()))?;
        d.validator.validate(
            id_token,
            jwks,
            &Expected {
                nonce,
                access_token,
            },
        )
    }

    fn discovered(&self) -> Result<Arc<Discovered>> {
        let mut guard = self.discovered.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(d) = guard.as_ref() {
            return Ok(d.clone());
        }
        // Only the kind is logged: the text may echo secrets of the
        // calling operation, which only its own scrubbing knows.
        let d = Arc::new(self.guard(&[], || self.run_discovery()).inspect_err(|e| {
            log::warn!(
                "discovery for {} failed ({:?}; the caller gets the details)",
                self.config.issuer,
                e.kind()
            )
        })?);
        *guard = Some(d.clone());
        Ok(d)
    }

    /// The configured scopes plus `offline_access` when the configuration
    /// and the discovery document (when it has been fetched: it always
    /// has when the authorization endpoint is discovered) call for it.
    fn offline_access_scopes(&self) -> Option<String> {
        let d = self
            .discovered
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()?;
        let scope = scopes_with_offline_access(
            self.config.offline_access,
            &self.config.scopes,
            &d.metadata.scopes_supported,
        )?;
        log::info!(
            "{}: asking for offline_access too (the provider lists it and \
             OidcConfig::offline_access is WhenListed)",
            self.config.name
        );
        Some(scope)
    }

    fn run_discovery(&self) -> Result<Discovered> {
        let cfg = &self.config;
        log::debug!("discovery for {}: fetching", cfg.issuer);
        let metadata = discovery::fetch(&self.client.http, &cfg.issuer)?;
        let expected_issuer = self.expected_issuer(&metadata.issuer)?;
        let jwks_uri = cfg
            .endpoints
            .jwks_uri
            .clone()
            .or_else(|| metadata.jwks_uri.clone());
        let jwks = match jwks_uri {
            Some(u) => {
                check_endpoint_url("jwks", &u)?;
                Some(
                    JwksCache::new(self.client.http.clone(), &u)
                        .with_min_refetch_interval(cfg.jwks_min_refetch_interval)
                        .with_max_age(cfg.jwks_max_age),
                )
            }
            None => None,
        };
        let algorithms = match &cfg.id_token.allowed_algorithms {
            Some(list) => algorithm_allow_list(list, true)?,
            None => algorithm_allow_list(&metadata.id_token_signing_alg_values_supported, false)?,
        };
        let validator = IdTokenValidator::new(
            expected_issuer.clone(),
            &cfg.client_id,
            algorithms,
            cfg.id_token.clone(),
        )?;
        let auth = ClientAuthMethod::choose(
            cfg.client_secret.is_some(),
            cfg.client_auth,
            metadata.token_endpoint_auth_methods_supported.as_ref(),
        );
        let has = |e: &Option<String>| if e.is_some() { "yes" } else { "no" };
        log::info!(
            "discovery for {}: done (JWKS at {}; revocation: {}, end session: {}, userinfo: {})",
            cfg.issuer,
            jwks.as_ref().map_or("none".into(), |j| {
                super::http::provider_origin(&self.client.http, j.uri())
            }),
            has(&metadata.revocation_endpoint),
            has(&metadata.end_session_endpoint),
            has(&metadata.userinfo_endpoint),
        );
        Ok(Discovered {
            metadata,
            expected_issuer,
            jwks,
            validator,
            auth,
        })
    }

    /// OIDC Discovery §4.3: the discovered issuer must equal the configured
    /// one exactly; with a tenant placeholder, the template filled with the
    /// configured tenant must.
    ///
    /// Microsoft deviates for tenants named by an alias: discovery for
    /// `.../consumers/v2.0` or `.../contoso.onmicrosoft.com/v2.0` names the
    /// tenant's id (`.../9188040d-.../v2.0`). That issuer is accepted when
    /// it is the configured one with the tenant segment replaced by a
    /// tenant id (a GUID; for `consumers`, the consumer tenant's), and
    /// tokens must then carry exactly it.
    fn expected_issuer(&self, discovered: &str) -> Result<ExpectedIssuer> {
        let configured = &self.config.issuer;
        if discovered == configured {
            return Ok(ExpectedIssuer::Exact(discovered.to_owned()));
        }
        if let Some(t) = &self.config.tenant_issuer {
            if discovered.contains(TENANT_PLACEHOLDER)
                && discovered.replace(TENANT_PLACEHOLDER, &t.tenant) == *configured
            {
                return Ok(ExpectedIssuer::TenantTemplate {
                    template: discovered.to_owned(),
                    tenant: t.required_tid.clone(),
                });
            }
            if let Some(id) = tenant_in_place_of(configured, &t.tenant, discovered) {
                if is_guid(id) && t.required_tid.as_deref().is_none_or(|r| r == id) {
                    return Ok(ExpectedIssuer::Exact(discovered.to_owned()));
                }
            }
        }
        Err(Error::Authentication(format!(
            "OIDC issuer mismatch: configured '{configured}', discovery document says '{}'",
            discovered.chars().take(200).collect::<String>()
        )))
    }

    fn endpoint(&self, which: Endpoint) -> Result<Option<String>> {
        let o = &self.config.endpoints;
        let overridden = match which {
            Endpoint::Authorization => &o.authorization,
            Endpoint::Token => &o.token,
            Endpoint::Userinfo => &o.userinfo,
            Endpoint::Revocation => &o.revocation,
        };
        if let Some(u) = overridden {
            return Ok(Some(u.clone()));
        }
        let d = self.discovered()?;
        let m = &d.metadata;
        Ok(match which {
            Endpoint::Authorization => m.authorization_endpoint.clone(),
            Endpoint::Token => m.token_endpoint.clone(),
            Endpoint::Userinfo => m.userinfo_endpoint.clone(),
            Endpoint::Revocation => m.revocation_endpoint.clone(),
        })
    }

    /// The PAR endpoint when requests are to be pushed, `None` when not;
    /// an error when they must be and there is no endpoint.
    fn par_endpoint(&self) -> Result<Option<String>> {
        let cfg = &self.config;
        let (configured, forced) = (
            cfg.endpoints.pushed_authorization_request.clone(),
            cfg.par == ParPolicy::Always || cfg.profile.requires_par(),
        );
        if !forced && cfg.endpoints.authorization.is_some() && configured.is_none() {
            // endpoints configured by hand and PAR not asked for: no
            // discovery just to learn that it is not required
            return Ok(None);
        }
        let d = self.discovered()?;
        let m = &d.metadata;
        let why = if forced {
            match cfg.par {
                ParPolicy::Always => "the configuration asks for PAR".to_owned(),
                _ => format!("the {} profile requires PAR", cfg.profile.name()),
            }
        } else if m.require_pushed_authorization_requests {
            "discovery says require_pushed_authorization_requests".to_owned()
        } else {
            return Ok(None);
        };
        match configured.or_else(|| m.pushed_authorization_request_endpoint.clone()) {
            Some(u) => {
                check_endpoint_url("pushed_authorization_request", &u)?;
                Ok(Some(u))
            }
            None => Err(no_par_endpoint(&cfg.name, &why)),
        }
    }

    fn required(&self, which: Endpoint, name: &str) -> Result<String> {
        self.endpoint(which)?.ok_or_else(|| {
            Error::InvalidArgument(format!(
                "{}: no {name} endpoint configured or discovered",
                self.config.name
            ))
        })
    }

    fn auth_method(&self) -> Result<ClientAuthMethod> {
        let cfg = &self.config;
        if cfg.private_key_jwt.is_some()
            && matches!(
                cfg.client_auth,
                None | Some(ClientAuthMethod::PrivateKeyJwt)
            )
        {
            return Ok(ClientAuthMethod::PrivateKeyJwt);
        }
        if cfg.client_secret.is_none() || cfg.client_auth.is_some() {
            return Ok(ClientAuthMethod::choose(
                cfg.client_secret.is_some(),
                cfg.client_auth,
                None,
            ));
        }
        Ok(self.discovered()?.auth)
    }

    /// Validates the ID token of a fresh token set and records its `sub`.
    /// After a refresh (`refreshed_from` is `Some`), a new ID token must
    /// name the same user as before (OIDC Core §12.2) when that user is
    /// known. Returns who the token set belongs to, when known.
    fn check_id_token(
        &self,
        t: &mut TokenSet,
        nonce: Option<&str>,
        refreshed_from: Option<Option<&Identity>>,
    ) -> Result<Option<Identity>> {
        let previous = refreshed_from.flatten();
        let unchecked = || {
            previous
                .cloned()
                .or_else(|| t.identity_id.clone().map(|sub| Identity { iss: None, sub }))
        };
        if !self.config.require_id_token_validation {
            return Ok(unchecked());
        }
        let Some(id_token) = t.id_token.clone() else {
            if refreshed_from.is_none()
                && t.has_scope("openid")
                && self.config.scopes.iter().any(|s| s == "openid")
            {
                return Err(Error::IdToken(
                    "the token response has no id_token although the openid scope was requested"
                        .into(),
                ));
            }
            return Ok(unchecked());
        };
        let claims =
            self.validate_id_token_inner(id_token.expose(), nonce, Some(t.access_token.expose()))?;
        let iss = claims
            .claims()
            .get("iss")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        if let Some(before) = previous {
            before.check_same(&iss, &claims.sub)?;
        }
        t.identity_id = Some(claims.sub.clone());
        Ok(Some(Identity {
            iss: Some(iss),
            sub: claims.sub,
        }))
    }

    /// A refresh whose ID token, if any, must name `previous` (else the
    /// user this object saw the refresh token issued to).
    fn refresh_with(&self, request: &TokenRefresh) -> Result<TokenSet> {
        let refresh_token = request.refresh_token().expose();
        let previous = request
            .current()
            .and_then(Identity::of)
            .or_else(|| self.identities.lookup(refresh_token));
        let url = self.required(Endpoint::Token, "token")?;
        let mut who = None;
        let mut t = self
            .client
            .refresh(&url, self.auth_method()?, request, &mut |t| {
                who = self.check_id_token(t, None, Some(previous.as_ref()))?;
                Ok(())
            })?;
        if t.identity_id.is_none() {
            t.identity_id = who.as_ref().map(|w| w.sub.clone());
        }
        crate::provider::profile::warn_unrotated(
            self.config.profile,
            &self.config.name,
            self.client.creds.is_confidential(),
            refresh_token,
            &t,
        );
        self.remember(&t, who);
        Ok(t)
    }

    fn remember(&self, t: &TokenSet, who: Option<Identity>) {
        if let (Some(rt), Some(who)) = (&t.refresh_token, who) {
            self.identities.remember(rt.expose(), who);
        }
    }
}

impl Provider for OidcProvider {
    fn name(&self) -> &str {
        &self.config.name
    }

    fn refresh_token_advice(&self) -> String {
        if let Some(a) = &self.config.refresh_token_advice {
            return a.clone();
        }
        let discovered = self
            .discovered
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        generic_refresh_token_advice(
            &self.config.scopes,
            discovered
                .as_ref()
                .map(|d| d.metadata.scopes_supported.as_slice()),
        )
    }

    /// Pushes the request first (RFC 9126) when discovery requires it,
    /// the profile does, or [`ClientSettings::par`] says always.
    fn build_authorize_url(&self, request: &AuthorizeRequest<'_>) -> Result<String> {
        self.authorization_url(request)
            .map(AuthorizationUrl::into_url)
    }

    /// As `build_authorize_url`, with a pushed request's lifetime.
    fn authorization_url(&self, request: &AuthorizeRequest<'_>) -> Result<AuthorizationUrl> {
        self.guard(&[], || {
            self.config
                .profile
                .check_request(&self.config.name, request)?;
            let url = self.required(Endpoint::Authorization, "authorization")?;
            let defaults = match self.offline_access_scopes() {
                Some(scope) => {
                    let mut d = vec![("scope".to_owned(), scope)];
                    d.extend(self.config.authorize_params.iter().cloned());
                    d
                }
                None => self.config.authorize_params.clone(),
            };
            let Some(par_url) = self.par_endpoint()? else {
                return self
                    .client
                    .authorize_url(&url, request, &defaults)
                    .map(AuthorizationUrl::new);
            };
            self.client.pushed_authorize_url(
                &par_url,
                &url,
                self.auth_method()?,
                request,
                &defaults,
            )
        })
    }

    fn exchange_code(&self, request: &CodeExchange) -> Result<TokenSet> {
        let verifier = request.verifier().map(|v| v.expose()).unwrap_or_default();
        let secrets = [request.code().expose(), verifier];
        self.guard(&secrets, || {
            let url = self.required(Endpoint::Token, "token")?;
            let mut who = None;
            let t = self
                .client
                .exchange_code(&url, self.auth_method()?, request, &mut |t| {
                    who = self.check_id_token(t, request.expected_nonce(), None)?;
                    Ok(())
                })?;
            self.remember(&t, who);
            Ok(t)
        })
    }

    fn dpop(&self) -> Option<&DpopConfig> {
        self.config.dpop.as_ref()
    }

    fn refresh_tokens(&self, request: &TokenRefresh) -> Result<TokenSet> {
        self.guard(&[request.refresh_token().expose()], || {
            let fresh = self.refresh_with(request)?;
            if let Some(current) = request.current() {
                check_same_identity(current, &fresh)?;
            }
            Ok(fresh)
        })
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
        self.guard(&[request.token().expose()], || {
            match self.endpoint(Endpoint::Revocation)? {
                Some(u) => self.client.revoke(&u, self.auth_method()?, request),
                None => Ok(false),
            }
        })
    }

    fn issuer(&self) -> Option<String> {
        Some(self.config.issuer.clone())
    }

    fn request_device_authorization(
        &self,
        request: &crate::provider::grants::device::DeviceAuthorizationRequest,
    ) -> Result<crate::provider::grants::device::DeviceAuthorization> {
        let url = match &self.config.endpoints.device_authorization {
            Some(u) => u.clone(),
            None => crate::provider::grants::device::discovered_endpoint(
                &self.discovered()?.metadata,
            )
            .ok_or_else(|| crate::provider::grants::device::no_device_endpoint(self.name()))?,
        };
        self.client
            .device_authorization(&url, self.auth_method()?, request)
    }

    fn end_session_url(
        &self,
        request: &crate::provider::grants::end_session::EndSessionRequest,
    ) -> Result<Option<String>> {
        let url = match &self.config.endpoints.end_session {
            Some(u) => Some(u.clone()),
            None => self.discovered()?.metadata.end_session_endpoint.clone(),
        };
        url.map(|u| request.url(&u, &self.config.client_id))
            .transpose()
    }

    fn client_id(&self) -> Option<&str> {
        Some(&self.config.client_id)
    }

    fn request_client_credentials(
        &self,
        request: &crate::provider::grants::client_credentials::ClientCredentialsRequest,
    ) -> Result<TokenSet> {
        let url = self.required(Endpoint::Token, "token")?;
        self.client
            .client_credentials(&url, self.auth_method()?, request)
    }

    fn exchange_token(
        &self,
        request: &crate::provider::grants::token_exchange::TokenExchangeRequest,
    ) -> Result<crate::provider::grants::token_exchange::TokenExchangeResponse> {
        let actor = request.actor().map(|a| a.expose()).unwrap_or_default();
        self.guard(&[request.subject_token().expose(), actor], || {
            let url = self.required(Endpoint::Token, "token")?;
            self.client
                .token_exchange(&url, self.auth_method()?, request)
        })
    }

    /// Validates an ID token when the answer has one (without a nonce).
    fn request_jwt_bearer(
        &self,
        request: &crate::provider::grants::jwt_bearer::JwtBearerRequest,
    ) -> Result<TokenSet> {
        self.guard(&[], || {
            let form = self.client.jwt_bearer_form(request)?;
            let url = self.required(Endpoint::Token, "token")?;
            self.client
                .jwt_bearer(&url, self.auth_method()?, request, form, &mut |t| {
                    if t.id_token.is_some() {
                        self.check_id_token(t, None, None)?;
                    }
                    Ok(())
                })
        })
    }

    fn poll_device_token(
        &self,
        authorization: &crate::provider::grants::device::DeviceAuthorization,
    ) -> Result<crate::provider::grants::device::DevicePoll> {
        let url = self.required(Endpoint::Token, "token")?;
        let mut poll = self
            .client
            .poll_device(&url, self.auth_method()?, authorization)?;
        if let crate::provider::grants::device::DevicePoll::Tokens(t) = &mut poll {
            self.check_id_token(t, None, None)?;
        }
        Ok(poll)
    }

    /// Runs discovery if needed; when it fails, answers `true` (a callback
    /// without `iss` is then refused rather than trusted).
    fn requires_iss_in_response(&self) -> bool {
        if self.config.profile.requires_iss() {
            return true;
        }
        self.discovered()
            .map(|d| d.metadata.authorization_response_iss_parameter_supported)
            .unwrap_or(true)
    }

    fn check_authorization_response_iss(&self, iss: Option<&str>) -> Result<()> {
        self.guard(&[], || self.check_iss_inner(iss))
    }
}

impl OidcProvider {
    fn check_iss_inner(&self, iss: Option<&str>) -> Result<()> {
        let required = self.requires_iss_in_response();
        let template = self
            .discovered
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|d| d.expected_issuer.clone());
        match (template, iss) {
            // Multi-tenant: the callback names the user's tenant.
            (Some(e @ ExpectedIssuer::TenantTemplate { .. }), Some(got)) => {
                let tid = tenant_segment(&e, got);
                if e.matches(got, tid.as_deref()) {
                    Ok(())
                } else {
                    check_response_iss(Some(e.describe()), required, Some(got))
                }
            }
            (Some(ExpectedIssuer::Exact(discovered)), _) => {
                check_response_iss(Some(&discovered), required, iss)
            }
            _ => check_response_iss(Some(&self.config.issuer), required, iss),
        }
    }
}

/// What stands in `other` where the `/{tenant}/` segment stands in
/// `configured`.
fn tenant_in_place_of<'a>(configured: &str, tenant: &str, other: &'a str) -> Option<&'a str> {
    let segment = format!("/{tenant}/");
    let at = configured.rfind(&segment)?;
    let (prefix, suffix) = (&configured[..=at], &configured[at + segment.len() - 1..]);
    other.strip_prefix(prefix)?.strip_suffix(suffix)
}

/// `8-4-4-4-12` hexadecimal digits.
fn is_guid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()))
}

/// The value standing where `{tenantid}` stands in the template.
fn tenant_segment(e: &ExpectedIssuer, iss: &str) -> Option<String> {
    let ExpectedIssuer::TenantTemplate { template, .. } = e else {
        return None;
    };
    let (prefix, suffix) = template.split_once(TENANT_PLACEHOLDER)?;
    iss.strip_prefix(prefix)?
        .strip_suffix(suffix)
        .map(str::to_owned)
}
