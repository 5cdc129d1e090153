//! `POST /token`: authorization code (PKCE S256 required) and refresh.
//!
//! With a DPoP proof (RFC 9449 §5) the access token is bound to the
//! proof's key (`token_type: DPoP`, the `jkt` kept with the token and shown
//! by introspection as `cnf.jkt`), and so is a public client's refresh
//! token: refreshing it takes a proof of the same key. A code issued for a
//! `dpop_jkt` is redeemed only with a proof of that key. Under rotation a
//! refresh token presented a second time is reuse: every token of its
//! sign-in is revoked (OAuth 2.0 Security BCP §4.14.2).

use crate::digest::sha256;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

use super::dpop;
use super::grants::{lock, TokenGrant};
use super::http::{Req, Resp};
use super::keys::at_hash;
use super::Ctx;
use crate::random;
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
    let jkt = match dpop::check(ctx, req, "/token", None) {
        Ok(jkt) => jkt,
        Err(e) => return e.token_response(ctx),
    };
    match grant_type.as_str() {
        "authorization_code" => code_grant(ctx, req, jkt),
        "refresh_token" => refresh_grant(ctx, req, jkt),
        _ => Resp::oauth_error(
            400,
            "unsupported_grant_type",
            "authorization_code or refresh_token",
        ),
    }
}

/// What one token response holds.
struct Issue<'a> {
    scope: &'a str,
    family: &'a str,
    /// The proof's key: the access token is bound to it.
    jkt: Option<String>,
    id_token: Option<Value>,
    refresh: Option<String>,
}

fn issue(ctx: &Ctx, i: Issue<'_>) -> Resp {
    let Issue {
        scope,
        family,
        jkt,
        id_token,
        refresh,
    } = i;
    let access = random::token(32);
    let ttl = ctx.opts.access_token_ttl.as_secs() as i64;
    let token_type = if jkt.is_some() { "DPoP" } else { "Bearer" };
    lock(&ctx.grants.access).insert(
        access.clone(),
        TokenGrant::new(scope, Some(now_unix() + ttl), jkt, family),
    );
    let mut body = json!({
        "access_token": access,
        "token_type": token_type,
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

/// A refresh token of `family`, bound to `jkt` for public clients (RFC
/// 9449 §5: a confidential client's refresh token is bound by its client
/// authentication instead).
fn new_refresh_token(ctx: &Ctx, scope: &str, jkt: Option<&str>, family: &str) -> String {
    let rt = random::token(32);
    let bound = jkt
        .filter(|_| ctx.opts.client_secret.is_none())
        .map(str::to_string);
    lock(&ctx.grants.refresh).insert(rt.clone(), TokenGrant::new(scope, None, bound, family));
    rt
}

fn code_grant(ctx: &Ctx, req: &Req, jkt: Option<String>) -> Resp {
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
    if let Some(want) = &r.dpop_jkt {
        if jkt.as_deref() != Some(want.as_str()) {
            return Resp::oauth_error(
                400,
                "invalid_dpop_proof",
                "the code was issued for dpop_jkt: redeem it with a DPoP proof of that key",
            );
        }
    }
    let family = random::token(16);
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
        .then(|| new_refresh_token(ctx, &r.scope, jkt.as_deref(), &family));
    issue(
        ctx,
        Issue {
            scope: &r.scope,
            family: &family,
            jkt,
            id_token,
            refresh,
        },
    )
}

fn refresh_grant(ctx: &Ctx, req: &Req, jkt: Option<String>) -> Resp {
    let Some(rt) = req.param("refresh_token") else {
        return Resp::oauth_error(400, "invalid_request", "refresh_token is missing");
    };
    let invalid = || {
        Resp::oauth_error(
            400,
            "invalid_grant",
            "refresh token is invalid, revoked or already used",
        )
    };
    let (scope, family) = {
        let mut map = lock(&ctx.grants.refresh);
        let Some(g) = map.get_mut(rt) else {
            return invalid();
        };
        if g.rotated {
            // reuse of a rotated refresh token: someone else holds a copy
            let family = g.family.clone();
            drop(map);
            ctx.grants.revoke_family(&family);
            return invalid();
        }
        if !g.is_valid() {
            return invalid();
        }
        if let Some(bound) = &g.jkt {
            if jkt.as_deref() != Some(bound.as_str()) {
                return Resp::oauth_error(
                    400,
                    "invalid_dpop_proof",
                    "this refresh token is DPoP-bound: send a DPoP proof of the key it is bound to",
                );
            }
        }
        if ctx.opts.rotate_refresh_tokens {
            g.active = false;
            g.rotated = true;
        }
        (g.scope.clone(), g.family.clone())
    };
    let refresh = ctx
        .opts
        .rotate_refresh_tokens
        .then(|| new_refresh_token(ctx, &scope, jkt.as_deref(), &family));
    issue(
        ctx,
        Issue {
            scope: &scope,
            family: &family,
            jkt,
            id_token: None,
            refresh,
        },
    )
}
