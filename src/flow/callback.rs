//! Checking an authorization response (the redirect to the callback).
//!
//! The rules, in order:
//!
//! 1. Every parameter appears at most once, and `state` must equal the one
//!    sent, compared in constant time. Otherwise the request is
//!    [`CallbackVerdict::Ignored`]: anyone on the machine can send requests
//!    to a loopback port, so a forged or stray request must neither end nor
//!    hijack the sign-in. This includes `error=` requests without the
//!    right state.
//! 2. RFC 9207: when the response carries `iss`, it must equal the
//!    provider's issuer exactly (error responses too); when the provider
//!    requires `iss`, a response without it is refused.
//! 3. `error=` ends the flow with the provider's error
//!    ([`Error::OAuth`] at the `authorization` endpoint).
//! 4. A response with the right state but no `code` ends the flow.
//!
//! A response that passed rule 1 is final whatever happens next: the state
//! is single use.

use std::fmt;
use std::sync::Arc;

use crate::error::Error;
use crate::provider::oidc::iss_check::check_response_iss;
use crate::provider::Provider;
use crate::secret::{constant_time_eq, Secret};

/// What the flow expects of the authorization response.
#[derive(Debug, Clone)]
pub struct ExpectedCallback {
    state: Secret,
    iss: IssRule,
}

/// Who decides whether the response's `iss` is acceptable (RFC 9207).
#[derive(Clone)]
enum IssRule {
    /// A fixed issuer (or none) and whether `iss` must be present.
    Fixed {
        issuer: Option<String>,
        required: bool,
    },
    /// The provider's own rule, e.g. Microsoft's multi-tenant issuers.
    Provider(Arc<dyn Provider>),
}

impl fmt::Debug for IssRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IssRule::Fixed { issuer, required } => f
                .debug_struct("Fixed")
                .field("issuer", issuer)
                .field("required", required)
                .finish(),
            IssRule::Provider(p) => f.debug_tuple("Provider").field(&p.name()).finish(),
        }
    }
}

/// The outcome of checking one request.
#[derive(Debug)]
#[non_exhaustive]
pub enum CallbackVerdict {
    /// The valid response: the authorization code.
    Code(Secret),
    /// A response with the right state that ends the flow with this error.
    Failed(Error),
    /// Forged, stray or malformed: answer 400 and keep waiting.
    Ignored(&'static str),
}

impl ExpectedCallback {
    /// Expects `state`; no issuer check.
    ///
    /// ```
    /// use oauthkit::unversioned::flow::{CallbackVerdict, ExpectedCallback};
    /// let exp = ExpectedCallback::new("s3cret-state").issuer("https://idp");
    /// assert!(matches!(exp.check_query("code=abc&state=s3cret-state"), CallbackVerdict::Code(_)));
    /// assert!(matches!(exp.check_query("code=abc&state=guess"), CallbackVerdict::Ignored(_)));
    /// assert!(matches!(exp.check_query("error=access_denied"), CallbackVerdict::Ignored(_)));
    /// assert!(matches!(
    ///     exp.check_query("code=abc&state=s3cret-state&iss=https://evil"),
    ///     CallbackVerdict::Failed(_)
    /// ));
    /// ```
    pub fn new(state: impl Into<Secret>) -> Self {
        ExpectedCallback {
            state: state.into(),
            iss: IssRule::Fixed {
                issuer: None,
                required: false,
            },
        }
    }

    /// The provider's issuer (RFC 9207): a response whose `iss` differs
    /// is refused. Replaces a [`provider_iss_check`](Self::provider_iss_check).
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        let issuer = Some(issuer.into());
        match &mut self.iss {
            IssRule::Fixed { issuer: is, .. } => *is = issuer,
            IssRule::Provider(_) => {
                self.iss = IssRule::Fixed {
                    issuer,
                    required: false,
                }
            }
        }
        self
    }

    /// Whether the response must carry `iss` (RFC 9207; default no).
    /// Replaces a [`provider_iss_check`](Self::provider_iss_check).
    pub fn require_iss(mut self, required: bool) -> Self {
        match &mut self.iss {
            IssRule::Fixed { required: r, .. } => *r = required,
            IssRule::Provider(_) => {
                self.iss = IssRule::Fixed {
                    issuer: None,
                    required,
                }
            }
        }
        self
    }

