//! Security profiles: one switch per provider that turns on a set of
//! protocol rules and refuses settings that break them.
//!
//! | rule id | OAuth 2.1 | FAPI 2.0 | what it means |
//! |---|---|---|---|
//! | `pkce-s256` | yes | yes | every authorization request carries an S256 PKCE challenge; a flow with PKCE off is refused |
//! | `no-implicit` | yes | yes | `response_type` is `code`; `token`/`id_token token` parameters are refused |
//! | `exact-redirect` | yes | yes | the redirect URI of the exchange is the one of the request (oauthkit always does this; nothing to configure) |
//! | `refresh-rotation` | yes | yes | a public client's refresh that does not rotate the refresh token is logged as a warning |
//! | `par-required` | | yes | authorization requests are pushed (RFC 9126); a provider without a PAR endpoint is refused |
//! | `sender-constrained` | | yes | tokens must be sender-constrained: DPoP on (`dpop`, `OAUTHKIT_DPOP`) |
//! | `client-auth` | | yes | no client secret: `private_key_jwt`, or a public client with DPoP |
//! | `signing-alg` | | yes | the `private_key_jwt` key signs with PS256, ES256 or EdDSA |
//! | `id-token-alg` | | yes | ID tokens are accepted only with PS256, ES256 or EdDSA |
//! | `iss-response` | | yes | callbacks must carry RFC 9207 `iss`; a provider without an issuer is refused |
//!
//! Refusals happen when the provider is built ([`OAuthProvider::oidc`],
//! [`OAuthProvider::oauth2`]) and, for what only a request shows (PKCE off),
//! when the authorization URL is built; they are [`Error::SecurityProfile`]
//! errors (kind `InvalidArgument`) naming the profile and the rule id. The
//! chosen profile is logged at `info` when the provider is built.
//!
//! [`OAuthProvider::oidc`]: crate::provider::OAuthProvider::oidc
//! [`OAuthProvider::oauth2`]: crate::provider::OAuthProvider::oauth2

use crate::error::{Error, Result};
use crate::jose::{SigningAlgorithm, SigningKey};
use crate::provider::client_auth::ClientAuthMethod;
use crate::provider::grants::par::ParPolicy;
use crate::provider::AuthorizeRequest;

/// The algorithms FAPI 2.0 allows for signatures (FAPI 2.0 Security
/// Profile §5.4.1).
pub const FAPI2_ALGORITHMS: &[&str] = &["PS256", "ES256", "EdDSA"];

/// A provider's security profile.
///
/// ```
/// use oauthkit::provider::SecurityProfile;
/// use oauthkit::provider::{OidcConfig, OAuthProvider};
/// // FAPI 2.0 with a client secret is refused when the provider is built
/// let cfg = OidcConfig::new("https://bank.example", "app")
///     .client_secret("s3cret")
///     .profile(SecurityProfile::Fapi2);
/// let err = OAuthProvider::oidc(cfg).unwrap_err();
/// assert_eq!(err.kind(), oauthkit::ErrorKind::InvalidArgument);
/// assert!(err.to_string().contains("FAPI 2.0"), "{err}");
/// assert!(err.to_string().contains("sender-constrained") || err.to_string().contains("client-auth"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
#[non_exhaustive]
pub enum SecurityProfile {
    /// RFC 6749 with the RFC 9700 practices oauthkit always follows (PKCE
    /// S256 unless turned off, `state`, `nonce`, RFC 9207 when advertised).
    #[default]
    Default,
    /// OAuth 2.1 (draft-ietf-oauth-v2-1): PKCE S256 on every request, no
    /// implicit grant, exact redirect URIs, refresh rotation expected for
    /// public clients.
    OAuth21,
    /// FAPI 2.0 Security Profile: OAuth 2.1 plus PAR, sender-constrained
    /// tokens (DPoP), `private_key_jwt` or a public client with DPoP, no
    /// client secret, RFC 9207 `iss`, PS256/ES256/EdDSA only.
    Fapi2,
}

