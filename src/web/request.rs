//! Reading an [`http::Request`] for the `/auth/*` routes: the parts they
//! check (method, path, query, cookies, `Origin`, `Sec-Fetch-Site`,
//! `X-CSRF-Token`, the proxy's forwarded origin), and a clear refusal for
//! header values the checks cannot trust.
//!
//! A header the routes decide on must be there once (`Cookie` may repeat:
//! its lines are one list) and be UTF-8 text: a repeated `Origin` could
//! say one thing to one check and another to the next, and bytes that are
//! not text are no origin, token or cookie this server issued. Headers the
//! routes never read are not looked at.

use http::header::{HeaderMap, HeaderName, COOKIE, FORWARDED, ORIGIN};
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

/// `Sec-Fetch-Site` (not among `http`'s constants).
const SEC_FETCH_SITE: &str = "sec-fetch-site";
/// `X-CSRF-Token`: the session's token, proving a logout same-origin.
const CSRF_TOKEN: &str = "x-csrf-token";
/// The de-facto proxy headers (RFC 7239's `Forwarded` is preferred).
const X_FORWARDED_HOST: &str = "x-forwarded-host";
const X_FORWARDED_PROTO: &str = "x-forwarded-proto";

/// What the routes read of a request.
#[derive(Debug, Clone, Default)]
pub(crate) struct Incoming {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path, without query (`/auth/login`).
    pub path: String,
    /// The raw query string, without `?`.
    pub query: String,
    /// Every `Cookie` line, joined with `; `.
    pub cookie: Option<String>,
    /// The `Origin` header.
    pub origin: Option<String>,
    /// The `Sec-Fetch-Site` header.
    pub sec_fetch_site: Option<String>,
    /// The `X-CSRF-Token` header.
    pub csrf_token: Option<String>,
    /// The public origin the proxy's headers name (read only when the
    /// deployment trusts them).
    pub forwarded_origin: Option<String>,
}

impl Incoming {
    /// The parts of `request` the routes check; `Err` says, for a
    /// `400 invalid_request`, which header cannot be trusted and why.
    /// The proxy's headers are read only when `trust_forwarded`.
    pub(crate) fn read<B>(
        request: &http::Request<B>,
        trust_forwarded: bool,
    ) -> std::result::Result<Self, String> {
        let headers = request.headers();
        let cookies = all_values(headers, &COOKIE, "Cookie")?;
        let forwarded_origin = if trust_forwarded {
            let forwarded = joined(headers, &FORWARDED, "Forwarded")?;
            let host = joined(
                headers,
                &HeaderName::from_static(X_FORWARDED_HOST),
                "X-Forwarded-Host",
            )?;
            let proto = joined(
                headers,
                &HeaderName::from_static(X_FORWARDED_PROTO),
                "X-Forwarded-Proto",
            )?;
            forwarded_origin(|name| match name {
                "Forwarded" => forwarded.clone(),
                "X-Forwarded-Host" => host.clone(),
                "X-Forwarded-Proto" => proto.clone(),
                _ => None,
            })
        } else {
            None
        };
        Ok(Incoming {
            method: request.method().as_str().to_string(),
            path: request.uri().path().to_string(),
            query: request.uri().query().unwrap_or("").to_string(),
            cookie: (!cookies.is_empty()).then(|| cookies.join("; ")),
            origin: single(headers, &ORIGIN, "Origin")?,
            sec_fetch_site: single(
                headers,
                &HeaderName::from_static(SEC_FETCH_SITE),
                "Sec-Fetch-Site",
            )?,
            csrf_token: single(
                headers,
                &HeaderName::from_static(CSRF_TOKEN),
                "X-CSRF-Token",
            )?,
            forwarded_origin,
        })
    }

    /// Only the cookies of `request` (for `DeployHandler::session_key`);
    /// `None` when a `Cookie` line is not UTF-8 text.
    pub(crate) fn cookies_of(headers: &HeaderMap) -> Option<Self> {
        let cookies = all_values(headers, &COOKIE, "Cookie").ok()?;
        Some(Incoming {
            cookie: (!cookies.is_empty()).then(|| cookies.join("; ")),
            ..Default::default()
        })
    }

    /// Every value of cookie `name`, in order (a browser sends several
    /// when another site or path set one too).
    pub(crate) fn cookie_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.cookie.as_deref().into_iter().flat_map(move |header| {
            header.split(';').filter_map(move |c| {
                let (k, v) = c.trim().split_once('=')?;
                (k == name).then_some(v)
            })
        })
    }
}

/// A header's value as text; `Err` names the header.
fn text<'a>(value: &'a http::HeaderValue, shown: &str) -> std::result::Result<&'a str, String> {
    std::str::from_utf8(value.as_bytes())
        .map_err(|_| format!("the {shown} header is not UTF-8 text"))
}

