//! [`HeadlessBrowser`]: stands in for the user's browser where there is no
//! display: follows the authorization URL over HTTP, submits the dev
//! provider's approve page, and delivers the redirect to the callback.
//!
//! Requests go through ureq (the HTTP client providers use) to loopback
//! `http://` URLs only; it follows no redirect and keeps no cookies, so
//! tests see every step.

use std::net::ToSocketAddrs;
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
    pub fn approve(authorize_url: &str) -> Result<HeadlessOutcome> {
        Self::decide(authorize_url, "approve")
    }

    /// Like [`approve`](Self::approve) but presses "Deny".
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
    pub fn get(url: &str) -> Result<PageResponse> {
        request("GET", url, &[], None)
    }

    /// `POST url` with a form body.
    pub fn post_form(url: &str, form: &str) -> Result<PageResponse> {
        request("POST", url, &[], Some(form))
    }

    /// Any method, with extra headers (`Cookie`, `Origin`) and an optional
    /// form body.
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

/// One request on a short-lived ureq agent: no redirects followed, no
/// cookie jar (callers pass `Cookie` themselves), bounded waits and body.
fn request(
    method: &str,
    url: &str,
    extra: &[(&str, &str)],
    form: Option<&str>,
) -> Result<PageResponse> {
    let shown = url.split('?').next().unwrap_or("");
    let err = |m: String| Error::http(shown, m);
    let u = url::Url::parse(url).map_err(|e| err(format!("bad URL: {e}")))?;
    if u.scheme() != "http" {
        return Err(err(
            "the headless browser speaks plain http to loopback only".into(),
        ));
    }
    let host = u.host_str().ok_or_else(|| err("no host".into()))?;
    let port = u.port_or_known_default().unwrap_or(80);
    let resolved: Vec<_> = (host.trim_matches(['[', ']']), port)
        .to_socket_addrs()
        .map_err(|e| err(e.to_string()))?
        .collect();
    if resolved.is_empty() || !resolved.iter().all(|a| a.ip().is_loopback()) {
        return Err(err("not a loopback address".into()));
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .max_redirects_will_error(false)
        .timeout_connect(Some(Duration::from_secs(10)))
        .timeout_global(Some(Duration::from_secs(30)))
        .user_agent("oauthkit-headless")
        .build()
        .into();
    let mut builder = ureq::http::Request::builder().method(method).uri(url);
    for (k, v) in extra {
        builder = builder.header(*k, *v);
    }
    let sent = match form {
        Some(body) => {
            let request = builder
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(body.as_bytes())
                .map_err(|e| err(format!("bad request: {e}")))?;
            agent.run(request)
        }
        None => {
            let request = builder
                .body(())
                .map_err(|e| err(format!("bad request: {e}")))?;
            agent.run(request)
        }
    };
    let mut response = sent.map_err(|e| err(e.to_string()))?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).trim().to_string(),
            )
        })
        .collect();
    let raw = response
        .body_mut()
        .with_config()
        .limit(4 * 1024 * 1024)
        .read_to_vec()
        .map_err(|e| err(e.to_string()))?;
    Ok(PageResponse {
        status,
        headers,
        body: String::from_utf8_lossy(&raw).into_owned(),
    })
}
