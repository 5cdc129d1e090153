//! Requests to and answers of `DeployHandler::handle`, which takes an
//! `http::Request` and gives an `http::Response<String>`: short builders
//! and readers for the tests.

use oauthkit::web::http;

/// The handler's answer.
pub type Answer = http::Response<String>;

/// `method target` with `headers` (name, value) in order, no body.
pub fn request(method: &str, target: &str, headers: &[(&str, &str)]) -> http::Request<()> {
    let mut b = http::Request::builder().method(method).uri(target);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(()).expect("a valid test request")
}

/// `GET target`.
pub fn get(target: &str) -> http::Request<()> {
    request("GET", target, &[])
}

/// `GET target` with a `Cookie` header.
pub fn get_with_cookie(target: &str, cookie: impl AsRef<str>) -> http::Request<()> {
    request("GET", target, &[("cookie", cookie.as_ref())])
}

/// The first header `name` of an answer, as text.
pub fn header<'a>(r: &'a Answer, name: &str) -> Option<&'a str> {
    r.headers()
        .get(name)
        .map(|v| v.to_str().expect("ASCII header"))
}

/// Every header of an answer, as text pairs, in order.
pub fn headers(r: &Answer) -> Vec<(String, String)> {
    r.headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().expect("ASCII header").to_string()))
        .collect()
}

/// The first `Set-Cookie` pair (`name=value`) named `name` of an answer.
pub fn set_cookie(r: &Answer, name: &str) -> String {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
        .find(|c| c.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie in {:?}", r.headers()))
}
