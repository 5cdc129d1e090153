//! The JWT bearer authorization grant (RFC 7523 §2.1): the client trades
//! a signed JWT, an assertion about a subject, for an access token:
//! `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer` with
//! `assertion`, and optionally `scope` and RFC 8707 `resource`.
//!
//! The assertion is either given by the caller (issued by another party,
//! e.g. an identity federation, [`GrantRequest::jwt_bearer`]) or signed
//! by oauthkit from a private key ([`GrantRequest::jwt_bearer_signed`],
//! a [`JwtBearerAssertion`]: `iss`, `sub`, `aud`, `exp`, `iat`, `jti`,
//! extra claims). Client authentication is the provider's usual one
//! (`private_key_jwt`, a secret, or `client_id` only for public clients).
//!
//! The assertion is a secret: it is never in `Debug` output, and the
//! request's errors are scrubbed of it (see the redact module). The
//! returned [`TokenSet`] is stored like client-credentials tokens, under
//! [`GrantRequest::cache_key`].

use std::time::Duration;

use crate::digest::sha256;
use crate::hex::hex;
use serde_json::{json, Map, Value};

use crate::error::{Error, Result};
use crate::jose::SigningKey;
use crate::provider::client::OAuthClient;
use crate::provider::client_auth::ClientAuthMethod;
use crate::provider::grants::params::PreparedGrant;
use crate::provider::grants::request::{Grant, GrantRequest};
use crate::random;
use crate::secret::Secret;
use crate::token::TokenSet;

/// The `grant_type` of the JWT bearer grant (RFC 7523 §2.1).
pub const JWT_BEARER_GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// How long a signed assertion is valid by default: 5 minutes.
pub const DEFAULT_BEARER_ASSERTION_LIFETIME: Duration = Duration::from_secs(300);

/// The member of [`TokenSet::extra`] that marks a JWT-bearer token set.
pub const STORED_REQUEST_MEMBER: &str = "oauthkit_jwt_bearer";

/// An assertion oauthkit signs (RFC 7523 §3): `iss`, `sub`, `aud` (the
/// provider's issuer unless set), `exp`, `iat`, a fresh `jti` (unless
/// set) and any extra claims. [`GrantRequest::jwt_bearer_signed`] signs
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

impl OAuthClient {
    /// The grant's form (the assertion signed now) and scopes; checks the
    /// request before any I/O.
    pub(crate) fn jwt_bearer_form(&self, request: &GrantRequest) -> Result<PreparedGrant> {
        request.check("jwt_bearer")?;
        let Grant::JwtBearer(assertion) = &request.kind else {
            return Err(request.wrong_grant("jwt_bearer"));
        };
        let assertion = match assertion {
            Assertion::Given(s) if s.is_empty() => {
                return Err(Error::InvalidArgument(
                    "the JWT bearer assertion is empty".into(),
                ))
            }
            Assertion::Given(s) => s.clone(),
            Assertion::Signed(a) => Secret::new(a.sign(&self.creds.assertion_audience)?),
        };
        if assertion.expose().split('.').count() != 3 {
            return Err(Error::InvalidArgument(
                "the JWT bearer assertion is not a compact JWS (three dot-separated parts)".into(),
            ));
        }
        let mut form = vec![
            ("grant_type".to_owned(), JWT_BEARER_GRANT_TYPE.to_owned()),
            ("assertion".to_owned(), assertion.expose().to_owned()),
        ];
        let scopes = request
            .grant
            .push_scope_and_resources(&mut form, &self.scopes)?;
        request.grant.push_params(
            &mut form,
            "JWT bearer",
            &["grant_type", "assertion", "scope", "resource"],
        )?;
        Ok((form, scopes))
    }

    /// `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer` with a form
    /// from [`jwt_bearer_form`](Self::jwt_bearer_form) through the shared
    /// token request; `after` runs on the token set (ID-token validation).
    pub(crate) fn jwt_bearer(
        &self,
        token_url: &str,
        method: ClientAuthMethod,
        request: &GrantRequest,
        prepared: PreparedGrant,
        after: &mut dyn FnMut(&mut TokenSet) -> Result<()>,
    ) -> Result<TokenSet> {
        self.grant_token_request(
            token_url,
            method,
            prepared,
            after,
            (
                STORED_REQUEST_MEMBER,
                json!({"scopes": request.grant.scopes, "resources": request.grant.resources}),
            ),
        )
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

    #[test]
    fn cache_keys_differ_by_subject_and_request() {
        let key = SigningKey::generate(SigningAlgorithm::ES256).unwrap();
        let r = |sub: &str| GrantRequest::jwt_bearer_signed(key.clone(), "i", sub);
        let keys = [
            r("a").cache_key("c"),
            r("b").cache_key("c"),
            r("a").scopes(["s"]).cache_key("c"),
            r("a").resource("https://r/").cache_key("c"),
            r("a").cache_key("d"),
            GrantRequest::jwt_bearer("x.y.z").cache_key("c"),
        ];
        let unique: std::collections::HashSet<_> = keys.iter().collect();
        assert_eq!(unique.len(), keys.len());
        assert_eq!(
            r("a").scopes(["x", "y"]).cache_key("c"),
            r("a").scopes(["y", "x"]).cache_key("c")
        );
    }

    /// Stored tokens must still be found: the keys as written since 0.1
    /// (SHA-256 over the canonical JSON, computed independently).
    #[test]
    fn keys_are_pinned() {
        let key = SigningKey::generate(SigningAlgorithm::ES256).unwrap();
        let signed = GrantRequest::jwt_bearer_signed(key, "iss-1", "sub-1")
            .assertion_audience("aud-1")
            .scopes(["s2", "s1"])
            .resource("https://r.example/")
            .param("x", "y");
        assert_eq!(
            signed.cache_key("svc"),
            "jwt_bearer:svc:feeb3af69844850e9c1a3b8abe450515"
        );
        assert_eq!(
            GrantRequest::jwt_bearer("h.p.s").cache_key("svc"),
            "jwt_bearer:svc:0365a1522f026506ea9915e364ad11f2"
        );
    }
}
