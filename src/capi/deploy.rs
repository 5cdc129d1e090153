//! `OakDeploy`: deploy mode (the application serves the sign-in itself)
//! as a request-in/response-out handler a C, C++ or Go web server mounts
//! on `/auth/`: `GET /auth/login`, `GET /auth/callback`, `POST
//! /auth/logout`, `GET /auth/status` (see `src/web/handler.rs`).
//!
//! Threads: `oak_deploy_handle` may be called from any number of server
//! threads at once on one handle; `oak_deploy_free` needs that no call
//! uses the handle. A response handle belongs to the caller: read it from
//! one thread, free it with `oak_deploy_response_free`.
//!
//! Only with the cargo feature `capi-server` (see `server_side.rs`).

use std::ffi::c_char;
use std::sync::Arc;
use std::time::Duration;

use zeroize::Zeroizing;

use super::boundary::{
    call, free_handle, handle, new_handle, opt_str_arg, out, str_arg, OakStatus,
};
use super::provider::OakProvider;
use super::server_side::server_side;
use super::store::OakStore;
use super::strings::{array_to_c, put};
use crate::error::{Error, Result};
use crate::provider::Provider;
use crate::store::TokenStore;
use crate::web::{DeployHandler, DeployOptions};

/// An opaque handle on deploy-mode routes. Free it with `oak_deploy_free`.
pub struct OakDeploy(DeployHandler);

/// An opaque handle on one response of `oak_deploy_handle`. Free it with
/// `oak_deploy_response_free`.
pub struct OakDeployResponse(http::Response<String>);

/// The most headers one request may carry into `oak_deploy_handle`.
const MAX_HEADERS: usize = 256;

/// Makes deploy-mode routes for an application served at `base_url`
/// (`https://app.example`; the redirect URI to register is
/// `{base_url}/auth/callback`) signing in with `provider` and storing
/// tokens in `store` (keyed by the identity's `sub`). `after_login` is
/// where the browser goes after signing in (NULL: `/`);
/// `session_ttl_seconds` how long a session lasts (0: one day; at most
/// 400 days). Cookies get `Secure` when `base_url` is https. Sessions live
/// in this handle: every server thread uses the same one. Keeps its own
/// references to the provider and store. Any thread. Every `oak_deploy_*`
/// function needs a library built with the cargo feature `capi-server`;
/// without it they answer `OAK_ERR_UNSUPPORTED`.
#[no_mangle]
pub unsafe extern "C" fn oak_deploy_new(
    provider: *const OakProvider,
    store: *const OakStore,
    base_url: *const c_char,
    after_login: *const c_char,
    session_ttl_seconds: u64,
    out_deploy: *mut *mut OakDeploy,
) -> OakStatus {
    call(out(out_deploy, "out_deploy"), |out_deploy| {
        server_side("deploy mode")?;
        let out_deploy = out_deploy.get()?;
        let (provider, store, options) =
            deploy_options(provider, store, base_url, after_login, session_ttl_seconds)?;
        *out_deploy = new_handle(OakDeploy(DeployHandler::new(provider, store, options)));
        Ok(())
    })
}

/// A provider, a store and the options a deploy handle is made of.
type DeployParts = (Arc<dyn Provider>, Arc<dyn TokenStore>, DeployOptions);

/// The arguments `oak_deploy_new` and `oak_deploy_new_shared` share.
unsafe fn deploy_options(
    provider: *const OakProvider,
    store: *const OakStore,
    base_url: *const c_char,
    after_login: *const c_char,
    session_ttl_seconds: u64,
) -> Result<DeployParts> {
    let provider = handle(provider, "provider")?.0.clone();
    let store = handle(store, "store")?.0.clone();
    let base_url = str_arg(base_url, "base_url")?;
    let parsed = url::Url::parse(base_url)
        .map_err(|e| Error::InvalidArgument(format!("base_url is not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(Error::InvalidArgument(
            "base_url must be an http or https URL with a host".into(),
        ));
    }
    let mut options = DeployOptions::new(base_url);
    if let Some(path) = opt_str_arg(after_login, "after_login")? {
        if !path.starts_with('/') || path.starts_with("//") || path.contains(['\r', '\n']) {
            return Err(Error::InvalidArgument(
                "after_login must be a path on this site (starting with one '/')".into(),
            ));
        }
        options = options.after_login(path);
    }
    if session_ttl_seconds > 0 {
        options = options.session_ttl(Duration::from_secs(session_ttl_seconds));
    }
    Ok((provider, store, options))
}

