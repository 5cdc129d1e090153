//! Building a provider from settings: a plain struct, or the environment
//! (`OAUTHKIT_PROVIDER`, `OAUTHKIT_CLIENT_ID`, ...).

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::error::{Error, Result};
use crate::jose::{SigningAlgorithm, SigningKey};
use crate::provider::client_settings::ClientSettings;
use crate::provider::dpop::DpopConfig;
use crate::provider::grants::par::ParPolicy;
use crate::provider::http::tls::TrustStore;
use crate::provider::http::{HttpConfig, HttpProxy};
use crate::provider::oauth2_config::OAuth2Config;
use crate::provider::oauth_provider::OAuthProvider;
use crate::provider::offline_access::OfflineAccess;
use crate::provider::oidc::config::OidcConfig;
use crate::provider::presets::{auth0, github, gitlab, google, keycloak, microsoft, okta};
use crate::provider::profile::SecurityProfile;
use crate::secret::Secret;

/// Which provider to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProviderKind {
    /// [`google`] preset.
    Google,
    /// [`github`] preset.
    GitHub,
    /// [`microsoft`] preset (`tenant_id`).
    Microsoft,
    /// Generic OpenID Connect with discovery (`issuer_url`).
    Oidc,
    /// Plain OAuth 2.0 with explicit `authorize_url` and `token_url`.
    Custom,
    /// [`keycloak`] preset (`base_url`, `realm`).
    Keycloak,
    /// [`auth0`] preset (`domain`, optional `audience`).
    Auth0,
    /// [`okta`] preset (`base_url` = the org URL, optional
    /// `authorization_server`).
    Okta,
    /// [`gitlab`] preset (optional `base_url`).
    GitLab,
}

impl ProviderKind {
    /// Every accepted name.
    pub const NAMES: [&'static str; 9] = [
        "google",
        "github",
        "microsoft",
        "oidc",
        "custom",
        "keycloak",
        "auth0",
        "okta",
        "gitlab",
    ];

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Google => "google",
            ProviderKind::GitHub => "github",
            ProviderKind::Microsoft => "microsoft",
            ProviderKind::Oidc => "oidc",
            ProviderKind::Custom => "custom",
            ProviderKind::Keycloak => "keycloak",
            ProviderKind::Auth0 => "auth0",
            ProviderKind::Okta => "okta",
            ProviderKind::GitLab => "gitlab",
        }
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ProviderKind {
    type Err = Error;

    /// Case-insensitive; unknown names give an error listing the known ones.
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "google" => Ok(ProviderKind::Google),
            "github" => Ok(ProviderKind::GitHub),
            "microsoft" | "azure" | "entra" => Ok(ProviderKind::Microsoft),
            "oidc" => Ok(ProviderKind::Oidc),
            "custom" | "oauth2" => Ok(ProviderKind::Custom),
            "keycloak" => Ok(ProviderKind::Keycloak),
            "auth0" => Ok(ProviderKind::Auth0),
            "okta" => Ok(ProviderKind::Okta),
            "gitlab" => Ok(ProviderKind::GitLab),
            _ => Err(Error::InvalidArgument(format!(
                "unknown provider '{}' (OAUTHKIT_PROVIDER): expected one of {}",
                s.chars().take(50).collect::<String>(),
                Self::NAMES.join(", ")
            ))),
        }
    }
}