impl SecurityProfile {
    /// A readable name (`"default"`, `"OAuth 2.1"`, `"FAPI 2.0"`).
    pub fn name(self) -> &'static str {
        match self {
            SecurityProfile::Default => "default",
            SecurityProfile::OAuth21 => "OAuth 2.1",
            SecurityProfile::Fapi2 => "FAPI 2.0",
        }
    }

    /// The settings name (`default`, `oauth2.1`, `fapi2`), also accepted
    /// by [`str::parse`].
    pub fn as_str(self) -> &'static str {
        match self {
            SecurityProfile::Default => "default",
            SecurityProfile::OAuth21 => "oauth2.1",
            SecurityProfile::Fapi2 => "fapi2",
        }
    }

    /// Whether the OAuth 2.1 rules apply (OAuth 2.1 and FAPI 2.0).
    pub fn is_oauth21(self) -> bool {
        self != SecurityProfile::Default
    }

    /// Whether the FAPI 2.0 rules apply.
    pub fn is_fapi2(self) -> bool {
        self == SecurityProfile::Fapi2
    }

    /// Whether authorization requests must be pushed.
    pub fn requires_par(self) -> bool {
        self.is_fapi2()
    }

    /// Whether callbacks must carry `iss` (RFC 9207).
    pub fn requires_iss(self) -> bool {
        self.is_fapi2()
    }

    pub(crate) fn violation(
        self,
        provider: &str,
        rule: &'static str,
        detail: impl Into<String>,
    ) -> Error {
        Error::SecurityProfile {
            provider: provider.to_owned(),
            profile: self.name(),
            rule,
            detail: detail.into(),
        }
    }

    /// The request-time rules: an authorization request without an S256
    /// PKCE challenge is refused under OAuth 2.1 and FAPI 2.0.
    pub(crate) fn check_request(
        self,
        provider: &str,
        request: &AuthorizeRequest<'_>,
    ) -> Result<()> {
        if !self.is_oauth21() {
            return Ok(());
        }
        match request.pkce {
            Some(p) if p.method() == "S256" => {}
            _ => {
                return Err(self.violation(
                    provider,
                    "pkce-s256",
                    "every authorization request needs a PKCE S256 challenge; turn PKCE on",
                ))
            }
        }
        for (k, v) in request.extra_params {
            self.check_param(provider, k, v)?;
        }
        Ok(())
    }

    fn check_param(self, provider: &str, name: &str, value: &str) -> Result<()> {
        match name {
            "response_type" if value != "code" => Err(self.violation(
                provider,
                "no-implicit",
                format!(
                    "response_type must be 'code', not '{}'",
                    value.chars().take(40).collect::<String>()
                ),
            )),
            "code_challenge_method" if value != "S256" => {
                Err(self.violation(provider, "pkce-s256", "the PKCE method must be S256"))
            }
            _ => Ok(()),
        }
    }

    /// The build-time rules over a provider's settings.
    pub(crate) fn check_settings(self, s: &ProfileSettings<'_>) -> Result<()> {
        if self != SecurityProfile::Default {
            log::info!("provider {}: security profile {}", s.provider, self.name());
        }
        if !self.is_oauth21() {
            return Ok(());
        }
        for (k, v) in s.authorize_params {
            self.check_param(s.provider, k, v)?;
        }
        if !self.is_fapi2() {
            return Ok(());
        }
        let fail = |rule, detail: &str| Err(self.violation(s.provider, rule, detail));
        if s.has_secret
            || matches!(
                s.client_auth,
                Some(ClientAuthMethod::ClientSecretBasic | ClientAuthMethod::ClientSecretPost)
            )
        {
            return fail(
                "client-auth",
                "a client secret is not allowed; authenticate with private_key_jwt (or be a public client with DPoP)",
            );
        }
        if !s.sender_constrained {
            return fail(
                "sender-constrained",
                "tokens must be sender-constrained: turn DPoP on (`OidcConfig::dpop`, OAUTHKIT_DPOP)",
            );
        }
        if let Some(k) = s.private_key_jwt {
            if k.algorithm() == SigningAlgorithm::RS256 {
                return fail(
                    "signing-alg",
                    "the private_key_jwt key must sign with PS256, ES256 or EdDSA, not RS256",
                );
            }
        }
        if let Some(list) = s.id_token_algorithms {
            if let Some(bad) = list
                .iter()
                .find(|a| !FAPI2_ALGORITHMS.contains(&a.as_str()))
            {
                return Err(self.violation(
                    s.provider,
                    "id-token-alg",
                    format!(
                        "ID-token algorithm '{}' is not allowed (PS256, ES256, EdDSA)",
                        bad.chars().take(20).collect::<String>()
                    ),
                ));
            }
        }
        if !s.has_issuer {
            return fail(
                "iss-response",
                "the provider needs an issuer so callbacks' RFC 9207 iss can be checked",
            );
        }
        if !s.has_par_endpoint_or_discovery {
            return fail(
                "par-required",
                "authorization requests must be pushed: configure the pushed authorization request endpoint",
            );
        }
        let _ = s.par;
        Ok(())
    }
}

impl std::str::FromStr for SecurityProfile {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "default" | "" => SecurityProfile::Default,
            "oauth2.1" | "oauth21" | "oauth-2.1" => SecurityProfile::OAuth21,
            "fapi2" | "fapi2.0" | "fapi-2.0" => SecurityProfile::Fapi2,
            _ => {
                return Err(Error::InvalidArgument(format!(
                    "unknown security profile '{}' (default, oauth2.1, fapi2)",
                    s.chars().take(20).collect::<String>()
                )))
            }
        })
    }
}

impl std::fmt::Display for SecurityProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The `refresh-rotation` rule: under OAuth 2.1 and FAPI 2.0 a public
/// client's refresh should rotate the refresh token (OAuth 2.1 §4.3.1);
/// one that did not is logged (the tokens are still used: the old refresh
/// token stays valid at such a provider).
pub(crate) fn warn_unrotated(
    profile: SecurityProfile,
    provider: &str,
    confidential: bool,
    old: &str,
    fresh: &crate::token::TokenSet,
) {
    if profile.is_oauth21()
        && !confidential
        && fresh
            .refresh_token
            .as_ref()
            .is_some_and(|rt| rt.expose() == old)
    {
        log::warn!(
            "provider {provider}: the {} profile expects refresh token rotation for public clients, \
             and the refresh kept the old refresh token",
            profile.name()
        );
    }
}

