//! Moving a preset's URLs onto another origin, so tests (and private
//! deployments such as GitHub Enterprise) can point a preset elsewhere.

use url::Url;

use crate::error::{Error, Result};

/// `url` with its scheme, host and port replaced by `base`'s, and `base`'s
/// path (if any) put in front of its path.
///
/// ```
/// use oauthkit::unversioned::provider::rebase;
/// assert_eq!(
///     rebase("https://oauth2.googleapis.com/token", "http://127.0.0.1:8080").unwrap(),
///     "http://127.0.0.1:8080/token"
/// );
/// assert_eq!(
///     rebase("https://github.com/login/oauth/authorize", "https://ghe.example/prefix/").unwrap(),
///     "https://ghe.example/prefix/login/oauth/authorize"
/// );
/// ```
///
/// # Errors
///
/// [`Error::InvalidArgument`] when `url` or `base` is not an absolute URL.
pub fn rebase(url: &str, base: &str) -> Result<String> {
    let original =
        Url::parse(url).map_err(|e| Error::InvalidArgument(format!("bad URL '{url}': {e}")))?;
    let base_url = Url::parse(base)
        .map_err(|e| Error::InvalidArgument(format!("bad base URL '{base}': {e}")))?;
    let prefix = base_url.path().trim_end_matches('/');
    let mut out = base_url.clone();
    out.set_path(&format!("{prefix}{}", original.path()));
    out.set_query(original.query());
    Ok(out.into())
}
