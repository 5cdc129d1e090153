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

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::provider::http::HttpResponse;
use crate::token::{now_unix, split_scopes, TokenSet};

/// Members of a token response that become [`TokenSet`] fields and are
/// therefore not repeated in [`TokenSet::extra`].
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
/// use oauthkit::provider::http::HttpResponse;
/// use oauthkit::provider::token_response::parse_token_response;
/// let body = br#"{"access_token":"at","token_type":"Bearer","expires_in":"3600",
///                 "scope":["openid","email"],"ext_expires_in":7200}"#;
/// let r = HttpResponse { status: 200, content_type: None, www_authenticate: None, body: body.to_vec() };
/// let t = parse_token_response("token", &r, &[]).unwrap();
/// assert_eq!(t.expires_at, Some(t.issued_at + 3600));
/// assert_eq!(t.scopes, ["openid", "email"]);
/// assert_eq!(t.extra["ext_expires_in"], 7200);
/// assert!(!t.extra.contains_key("access_token"));
/// ```
pub fn parse_token_response(
    endpoint: &str,
    response: &HttpResponse,
    requested_scopes: &[String],
) -> Result<TokenSet> {
    let received_at = now_unix();
    let value = match response.json(endpoint) {
        Ok(v) => v,
        Err(e) if response.is_success() => return Err(e),
        Err(_) => return Err(status_error(endpoint, response)),
    };
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
    token_set_from_map(endpoint, map, requested_scopes, received_at)
}

fn token_set_from_map(
    endpoint: &str,
    mut map: Map<String, Value>,
    requested_scopes: &[String],
    received_at: i64,
) -> Result<TokenSet> {
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
    if let Some(Value::String(tt)) = map.get("token_type") {
        if !tt.is_empty() {
            t.token_type = tt.clone();
        }
    }
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
    if let Some(secs) = map.get("expires_in").and_then(lenient_seconds) {
        t.expires_at = Some(received_at.saturating_add(secs));
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
/// are clamped to 0 (already expired).
pub(crate) fn lenient_seconds(v: &Value) -> Option<i64> {
    let n = match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64))?,
        Value::String(s) => {
            let s = s.trim();
            s.parse::<i64>().ok().or_else(|| {
                s.parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .map(|f| f as i64)
            })?
        }
        _ => return None,
    };
    Some(n.max(0))
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
