//! DPoP (RFC 9449) on the dev provider's side: checking the proof of a
//! token or userinfo request (§4.3) and answering what a real
//! authorization server answers when it is wrong or lacks the nonce.
//!
//! A proof is accepted when it is one compact JWS with `typ: dpop+jwt`, an
//! asymmetric `alg` the provider lists (ES256, EdDSA, RS256, PS256), a
//! public `jwk` of that algorithm's key type (no private members) that
//! verifies the signature, `htm` and `htu` of this request, an `iat`
//! within [`IAT_WINDOW_SECS`] of now, a `jti` not seen before, the
//! server's current `nonce` when nonces are on, and `ath` matching the
//! access token when one is presented. Its key is named by its RFC 7638
//! thumbprint (the `jkt` tokens are bound to).

use aws_lc_rs::signature::{
    self, RsaPublicKeyComponents, UnparsedPublicKey, VerificationAlgorithm,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{Map, Value};

use super::grants::lock;
use super::http::{Req, Resp};
use super::Ctx;
use crate::provider::dpop::{ath, htu};

use crate::secret::constant_time_eq;
use crate::token::now_unix;

/// The algorithms accepted, as discovery lists them.
pub(crate) const ALGORITHMS: &[&str] = &["ES256", "EdDSA", "RS256", "PS256"];

/// How far a proof's `iat` may be from the provider's clock, either way.
pub(crate) const IAT_WINDOW_SECS: i64 = 60;

/// The longest `DPoP` header looked at (an RSA-4096 proof is under 2 KiB).
const MAX_PROOF_LEN: usize = 8 * 1024;

/// The longest `jti` remembered.
const MAX_JTI_LEN: usize = 256;

/// Private JWK members (RFC 7518 §6): a proof carrying any is refused.
const PRIVATE_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// Why a proof was not accepted.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ProofError {
    /// Wrong in itself (`invalid_dpop_proof`), saying what.
    Invalid(&'static str),
    /// Right but without the current nonce (`use_dpop_nonce`).
    NeedsNonce,
}

impl ProofError {
    /// The token endpoint's answer (RFC 9449 §5, §8).
    pub(crate) fn token_response(&self, ctx: &Ctx) -> Resp {
        match self {
            ProofError::Invalid(why) => Resp::oauth_error(400, "invalid_dpop_proof", why),
            ProofError::NeedsNonce => Resp::oauth_error(
                400,
                "use_dpop_nonce",
                "the DPoP proof must carry the server's nonce (DPoP-Nonce header)",
            )
            .with_header("DPoP-Nonce", current_nonce(ctx)),
        }
    }

    /// A protected resource's answer (RFC 9449 §7.1, §9).
    pub(crate) fn resource_response(&self, ctx: &Ctx) -> Resp {
        match self {
            ProofError::Invalid(why) => challenge("invalid_dpop_proof", why),
            ProofError::NeedsNonce => challenge(
                "use_dpop_nonce",
                "the DPoP proof must carry the server's nonce (DPoP-Nonce header)",
            )
            .with_header("DPoP-Nonce", current_nonce(ctx)),
        }
    }
}

/// A `401` with a DPoP challenge (RFC 9449 §7.1) naming `error`.
pub(crate) fn challenge(error: &str, description: &str) -> Resp {
    Resp::oauth_error(401, error, description).with_header(
        "WWW-Authenticate",
        format!(
            "DPoP error=\"{error}\", error_description=\"{description}\", algs=\"{}\"",
            ALGORITHMS.join(" ")
        ),
    )
}

/// The nonce proofs must carry now.
pub(crate) fn current_nonce(ctx: &Ctx) -> String {
    lock(&ctx.grants.dpop_nonce).clone()
}

/// Checks the request's proof for `path` (`/token`, `/userinfo`), with
/// `access_token` when one is presented. `Ok(None)`: no `DPoP` header (or
/// DPoP is off). `Ok(Some(jkt))`: a valid proof of the key `jkt`, whose
/// `jti` is now used up.
pub(crate) fn check(
    ctx: &Ctx,
    req: &Req,
    path: &str,
    access_token: Option<&str>,
) -> Result<Option<String>, ProofError> {
    if !ctx.opts.dpop {
        return Ok(None);
    }
    let proof = match req.dpop.as_slice() {
        [] => return Ok(None),
        [one] => one.as_str(),
        _ => return Err(ProofError::Invalid("more than one DPoP header")),
    };
    let expected_htu = htu(&format!("{}{path}", ctx.issuer))
        .map_err(|_| ProofError::Invalid("the server's own URL is not a valid htu"))?;
    let (jkt, claims) = verify(proof)?;
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    let jti = text("jti")
        .filter(|j| !j.is_empty() && j.len() <= MAX_JTI_LEN)
        .ok_or(ProofError::Invalid("jti is missing or too long"))?;
    if text("htm") != Some(req.method.as_str()) {
        return Err(ProofError::Invalid("htm does not match the request method"));
    }
    let htu_ok = text("htu")
        .and_then(|u| htu(u).ok())
        .is_some_and(|u| u == expected_htu);
    if !htu_ok {
        return Err(ProofError::Invalid("htu does not match the request URL"));
    }
    let now = now_unix();
    let iat = claims
        .get("iat")
        .and_then(Value::as_i64)
        .ok_or(ProofError::Invalid("iat is missing or not an integer"))?;
    if (iat - now).abs() > IAT_WINDOW_SECS {
        return Err(ProofError::Invalid(
            "iat is too far from the server's clock",
        ));
    }
    if let Some(at) = access_token {
        let want = ath(at);
        if !text("ath").is_some_and(|a| constant_time_eq(a.as_bytes(), want.as_bytes())) {
            return Err(ProofError::Invalid(
                "ath is missing or does not match the access token",
            ));
        }
    }
    if ctx.opts.dpop_nonce {
        let nonce = current_nonce(ctx);
        if !text("nonce").is_some_and(|n| constant_time_eq(n.as_bytes(), nonce.as_bytes())) {
            return Err(ProofError::NeedsNonce);
        }
    }
    let mut seen = lock(&ctx.grants.proof_jtis);
    seen.retain(|_, forget_at| *forget_at > now);
    let key = format!("{jkt}.{jti}");
    if seen.contains_key(&key) {
        return Err(ProofError::Invalid(
            "this DPoP proof was already used (jti)",
        ));
    }
    // a proof older than the window is refused by iat, so its jti can go
    seen.insert(key, now + 2 * IAT_WINDOW_SECS + 1);
    Ok(Some(jkt))
}

fn b64(part: &str) -> Result<Vec<u8>, ProofError> {
    URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| ProofError::Invalid("the proof is not base64url"))
}

