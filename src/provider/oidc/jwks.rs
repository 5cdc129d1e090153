//! A provider's signing keys (JWKS), fetched once and reused.
//!
//! A token whose `kid` is not in the cached set triggers **one** refetch,
//! which is how key rotation is picked up without a restart. Refetches are
//! rate-limited ([`DEFAULT_MIN_REFETCH_INTERVAL`] between two refetches),
//! so tokens with forged `kid`s cannot make oauthkit hammer the provider;
//! within the interval an unknown `kid` is simply rejected. The first
//! fetch does not count against the limit: a key rotated just after start
//! is still picked up at once.
//!
//! Keys too weak or of a kind this library does not verify with are kept
//! aside with the reason, so a token signed with one is refused by name
//! ("RSA key of 1024 bits is too weak") rather than with "the signature
//! does not verify": RSA keys below 2048 or above 8192 bits or with an
//! unusable exponent, elliptic curves other than P-256 and P-384 (P-521,
//! secp256k1, ...), OKP curves other than Ed25519, symmetric (`oct`) and
//! unknown key types, and keys whose own `alg` is not a supported
//! signature algorithm for them. Encryption keys (`use: enc`, or
//! `key_ops` without `verify`) are ignored.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use std::str::FromStr;

use crate::provider::jws_algorithm::Algorithm;
use aws_lc_rs::signature::{
    self as sig, EcdsaVerificationAlgorithm, EdDSAParameters, ParsedPublicKey, RsaParameters,
    RsaPublicKeyComponents,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::provider::http::provider_origin;
use crate::provider::http::{Auth, Body, HttpClient, Method};

/// Shortest time between two JWKS fetches caused by unknown `kid`s:
/// 60 seconds (one refetch per minute, as openfga and others settled on).
pub const DEFAULT_MIN_REFETCH_INTERVAL: Duration = Duration::from_secs(60);
/// How long a fetched key set is used before it is fetched again: 24
/// hours. Rotation does not need it (an unknown `kid` refetches); it makes
/// a key the provider withdrew stop verifying within a day.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(24 * 3600);

/// Smallest RSA modulus accepted, in bits (NIST SP 800-131A).
pub const MIN_RSA_BITS: usize = 2048;
/// Largest RSA modulus accepted, in bits (what aws-lc-rs verifies; larger
/// keys only cost time).
pub const MAX_RSA_BITS: usize = 8192;

/// What the header's `alg` needs from a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyType {
    Rsa,
    EcP256,
    EcP384,
    Ed25519,
}

impl KeyType {
    fn describe(self) -> &'static str {
        match self {
            KeyType::Rsa => "an RSA key",
            KeyType::EcP256 => "a P-256 key",
            KeyType::EcP384 => "a P-384 key",
            KeyType::Ed25519 => "an Ed25519 key",
        }
    }
}

fn key_type_for(alg: Algorithm) -> Option<KeyType> {
    use Algorithm::*;
    match alg {
        RS256 | RS384 | RS512 | PS256 | PS384 | PS512 => Some(KeyType::Rsa),
        ES256 => Some(KeyType::EcP256),
        ES384 => Some(KeyType::EcP384),
        EdDSA => Some(KeyType::Ed25519),
        _ => None,
    }
}

struct CachedKey {
    kid: Option<String>,
    key_type: KeyType,
    alg: Option<String>,
    /// The key parsed by aws-lc-rs for each algorithm it may verify.
    verifiers: Vec<(Algorithm, Arc<ParsedPublicKey>)>,
}

/// A JWKS entry this library refuses to verify with, and why.
struct Refused {
    kid: Option<String>,
    reason: String,
}

/// A fetched key set: the usable keys and the refused ones.
struct KeySet {
    usable: Vec<CachedKey>,
    refused: Vec<Refused>,
}

#[derive(Default)]
struct State {
    keys: Option<Arc<KeySet>>,
    /// When `keys` were fetched.
    fetched_at: Option<Instant>,
    /// When an unknown `kid` last caused a refetch.
    last_refetch: Option<Instant>,
}

