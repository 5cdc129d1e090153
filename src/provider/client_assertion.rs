//! `private_key_jwt` client authentication (RFC 7523 §2.2 and §3, OpenID
//! Connect Core §9): instead of a shared secret, the client signs a short
//! JWT with its private key and sends it as `client_assertion` (with
//! `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`)
//! on every request that authenticates the client: code exchange, refresh,
//! revocation, PAR, device authorization, client credentials, JWT bearer.
//!
//! The assertion's claims:
//! - `iss` = `sub` = the client id;
//! - `aud` = the authorization server's **issuer identifier** by default.
//!   Current FAPI 2.0 guidance (FAPI 2.0 Security Profile §5.3.2.1 and the
//!   RFC 7523 update, draft-ietf-oauth-rfc7523bis) asks for the issuer
//!   alone, because a list of audiences or an endpoint URL enabled the
//!   2024 "audience injection" attacks on assertions. Providers without an
//!   issuer (an [`OAuth2Config`](crate::provider::OAuth2Config) configured
//!   without one) get the token endpoint URL, which RFC 7523 §3 allows.
//!   `client_assertion_audience` on the configurations
//!   ([`OidcConfig::client_assertion_audience`](crate::provider::OidcConfig::client_assertion_audience))
//!   overrides both;
//! - `jti` = 256 CSPRNG bits, new for every request (the server refuses a
//!   replayed one);
//! - `iat` = now, `exp` = now + 60 s ([`DEFAULT_ASSERTION_LIFETIME`]).
//!
//! The assertion is a secret like the client secret: it is a non-public form
//! value, so every error of the request is scrubbed of it (see the redact
//! module), and it never appears in `Debug` output.

use std::time::Duration;

use serde_json::json;

use crate::error::{Error, Result};
use crate::jose::SigningKey;
use crate::random;

/// `client_assertion_type` for a JWT (RFC 7523 §2.2).
pub const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How long an assertion is valid: 60 seconds, enough for the request to
/// arrive across a slow network and short enough that a leaked one is
/// soon useless (FAPI 2.0 wants short-lived assertions).
pub const DEFAULT_ASSERTION_LIFETIME: Duration = Duration::from_secs(60);

/// A client's `private_key_jwt` credentials: its signing key and the
/// assertion's audience and lifetime. Applications configure them on the
/// provider configuration (`private_key_jwt(key)`,
/// `client_assertion_audience`, `client_assertion_lifetime`), which makes
/// this value; it is public only as
/// `unversioned::provider::client_assertion::PrivateKeyJwt`, to sign an
/// assertion on its own (benchmarks, tools).
///
/// ```
/// use oauthkit::provider::{SigningAlgorithm, SigningKey};
/// use oauthkit::provider::{OidcConfig, OAuthProvider};
/// use oauthkit::unversioned::provider::client_assertion::PrivateKeyJwt;
/// let key = SigningKey::generate(SigningAlgorithm::ES256)?.with_kid("client-key-1");
/// // what applications write
/// let cfg = OidcConfig::new("https://idp.example", "my-service")
///     .private_key_jwt(key.clone());
/// let provider = OAuthProvider::oidc(cfg)?;
/// // one assertion, on its own
/// let jwt = PrivateKeyJwt::new(key).assertion("my-service", "https://idp.example")?;
/// assert_eq!(jwt.split('.').count(), 3);
/// # Ok::<(), oauthkit::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct PrivateKeyJwt {
    key: SigningKey,
    audience: Option<String>,
    lifetime: Duration,
}

impl PrivateKeyJwt {
    /// Assertions signed with `key` (its algorithm and `kid`), `aud` the
    /// provider's issuer, valid [`DEFAULT_ASSERTION_LIFETIME`].
    pub fn new(key: SigningKey) -> Self {
        PrivateKeyJwt {
            key,
            audience: None,
            lifetime: DEFAULT_ASSERTION_LIFETIME,
        }
    }

    /// Sets `aud` instead of the provider's issuer (for servers that want
    /// their token endpoint URL).
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// Sets how long each assertion is valid (1 s to 10 min).
    pub fn lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = lifetime;
        self
    }

    /// The signing key.
    pub fn key(&self) -> &SigningKey {
        &self.key
    }

    /// The configured audience, when set (else the provider's default).
    pub fn configured_audience(&self) -> Option<&str> {
        self.audience.as_deref()
    }

    /// Checks the settings (called when the provider is built).
    pub(crate) fn check(&self) -> Result<()> {
        if self.lifetime < Duration::from_secs(1) || self.lifetime > Duration::from_secs(600) {
            return Err(Error::InvalidArgument(
                "a client assertion's lifetime must be between 1 s and 10 min".into(),
            ));
        }
        if self.audience.as_deref() == Some("") {
            return Err(Error::InvalidArgument(
                "a client assertion's audience is empty".into(),
            ));
        }
        Ok(())
    }

    /// A fresh assertion for `client_id`; `aud` is the configured audience
    /// or `default_audience`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when neither the configured audience nor
    /// `default_audience` names one; [`Error::Internal`] when the clock is
    /// before 1970 or signing fails.
    pub fn assertion(&self, client_id: &str, default_audience: &str) -> Result<String> {
        let now = crate::token::now_unix_checked()?;
        let aud = self.audience.as_deref().unwrap_or(default_audience);
        if aud.is_empty() {
            return Err(Error::InvalidArgument(
                "private_key_jwt needs an audience: configure the issuer or an audience".into(),
            ));
        }
        self.key.sign_jwt(&json!({
            "iss": client_id,
            "sub": client_id,
            "aud": aud,
            "jti": random::token(32),
            "iat": now,
            "exp": now + self.lifetime.as_secs(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::SigningAlgorithm;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use serde_json::Value;

    fn claims(jwt: &str) -> Value {
        serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(jwt.split('.').nth(1).unwrap())
                .unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn claims_follow_rfc7523_and_jti_is_never_reused() {
        let key = SigningKey::generate(SigningAlgorithm::ES256).unwrap();
        let p = PrivateKeyJwt::new(key);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            let c = claims(&p.assertion("cid", "https://issuer.example").unwrap());
            assert_eq!(c["iss"], "cid");
            assert_eq!(c["sub"], "cid");
            assert_eq!(c["aud"], "https://issuer.example");
            assert_eq!(c["exp"].as_u64().unwrap() - c["iat"].as_u64().unwrap(), 60);
            assert_eq!(c["jti"].as_str().unwrap().len(), 43);
            assert!(seen.insert(c["jti"].as_str().unwrap().to_owned()));
        }
        let c = claims(
            &p.clone()
                .audience("https://idp.example/token")
                .assertion("cid", "https://issuer.example")
                .unwrap(),
        );
        assert_eq!(c["aud"], "https://idp.example/token");
    }

    #[test]
    fn bad_settings_are_refused() {
        let key = SigningKey::generate(SigningAlgorithm::ES256).unwrap();
        assert!(PrivateKeyJwt::new(key.clone())
            .lifetime(Duration::from_secs(3600))
            .check()
            .is_err());
        assert!(PrivateKeyJwt::new(key.clone())
            .audience("")
            .check()
            .is_err());
        assert!(PrivateKeyJwt::new(key).assertion("cid", "").is_err());
    }
}
