//! Parsing token endpoint answers (RFC 6749 §5.1 and §5.2), leniently where
//! real providers deviate.
//!
//! - `expires_in` may be a JSON number or a numeric string (Azure AD,
//!   NetSuite, Naver send strings); a missing or unparsable value means
//!   "expiry unknown", never "expired".
//! - `scope` may be a space-separated string, a comma-separated one
//!   (GitHub, Facebook) or a JSON array (Twitch).
//! - An `error` member is an OAuth error whatever the HTTP status (GitHub
//!   answers 200 with `{"error": ...}`), and error bodies are read on 400
//!   and 401 too.
//! - `token_type` must be `Bearer` in any letter case (RFC 6749 §7.1: a
//!   client must not use a token whose type it does not understand); a
//!   response without `token_type` (or with `null`) is taken as Bearer,
//!   as golang.org/x/oauth2 and most clients do, since RFC 6750 bearer
//!   tokens are the only kind such a server can mean. Any other value is
//!   an `Http` error naming it. DPoP (RFC 9449) will be accepted only when
//!   the request carried a DPoP proof: see [`TokenTypeRule`].
//! - `expires_in` above [`MAX_EXPIRES_IN`] (68 years) counts as that
//!   maximum, so expiry arithmetic downstream (store TTLs, C callers using
//!   32-bit time differences) never overflows.
//! - `access_token`, `refresh_token` and `id_token` must be VSCHAR
//!   (`%x20-7E`, RFC 6749 Appendix A.12/A.13): a token with a line break,
//!   `ESC` or any other character is refused here, for every grant.
//! - Errors never contain the tokens of the response; inside a provider
//!   they never contain any secret of the request either (see
//!   `HttpClient`).

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::provider::http::redact::Redactor;
use crate::provider::http::HttpResponse;
use crate::token::{now_unix, split_scopes, TokenSet};
use crate::token_chars::first_invalid_token;

/// Members of a token response that become [`TokenSet`] fields and are
/// therefore not repeated in [`TokenSet::extra`].
/// The largest `expires_in` honoured: 2^31 - 1 seconds (about 68
/// years). Larger values (`1e300`, `u64::MAX`) count as this.
pub const MAX_EXPIRES_IN: i64 = i32::MAX as i64;

/// Which `token_type` values a token request accepts (RFC 6749 §7.1).
///
/// Without a DPoP proof only Bearer: a `DPoP` answer to a request without
/// a proof is an error (the token would be unusable as a bearer token).
/// With a proof (RFC 9449) only `DPoP`: a Bearer answer means the server
/// did not bind the token, see [`TokenTypeRule::dpop`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenTypeRule {
    /// Whether the request carried a DPoP proof.
    pub dpop_requested: bool,
}

impl TokenTypeRule {
    /// The rule of a request that carried a DPoP proof: only `DPoP`.
    ///
    /// ```
    /// use oauthkit::unversioned::provider::token_response::TokenTypeRule;
    /// use serde_json::json;
    /// let rule = TokenTypeRule::dpop();
    /// assert_eq!(rule.check("token", Some(&json!("DPoP"))).unwrap(), "DPoP");
    /// assert_eq!(rule.check("token", Some(&json!("dpop"))).unwrap(), "dpop");
    /// let e = rule.check("token", Some(&json!("Bearer"))).unwrap_err();
    /// assert!(e.to_string().contains("did not bind"));
    /// // a configuration matter, not a network failure
    /// assert_eq!(e.kind(), oauthkit::ErrorKind::Unsupported);
    /// assert!(rule.check("token", None).is_err());
    /// assert!(rule.check("token", Some(&json!("mac"))).is_err());
    /// ```
    pub fn dpop() -> Self {
        TokenTypeRule {
            dpop_requested: true,
        }
    }