/// Every line of a header that may repeat, as text.
fn all_values<'a>(
    headers: &'a HeaderMap,
    name: &HeaderName,
    shown: &str,
) -> std::result::Result<Vec<&'a str>, String> {
    headers
        .get_all(name)
        .iter()
        .map(|v| text(v, shown))
        .collect()
}

/// A list header's lines joined with `, ` (one list, RFC 9110 §5.3).
fn joined(
    headers: &HeaderMap,
    name: &HeaderName,
    shown: &str,
) -> std::result::Result<Option<String>, String> {
    let values = all_values(headers, name, shown)?;
    Ok((!values.is_empty()).then(|| values.join(", ")))
}

/// A header that must be there at most once, as text.
fn single(
    headers: &HeaderMap,
    name: &HeaderName,
    shown: &str,
) -> std::result::Result<Option<String>, String> {
    let mut values = headers.get_all(name).iter();
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(format!("the {shown} header is repeated"));
    }
    text(first, shown).map(|t| Some(t.to_string()))
}

/// Bytes a request target cannot carry (besides non-ASCII, which
/// `percent_encoding` always encodes).
const NOT_IN_A_TARGET: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'#')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'\\')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// The request target for `path` and `query` (the raw query, without
/// `?`; `None`: `path` may carry its own), for the adapters (tiny_http,
/// the C ABI) that get them as text. Bytes a request line cannot carry
/// (spaces, control characters, `#`, `"`, `<`, ...) are percent-encoded,
/// which keeps what the routes read: the path still matches or not, and
/// the query's form decoding gives the same values.
///
/// # Errors
///
/// A description when it is no path of this server (empty, not starting
/// with `/`) or longer than the `http` crate takes.
pub(crate) fn request_target(
    path: &str,
    query: Option<&str>,
) -> std::result::Result<http::Uri, String> {
    let target = match query {
        Some(q) => format!("{}?{q}", path.split('?').next().unwrap_or("")),
        None => path.to_string(),
    };
    if !target.starts_with('/') {
        return Err("the path does not start with '/'".into());
    }
    let encoded = utf8_percent_encode(&target, NOT_IN_A_TARGET).to_string();
    encoded
        .parse::<http::Uri>()
        .map_err(|e| format!("the path is no request target: {e}"))
}

/// The public origin the proxy's headers name: the first `Forwarded`
/// element's `proto` and `host`, else `X-Forwarded-Proto` and
/// `X-Forwarded-Host` (first values); `None` without a host.
pub(crate) fn forwarded_origin(header: impl Fn(&str) -> Option<String>) -> Option<String> {
    let unquote = |v: &str| v.trim().trim_matches('"').to_string();
    let (mut proto, mut host) = (None, None);
    if let Some(f) = header("Forwarded") {
        let first = f.split(',').next().unwrap_or("");
        for pair in first.split(';') {
            if let Some((k, v)) = pair.split_once('=') {
                match k.trim().to_ascii_lowercase().as_str() {
                    "proto" => proto = Some(unquote(v)),
                    "host" => host = Some(unquote(v)),
                    _ => {}
                }
            }
        }
    }
    if host.is_none() {
        let first = |v: String| v.split(',').next().unwrap_or("").trim().to_string();
        host = header("X-Forwarded-Host").map(first);
        proto = header("X-Forwarded-Proto").map(first);
    }
    let host = host.filter(|h| !h.is_empty())?;
    let proto = proto.unwrap_or_else(|| "https".into()).to_ascii_lowercase();
    Some(format!("{proto}://{host}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_keep_what_the_routes_read() {
        let u = request_target("/auth/callback", Some("state=a b#c&code=\"x\"")).unwrap();
        assert_eq!(u.path(), "/auth/callback");
        let pairs: Vec<(String, String)> =
            url::form_urlencoded::parse(u.query().unwrap().as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
        assert_eq!(
            pairs,
            [
                ("state".into(), "a b#c".into()),
                ("code".into(), "\"x\"".into())
            ]
        );
        let u = request_target("/auth/lo gin\u{e9}", None).unwrap();
        assert_eq!(u.path(), "/auth/lo%20gin%C3%A9");
        assert_eq!(
            request_target("/auth/login?x=1", None).unwrap().query(),
            Some("x=1")
        );
        assert_eq!(
            request_target("/auth/login?x=1", Some("y=2"))
                .unwrap()
                .query(),
            Some("y=2")
        );
        for bad in ["", "auth/login", "http://x/auth/login", "*"] {
            assert!(request_target(bad, None).is_err(), "{bad:?}");
        }
        assert!(request_target(&format!("/{}", "a".repeat(70_000)), None).is_err());
    }
}
