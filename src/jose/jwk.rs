//! JSON Web Keys (RFC 7517) of a [`KeyPair`]: reading a private JWK, the
//! public key's required members (RFC 7638 §3.2) and the one thumbprint
//! function (RFC 7638 §3).

use aws_lc_rs::rsa::{KeyPairComponents, PublicKeyComponents};
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RsaKeyPair};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use super::key::{rejected, KeyPair};
use super::SigningAlgorithm;
use crate::digest::sha256;
use crate::error::{Error, Result};

/// The public key's required JWK members (RFC 7638 §3.2), in
/// lexicographic order. Every value is base64url or a fixed name, so the
/// members need no JSON escaping.
pub(super) fn required_members(pair: &KeyPair) -> Result<Vec<(&'static str, String)>> {
    let b64 = |b: &[u8]| URL_SAFE_NO_PAD.encode(b);
    Ok(match pair {
        KeyPair::Rsa(k) => {
            let p = k.public_key();
            vec![
                ("e", b64(p.exponent().big_endian_without_leading_zero())),
                ("kty", "RSA".into()),
                ("n", b64(p.modulus().big_endian_without_leading_zero())),
            ]
        }
        KeyPair::Ec(k) => {
            let point = k.public_key().as_ref();
            if point.len() != 65 || point[0] != 4 {
                return Err(Error::Internal(
                    "unexpected P-256 public key encoding".into(),
                ));
            }
            vec![
                ("crv", "P-256".into()),
                ("kty", "EC".into()),
                ("x", b64(&point[1..33])),
                ("y", b64(&point[33..65])),
            ]
        }
        KeyPair::Ed(k) => vec![
            ("crv", "Ed25519".into()),
            ("kty", "OKP".into()),
            ("x", b64(k.public_key().as_ref())),
        ],
    })
}

/// The members as compact JSON: the RFC 7638 thumbprint input, and the
/// `jwk` of a DPoP proof's header.
pub(super) fn canonical(members: &[(&str, String)]) -> String {
    let body: Vec<String> = members
        .iter()
        .map(|(name, value)| format!(r#""{name}":"{value}""#))
        .collect();
    format!("{{{}}}", body.join(","))
}

/// The RFC 7638 JWK SHA-256 thumbprint of `canonical` (what [`canonical`]
/// returned), base64url.
pub(super) fn thumbprint(canonical: &str) -> String {
    URL_SAFE_NO_PAD.encode(sha256(canonical.as_bytes()))
}

/// The RFC 7638 thumbprint of any public key given by its required
/// members (RFC 7638 §3.2, in lexicographic order, base64url or fixed
/// values): what a server (the dev provider) binds a proof's `jwk` by.
#[cfg_attr(not(feature = "dev-provider"), allow(dead_code))]
pub(crate) fn thumbprint_of(members: &[(&str, String)]) -> String {
    thumbprint(&canonical(members))
}

/// The members as a JSON object.
pub(super) fn object(members: &[(&'static str, String)]) -> Map<String, Value> {
    members
        .iter()
        .map(|(name, value)| ((*name).to_owned(), Value::String(value.clone())))
        .collect()
}

/// A private JWK read: its `alg` (when given), key pair and `kid`.
pub(super) struct PrivateJwk {
    pub(super) alg: Option<SigningAlgorithm>,
    pub(super) pair: KeyPair,
    pub(super) kid: Option<String>,
}

/// Reads a private JWK (`kty` RSA with `n e d p q dp dq qi`, EC P-256
/// with `x y d`, OKP Ed25519 with `x d`); no error quotes key material.
pub(super) fn read_private(jwk: &str) -> Result<PrivateJwk> {
    let v: Value = serde_json::from_str(jwk)
        .map_err(|_| Error::InvalidArgument("the JWK is not a JSON object".into()))?;
    let Some(obj) = v.as_object() else {
        return Err(Error::InvalidArgument(
            "the JWK is not a JSON object".into(),
        ));
    };
    let member = |name: &str| -> Result<Zeroizing<Vec<u8>>> {
        let s = obj
            .get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| Error::InvalidArgument(format!("the JWK has no '{name}' member")))?;
        URL_SAFE_NO_PAD
            .decode(s.trim_end_matches('='))
            .map(Zeroizing::new)
            .map_err(|_| Error::InvalidArgument(format!("the JWK's '{name}' is not base64url")))
    };
    let curve = |want: &str, why: &str| {
        if obj.get("crv").and_then(Value::as_str) == Some(want) {
            Ok(())
        } else {
            Err(Error::InvalidArgument(why.into()))
        }
    };
    let alg = match obj.get("alg").and_then(Value::as_str) {
        Some(a) => Some(a.parse::<SigningAlgorithm>()?),
        None => None,
    };
    let reject = |e: aws_lc_rs::error::KeyRejected| rejected("JWK", e);
    let pair = match obj.get("kty").and_then(Value::as_str).unwrap_or_default() {
        "RSA" => {
            let (n, e, d) = (member("n")?, member("e")?, member("d")?);
            let (p, q) = (member("p")?, member("q")?);
            let (dp, dq, qi) = (member("dp")?, member("dq")?, member("qi")?);
            let components = KeyPairComponents {
                public_key: PublicKeyComponents {
                    n: n.as_slice(),
                    e: e.as_slice(),
                },
                d: d.as_slice(),
                p: p.as_slice(),
                q: q.as_slice(),
                dP: dp.as_slice(),
                dQ: dq.as_slice(),
                qInv: qi.as_slice(),
            };
            KeyPair::Rsa(RsaKeyPair::from_components(&components).map_err(reject)?)
        }
        "EC" => {
            curve("P-256", "only P-256 EC keys are supported (ES256)")?;
            let (x, y, d) = (member("x")?, member("y")?, member("d")?);
            let mut point = vec![4u8];
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            KeyPair::Ec(
                EcdsaKeyPair::from_private_key_and_public_key(
                    &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                    &d,
                    &point,
                )
                .map_err(reject)?,
            )
        }
        "OKP" => {
            curve("Ed25519", "only Ed25519 OKP keys are supported (EdDSA)")?;
            let (x, d) = (member("x")?, member("d")?);
            KeyPair::Ed(Ed25519KeyPair::from_seed_and_public_key(&d, &x).map_err(reject)?)
        }
        other => {
            return Err(Error::InvalidArgument(format!(
                "JWK key type '{}' is not supported (RSA, EC, OKP)",
                other.chars().take(10).collect::<String>()
            )))
        }
    };
    Ok(PrivateJwk {
        alg,
        pair,
        kid: obj.get("kid").and_then(Value::as_str).map(str::to_owned),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbprint_matches_rfc7638_example() {
        // RFC 7638 §3.1's key and thumbprint.
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        let members = [("e", "AQAB".into()), ("kty", "RSA".into()), ("n", n.into())];
        let text = canonical(&members);
        assert_eq!(thumbprint_of(&members), thumbprint(&text));
        assert_eq!(
            text,
            serde_json::json!({"e": "AQAB", "kty": "RSA", "n": n}).to_string()
        );
        assert_eq!(
            thumbprint(&text),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }
}
