//! [`GrantRequest`]: the one request value of the token grants beyond the
//! authorization code (client credentials, JWT bearer, token exchange,
//! device authorization). It embeds the shared [`GrantParams`] (scopes,
//! resources, extra parameters) and holds what one grant adds; each
//! grant's file writes its form, its reserved names and its part of the
//! cache key from it.
//!
//! A setter that belongs to another grant (an actor token on a client
//! credentials request, ...) is remembered and refused, with a typed
//! [`Error::InvalidArgument`], when the request is sent or its cache key
//! asked for; it is never silently ignored.

use std::time::Duration;

use serde_json::{json, Value};

use crate::digest::sha256;
use crate::error::{Error, Result};
use crate::hex::hex;
use crate::jose::SigningKey;
use crate::provider::grants::assertion::{Assertion, JwtBearerAssertion};
use crate::provider::grants::params::{cache_key, grant_setters, GrantParams};
use crate::secret::Secret;

/// Which grant a [`GrantRequest`] is for.
#[derive(Debug, Clone)]
pub(crate) enum Grant {
    /// RFC 6749 §4.4.
    ClientCredentials,
    /// RFC 7523 §2.1, with a given or signed assertion.
    JwtBearer(Assertion),
    /// RFC 8693.
    TokenExchange(Box<Exchange>),
    /// RFC 8628 §3.1.
    DeviceAuthorization,
}

impl Grant {
    /// The grant's name in messages and cache keys.
    fn name(&self) -> &'static str {
        match self {
            Grant::ClientCredentials => "client_credentials",
            Grant::JwtBearer(_) => "jwt_bearer",
            Grant::TokenExchange(_) => "token_exchange",
            Grant::DeviceAuthorization => "device_authorization",
        }
    }
}

/// What a token exchange request (a [`GrantRequest::token_exchange`])
/// adds to the shared parameters: the tokens exchanged and the type wanted
/// (RFC 8693 §2.1). The audiences are the request's.
#[derive(Debug, Clone)]
pub(crate) struct Exchange {
    pub(crate) subject_token: Secret,
    pub(crate) subject_token_type: String,
    pub(crate) actor: Option<(Secret, String)>,
    pub(crate) requested_token_type: Option<String>,
}

impl Exchange {
    pub(crate) fn new(subject_token: Secret, subject_token_type: String) -> Self {
        Exchange {
            subject_token,
            subject_token_type,
            actor: None,
            requested_token_type: None,
        }
    }

    /// What is exchanged, for the cache key: the tokens' hashes, never
    /// the tokens, and the types.
    pub(crate) fn key_part(&self) -> Value {
        let hash = |s: &Secret| hex(&sha256(s.expose().as_bytes()));
        json!([
            hash(&self.subject_token),
            self.subject_token_type,
            self.actor.as_ref().map(|(t, ty)| [hash(t), ty.clone()]),
            self.requested_token_type,
        ])
    }
}

/// A request of one of the token grants beyond the authorization code:
/// client credentials (RFC 6749 §4.4,
/// [`Provider::request_client_credentials`](crate::provider::Provider::request_client_credentials)
/// and the session manager's cache), JWT bearer (RFC 7523 §2.1,
/// [`Provider::request_jwt_bearer`](crate::provider::Provider::request_jwt_bearer)),
/// token exchange (RFC 8693,
/// [`Provider::exchange_token`](crate::provider::Provider::exchange_token))
/// and device authorization (RFC 8628,
/// [`Provider::request_device_authorization`](crate::provider::Provider::request_device_authorization),
/// [`DeviceFlow`](crate::flow::DeviceFlow)).
///
/// A constructor names the grant; the shared setters ([`scopes`](Self::scopes),
/// [`resource`](Self::resource), [`resources`](Self::resources),
/// [`param`](Self::param)) work for every grant, the others for the grants
/// named in their documentation. A setter used on another grant, or a
/// request given to another grant's operation, is an
/// [`Error::InvalidArgument`] when the request is sent.
///
/// ```
/// use oauthkit::provider::GrantRequest;
/// let r = GrantRequest::client_credentials()
///     .scopes(["read", "write"])
///     .resource("https://api.example/")
///     .audience("https://api.example");
/// // the cache key depends on the client and on what is asked, not on order
/// let same = GrantRequest::client_credentials()
///     .scopes(["write", "read"])
///     .resource("https://api.example/")
///     .audience("https://api.example");
/// assert_eq!(r.cache_key("svc"), same.cache_key("svc"));
/// assert_ne!(r.cache_key("svc"), r.cache_key("other-svc"));
/// assert!(r.cache_key("svc").starts_with("client_credentials:svc:"));
/// ```
#[derive(Debug, Clone)]
pub struct GrantRequest {
    pub(crate) grant: GrantParams,
    pub(crate) kind: Grant,
    /// `audience` values (client credentials: at most one; token exchange:
    /// any number).
    pub(crate) audiences: Vec<String>,
    /// The first setter used that the grant does not have.
    misplaced: Option<&'static str>,
}

