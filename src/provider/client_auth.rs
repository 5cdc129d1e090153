//! Client authentication at the token and revocation endpoints
//! (RFC 6749 §2.3): `client_secret_basic`, `client_secret_post`,
//! `private_key_jwt` (RFC 7523, see [`client_assertion`](super::client_assertion)),
//! or a public client that sends only its `client_id`.

use url::form_urlencoded;

use crate::error::{Error, Result};
use crate::provider::client_assertion::{PrivateKeyJwt, CLIENT_ASSERTION_TYPE};
use crate::provider::http::Auth;
use crate::secret::Secret;

/// How the client proves its identity to the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientAuthMethod {
    /// HTTP Basic with the form-encoded id and secret (RFC 6749 §2.3.1),
    /// the default for clients with a secret.
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the form body.
    ClientSecretPost,
    /// A public client (native app): `client_id` in the body, no secret.
    None,
    /// A JWT signed with the client's private key (RFC 7523 §2.2):
    /// `client_id`, `client_assertion_type` and `client_assertion` in the
    /// body. Chosen whenever the provider is given a
    /// [`PrivateKeyJwt`].
    PrivateKeyJwt,
}

impl ClientAuthMethod {
    /// The registered name (`client_secret_basic`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ClientAuthMethod::ClientSecretBasic => "client_secret_basic",
            ClientAuthMethod::ClientSecretPost => "client_secret_post",
            ClientAuthMethod::None => "none",
            ClientAuthMethod::PrivateKeyJwt => "private_key_jwt",
        }
    }

    /// The method for a client: `None` without a secret, otherwise
    /// `preferred` or, when not given, the first of basic and post that
    /// `supported` (the provider's `token_endpoint_auth_methods_supported`)
    /// lists; basic when the provider lists neither or nothing.
    ///
    /// ```
    /// use oauthkit::provider::ClientAuthMethod as M;
    /// assert_eq!(M::choose(false, None, None), M::None);
    /// assert_eq!(M::choose(true, None, None), M::ClientSecretBasic);
    /// let post_only = vec!["client_secret_post".to_string()];
    /// assert_eq!(M::choose(true, None, Some(&post_only)), M::ClientSecretPost);
    /// assert_eq!(M::choose(true, Some(M::ClientSecretPost), None), M::ClientSecretPost);
    /// ```
    pub fn choose(
        has_secret: bool,
        preferred: Option<Self>,
        supported: Option<&Vec<String>>,
    ) -> Self {
        if !has_secret {
            return ClientAuthMethod::None;
        }
        if let Some(p) = preferred {
            return p;
        }
        match supported {
            Some(list) if list.iter().any(|m| m == "client_secret_basic") => {
                ClientAuthMethod::ClientSecretBasic
            }
            Some(list) if list.iter().any(|m| m == "client_secret_post") => {
                ClientAuthMethod::ClientSecretPost
            }
            _ => ClientAuthMethod::ClientSecretBasic,
        }
    }
}

/// A client's credentials, applied to a form request.
#[derive(Debug, Clone)]
pub struct ClientCredentials {
    /// The client id.
    pub client_id: String,
    /// The client secret; `None` for public clients.
    pub client_secret: Option<Secret>,
    /// The `private_key_jwt` key, when the client has one.
    pub private_key_jwt: Option<PrivateKeyJwt>,
    /// The assertions' default `aud`: the issuer, else the token endpoint.
    pub assertion_audience: String,
}

/// The form pairs and the `Authorization` value a request carries.
pub(crate) struct Applied {
    pub form: Vec<(String, String)>,
    basic: Option<(String, String)>,
}

impl Applied {
    pub fn auth(&self) -> Auth<'_> {
        match &self.basic {
            Some((u, p)) => Auth::Basic(u, p),
            None => Auth::None,
        }
    }

    pub fn pairs(&self) -> Vec<(&str, &str)> {
        self.form
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }
}