/// `oak_deploy_new` for a deployment of several instances: every instance
/// gets the same `base_url` (the public URL behind the load balancer) and
/// the same 32-byte `cookie_key` (required; from the deployment's secret
/// manager), plus `previous_key_count` earlier keys of 32 bytes each, one
/// after the other in `previous_keys` (NULL when the count is 0), which
/// still open login cookies during a rotation while new ones are sealed
/// with `cookie_key`. `trust_forwarded_headers` nonzero makes
/// `oak_deploy_handle` take the public origin from the proxy's
/// `Forwarded` or `X-Forwarded-Proto`/`X-Forwarded-Host` headers; zero
/// ignores them (any client can send them). Sessions and used callbacks
/// live in `store`, shared by every instance using it. Any thread.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn oak_deploy_new_shared(
    provider: *const OakProvider,
    store: *const OakStore,
    base_url: *const c_char,
    after_login: *const c_char,
    session_ttl_seconds: u64,
    cookie_key: *const u8,
    previous_keys: *const u8,
    previous_key_count: usize,
    trust_forwarded_headers: i32,
    out_deploy: *mut *mut OakDeploy,
) -> OakStatus {
    call(out(out_deploy, "out_deploy"), |out_deploy| {
        server_side("deploy mode")?;
        let out_deploy = out_deploy.get()?;
        if cookie_key.is_null() {
            return Err(Error::InvalidArgument(
                "cookie_key is NULL; give every instance the same 32-byte key".into(),
            ));
        }
        if previous_key_count > 64 {
            return Err(Error::InvalidArgument(format!(
                "previous_key_count is {previous_key_count}; the limit is 64"
            )));
        }
        if previous_key_count > 0 && previous_keys.is_null() {
            return Err(Error::InvalidArgument(format!(
                "previous_keys is NULL while previous_key_count is {previous_key_count}"
            )));
        }
        // The copies made here are zeroed too; the options keep theirs
        // zeroized.
        let key_at = |p: *const u8| {
            let mut k = Zeroizing::new([0u8; 32]);
            k.copy_from_slice(std::slice::from_raw_parts(p, 32));
            k
        };
        let current = key_at(cookie_key);
        let previous: Zeroizing<Vec<[u8; 32]>> = Zeroizing::new(
            (0..previous_key_count)
                .map(|i| *key_at(previous_keys.add(i * 32)))
                .collect(),
        );
        let (provider, store, options) =
            deploy_options(provider, store, base_url, after_login, session_ttl_seconds)?;
        let options = options
            .cookie_key(*current)
            .previous_cookie_keys(previous.iter().copied())
            .trust_forwarded_headers(trust_forwarded_headers != 0);
        *out_deploy = new_handle(OakDeploy(DeployHandler::new(provider, store, options)));
        Ok(())
    })
}

/// Frees deploy-mode routes (and their sessions). NULL is a no-op. Once no
/// call uses the handle.
#[no_mangle]
pub unsafe extern "C" fn oak_deploy_free(deploy: *mut OakDeploy) {
    free_handle(deploy)
}

/// Copies the redirect URI to register at the provider
/// (`{base_url}/auth/callback`) to `*out_uri` (free with
/// `oak_string_free`). Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_deploy_redirect_uri(
    deploy: *const OakDeploy,
    out_uri: *mut *mut c_char,
) -> OakStatus {
    call(out(out_uri, "out_uri"), |out_uri| {
        server_side("deploy mode")?;
        put(out_uri.get()?, &handle(deploy, "deploy")?.0.redirect_uri())
    })
}