/// Settings a provider is built from.
///
/// ```
/// use oauthkit::provider::{Provider, ProviderKind, ProviderSettings};
/// let env = [("OAUTHKIT_PROVIDER", "github"), ("OAUTHKIT_CLIENT_ID", "Iv1.x"),
///            ("OAUTHKIT_SCOPES", "repo read:user")];
/// let s = ProviderSettings::from_lookup(|k| env.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())).unwrap();
/// assert_eq!(s.provider, ProviderKind::GitHub);
/// assert_eq!(s.scopes.as_deref(), Some(&["repo".to_string(), "read:user".to_string()][..]));
/// let p = s.build().unwrap();
/// assert_eq!(p.name(), "github");
///
/// let err = ProviderSettings::from_lookup(|k| (k == "OAUTHKIT_PROVIDER").then(|| "oidc".into())).unwrap_err();
/// assert!(err.to_string().contains("OAUTHKIT_CLIENT_ID"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderSettings {
    /// Which provider (`OAUTHKIT_PROVIDER`).
    pub provider: ProviderKind,
    /// The client id (`OAUTHKIT_CLIENT_ID`).
    pub client_id: String,
    /// The client secret (`OAUTHKIT_CLIENT_SECRET`); `None` for public
    /// clients.
    pub client_secret: Option<Secret>,
    /// Scopes (`OAUTHKIT_SCOPES`, space- or comma-separated); `None`
    /// keeps the provider's defaults.
    pub scopes: Option<Vec<String>>,
    /// The issuer (`OAUTHKIT_ISSUER_URL`), required for `oidc`.
    pub issuer_url: Option<String>,
    /// The Microsoft tenant (`OAUTHKIT_TENANT_ID`), default `common`.
    pub tenant_id: Option<String>,
    /// The server's base URL (`OAUTHKIT_BASE_URL`): Keycloak's (required),
    /// the Okta org URL (required), a GitLab instance (default
    /// `https://gitlab.com`).
    pub base_url: Option<String>,
    /// The Keycloak realm (`OAUTHKIT_REALM`), required for `keycloak`.
    pub realm: Option<String>,
    /// The Auth0 tenant domain (`OAUTHKIT_DOMAIN`), required for `auth0`.
    pub domain: Option<String>,
    /// The Okta authorization server (`OAUTHKIT_AUTHORIZATION_SERVER`):
    /// an id, `default` (the default) or `org`.
    pub authorization_server: Option<String>,
    /// The Auth0 API the access token is for (`OAUTHKIT_AUDIENCE`).
    pub audience: Option<String>,
    /// Whether OpenID providers add `offline_access` when discovery lists
    /// it (`OAUTHKIT_OFFLINE_ACCESS`: `when_listed`, an opt-in, or
    /// `as_configured`); `None`: as configured.
    pub offline_access: Option<OfflineAccess>,
    /// Authorization endpoint (`OAUTHKIT_AUTHORIZE_URL`): required for
    /// `custom`, an override for `oidc`.
    pub authorize_url: Option<String>,
    /// Token endpoint (`OAUTHKIT_TOKEN_URL`): required for `custom`, an
    /// override for `oidc`.
    pub token_url: Option<String>,
    /// Userinfo endpoint (`OAUTHKIT_USERINFO_URL`).
    pub userinfo_url: Option<String>,
    /// RFC 7009 revocation endpoint (`OAUTHKIT_REVOCATION_URL`).
    pub revocation_url: Option<String>,
    /// A PEM file of extra CA certificates to trust (`OAUTHKIT_CA_FILE`).
    pub ca_file: Option<PathBuf>,
    /// PEM text of extra CA certificates to trust (`OAUTHKIT_CA_PEM`).
    pub ca_pem: Option<String>,
    /// The built-in roots (`OAUTHKIT_TRUST_STORE`: `os`, `mozilla`, `none`);
    /// `None`: the operating system's store.
    pub trust_store: Option<TrustStore>,
    /// Time allowed to connect (`OAUTHKIT_CONNECT_TIMEOUT`, whole seconds);
    /// `None`: 10 s.
    pub connect_timeout: Option<std::time::Duration>,
    /// Time allowed for each of sending, the response head and the body
    /// (`OAUTHKIT_READ_TIMEOUT`, whole seconds); `None`: 30 s.
    pub read_timeout: Option<std::time::Duration>,
    /// The provider's proxy (`OAUTHKIT_PROXY`: a proxy URL, `direct` for
    /// none, `env` for the environment's; with `OAUTHKIT_NO_PROXY`, comma
    /// separated host names that bypass a proxy URL); `None`: the
    /// environment's. Its password never shows in `Debug`.
    pub proxy: Option<HttpProxy>,
    /// When to push authorization requests (`OAUTHKIT_PAR`: `always` or
    /// `when_required`); `None`: when required.
    pub par: Option<ParPolicy>,
    /// The pushed authorization request endpoint (`OAUTHKIT_PAR_URL`):
    /// required for `custom` with PAR, an override for `oidc`.
    pub par_url: Option<String>,
    /// A `private_key_jwt` key as PEM text or a private JWK
    /// (`OAUTHKIT_PRIVATE_KEY`).
    pub private_key: Option<Secret>,
    /// A file holding that key (`OAUTHKIT_PRIVATE_KEY_FILE`).
    pub private_key_file: Option<PathBuf>,
    /// The key's algorithm (`OAUTHKIT_PRIVATE_KEY_ALG`: RS256, PS256,
    /// ES256, EdDSA); `None`: the JWK's `alg`, else worked out from the
    /// key (RSA: RS256).
    pub private_key_alg: Option<SigningAlgorithm>,
    /// The key's id, sent as `kid` (`OAUTHKIT_PRIVATE_KEY_KID`).
    pub private_key_kid: Option<String>,
    /// The security profile (`OAUTHKIT_SECURITY_PROFILE`: `default`,
    /// `oauth2.1`, `fapi2`).
    pub security_profile: Option<SecurityProfile>,
    /// DPoP (`OAUTHKIT_DPOP`: `ES256`, `EdDSA`, `RS256`, `PS256`, or `on`
    /// for ES256; `off` or unset: no DPoP). See [`DpopConfig`](crate::provider::DpopConfig).
    pub dpop: Option<DpopConfig>,
}

