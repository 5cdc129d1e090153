//! Request parsing and responses for the dev provider's tiny_http server.

use std::collections::HashMap;
use std::io::{Read, Write};

use serde_json::Value;

/// The longest request body read (forms are small).
const MAX_BODY: u64 = 64 * 1024;

/// A request reduced to what the endpoints use.
pub(crate) struct Req {
    pub method: String,
    pub path: String,
    pub query: HashMap<String, String>,
    pub form: HashMap<String, String>,
    pub authorization: Option<String>,
    /// Every `DPoP` header (RFC 9449 §4.3: exactly one is allowed).
    pub dpop: Vec<String>,
}

fn parse_pairs(s: &str) -> HashMap<String, String> {
    url::form_urlencoded::parse(s.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

impl Req {
    pub(crate) fn read(rq: &mut tiny_http::Request) -> Req {
        let (path, query) = rq.url().split_once('?').unwrap_or((rq.url(), ""));
        let (path, query) = (path.to_string(), parse_pairs(query));
        let mut body = String::new();
        let _ = rq.as_reader().take(MAX_BODY).read_to_string(&mut body);
        let authorization = rq
            .headers()
            .iter()
            .find(|h| h.field.equiv("Authorization"))
            .map(|h| h.value.as_str().to_string());
        let dpop = rq
            .headers()
            .iter()
            .filter(|h| h.field.equiv("DPoP"))
            .map(|h| h.value.as_str().to_string())
            .collect();
        Req {
            method: rq.method().as_str().to_string(),
            path,
            query,
            form: parse_pairs(&body),
            authorization,
            dpop,
        }
    }

    /// A query or form parameter.
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.form
            .get(name)
            .or_else(|| self.query.get(name))
            .map(String::as_str)
    }

    /// The bearer token of the `Authorization` header.
    pub(crate) fn bearer(&self) -> Option<&str> {
        self.token_of_scheme("bearer")
    }

    /// The token of an `Authorization: <scheme> <token>` header (scheme
    /// in lower case; schemes are case-insensitive).
    pub(crate) fn token_of_scheme(&self, want: &str) -> Option<&str> {
        let h = self.authorization.as_deref()?;
        let (scheme, token) = h.split_once(' ')?;
        scheme.eq_ignore_ascii_case(want).then_some(token.trim())
    }

    /// `(client_id, client_secret)` from HTTP Basic, when sent.
    pub(crate) fn basic(&self) -> Option<(String, String)> {
        use base64::Engine;
        let h = self.authorization.as_deref()?;
        let (scheme, b64) = h.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return None;
        }
        let raw = base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .ok()?;
        let s = String::from_utf8(raw).ok()?;
        let (id, secret) = s.split_once(':')?;
        let dec = |v: &str| {
            url::form_urlencoded::parse(format!("v={v}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        };
        Some((dec(id), dec(secret)))
    }
}

/// A response to send.
pub(crate) struct Resp {
    pub status: u16,
    pub content_type: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

impl Resp {
    pub(crate) fn json(status: u16, v: Value) -> Resp {
        Resp {
            status,
            content_type: "application/json",
            headers: vec![("Cache-Control", "no-store".into())],
            body: v.to_string(),
        }
    }

    pub(crate) fn oauth_error(status: u16, error: &str, description: &str) -> Resp {
        Self::json(
            status,
            serde_json::json!({"error": error, "error_description": description}),
        )
    }

    pub(crate) fn html(status: u16, body: String) -> Resp {
        Resp {
            status,
            content_type: "text/html; charset=utf-8",
            headers: vec![
                ("Cache-Control", "no-store".into()),
                ("X-Frame-Options", "DENY".into()),
            ],
            body,
        }
    }

    pub(crate) fn redirect(location: String) -> Resp {
        Resp {
            status: 302,
            content_type: "text/plain",
            headers: vec![("Location", location), ("Cache-Control", "no-store".into())],
            body: String::new(),
        }
    }

    pub(crate) fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Resp {
        self.headers.push((name, value.into()));
        self
    }

    /// Writes the whole response with one `write` call. tiny_http's own
    /// `respond` goes through a 1 KiB buffer, so a larger response leaves
    /// as two segments, and on a kept-alive connection the second one
    /// waits for the client's delayed ACK (Nagle): a 40 ms stall on every
    /// token response.
    pub(crate) fn send(self, rq: tiny_http::Request) {
        let reason = match self.status {
            200 => "OK",
            302 => "Found",
            400 => "Bad Request",
            401 => "Unauthorized",
            404 => "Not Found",
            _ => "Status",
        };
        let mut head = format!(
            "HTTP/1.1 {} {reason}\r\nContent-Type: {}\r\nContent-Length: {}\r\n",
            self.status,
            self.content_type,
            self.body.len()
        );
        for (k, v) in &self.headers {
            if !v.contains(['\r', '\n']) {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
        }
        head.push_str("\r\n");
        let mut raw = head.into_bytes();
        raw.extend_from_slice(self.body.as_bytes());
        let mut w = rq.into_writer();
        let _ = w.write_all(&raw).and_then(|_| w.flush());
    }
}