/// What the build-time check looks at.
pub(crate) struct ProfileSettings<'a> {
    pub provider: &'a str,
    pub has_secret: bool,
    pub client_auth: Option<ClientAuthMethod>,
    pub private_key_jwt: Option<&'a SigningKey>,
    pub sender_constrained: bool,
    pub par: ParPolicy,
    pub has_par_endpoint_or_discovery: bool,
    pub id_token_algorithms: Option<&'a [String]>,
    pub has_issuer: bool,
    pub authorize_params: &'a [(String, String)],
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::SigningKey;

    fn fapi_ok<'a>(key: &'a SigningKey) -> ProfileSettings<'a> {
        ProfileSettings {
            provider: "p",
            has_secret: false,
            client_auth: None,
            private_key_jwt: Some(key),
            sender_constrained: true,
            par: ParPolicy::WhenRequired,
            has_par_endpoint_or_discovery: true,
            id_token_algorithms: None,
            has_issuer: true,
            authorize_params: &[],
        }
    }

    fn rule(e: Error) -> &'static str {
        match e {
            Error::SecurityProfile { rule, .. } => rule,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_fapi2_rule_refuses_its_setting() {
        let es = SigningKey::generate(SigningAlgorithm::ES256).unwrap();
        let rs = SigningKey::generate(SigningAlgorithm::RS256).unwrap();
        let p = SecurityProfile::Fapi2;
        p.check_settings(&fapi_ok(&es)).unwrap();
        let algs = vec!["ES256".to_string(), "RS256".to_string()];
        let implicit = vec![("response_type".to_string(), "token".to_string())];
        let cases: Vec<(ProfileSettings<'_>, &str)> = vec![
            (
                ProfileSettings {
                    has_secret: true,
                    ..fapi_ok(&es)
                },
                "client-auth",
            ),
            (
                ProfileSettings {
                    client_auth: Some(ClientAuthMethod::ClientSecretPost),
                    ..fapi_ok(&es)
                },
                "client-auth",
            ),
            (
                ProfileSettings {
                    sender_constrained: false,
                    ..fapi_ok(&es)
                },
                "sender-constrained",
            ),
            (
                ProfileSettings {
                    private_key_jwt: Some(&rs),
                    ..fapi_ok(&es)
                },
                "signing-alg",
            ),
            (
                ProfileSettings {
                    id_token_algorithms: Some(&algs),
                    ..fapi_ok(&es)
                },
                "id-token-alg",
            ),
            (
                ProfileSettings {
                    has_issuer: false,
                    ..fapi_ok(&es)
                },
                "iss-response",
            ),
            (
                ProfileSettings {
                    has_par_endpoint_or_discovery: false,
                    ..fapi_ok(&es)
                },
                "par-required",
            ),
            (
                ProfileSettings {
                    authorize_params: &implicit,
                    ..fapi_ok(&es)
                },
                "no-implicit",
            ),
        ];
        for (settings, expected) in cases {
            assert_eq!(rule(p.check_settings(&settings).unwrap_err()), expected);
            // the default profile accepts all of them
            SecurityProfile::Default.check_settings(&settings).unwrap();
        }
        // a public client with DPoP is fine under FAPI 2.0
        p.check_settings(&ProfileSettings {
            private_key_jwt: None,
            ..fapi_ok(&es)
        })
        .unwrap();
    }

    #[test]
    fn oauth21_refuses_requests_without_s256_pkce() {
        let p = SecurityProfile::OAuth21;
        let no_pkce = AuthorizeRequest {
            redirect_uri: "http://127.0.0.1/cb",
            state: "s",
            ..Default::default()
        };
        assert_eq!(
            rule(p.check_request("p", &no_pkce).unwrap_err()),
            "pkce-s256"
        );
        SecurityProfile::Default
            .check_request("p", &no_pkce)
            .unwrap();
        let pkce = crate::provider::pkce::Pkce::generate();
        let ok = AuthorizeRequest {
            pkce: Some(&pkce),
            ..no_pkce.clone()
        };
        p.check_request("p", &ok).unwrap();
        let implicit = [("response_type", "id_token token")];
        let bad = AuthorizeRequest {
            extra_params: &implicit,
            ..ok
        };
        assert_eq!(rule(p.check_request("p", &bad).unwrap_err()), "no-implicit");
    }

    #[test]
    fn names_parse() {
        for p in [
            SecurityProfile::Default,
            SecurityProfile::OAuth21,
            SecurityProfile::Fapi2,
        ] {
            assert_eq!(p.as_str().parse::<SecurityProfile>().unwrap(), p);
        }
        assert!("fapi1".parse::<SecurityProfile>().is_err());
    }
}