    /// Leaves the RFC 9207 check to the provider
    /// ([`Provider::check_authorization_response_iss`]), which knows rules
    /// a plain comparison cannot (Microsoft's multi-tenant issuers). The
    /// flows use this.
    pub fn provider_iss_check(mut self, provider: Arc<dyn Provider>) -> Self {
        self.iss = IssRule::Provider(provider);
        self
    }

    /// Checks a full redirect URL (as pasted by a user).
    pub fn check_url(&self, url: &str) -> CallbackVerdict {
        match url::Url::parse(url.trim()) {
            Ok(u) => self.check_query(u.query().unwrap_or("")),
            Err(_) => CallbackVerdict::Ignored("not a URL"),
        }
    }

    /// Checks the query string of a callback request.
    pub fn check_query(&self, query: &str) -> CallbackVerdict {
        let mut state = None;
        let mut code = None;
        let mut error = None;
        let mut description = None;
        let mut iss = None;
        for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
            let slot = match k.as_ref() {
                "state" => &mut state,
                "code" => &mut code,
                "error" => &mut error,
                "error_description" => &mut description,
                "iss" => &mut iss,
                _ => continue,
            };
            if slot.is_some() {
                return CallbackVerdict::Ignored("a parameter appears twice");
            }
            *slot = Some(v.into_owned());
        }
        let Some(state) = state else {
            return CallbackVerdict::Ignored("no state");
        };
        if !constant_time_eq(state.as_bytes(), self.state.expose().as_bytes()) {
            return CallbackVerdict::Ignored("state does not match");
        }
        let iss_ok = match &self.iss {
            IssRule::Fixed { issuer, required } => {
                check_response_iss(issuer.as_deref(), *required, iss.as_deref())
            }
            IssRule::Provider(p) => p.check_authorization_response_iss(iss.as_deref()),
        };
        if let Err(e) = iss_ok {
            return CallbackVerdict::Failed(e);
        }
        if let Some(error) = error {
            return CallbackVerdict::Failed(Error::OAuth {
                endpoint: "authorization".into(),
                status: None,
                error,
                description,
                source: None,
            });
        }
        match code {
            Some(c) if !c.is_empty() => CallbackVerdict::Code(Secret::new(c)),
            _ => CallbackVerdict::Failed(Error::Authentication(
                "no authorization code in the callback".into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn exp() -> ExpectedCallback {
        ExpectedCallback::new("st")
            .issuer("http://idp")
            .require_iss(true)
    }

    #[test]
    fn forged_and_stray_requests_are_ignored() {
        for q in [
            "",
            "code=x",
            "code=x&state=nope",
            "error=access_denied",
            "error=access_denied&state=nope",
            "code=x&state=st&state=st",
            "code=x&state=STX",
        ] {
            assert!(
                matches!(exp().check_query(q), CallbackVerdict::Ignored(_)),
                "{q}"
            );
        }
    }

    #[test]
    fn right_state_is_final() {
        let e = |q: &str| match exp().check_query(q) {
            CallbackVerdict::Failed(e) => e,
            other => panic!("{q}: {other:?}"),
        };
        assert_eq!(
            e("state=st&iss=http://idp").kind(),
            ErrorKind::Authentication
        );
        assert_eq!(e("code=x&state=st").kind(), ErrorKind::Authentication);
        assert_eq!(
            e("code=x&state=st&iss=http://other").kind(),
            ErrorKind::Authentication
        );
        assert_eq!(
            e("error=access_denied&state=st&iss=http://other").kind(),
            ErrorKind::Authentication
        );
        let err = e("error=access_denied&error_description=no&state=st&iss=http%3A%2F%2Fidp");
        assert_eq!(err.kind(), ErrorKind::OAuth);
        assert!(err.to_string().contains("access_denied"));
        assert!(matches!(
            exp().check_query("code=x&state=st&iss=http%3A%2F%2Fidp"),
            CallbackVerdict::Code(c) if c.expose() == "x"
        ));
    }

    #[test]
    fn iss_optional_unless_required() {
        let e = ExpectedCallback::new("st").issuer("http://idp");
        assert!(matches!(
            e.check_query("code=x&state=st"),
            CallbackVerdict::Code(_)
        ));
        assert!(matches!(
            e.check_url("http://127.0.0.1:1/callback?code=x&state=st"),
            CallbackVerdict::Code(_)
        ));
    }
}
