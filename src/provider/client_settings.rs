//! The client settings [`OAuth2Config`](super::OAuth2Config) and
//! [`OidcConfig`](super::OidcConfig) share: who the client is, how it
//! authenticates, what it asks for, and which rules it follows. Their
//! defaults, their build-time checks and their `with_*` builders are
//! written here once.
//!
//! Both configurations keep these settings in their `client` field and
//! read and write them directly too (`cfg.scopes`, `cfg.http.read_timeout
//! = ...`), so code written against the fields of either configuration
//! keeps working. The builders are inherent methods of both
//! configurations (no trait to import):
//!
//! ```
//! use oauthkit::provider::{OAuth2Config, OidcConfig};
//! let oidc = OidcConfig::new("https://idp.example", "app")
//!     .client_secret("s3cret")
//!     .resource("https://api.example/");
//! let oauth2 = OAuth2Config::new("custom", "app",
//!         "https://as.example/authorize", "https://as.example/token")
//!     .client_secret("s3cret")
//!     .resource("https://api.example/");
//! assert_eq!(oidc.client.resources, oauth2.client.resources);
//! assert_eq!(oidc.resources, ["https://api.example/"]);
//! ```

use crate::error::{Error, Result};
use crate::provider::client::{DpopState, OAuthClient};
use std::time::Duration;

use crate::jose::SigningKey;
use crate::provider::client_assertion::PrivateKeyJwt;
use crate::provider::client_auth::{ClientAuthMethod, ClientCredentials};
use crate::provider::dpop::DpopConfig;
use crate::provider::grants::par::ParPolicy;
use crate::provider::http::{HttpClient, HttpConfig};
use crate::provider::profile::{ProfileSettings, SecurityProfile};
use crate::secret::Secret;

/// The settings of one OAuth client that every provider configuration
/// has. Build one with [`ClientSettings::new`] and the `with_*` methods,
/// or reach it through the `client` field of
/// [`OAuth2Config`](super::OAuth2Config) and
/// [`OidcConfig`](super::OidcConfig) (whose `with_*` methods of the same
/// names set it).
///
/// ```
/// use oauthkit::unversioned::provider::ClientSettings;
/// use oauthkit::provider::SecurityProfile;
/// let c = ClientSettings::new("app");
/// assert!(c.client_secret.is_none() && c.scopes.is_empty());
/// assert_eq!(c.profile, SecurityProfile::Default);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClientSettings {
    /// The client id.
    pub client_id: String,
    /// The client secret; `None` for a public client.
    pub client_secret: Option<Secret>,
    /// How to authenticate; `None` picks `client_secret_basic` when there
    /// is a secret (an OpenID provider picks from discovery) and
    /// public-client authentication otherwise.
    pub client_auth: Option<ClientAuthMethod>,
    /// Scopes requested in the authorization URL.
    pub scopes: Vec<String>,
    /// RFC 8707 resource indicators sent with authorization, code-exchange
    /// and refresh requests (absolute URIs without a fragment).
    pub resources: Vec<String>,
    /// Parameters added to every authorization URL (a request's extra
    /// parameters override them).
    pub authorize_params: Vec<(String, String)>,
    /// Timeouts, limits and TLS trust.
    pub http: HttpConfig,
    /// The `private_key_jwt` signing key (RFC 7523); when set, every
    /// request that authenticates the client sends an assertion signed
    /// with it (its algorithm and `kid`).
    pub private_key_jwt: Option<SigningKey>,
    /// The client assertion's `aud`; `None`: the issuer, or the token
    /// endpoint when there is none. Only with `private_key_jwt` (else an
    /// `InvalidArgument` when the provider is built); not empty.
    pub client_assertion_audience: Option<String>,
    /// How long each client assertion is valid (1 s to 10 min); `None`:
    /// 60 s ([`DEFAULT_ASSERTION_LIFETIME`](crate::unversioned::provider::client_assertion::DEFAULT_ASSERTION_LIFETIME)).
    /// Only with `private_key_jwt` (else an `InvalidArgument` when the
    /// provider is built).
    pub client_assertion_lifetime: Option<Duration>,
    /// When authorization requests are pushed (RFC 9126): with
    /// [`ParPolicy::WhenRequired`] only when the server or the profile
    /// requires it.
    pub par: ParPolicy,
    /// The security profile whose rules the provider enforces.
    pub profile: SecurityProfile,
    /// DPoP (RFC 9449): sender-constrained tokens, `None` (off) by default.
    pub dpop: Option<DpopConfig>,
}