impl GrantRequest {
    fn new(kind: Grant) -> Self {
        GrantRequest {
            grant: GrantParams::default(),
            kind,
            audiences: Vec::new(),
            misplaced: None,
        }
    }

    /// A client credentials request (RFC 6749 §4.4): the provider's
    /// configured scopes, no resource, no audience.
    ///
    /// ```
    /// let r = oauthkit::provider::GrantRequest::client_credentials();
    /// assert!(r.cache_key("svc").starts_with("client_credentials:svc:"));
    /// ```
    pub fn client_credentials() -> Self {
        Self::new(Grant::ClientCredentials)
    }

    /// A JWT bearer request (RFC 7523 §2.1) with an assertion the caller
    /// already has (a secret: never in `Debug`).
    ///
    /// ```
    /// use oauthkit::provider::GrantRequest;
    /// let r = GrantRequest::jwt_bearer("eyJhbGciOiJFUzI1NiJ9.e30.c2ln")
    ///     .scopes(["api:read"])
    ///     .resource("https://api.example/");
    /// assert!(!format!("{r:?}").contains("c2ln")); // the assertion is a secret
    /// assert!(r.cache_key("svc").starts_with("jwt_bearer:svc:"));
    /// ```
    pub fn jwt_bearer(assertion: impl Into<Secret>) -> Self {
        Self::new(Grant::JwtBearer(Assertion::Given(assertion.into())))
    }

    /// A JWT bearer request whose assertion oauthkit signs with `key`,
    /// fresh for every request (RFC 7523 §3): `iss` = `issuer`, `sub` =
    /// `subject`, `aud` the provider's issuer (else its token endpoint)
    /// unless [`assertion_audience`](Self::assertion_audience) is set,
    /// valid 5 minutes ([`lifetime`](Self::lifetime)), a fresh `jti`
    /// ([`jti`](Self::jti)) and any [`claim`](Self::claim).
    ///
    /// ```
    /// use std::time::Duration;
    /// use oauthkit::provider::{GrantRequest, SigningAlgorithm, SigningKey};
    /// let key = SigningKey::generate(SigningAlgorithm::ES256)?.with_kid("trust-1");
    /// let r = GrantRequest::jwt_bearer_signed(key, "https://trusted-issuer.example", "user-42")
    ///     .assertion_audience("https://idp.example")
    ///     .lifetime(Duration::from_secs(120))
    ///     .claim("tenant", "acme")
    ///     .scopes(["api:read"]);
    /// assert!(r.cache_key("svc").starts_with("jwt_bearer:svc:"));
    /// # Ok::<(), oauthkit::Error>(())
    /// ```
    pub fn jwt_bearer_signed(
        key: SigningKey,
        issuer: impl Into<String>,
        subject: impl Into<String>,
    ) -> Self {
        let assertion = JwtBearerAssertion::new(key, issuer, subject);
        Self::new(Grant::JwtBearer(Assertion::Signed(Box::new(assertion))))
    }

    /// A token exchange request (RFC 8693 §2.1): exchanges `subject_token`
    /// (a secret: never in `Debug`), of type `subject_token_type` (one of
    /// [`token_types`](crate::unversioned::provider::token_exchange::token_types)
    /// or another absolute URI the provider knows). Not set, no `scope` is
    /// sent and the provider decides.
    ///
    /// ```
    /// use oauthkit::unversioned::provider::token_exchange::token_types;
    /// use oauthkit::provider::GrantRequest;
    /// let r = GrantRequest::token_exchange("eyJ-subject", token_types::ACCESS_TOKEN)
    ///     .actor_token("eyJ-actor", token_types::JWT)
    ///     .audience("https://backend.example")
    ///     .resource("https://api.example/orders")
    ///     .scopes(["orders:read"])
    ///     .requested_token_type(token_types::ACCESS_TOKEN);
    /// // the tokens are secrets: Debug never shows them
    /// let shown = format!("{r:?}");
    /// assert!(!shown.contains("eyJ"));
    /// assert!(shown.contains("https://backend.example"));
    /// ```
    pub fn token_exchange(
        subject_token: impl Into<Secret>,
        subject_token_type: impl Into<String>,
    ) -> Self {
        Self::new(Grant::TokenExchange(Box::new(Exchange::new(
            subject_token.into(),
            subject_token_type.into(),
        ))))
    }

