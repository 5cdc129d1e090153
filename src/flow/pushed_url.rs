//! The authorization URL a flow sends the browser to. A pushed request
//! (PAR, RFC 9126) lives only for the `expires_in` its endpoint gave; when
//! it has expired before the browser could be sent (a slow PAR answer, a
//! very short lifetime), the request is pushed again, at most
//! [`MAX_PUSHES`] times in all, then the sign-in fails saying why.

use crate::error::{Error, Result};
use crate::provider::{AuthorizationUrl, AuthorizeRequest, Provider};

/// How many times one sign-in pushes its request before giving up.
pub(crate) const MAX_PUSHES: usize = 3;

/// The URL to send the browser to now: one whose pushed request (if any)
/// has not expired.
pub(crate) fn url_for_browser(
    provider: &dyn Provider,
    request: &AuthorizeRequest<'_>,
) -> Result<AuthorizationUrl> {
    let mut pushes = 0;
    loop {
        let url = provider.authorization_url(request)?;
        pushes += 1;
        if !url.is_expired() {
            return Ok(url);
        }
        let lifetime = url.lifetime().unwrap_or_default().as_secs();
        if pushes >= MAX_PUSHES {
            return Err(Error::http(
                "pushed_authorization_request",
                format!(
                    "the pushed authorization request expired before the browser could be sent, \
                     {pushes} times in a row: the provider gives it {lifetime} s (expires_in, \
                     RFC 9126) and its PAR endpoint answered slower than that"
                ),
            ));
        }
        log::warn!(
            "{}: the pushed authorization request expired ({lifetime} s, expires_in) before \
             the browser was sent; pushing it again",
            provider.name()
        );
    }
}