impl ClientCredentials {
    /// Adds the credentials to `form` as `method` requires (a fresh
    /// assertion for `private_key_jwt`).
    pub(crate) fn apply(
        &self,
        method: ClientAuthMethod,
        mut form: Vec<(String, String)>,
    ) -> Result<Applied> {
        if method == ClientAuthMethod::PrivateKeyJwt {
            let key = self.private_key_jwt.as_ref().ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "client '{}' uses private_key_jwt but has no private key",
                    self.client_id
                ))
            })?;
            let assertion = key.assertion(&self.client_id, &self.assertion_audience)?;
            form.push(("client_id".into(), self.client_id.clone()));
            form.push(("client_assertion_type".into(), CLIENT_ASSERTION_TYPE.into()));
            form.push(("client_assertion".into(), assertion));
            return Ok(Applied { form, basic: None });
        }
        let secret = self.client_secret.as_ref().filter(|s| !s.is_empty());
        let method = if secret.is_none() {
            ClientAuthMethod::None
        } else {
            method
        };
        let mut basic = None;
        match method {
            ClientAuthMethod::ClientSecretBasic => {
                let enc =
                    |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
                let secret = secret.expect("checked above");
                basic = Some((enc(&self.client_id), enc(secret.expose())));
            }
            ClientAuthMethod::ClientSecretPost => {
                form.push(("client_id".into(), self.client_id.clone()));
                let secret = secret.expect("checked above");
                form.push(("client_secret".into(), secret.expose().to_owned()));
            }
            ClientAuthMethod::None | ClientAuthMethod::PrivateKeyJwt => {
                form.push(("client_id".into(), self.client_id.clone()))
            }
        }
        Ok(Applied { form, basic })
    }

    /// Whether the client can authenticate itself (a secret or a key): a
    /// confidential client.
    pub(crate) fn is_confidential(&self) -> bool {
        self.private_key_jwt.is_some() || self.client_secret.as_ref().is_some_and(|s| !s.is_empty())
    }
}

/// The check every provider configuration makes when it is built: a
/// configured key is usable, and `client_auth = private_key_jwt` has one.
pub(crate) fn check_configured(
    provider: &str,
    client_auth: Option<ClientAuthMethod>,
    key: Option<&PrivateKeyJwt>,
) -> Result<()> {
    if let Some(k) = key {
        k.check()?;
    }
    if client_auth == Some(ClientAuthMethod::PrivateKeyJwt) && key.is_none() {
        return Err(Error::InvalidArgument(format!(
            "{provider}: client_auth is private_key_jwt but no private key is configured"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(secret: Option<&str>) -> ClientCredentials {
        ClientCredentials {
            client_id: "my id".into(),
            client_secret: secret.map(Secret::new),
            private_key_jwt: None,
            assertion_audience: "https://issuer.example".into(),
        }
    }

    #[test]
    fn basic_encodes_id_and_secret() {
        let a = creds(Some("s:e/c"))
            .apply(ClientAuthMethod::ClientSecretBasic, vec![])
            .unwrap();
        assert!(a.form.is_empty());
        match a.auth() {
            Auth::Basic(u, p) => {
                assert_eq!(u, "my+id");
                assert_eq!(p, "s%3Ae%2Fc");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn post_and_public() {
        let a = creds(Some("sec"))
            .apply(ClientAuthMethod::ClientSecretPost, vec![])
            .unwrap();
        assert_eq!(
            a.pairs(),
            [("client_id", "my id"), ("client_secret", "sec")]
        );
        let a = creds(None)
            .apply(ClientAuthMethod::ClientSecretBasic, vec![])
            .unwrap();
        assert_eq!(a.pairs(), [("client_id", "my id")]);
        assert!(matches!(a.auth(), Auth::None));
    }

    #[test]
    fn private_key_jwt_sends_a_fresh_assertion_and_no_secret() {
        use crate::jose::{SigningAlgorithm, SigningKey};
        let mut c = creds(Some("sec"));
        // without a key the method is refused, never silently downgraded
        assert!(c.apply(ClientAuthMethod::PrivateKeyJwt, vec![]).is_err());
        c.private_key_jwt = Some(PrivateKeyJwt::new(
            SigningKey::generate(SigningAlgorithm::ES256).unwrap(),
        ));
        let a = c.apply(ClientAuthMethod::PrivateKeyJwt, vec![]).unwrap();
        let b = c.apply(ClientAuthMethod::PrivateKeyJwt, vec![]).unwrap();
        assert!(matches!(a.auth(), Auth::None));
        let names: Vec<_> = a.pairs().iter().map(|p| p.0).collect();
        assert_eq!(
            names,
            ["client_id", "client_assertion_type", "client_assertion"]
        );
        assert!(!a
            .pairs()
            .iter()
            .any(|p| p.0 == "client_secret" || p.1 == "sec"));
        assert_ne!(
            a.pairs()[2].1,
            b.pairs()[2].1,
            "a new assertion per request"
        );
    }
}