/// The JWKS of one provider, cached.
///
/// ```no_run
/// use oauthkit::unversioned::provider::http::{HttpClient, HttpConfig};
/// use oauthkit::unversioned::provider::jwks::JwksCache;
/// use oauthkit::unversioned::provider::Algorithm;
/// let jwks = JwksCache::new(HttpClient::new(HttpConfig::default()), "https://idp.example/jwks");
/// let key = jwks.key_for(Some("key-1"), Algorithm::RS256)?;
/// # Ok::<(), oauthkit::Error>(())
/// ```
pub struct JwksCache {
    http: HttpClient,
    uri: String,
    min_refetch_interval: Duration,
    max_age: Duration,
    state: Mutex<State>,
    fetches: AtomicUsize,
}

impl std::fmt::Debug for JwksCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwksCache")
            .field("uri", &self.uri)
            .field("min_refetch_interval", &self.min_refetch_interval)
            .field("fetches", &self.fetch_count())
            .finish()
    }
}

impl JwksCache {
    /// A cache for the JWKS at `uri`; nothing is fetched until a key is
    /// needed.
    pub fn new(http: HttpClient, uri: impl Into<String>) -> Self {
        JwksCache {
            http,
            uri: uri.into(),
            min_refetch_interval: DEFAULT_MIN_REFETCH_INTERVAL,
            max_age: DEFAULT_MAX_AGE,
            state: Mutex::new(State::default()),
            fetches: AtomicUsize::new(0),
        }
    }

    /// Sets the shortest time between refetches (tests use short ones).
    pub fn min_refetch_interval(mut self, interval: Duration) -> Self {
        self.min_refetch_interval = interval;
        self
    }

    /// Sets how long a fetched key set is used before it is fetched again.
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// The JWKS URI.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// How many times the JWKS was fetched.
    pub fn fetch_count(&self) -> usize {
        self.fetches.load(Ordering::Relaxed)
    }

    /// The verification key for a token signed with `alg` under `kid`.
    ///
    /// Only asymmetric signing keys are considered (`use` absent or
    /// `sig`; `kty` RSA, EC or OKP matching `alg`; the key's own `alg`, if
    /// any, equal to `alg`). A token without `kid` is accepted only when
    /// exactly one key fits. An unknown `kid` refetches once (at most one
    /// refetch per interval), then is rejected. A key set older than its
    /// maximum age is fetched again first.
    ///
    /// # Errors
    ///
    /// [`Error::IdToken`] when `alg` is symmetric, no key fits `kid` and `alg`
    /// (after the one refetch allowed, or when a refetch is rate-limited), or
    /// a token without `kid` fits several keys; [`Error::Http`] when the JWKS
    /// cannot be fetched or is not a key set; [`Error::InvalidArgument`] when
    /// the JWKS URL is not `https` (or `http` to loopback).
    ///
    /// The key comes parsed by aws-lc-rs for `alg` (once per fetch, so a
    /// validation costs one signature check, not a key parse too):
    /// [`ParsedPublicKey::verify_sig`] checks a signature.
    pub fn key_for(&self, kid: Option<&str>, alg: Algorithm) -> Result<Arc<ParsedPublicKey>> {
        self.find(kid, alg, |k| {
            k.verifiers
                .iter()
                .find(|(a, _)| *a == alg)
                .map(|(_, v)| v.clone())
        })?
        .ok_or_else(|| Error::id_token(format!("the signing key cannot verify {alg:?} signatures")))
    }

