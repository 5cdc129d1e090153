//! [`AuthorizationCode`]: what the authorization endpoint issued, until the
//! token endpoint redeems it (once).

use crate::digest::sha256;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::secret::{constant_time_eq, Secret};

/// An authorization code and what it was issued for (python-oauth2's
/// `AuthorizationCode`, plus the PKCE challenge).
///
/// The JSON shape is python-oauth2's (`client_id`, `code`, `expires_at`,
/// `redirect_uri`, `scopes`, `data`, `user_id`); `code_challenge` and
/// `code_challenge_method` are added only when set, so codes without PKCE
/// stay readable by python-oauth2.
///
/// ```
/// use oauthkit::server::AuthorizationCode;
/// let code = AuthorizationCode::new("app", "c0de", 1_000, "https://app.example/cb")
///     .pkce_challenge("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
/// assert!(code.pkce_matches("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));
/// assert!(!code.pkce_matches("wrong-verifier-wrong-verifier-wrong-verifier"));
/// assert!(code.is_expired_at(1_000));
/// assert!(!code.is_expired_at(999));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuthorizationCode {
    /// The client it was issued to.
    pub client_id: String,
    /// The code.
    pub code: Secret,
    /// When it stops being redeemable (Unix seconds).
    pub expires_at: i64,
    /// The redirect URI of the authorization request.
    pub redirect_uri: String,
    /// The granted scopes.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Anything else the server wants to keep with it.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub data: Map<String, Value>,
    /// The user who approved it.
    #[serde(default, deserialize_with = "super::user_id::deserialize")]
    pub user_id: Option<String>,
    /// The PKCE challenge of the authorization request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_challenge: Option<String>,
    /// Its method; only `S256` is accepted by [`pkce_matches`](Self::pkce_matches).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_challenge_method: Option<String>,
}

pub(crate) fn null_as_empty<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Map<String, Value>, D::Error> {
    Ok(Option::<Map<String, Value>>::deserialize(d)?.unwrap_or_default())
}

impl AuthorizationCode {
    /// A code without scopes, user, data or PKCE.
    pub fn new(
        client_id: impl Into<String>,
        code: impl Into<Secret>,
        expires_at: i64,
        redirect_uri: impl Into<String>,
    ) -> Self {
        AuthorizationCode {
            client_id: client_id.into(),
            code: code.into(),
            expires_at,
            redirect_uri: redirect_uri.into(),
            scopes: Vec::new(),
            data: Map::new(),
            user_id: None,
            code_challenge: None,
            code_challenge_method: None,
        }
    }

    /// Sets the scopes.
    pub fn scopes<I: IntoIterator<Item = S>, S: Into<String>>(mut self, scopes: I) -> Self {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the user.
    pub fn user_id(mut self, user_id: impl Into<String>) -> Self {
        self.user_id = Some(user_id.into());
        self
    }

    /// Sets an S256 PKCE challenge.
    pub fn pkce_challenge(mut self, challenge: impl Into<String>) -> Self {
        self.code_challenge = Some(challenge.into());
        self.code_challenge_method = Some("S256".to_owned());
        self
    }

    /// Whether the code can no longer be redeemed at `now`.
    pub fn is_expired_at(&self, now: i64) -> bool {
        now >= self.expires_at
    }

    /// Whether `verifier` answers the S256 challenge (constant time). A
    /// code without a challenge, or with the `plain` method, never matches.
    pub fn pkce_matches(&self, verifier: &str) -> bool {
        let (Some(challenge), Some("S256")) =
            (&self.code_challenge, self.code_challenge_method.as_deref())
        else {
            return false;
        };
        let computed = URL_SAFE_NO_PAD.encode(sha256(verifier.as_bytes()));
        constant_time_eq(computed.as_bytes(), challenge.as_bytes())
    }
}