    /// Checks a response's `token_type` member; returns the type to keep.
    ///
    /// ```
    /// use oauthkit::unversioned::provider::token_response::TokenTypeRule;
    /// use serde_json::json;
    /// let rule = TokenTypeRule::default();
    /// assert_eq!(rule.check("token", Some(&json!("bearer"))).unwrap(), "bearer");
    /// assert_eq!(rule.check("token", Some(&json!("BEARER"))).unwrap(), "BEARER");
    /// assert_eq!(rule.check("token", None).unwrap(), "Bearer");
    /// assert!(rule.check("token", Some(&json!("mac"))).is_err());
    /// assert!(rule.check("token", Some(&json!("DPoP"))).is_err()); // no proof was sent
    /// assert!(rule.check("token", Some(&json!(1))).is_err());
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Http`] naming `endpoint` when `token_type` is not a string or
    /// is a type other than Bearer: a token of an unknown type must not be
    /// used (RFC 6749 §7.1). [`Error::ProviderUnsupported`] (kind
    /// `Unsupported`) when a DPoP proof was sent and the answer is not
    /// `DPoP`: the provider does not bind tokens for this client.
    pub fn check(&self, endpoint: &str, token_type: Option<&Value>) -> Result<String> {
        let refused = |what: String| {
            Error::Http {
            endpoint: endpoint.to_owned(),
            message: format!(
                "the token response has {what}; only Bearer tokens are supported (RFC 6749 §7.1: a token of an unknown type must not be used)"
            ),
            source: None,
        }
        };
        match token_type {
            // RFC 9449 §5: a server that bound the token says DPoP; a
            // Bearer (or no) type means it ignored the proof, and using the
            // token would silently drop the sender constraint.
            Some(Value::String(t)) if self.dpop_requested && t.eq_ignore_ascii_case("dpop") => {
                Ok(t.clone())
            }
            // Nothing failed on the wire: the provider (or this client's
            // registration there) does not do DPoP, a configuration matter.
            _ if self.dpop_requested => Err(Error::ProviderUnsupported {
                provider: "the authorization server".to_owned(),
                feature: "DPoP",
                detail: format!(
                    "its {endpoint} response has {}, not DPoP, although the request carried a DPoP proof: the provider did not bind the token to the key. Enable DPoP for this client at the provider (if its discovery document lacks dpop_signing_alg_values_supported, it has no DPoP at all), or turn DPoP off for this provider in oauthkit (no `.dpop(..)` on its OidcConfig / OAuth2Config)",
                    match token_type {
                        Some(Value::String(t)) => format!("token_type {:?}", t.chars().take(40).collect::<String>()),
                        None | Some(Value::Null) => "no token_type".to_owned(),
                        Some(_) => "a token_type that is not a string".to_owned(),
                    }
                ),
            }),
            None | Some(Value::Null) => Ok("Bearer".to_owned()),
            Some(Value::String(t)) if t.eq_ignore_ascii_case("bearer") => Ok(t.clone()),
            Some(Value::String(t)) => Err(refused(format!(
                "token_type {:?}",
                t.chars().take(40).collect::<String>()
            ))),
            Some(_) => Err(refused("a token_type that is not a string".into())),
        }
    }
}

const KNOWN: &[&str] = &[
    "access_token",
    "token_type",
    "refresh_token",
    "id_token",
    "expires_in",
    "scope",
];

/// Turns a token endpoint response into a [`TokenSet`] or a typed error.
///
/// `endpoint` names the call in errors (`"token"`, `"refresh"`).
/// `requested_scopes` fill [`TokenSet::scopes`] when the response has no
/// `scope` (RFC 6749 §5.1: then the granted scope is the requested one).
/// `expires_at` is computed once, here, from the time of receipt.
///
/// ```
/// use oauthkit::unversioned::provider::http::HttpResponse;
/// use oauthkit::unversioned::provider::token_response::parse_token_response;
/// let body = br#"{"access_token":"at","token_type":"Bearer","expires_in":"3600",
///                 "scope":["openid","email"],"ext_expires_in":7200}"#;
/// let r = HttpResponse { status: 200, content_type: None, www_authenticate: None, dpop_nonce: None, body: body.to_vec() };
/// let t = parse_token_response("token", &r, &[]).unwrap();
/// assert_eq!(t.expires_at, Some(t.issued_at + 3600));
/// assert_eq!(t.scopes, ["openid", "email"]);
/// assert_eq!(t.extra["ext_expires_in"], 7200);
/// assert!(!t.extra.contains_key("access_token"));
/// ```
///
/// # Errors
///
/// [`Error::OAuth`] when the body is an OAuth error response (`error`,
/// `error_description`); [`Error::Http`] when the status is not 2xx without
/// one, the body is not a JSON object, `access_token` is missing or empty,
/// `access_token`, `refresh_token` or `id_token` holds a character outside
/// RFC 6749's VSCHAR set (`%x20-7E`, see [`token_chars`](crate::unversioned::token_chars)),
/// a member has the wrong type, or `token_type` is refused (see
/// [`TokenTypeRule::check`]). Messages never quote a token of the response.
pub fn parse_token_response(
    endpoint: &str,
    response: &HttpResponse,
    requested_scopes: &[String],
) -> Result<TokenSet> {
    let mut red = Redactor::new();
    parse_token_response_with(
        endpoint,
        response,
        requested_scopes,
        &TokenTypeRule::default(),
        &mut red,
    )
    .map_err(|e| red.error(e))
}

/// [`parse_token_response`] with a token-type rule; adds the tokens of the
/// response to `red` before anything can fail, so the caller's error
/// scrubbing covers them.
pub(crate) fn parse_token_response_with(
    endpoint: &str,
    response: &HttpResponse,
    requested_scopes: &[String],
    rule: &TokenTypeRule,
    red: &mut Redactor,
) -> Result<TokenSet> {
    let received_at = now_unix();
    let value = match response.json(endpoint) {
        Ok(v) => v,
        Err(e) if response.is_success() => return Err(e),
        Err(_) => return Err(status_error(endpoint, response)),
    };
    red.add_token_response(&value);
    if let Some(err) = oauth_error(endpoint, response.status, &value) {
        return Err(err);
    }
    if !response.is_success() {
        return Err(status_error(endpoint, response));
    }
    let Value::Object(map) = value else {
        return Err(Error::Http {
            endpoint: endpoint.to_owned(),
            message: "token response is not a JSON object".into(),
            source: None,
        });
    };
    token_set_from_map(endpoint, map, requested_scopes, received_at, rule)
}

fn token_set_from_map(
    endpoint: &str,
    mut map: Map<String, Value>,
    requested_scopes: &[String],
    received_at: i64,
    rule: &TokenTypeRule,
) -> Result<TokenSet> {
    let token_type = rule.check(endpoint, map.get("token_type"))?;
    let access_token = match map.remove("access_token") {
        Some(Value::String(s)) if !s.is_empty() => s,
        _ => {
            return Err(Error::Http {
                endpoint: endpoint.to_owned(),
                message: "token response has no access_token string".into(),
                source: None,
            })
        }
    };
    let mut t = TokenSet::bearer(access_token);
    t.issued_at = received_at;
    t.token_type = token_type;
    if let Some(Value::String(rt)) = map.get("refresh_token") {
        if !rt.is_empty() {
            t = t.with_refresh_token(rt.clone());
        }
    }
    if let Some(Value::String(idt)) = map.get("id_token") {
        if !idt.is_empty() {
            t = t.with_id_token(idt.clone());
        }
    }
    // RFC 6749 A.12/A.13: tokens are VSCHAR; a line break or ESC in one
    // would reach git/docker/kubectl answers and terminals as it is.
    if let Some(field) = first_invalid_token(&t) {
        return Err(Error::Http {
            endpoint: endpoint.to_owned(),
            message: format!(
                "the token response's {field} holds a character outside RFC 6749's VSCHAR set (%x20-7E, Appendix A.12/A.13); the tokens were refused"
            ),
            source: None,
        });
    }
    if let Some(secs) = map.get("expires_in").and_then(lenient_seconds) {
        t.expires_at = Some(received_at.saturating_add(secs.min(MAX_EXPIRES_IN)));
    }
    t.scopes = match map.get("scope") {
        Some(v) => lenient_scopes(v),
        None => requested_scopes.to_vec(),
    };
    for key in KNOWN {
        map.remove(*key);
    }
    t.extra = map;
    Ok(t)
}

/// `expires_in` as a number, a float or a numeric string; negative values
/// are clamped to 0 (already expired), huge ones to [`MAX_EXPIRES_IN`].
pub(crate) fn lenient_seconds(v: &Value) -> Option<i64> {
    let n = match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_u64().map(|_| i64::MAX))
            .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))?,
        Value::String(s) => {
            let s = s.trim();
            s.parse::<i64>().ok().or_else(|| {
                s.parse::<f64>()
                    .ok()
                    .filter(|f| !f.is_nan())
                    .map(|f| f as i64)
            })?
        }
        _ => return None,
    };
    Some(n.clamp(0, MAX_EXPIRES_IN))
}

