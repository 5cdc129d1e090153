//! The client credentials grant (RFC 6749 §4.4): a confidential client
//! asks for a token for itself, with `scope`, RFC 8707 `resource` and
//! `audience` (Auth0, Okta and others). The caching and refreshing ahead
//! of expiry are the session manager's
//! ([`SessionManager::client_credentials_token`](crate::session::SessionManager::client_credentials_token)).

use serde_json::{json, Value};

use crate::error::{Error, Result};
use crate::provider::client::OAuthClient;
use crate::provider::client_auth::ClientAuthMethod;
use crate::provider::grants::params::GrantParams;
use crate::provider::grants::request::GrantRequest;
use crate::token::TokenSet;

/// The member of [`TokenSet::extra`] that marks a client-credentials token
/// set and records its request, so the session manager can ask again.
pub const STORED_REQUEST_MEMBER: &str = "oauthkit_client_credentials";

impl GrantRequest {
    /// The request as stored with its tokens.
    pub(crate) fn to_stored(&self) -> Value {
        json!({
            "scopes": self.grant.scopes,
            "resources": self.grant.resources,
            "audience": self.audiences.first(),
            "params": self.grant.params,
        })
    }

    /// The client credentials request a stored token set was obtained
    /// with; `None` for other token sets, and for a stored request that
    /// does not read back (a member missing or of the wrong type), which is
    /// then treated like another token set.
    ///
    /// ```
    /// use oauthkit::provider::GrantRequest;
    /// assert!(GrantRequest::from_stored(&oauthkit::TokenSet::bearer("at")).is_none());
    /// ```
    pub fn from_stored(tokens: &TokenSet) -> Option<Self> {
        let v = tokens.extra.get(STORED_REQUEST_MEMBER)?;
        let strings = |v: &Value| -> Option<Vec<String>> {
            v.as_array()?
                .iter()
                .map(|s| s.as_str().map(str::to_owned))
                .collect()
        };
        let scopes = match &v["scopes"] {
            Value::Null => None,
            other => Some(strings(other)?),
        };
        let params = v["params"]
            .as_array()?
            .iter()
            .map(|p| {
                let pair = strings(p)?;
                (pair.len() == 2).then(|| (pair[0].clone(), pair[1].clone()))
            })
            .collect::<Option<Vec<_>>>()?;
        let mut request = GrantRequest::client_credentials();
        request.grant = GrantParams {
            scopes,
            resources: strings(&v["resources"])?,
            params,
        };
        request.audiences = v["audience"]
            .as_str()
            .map(str::to_owned)
            .into_iter()
            .collect();
        Some(request)
    }
}

impl OAuthClient {
    /// `grant_type=client_credentials` through the shared token request.
    pub(crate) fn client_credentials(
        &self,
        token_url: &str,
        method: ClientAuthMethod,
        request: &GrantRequest,
    ) -> Result<TokenSet> {
        request.check("client_credentials")?;
        if !self.creds.is_confidential() {
            return Err(Error::InvalidArgument(format!(
                "the client credentials grant needs a confidential client; '{}' has no secret or private key",
                self.creds.client_id
            )));
        }
        let mut form = vec![("grant_type".to_owned(), "client_credentials".to_owned())];
        let scopes = request
            .grant
            .push_scope_and_resources(&mut form, &self.scopes)?;
        if let Some(a) = request.audiences.first() {
            form.push(("audience".into(), a.clone()));
        }
        request.grant.push_params(
            &mut form,
            "client credentials",
            &["grant_type", "scope", "resource", "audience"],
        )?;
        self.grant_token_request(
            token_url,
            method,
            (form, scopes),
            &mut |_| Ok(()),
            (STORED_REQUEST_MEMBER, request.to_stored()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_request_round_trips() {
        let r = GrantRequest::client_credentials()
            .scopes(["a"])
            .resource("https://r.example/")
            .audience("aud")
            .param("x", "y");
        let mut t = TokenSet::bearer("at");
        t.extra.insert(STORED_REQUEST_MEMBER.into(), r.to_stored());
        let back = GrantRequest::from_stored(&t).unwrap();
        assert_eq!(back.to_stored(), r.to_stored());
        assert_eq!(back.cache_key("c"), r.cache_key("c"));
        assert!(GrantRequest::from_stored(&TokenSet::bearer("at")).is_none());
        let none = GrantRequest::client_credentials();
        t.extra
            .insert(STORED_REQUEST_MEMBER.into(), none.to_stored());
        let back = GrantRequest::from_stored(&t).unwrap();
        assert_eq!(back.to_stored(), none.to_stored());
        back.check("client_credentials").unwrap();
    }

    #[test]
    fn keys_differ_by_what_is_asked() {
        let base = GrantRequest::client_credentials();
        let keys = [
            base.cache_key("c"),
            base.clone().scopes(["a"]).cache_key("c"),
            base.clone().scopes(Vec::<String>::new()).cache_key("c"),
            base.clone().resource("https://r/").cache_key("c"),
            base.clone().audience("a").cache_key("c"),
            base.clone().param("a", "b").cache_key("c"),
            base.cache_key("d"),
        ];
        let unique: std::collections::HashSet<_> = keys.iter().collect();
        assert_eq!(unique.len(), keys.len(), "{keys:?}");
        // ':' in a client id cannot make two clients collide: the hash
        // covers the id as a JSON string.
        assert_ne!(
            base.clone().audience("x").cache_key("a:b"),
            base.audience("x").cache_key("a")
        );
    }

    /// The key a stored token set was saved under must still be found:
    /// these strings are the keys as written since 0.1 (SHA-256 over the
    /// canonical JSON, computed independently).
    #[test]
    fn keys_are_pinned() {
        let r = GrantRequest::client_credentials()
            .scopes(["write", "read", "read"])
            .resource("https://b.example/")
            .resource("https://a.example/")
            .audience("https://api.example")
            .param("b", "2")
            .param("a", "1");
        assert_eq!(
            r.cache_key("svc"),
            "client_credentials:svc:f5712f67791ce466159be2287ed2e8b3"
        );
        assert_eq!(
            GrantRequest::client_credentials().cache_key("svc"),
            "client_credentials:svc:bf2894262347c9c9b93a56f2ac073621"
        );
    }
}