/// What a provider configuration adds to the build-time profile check.
pub(crate) struct ProviderFacts<'a> {
    /// A PAR endpoint is configured, or discovery may name one.
    pub has_par_endpoint_or_discovery: bool,
    /// The ID-token algorithm allow-list (`None`: no ID tokens, or the
    /// default list).
    pub id_token_algorithms: Option<&'a [String]>,
    /// The server has an issuer identifier.
    pub has_issuer: bool,
}

/// The shared settings of a configuration, for the builders that
/// [`client_settings_builders!`] writes into it.
pub(crate) trait HasClientSettings {
    fn client_settings_mut(&mut self) -> &mut ClientSettings;
}

impl HasClientSettings for ClientSettings {
    fn client_settings_mut(&mut self) -> &mut ClientSettings {
        self
    }
}

/// Writes the shared `with_*` builders (each body and doc once, here)
/// into an `impl` block of a type with [`HasClientSettings`]. `$new` is
/// the doc examples' first line, making `cfg` of that type.
macro_rules! client_settings_builders {
    ($new:literal) => {
        /// Sets the client secret (an empty string means none).
        ///
        /// ```
        #[doc = $new]
        ///     .client_secret("s3cret");
        /// assert_eq!(cfg.client_secret.as_ref().unwrap().expose(), "s3cret");
        /// ```
        pub fn client_secret(mut self, secret: impl Into<$crate::secret::Secret>) -> Self {
            let s: $crate::secret::Secret = secret.into();
            $crate::provider::client_settings::HasClientSettings::client_settings_mut(&mut self)
                .client_secret = (!s.is_empty()).then_some(s);
            self
        }

        /// Authenticates the client with `private_key_jwt` (RFC 7523):
        /// every request that authenticates the client sends a fresh
        /// assertion signed with `key` (`iss` = `sub` = the client id,
        /// `aud` the issuer, or the token endpoint when there is none,
        /// valid 60 s; see `client_assertion_audience` and
        /// `client_assertion_lifetime`).
        ///
        /// ```
        /// use oauthkit::provider::{SigningAlgorithm, SigningKey};
        /// let key = SigningKey::generate(SigningAlgorithm::ES256)?;
        #[doc = $new]
        ///     .private_key_jwt(key);
        /// assert!(cfg.private_key_jwt.is_some());
        /// # Ok::<(), oauthkit::Error>(())
        /// ```
        pub fn private_key_jwt(mut self, key: $crate::jose::SigningKey) -> Self {
            $crate::provider::client_settings::HasClientSettings::client_settings_mut(&mut self)
                .private_key_jwt = Some(key);
            self
        }

        /// Sets the `aud` of `private_key_jwt` assertions instead of the
        /// issuer (for servers that want their token endpoint URL). Only
        /// with [`private_key_jwt`](Self::private_key_jwt): without a key,
        /// or empty, building the provider is an
        /// [`Error::InvalidArgument`](crate::Error::InvalidArgument).
        ///
        /// ```
        /// use oauthkit::provider::{SigningAlgorithm, SigningKey};
        /// let key = SigningKey::generate(SigningAlgorithm::ES256)?;
        #[doc = $new]
        ///     .private_key_jwt(key)
        ///     .client_assertion_audience("https://as.example/token");
        /// assert_eq!(cfg.client_assertion_audience.as_deref(), Some("https://as.example/token"));
        /// # Ok::<(), oauthkit::Error>(())
        /// ```
        pub fn client_assertion_audience(mut self, audience: impl Into<String>) -> Self {
            $crate::provider::client_settings::HasClientSettings::client_settings_mut(&mut self)
                .client_assertion_audience = Some(audience.into());
            self
        }

        /// Sets how long each `private_key_jwt` assertion is valid (1 s
        /// to 10 min; 60 s by default). Only with
        /// [`private_key_jwt`](Self::private_key_jwt): without a key, or
        /// out of bounds, building the provider is an
        /// [`Error::InvalidArgument`](crate::Error::InvalidArgument).
        ///
        /// ```
        /// use std::time::Duration;
        /// use oauthkit::provider::{SigningAlgorithm, SigningKey};
        /// let key = SigningKey::generate(SigningAlgorithm::ES256)?;
        #[doc = $new]
        ///     .private_key_jwt(key)
        ///     .client_assertion_lifetime(Duration::from_secs(30));
        /// assert_eq!(cfg.client_assertion_lifetime, Some(Duration::from_secs(30)));
        /// # Ok::<(), oauthkit::Error>(())
        /// ```
        pub fn client_assertion_lifetime(mut self, lifetime: std::time::Duration) -> Self {
            $crate::provider::client_settings::HasClientSettings::client_settings_mut(&mut self)
                .client_assertion_lifetime = Some(lifetime);
            self
        }

        /// Sets the scopes.
        ///
        /// ```
        #[doc = $new]
        ///     .scopes(["openid", "read"]);
        /// assert_eq!(cfg.scopes, ["openid", "read"]);
        /// ```
        pub fn scopes<I, S>(mut self, scopes: I) -> Self
        where
            I: IntoIterator<Item = S>,
            S: Into<String>,
        {
            $crate::provider::client_settings::HasClientSettings::client_settings_mut(&mut self)
                .scopes = scopes.into_iter().map(Into::into).collect();
            self
        }

        /// Adds an RFC 8707 resource indicator to authorization,
        /// code-exchange and refresh requests (checked when the provider
        /// is built: an absolute URI without a fragment).
        ///
        /// ```
        #[doc = $new]
        ///     .resource("https://api.example/");
        /// assert_eq!(cfg.resources, ["https://api.example/"]);
        /// ```
        pub fn resource(mut self, resource: impl Into<String>) -> Self {
            $crate::provider::client_settings::HasClientSettings::client_settings_mut(&mut self)
                .resources
                .push(resource.into());
            self
        }

        /// Sets the security profile (its rules are checked when the
        /// provider is built, and on every request).
        ///
        /// ```
        /// use oauthkit::provider::SecurityProfile;
        #[doc = $new]
        ///     .profile(SecurityProfile::Default);
        /// assert_eq!(cfg.profile, SecurityProfile::Default);
        /// ```
        pub fn profile(mut self, profile: $crate::provider::profile::SecurityProfile) -> Self {
            $crate::provider::client_settings::HasClientSettings::client_settings_mut(&mut self)
                .profile = profile;
            self
        }

        /// Turns DPoP (RFC 9449) on: every sign-in gets its own key, every
        /// token, userinfo and revocation request a proof, and the tokens
        /// are bound to the key (kept in
        /// [`TokenSet::dpop_key`](crate::TokenSet::dpop_key)). See
        /// [`DpopConfig`](crate::provider::DpopConfig).
        ///
        /// ```
        /// use oauthkit::provider::SigningAlgorithm;
        /// use oauthkit::provider::DpopConfig;
        #[doc = $new]
        ///     .dpop(DpopConfig::new().algorithm(SigningAlgorithm::ES256));
        /// assert_eq!(cfg.dpop.unwrap().key_algorithm(), SigningAlgorithm::ES256);
        /// ```
        pub fn dpop(mut self, dpop: $crate::provider::dpop::DpopConfig) -> Self {
            $crate::provider::client_settings::HasClientSettings::client_settings_mut(&mut self)
                .dpop = Some(dpop);
            self
        }
    };
}
pub(crate) use client_settings_builders;