impl ProviderSettings {
    /// Every environment variable [`from_env`](Self::from_env) reads.
    pub const VARIABLES: [&'static str; 31] = [
        "OAUTHKIT_PROVIDER",
        "OAUTHKIT_CLIENT_ID",
        "OAUTHKIT_CLIENT_SECRET",
        "OAUTHKIT_SCOPES",
        "OAUTHKIT_ISSUER_URL",
        "OAUTHKIT_TENANT_ID",
        "OAUTHKIT_BASE_URL",
        "OAUTHKIT_REALM",
        "OAUTHKIT_DOMAIN",
        "OAUTHKIT_AUTHORIZATION_SERVER",
        "OAUTHKIT_AUDIENCE",
        "OAUTHKIT_OFFLINE_ACCESS",
        "OAUTHKIT_AUTHORIZE_URL",
        "OAUTHKIT_TOKEN_URL",
        "OAUTHKIT_USERINFO_URL",
        "OAUTHKIT_REVOCATION_URL",
        "OAUTHKIT_CA_FILE",
        "OAUTHKIT_CA_PEM",
        "OAUTHKIT_TRUST_STORE",
        "OAUTHKIT_CONNECT_TIMEOUT",
        "OAUTHKIT_READ_TIMEOUT",
        "OAUTHKIT_PROXY",
        "OAUTHKIT_NO_PROXY",
        "OAUTHKIT_PAR",
        "OAUTHKIT_PAR_URL",
        "OAUTHKIT_PRIVATE_KEY",
        "OAUTHKIT_PRIVATE_KEY_FILE",
        "OAUTHKIT_PRIVATE_KEY_ALG",
        "OAUTHKIT_PRIVATE_KEY_KID",
        "OAUTHKIT_SECURITY_PROFILE",
        "OAUTHKIT_DPOP",
    ];

    /// Settings for `provider` and `client_id`, everything else unset.
    pub fn new(provider: ProviderKind, client_id: impl Into<String>) -> Self {
        ProviderSettings {
            provider,
            client_id: client_id.into(),
            client_secret: None,
            scopes: None,
            issuer_url: None,
            tenant_id: None,
            base_url: None,
            realm: None,
            domain: None,
            authorization_server: None,
            audience: None,
            offline_access: None,
            authorize_url: None,
            token_url: None,
            userinfo_url: None,
            revocation_url: None,
            ca_file: None,
            ca_pem: None,
            trust_store: None,
            connect_timeout: None,
            read_timeout: None,
            proxy: None,
            par: None,
            par_url: None,
            private_key: None,
            private_key_file: None,
            private_key_alg: None,
            private_key_kid: None,
            security_profile: None,
            dpop: None,
        }
    }

