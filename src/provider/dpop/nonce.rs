//! Server-provided DPoP nonces (RFC 9449 §8, §9): remembered per origin,
//! updated from every `DPoP-Nonce` response header, and the two ways a
//! server asks for one (`400 {"error":"use_dpop_nonce"}` from an
//! authorization server, `401` with `WWW-Authenticate: DPoP
//! error="use_dpop_nonce"` from a resource server or userinfo).

use std::sync::{Arc, Mutex};

use serde_json::Value;
use url::Url;

/// Most origins remembered; the oldest entry gives way beyond it.
const MAX_ORIGINS: usize = 256;
/// Longest nonce accepted.
const MAX_NONCE_LEN: usize = 1024;

/// Whether `nonce` is a valid RFC 9449 nonce: `1*NQCHAR` (printable ASCII
/// except `"` and `\`), at most 1024 characters. Anything else from a
/// server is ignored, so it never reaches a header or a proof.
pub(crate) fn is_valid_nonce(nonce: &str) -> bool {
    !nonce.is_empty()
        && nonce.len() <= MAX_NONCE_LEN
        && nonce
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
}

/// The origin (`scheme://host:port`) a nonce belongs to.
fn origin_of(url: &str) -> Option<String> {
    let u = Url::parse(url).ok()?;
    u.host()?;
    Some(u.origin().ascii_serialization())
}

/// The nonces servers gave, by origin. Clones share the cache; a provider
/// keeps one for its authorization server, a
/// [`SessionManager`](crate::session::SessionManager) one for resource
/// servers.
///
/// ```
/// use oauthkit::unversioned::provider::dpop::DpopNonces;
/// let nonces = DpopNonces::new();
/// nonces.record("https://api.example/v1/me", Some("eyJ7S_zG.eyJH0-Z.HX4w-7v"));
/// assert_eq!(nonces.get("https://api.example/other").as_deref(), Some("eyJ7S_zG.eyJH0-Z.HX4w-7v"));
/// assert_eq!(nonces.get("https://other.example/"), None);
/// nonces.record("https://api.example/", Some("bad\"nonce")); // ignored
/// assert_eq!(nonces.get("https://api.example/").as_deref(), Some("eyJ7S_zG.eyJH0-Z.HX4w-7v"));
/// ```
#[derive(Clone, Default)]
pub struct DpopNonces {
    inner: Arc<Mutex<Vec<(String, String)>>>,
}

impl std::fmt::Debug for DpopNonces {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.inner.lock().map(|m| m.len()).unwrap_or(0);
        f.debug_struct("DpopNonces").field("origins", &n).finish()
    }
}

impl DpopNonces {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The nonce last given by the origin of `url`.
    pub fn get(&self, url: &str) -> Option<String> {
        let origin = origin_of(url)?;
        let m = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        m.iter().find(|(o, _)| *o == origin).map(|(_, n)| n.clone())
    }

    /// Records the `DPoP-Nonce` header of a response from `url` (`None`
    /// when the response had none: nothing changes). Invalid nonces are
    /// ignored. Returns whether a nonce was recorded.
    pub fn record(&self, url: &str, dpop_nonce_header: Option<&str>) -> bool {
        let Some(nonce) = dpop_nonce_header
            .map(str::trim)
            .filter(|n| is_valid_nonce(n))
        else {
            return false;
        };
        let Some(origin) = origin_of(url) else {
            return false;
        };
        let mut m = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        m.retain(|(o, _)| *o != origin);
        if m.len() >= MAX_ORIGINS {
            m.remove(0);
        }
        m.push((origin, nonce.to_owned()));
        true
    }

    /// Records a response's nonce and says whether the request should be
    /// sent again, once, with a new proof carrying it: the response is a
    /// `use_dpop_nonce` challenge (see [`is_nonce_challenge`]) and brought
    /// a valid nonce.
    ///
    /// ```
    /// use oauthkit::unversioned::provider::dpop::DpopNonces;
    /// let nonces = DpopNonces::new();
    /// let challenge = r#"DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof""#;
    /// assert!(nonces.record_response("https://api.example/x", 401, Some(challenge), Some("n-1")));
    /// assert!(!nonces.record_response("https://api.example/x", 200, None, Some("n-2")));
    /// assert_eq!(nonces.get("https://api.example/").as_deref(), Some("n-2"));
    /// ```
    pub fn record_response(
        &self,
        url: &str,
        status: u16,
        www_authenticate: Option<&str>,
        dpop_nonce_header: Option<&str>,
    ) -> bool {
        let recorded = self.record(url, dpop_nonce_header);
        recorded && status == 401 && www_authenticate.is_some_and(is_nonce_challenge)
    }
}

/// Whether a `WWW-Authenticate` header value holds a DPoP challenge with
/// `error="use_dpop_nonce"` (RFC 9449 §9). The scheme name is matched
/// without regard to case; other challenges in the same header are
/// skipped.
///
/// ```
/// use oauthkit::unversioned::provider::dpop::is_nonce_challenge;
/// assert!(is_nonce_challenge(r#"DPoP error="use_dpop_nonce""#));
/// assert!(is_nonce_challenge(r#"Bearer realm="x", dpop algs="ES256", error="use_dpop_nonce""#));
/// assert!(is_nonce_challenge(r#"DPoP algs="ES256 PS256", error=use_dpop_nonce"#));
/// assert!(!is_nonce_challenge(r#"Bearer error="use_dpop_nonce""#));
/// assert!(!is_nonce_challenge(r#"DPoP error="invalid_token""#));
/// ```
pub fn is_nonce_challenge(www_authenticate: &str) -> bool {
    challenge_params(www_authenticate, "dpop")
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("error") && v == "use_dpop_nonce")
}

