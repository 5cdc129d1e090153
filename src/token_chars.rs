//! The characters a token may hold: RFC 6749 Appendix A.12 (`access_token`)
//! and A.13 (`refresh_token`) allow only VSCHAR, `%x20-7E` (printable
//! ASCII and the space). An ID token is a JWT (base64url and dots), so the
//! same rule holds for it.
//!
//! Token responses are checked once, where every grant parses them
//! (`provider/token_response.rs`: code, refresh, device, client
//! credentials, token exchange, JWT bearer and deploy mode); a token with a
//! line break, `ESC` or any other character outside the set is refused
//! there, so it is never stored nor handed to a credential helper. The
//! `oauthkit` CLI checks stored token sets too, since a token file can be
//! written by another program.

use crate::token::TokenSet;

/// Whether every character of `token` is VSCHAR (`%x20-7E`).
///
/// ```
/// use oauthkit::unversioned::token_chars::is_vschar;
/// assert!(is_vschar("eyJhbGciOi.J9x_-~+/=  !\"#$%&'()*,:;<>?@[\\]^`{|}"));
/// assert!(!is_vschar("at-1\nusername=attacker"));
/// assert!(!is_vschar("at-1\r"));
/// assert!(!is_vschar("at\u{1b}[2J"));
/// assert!(!is_vschar("at\u{7f}"));
/// assert!(!is_vschar("at-é"));
/// ```
pub fn is_vschar(token: &str) -> bool {
    token.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

/// The first token of `tokens` (`"access_token"`, `"refresh_token"` or
/// `"id_token"`) holding a character outside VSCHAR; `None` when all are
/// within it.
///
/// ```
/// use oauthkit::unversioned::token_chars::first_invalid_token;
/// use oauthkit::TokenSet;
/// assert_eq!(first_invalid_token(&TokenSet::bearer("at").with_refresh_token("rt")), None);
/// assert_eq!(
///     first_invalid_token(&TokenSet::bearer("at").with_refresh_token("rt\n")),
///     Some("refresh_token")
/// );
/// ```
pub fn first_invalid_token(tokens: &TokenSet) -> Option<&'static str> {
    let fields = [
        ("access_token", Some(&tokens.access_token)),
        ("refresh_token", tokens.refresh_token.as_ref()),
        ("id_token", tokens.id_token.as_ref()),
    ];
    fields
        .into_iter()
        .find(|(_, token)| token.is_some_and(|t| !is_vschar(t.expose())))
        .map(|(name, _)| name)
}