    /// Reads the `OAUTHKIT_*` environment variables. Empty values count as
    /// unset.
    ///
    /// # Errors
    ///
    /// As [`from_lookup`](Self::from_lookup).
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Like [`from_env`](Self::from_env) with another source of variables.
    ///
    /// ```
    /// use oauthkit::provider::ProviderSettings;
    /// let s = ProviderSettings::from_lookup(|k| match k {
    ///     "OAUTHKIT_PROVIDER" => Some("google".into()),
    ///     "OAUTHKIT_CLIENT_ID" => Some("id.apps.googleusercontent.com".into()),
    ///     _ => None,
    /// })?;
    /// assert_eq!(s.client_id, "id.apps.googleusercontent.com");
    /// # Ok::<(), oauthkit::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming the variable when
    /// `OAUTHKIT_PROVIDER` or `OAUTHKIT_CLIENT_ID` is not set, or a value
    /// does not parse (an unknown provider, trust store, PAR policy,
    /// security profile, DPoP or key algorithm, a timeout that is not a
    /// number of seconds).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let get = |k: &str| {
            lookup(k)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let provider = get("OAUTHKIT_PROVIDER")
            .ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "OAUTHKIT_PROVIDER is not set (one of {})",
                    ProviderKind::NAMES.join(", ")
                ))
            })?
            .parse()?;
        let client_id = get("OAUTHKIT_CLIENT_ID")
            .ok_or_else(|| Error::InvalidArgument("OAUTHKIT_CLIENT_ID is not set".into()))?;
        Ok(ProviderSettings {
            provider,
            client_id,
            client_secret: get("OAUTHKIT_CLIENT_SECRET").map(Secret::new),
            scopes: get("OAUTHKIT_SCOPES").map(|s| {
                s.split(|c: char| c.is_whitespace() || c == ',')
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned)
                    .collect()
            }),
            issuer_url: get("OAUTHKIT_ISSUER_URL"),
            tenant_id: get("OAUTHKIT_TENANT_ID"),
            base_url: get("OAUTHKIT_BASE_URL"),
            realm: get("OAUTHKIT_REALM"),
            domain: get("OAUTHKIT_DOMAIN"),
            authorization_server: get("OAUTHKIT_AUTHORIZATION_SERVER"),
            audience: get("OAUTHKIT_AUDIENCE"),
            offline_access: get("OAUTHKIT_OFFLINE_ACCESS")
                .map(|s| s.parse())
                .transpose()?,
            authorize_url: get("OAUTHKIT_AUTHORIZE_URL"),
            token_url: get("OAUTHKIT_TOKEN_URL"),
            userinfo_url: get("OAUTHKIT_USERINFO_URL"),
            revocation_url: get("OAUTHKIT_REVOCATION_URL"),
            ca_file: get("OAUTHKIT_CA_FILE").map(PathBuf::from),
            ca_pem: get("OAUTHKIT_CA_PEM"),
            trust_store: get("OAUTHKIT_TRUST_STORE").map(|s| s.parse()).transpose()?,
            connect_timeout: get("OAUTHKIT_CONNECT_TIMEOUT")
                .map(|v| seconds("OAUTHKIT_CONNECT_TIMEOUT", &v))
                .transpose()?,
            read_timeout: get("OAUTHKIT_READ_TIMEOUT")
                .map(|v| seconds("OAUTHKIT_READ_TIMEOUT", &v))
                .transpose()?,
            proxy: parse_proxy(get("OAUTHKIT_PROXY"), get("OAUTHKIT_NO_PROXY"))?,
            par: get("OAUTHKIT_PAR").map(|s| parse_par(&s)).transpose()?,
            par_url: get("OAUTHKIT_PAR_URL"),
            // not trimmed of inner whitespace: PEM keeps its lines
            private_key: lookup("OAUTHKIT_PRIVATE_KEY")
                .filter(|v| !v.trim().is_empty())
                .map(Secret::new),
            private_key_file: get("OAUTHKIT_PRIVATE_KEY_FILE").map(PathBuf::from),
            private_key_alg: get("OAUTHKIT_PRIVATE_KEY_ALG")
                .map(|s| s.parse())
                .transpose()?,
            private_key_kid: get("OAUTHKIT_PRIVATE_KEY_KID"),
            security_profile: get("OAUTHKIT_SECURITY_PROFILE")
                .map(|s| s.parse())
                .transpose()?,
            dpop: get("OAUTHKIT_DPOP")
                .map(|s| parse_dpop(&s))
                .transpose()?
                .flatten(),
        })
    }

    /// Builds the provider. Errors name the missing setting and its
    /// environment variable, and settings the chosen provider would
    /// silently ignore (a tenant for Google, a token URL for GitHub) are
    /// refused by name too.
    ///
    /// # Errors
    ///
    /// - [`Error::InvalidArgument`] naming the setting and its variable:
    ///   a missing client id, issuer, authorization or token URL; a
    ///   setting the chosen provider would ignore; both `private_key` and
    ///   `private_key_file`; a key or CA bundle that is not usable; and
    ///   whatever [`OAuthProvider::oidc`] or [`OAuthProvider::oauth2`] refuse
    ///   (an endpoint that is neither `https` nor `http` on loopback, ...).
    /// - [`Error::SecurityProfile`] when the settings break the chosen
    ///   security profile's rules.
    /// - [`Error::Io`] when `private_key_file` or `ca_file` cannot be
    ///   read.
    pub fn build(&self) -> Result<OAuthProvider> {
        if self.client_id.trim().is_empty() {
            return Err(missing("client_id", "OAUTHKIT_CLIENT_ID", self.provider));
        }
        self.check_unused()?;
        let secret = self.client_secret.clone().filter(|s| !s.is_empty());
        Ok(match self.provider {
            ProviderKind::Google => {
                let mut c = google::config(&self.client_id)?;
                self.apply_client(&mut c.client, secret)?;
                self.apply_oidc(&mut c);
                OAuthProvider::oidc(c)?
            }
            ProviderKind::Microsoft => {
                let mut c = microsoft::config(
                    self.tenant_id
                        .as_deref()
                        .filter(|t| !t.is_empty())
                        .unwrap_or(microsoft::DEFAULT_TENANT),
                    &self.client_id,
                )?;
                self.apply_client(&mut c.client, secret)?;
                self.apply_oidc(&mut c);
                OAuthProvider::oidc(c)?
            }
            ProviderKind::Oidc => {
                let issuer = self
                    .issuer_url
                    .as_deref()
                    .ok_or_else(|| missing("issuer_url", "OAUTHKIT_ISSUER_URL", self.provider))?;
                let mut c = OidcConfig::new(issuer, &self.client_id);
                self.apply_client(&mut c.client, secret)?;
                let e = &mut c.endpoints;
                e.pushed_authorization_request = self.par_url.clone();
                e.authorization = self.authorize_url.clone();
                e.token = self.token_url.clone();
                e.userinfo = self.userinfo_url.clone();
                e.revocation = self.revocation_url.clone();
                self.apply_oidc(&mut c);
                OAuthProvider::oidc(c)?
            }
            ProviderKind::Keycloak => {
                let base = self.required(&self.base_url, "base_url", "OAUTHKIT_BASE_URL")?;
                let realm = self.required(&self.realm, "realm", "OAUTHKIT_REALM")?;
                let mut c = keycloak::config(base, realm, &self.client_id)?;
                self.apply_client(&mut c.client, secret)?;
                self.apply_oidc(&mut c);
                OAuthProvider::oidc(c)?
            }
            ProviderKind::Auth0 => {
                let domain = self.required(&self.domain, "domain", "OAUTHKIT_DOMAIN")?;
                let mut c = auth0::config(domain, &self.client_id)?;
                if let Some(a) = &self.audience {
                    c = auth0::with_audience(c, a);
                }
                self.apply_client(&mut c.client, secret)?;
                self.apply_oidc(&mut c);
                OAuthProvider::oidc(c)?
            }
            ProviderKind::Okta => {
                let org = self.required(&self.base_url, "base_url", "OAUTHKIT_BASE_URL")?;
                let server = self.authorization_server.as_deref().unwrap_or_default();
                let mut c = okta::config(org, server, &self.client_id)?;
                self.apply_client(&mut c.client, secret)?;
                self.apply_oidc(&mut c);
                OAuthProvider::oidc(c)?
            }
            ProviderKind::GitLab => {
                let base = self.base_url.as_deref().unwrap_or_default();
                let mut c = gitlab::config(base, &self.client_id)?;
                self.apply_client(&mut c.client, secret)?;
                self.apply_oidc(&mut c);
                OAuthProvider::oidc(c)?
            }
            ProviderKind::GitHub => {
                let mut c = github::config(&self.client_id)?;
                self.apply_client(&mut c.client, secret)?;
                OAuthProvider::oauth2(c)?
            }
            ProviderKind::Custom => {
                let authorize = self.authorize_url.as_deref().ok_or_else(|| {
                    missing("authorize_url", "OAUTHKIT_AUTHORIZE_URL", self.provider)
                })?;
                let token = self
                    .token_url
                    .as_deref()
                    .ok_or_else(|| missing("token_url", "OAUTHKIT_TOKEN_URL", self.provider))?;
                let mut c = OAuth2Config::new("custom", &self.client_id, authorize, token);
                self.apply_client(&mut c.client, secret)?;
                c.userinfo_url = self.userinfo_url.clone();
                c.revocation_url = self.revocation_url.clone();
                c.issuer = self.issuer_url.clone();
                c.par_url = self.par_url.clone();
                OAuthProvider::oauth2(c)?
            }
        })
    }

    /// The settings only OpenID providers have.
    fn apply_oidc(&self, c: &mut OidcConfig) {
        if let Some(rule) = self.offline_access {
            c.offline_access = rule;
        }
    }

    /// A setting the chosen provider needs, non-empty.
    fn required<'a>(&self, value: &'a Option<String>, field: &str, env: &str) -> Result<&'a str> {
        value
            .as_deref()
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| missing(field, env, self.provider))
    }

    fn check_unused(&self) -> Result<()> {
        use ProviderKind::*;
        let kind = self.provider;
        let preset = matches!(
            kind,
            Google | Microsoft | GitHub | Keycloak | Auth0 | Okta | GitLab
        );
        let unused: Vec<&str> = [
            (
                self.tenant_id.is_some() && kind != Microsoft,
                "tenant_id (OAUTHKIT_TENANT_ID)",
            ),
            (
                self.base_url.is_some() && !matches!(kind, Keycloak | Okta | GitLab),
                "base_url (OAUTHKIT_BASE_URL)",
            ),
            (
                self.realm.is_some() && kind != Keycloak,
                "realm (OAUTHKIT_REALM)",
            ),
            (
                self.domain.is_some() && kind != Auth0,
                "domain (OAUTHKIT_DOMAIN)",
            ),
            (
                self.authorization_server.is_some() && kind != Okta,
                "authorization_server (OAUTHKIT_AUTHORIZATION_SERVER)",
            ),
            (
                self.audience.is_some() && kind != Auth0,
                "audience (OAUTHKIT_AUDIENCE)",
            ),
            (
                self.offline_access.is_some() && matches!(kind, GitHub | Custom),
                "offline_access (OAUTHKIT_OFFLINE_ACCESS)",
            ),
            (
                self.issuer_url.is_some() && preset,
                "issuer_url (OAUTHKIT_ISSUER_URL)",
            ),
            (
                self.authorize_url.is_some() && preset,
                "authorize_url (OAUTHKIT_AUTHORIZE_URL)",
            ),
            (
                self.token_url.is_some() && preset,
                "token_url (OAUTHKIT_TOKEN_URL)",
            ),
            (
                self.userinfo_url.is_some() && preset,
                "userinfo_url (OAUTHKIT_USERINFO_URL)",
            ),
            (
                self.revocation_url.is_some() && preset,
                "revocation_url (OAUTHKIT_REVOCATION_URL)",
            ),
            (
                self.par_url.is_some() && preset,
                "par_url (OAUTHKIT_PAR_URL)",
            ),
        ]
        .into_iter()
        .filter_map(|(set, name)| set.then_some(name))
        .collect();
        if unused.is_empty() {
            return Ok(());
        }
        Err(Error::InvalidArgument(format!(
            "{} not used by provider '{kind}'; unset it (a preset's endpoints are fixed: for other URLs use provider 'oidc' or 'custom')",
            unused.join(", ")
        )))
    }

    /// Sets the client settings both kinds of configuration share.
    fn apply_client(&self, c: &mut ClientSettings, secret: Option<Secret>) -> Result<()> {
        c.client_secret = secret;
        c.dpop = self.dpop.or(c.dpop);
        if let Some(s) = &self.scopes {
            c.scopes = s.clone();
        }
        c.private_key_jwt = self.private_key_jwt()?;
        c.par = self.par.unwrap_or(c.par);
        c.profile = self.security_profile.unwrap_or(c.profile);
        self.apply_tls(&mut c.http)
    }

    /// The `private_key_jwt` key from `private_key` or `private_key_file`.
    fn private_key_jwt(&self) -> Result<Option<SigningKey>> {
        let text = match (&self.private_key, &self.private_key_file) {
            (Some(_), Some(_)) => {
                return Err(Error::InvalidArgument(
                    "set either private_key (OAUTHKIT_PRIVATE_KEY) or private_key_file \
                     (OAUTHKIT_PRIVATE_KEY_FILE), not both"
                        .into(),
                ))
            }
            (Some(k), None) => k.clone(),
            (None, Some(path)) => Secret::new(std::fs::read_to_string(path).map_err(|e| {
                Error::io(
                    format!(
                        "private_key_file (OAUTHKIT_PRIVATE_KEY_FILE): reading {}",
                        path.display()
                    ),
                    e,
                )
            })?),
            (None, None) => {
                if self.private_key_alg.is_some() || self.private_key_kid.is_some() {
                    return Err(Error::InvalidArgument(
                        "OAUTHKIT_PRIVATE_KEY_ALG / _KID are set but no private key is".into(),
                    ));
                }
                return Ok(None);
            }
        };
        let key = signing_key_from_text(text.expose(), self.private_key_alg)
            .map_err(|e| named(e, "private_key (OAUTHKIT_PRIVATE_KEY)"))?;
        let key = match &self.private_key_kid {
            Some(kid) => key.with_kid(kid),
            None => key,
        };
        Ok(Some(key))
    }

    /// The timeouts, CA bundle and trust store, on top of the preset's
    /// HTTP settings.
    fn apply_tls(&self, http: &mut HttpConfig) -> Result<()> {
        if let Some(t) = self.connect_timeout {
            http.connect_timeout = t;
        }
        if let Some(t) = self.read_timeout {
            http.read_timeout = t;
        }
        if let Some(proxy) = &self.proxy {
            http.proxy = proxy.clone();
        }
        let mut tls = http.tls.clone();
        if let Some(store) = self.trust_store {
            tls = tls.trust_store(store);
        }
        if let Some(path) = &self.ca_file {
            tls = tls
                .ca_file(path)
                .map_err(|e| named(e, "ca_file (OAUTHKIT_CA_FILE)"))?;
        }
        if let Some(pem) = &self.ca_pem {
            tls = tls
                .ca_pem(pem)
                .map_err(|e| named(e, "ca_pem (OAUTHKIT_CA_PEM)"))?;
        }
        http.tls = tls;
        Ok(())
    }
}

