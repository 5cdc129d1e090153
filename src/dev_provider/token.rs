//! `POST /token`: authorization code (PKCE S256 required) and refresh.

use crate::digest::sha256;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

use super::grants::{lock, TokenGrant};
use super::http::{Req, Resp};
use super::keys::at_hash;
use super::Ctx;
use crate::provider::random;
use crate::secret::constant_time_eq;
use crate::token::now_unix;

/// ID tokens live this long.
const ID_TOKEN_TTL_SECS: i64 = 3600;

fn client_ok(ctx: &Ctx, req: &Req) -> bool {
    let (id, secret) = match req.basic() {
        Some((id, s)) => (id, Some(s)),
        None => (
            req.param("client_id").unwrap_or("").to_string(),
            req.param("client_secret").map(str::to_string),
        ),
    };
    if id != ctx.opts.client_id {
        return false;
    }
    match &ctx.opts.client_secret {
        None => true,
        Some(want) => secret.is_some_and(|s| constant_time_eq(s.as_bytes(), want.as_bytes())),
    }
}

pub(crate) fn token(ctx: &Ctx, req: &Req) -> Resp {
    let grant_type = req.param("grant_type").unwrap_or("").to_string();
    *lock(&ctx.grants.token_requests)
        .entry(grant_type.clone())
        .or_insert(0) += 1;
    if !ctx.opts.token_delay.is_zero() {
        std::thread::sleep(ctx.opts.token_delay);
    }
    if !client_ok(ctx, req) {
        return Resp::oauth_error(401, "invalid_client", "client authentication failed")
            .with_header("WWW-Authenticate", "Basic realm=\"oauthkit-dev\"");
    }
    match grant_type.as_str() {
        "authorization_code" => code_grant(ctx, req),
        "refresh_token" => refresh_grant(ctx, req),
        _ => Resp::oauth_error(
            400,
            "unsupported_grant_type",
            "authorization_code or refresh_token",
        ),
    }
}

fn issue(ctx: &Ctx, scope: &str, id_token: Option<Value>, refresh: Option<String>) -> Resp {
    let access = random::token(32);
    let ttl = ctx.opts.access_token_ttl.as_secs() as i64;
    lock(&ctx.grants.access).insert(
        access.clone(),
        TokenGrant {
            scope: scope.to_string(),
            expires_at: Some(now_unix() + ttl),
            active: true,
        },
    );
    let mut body = json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": ttl,
        "scope": scope,
    });
    if let Some(rt) = refresh {
        body["refresh_token"] = Value::from(rt);
    }
    if let Some(mut claims) = id_token {
        claims["at_hash"] = Value::from(at_hash(&access));
        match ctx.key.sign(&claims) {
            Ok(jwt) => body["id_token"] = Value::from(jwt),
            Err(e) => return Resp::oauth_error(500, "server_error", &e.to_string()),
        }
    }
    Resp::json(200, body)
}

fn new_refresh_token(ctx: &Ctx, scope: &str) -> String {
    let rt = random::token(32);
    lock(&ctx.grants.refresh).insert(
        rt.clone(),
        TokenGrant {
            scope: scope.to_string(),
            expires_at: None,
            active: true,
        },
    );
    rt
}

fn code_grant(ctx: &Ctx, req: &Req) -> Resp {
    let Some(grant) = req
        .param("code")
        .and_then(|c| lock(&ctx.grants.codes).remove(c))
    else {
        return Resp::oauth_error(400, "invalid_grant", "unknown or used authorization code");
    };
    if grant.expires_at <= now_unix() {
        return Resp::oauth_error(400, "invalid_grant", "authorization code expired");
    }
    let r = grant.request;
    if req.param("redirect_uri") != Some(r.redirect_uri.as_str()) {
        return Resp::oauth_error(400, "invalid_grant", "redirect_uri does not match");
    }
    let verifier = req.param("code_verifier").unwrap_or("");
    let challenge = URL_SAFE_NO_PAD.encode(sha256(verifier.as_bytes()));
    if !constant_time_eq(challenge.as_bytes(), r.code_challenge.as_bytes()) {
        return Resp::oauth_error(400, "invalid_grant", "PKCE verification failed");
    }
    let now = now_unix();
    let u = &ctx.opts.user;
    let id_token = r.scope.split_whitespace().any(|s| s == "openid").then(|| {
        let mut c = json!({
            "iss": ctx.issuer, "sub": u.sub, "aud": ctx.opts.client_id,
            "iat": now, "exp": now + ID_TOKEN_TTL_SECS, "auth_time": now,
            "name": u.name, "email": u.email, "email_verified": true,
        });
        if let Some(n) = &r.nonce {
            c["nonce"] = Value::from(n.clone());
        }
        c
    });
    // As real providers do: a refresh token only for `offline_access`
    // (OpenID Connect Core 11; as Okta and Auth0 do: configure the scope).
    let refresh = r
        .scope
        .split_whitespace()
        .any(|s| s == "offline_access")
        .then(|| new_refresh_token(ctx, &r.scope));
    issue(ctx, &r.scope, id_token, refresh)
}

fn refresh_grant(ctx: &Ctx, req: &Req) -> Resp {
    let Some(rt) = req.param("refresh_token") else {
        return Resp::oauth_error(400, "invalid_request", "refresh_token is missing");
    };
    let scope = {
        let mut map = lock(&ctx.grants.refresh);
        let Some(g) = map.get_mut(rt).filter(|g| g.is_valid()) else {
            return Resp::oauth_error(
                400,
                "invalid_grant",
                "refresh token is invalid, revoked or already used",
            );
        };
        if ctx.opts.rotate_refresh_tokens {
            g.active = false;
        }
        g.scope.clone()
    };
    let refresh = ctx
        .opts
        .rotate_refresh_tokens
        .then(|| new_refresh_token(ctx, &scope));
    issue(ctx, &scope, None, refresh)
}
