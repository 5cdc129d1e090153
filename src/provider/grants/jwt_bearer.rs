//! The JWT bearer authorization grant (RFC 7523 §2.1): the client trades
//! a signed JWT, an assertion about a subject, for an access token:
//! `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer` with
//! `assertion`, and optionally `scope` and RFC 8707 `resource`.
//!
//! The assertion is either given by the caller (issued by another party,
//! e.g. an identity federation, [`GrantRequest::jwt_bearer`]) or signed
//! by oauthkit from a private key ([`GrantRequest::jwt_bearer_signed`],
//! a [`JwtBearerAssertion`](crate::provider::grants::assertion::JwtBearerAssertion): `iss`, `sub`, `aud`, `exp`, `iat`, `jti`,
//! extra claims). Client authentication is the provider's usual one
//! (`private_key_jwt`, a secret, or `client_id` only for public clients).
//!
//! The assertion is a secret: it is never in `Debug` output, and the
//! request's errors are scrubbed of it (see the redact module). The
//! returned [`TokenSet`] is stored like client-credentials tokens, under
//! [`GrantRequest::cache_key`].

use serde_json::json;

use crate::error::{Error, Result};
use crate::provider::client::OAuthClient;
use crate::provider::client_auth::ClientAuthMethod;
use crate::provider::grants::assertion::Assertion;
use crate::provider::grants::params::PreparedGrant;
use crate::provider::grants::request::{Grant, GrantRequest};
use crate::secret::Secret;
use crate::token::TokenSet;

/// The `grant_type` of the JWT bearer grant (RFC 7523 §2.1).
pub const JWT_BEARER_GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// The member of [`TokenSet::extra`] that marks a JWT-bearer token set.
pub const STORED_REQUEST_MEMBER: &str = "oauthkit_jwt_bearer";

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
    use crate::jose::{SigningAlgorithm, SigningKey};

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