/// `OAUTHKIT_PROXY` (`direct`/`none`, `env`, or a proxy URL) with
/// `OAUTHKIT_NO_PROXY`, which only a proxy URL can use.
fn parse_proxy(proxy: Option<String>, no_proxy: Option<String>) -> Result<Option<HttpProxy>> {
    let named = |e: Error| match e {
        Error::InvalidArgument(m) => Error::InvalidArgument(format!("OAUTHKIT_PROXY: {m}")),
        other => other,
    };
    let chosen = match proxy.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(v) if v.eq_ignore_ascii_case("direct") || v.eq_ignore_ascii_case("none") => {
            Some(HttpProxy::Direct)
        }
        Some(v) if v.eq_ignore_ascii_case("env") => Some(HttpProxy::Environment),
        Some(url) => Some(HttpProxy::url(url).map_err(named)?),
    };
    let Some(hosts) = no_proxy.filter(|h| !h.trim().is_empty()) else {
        return Ok(chosen);
    };
    match chosen {
        Some(p @ HttpProxy::Url(_)) => Ok(Some(
            p.no_proxy(hosts.split(',').map(str::trim).filter(|h| !h.is_empty())),
        )),
        _ => Err(Error::InvalidArgument(
            "OAUTHKIT_NO_PROXY applies to a proxy URL in OAUTHKIT_PROXY (for the environment's \
             proxy, set NO_PROXY)"
                .into(),
        )),
    }
}