    fn find<T>(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
        get: impl Fn(&CachedKey) -> T,
    ) -> Result<T> {
        let Some(key_type) = key_type_for(alg) else {
            return Err(Error::id_token(format!(
                "{alg:?} is symmetric; keys from a JWKS are never used for HMAC"
            )));
        };
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let fresh =
            state.keys.is_none() || state.fetched_at.is_none_or(|t| t.elapsed() >= self.max_age);
        if fresh {
            self.fetch_into(&mut state)?;
        }
        // read under the lock, without taking a reference to the key set
        match pick(state.keys.as_deref().expect("fetched"), kid, alg, key_type) {
            Ok(k) => return Ok(get(k)),
            Err(Miss::Unknown(note)) if fresh => {
                return Err(unknown(kid, &format!("not in the JWKS just fetched{note}")));
            }
            Err(Miss::Unknown(_)) => {}
            Err(Miss::Fatal(e)) => return Err(e),
        }
        let may_refetch = state
            .last_refetch
            .is_none_or(|t| t.elapsed() >= self.min_refetch_interval);
        if !may_refetch {
            log::warn!(
                "JWKS at {}: a token's signing key is not in the key set; not refetching \
                 (rate limit: one refetch per {:?})",
                provider_origin(&self.http, &self.uri),
                self.min_refetch_interval
            );
            return Err(unknown(
                kid,
                "the JWKS was refetched too recently to refetch",
            ));
        }
        state.last_refetch = Some(Instant::now());
        log::info!(
            "JWKS at {}: a token's signing key is not in the key set; refetching (key rotation)",
            provider_origin(&self.http, &self.uri)
        );
        self.fetch_into(&mut state)?;
        match pick(state.keys.as_deref().expect("fetched"), kid, alg, key_type) {
            Ok(k) => Ok(get(k)),
            Err(Miss::Unknown(note)) => Err(unknown(
                kid,
                &format!("not in the JWKS even after refetching it{note}"),
            )),
            Err(Miss::Fatal(e)) => Err(e),
        }
    }

    fn fetch_into(&self, state: &mut State) -> Result<()> {
        log::debug!(
            "JWKS at {}: fetching",
            provider_origin(&self.http, &self.uri)
        );
        // Only the kind is logged: the error's text may hold provider text
        // echoing secrets of the calling operation, which only that
        // operation's scrubbing knows; the caller gets the whole error.
        self.fetch_unlogged(state).inspect_err(|e| {
            log::warn!(
                "JWKS at {}: fetch failed ({:?}; the caller gets the details)",
                provider_origin(&self.http, &self.uri),
                e.kind()
            )
        })
    }

    fn fetch_unlogged(&self, state: &mut State) -> Result<()> {
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let r = self
            .http
            .request("jwks", Method::Get, &self.uri, Body::Empty, Auth::None, &[])?;
        if !r.is_success() {
            return Err(Error::Http {
                endpoint: "jwks".into(),
                message: format!("{} answered HTTP {}", self.uri, r.status),
                source: None,
            });
        }
        let doc = r.json("jwks")?;
        let Some(Value::Array(entries)) = doc.get("keys") else {
            return Err(Error::Http {
                endpoint: "jwks".into(),
                message: "JWKS document has no \"keys\" array".into(),
                source: None,
            });
        };
        let mut set = KeySet {
            usable: Vec::new(),
            refused: Vec::new(),
        };
        for entry in entries {
            match parse_key(entry) {
                Parsed::Usable(k) => set.usable.push(k),
                Parsed::Refused(r) => set.refused.push(r),
                Parsed::NotForSigning => {}
            }
        }
        log::info!(
            "JWKS at {}: fetched, {} usable signing key(s), {} refused",
            provider_origin(&self.http, &self.uri),
            set.usable.len(),
            set.refused.len()
        );
        state.keys = Some(Arc::new(set));
        state.fetched_at = Some(Instant::now());
        Ok(())
    }
}

enum Parsed {
    Usable(CachedKey),
    Refused(Refused),
    /// An encryption key: not a candidate, not an error.
    NotForSigning,
}

/// One JWKS entry: a usable signing key, a refused one (with the reason),
/// or an encryption key.
fn parse_key(entry: &Value) -> Parsed {
    let kid = entry.get("kid").and_then(Value::as_str).map(str::to_owned);
    let use_ = entry.get("use").and_then(Value::as_str);
    if use_.is_some_and(|u| u != "sig") {
        return Parsed::NotForSigning;
    }
    if let Some(Value::Array(ops)) = entry.get("key_ops") {
        if !ops.iter().any(|o| o == "verify") {
            return Parsed::NotForSigning;
        }
    }
    match check_key(entry) {
        Ok((key_type, verifiers)) => Parsed::Usable(CachedKey {
            kid,
            key_type,
            alg: entry.get("alg").and_then(Value::as_str).map(str::to_owned),
            verifiers,
        }),
        Err(reason) => Parsed::Refused(Refused { kid, reason }),
    }
}

/// The key's type and its parsed keys, or why it is refused.
type Checked = (KeyType, Vec<(Algorithm, Arc<ParsedPublicKey>)>);

