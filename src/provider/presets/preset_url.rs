//! The base URLs presets are built on (a Keycloak server, an Okta org, a
//! GitLab instance, an Auth0 tenant domain): checked and spelled one way,
//! so `https://sso.example/`, `https://sso.example` and
//! `https://SSO.example/auth/` give the issuer the provider publishes.

use url::Url;

use crate::error::{Error, Result};
use crate::provider::http::check_endpoint_url;

/// `url` checked as a preset's base URL (`what` names it in errors) and
/// returned without a trailing `/`: an absolute `https` URL (`http` only
/// to a loopback host) without credentials, query or fragment; its path
/// (Keycloak's legacy `/auth`, a GitLab relative URL root) is kept.
///
/// # Errors
///
/// [`Error::InvalidArgument`] naming `what` otherwise (the text given is
/// not repeated).
pub(crate) fn base_url(what: &str, url: &str) -> Result<String> {
    let url = url.trim();
    if url.is_empty() {
        return Err(Error::InvalidArgument(format!("{what} is empty")));
    }
    // Not echoed: text that is no URL can hold anything (a token pasted
    // into the wrong field).
    let bad = |why: &str| Error::InvalidArgument(format!("{what} {why}"));
    // The URL parser drops tabs, newlines and leading or trailing control
    // characters on its own; a value holding them is a mistake, not a URL.
    if url.chars().any(char::is_control) {
        return Err(bad("must not hold control characters"));
    }
    let parsed =
        Url::parse(url).map_err(|_| bad("is not an absolute URL (https://host[/path])"))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(Error::InvalidArgument(format!(
            "{what} must not carry credentials"
        )));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        // not shown: a query can hold anything
        return Err(Error::InvalidArgument(format!(
            "{what} must not have a query or fragment"
        )));
    }
    if parsed.cannot_be_a_base() {
        return Err(bad("is not an absolute URL (https://host[/path])"));
    }
    check_endpoint_url(what, parsed.as_str())?;
    Ok(parsed.as_str().trim_end_matches('/').to_owned())
}

/// A host name given alone (`tenant.eu.auth0.com`) or as an `https` URL
/// without a path, as `https://host[:port]` (no trailing `/`).
///
/// # Errors
///
/// As [`base_url`], and when the URL has a path.
pub(crate) fn host_url(what: &str, domain: &str) -> Result<String> {
    let d = domain.trim();
    let with_scheme = if d.contains("://") || d.is_empty() {
        d.to_owned()
    } else {
        format!("https://{d}")
    };
    let base = base_url(what, &with_scheme)?;
    let path = Url::parse(&base)
        .map(|u| u.path().to_owned())
        .unwrap_or_default();
    if !path.is_empty() && path != "/" {
        return Err(Error::InvalidArgument(format!(
            "{what} must be a host name such as tenant.eu.auth0.com, without a path"
        )));
    }
    Ok(base)
}

/// A path segment a preset puts into a URL (a Keycloak realm, an Okta
/// authorization server id): not empty, not `.` or `..`, no `/`, `\`,
/// `?`, `#`, `%`, whitespace or control characters.
///
/// # Errors
///
/// [`Error::InvalidArgument`] naming `what` otherwise.
pub(crate) fn segment(what: &str, value: &str) -> Result<String> {
    let bad = value.is_empty()
        || value == "."
        || value == ".."
        || value.chars().any(|c| {
            c.is_control() || c.is_whitespace() || matches!(c, '/' | '\\' | '?' | '#' | '%')
        });
    if bad {
        return Err(Error::InvalidArgument(format!(
            "{what} '{}' must be a non-empty name without '/', '\\\\', '?', '#', '%', spaces or \
             control characters",
            value.escape_default().take(100).collect::<String>()
        )));
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_spelled_one_way() {
        for (given, want) in [
            ("https://sso.example", "https://sso.example"),
            ("https://sso.example/", "https://sso.example"),
            ("https://SSO.example/auth/", "https://sso.example/auth"),
            (
                "  https://sso.example:8443/auth//",
                "https://sso.example:8443/auth",
            ),
            ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
            ("http://[::1]:8080/auth/", "http://[::1]:8080/auth"),
            ("http://localhost:8080", "http://localhost:8080"),
            (
                "https://xn--bcher-kva.example/",
                "https://xn--bcher-kva.example",
            ),
        ] {
            assert_eq!(base_url("base URL", given).unwrap(), want, "{given}");
        }
    }

    #[test]
    fn bad_base_urls_are_refused_by_name_without_secrets() {
        for bad in [
            "",
            "   ",
            "sso.example",
            "/realms",
            "ftp://sso.example",
            "http://sso.example",
            "https://user:hunter2@sso.example",
            "https://sso.example/?x=hunter2",
            "https://sso.example/#hunter2",
            "mailto:hunter2@sso.example",
            "https://",
            "//sso.example",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "data:text/plain,hunter2",
            "https://user@sso.example",
            "https://sso.example/\u{0}",
            "https://sso.ex\nample",
            "https://sso.example\t/auth",
            "\u{1b}[31mhttps://sso.example",
            "http://10.0.0.1:8080",
            // no IDNA tables in this build: an internationalised host must
            // be given in its xn-- form
            "https://bücher.example/",
        ] {
            let e = base_url("Keycloak base URL", bad).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidArgument, "{bad}");
            let m = e.to_string();
            assert!(m.contains("base URL"), "{bad}: {m}");
            assert!(!m.contains("hunter2"), "{bad}: {m}");
        }
    }

    #[test]
    fn hosts_and_segments() {
        assert_eq!(
            host_url("d", "t.eu.auth0.com").unwrap(),
            "https://t.eu.auth0.com"
        );
        assert_eq!(
            host_url("d", "https://t.eu.auth0.com/").unwrap(),
            "https://t.eu.auth0.com"
        );
        assert!(host_url("d", "t.eu.auth0.com/x").is_err());
        assert!(host_url("d", "").is_err());
        assert!(host_url("d", "http://t.example").is_err());
        assert_eq!(segment("realm", "my-realm_1.x").unwrap(), "my-realm_1.x");
        for bad in [
            "", ".", "..", "a/b", "a b", "a\nb", "a?b", "a#b", "a%2Fb", "a\\b",
        ] {
            assert!(segment("realm", bad).is_err(), "{bad:?}");
        }
    }
}
