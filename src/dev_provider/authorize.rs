//! `GET /authorize` and the approve page's `POST /authorize/decision`.

use super::grants::{lock, AuthRequest, CodeGrant};
use super::http::{Req, Resp};
use super::Ctx;
use crate::flow::html_escape;
use crate::random;
use crate::token::now_unix;

/// Authorization codes live this long.
const CODE_TTL_SECS: i64 = 60;

fn redirect_allowed(ctx: &Ctx, uri: &str) -> bool {
    if ctx.opts.extra_redirect_uris.iter().any(|u| u == uri) {
        return true;
    }
    match url::Url::parse(uri) {
        Ok(u) => {
            u.scheme() == "http"
                && matches!(u.host_str(), Some("127.0.0.1" | "[::1]" | "localhost"))
                && u.fragment().is_none()
        }
        Err(_) => false,
    }
}

/// `redirect_uri` with `params` added to its query.
fn with_params(redirect_uri: &str, params: &[(&str, &str)]) -> String {
    let mut u = url::Url::parse(redirect_uri).expect("checked by redirect_allowed");
    {
        let mut q = u.query_pairs_mut();
        for (k, v) in params {
            q.append_pair(k, v);
        }
    }
    u.to_string()
}

fn error_redirect(ctx: &Ctx, r: &AuthRequest, error: &str, description: &str) -> Resp {
    let mut p = vec![
        ("error", error),
        ("error_description", description),
        ("iss", &ctx.issuer),
    ];
    if let Some(s) = &r.state {
        p.push(("state", s));
    }
    Resp::redirect(with_params(&r.redirect_uri, &p))
}

fn issue_code(ctx: &Ctx, r: AuthRequest) -> Resp {
    let code = random::token(32);
    let location = {
        let mut p = vec![("code", code.as_str()), ("iss", ctx.issuer.as_str())];
        if let Some(s) = &r.state {
            p.push(("state", s));
        }
        with_params(&r.redirect_uri, &p)
    };
    lock(&ctx.grants.codes).insert(
        code,
        CodeGrant {
            request: r,
            expires_at: now_unix() + CODE_TTL_SECS,
        },
    );
    Resp::redirect(location)
}

pub(crate) fn authorize(ctx: &Ctx, req: &Req) -> Resp {
    let client_ok = req.param("client_id") == Some(ctx.opts.client_id.as_str());
    let redirect_uri = req.param("redirect_uri").unwrap_or("");
    if !client_ok || !redirect_allowed(ctx, redirect_uri) {
        // Never redirect to an unverified URI (RFC 6749 §4.1.2.1).
        return Resp::html(
            400,
            page(
                "Invalid request",
                "Unknown client_id or redirect_uri not allowed.",
            ),
        );
    }
    let r = AuthRequest {
        redirect_uri: redirect_uri.to_string(),
        state: req.param("state").map(str::to_string),
        scope: req.param("scope").unwrap_or("openid").to_string(),
        nonce: req.param("nonce").map(str::to_string),
        code_challenge: req.param("code_challenge").unwrap_or("").to_string(),
        dpop_jkt: req
            .param("dpop_jkt")
            .filter(|_| ctx.opts.dpop)
            .map(str::to_string),
    };
    if req.param("response_type") != Some("code") {
        return error_redirect(
            ctx,
            &r,
            "unsupported_response_type",
            "only response_type=code",
        );
    }
    if r.code_challenge.is_empty() || req.param("code_challenge_method") != Some("S256") {
        return error_redirect(ctx, &r, "invalid_request", "PKCE with S256 is required");
    }
    if ctx.opts.auto_approve {
        return issue_code(ctx, r);
    }
    let id = random::token(24);
    let scope = r.scope.clone();
    lock(&ctx.grants.requests).insert(id.clone(), r);
    let u = &ctx.opts.user;
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>oauthkit dev provider</title></head>\
         <body><h1>Sign in to {client}</h1><p>Signed in as <b>{name}</b> &lt;{email}&gt;. \
         The application asks for: {scope}.</p>\
         <form method=\"post\" action=\"/authorize/decision\">\
         <input type=\"hidden\" name=\"request\" value=\"{id}\">\
         <button type=\"submit\" name=\"decision\" value=\"approve\">Approve</button> \
         <button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button>\
         </form></body></html>",
        client = html_escape(&ctx.opts.client_id),
        name = html_escape(&u.name),
        email = html_escape(&u.email),
        scope = html_escape(&scope),
    );
    Resp::html(200, body)
}

pub(crate) fn decision(ctx: &Ctx, req: &Req) -> Resp {
    let Some(r) = req
        .param("request")
        .and_then(|id| lock(&ctx.grants.requests).remove(id))
    else {
        return Resp::html(
            400,
            page(
                "Expired",
                "This sign-in request is unknown or was already used.",
            ),
        );
    };
    match req.param("decision") {
        Some("approve") => issue_code(ctx, r),
        _ => error_redirect(ctx, &r, "access_denied", "the user denied the request"),
    }
}

fn page(title: &str, msg: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{t}</title></head><body><h1>{t}</h1><p>{m}</p></body></html>",
        t = html_escape(title),
        m = html_escape(msg)
    )
}
