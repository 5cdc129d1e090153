//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): the URL
//! that ends the user's session at the provider, with `id_token_hint`,
//! `client_id`, `post_logout_redirect_uri` and `state`. Opening it and
//! waiting for the redirect is the flow's
//! ([`RpLogout`](crate::flow::RpLogout)).

use url::Url;

use crate::error::{Error, Result};
use crate::provider::grants::params::check_extra_params;
use crate::provider::http::check_endpoint_url;
use crate::secret::Secret;

/// What goes into an end-session URL.
///
/// ```
/// use oauthkit::provider::EndSessionRequest;
/// let r = EndSessionRequest::new()
///     .id_token_hint("eyJ...")
///     .post_logout_redirect_uri("http://127.0.0.1:8400/logged-out")
///     .state("st");
/// assert!(!format!("{r:?}").contains("eyJ"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct EndSessionRequest {
    id_token_hint: Option<Secret>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
    params: Vec<(String, String)>,
}

impl EndSessionRequest {
    /// An empty request (the provider then asks the user which session).
    pub fn new() -> Self {
        Self::default()
    }

    /// The ID token the provider issued for this session (recommended; the
    /// provider then knows whose session and may skip its confirmation).
    pub fn id_token_hint(mut self, id_token: impl Into<Secret>) -> Self {
        self.id_token_hint = Some(id_token.into());
        self
    }

    /// Where the provider sends the browser afterwards (registered with
    /// the provider).
    pub fn post_logout_redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.post_logout_redirect_uri = Some(uri.into());
        self
    }

    /// Opaque value returned on the redirect.
    pub fn state(mut self, state: impl Into<String>) -> Self {
        self.state = Some(state.into());
        self
    }

    /// Another query parameter (`ui_locales`, `logout_hint`).
    pub fn param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.params.push((name.into(), value.into()));
        self
    }

    /// The URL at `endpoint` for client `client_id`.
    pub(crate) fn url(&self, endpoint: &str, client_id: &str) -> Result<String> {
        let mut url: Url = check_endpoint_url("end_session", endpoint)?;
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        if let Some(h) = &self.id_token_hint {
            pairs.push(("id_token_hint", h.expose()));
        }
        pairs.push(("client_id", client_id));
        if let Some(u) = &self.post_logout_redirect_uri {
            Url::parse(u).map_err(|e| {
                Error::InvalidArgument(format!("post_logout_redirect_uri '{u}' is not a URL: {e}"))
            })?;
            pairs.push(("post_logout_redirect_uri", u));
        }
        if let Some(s) = &self.state {
            pairs.push(("state", s));
        }
        check_extra_params(
            "end-session",
            &self.params,
            &["id_token_hint", "post_logout_redirect_uri", "state"],
        )?;
        pairs.extend(self.params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        url.query_pairs_mut().extend_pairs(pairs);
        Ok(url.into())
    }
}
