//! [`AccessToken`]: an issued access token with its refresh token.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::secret::Secret;

/// An issued access token (python-oauth2's `AccessToken`).
///
/// The JSON shape is python-oauth2's: `client_id`, `grant_type`, `token`,
/// `data`, `expires_at`, `refresh_token`, `refresh_expires_at`, `scopes`,
/// `user_id`. An expiry of `None` means "never".
///
/// ```
/// use oauthkit::server::AccessToken;
/// let t = AccessToken::new("app", "authorization_code", "s3cr3t-at")
///     .expires_at(1_000)
///     .refresh_token("r3fr3sh", Some(5_000))
///     .user_id("u1");
/// assert!(t.is_expired_at(1_000));
/// assert!(!t.is_refresh_expired_at(1_000));
/// assert_eq!(t.unique_key(), "app_authorization_code_u1");
/// assert!(!format!("{t:?}").contains("s3cr3t-at"));
/// assert!(!format!("{t:?}").contains("r3fr3sh"));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccessToken {
    /// The client it was issued to.
    pub client_id: String,
    /// The grant that produced it (`authorization_code`, ...).
    pub grant_type: String,
    /// The access token.
    pub token: Secret,
    /// Anything else the server keeps with it.
    #[serde(default, deserialize_with = "super::auth_code::null_as_empty")]
    pub data: Map<String, Value>,
    /// When the access token expires (Unix seconds); `None`: never.
    #[serde(default)]
    pub expires_at: Option<i64>,
    /// The refresh token, if one was issued.
    #[serde(default)]
    pub refresh_token: Option<Secret>,
    /// When the refresh token expires; `None`: never.
    #[serde(default)]
    pub refresh_expires_at: Option<i64>,
    /// The granted scopes.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// The user it was issued for (`None` for client credentials).
    #[serde(default, deserialize_with = "super::user_id::deserialize")]
    pub user_id: Option<String>,
}

impl AccessToken {
    /// A token that never expires, without refresh token, scopes or user.
    pub fn new(
        client_id: impl Into<String>,
        grant_type: impl Into<String>,
        token: impl Into<Secret>,
    ) -> Self {
        AccessToken {
            client_id: client_id.into(),
            grant_type: grant_type.into(),
            token: token.into(),
            data: Map::new(),
            expires_at: None,
            refresh_token: None,
            refresh_expires_at: None,
            scopes: Vec::new(),
            user_id: None,
        }
    }

    /// Sets the expiry.
    pub fn expires_at(mut self, at: i64) -> Self {
        self.expires_at = Some(at);
        self
    }

    /// Sets the refresh token and its expiry.
    pub fn refresh_token(mut self, token: impl Into<Secret>, expires_at: Option<i64>) -> Self {
        self.refresh_token = Some(token.into());
        self.refresh_expires_at = expires_at;
        self
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

    /// Whether the access token is expired at `now`.
    pub fn is_expired_at(&self, now: i64) -> bool {
        self.expires_at.is_some_and(|at| now >= at)
    }

    /// Whether the refresh token is expired (or absent) at `now`.
    pub fn is_refresh_expired_at(&self, now: i64) -> bool {
        self.refresh_token.is_none() || self.refresh_expires_at.is_some_and(|at| now >= at)
    }

    /// python-oauth2's unique key `{client_id}_{grant_type}_{user_id}`
    /// (`None` written as Python would: `None`).
    pub fn unique_key(&self) -> String {
        unique_key(&self.client_id, &self.grant_type, self.user_id.as_deref())
    }

    /// Whether the token has exactly these scopes, in any order.
    pub fn has_same_scopes(&self, scopes: &[String]) -> bool {
        let mut a: Vec<&str> = self.scopes.iter().map(String::as_str).collect();
        let mut b: Vec<&str> = scopes.iter().map(String::as_str).collect();
        a.sort_unstable();
        a.dedup();
        b.sort_unstable();
        b.dedup();
        a == b
    }
}

/// `{client_id}_{grant_type}_{user_id}`, `None` spelled `None`.
pub fn unique_key(client_id: &str, grant_type: &str, user_id: Option<&str>) -> String {
    format!("{client_id}_{grant_type}_{}", user_id.unwrap_or("None"))
}