/// `scope` as a string separated by spaces or commas, or an array of
/// strings. Commas are legal in RFC 6749 scope tokens, but no provider
/// uses them inside a scope while GitHub separates with them
/// (`"repo,gist"`).
pub(crate) fn lenient_scopes(v: &Value) -> Vec<String> {
    let split = |s: &str| -> Vec<String> { split_scopes(&s.replace(',', " ")) };
    match v {
        Value::String(s) => split(s),
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .flat_map(split)
            .collect(),
        _ => Vec::new(),
    }
}

/// The OAuth error in `body`, if it has an `error` string member
/// (RFC 6749 §5.2).
pub fn oauth_error(endpoint: &str, status: u16, body: &Value) -> Option<Error> {
    let error = body.get("error")?.as_str()?;
    let description = body
        .get("error_description")
        .and_then(Value::as_str)
        .map(|d| d.chars().take(500).collect::<String>());
    Some(Error::OAuth {
        endpoint: endpoint.to_owned(),
        status: Some(status),
        error: error.chars().take(100).collect(),
        description,
        source: None,
    })
}

/// The error for a non-2xx answer without an OAuth error body.
pub(crate) fn status_error(endpoint: &str, response: &HttpResponse) -> Error {
    Error::Http {
        endpoint: endpoint.to_owned(),
        message: format!(
            "unexpected HTTP status {} (content type {}, {} bytes)",
            response.status,
            response.content_type.as_deref().unwrap_or("none"),
            response.body.len()
        ),
        source: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn resp(status: u16, body: &str) -> HttpResponse {
        HttpResponse {
            status,
            content_type: Some("application/json".into()),
            www_authenticate: None,
            dpop_nonce: None,
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn expires_in_forms() {
        for (v, want) in [
            (r#"3600"#, Some(3600)),
            (r#""3600""#, Some(3600)),
            (r#"" 60 ""#, Some(60)),
            (r#"59.9"#, Some(59)),
            (r#""abc""#, None),
            (r#"null"#, None),
            (r#"-5"#, Some(0)),
        ] {
            let t = parse_token_response(
                "token",
                &resp(200, &format!(r#"{{"access_token":"a","expires_in":{v}}}"#)),
                &[],
            )
            .unwrap();
            assert_eq!(t.expires_at.map(|e| e - t.issued_at), want, "{v}");
        }
    }

    #[test]
    fn scope_forms_and_default() {
        let req = vec!["openid".to_string()];
        let t = parse_token_response(
            "token",
            &resp(200, r#"{"access_token":"a","scope":"a b"}"#),
            &req,
        )
        .unwrap();
        assert_eq!(t.scopes, ["a", "b"]);
        let t = parse_token_response(
            "token",
            &resp(200, r#"{"access_token":"a","scope":["a","b c"]}"#),
            &req,
        )
        .unwrap();
        assert_eq!(t.scopes, ["a", "b", "c"]);
        let t = parse_token_response(
            "token",
            &resp(
                200,
                r#"{"access_token":"a","scope":"repo,gist, read:user"}"#,
            ),
            &req,
        )
        .unwrap();
        assert_eq!(t.scopes, ["repo", "gist", "read:user"]);
        let t = parse_token_response("token", &resp(200, r#"{"access_token":"a"}"#), &req).unwrap();
        assert_eq!(t.scopes, ["openid"]);
    }

    #[test]
    fn tokens_are_not_duplicated_in_extra() {
        let t = parse_token_response(
            "token",
            &resp(200, r#"{"access_token":"a","refresh_token":"r","id_token":"i","token_type":"bearer","x":1}"#),
            &[],
        )
        .unwrap();
        assert_eq!(t.token_type, "bearer");
        assert_eq!(t.refresh_token.unwrap().expose(), "r");
        assert_eq!(t.id_token.unwrap().expose(), "i");
        assert_eq!(t.extra.len(), 1);
        assert_eq!(t.extra["x"], 1);
    }

    #[test]
    fn errors_on_400_401_and_200() {
        for status in [400, 401, 200] {
            let e = parse_token_response(
                "token",
                &resp(
                    status,
                    r#"{"error":"invalid_grant","error_description":"gone"}"#,
                ),
                &[],
            )
            .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidGrant);
            match e {
                Error::OAuth {
                    status: s,
                    description,
                    ..
                } => {
                    assert_eq!(s, Some(status));
                    assert_eq!(description.as_deref(), Some("gone"));
                }
                other => panic!("{other:?}"),
            }
        }
        let e = parse_token_response("token", &resp(401, r#"{"error":"invalid_client"}"#), &[])
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::OAuth);
    }

    #[test]
    fn missing_access_token_and_non_json() {
        let e = parse_token_response("token", &resp(200, r#"{"token_type":"Bearer"}"#), &[])
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Http);
        let e =
            parse_token_response("token", &resp(200, "<html>secret-ish</html>"), &[]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Http);
        assert!(!e.to_string().contains("secret-ish"));
        let e = parse_token_response("token", &resp(500, "oops"), &[]).unwrap_err();
        assert!(e.to_string().contains("500"), "{e}");
    }
}
