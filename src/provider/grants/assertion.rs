//! The assertion of a JWT bearer request (RFC 7523 §3): given by the
//! caller, or signed by oauthkit ([`JwtBearerAssertion`]) for every
//! request. Its own file so that the request value
//! ([`GrantRequest`](crate::provider::grants::request::GrantRequest)) and
//! the grant ([`jwt_bearer`](crate::provider::grants::jwt_bearer)) both
//! import it without importing each other.

use std::time::Duration;

use serde_json::{json, Map, Value};

use crate::digest::sha256;
use crate::error::{Error, Result};
use crate::hex::hex;
use crate::jose::SigningKey;
use crate::random;
use crate::secret::Secret;

/// How long a signed assertion is valid by default: 5 minutes.
pub const DEFAULT_BEARER_ASSERTION_LIFETIME: Duration = Duration::from_secs(300);

/// An assertion oauthkit signs (RFC 7523 §3): `iss`, `sub`, `aud` (the
/// provider's issuer unless set), `exp`, `iat`, a fresh `jti` (unless
/// set) and any extra claims. [`GrantRequest::jwt_bearer_signed`](crate::provider::GrantRequest::jwt_bearer_signed) signs
/// one for every request; this type signs one on its own (to hand to
/// another program, or for tests).
///
/// ```
/// use std::time::Duration;
/// use oauthkit::unversioned::provider::jwt_bearer::JwtBearerAssertion;
/// use oauthkit::provider::{SigningAlgorithm, SigningKey};
/// let key = SigningKey::generate(SigningAlgorithm::ES256)?.with_kid("trust-1");
/// let a = JwtBearerAssertion::new(key, "https://trusted-issuer.example", "user-42")
///     .audience("https://idp.example")
///     .lifetime(Duration::from_secs(120))
///     .claim("tenant", "acme");
/// let jwt = a.sign("https://ignored-default.example")?;
/// assert_eq!(jwt.split('.').count(), 3);
/// # Ok::<(), oauthkit::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct JwtBearerAssertion {
    pub(crate) key: SigningKey,
    issuer: String,
    subject: String,
    pub(crate) audience: Option<String>,
    pub(crate) lifetime: Duration,
    pub(crate) jti: Option<String>,
    pub(crate) claims: Map<String, Value>,
}

impl JwtBearerAssertion {
    /// An assertion by `issuer` about `subject`, signed with `key`.
    pub fn new(key: SigningKey, issuer: impl Into<String>, subject: impl Into<String>) -> Self {
        JwtBearerAssertion {
            key,
            issuer: issuer.into(),
            subject: subject.into(),
            audience: None,
            lifetime: DEFAULT_BEARER_ASSERTION_LIFETIME,
            jti: None,
            claims: Map::new(),
        }
    }

