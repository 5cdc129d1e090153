//! The OpenID Connect layer of an [`OAuthProvider`](crate::provider::OAuthProvider):
//! discovery (cached; a failed one is retried on the next call), the
//! endpoints and client authentication it settles, the JWKS cache, ID-token
//! validation after every code exchange and refresh, the identities of the
//! refresh tokens seen, and the tenant issuer of multi-tenant endpoints.
//! A plain OAuth 2.0 provider has no such layer.

use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};
use crate::provider::client_auth::ClientAuthMethod;
use crate::provider::client_settings::ProviderFacts;
use crate::provider::endpoint::Endpoint;
use crate::provider::grants::par::{no_par_endpoint, ParPolicy};
use crate::provider::http::{check_endpoint_url, provider_origin, HttpClient};
use crate::provider::identity::{Identity, RefreshIdentities};
use crate::provider::offline_access::scopes_with_offline_access;
use crate::provider::oidc::config::OidcConfig;
use crate::provider::oidc::discovery::{self, ProviderMetadata};
use crate::provider::oidc::id_token::{
    algorithm_allow_list, Expected, ExpectedIssuer, IdTokenClaims, IdTokenValidator,
    TENANT_PLACEHOLDER,
};
use crate::provider::oidc::iss_check::check_response_iss;
use crate::provider::oidc::jwks::JwksCache;
use crate::provider::profile::FAPI2_ALGORITHMS;
use crate::provider::requests::TokenRefresh;
use crate::token::TokenSet;

/// The log target of discovery and the OIDC layer: the one docs/logging.md
/// names (`oauthkit::provider::oidc`), whichever file the code is in.
const LOG_TARGET: &str = "oauthkit::provider::oidc";

/// What discovery settled, computed once.
#[derive(Debug)]
struct Discovered {
    metadata: ProviderMetadata,
    expected_issuer: ExpectedIssuer,
    jwks: Option<JwksCache>,
    validator: IdTokenValidator,
    auth: ClientAuthMethod,
}

/// Discovery, JWKS and ID-token validation over one [`OidcConfig`].
#[derive(Debug)]
pub(crate) struct OidcLayer {
    pub(crate) config: OidcConfig,
    http: HttpClient,
    discovered: Mutex<Option<Arc<Discovered>>>,
    /// Who each refresh token seen by this object was issued to.
    identities: RefreshIdentities,
}

impl OidcLayer {
    /// Checks the configuration (no I/O) and completes it (the FAPI 2.0
    /// ID-token algorithms).
    pub(crate) fn check(config: &mut OidcConfig) -> Result<()> {
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
        Ok(())
    }

    /// A layer over a checked configuration; no I/O.
    pub(crate) fn new(config: OidcConfig, http: HttpClient) -> Self {
        OidcLayer {
            config,
            http,
            discovered: Mutex::new(None),
            identities: RefreshIdentities::default(),
        }
    }

    /// Discovery's metadata (running it when it has not run).
    pub(crate) fn metadata(&self) -> Result<ProviderMetadata> {
        Ok(self.discovered()?.metadata.clone())
    }

    /// How many times the JWKS has been fetched.
    pub(crate) fn jwks_fetch_count(&self) -> usize {
        self.cached()
            .as_ref()
            .and_then(|d| d.jwks.as_ref())
            .map_or(0, JwksCache::fetch_count)
    }

    /// Validates an ID token (the caller scrubs its secrets from errors).
    pub(crate) fn validate(
        &self,
        id_token: &str,
        nonce: Option<&str>,
        access_token: Option<&str>,
    ) -> Result<IdTokenClaims> {
        let d = self.discovered()?;
        let jwks = d
            .jwks
            .as_ref()
            .ok_or_else(|| Error::id_token("the provider has no jwks_uri"))?;
        d.validator.validate(
            id_token,
            jwks,
            &Expected {
                nonce,
                access_token,
            },
        )
    }

