//! RFC 9207: the `iss` parameter of authorization responses, the mix-up
//! defence for applications that talk to several providers.
//!
//! The flow calls this on every callback, success or error, before it
//! looks at `code` or `error`.

use crate::error::{Error, Result};

/// Checks the `iss` of an authorization response.
///
/// - `iss` present: it must equal `expected` by simple string comparison.
///   A plain OAuth provider configured without an issuer has nothing to
///   compare with; its responses' `iss` is ignored (configure
///   `OAuth2Config::issuer` to have it checked).
/// - `iss` absent: refused when `required` (the provider's metadata sets
///   `authorization_response_iss_parameter_supported`), accepted otherwise.
///
/// ```
/// use oauthkit::unversioned::provider::check_response_iss;
/// let idp = Some("https://idp.example");
/// assert!(check_response_iss(idp, true, Some("https://idp.example")).is_ok());
/// assert!(check_response_iss(idp, false, None).is_ok());
/// // mix-up: a response from another issuer
/// let e = check_response_iss(idp, false, Some("https://evil.example")).unwrap_err();
/// assert_eq!(e.kind(), oauthkit::ErrorKind::Authentication);
/// // the provider promised iss but the response lacks it
/// assert!(check_response_iss(idp, true, None).is_err());
/// // trailing slashes are not normalised away
/// assert!(check_response_iss(idp, false, Some("https://idp.example/")).is_err());
/// ```
///
/// # Errors
///
/// [`Error::Authentication`] when `iss` is present and differs from
/// `expected` (a possible mix-up attack), or is absent although
/// `required`.
pub fn check_response_iss(expected: Option<&str>, required: bool, iss: Option<&str>) -> Result<()> {
    match (iss, expected) {
        (Some(got), Some(want)) if got == want => Ok(()),
        (Some(got), Some(want)) => Err(Error::Authentication(format!(
            "authorization response issuer '{}' is not '{want}' (possible mix-up attack)",
            got.chars().take(200).collect::<String>()
        ))),
        (Some(_), None) => Ok(()),
        (None, _) if required => Err(Error::Authentication(
            "authorization response has no iss parameter although the provider always sends one (RFC 9207)"
                .into(),
        )),
        (None, _) => Ok(()),
    }
}