/// The request `oak_deploy_handle` describes, checked as before the
/// handler takes it: a repeated `Origin`, `Sec-Fetch-Site` or
/// `X-CSRF-Token`, or a value with a line break, is an invalid argument.
/// Only the headers the routes read are carried over (names from C are
/// not all header names); `Cookie` lines stay separate, the handler joins
/// them.
unsafe fn request(
    method: *const c_char,
    path: *const c_char,
    query: *const c_char,
    header_names: *const *const c_char,
    header_values: *const *const c_char,
    header_count: usize,
) -> Result<http::Request<()>> {
    let method = str_arg(method, "method")?;
    let path = str_arg(path, "path")?;
    let query = opt_str_arg(query, "query")?;
    let mut request = http::Request::new(());
    *request.method_mut() = http::Method::from_bytes(method.as_bytes())
        .map_err(|_| Error::InvalidArgument("method is no HTTP method".into()))?;
    *request.uri_mut() = crate::web::request::request_target(path, query)
        .map_err(|why| Error::InvalidArgument(format!("path: {why}")))?;
    if header_count > MAX_HEADERS {
        return Err(Error::InvalidArgument(format!(
            "header_count is {header_count}; the limit is {MAX_HEADERS}"
        )));
    }
    if header_count > 0 && (header_names.is_null() || header_values.is_null()) {
        return Err(Error::InvalidArgument(format!(
            "header_names or header_values is NULL while header_count is {header_count}"
        )));
    }
    for i in 0..header_count {
        let name = str_arg(*header_names.add(i), &format!("header_names[{i}]"))?;
        let value = str_arg(*header_values.add(i), &format!("header_values[{i}]"))?;
        if value.contains(['\r', '\n']) {
            return Err(Error::InvalidArgument(format!(
                "header_values[{i}] holds a line break"
            )));
        }
        let lower = name.to_ascii_lowercase();
        let (name, single) = match lower.as_str() {
            "cookie" => (http::header::COOKIE, false),
            "origin" => (http::header::ORIGIN, true),
            "sec-fetch-site" => (http::HeaderName::from_static("sec-fetch-site"), true),
            "x-csrf-token" => (http::HeaderName::from_static("x-csrf-token"), true),
            "forwarded" => (http::header::FORWARDED, false),
            "x-forwarded-host" => (http::HeaderName::from_static("x-forwarded-host"), false),
            "x-forwarded-proto" => (http::HeaderName::from_static("x-forwarded-proto"), false),
            _ => continue,
        };
        if single && request.headers().contains_key(&name) {
            return Err(Error::InvalidArgument(format!(
                "header {name} is given twice"
            )));
        }
        let value = http::HeaderValue::from_str(value).map_err(|_| {
            Error::InvalidArgument(format!("header_values[{i}] holds a control character"))
        })?;
        request.headers_mut().append(name, value);
    }
    Ok(request)
}

/// Answers one request to the `/auth/` routes. `method` (`GET`, `POST`, ...) and
/// `path` (`/auth/callback`; may carry `?query` when `query` is NULL) are
/// required; `query` is the raw query string without `?`. The `count`
/// headers are name/value pairs (names case-insensitive; `Cookie` may
/// repeat and is joined; `Origin`, `Sec-Fetch-Site`, `X-CSRF-Token` are
/// read, others ignored; a repeated one of those three, or a value with a
/// line break, is `OAK_ERR_INVALID_ARGUMENT`); `names` and `values` may be
/// NULL when `count` is 0. `body` may be NULL (no route reads a body; it
/// is accepted for servers that always pass one). Every outcome the routes
/// know — a forged callback, an expired login, a missing session — is an
/// HTTP answer in `*out_response` with `OAK_OK`; the call fails only for
/// unusable arguments. Read the response with `oak_deploy_response_*` and
/// free it with `oak_deploy_response_free`. Any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn oak_deploy_handle(
    deploy: *const OakDeploy,
    method: *const c_char,
    path: *const c_char,
    query: *const c_char,
    header_names: *const *const c_char,
    header_values: *const *const c_char,
    header_count: usize,
    body: *const c_char,
    out_response: *mut *mut OakDeployResponse,
) -> OakStatus {
    call(out(out_response, "out_response"), |out_response| {
        server_side("deploy mode")?;
        let out_response = out_response.get()?;
        let deploy = handle(deploy, "deploy")?;
        let request = request(
            method,
            path,
            query,
            header_names,
            header_values,
            header_count,
        )?;
        opt_str_arg(body, "body")?;
        *out_response = new_handle(OakDeployResponse(deploy.0.handle(&request)));
        Ok(())
    })
}