/// The auth-params of the first challenge named `scheme` (lower case) in
/// a `WWW-Authenticate` value (RFC 9110 §11.6.1): `name=token` or
/// `name="quoted string"`, comma separated; a new scheme starts with a
/// token not followed by `=`.
pub(crate) fn challenge_params(header: &str, scheme: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut in_scheme = false;
    let b = header.as_bytes();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && (b[i] == b' ' || b[i] == b',' || b[i] == b'\t') {
            i += 1;
        }
        let start = i;
        while i < b.len() && !matches!(b[i], b' ' | b',' | b'=' | b'\t') {
            i += 1;
        }
        let name = &header[start..i];
        if name.is_empty() {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < b.len() && b[j] == b' ' {
            j += 1;
        }
        if j < b.len() && b[j] == b'=' && !(j + 1 < b.len() && b[j + 1] == b'=') {
            // name=value
            i = j + 1;
            while i < b.len() && b[i] == b' ' {
                i += 1;
            }
            let value = if i < b.len() && b[i] == b'"' {
                i += 1;
                let mut v = String::new();
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' && i + 1 < b.len() {
                        i += 1;
                    }
                    v.push(b[i] as char);
                    i += 1;
                }
                i += 1;
                v
            } else {
                let s = i;
                while i < b.len() && b[i] != b',' && b[i] != b' ' {
                    i += 1;
                }
                header[s..i].to_owned()
            };
            if in_scheme {
                out.push((name.to_owned(), value));
            }
        } else {
            // a new challenge (token68 values are not used by DPoP)
            if in_scheme {
                break;
            }
            in_scheme = name.eq_ignore_ascii_case(scheme);
        }
    }
    out
}

/// Whether a token-endpoint answer asks for a nonce: a 400 (or 401) with
/// the OAuth error `use_dpop_nonce`, or a 401 DPoP challenge saying so.
pub(crate) fn token_endpoint_wants_nonce(r: &crate::provider::http::HttpResponse) -> bool {
    if !matches!(r.status, 400 | 401) {
        return false;
    }
    let in_body = r
        .json("token")
        .ok()
        .and_then(|v| {
            v.get("error")
                .and_then(Value::as_str)
                .map(|e| e == "use_dpop_nonce")
        })
        .unwrap_or(false);
    in_body
        || r.www_authenticate
            .as_deref()
            .is_some_and(is_nonce_challenge)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_are_kept_per_origin() {
        let n = DpopNonces::new();
        n.record("https://a.example/token", Some("one"));
        n.record("https://a.example:8443/token", Some("two"));
        n.record("http://a.example/token", Some("three"));
        assert_eq!(n.get("https://a.example:443/x").as_deref(), Some("one"));
        assert_eq!(n.get("https://a.example:8443/").as_deref(), Some("two"));
        assert_eq!(n.get("http://a.example/").as_deref(), Some("three"));
        n.record("https://a.example/", Some("four"));
        assert_eq!(n.get("https://a.example/").as_deref(), Some("four"));
    }

    #[test]
    fn the_cache_is_bounded() {
        let n = DpopNonces::new();
        for i in 0..(MAX_ORIGINS + 10) {
            n.record(&format!("https://h{i}.example/"), Some("x"));
        }
        assert_eq!(n.inner.lock().unwrap().len(), MAX_ORIGINS);
        assert!(n.get("https://h0.example/").is_none());
        assert!(n
            .get(&format!("https://h{}.example/", MAX_ORIGINS + 9))
            .is_some());
    }

    #[test]
    fn every_hostile_nonce_is_ignored() {
        let n = DpopNonces::new();
        for bad in [
            "",
            " ",
            "a b",
            "a\"b",
            "a\\b",
            "a\r\nX-Injected: 1",
            "\u{7f}",
            "ü",
        ] {
            assert!(!n.record("https://a.example/", Some(bad)), "{bad:?}");
        }
        assert!(!n.record("https://a.example/", Some(&"x".repeat(1025))));
        assert!(n.record("https://a.example/", Some(&"x".repeat(1024))));
        assert!(!n.record("not a url", Some("ok")));
    }

    #[test]
    fn challenge_parsing() {
        assert_eq!(
            challenge_params(
                r#"Bearer realm="a,b", DPoP error="use_dpop_nonce", algs="ES256""#,
                "dpop"
            ),
            vec![
                ("error".to_owned(), "use_dpop_nonce".to_owned()),
                ("algs".to_owned(), "ES256".to_owned())
            ]
        );
        assert!(challenge_params("DPoP", "dpop").is_empty());
        assert!(!is_nonce_challenge(r#"DPoP error="use_dpop_nonce_x""#));
        assert!(!is_nonce_challenge(""));
        assert!(!is_nonce_challenge("\"\"\"==,,"));
    }
}