    /// A device authorization request (RFC 8628 §3.1): the provider's
    /// configured scopes, no extra parameters.
    ///
    /// ```
    /// use oauthkit::provider::GrantRequest;
    /// let r = GrantRequest::device_authorization()
    ///     .scopes(["openid", "offline_access"])
    ///     .param("audience", "https://api.example");
    /// assert_eq!(r.requested_scopes().unwrap(), ["openid", "offline_access"]);
    /// ```
    pub fn device_authorization() -> Self {
        Self::new(Grant::DeviceAuthorization)
    }

    grant_setters! {
        "let r = oauthkit::provider::GrantRequest::client_credentials()";
        /// Not set, the provider's configured scopes are asked for (token
        /// exchange: no `scope` is sent).
        scopes,
        resource,
        resources,
        /// The grant sets `grant_type` and its own parameters (`scope`,
        /// `resource`; `audience` for client credentials; `assertion` for
        /// JWT bearer; `subject_token`, `actor_token`,
        /// `requested_token_type`, ... for token exchange); any other name
        /// may be added (`audience` to a JWT bearer or device request).
        param,
        requested_scopes,
        requested_resources,
        params,
    }

    /// Remembers the first setter the grant does not have.
    fn misplaced(mut self, setter: &'static str) -> Self {
        self.misplaced.get_or_insert(setter);
        self
    }

