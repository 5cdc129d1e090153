//! Pushed authorization requests (PAR, RFC 9126).
//!
//! Instead of putting the authorization request in the browser's URL, the
//! client POSTs it (with PKCE, `state`, `nonce`, `resource`, `scope`,
//! `redirect_uri` and any extra parameter, e.g. DPoP's `dpop_jkt`) to the
//! provider's `pushed_authorization_request_endpoint`, authenticated like a
//! token request, and gets a one-time `request_uri`. The browser then gets
//! only `client_id` and `request_uri` (§4), so nothing of the request can
//! be read or changed on the way, and the provider has checked the client
//! before the user sees a page.
//!
//! Providers push inside
//! [`Provider::build_authorize_url`](crate::provider::Provider::build_authorize_url),
//! so the native flow, paste mode and deploy mode use PAR without a change:
//! - when discovery says `require_pushed_authorization_requests: true`;
//! - when the [`SecurityProfile`](crate::provider::profile::SecurityProfile)
//!   requires it (FAPI 2.0);
//! - when the configuration asks for it ([`ParPolicy::Always`]).
//!
//! PAR required without an endpoint (none configured, none discovered) is
//! an [`Error::ProviderUnsupported`] naming PAR, before any request. The
//! PAR endpoint's errors are scrubbed like every other request's: every
//! pushed value but the public parameters is treated as a secret.

use std::time::{Duration, Instant};

use serde_json::Value;
use url::Url;

use crate::error::{Error, Result};
use crate::provider::authorization_url::{AuthorizationUrl, MAX_PAR_LIFETIME};
use crate::provider::client::OAuthClient;
use crate::provider::client_auth::ClientAuthMethod;
use crate::provider::http::check_endpoint_url;
use crate::provider::AuthorizeRequest;

/// The longest `request_uri` accepted (RFC 9126 leaves it open; providers
/// send about 60 characters).
const MAX_REQUEST_URI_CHARS: usize = 2048;

/// When a provider pushes its authorization requests.
///
/// ```
/// use oauthkit::provider::ParPolicy;
/// assert_eq!(ParPolicy::default(), ParPolicy::WhenRequired);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ParPolicy {
    /// Only when the provider requires it (discovery's
    /// `require_pushed_authorization_requests`) or the security profile
    /// does.
    #[default]
    WhenRequired,
    /// Always (an error when the provider has no PAR endpoint).
    Always,
}

/// The error for PAR required but no endpoint known.
pub(crate) fn no_par_endpoint(provider: &str, why: &str) -> Error {
    Error::ProviderUnsupported {
        provider: provider.to_owned(),
        feature: "pushed authorization requests (RFC 9126)",
        detail: format!(
            "{why}, but no pushed_authorization_request_endpoint is configured or discovered"
        ),
    }
}

impl OAuthClient {
    /// Pushes the authorization request to `par_url` and returns the
    /// authorization URL carrying only `client_id` and `request_uri`, with
    /// the pushed request's lifetime (`expires_in`, counted from when the
    /// push was sent).
    pub(crate) fn pushed_authorize_url(
        &self,
        par_url: &str,
        authorization_endpoint: &str,
        method: ClientAuthMethod,
        request: &AuthorizeRequest<'_>,
        defaults: &[(String, String)],
    ) -> Result<AuthorizationUrl> {
        const ENDPOINT: &str = "pushed_authorization_request";
        check_endpoint_url(ENDPOINT, par_url)?;
        let mut url: Url = check_endpoint_url("authorization", authorization_endpoint)?;
        let mut params = self.authorize_params(request, defaults)?;
        for reserved in [
            "request_uri",
            "client_assertion",
            "client_assertion_type",
            "client_secret",
        ] {
            if params.iter().any(|(k, _)| k == reserved) {
                return Err(Error::InvalidArgument(format!(
                    "'{reserved}' cannot be an authorization request parameter when it is pushed"
                )));
            }
        }
        // client authentication adds client_id where its method does
        params.retain(|(k, _)| k != "client_id");
        let mut applied = self.creds.apply(method, params)?;
        if !applied.form.iter().any(|(k, _)| k == "client_id") {
            applied
                .form
                .push(("client_id".into(), self.creds.client_id.clone()));
        }
        let sent_at = Instant::now();
        let (request_uri, lifetime) =
            self.post_form_for_json(ENDPOINT, par_url, &applied, |value| {
                let uri = value
                    .get("request_uri")
                    .and_then(Value::as_str)
                    .filter(|u| {
                        !u.is_empty()
                            && u.len() <= MAX_REQUEST_URI_CHARS
                            && !u.chars().any(char::is_control)
                    })
                    .ok_or_else(|| {
                        Error::http(
                            ENDPOINT,
                            "the PAR response has no usable request_uri (RFC 9126 §2.2)",
                        )
                    })?;
                Ok((uri.to_owned(), pushed_lifetime(&value)?))
            })?;
        url.query_pairs_mut()
            .append_pair("client_id", &self.creds.client_id)
            .append_pair("request_uri", &request_uri);
        Ok(AuthorizationUrl::pushed(
            String::from(url),
            sent_at,
            lifetime,
        ))
    }
}

/// The lifetime of a pushed request: its `expires_in` (RFC 9126 §2.2:
/// required, a positive integer number of seconds), at most
/// [`MAX_PAR_LIFETIME`]. The value is never quoted (a hostile endpoint
/// chooses it).
fn pushed_lifetime(answer: &Value) -> Result<Duration> {
    const ENDPOINT: &str = "pushed_authorization_request";
    match answer.get("expires_in") {
        None | Some(Value::Null) => Err(Error::http(
            ENDPOINT,
            "the PAR response has no expires_in (RFC 9126 §2.2: the request_uri's lifetime in seconds is required), so when its request_uri expires is unknown",
        )),
        Some(v) => match v.as_u64() {
            Some(seconds) if seconds > 0 => {
                Ok(Duration::from_secs(seconds).min(MAX_PAR_LIFETIME))
            }
            _ => Err(Error::http(
                ENDPOINT,
                "the PAR response's expires_in is not a positive integer number of seconds (RFC 9126 §2.2)",
            )),
        },
    }
}
