//! Discovery, JWKS, userinfo, revocation and introspection.

use serde_json::json;

use super::dpop;
use super::grants::lock;
use super::http::{Req, Resp};
use super::Ctx;

pub(crate) fn discovery(ctx: &Ctx) -> Resp {
    let i = &ctx.issuer;
    let mut doc = json!({
            "issuer": i,
            "authorization_endpoint": format!("{i}/authorize"),
            "token_endpoint": format!("{i}/token"),
            "userinfo_endpoint": format!("{i}/userinfo"),
            "jwks_uri": format!("{i}/jwks"),
            "revocation_endpoint": format!("{i}/revoke"),
            "introspection_endpoint": format!("{i}/introspect"),
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid", "email", "profile", "offline_access"],
            "token_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "name", "email", "email_verified"],
            "authorization_response_iss_parameter_supported": true,
    });
    if ctx.opts.dpop {
        doc["dpop_signing_alg_values_supported"] = json!(dpop::ALGORITHMS);
    }
    Resp::json(200, doc)
}

pub(crate) fn jwks(ctx: &Ctx) -> Resp {
    Resp::json(200, ctx.key.jwks())
}

pub(crate) fn is_active(ctx: &Ctx, token: &str) -> bool {
    lock(&ctx.grants.access)
        .get(token)
        .is_some_and(|g| g.is_valid())
        || lock(&ctx.grants.refresh)
            .get(token)
            .is_some_and(|g| g.is_valid())
}

/// `userinfo`, a protected resource: a Bearer token, or a DPoP-bound
/// token with `Authorization: DPoP` and a proof of its key carrying `ath`
/// (RFC 9449 §7). A bound token presented as Bearer is refused.
pub(crate) fn userinfo(ctx: &Ctx, req: &Req) -> Resp {
    let invalid = || {
        Resp::oauth_error(
            401,
            "invalid_token",
            "missing, expired or revoked access token",
        )
        .with_header("WWW-Authenticate", "Bearer error=\"invalid_token\"")
    };
    let (token, as_dpop) = match (req.bearer(), req.token_of_scheme("dpop")) {
        (Some(t), None) => (t, false),
        (None, Some(t)) if ctx.opts.dpop => (t, true),
        _ => return invalid(),
    };
    let Some(grant) = lock(&ctx.grants.access)
        .get(token)
        .filter(|g| g.is_valid())
        .cloned()
    else {
        return if as_dpop {
            dpop::challenge("invalid_token", "expired or revoked access token")
        } else {
            invalid()
        };
    };
    match (&grant.jkt, as_dpop) {
        (None, false) => {}
        (Some(_), false) => {
            return dpop::challenge(
                "invalid_token",
                "this access token is DPoP-bound: send it as Authorization: DPoP with a DPoP proof",
            )
        }
        (None, true) => {
            return dpop::challenge(
                "invalid_token",
                "this access token is not DPoP-bound: send it as a Bearer token",
            )
        }
        (Some(bound), true) => match dpop::check(ctx, req, "/userinfo", Some(token)) {
            Ok(Some(jkt)) if &jkt == bound => {}
            Ok(Some(_)) => {
                return dpop::challenge(
                    "invalid_dpop_proof",
                    "the DPoP proof is signed by another key than the token is bound to",
                )
            }
            Ok(None) => return dpop::challenge("invalid_dpop_proof", "the DPoP proof is missing"),
            Err(e) => return e.resource_response(ctx),
        },
    }
    let u = &ctx.opts.user;
    Resp::json(
        200,
        json!({"sub": u.sub, "name": u.name, "email": u.email, "email_verified": true}),
    )
}

pub(crate) fn revoke(ctx: &Ctx, req: &Req) -> Resp {
    if let Some(t) = req.param("token") {
        for map in [&ctx.grants.access, &ctx.grants.refresh] {
            if let Some(g) = lock(map).get_mut(t) {
                g.active = false;
            }
        }
    }
    // RFC 7009 §2.2: 200 even for unknown tokens.
    Resp::json(200, json!({}))
}

pub(crate) fn introspect(ctx: &Ctx, req: &Req) -> Resp {
    let token = req.param("token").unwrap_or("");
    let found = lock(&ctx.grants.access)
        .get(token)
        .cloned()
        .map(|g| (g, "access_token"))
        .or_else(|| {
            lock(&ctx.grants.refresh)
                .get(token)
                .cloned()
                .map(|g| (g, "refresh_token"))
        });
    match found {
        Some((g, kind)) if g.is_valid() => {
            let mut v = json!({"active": true, "sub": ctx.opts.user.sub, "client_id": ctx.opts.client_id,
                   "scope": g.scope, "exp": g.expires_at, "token_type": kind, "iss": ctx.issuer});
            // RFC 9449 §6.2: a bound token's key
            if let Some(jkt) = g.jkt {
                v["cnf"] = json!({ "jkt": jkt });
            }
            Resp::json(200, v)
        }
        _ => Resp::json(200, json!({"active": false})),
    }
}