    /// Sets `aud` (default: the provider's issuer, else its token
    /// endpoint).
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// Sets the lifetime (`exp - iat`, 1 s to 1 h).
    pub fn lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = lifetime;
        self
    }

    /// Sets `jti` (default: 256 fresh random bits per signature). A fixed
    /// `jti` makes a second use of the grant fail at servers that enforce
    /// single use.
    pub fn jti(mut self, jti: impl Into<String>) -> Self {
        self.jti = Some(jti.into());
        self
    }

    /// Adds a claim (`iss`, `sub`, `aud`, `exp`, `iat` and `jti` cannot be
    /// set this way).
    pub fn claim(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.claims.insert(name.into(), value.into());
        self
    }

    /// Signs a fresh assertion; `aud` is the configured audience or
    /// `default_audience`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when the issuer or subject is empty, the
    /// lifetime is outside 1 s to 1 h, no audience is configured and
    /// `default_audience` is empty, or an extra claim names a reserved one
    /// (`iss`, `sub`, `aud`, `exp`, `iat`, `jti`); [`Error::Internal`] when the
    /// clock is before 1970 or signing fails.
    pub fn sign(&self, default_audience: &str) -> Result<String> {
        if self.issuer.is_empty() || self.subject.is_empty() {
            return Err(Error::InvalidArgument(
                "a JWT bearer assertion needs an issuer and a subject".into(),
            ));
        }
        if self.lifetime < Duration::from_secs(1) || self.lifetime > Duration::from_secs(3600) {
            return Err(Error::InvalidArgument(
                "a JWT bearer assertion's lifetime must be between 1 s and 1 h".into(),
            ));
        }
        let aud = self.audience.as_deref().unwrap_or(default_audience);
        if aud.is_empty() {
            return Err(Error::InvalidArgument(
                "a JWT bearer assertion needs an audience".into(),
            ));
        }
        let reserved = ["iss", "sub", "aud", "exp", "iat", "jti"];
        if let Some(k) = self.claims.keys().find(|k| reserved.contains(&k.as_str())) {
            return Err(Error::InvalidArgument(format!(
                "claim '{k}' of a JWT bearer assertion is set by its builder, not as an extra claim"
            )));
        }
        let now = crate::token::now_unix_checked()?;
        let mut claims = self.claims.clone();
        for (k, v) in [
            ("iss", json!(self.issuer)),
            ("sub", json!(self.subject)),
            ("aud", json!(aud)),
            ("iat", json!(now)),
            ("exp", json!(now + self.lifetime.as_secs())),
            (
                "jti",
                json!(self.jti.clone().unwrap_or_else(|| random::token(32))),
            ),
        ] {
            claims.insert(k.into(), v);
        }
        self.key.sign_jwt(&Value::Object(claims))
    }
}

/// The assertion of a JWT bearer request: given, or signed for every
/// request.
#[derive(Debug, Clone)]
pub(crate) enum Assertion {
    Given(Secret),
    Signed(Box<JwtBearerAssertion>),
}

impl Assertion {
    /// Who the assertion is about, for the cache key: a signed
    /// assertion's `iss`, `sub` and `aud`; a given assertion's hash.
    pub(crate) fn key_part(&self) -> Value {
        match self {
            Assertion::Given(s) => json!(hex(&sha256(s.expose().as_bytes()))),
            Assertion::Signed(a) => json!([a.issuer, a.subject, a.audience]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::SigningAlgorithm;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;

    #[test]
    fn signed_assertions_have_the_configured_claims_and_fresh_jtis() {
        let key = SigningKey::generate(SigningAlgorithm::ES256).unwrap();
        let a = JwtBearerAssertion::new(key, "iss-1", "sub-1").claim("x", 1);
        let claims = |jwt: &str| -> Value {
            serde_json::from_slice(
                &URL_SAFE_NO_PAD
                    .decode(jwt.split('.').nth(1).unwrap())
                    .unwrap(),
            )
            .unwrap()
        };
        let (one, two) = (
            claims(&a.sign("aud-1").unwrap()),
            claims(&a.sign("aud-1").unwrap()),
        );
        assert_eq!(one["iss"], "iss-1");
        assert_eq!(one["sub"], "sub-1");
        assert_eq!(one["aud"], "aud-1");
        assert_eq!(one["x"], 1);
        assert_eq!(
            one["exp"].as_u64().unwrap() - one["iat"].as_u64().unwrap(),
            300
        );
        assert_ne!(one["jti"], two["jti"]);
        let fixed = a.clone().jti("j-1").audience("aud-2");
        let c = claims(&fixed.sign("aud-1").unwrap());
        assert_eq!(
            (c["jti"].as_str(), c["aud"].as_str()),
            (Some("j-1"), Some("aud-2"))
        );
        assert!(a.clone().claim("sub", "other").sign("a").is_err());
        assert!(a.clone().lifetime(Duration::ZERO).sign("a").is_err());
        assert!(a.sign("").is_err());
    }
}
