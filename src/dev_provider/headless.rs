//! [`HeadlessBrowser`]: stands in for the user's browser where there is no
//! display: follows the authorization URL over HTTP, submits the dev
//! provider's approve page, and delivers the redirect to the callback.
//!
//! It speaks just enough HTTP/1.1 for loopback `http://` URLs
//! (`Connection: close`, `Content-Length` bodies); it is not a general
//! client.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use crate::error::{Error, Result};

/// A response as the headless browser sees it.
#[derive(Debug, Clone)]
pub struct PageResponse {
    /// The HTTP status.
    pub status: u16,
    /// The headers, names lowercased.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: String,
}

impl PageResponse {
    /// Every header called `name` (lowercase), e.g. `set-cookie`.
    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The first header called `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What happened when the headless browser signed in.
#[derive(Debug, Clone)]
pub struct HeadlessOutcome {
    /// The redirect URL the provider sent the browser to (the callback).
    pub callback_url: String,
    /// The callback server's answer.
    pub callback_status: u16,
}

/// A minimal stand-in for a browser, for loopback `http://` URLs only.
#[derive(Debug, Clone, Copy, Default)]
pub struct HeadlessBrowser;

impl HeadlessBrowser {
    /// Opens `authorize_url`, approves on the dev provider's page (or
    /// follows its auto-approve redirect), and follows the redirect to the
    /// callback.
    ///
    /// # Errors
    ///
    /// [`Error::Authentication`] when the page has no approve form, answers
    /// with a status other than 200 or a redirect, or does not redirect back to
    /// the application; [`Error::InvalidArgument`] when `authorize_url` is not
    /// a URL; the errors of [`get`](Self::get) for each request. The
    /// callback's own answer (an error page too) is in the outcome, not an
    /// error.
    pub fn approve(authorize_url: &str) -> Result<HeadlessOutcome> {
        Self::decide(authorize_url, "approve")
    }

    /// Like [`approve`](Self::approve) but presses "Deny".
    ///
    /// # Errors
    ///
    /// As [`approve`](Self::approve).
    pub fn deny(authorize_url: &str) -> Result<HeadlessOutcome> {
        Self::decide(authorize_url, "deny")
    }

    fn decide(authorize_url: &str, decision: &str) -> Result<HeadlessOutcome> {
        let page = Self::get(authorize_url)?;
        let redirect = match page.status {
            302 | 303 => page.header("location").map(str::to_string),
            200 => {
                let request_id = hidden_value(&page.body, "request").ok_or_else(|| {
                    Error::Authentication("the authorization page has no approve form".into())
                })?;
                let base = url::Url::parse(authorize_url)
                    .map_err(|_| Error::InvalidArgument("bad authorization URL".into()))?;
                let action = base
                    .join("/authorize/decision")
                    .map_err(|_| Error::InvalidArgument("bad authorization URL".into()))?;
                let form = url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("request", &request_id)
                    .append_pair("decision", decision)
                    .finish();
                let r = Self::post_form(action.as_str(), &form)?;
                r.header("location").map(str::to_string)
            }
            s => {
                return Err(Error::Authentication(format!(
                    "the authorization endpoint answered HTTP {s}"
                )))
            }
        };
        let callback_url = redirect.ok_or_else(|| {
            Error::Authentication("the provider did not redirect back to the application".into())
        })?;
        let callback_status = Self::get(&callback_url)?.status;
        Ok(HeadlessOutcome {
            callback_url,
            callback_status,
        })
    }

    /// `GET url`.
    ///
    /// # Errors
    ///
    /// [`Error::Http`] when `url` is not a loopback `http://` URL, the
    /// connection fails, or the answer is not an HTTP response. Any status is
    /// a response, not an error.
    pub fn get(url: &str) -> Result<PageResponse> {
        request("GET", url, &[], None)
    }

    /// `POST url` with a form body.
    ///
    /// # Errors
    ///
    /// As [`get`](Self::get).
    pub fn post_form(url: &str, form: &str) -> Result<PageResponse> {
        request("POST", url, &[], Some(form))
    }

    /// Any method, with extra headers (`Cookie`, `Origin`) and an optional
    /// form body.
    ///
    /// # Errors
    ///
    /// As [`get`](Self::get), and [`Error::Http`] for a header value with a
    /// line break.
    pub fn send(
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        form: Option<&str>,
    ) -> Result<PageResponse> {
        request(method, url, headers, form)
    }
}

fn hidden_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}