fn check_key(entry: &Value) -> std::result::Result<Checked, String> {
    let field = |name: &str| entry.get(name).and_then(Value::as_str);
    let bytes = |name: &str| -> std::result::Result<Vec<u8>, String> {
        let v = field(name).ok_or_else(|| format!("the key has no '{name}'"))?;
        URL_SAFE_NO_PAD
            .decode(v.trim_end_matches('='))
            .map_err(|_| format!("the key's '{name}' is not base64url"))
    };
    let shown = |s: &str| s.chars().take(40).collect::<String>();
    let key_type = match field("kty") {
        Some("RSA") => {
            let n = bytes("n")?;
            let bits = bit_length(&n);
            if bits < MIN_RSA_BITS {
                return Err(format!(
                    "RSA key of {bits} bits is too weak (at least {MIN_RSA_BITS} bits are required)"
                ));
            }
            if bits > MAX_RSA_BITS {
                return Err(format!(
                    "RSA key of {bits} bits is larger than the {MAX_RSA_BITS}-bit maximum"
                ));
            }
            let e = bytes("e")?;
            let e_bits = bit_length(&e);
            let odd = e.last().is_some_and(|b| b & 1 == 1);
            if !odd || !(2..=33).contains(&e_bits) {
                return Err(
                    "RSA public exponent is unusable (it must be odd, at least 3 and below 2^33)"
                        .into(),
                );
            }
            KeyType::Rsa
        }
        Some("EC") => {
            let (kt, len) = match field("crv") {
                Some("P-256") => (KeyType::EcP256, 32),
                Some("P-384") => (KeyType::EcP384, 48),
                Some(other) => {
                    return Err(format!(
                        "elliptic curve '{}' is not supported (P-256 for ES256, P-384 for ES384)",
                        shown(other)
                    ))
                }
                None => return Err("the EC key has no crv".into()),
            };
            if bytes("x")?.len() != len || bytes("y")?.len() != len {
                return Err("the EC key's coordinates do not fit its curve".into());
            }
            kt
        }
        Some("OKP") => match field("crv") {
            Some("Ed25519") => KeyType::Ed25519,
            Some(other) => {
                return Err(format!(
                    "OKP curve '{}' is not supported (Ed25519 for EdDSA)",
                    shown(other)
                ))
            }
            None => return Err("the OKP key has no crv".into()),
        },
        Some("oct") => return Err(
            "a symmetric (oct) key: ID tokens are verified with the provider's public keys only"
                .into(),
        ),
        Some(other) => {
            return Err(format!(
                "key type '{}' is not supported (RSA, EC, OKP)",
                shown(other)
            ))
        }
        None => return Err("the key has no kty".into()),
    };
    if let Some(alg) = field("alg") {
        let fits = Algorithm::from_str(alg)
            .ok()
            .and_then(key_type_for)
            .is_some_and(|t| t == key_type);
        if !fits {
            return Err(format!(
                "the key's alg '{}' is not a supported signature algorithm for {}",
                shown(alg),
                key_type.describe()
            ));
        }
    }
    let own_alg = field("alg").and_then(|a| Algorithm::from_str(a).ok());
    let unusable = |_| "the key data is unusable".to_owned();
    let mut verifiers = Vec::new();
    for (alg, params) in verification_algorithms(key_type) {
        if own_alg.is_some_and(|a| a != alg) {
            continue;
        }
        let parsed = match params {
            Params::Rsa(p) => {
                let (n, e) = (bytes("n")?, bytes("e")?);
                let strip =
                    |b: &[u8]| b[b.iter().position(|x| *x != 0).unwrap_or(b.len())..].to_vec();
                RsaPublicKeyComponents {
                    n: strip(&n),
                    e: strip(&e),
                }
                .to_parsed_public_key(p)
                .map_err(unusable)?
            }
            Params::Ec(p) => {
                let mut point = vec![4u8];
                point.extend(bytes("x")?);
                point.extend(bytes("y")?);
                ParsedPublicKey::new(p, point).map_err(unusable)?
            }
            Params::Ed(p) => ParsedPublicKey::new(p, bytes("x")?).map_err(unusable)?,
        };
        verifiers.push((alg, Arc::new(parsed)));
    }
    Ok((key_type, verifiers))
}

