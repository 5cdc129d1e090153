//! Deploy mode: sequences of browser requests to the `/auth/*` routes.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::Value;

use oauthkit::provider::{
    AuthorizeRequest, CodeExchange, Provider, TokenRefresh, TokenRevocation, UserinfoRequest,
};
use oauthkit::store::MemoryStore;
use oauthkit::web::{http, DeployHandler, DeployOptions};
use oauthkit::Result;
use oauthkit::TokenSet;

const ACCESS_TOKEN: &str = "at-deploy-Qw3Er5Ty7";
const REFRESH_TOKEN: &str = "rt-deploy-Zx9Cv1Bn3";

/// A provider that signs in whoever presents any code, without I/O.
struct StubProvider;

impl Provider for StubProvider {
    fn name(&self) -> &str {
        "stub"
    }

    fn build_authorize_url(&self, r: &AuthorizeRequest<'_>) -> Result<String> {
        let mut url = url::Url::parse("https://idp.example/authorize").expect("a URL");
        url.query_pairs_mut()
            .append_pair("state", r.state)
            .append_pair("redirect_uri", r.redirect_uri)
            .append_pair("nonce", r.nonce.unwrap_or_default());
        Ok(url.into())
    }

    fn exchange_code(&self, request: &CodeExchange) -> Result<TokenSet> {
        let who = format!("user-{}", request.code().expose().len() % 3);
        Ok(TokenSet::bearer(ACCESS_TOKEN)
            .with_refresh_token(REFRESH_TOKEN)
            .with_expires_in(3600)
            .with_identity_id(who))
    }

    fn refresh_tokens(&self, _request: &TokenRefresh) -> Result<TokenSet> {
        Ok(TokenSet::bearer(ACCESS_TOKEN))
    }

    fn get_userinfo(&self, _request: &UserinfoRequest) -> Result<Option<oauthkit::Claims>> {
        Ok(oauthkit::Claims::from_json(r#"{"name": "Fuzz"}"#).ok())
    }

    fn revoke_token(&self, _request: &TokenRevocation) -> Result<bool> {
        Ok(true)
    }

    fn issuer(&self) -> Option<String> {
        Some("https://idp.example".into())
    }
}

/// The value of `name` in a `Set-Cookie` header.
fn set_cookie(header: &str) -> Option<(String, String)> {
    let first = header.split(';').next()?;
    let (k, v) = first.split_once('=')?;
    Some((k.trim().to_owned(), v.trim().to_owned()))
}

/// Input: one request per line,
/// `METHOD TARGET[\tCOOKIE[\tORIGIN[\tSEC-FETCH-SITE[\tX-CSRF-TOKEN]]]]`.
/// In the target, `{state}` stands for the state of the latest sign-in the
/// harness started; in the cookie, `{jar}` for every cookie set so far; in
/// the CSRF token, `{csrf}` for the latest one `/auth/status` gave.
/// The first byte's low bit picks an https base URL.
///
/// Properties: every answer is a valid HTTP status; a sign-in completes
/// only for a state a login issued, once, from the browser holding that
/// login's cookie; no answer carries the tokens.
pub fn deploy(data: &[u8]) {
    let https = data.first().is_some_and(|b| b & 1 == 1);
    let base = if https {
        "https://app.example"
    } else {
        "http://127.0.0.1:8080"
    };
    let handler = DeployHandler::new(
        Arc::new(StubProvider),
        Arc::new(MemoryStore::new()),
        DeployOptions::new(base).pending_ttl(std::time::Duration::from_secs(600)),
    );
    let text = String::from_utf8_lossy(data.get(1..).unwrap_or_default());
    let mut jar: HashMap<String, String> = HashMap::new();
    // state -> the cookies its login set
    let mut issued: HashMap<String, Vec<(String, String)>> = HashMap::new();
    let mut used: HashSet<String> = HashSet::new();
    let mut last_state = String::new();
    let mut csrf = String::new();
    for line in text.lines().take(16) {
        let mut parts = line.split('\t');
        let (method, target) = parts
            .next()
            .unwrap_or_default()
            .split_once(' ')
            .unwrap_or(("GET", ""));
        let target = target.replace("{state}", &last_state);
        let jar_text = jar
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let headers = [
            (
                "cookie",
                parts.next().map(|c| c.replace("{jar}", &jar_text)),
            ),
            ("origin", parts.next().map(str::to_owned)),
            ("sec-fetch-site", parts.next().map(str::to_owned)),
            (
                "x-csrf-token",
                parts.next().map(|c| c.replace("{csrf}", &csrf)),
            ),
        ];
        let mut builder = http::Request::builder().method(method).uri(target.as_str());
        for (name, value) in headers {
            if let Some(v) = value {
                builder = builder.header(name, v);
            }
        }
        // A line no HTTP request can be (a method with a space, a target
        // with a control character) never reaches the handler.
        let Ok(request) = builder.body(()) else {
            continue;
        };
        let response = handler.handle(&request);
        let status = response.status().as_u16();
        assert!((100..600).contains(&status), "status {status}");
        let everything = format!("{:?} {}", response.headers(), response.body());
        for token in [ACCESS_TOKEN, REFRESH_TOKEN] {
            assert!(!everything.contains(token), "{line:?} answered a token");
        }
        let cookies: Vec<(String, String)> = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| set_cookie(v.to_str().expect("the handler's cookies are text")))
            .collect();
        let location = response
            .headers()
            .get("location")
            .map(|v| v.to_str().expect("the handler's Location is text"))
            .unwrap_or_default()
            .to_owned();
        if let Some(token) = serde_json::from_str::<Value>(response.body())
            .ok()
            .and_then(|v| v.get("csrf_token")?.as_str().map(str::to_owned))
        {
            csrf = token;
        }
        if request.uri().path() == "/auth/login" && status == 302 {
            let state = url::Url::parse(&location)
                .ok()
                .and_then(|u| {
                    u.query_pairs()
                        .find(|(k, _)| k == "state")
                        .map(|(_, v)| v.into_owned())
                })
                .expect("the login redirect carries a state");
            issued.insert(state.clone(), cookies.clone());
            last_state = state;
        }
        if request.uri().path() == "/auth/callback" && status == 302 {
            let state = url::form_urlencoded::parse(request.uri().query().unwrap_or("").as_bytes())
                .find(|(k, _)| k == "state")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            let Some(login_cookies) = issued.get(&state) else {
                panic!("{line:?}: a sign-in completed with a state no login issued");
            };
            assert!(
                used.insert(state.clone()),
                "{line:?}: a state was used twice"
            );
            let sent = request
                .headers()
                .get("cookie")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            for (name, value) in login_cookies {
                assert!(
                    sent.contains(&format!("{name}={value}")),
                    "{line:?}: a sign-in completed without its login cookie {name}"
                );
            }
        }
        for (k, v) in cookies {
            if v.is_empty() {
                jar.remove(&k);
            } else {
                jar.insert(k, v);
            }
        }
    }
}