/// Copies the token-store key of the session the `Cookie` header `cookie`
/// carries to `*out_key` (NULL when the browser has no live session; free
/// with `oak_string_free`), for the application's own routes. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oak_deploy_session_key(
    deploy: *const OakDeploy,
    cookie: *const c_char,
    out_key: *mut *mut c_char,
) -> OakStatus {
    call(out(out_key, "out_key"), |out_key| {
        server_side("deploy mode")?;
        let out_key = out_key.get()?;
        let deploy = handle(deploy, "deploy")?;
        let cookie = http::HeaderValue::from_str(str_arg(cookie, "cookie")?).map_err(|_| {
            Error::InvalidArgument("cookie holds a line break or control character".into())
        })?;
        let mut request = http::Request::new(());
        request.headers_mut().insert(http::header::COOKIE, cookie);
        if let Some(key) = deploy.0.session_key(&request) {
            put(out_key, &key)?;
        }
        Ok(())
    })
}

/// Writes the response's HTTP status (200, 302, 400, ...) to
/// `*out_status`.
#[no_mangle]
pub unsafe extern "C" fn oak_deploy_response_status(
    response: *const OakDeployResponse,
    out_status: *mut u32,
) -> OakStatus {
    call(out(out_status, "out_status"), |out_status| {
        server_side("deploy mode")?;
        *out_status.get()? = u32::from(handle(response, "response")?.0.status().as_u16());
        Ok(())
    })
}

/// Copies the response's headers, in order (`Set-Cookie` may repeat), as
/// two NULL-terminated arrays of `*out_len` strings: names in
/// `*out_names`, values in `*out_values` (free each with
/// `oak_string_array_free(array, len)`).
#[no_mangle]
pub unsafe extern "C" fn oak_deploy_response_headers(
    response: *const OakDeployResponse,
    out_names: *mut *mut *mut c_char,
    out_values: *mut *mut *mut c_char,
    out_len: *mut usize,
) -> OakStatus {
    let outs = (
        out(out_names, "out_names"),
        out(out_values, "out_values"),
        out(out_len, "out_len"),
    );
    call(outs, |(out_names, out_values, out_len)| {
        server_side("deploy mode")?;
        let (out_names, out_values, out_len) =
            (out_names.get()?, out_values.get()?, out_len.get()?);
        let headers = handle(response, "response")?.0.headers();
        // Names as C programs always got them (`Set-Cookie`, `Location`);
        // values are the handler's own ASCII text.
        let names: Vec<String> = headers
            .iter()
            .map(|(k, _)| title_case(k.as_str()))
            .collect();
        let values: Vec<String> = headers
            .iter()
            .map(|(_, v)| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        let (n, len) = array_to_c(&names)?;
        match array_to_c(&values) {
            Ok((v, _)) => {
                (*out_names, *out_values, *out_len) = (n, v, len);
                Ok(())
            }
            Err(e) => {
                super::strings::oak_string_array_free(n, len);
                Err(e)
            }
        }
    })
}

/// `set-cookie` as `Set-Cookie`: the spelling `oak_deploy_response_headers`
/// has always given (the `http` crate keeps names in lower case).
fn title_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut start = true;
    for c in name.chars() {
        out.push(if start { c.to_ascii_uppercase() } else { c });
        start = c == '-';
    }
    out
}

/// Copies the response's body (JSON or HTML; may be empty) to
/// `*out_body` (free with `oak_string_free`).
#[no_mangle]
pub unsafe extern "C" fn oak_deploy_response_body(
    response: *const OakDeployResponse,
    out_body: *mut *mut c_char,
) -> OakStatus {
    call(out(out_body, "out_body"), |out_body| {
        server_side("deploy mode")?;
        put(out_body.get()?, handle(response, "response")?.0.body())
    })
}

/// Frees a response. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn oak_deploy_response_free(response: *mut OakDeployResponse) {
    free_handle(response)
}
