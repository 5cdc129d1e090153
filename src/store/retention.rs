//! How long network stores keep a token set (shared by Redis and memcached).

use crate::token::TokenSet;

/// Seconds a token set without a refresh token outlives its access token
/// (pywry's margin).
pub const EXPIRY_GRACE_SECS: i64 = 300;

/// How long a token set is kept, in seconds from `now`; `None` for "until
/// deleted".
///
/// A token set with an expiry and no refresh token is useless once its
/// access token has expired, so it is kept until
/// [`EXPIRY_GRACE_SECS`] after that (at least one second). A token set with
/// a refresh token can still be refreshed after its access token expired,
/// so it is kept until deleted. (pywry expires both kinds, and so throws
/// away refresh tokens.)
///
/// ```
/// use oauthkit::unversioned::store::retention;
/// use oauthkit::TokenSet;
/// let t = TokenSet::bearer("a").with_expires_at(1_000);
/// assert_eq!(retention(&t, 900), Some(400));
/// assert_eq!(retention(&t.clone().with_refresh_token("r"), 900), None);
/// assert_eq!(retention(&TokenSet::bearer("a"), 900), None);
/// assert_eq!(retention(&t, 5_000), Some(1));
/// ```
pub fn retention(tokens: &TokenSet, now: i64) -> Option<i64> {
    if tokens.refresh_token.is_some() {
        return None;
    }
    retention_until(tokens.expires_at, now)
}

/// [`retention`] of a record that shows only its expiry (a sealed one).
pub(crate) fn retention_until(expires_at: Option<i64>, now: i64) -> Option<i64> {
    expires_at.map(|at| {
        at.saturating_add(EXPIRY_GRACE_SECS)
            .saturating_sub(now)
            .max(1)
    })
}