/// `always` / `when_required` (also `on`/`true`/`1` and `off`/`auto`).
fn parse_par(s: &str) -> Result<ParPolicy> {
    match s.to_ascii_lowercase().as_str() {
        "always" | "on" | "true" | "1" | "yes" => Ok(ParPolicy::Always),
        "when_required" | "when-required" | "auto" | "off" | "false" | "0" | "no" => {
            Ok(ParPolicy::WhenRequired)
        }
        _ => Err(Error::InvalidArgument(format!(
            "OAUTHKIT_PAR '{}' is not one of always, when_required",
            s.chars().take(20).collect::<String>()
        ))),
    }
}

/// A signing key from PEM or JWK text; without `alg`, the JWK's or the
/// first of ES256, RS256, EdDSA the PEM key suits.
pub(crate) fn signing_key_from_text(
    text: &str,
    alg: Option<SigningAlgorithm>,
) -> Result<SigningKey> {
    if text.trim_start().starts_with('{') {
        let key = SigningKey::from_jwk(text)?;
        return match alg {
            Some(a) => key.with_algorithm(a),
            None => Ok(key),
        };
    }
    if let Some(a) = alg {
        return SigningKey::from_pem(text, a);
    }
    [
        SigningAlgorithm::ES256,
        SigningAlgorithm::RS256,
        SigningAlgorithm::EdDSA,
    ]
    .into_iter()
    .find_map(|a| SigningKey::from_pem(text, a).ok())
    .ok_or_else(|| {
        Error::InvalidArgument(
            "not a P-256, RSA (2048 bits or more) or Ed25519 private key in PEM \
                 (PKCS#8, PKCS#1, SEC 1) or JWK form"
                .into(),
        )
    })
}