enum Params {
    Rsa(&'static RsaParameters),
    Ec(&'static EcdsaVerificationAlgorithm),
    Ed(&'static EdDSAParameters),
}

/// The algorithms a key type verifies, with aws-lc-rs's parameters.
fn verification_algorithms(t: KeyType) -> Vec<(Algorithm, Params)> {
    use Algorithm::*;
    match t {
        KeyType::Rsa => vec![
            (RS256, Params::Rsa(&sig::RSA_PKCS1_2048_8192_SHA256)),
            (RS384, Params::Rsa(&sig::RSA_PKCS1_2048_8192_SHA384)),
            (RS512, Params::Rsa(&sig::RSA_PKCS1_2048_8192_SHA512)),
            (PS256, Params::Rsa(&sig::RSA_PSS_2048_8192_SHA256)),
            (PS384, Params::Rsa(&sig::RSA_PSS_2048_8192_SHA384)),
            (PS512, Params::Rsa(&sig::RSA_PSS_2048_8192_SHA512)),
        ],
        KeyType::EcP256 => vec![(ES256, Params::Ec(&sig::ECDSA_P256_SHA256_FIXED))],
        KeyType::EcP384 => vec![(ES384, Params::Ec(&sig::ECDSA_P384_SHA384_FIXED))],
        KeyType::Ed25519 => vec![(EdDSA, Params::Ed(&sig::ED25519))],
    }
}

/// Bits of a big-endian unsigned integer (leading zero bytes ignored).
fn bit_length(be: &[u8]) -> usize {
    match be.iter().position(|b| *b != 0) {
        Some(i) => (be.len() - i - 1) * 8 + (8 - be[i].leading_zeros() as usize),
        None => 0,
    }
}

enum Miss {
    /// No fitting key; the text says which keys were refused, if any.
    Unknown(String),
    Fatal(Error),
}

fn pick<'a>(
    keys: &'a KeySet,
    kid: Option<&str>,
    alg: Algorithm,
    key_type: KeyType,
) -> Result<&'a CachedKey, Miss> {
    let alg_name = alg.as_str();
    let fits =
        |k: &&CachedKey| k.key_type == key_type && k.alg.as_deref().is_none_or(|a| a == alg_name);
    let refused = |r: &Refused| match &r.kid {
        Some(kid) => format!("key '{}' {}", clip_kid(kid), r.reason),
        None => format!("a key without kid: {}", r.reason),
    };
    match kid {
        Some(kid) => {
            let Some(k) = keys.usable.iter().find(|k| k.kid.as_deref() == Some(kid)) else {
                if let Some(r) = keys.refused.iter().find(|r| r.kid.as_deref() == Some(kid)) {
                    return Err(Miss::Fatal(Error::id_token(format!(
                        "the signing key is refused: {}",
                        refused(r)
                    ))));
                }
                return Err(Miss::Unknown(String::new()));
            };
            if !fits(&k) {
                return Err(Miss::Fatal(Error::id_token(format!(
                    "key '{}' cannot verify {alg_name} signatures (it is {}{})",
                    clip_kid(kid),
                    k.key_type.describe(),
                    k.alg
                        .as_deref()
                        .map(|a| format!(" for {}", clip_kid(a)))
                        .unwrap_or_default()
                ))));
            }
            Ok(k)
        }
        None => {
            let candidates: Vec<_> = keys.usable.iter().filter(fits).collect();
            match candidates.as_slice() {
                [only] => Ok(only),
                [] => {
                    let reasons: Vec<String> = keys.refused.iter().take(3).map(refused).collect();
                    Err(Miss::Unknown(if reasons.is_empty() {
                        String::new()
                    } else {
                        format!("; keys refused: {}", reasons.join("; "))
                    }))
                }
                many => Err(Miss::Fatal(Error::id_token(format!(
                    "the token has no kid and {} keys could verify {alg_name}",
                    many.len()
                )))),
            }
        }
    }
}

fn clip_kid(kid: &str) -> String {
    kid.chars().take(64).collect()
}

fn unknown(kid: Option<&str>, why: &str) -> Error {
    match kid {
        Some(kid) => {
            let kid: String = kid.chars().take(64).collect();
            Error::id_token(format!("unknown signing key id '{kid}': {why}"))
        }
        None => Error::id_token(format!("no signing key for the token: {why}")),
    }
}