fn request(
    method: &str,
    url: &str,
    extra: &[(&str, &str)],
    form: Option<&str>,
) -> Result<PageResponse> {
    let err = |m: String| Error::http(url.split('?').next().unwrap_or(""), m);
    let u = url::Url::parse(url).map_err(|e| err(format!("bad URL: {e}")))?;
    if u.scheme() != "http" {
        return Err(err(
            "the headless browser speaks plain http to loopback only".into(),
        ));
    }
    let host = u.host_str().ok_or_else(|| err("no host".into()))?;
    let port = u.port_or_known_default().unwrap_or(80);
    let addr = (host.trim_matches(['[', ']']), port)
        .to_socket_addrs()
        .map_err(|e| err(e.to_string()))?
        .find(|a| a.ip().is_loopback())
        .ok_or_else(|| err("not a loopback address".into()))?;
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(10))
        .map_err(|e| err(e.to_string()))?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok();
    s.set_write_timeout(Some(Duration::from_secs(10))).ok();
    let target = match u.query() {
        Some(q) => format!("{}?{q}", u.path()),
        None => u.path().to_string(),
    };
    let host_header = match u.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    };
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: {host_header}\r\nConnection: close\r\nUser-Agent: oauthkit-headless\r\n");
    for (k, v) in extra {
        if k.contains(['\r', '\n']) || v.contains(['\r', '\n']) {
            return Err(err("header with a line break".into()));
        }
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    let body = form.unwrap_or("");
    if form.is_some() || method == "POST" {
        head.push_str(&format!(
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes())
        .and_then(|_| s.write_all(body.as_bytes()))
        .map_err(|e| err(e.to_string()))?;
    let raw = read_response(&mut s).map_err(err)?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| err("malformed response".into()))?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Ok(PageResponse {
        status,
        headers,
        body: body.to_string(),
    })
}

/// The largest response read.
const MAX_RESPONSE: usize = 4 * 1024 * 1024;

/// Reads one response: its head, then `Content-Length` bytes of body
/// (to the end of the stream when the head has none). A response that
/// is complete is returned even when the server has not closed the
/// connection yet, so a server slow to close does not look like one that
/// never answered; a read that times out says how much had arrived.
fn read_response(s: &mut impl Read) -> std::result::Result<Vec<u8>, String> {
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        if let Some(total) = complete_length(&raw) {
            if raw.len() >= total {
                raw.truncate(total);
                return Ok(raw);
            }
        }
        if raw.len() > MAX_RESPONSE {
            return Err(format!("response larger than {MAX_RESPONSE} bytes"));
        }
        match s.read(&mut buf) {
            Ok(0) => return Ok(raw),
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                return Err(match raw.len() {
                    0 => format!("no answer ({e})"),
                    n => format!("the answer stopped after {n} bytes ({e})"),
                })
            }
        }
    }
}

/// The length of the whole response in `raw` once its head has arrived
/// and names a `Content-Length`.
fn complete_length(raw: &[u8]) -> Option<usize> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = std::str::from_utf8(&raw[..end]).ok()?;
    let length = head.lines().skip(1).find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case("content-length")
            .then(|| v.trim().parse::<usize>().ok())?
    })?;
    Some(end + length)
}

#[cfg(test)]
mod tests {
    use super::read_response;
    use std::io::Read;

    /// A stream that hands out `data` and then times out, as a socket
    /// whose server answered but has not closed it.
    struct OpenAfter<'a>(&'a [u8]);

    impl Read for OpenAfter<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            if self.0.is_empty() {
                return Err(std::io::ErrorKind::WouldBlock.into());
            }
            let n = out.len().min(self.0.len()).min(7);
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn a_complete_answer_is_read_without_waiting_for_the_close() {
        let answer = b"HTTP/1.1 302 Found\r\nLocation: /x\r\ncontent-length: 5\r\n\r\nhello";
        assert_eq!(read_response(&mut OpenAfter(answer)).unwrap(), answer);
        // bytes after the announced body are not part of this answer
        let mut extra = answer.to_vec();
        extra.extend_from_slice(b"HTTP/1.1 200");
        assert_eq!(read_response(&mut OpenAfter(&extra)).unwrap(), answer);
    }

    #[test]
    fn an_incomplete_answer_says_how_far_it_got() {
        let err = read_response(&mut OpenAfter(
            b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nhal",
        ))
        .unwrap_err();
        assert!(
            err.starts_with("the answer stopped after 41 bytes"),
            "{err}"
        );
        let err = read_response(&mut OpenAfter(b"")).unwrap_err();
        assert!(err.starts_with("no answer"), "{err}");
    }

    #[test]
    fn without_a_length_the_answer_ends_with_the_stream() {
        let answer = b"HTTP/1.1 200 OK\r\n\r\nall of it";
        assert_eq!(read_response(&mut &answer[..]).unwrap(), answer);
    }
}