/// Makes a provider config that keeps its client's settings in a field
/// `client` read as [`ClientSettings`] (`Deref`, `DerefMut`) and take the
/// shared builders ([`HasClientSettings`]).
macro_rules! wraps_client_settings {
    ($t:ty) => {
        impl std::ops::Deref for $t {
            type Target = $crate::provider::client_settings::ClientSettings;
            fn deref(&self) -> &Self::Target {
                &self.client
            }
        }

        impl std::ops::DerefMut for $t {
            fn deref_mut(&mut self) -> &mut Self::Target {
                &mut self.client
            }
        }

        impl $crate::provider::client_settings::HasClientSettings for $t {
            fn client_settings_mut(
                &mut self,
            ) -> &mut $crate::provider::client_settings::ClientSettings {
                &mut self.client
            }
        }
    };
}
pub(crate) use wraps_client_settings;

impl ClientSettings {
    /// A public client `client_id` with no scopes, no resources, the
    /// default HTTP settings, PAR only when required, the default profile
    /// and no DPoP.
    pub fn new(client_id: impl Into<String>) -> Self {
        ClientSettings {
            client_id: client_id.into(),
            client_secret: None,
            client_auth: None,
            scopes: Vec::new(),
            resources: Vec::new(),
            authorize_params: Vec::new(),
            http: HttpConfig::default(),
            private_key_jwt: None,
            client_assertion_audience: None,
            client_assertion_lifetime: None,
            par: ParPolicy::WhenRequired,
            profile: SecurityProfile::Default,
            dpop: None,
        }
    }

