//! [`AuthFlowResult`]: what a successful interactive sign-in (native or
//! device) returns.

use crate::claims::Claims;
use crate::token::TokenSet;

/// A successful sign-in.
#[derive(Debug, Clone)]
pub struct AuthFlowResult {
    /// The tokens, as stored.
    pub tokens: TokenSet,
    /// The userinfo claims, when the provider has a userinfo endpoint and
    /// answered.
    pub user_info: Option<Claims>,
    /// The key the tokens were stored under.
    pub key: String,
    /// `None` when the sign-in brought a refresh token; otherwise what the
    /// configuration needs for one (also logged as a warning), since the
    /// user must sign in again when the access token expires.
    pub refresh_token_advice: Option<String>,
}

impl AuthFlowResult {
    /// The claims of the sign-in's ID token (validated when it was
    /// received), `None` without one (plain OAuth 2.0).
    pub fn id_token_claims(&self) -> Option<Claims> {
        self.tokens.id_token_claims()
    }

    /// Who signed in, to show: the [display name](Claims::display_name) of
    /// the userinfo claims, else of the ID token's claims, else the token
    /// set's identity id. Not escaped: it came from the provider.
    ///
    /// ```
    /// use oauthkit::flow::AuthFlowResult;
    /// use oauthkit::{Claims, TokenSet};
    /// let result = AuthFlowResult {
    ///     tokens: TokenSet::bearer("at").with_identity_id("u-1"),
    ///     user_info: Some(Claims::from_json(r#"{"sub": "u-1", "email": "jane@example.test"}"#)?),
    ///     key: "u-1".into(),
    ///     refresh_token_advice: None,
    /// };
    /// assert_eq!(result.display_name().as_deref(), Some("jane@example.test"));
    /// # Ok::<(), oauthkit::Error>(())
    /// ```
    pub fn display_name(&self) -> Option<String> {
        self.user_info
            .as_ref()
            .and_then(Claims::display_name)
            .or_else(|| {
                self.id_token_claims()
                    .as_ref()
                    .and_then(Claims::display_name)
            })
            .or_else(|| self.tokens.identity_id.clone().filter(|s| !s.is_empty()))
    }
}