/// Prefixes an error about a TLS setting with the setting's name.
fn named(e: Error, setting: &str) -> Error {
    match e {
        Error::InvalidArgument(m) => Error::InvalidArgument(format!("{setting}: {m}")),
        Error::Io { context, source } => Error::Io {
            context: format!("{setting}: {context}"),
            source,
        },
        other => other,
    }
}

/// A timeout in whole seconds, 1 to 3600.
fn seconds(name: &str, value: &str) -> Result<std::time::Duration> {
    match value.parse::<u64>() {
        Ok(n @ 1..=3600) => Ok(std::time::Duration::from_secs(n)),
        _ => Err(Error::InvalidArgument(format!(
            "{name} must be a whole number of seconds from 1 to 3600, not '{}'",
            value.chars().take(20).collect::<String>()
        ))),
    }
}

fn missing(field: &str, env: &str, kind: ProviderKind) -> Error {
    Error::InvalidArgument(format!("{field} ({env}) is required for provider '{kind}'"))
}

/// `OAUTHKIT_DPOP`: an algorithm name turns DPoP on with it, `on` with
/// ES256; `off` turns it off.
///
/// ```
/// use oauthkit::provider::{Provider, ProviderKind, ProviderSettings};
/// use oauthkit::provider::SigningAlgorithm;
/// let s = ProviderSettings::from_lookup(|k| match k {
///     "OAUTHKIT_PROVIDER" => Some("oidc".into()),
///     "OAUTHKIT_CLIENT_ID" => Some("app".into()),
///     "OAUTHKIT_ISSUER_URL" => Some("https://idp.example".into()),
///     "OAUTHKIT_DPOP" => Some("EdDSA".into()),
///     _ => None,
/// })?;
/// assert_eq!(s.dpop.unwrap().key_algorithm(), SigningAlgorithm::EdDSA);
/// assert!(s.build()?.dpop().is_some());
/// # Ok::<(), oauthkit::Error>(())
/// ```
fn parse_dpop(value: &str) -> Result<Option<DpopConfig>> {
    match value.trim() {
        "off" | "none" | "false" | "0" => Ok(None),
        "on" | "true" | "1" => Ok(Some(DpopConfig::new())),
        alg => alg
            .parse::<SigningAlgorithm>()
            .map(|a| Some(DpopConfig::new().algorithm(a)))
            .map_err(|_| {
                Error::InvalidArgument(format!(
                    "OAUTHKIT_DPOP '{}' is not one of ES256, EdDSA, RS256, PS256, on, off",
                    alg.chars().take(20).collect::<String>()
                ))
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::Provider;

    fn lookup<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn unknown_provider_is_named() {
        let e = ProviderSettings::from_lookup(lookup(&[
            ("OAUTHKIT_PROVIDER", "ping"),
            ("OAUTHKIT_CLIENT_ID", "x"),
        ]))
        .unwrap_err();
        let m = e.to_string();
        assert!(m.contains("ping") && m.contains("google, github"), "{m}");
    }

    #[test]
    fn missing_values_are_named() {
        let e = ProviderSettings::from_lookup(lookup(&[("OAUTHKIT_CLIENT_ID", "x")])).unwrap_err();
        assert!(e.to_string().contains("OAUTHKIT_PROVIDER"));
        let s = ProviderSettings::from_lookup(lookup(&[
            ("OAUTHKIT_PROVIDER", "oidc"),
            ("OAUTHKIT_CLIENT_ID", "x"),
        ]))
        .unwrap();
        let e = s.build().err().unwrap();
        assert!(e.to_string().contains("OAUTHKIT_ISSUER_URL"), "{e}");
        let s = ProviderSettings::new(ProviderKind::Custom, "x");
        assert!(s
            .build()
            .err()
            .unwrap()
            .to_string()
            .contains("OAUTHKIT_AUTHORIZE_URL"));
    }

    #[test]
    fn builds_each_kind() {
        let s = ProviderSettings::from_lookup(lookup(&[
            ("OAUTHKIT_PROVIDER", "Microsoft"),
            ("OAUTHKIT_CLIENT_ID", "app"),
            ("OAUTHKIT_CLIENT_SECRET", "sec"),
            ("OAUTHKIT_TENANT_ID", "organizations"),
            ("OAUTHKIT_SCOPES", "openid,offline_access"),
        ]))
        .unwrap();
        assert_eq!(s.tenant_id.as_deref(), Some("organizations"));
        assert_eq!(
            s.build().unwrap().issuer().unwrap(),
            "https://login.microsoftonline.com/organizations/v2.0"
        );
        assert!(!format!("{s:?}").contains("sec\""));
        let g = ProviderSettings::new(ProviderKind::Google, "g")
            .build()
            .unwrap();
        assert_eq!(g.issuer().unwrap(), "https://accounts.google.com");
    }
}