    /// Sets `audience`: the logical name of the service the token is for.
    /// Client credentials (one; Auth0, Okta, ...) and token exchange (may
    /// repeat) only.
    ///
    /// ```
    /// use oauthkit::provider::GrantRequest;
    /// let r = GrantRequest::client_credentials().audience("https://api.example");
    /// assert_eq!(r.audiences(), ["https://api.example"]);
    /// ```
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        match self.kind {
            Grant::ClientCredentials | Grant::TokenExchange(_) => {
                self.audiences.push(audience.into());
                self
            }
            _ => self.misplaced("audience"),
        }
    }

    /// The audiences set with [`audience`](Self::audience).
    pub fn audiences(&self) -> &[String] {
        &self.audiences
    }

    /// Token exchange: the token of the party acting for the subject
    /// (delegation, RFC 8693 §1.1; a secret), with its type.
    ///
    /// ```
    /// use oauthkit::provider::GrantRequest;
    /// use oauthkit::unversioned::provider::token_exchange::token_types;
    /// let r = GrantRequest::token_exchange("subject", token_types::ACCESS_TOKEN)
    ///     .actor_token("actor", token_types::JWT);
    /// assert_eq!(r.actor().map(|s| s.expose()), Some("actor"));
    /// ```
    pub fn actor_token(
        mut self,
        actor_token: impl Into<Secret>,
        actor_token_type: impl Into<String>,
    ) -> Self {
        match &mut self.kind {
            Grant::TokenExchange(e) => {
                e.actor = Some((actor_token.into(), actor_token_type.into()));
                self
            }
            _ => self.misplaced("actor_token"),
        }
    }

    /// Token exchange: the type of token wanted (one of
    /// [`token_types`](crate::unversioned::provider::token_exchange::token_types)).
    pub fn requested_token_type(mut self, token_type: impl Into<String>) -> Self {
        match &mut self.kind {
            Grant::TokenExchange(e) => {
                e.requested_token_type = Some(token_type.into());
                self
            }
            _ => self.misplaced("requested_token_type"),
        }
    }

    /// Token exchange: the subject token (a secret).
    pub fn subject_token(&self) -> Option<&Secret> {
        match &self.kind {
            Grant::TokenExchange(e) => Some(&e.subject_token),
            _ => None,
        }
    }

    /// Token exchange: the actor token (a secret), if any.
    pub fn actor(&self) -> Option<&Secret> {
        match &self.kind {
            Grant::TokenExchange(e) => e.actor.as_ref().map(|(t, _)| t),
            _ => None,
        }
    }

    /// The signed assertion of a [`jwt_bearer_signed`](Self::jwt_bearer_signed)
    /// request, for its setters.
    fn with_assertion(
        mut self,
        setter: &'static str,
        set: impl FnOnce(&mut JwtBearerAssertion),
    ) -> Self {
        match &mut self.kind {
            Grant::JwtBearer(Assertion::Signed(a)) => {
                set(a);
                self
            }
            _ => self.misplaced(setter),
        }
    }

    /// JWT bearer, signed assertion: sets `aud` (default: the provider's
    /// issuer, else its token endpoint).
    pub fn assertion_audience(self, audience: impl Into<String>) -> Self {
        self.with_assertion("assertion_audience", |a| a.audience = Some(audience.into()))
    }

    /// JWT bearer, signed assertion: sets its lifetime (`exp - iat`, 1 s to
    /// 1 h; default 5 minutes).
    pub fn lifetime(self, lifetime: Duration) -> Self {
        self.with_assertion("lifetime", |a| a.lifetime = lifetime)
    }

    /// JWT bearer, signed assertion: sets `jti` (default: 256 fresh random
    /// bits per signature). A fixed `jti` makes a second use of the grant
    /// fail at servers that enforce single use.
    pub fn jti(self, jti: impl Into<String>) -> Self {
        self.with_assertion("jti", |a| a.jti = Some(jti.into()))
    }

    /// JWT bearer, signed assertion: adds a claim (`iss`, `sub`, `aud`,
    /// `exp`, `iat` and `jti` cannot be set this way; refused when the
    /// request is sent).
    pub fn claim(self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.with_assertion("claim", |a| {
            a.claims.insert(name.into(), value.into());
        })
    }

    /// Refuses the request for an operation of grant `wanted` (its name
    /// as in [`Grant::name`]) when it is for another grant or a setter of
    /// another grant was used.
    pub(crate) fn check(&self, wanted: &'static str) -> Result<()> {
        let what = self.kind.name();
        if what != wanted {
            return Err(self.wrong_grant(wanted));
        }
        if let Some(setter) = self.misplaced {
            return Err(Error::InvalidArgument(format!(
                "'{setter}' is not a setting of a {what} request"
            )));
        }
        if matches!(self.kind, Grant::ClientCredentials) && self.audiences.len() > 1 {
            return Err(Error::InvalidArgument(
                "a client credentials request has at most one audience".into(),
            ));
        }
        Ok(())
    }

    /// The error for a request given to the operation of grant `wanted`.
    pub(crate) fn wrong_grant(&self, wanted: &'static str) -> Error {
        Error::InvalidArgument(format!(
            "a {} request cannot be sent as a {wanted} grant",
            self.kind.name()
        ))
    }

    /// The store key for this request's tokens of client `client_id`:
    /// `{grant}:{client_id}:{hash}` (`client_credentials`, `jwt_bearer`,
    /// `token_exchange` or `device_authorization`), the hash (SHA-256, 128
    /// bits shown) over what the request asks for, canonical (scopes and
    /// resources sorted, without repeats; parameters sorted; who a JWT
    /// bearer assertion is about; the hash of a token exchange's tokens),
    /// so two requests that ask for the same thing share one cached token
    /// and two that differ never do. The session manager caches client
    /// credentials tokens under it.
    pub fn cache_key(&self, client_id: &str) -> String {
        let [scopes, resources, params] = self.grant.canonical();
        let parts = match &self.kind {
            Grant::ClientCredentials => {
                vec![scopes, resources, json!(self.audiences.first()), params]
            }
            Grant::JwtBearer(a) => vec![a.key_part(), scopes, resources, params],
            Grant::TokenExchange(e) => {
                let mut audiences = self.audiences.clone();
                audiences.sort();
                audiences.dedup();
                vec![e.key_part(), json!(audiences), scopes, resources, params]
            }
            Grant::DeviceAuthorization => vec![scopes, resources, params],
        };
        cache_key(self.kind.name(), client_id, parts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::SigningAlgorithm;

    #[test]
    fn setters_of_another_grant_are_refused_by_name() {
        let key = SigningKey::generate(SigningAlgorithm::ES256).unwrap();
        let te = || GrantRequest::token_exchange("st", "urn:x:y");
        let cases = [
            (
                GrantRequest::client_credentials().actor_token("a", "urn:x"),
                "client_credentials",
                "actor_token",
            ),
            (
                GrantRequest::client_credentials().requested_token_type("urn:x"),
                "client_credentials",
                "requested_token_type",
            ),
            (
                GrantRequest::client_credentials().claim("x", 1),
                "client_credentials",
                "claim",
            ),
            (
                GrantRequest::device_authorization().audience("a"),
                "device_authorization",
                "audience",
            ),
            (
                GrantRequest::device_authorization().lifetime(Duration::from_secs(5)),
                "device_authorization",
                "lifetime",
            ),
            (
                GrantRequest::jwt_bearer("h.p.s").audience("a"),
                "jwt_bearer",
                "audience",
            ),
            (
                GrantRequest::jwt_bearer("h.p.s").jti("j"),
                "jwt_bearer",
                "jti",
            ),
            (
                GrantRequest::jwt_bearer_signed(key.clone(), "i", "s").actor_token("a", "urn:x"),
                "jwt_bearer",
                "actor_token",
            ),
            (
                te().assertion_audience("a"),
                "token_exchange",
                "assertion_audience",
            ),
            (
                te().claim("x", 1).actor_token("a", "urn:x"),
                "token_exchange",
                "claim",
            ),
        ];
        for (r, grant, setter) in cases {
            let e = r.check(grant).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidArgument, "{e}");
            assert!(e.to_string().contains(&format!("'{setter}'")), "{e}");
        }
        // the setters of the grant itself pass
        te().actor_token("a", "urn:x")
            .requested_token_type("urn:x")
            .audience("a")
            .audience("b")
            .check("token_exchange")
            .unwrap();
        GrantRequest::jwt_bearer_signed(key, "i", "s")
            .assertion_audience("a")
            .lifetime(Duration::from_secs(5))
            .jti("j")
            .claim("x", 1)
            .check("jwt_bearer")
            .unwrap();
        GrantRequest::client_credentials()
            .audience("a")
            .check("client_credentials")
            .unwrap();
        let e = GrantRequest::client_credentials()
            .audience("a")
            .audience("b")
            .check("client_credentials")
            .unwrap_err();
        assert!(e.to_string().contains("one audience"), "{e}");
    }

    #[test]
    fn a_request_for_another_grant_is_refused() {
        let all = [
            GrantRequest::client_credentials(),
            GrantRequest::jwt_bearer("h.p.s"),
            GrantRequest::token_exchange("st", "urn:x:y"),
            GrantRequest::device_authorization(),
        ];
        for (i, r) in all.iter().enumerate() {
            for (j, wanted) in [
                "client_credentials",
                "jwt_bearer",
                "token_exchange",
                "device_authorization",
            ]
            .into_iter()
            .enumerate()
            {
                let checked = r.check(wanted);
                assert_eq!(checked.is_ok(), i == j, "{r:?} as {wanted}");
                if let Err(e) = checked {
                    assert_eq!(e.kind(), crate::ErrorKind::InvalidArgument);
                    assert!(e.to_string().contains(wanted), "{e}");
                }
            }
        }
    }

    #[test]
    fn cache_keys_differ_by_grant_and_tokens() {
        let keys = [
            GrantRequest::client_credentials().cache_key("c"),
            GrantRequest::device_authorization().cache_key("c"),
            GrantRequest::token_exchange("a", "urn:x:y").cache_key("c"),
            GrantRequest::token_exchange("b", "urn:x:y").cache_key("c"),
            GrantRequest::token_exchange("a", "urn:x:z").cache_key("c"),
            GrantRequest::token_exchange("a", "urn:x:y")
                .actor_token("b", "urn:x:y")
                .cache_key("c"),
            GrantRequest::token_exchange("a", "urn:x:y")
                .audience("x")
                .cache_key("c"),
            GrantRequest::token_exchange("a", "urn:x:y")
                .requested_token_type("urn:x:y")
                .cache_key("c"),
        ];
        let unique: std::collections::HashSet<_> = keys.iter().collect();
        assert_eq!(unique.len(), keys.len(), "{keys:?}");
        // the tokens are hashed, never shown
        assert!(!keys[2].contains("urn") && keys[2].starts_with("token_exchange:c:"));
    }
}