fn object(bytes: &[u8]) -> Result<Map<String, Value>, ProofError> {
    match serde_json::from_slice(bytes) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(ProofError::Invalid("the proof is not a JSON object")),
    }
}

/// Verifies the JWS and returns the key's thumbprint and the claims.
fn verify(proof: &str) -> Result<(String, Map<String, Value>), ProofError> {
    if proof.len() > MAX_PROOF_LEN {
        return Err(ProofError::Invalid("the proof is too long"));
    }
    let mut parts = proof.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ProofError::Invalid("the proof is not a compact JWS"));
    };
    let header = object(&b64(h)?)?;
    if header.get("typ").and_then(Value::as_str) != Some("dpop+jwt") {
        return Err(ProofError::Invalid("typ is not dpop+jwt"));
    }
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .filter(|a| ALGORITHMS.contains(a))
        .ok_or(ProofError::Invalid(
            "alg is not one of ES256, EdDSA, RS256, PS256",
        ))?;
    let jwk = match header.get("jwk") {
        Some(Value::Object(m)) => m,
        _ => return Err(ProofError::Invalid("jwk is missing")),
    };
    if PRIVATE_MEMBERS.iter().any(|m| jwk.contains_key(*m)) {
        return Err(ProofError::Invalid("jwk holds private key material"));
    }
    let member = |name: &str| -> Result<Vec<u8>, ProofError> {
        jwk.get(name)
            .and_then(Value::as_str)
            .ok_or(ProofError::Invalid("jwk lacks a member its key type needs"))
            .and_then(b64)
    };
    let signed = &proof[..h.len() + 1 + p.len()];
    let sig = b64(s)?;
    let kty = jwk.get("kty").and_then(Value::as_str);
    let crv = jwk.get("crv").and_then(Value::as_str);
    let bad_sig = |_| ProofError::Invalid("the proof's signature does not verify");
    let members = match (alg, kty, crv) {
        ("ES256", Some("EC"), Some("P-256")) => {
            let (x, y) = (member("x")?, member("y")?);
            if x.len() != 32 || y.len() != 32 {
                return Err(ProofError::Invalid("jwk is not a P-256 point"));
            }
            let point = [&[4u8][..], &x, &y].concat();
            verify_with(&signature::ECDSA_P256_SHA256_FIXED, &point, signed, &sig)
                .map_err(bad_sig)?;
            vec![
                ("crv", "P-256".into()),
                ("kty", "EC".into()),
                ("x", URL_SAFE_NO_PAD.encode(&x)),
                ("y", URL_SAFE_NO_PAD.encode(&y)),
            ]
        }
        ("EdDSA", Some("OKP"), Some("Ed25519")) => {
            let x = member("x")?;
            if x.len() != 32 {
                return Err(ProofError::Invalid("jwk is not an Ed25519 key"));
            }
            verify_with(&signature::ED25519, &x, signed, &sig).map_err(bad_sig)?;
            vec![
                ("crv", "Ed25519".into()),
                ("kty", "OKP".into()),
                ("x", URL_SAFE_NO_PAD.encode(&x)),
            ]
        }
        ("RS256" | "PS256", Some("RSA"), _) => {
            let (n, e) = (member("n")?, member("e")?);
            let params: &signature::RsaParameters = if alg == "PS256" {
                &signature::RSA_PSS_2048_8192_SHA256
            } else {
                &signature::RSA_PKCS1_2048_8192_SHA256
            };
            RsaPublicKeyComponents { n: &n, e: &e }
                .verify(params, signed.as_bytes(), &sig)
                .map_err(bad_sig)?;
            let strip = |v: &[u8]| {
                let i = v.iter().position(|b| *b != 0).unwrap_or(v.len());
                URL_SAFE_NO_PAD.encode(&v[i..])
            };
            vec![("e", strip(&e)), ("kty", "RSA".into()), ("n", strip(&n))]
        }
        _ => return Err(ProofError::Invalid("jwk's key type does not match alg")),
    };
    let claims = object(&b64(p)?)?;
    Ok((crate::jose::thumbprint_of(&members), claims))
}

fn verify_with(
    alg: &'static dyn VerificationAlgorithm,
    public_key: &[u8],
    signed: &str,
    sig: &[u8],
) -> Result<(), aws_lc_rs::error::Unspecified> {
    UnparsedPublicKey::new(alg, public_key).verify(signed.as_bytes(), sig)
}