    /// The cached discovery result, without running discovery.
    fn cached(&self) -> Option<Arc<Discovered>> {
        self.discovered
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn discovered(&self) -> Result<Arc<Discovered>> {
        let mut guard = self.discovered.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(d) = guard.as_ref() {
            return Ok(d.clone());
        }
        // Only the kind is logged: the text may echo secrets of the
        // calling operation, which only its own scrubbing knows.
        let d = Arc::new(
            self.http
                .guard(&[], || self.run_discovery())
                .inspect_err(|e| {
                    log::warn!(
                        target: LOG_TARGET,
                        "discovery for {} failed ({:?}; the caller gets the details)",
                        self.config.issuer,
                        e.kind()
                    )
                })?,
        );
        *guard = Some(d.clone());
        Ok(d)
    }

    /// The configured scopes plus `offline_access` when the configuration
    /// and the discovery document (when it has been fetched: it always
    /// has when the authorization endpoint is discovered) call for it.
    pub(crate) fn offline_access_scopes(&self) -> Option<String> {
        let d = self.cached()?;
        let scope = scopes_with_offline_access(
            self.config.offline_access,
            &self.config.scopes,
            &d.metadata.scopes_supported,
        )?;
        log::info!(
            target: LOG_TARGET,
            "{}: asking for offline_access too (the provider lists it and \
             OidcConfig::offline_access is WhenListed)",
            self.config.name
        );
        Some(scope)
    }

    /// Discovery's `scopes_supported`, when discovery has run.
    pub(crate) fn scopes_supported(&self) -> Option<Vec<String>> {
        self.cached().map(|d| d.metadata.scopes_supported.clone())
    }

    fn run_discovery(&self) -> Result<Discovered> {
        let cfg = &self.config;
        log::debug!(target: LOG_TARGET, "discovery for {}: fetching", cfg.issuer);
        let metadata = discovery::fetch(&self.http, &cfg.issuer)?;
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
                    JwksCache::new(self.http.clone(), &u)
                        .min_refetch_interval(cfg.jwks_min_refetch_interval)
                        .max_age(cfg.jwks_max_age),
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
            target: LOG_TARGET,
            "discovery for {}: done (JWKS at {}; revocation: {}, end session: {}, userinfo: {})",
            cfg.issuer,
            jwks.as_ref()
                .map_or("none".into(), |j| { provider_origin(&self.http, j.uri()) }),
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

    /// An endpoint: the override, else the discovered one.
    pub(crate) fn endpoint(&self, which: Endpoint) -> Result<Option<String>> {
        let o = &self.config.endpoints;
        let overridden = match which {
            Endpoint::Authorization => &o.authorization,
            Endpoint::Token => &o.token,
            Endpoint::Userinfo => &o.userinfo,
            Endpoint::Revocation => &o.revocation,
            Endpoint::DeviceAuthorization => &o.device_authorization,
            Endpoint::EndSession => &o.end_session,
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
            Endpoint::DeviceAuthorization => {
                crate::provider::grants::device::discovered_endpoint(m)
            }
            Endpoint::EndSession => m.end_session_endpoint.clone(),
        })
    }

    /// The PAR endpoint when requests are to be pushed, `None` when not;
    /// an error when they must be and there is no endpoint.
    pub(crate) fn par_endpoint(&self) -> Result<Option<String>> {
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

    /// The client authentication discovery picked (a secret and no
    /// configured method: `client_secret_basic` first).
    pub(crate) fn discovered_auth(&self) -> Result<ClientAuthMethod> {
        Ok(self.discovered()?.auth)
    }

    /// Validates the ID token of a fresh token set and records its `sub`.
    /// After a refresh (`refreshed_from` is `Some`), a new ID token must
    /// name the same user as before (OIDC Core §12.2) when that user is
    /// known. Returns who the token set belongs to, when known.
    pub(crate) fn check_id_token(
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
                return Err(Error::id_token(
                    "the token response has no id_token although the openid scope was requested",
                ));
            }
            return Ok(unchecked());
        };
        let claims = self.validate(id_token.expose(), nonce, Some(t.access_token.expose()))?;
        let iss = claims.iss().to_owned();
        if let Some(before) = previous {
            before.check_same(&iss, &claims.sub)?;
        }
        t.identity_id = Some(claims.sub.clone());
        Ok(Some(Identity {
            iss: Some(iss),
            sub: claims.sub,
        }))
    }

    /// Who a refresh's answer must name: the refreshed set's user, else
    /// the user this object saw the refresh token issued to.
    pub(crate) fn previous_identity(&self, request: &TokenRefresh) -> Option<Identity> {
        request
            .current()
            .and_then(Identity::of)
            .or_else(|| self.identities.lookup(request.refresh_token().expose()))
    }

    /// Records who a fresh refresh token was issued to.
    pub(crate) fn remember(&self, t: &TokenSet, who: Option<Identity>) {
        if let (Some(rt), Some(who)) = (&t.refresh_token, who) {
            self.identities.remember(rt.expose(), who);
        }
    }

    /// Whether callbacks must carry `iss`: what discovery says; when it
    /// fails, `true` (a callback without `iss` is then refused rather than
    /// trusted).
    pub(crate) fn requires_iss(&self) -> bool {
        self.discovered()
            .map(|d| d.metadata.authorization_response_iss_parameter_supported)
            .unwrap_or(true)
    }

    /// The RFC 9207 check of a callback's `iss` against the discovered
    /// issuer (a tenant template: the user's tenant), else the configured one.
    pub(crate) fn check_iss(&self, iss: Option<&str>, required: bool) -> Result<()> {
        let template = self.cached().map(|d| d.expected_issuer.clone());
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