    client_settings_builders!(
        "let cfg = oauthkit::unversioned::provider::ClientSettings::new(\"app\")"
    );

    /// Sets when authorization requests are pushed (RFC 9126).
    ///
    /// ```
    /// use oauthkit::unversioned::provider::ClientSettings;
    /// use oauthkit::provider::ParPolicy;
    /// let c = ClientSettings::new("app").par_policy(ParPolicy::Always);
    /// assert_eq!(c.par, ParPolicy::Always);
    /// ```
    pub fn par_policy(mut self, policy: ParPolicy) -> Self {
        self.par = policy;
        self
    }

    /// The checks of the client's identity that come first when a
    /// provider is built: a client id, and resources that are absolute
    /// URIs without a fragment.
    pub(crate) fn check_client(&self, provider: &str) -> Result<()> {
        if self.client_id.is_empty() {
            return Err(Error::InvalidArgument(format!(
                "{provider}: client_id is empty"
            )));
        }
        for r in &self.resources {
            crate::provider::grants::params::check_resource(r)?;
        }
        Ok(())
    }

    /// The build-time checks of how the client authenticates and which
    /// profile rules it meets: a configured `private_key_jwt` key is
    /// usable (and present when `client_auth` names it), and the security
    /// profile accepts the settings.
    pub(crate) fn check_authentication(
        &self,
        provider: &str,
        facts: ProviderFacts<'_>,
    ) -> Result<()> {
        crate::provider::client_auth::check_configured(
            provider,
            self.client_auth,
            self.client_assertion().as_ref(),
        )?;
        if self.private_key_jwt.is_none() {
            let set = [
                (
                    "client_assertion_audience",
                    self.client_assertion_audience.is_some(),
                ),
                (
                    "client_assertion_lifetime",
                    self.client_assertion_lifetime.is_some(),
                ),
            ];
            if let Some((name, _)) = set.iter().find(|(_, on)| *on) {
                return Err(Error::InvalidArgument(format!(
                    "{provider}: {name} is a setting of private_key_jwt, and no private_key_jwt key is configured"
                )));
            }
        }
        self.profile.check_settings(&ProfileSettings {
            provider,
            has_secret: self.client_secret.is_some(),
            client_auth: self.client_auth,
            private_key_jwt: self.private_key_jwt.as_ref(),
            sender_constrained: self.dpop.is_some(),
            par: self.par,
            has_par_endpoint_or_discovery: facts.has_par_endpoint_or_discovery,
            id_token_algorithms: facts.id_token_algorithms,
            has_issuer: facts.has_issuer,
            authorize_params: &self.authorize_params,
        })
    }

    /// The `private_key_jwt` credentials: the key with the assertion's
    /// audience and lifetime (unchecked; `check_authentication` checks).
    fn client_assertion(&self) -> Option<PrivateKeyJwt> {
        let key = self.private_key_jwt.clone()?;
        let mut pk = PrivateKeyJwt::new(key);
        if let Some(a) = &self.client_assertion_audience {
            pk = pk.audience(a.clone());
        }
        if let Some(l) = self.client_assertion_lifetime {
            pk = pk.lifetime(l);
        }
        Some(pk)
    }

    /// The HTTP client and credentials these settings describe;
    /// `assertion_audience` is the `aud` of `private_key_jwt` assertions.
    pub(crate) fn oauth_client(&self, assertion_audience: String) -> OAuthClient {
        OAuthClient {
            http: HttpClient::new(self.http.clone()).with_secret(self.client_secret.as_ref()),
            creds: ClientCredentials {
                client_id: self.client_id.clone(),
                client_secret: self.client_secret.clone(),
                private_key_jwt: self.client_assertion(),
                assertion_audience,
            },
            scopes: self.scopes.clone(),
            resources: self.resources.clone(),
            dpop: DpopState::new(self.dpop),
        }
    }
}
