//! A provider's signing keys (JWKS), fetched once and reused.
//!
//! A token whose `kid` is not in the cached set triggers **one** refetch,
//! which is how key rotation is picked up without a restart. Refetches are
//! rate-limited ([`DEFAULT_MIN_REFETCH_INTERVAL`] between two refetches),
//! so tokens with forged `kid`s cannot make oauthkit hammer the provider;
//! within the interval an unknown `kid` is simply rejected. The first
//! fetch does not count against the limit: a key rotated just after start
//! is still picked up at once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::provider::http::{Auth, Body, HttpClient, Method};

/// Shortest time between two JWKS fetches caused by unknown `kid`s:
/// 60 seconds (one refetch per minute, as openfga and others settled on).
pub const DEFAULT_MIN_REFETCH_INTERVAL: Duration = Duration::from_secs(60);
/// How long a fetched key set is used before it is fetched again: 24
/// hours. Rotation does not need it (an unknown `kid` refetches); it makes
/// a key the provider withdrew stop verifying within a day.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(24 * 3600);

/// What the header's `alg` needs from a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyType {
    Rsa,
    Ec,
    Okp,
}

fn key_type_for(alg: Algorithm) -> Option<KeyType> {
    use Algorithm::*;
    match alg {
        RS256 | RS384 | RS512 | PS256 | PS384 | PS512 => Some(KeyType::Rsa),
        ES256 | ES384 => Some(KeyType::Ec),
        EdDSA => Some(KeyType::Okp),
        _ => None,
    }
}

struct CachedKey {
    kid: Option<String>,
    key_type: KeyType,
    alg: Option<String>,
    key: DecodingKey,
}

#[derive(Default)]
struct State {
    keys: Option<Arc<Vec<CachedKey>>>,
    /// When `keys` were fetched.
    fetched_at: Option<Instant>,
    /// When an unknown `kid` last caused a refetch.
    last_refetch: Option<Instant>,
}

/// The JWKS of one provider, cached.
///
/// ```no_run
/// use oauthkit::provider::http::{HttpClient, HttpConfig};
/// use oauthkit::provider::jwks::JwksCache;
/// let jwks = JwksCache::new(HttpClient::new(HttpConfig::default()), "https://idp.example/jwks");
/// let key = jwks.key_for(Some("key-1"), jsonwebtoken::Algorithm::RS256)?;
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
    pub fn new(http: HttpClient, uri: &str) -> Self {
        JwksCache {
            http,
            uri: uri.to_owned(),
            min_refetch_interval: DEFAULT_MIN_REFETCH_INTERVAL,
            max_age: DEFAULT_MAX_AGE,
            state: Mutex::new(State::default()),
            fetches: AtomicUsize::new(0),
        }
    }

    /// Sets the shortest time between refetches (tests use short ones).
    pub fn with_min_refetch_interval(mut self, interval: Duration) -> Self {
        self.min_refetch_interval = interval;
        self
    }

    /// Sets how long a fetched key set is used before it is fetched again.
    pub fn with_max_age(mut self, max_age: Duration) -> Self {
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
    pub fn key_for(&self, kid: Option<&str>, alg: Algorithm) -> Result<DecodingKey> {
        let Some(key_type) = key_type_for(alg) else {
            return Err(Error::IdToken(
                format!("{alg:?} is symmetric; keys from a JWKS are never used for HMAC").into(),
            ));
        };
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let fresh =
            state.keys.is_none() || state.fetched_at.is_none_or(|t| t.elapsed() >= self.max_age);
        if fresh {
            self.fetch_into(&mut state)?;
        }
        match pick(state.keys.as_deref().expect("fetched"), kid, alg, key_type) {
            Ok(k) => return Ok(k),
            Err(Miss::Unknown) if fresh => {
                return Err(unknown(kid, "not in the JWKS just fetched"));
            }
            Err(Miss::Unknown) => {}
            Err(Miss::Fatal(e)) => return Err(e),
        }
        let may_refetch = state
            .last_refetch
            .is_none_or(|t| t.elapsed() >= self.min_refetch_interval);
        if !may_refetch {
            return Err(unknown(
                kid,
                "the JWKS was refetched too recently to refetch",
            ));
        }
        state.last_refetch = Some(Instant::now());
        self.fetch_into(&mut state)?;
        match pick(state.keys.as_deref().expect("fetched"), kid, alg, key_type) {
            Ok(k) => Ok(k),
            Err(Miss::Unknown) => Err(unknown(kid, "not in the JWKS even after refetching it")),
            Err(Miss::Fatal(e)) => Err(e),
        }
    }

    fn fetch_into(&self, state: &mut State) -> Result<()> {
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
        let keys = entries.iter().filter_map(parse_key).collect();
        state.keys = Some(Arc::new(keys));
        state.fetched_at = Some(Instant::now());
        Ok(())
    }
}

/// One JWKS entry, or `None` when it is not an asymmetric signing key this
/// library can use (unknown `kty`, `use: enc`, symmetric `oct`, bad data).
fn parse_key(entry: &Value) -> Option<CachedKey> {
    let jwk: Jwk = serde_json::from_value(entry.clone()).ok()?;
    if matches!(
        jwk.common.public_key_use,
        Some(PublicKeyUse::Encryption) | Some(PublicKeyUse::Other(_))
    ) {
        return None;
    }
    let key_type = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => KeyType::Rsa,
        AlgorithmParameters::EllipticCurve(_) => KeyType::Ec,
        AlgorithmParameters::OctetKeyPair(_) => KeyType::Okp,
        _ => return None,
    };
    let key = DecodingKey::from_jwk(&jwk).ok()?;
    Some(CachedKey {
        kid: jwk.common.key_id.clone(),
        key_type,
        alg: entry.get("alg").and_then(Value::as_str).map(str::to_owned),
        key,
    })
}

enum Miss {
    Unknown,
    Fatal(Error),
}

fn pick(
    keys: &[CachedKey],
    kid: Option<&str>,
    alg: Algorithm,
    key_type: KeyType,
) -> Result<DecodingKey, Miss> {
    let alg_name = format!("{alg:?}");
    let fits =
        |k: &&CachedKey| k.key_type == key_type && k.alg.as_deref().is_none_or(|a| a == alg_name);
    match kid {
        Some(kid) => {
            let Some(k) = keys.iter().find(|k| k.kid.as_deref() == Some(kid)) else {
                return Err(Miss::Unknown);
            };
            if !fits(&k) {
                return Err(Miss::Fatal(Error::IdToken(
                    format!("key '{kid}' cannot verify {alg_name} signatures").into(),
                )));
            }
            Ok(k.key.clone())
        }
        None => {
            let candidates: Vec<_> = keys.iter().filter(fits).collect();
            match candidates.as_slice() {
                [only] => Ok(only.key.clone()),
                [] => Err(Miss::Unknown),
                many => Err(Miss::Fatal(Error::IdToken(
                    format!(
                        "the token has no kid and {} keys could verify {alg_name}",
                        many.len()
                    )
                    .into(),
                ))),
            }
        }
    }
}

fn unknown(kid: Option<&str>, why: &str) -> Error {
    match kid {
        Some(kid) => {
            let kid: String = kid.chars().take(64).collect();
            Error::IdToken(format!("unknown signing key id '{kid}': {why}").into())
        }
        None => Error::IdToken(format!("no signing key for the token: {why}").into()),
    }
}
