//! The POST of a client-authenticated form whose answer is a JSON object:
//! the device authorization request (RFC 8628 §3.1) and the pushed
//! authorization request (RFC 9126 §2.1). One request path and one reading
//! of the answer as JSON or an OAuth error (RFC 6749 §5.2).

use serde_json::Value;

use crate::error::Result;
use crate::provider::client::OAuthClient;
use crate::provider::client_auth::Applied;
use crate::provider::http::{Body, HttpResponse, Method};
use crate::provider::token_response::{oauth_error, status_error};

impl OAuthClient {
    /// POSTs `applied` (a form with client authentication) to `url` and
    /// gives `read` the answer's JSON (see [`json_answer`]), all inside the
    /// shared call, so no error of the request or of `read`'s checks shows
    /// a secret the form held.
    pub(crate) fn post_form_for_json<T>(
        &self,
        endpoint: &str,
        url: &str,
        applied: &Applied,
        read: impl FnOnce(Value) -> Result<T>,
    ) -> Result<T> {
        self.http.call(
            endpoint,
            Method::Post,
            url,
            Body::Form(&applied.pairs()),
            applied.auth(),
            &[],
            |r, _| read(json_answer(endpoint, &r)?),
        )
    }
}

/// The JSON of an answer: an `error` member (whatever the status; GitHub
/// answers errors with 200) is an [`Error::OAuth`](crate::Error::OAuth),
/// another non-2xx answer or a non-JSON error answer an
/// [`Error::Http`](crate::Error::Http) naming the status, a 2xx answer
/// that is not JSON an [`Error::Http`](crate::Error::Http) saying so.
pub(crate) fn json_answer(endpoint: &str, r: &HttpResponse) -> Result<Value> {
    let value = match r.json(endpoint) {
        Ok(v) => v,
        Err(e) if r.is_success() => return Err(e),
        Err(_) => return Err(status_error(endpoint, r)),
    };
    if let Some(e) = oauth_error(endpoint, r.status, &value) {
        return Err(e);
    }
    if !r.is_success() {
        return Err(status_error(endpoint, r));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    fn answer(status: u16, body: &str) -> Result<Value> {
        let r = HttpResponse {
            status,
            content_type: Some("application/json".into()),
            www_authenticate: None,
            dpop_nonce: None,
            body: body.as_bytes().to_vec(),
        };
        json_answer("ep", &r)
    }

    #[test]
    fn every_kind_of_answer_reads_one_way() {
        let ok = answer(201, r#"{"request_uri":"urn:x"}"#).unwrap();
        assert_eq!(ok["request_uri"], "urn:x");
        for (status, body) in [
            (
                400,
                r#"{"error":"invalid_request","error_description":"d"}"#,
            ),
            (401, r#"{"error":"invalid_client"}"#),
            (200, r#"{"error":"unauthorized_client"}"#),
        ] {
            match answer(status, body) {
                Err(Error::OAuth {
                    status: Some(s),
                    error,
                    ..
                }) => assert!(s == status && !error.is_empty(), "{status} {body}"),
                other => panic!("{status} {body}: {other:?}"),
            }
        }
        for (status, body, says) in [
            (500, r#"{"no":"error"}"#, "unexpected HTTP status 500"),
            (503, "<html>down</html>", "unexpected HTTP status 503"),
            (200, "<html>not json</html>", ""),
        ] {
            match answer(status, body) {
                Err(e @ Error::Http { .. }) => {
                    assert!(e.to_string().contains(says), "{status}: {e}");
                    assert!(!e.to_string().contains("html"), "{status}: {e}");
                }
                other => panic!("{status} {body}: {other:?}"),
            }
        }
    }
}
