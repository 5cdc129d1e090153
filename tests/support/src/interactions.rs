//! Signs in on panva's oidc-provider over plain HTTP, without a browser:
//! follows the authorization URL through its devInteractions login and
//! consent forms with a cookie jar, and stops at the redirect to the
//! client. For the provider tests, which need a code but not a browser (the
//! browser test is tests/flow_browser.rs).

use std::collections::BTreeMap;

/// Where the provider sent the browser at the end.
pub struct Redirect {
    /// The full redirect URL (`{redirect_uri}?code=..&state=..&iss=..`).
    pub url: String,
}

impl Redirect {
    /// One query parameter of the redirect.
    pub fn param(&self, name: &str) -> Option<String> {
        url::Url::parse(&self.url)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }
}

pub struct Browser {
    agent: ureq::Agent,
    cookies: BTreeMap<String, String>,
    pub origin: url::Url,
}

pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

impl Browser {
    pub fn new(origin: &str) -> Browser {
        let agent = ureq::Agent::config_builder()
            .max_redirects(0)
            .max_redirects_will_error(false)
            .http_status_as_error(false)
            .build()
            .new_agent();
        Browser {
            agent,
            cookies: BTreeMap::new(),
            origin: url::Url::parse(origin).unwrap(),
        }
    }

    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn absorb(&mut self, mut resp: ureq::http::Response<ureq::Body>) -> Page {
        for c in resp.headers().get_all("set-cookie") {
            let pair = c.to_str().unwrap().split(';').next().unwrap();
            if let Some((k, v)) = pair.split_once('=') {
                self.cookies.insert(k.trim().to_string(), v.to_string());
            }
        }
        let location = resp
            .headers()
            .get("location")
            .map(|l| self.origin.join(l.to_str().unwrap()).unwrap().to_string());
        Page {
            status: resp.status().as_u16(),
            location,
            body: resp.body_mut().read_to_string().unwrap_or_default(),
        }
    }

    pub fn get(&mut self, url: &str) -> Page {
        let resp = self
            .agent
            .get(url)
            .header("cookie", self.cookie_header())
            .call()
            .unwrap_or_else(|e| panic!("GET {url}: {e}"));
        self.absorb(resp)
    }

    pub fn post(&mut self, url: &str, form: &[(&str, &str)]) -> Page {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let resp = self
            .agent
            .post(url)
            .header("cookie", self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .send(body.as_bytes())
            .unwrap_or_else(|e| panic!("POST {url}: {e}"));
        self.absorb(resp)
    }
}

/// The `action` of the page's form and its hidden inputs.
pub fn form_of(html: &str) -> Option<(String, Vec<(String, String)>)> {
    let attr = |tag: &str, name: &str| -> Option<String> {
        let key = format!("{name}=\"");
        let start = tag.find(&key)? + key.len();
        Some(tag[start..].split('"').next()?.to_string())
    };
    let form_start = html.find("<form")?;
    let form_tag = &html[form_start..form_start + html[form_start..].find('>')?];
    let action = attr(form_tag, "action")?;
    let hidden = html[form_start..]
        .split("<input")
        .skip(1)
        .filter_map(|rest| {
            let tag = &rest[..rest.find('>')?];
            (attr(tag, "type").as_deref() == Some("hidden"))
                .then(|| Some((attr(tag, "name")?, attr(tag, "value").unwrap_or_default())))
                .flatten()
        })
        .collect();
    Some((action, hidden))
}

/// Follows `authorize_url` as user `login`, logging in and consenting,
/// until the provider redirects to `redirect_uri`. Panics on anything
/// unexpected, with the page it got.
/// Signs `login` in through deploy mode's routes for `provider`, which
/// store the tokens in `store`: `/auth/login` (a redirect to the
/// provider), the provider's pages, then the callback (a redirect once
/// signed in). Returns the URL the browser was sent to at the provider and
/// the provider's redirect back.
pub fn deploy_sign_in(
    provider: std::sync::Arc<dyn oauthkit::provider::Provider>,
    store: std::sync::Arc<dyn oauthkit::TokenStore>,
    login: &str,
) -> (String, Redirect) {
    use oauthkit::web::{DeployHandler, DeployOptions, DeployServer};
    let server = DeployServer::start("127.0.0.1:0".parse().unwrap(), move |base| {
        DeployHandler::new(provider, store, DeployOptions::new(base))
    })
    .unwrap();
    let base = server.base_url().to_string();
    let mut browser = Browser::new(&base);
    let start = browser.get(&format!("{base}/auth/login"));
    assert_eq!(start.status, 302, "{}", start.body);
    let at_idp = start.location.expect("a redirect to the provider");
    let redirect = sign_in(&at_idp, &format!("{base}/auth/callback"), login);
    let done = browser.get(&redirect.url);
    assert_eq!(done.status, 302, "{}", done.body);
    (at_idp, redirect)
}

pub fn sign_in(authorize_url: &str, redirect_uri: &str, login: &str) -> Redirect {
    let mut browser = Browser::new(authorize_url);
    sign_in_with(&mut browser, authorize_url, redirect_uri, login)
}

/// [`sign_in`] with the caller's browser (its cookie jar keeps the
/// provider's session for later requests).
pub fn sign_in_with(
    browser: &mut Browser,
    authorize_url: &str,
    redirect_uri: &str,
    login: &str,
) -> Redirect {
    let mut page = browser.get(authorize_url);
    for _ in 0..20 {
        if let Some(next) = page.location.clone() {
            if next.starts_with(redirect_uri) {
                return Redirect { url: next };
            }
            page = browser.get(&next);
            continue;
        }
        assert_eq!(page.status, 200, "unexpected page: {}", page.body);
        let (action, hidden) =
            form_of(&page.body).unwrap_or_else(|| panic!("no form on the page: {}", page.body));
        let action = browser.origin.join(&action).unwrap().to_string();
        let mut form: Vec<(&str, &str)> = hidden
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        if page.body.contains("name=\"login\"") {
            form.extend([("login", login), ("password", "any-password")]);
        }
        page = browser.post(&action, &form);
    }
    panic!("no redirect to {redirect_uri} after 20 steps");
}

/// A fresh authorization URL of `provider` for `redirect_uri` with `extra`
/// parameters and its own `state`, `nonce` and PKCE pair (S256):
/// `(url, state, nonce, pkce)`, what the redirect check and the code
/// exchange need afterwards.
pub fn authorize_url(
    provider: &dyn oauthkit::provider::Provider,
    redirect_uri: &str,
    extra: &[(&str, &str)],
) -> (
    String,
    String,
    String,
    oauthkit::unversioned::provider::Pkce,
) {
    use oauthkit::unversioned::random;
    let (state, nonce) = (random::state(), random::nonce());
    let pkce = oauthkit::unversioned::provider::Pkce::generate();
    let url = provider
        .build_authorize_url(&oauthkit::provider::AuthorizeRequest {
            redirect_uri,
            state: &state,
            pkce: Some(&pkce),
            nonce: Some(&nonce),
            extra_params: extra,
        })
        .unwrap();
    (url, state, nonce, pkce)
}
