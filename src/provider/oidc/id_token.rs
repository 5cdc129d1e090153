//! ID-token validation (OpenID Connect Core §3.1.3.7 and §3.1.3.8).
//!
//! In order: the header's `alg` must be on the allow-list (never `none`,
//! never HS* since the provider's keys are public), the key comes from the
//! provider's JWKS by `kid` only, the signature must verify, then `iss`,
//! `aud` (contains the client id; other audiences only if trusted), `azp`
//! (required with several audiences, must be a string equal to the client
//! id when present), `exp`, `nbf` and `iat` with a clock-skew leeway, `nonce`
//! (constant-time) and `at_hash` when present.

use std::borrow::Cow;
use std::str::FromStr;
use std::sync::OnceLock;
use std::time::Duration;

use crate::digest::{sha256, sha384, sha512};
use crate::provider::jws_algorithm::Algorithm;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::{DecodeSliceError, Engine};
use serde::Deserialize as _;
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::provider::oidc::jwks::JwksCache;
use crate::secret::constant_time_eq;
use crate::token::now_unix;

/// Default clock-skew leeway for `exp`, `nbf` and `iat`: 60 seconds.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(60);
/// Default oldest acceptable `iat`: 24 hours. ID tokens are validated as
/// they arrive, so an older one is a replay.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(24 * 3600);

/// The `{tenantid}` placeholder of Microsoft's multi-tenant issuers.
pub const TENANT_PLACEHOLDER: &str = "{tenantid}";

/// Which `iss` values are acceptable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpectedIssuer {
    /// Exactly this string.
    Exact(String),
    /// A template containing `{tenantid}` (Microsoft's `common`,
    /// `organizations` and `consumers` endpoints): `iss` must equal the
    /// template with `{tenantid}` replaced by the token's `tid` claim.
    /// With `tenant` set, `tid` must also equal it.
    TenantTemplate {
        /// e.g. `https://login.microsoftonline.com/{tenantid}/v2.0`.
        template: String,
        /// A tenant the token must belong to, when restricted.
        tenant: Option<String>,
    },
}

impl ExpectedIssuer {
    /// Whether `iss` is acceptable for a token whose `tid` claim is `tid`.
    ///
    /// ```
    /// use oauthkit::unversioned::provider::id_token::ExpectedIssuer;
    /// let t = ExpectedIssuer::TenantTemplate {
    ///     template: "https://login.microsoftonline.com/{tenantid}/v2.0".into(),
    ///     tenant: None,
    /// };
    /// assert!(t.matches("https://login.microsoftonline.com/abc/v2.0", Some("abc")));
    /// assert!(!t.matches("https://login.microsoftonline.com/abc/v2.0", Some("xyz")));
    /// assert!(!t.matches("https://evil.example/abc/v2.0", Some("abc")));
    /// ```
    pub fn matches(&self, iss: &str, tid: Option<&str>) -> bool {
        match self {
            ExpectedIssuer::Exact(e) => e == iss,
            ExpectedIssuer::TenantTemplate { template, tenant } => {
                let Some(tid) = tid.filter(|t| is_tenant_id(t)) else {
                    return false;
                };
                if tenant.as_deref().is_some_and(|want| want != tid) {
                    return false;
                }
                template.replace(TENANT_PLACEHOLDER, tid) == iss
            }
        }
    }

    /// A description for error messages.
    pub fn describe(&self) -> &str {
        match self {
            ExpectedIssuer::Exact(e) => e,
            ExpectedIssuer::TenantTemplate { template, .. } => template,
        }
    }
}

fn is_tenant_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
}

/// Knobs of ID-token validation.
///
/// ```
/// use oauthkit::unversioned::provider::id_token::IdTokenSettings;
/// let s = IdTokenSettings::default();
/// assert_eq!(s.leeway.as_secs(), 60);
/// assert!(s.allowed_algorithms.is_none()); // from discovery, else RS256
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdTokenSettings {
    /// Clock-skew leeway for `exp`, `nbf` and `iat`.
    pub leeway: Duration,
    /// Oldest acceptable `iat` (plus leeway); `None` accepts any age.
    pub max_age: Option<Duration>,
    /// The accepted `alg` values. `None` takes the provider's
    /// `id_token_signing_alg_values_supported`, or RS256 without one.
    /// `none` and HS* are refused whatever this says.
    pub allowed_algorithms: Option<Vec<String>>,
    /// Audiences besides the client id that may appear in `aud`
    /// (some providers add a project id). Any other extra audience is
    /// refused.
    pub trusted_audiences: Vec<String>,
    /// Other spellings of the issuer that tokens may carry in `iss`
    /// (Google: `accounts.google.com` besides `https://accounts.google.com`).
    pub additional_issuers: Vec<String>,
}

impl Default for IdTokenSettings {
    fn default() -> Self {
        IdTokenSettings {
            leeway: DEFAULT_LEEWAY,
            max_age: Some(DEFAULT_MAX_AGE),
            allowed_algorithms: None,
            trusted_audiences: Vec::new(),
            additional_issuers: Vec::new(),
        }
    }
}

/// What the caller expects of one token.
#[derive(Debug, Clone, Copy, Default)]
pub struct Expected<'a> {
    /// The nonce sent in the authorization request; when set, the token
    /// must carry an equal `nonce`.
    pub nonce: Option<&'a str>,
    /// The access token issued with the ID token, to check `at_hash`.
    pub access_token: Option<&'a str>,
}

/// The claims of a validated ID token.
///
/// Validation reads only the claims it checks; the whole claim set is
/// parsed from the payload text on the first call of
/// [`claims`](Self::claims) (the payload was checked to be a JSON object
/// that parses, so this cannot fail later).
///
/// ```
/// use oauthkit::unversioned::provider::id_token::IdTokenClaims;
/// fn greet(c: &IdTokenClaims) -> String {
///     let name = c.claims().get("name").and_then(|v| v.as_str()).unwrap_or(&c.sub);
///     format!("hello {name}, signed in at {}", c.iss())
/// }
/// ```
pub struct IdTokenClaims {
    /// The subject (`sub`): the user's stable id at the provider.
    pub sub: String,
    /// `iss` as validated.
    iss: Span,
    /// The payload's JSON text, as signed.
    payload: String,
    /// Every claim, parsed from `payload` on first use.
    claims: OnceLock<Map<String, Value>>,
}

/// A validated string claim: where it is in the payload text, or its
/// decoded text when it was written with escapes.
#[derive(Clone)]
enum Span {
    At(std::ops::Range<usize>),
    Owned(Box<str>),
}

impl Span {
    /// `claim`, which the parse of `payload` produced: borrowed from it
    /// (kept as its place there) or decoded apart (kept as a copy).
    fn of(claim: &str, payload: &str) -> Span {
        let start = (claim.as_ptr() as usize).wrapping_sub(payload.as_ptr() as usize);
        if start <= payload.len() && claim.len() <= payload.len() - start {
            Span::At(start..start + claim.len())
        } else {
            Span::Owned(claim.into())
        }
    }

    fn get<'s>(&'s self, payload: &'s str) -> &'s str {
        match self {
            Span::At(r) => &payload[r.clone()],
            Span::Owned(s) => s,
        }
    }
}

impl IdTokenClaims {
    /// Every claim, as sent (parsed from the payload on the first call).
    pub fn claims(&self) -> &Map<String, Value> {
        self.claims.get_or_init(|| parse_claims(&self.payload))
    }

    /// Every claim, as sent, by value.
    pub fn into_claims(self) -> Map<String, Value> {
        let payload = self.payload;
        self.claims
            .into_inner()
            .unwrap_or_else(|| parse_claims(&payload))
    }

    /// The issuer (`iss`), as validated.
    pub fn iss(&self) -> &str {
        self.iss.get(&self.payload)
    }

    /// The payload's JSON text, exactly as signed.
    pub fn payload_json(&self) -> &str {
        &self.payload
    }
}

/// The claim map of a payload validation accepted.
fn parse_claims(payload: &str) -> Map<String, Value> {
    // validation parsed every member as serde_json does here (see
    // `Checked`), so this parse cannot fail
    serde_json::from_str(payload).expect("a validated ID-token payload is a JSON object")
}

impl Clone for IdTokenClaims {
    fn clone(&self) -> Self {
        IdTokenClaims {
            sub: self.sub.clone(),
            iss: self.iss.clone(),
            payload: self.payload.clone(),
            claims: self.claims.clone(),
        }
    }
}

impl PartialEq for IdTokenClaims {
    fn eq(&self, other: &Self) -> bool {
        self.sub == other.sub && self.claims() == other.claims()
    }
}

impl std::fmt::Debug for IdTokenClaims {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdTokenClaims")
            .field("sub", &self.sub)
            .field("claims", self.claims())
            .finish()
    }
}

/// Validates ID tokens of one provider for one client.
#[derive(Debug, Clone)]
pub struct IdTokenValidator {
    issuer: ExpectedIssuer,
    client_id: String,
    algorithms: Vec<Algorithm>,
    settings: IdTokenSettings,
}

/// Parses an allow-list, refusing `none` and HS*.
///
/// ```
/// use oauthkit::unversioned::provider::id_token::algorithm_allow_list;
/// assert_eq!(algorithm_allow_list(&["RS256".into(), "ES256".into()], true).unwrap().len(), 2);
/// // from discovery: unusable entries are dropped, RS256 is the fallback
/// assert_eq!(algorithm_allow_list(&["none".into(), "HS256".into()], false).unwrap(),
///            vec![oauthkit::unversioned::provider::Algorithm::RS256]);
/// // configured explicitly: refused
/// assert!(algorithm_allow_list(&["HS256".into()], true).is_err());
/// ```
///
/// # Errors
///
/// [`Error::InvalidArgument`] when `explicit` is set and a name is not an
/// accepted algorithm (`none`, `HS*` and unknown names); from discovery
/// (`explicit` false) such names are dropped instead, never an error.
pub fn algorithm_allow_list(names: &[String], explicit: bool) -> Result<Vec<Algorithm>> {
    let mut out = Vec::new();
    for name in names {
        let parsed = Algorithm::from_str(name).ok().filter(|a| !is_hmac(*a));
        match parsed {
            Some(a) if !out.contains(&a) => out.push(a),
            Some(_) => {}
            None if explicit => {
                return Err(Error::InvalidArgument(format!(
                    "ID-token algorithm '{name}' is not accepted (never none or HS*; supported: RS*, PS*, ES256, ES384, EdDSA)"
                )))
            }
            None => {}
        }
    }
    if out.is_empty() {
        out.push(Algorithm::RS256);
    }
    Ok(out)
}

fn is_hmac(a: Algorithm) -> bool {
    matches!(a, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512)
}

impl IdTokenValidator {
    /// A validator for tokens from `issuer` to `client_id`, accepting
    /// `algorithms` (see [`algorithm_allow_list`]).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when `algorithms` is empty or holds an HMAC
    /// algorithm (`HS*`).
    pub fn new(
        issuer: ExpectedIssuer,
        client_id: &str,
        algorithms: Vec<Algorithm>,
        settings: IdTokenSettings,
    ) -> Result<Self> {
        if algorithms.is_empty() || algorithms.iter().any(|a| is_hmac(*a)) {
            return Err(Error::InvalidArgument(
                "the ID-token algorithm allow-list must be non-empty and asymmetric".into(),
            ));
        }
        Ok(IdTokenValidator {
            issuer,
            client_id: client_id.to_owned(),
            algorithms,
            settings,
        })
    }

    /// The accepted algorithms.
    pub fn algorithms(&self) -> &[Algorithm] {
        &self.algorithms
    }

    /// Validates `token` with keys from `jwks`; returns its claims.
    ///
    /// The token is split and decoded once: the header for `alg` and
    /// `kid`, the signature checked over the signing input with the JWKS
    /// key (parsed by aws-lc-rs once per JWKS fetch), then the payload
    /// parsed once, keeping only the claims checked here (time claims with
    /// checked arithmetic, see [`MAX_TIME_CLAIM`]); the whole claim map is
    /// parsed from the kept payload text when
    /// [`IdTokenClaims::claims`] is first called. Every member is parsed
    /// now as that map parse would, so it cannot fail then; a checked
    /// claim named twice is refused.
    ///
    /// # Errors
    ///
    /// [`Error::IdToken`] naming the first check that failed: a malformed
    /// token (a payload that is not one JSON object, or names a checked
    /// claim twice), an algorithm outside the allow-list, no fitting key in the JWKS,
    /// a signature that does not verify, a wrong `iss`, `aud`, `azp` or
    /// `nonce`, an expired or not yet valid token, an out-of-range time claim.
    /// The errors of fetching the JWKS ([`Error::Http`],
    /// [`Error::InvalidArgument`] for an unusable JWKS URL), as in
    /// [`JwksCache::key_for`].
    pub fn validate(
        &self,
        token: &str,
        jwks: &JwksCache,
        expected: &Expected<'_>,
    ) -> Result<IdTokenClaims> {
        let parts = split_token(token)?;
        let mut header_buf = [0u8; MAX_HEADER_LEN];
        let mut header_heap = Vec::new();
        let header = decode_part(parts.header, &mut header_buf, &mut header_heap)
            .ok_or_else(|| id_err("the header is not base64url"))?;
        let (alg, kid) = self.check_header(header)?;
        let verifier = jwks.key_for(kid.as_deref(), alg)?;
        // decoded on the stack up to RSA-4096's 512 bytes (every EC and
        // Ed25519 signature too); a longer one (RSA-8192) on the heap
        let mut sig_buf = [0u8; MAX_SIGNATURE_LEN];
        let sig_heap: Vec<u8>;
        let signature: &[u8] = match URL_SAFE_NO_PAD.decode_slice(parts.signature, &mut sig_buf) {
            Ok(n) => &sig_buf[..n],
            Err(DecodeSliceError::OutputSliceTooSmall) => {
                sig_heap = URL_SAFE_NO_PAD.decode(parts.signature).map_err(|_| {
                    id_err("the token is malformed (the signature is not base64url)")
                })?;
                &sig_heap
            }
            Err(DecodeSliceError::DecodeError(_)) => {
                return Err(id_err(
                    "the token is malformed (the signature is not base64url)",
                ))
            }
        };
        if verifier
            .verify_sig(parts.signing_input.as_bytes(), signature)
            .is_err()
        {
            return Err(id_err("the signature does not verify"));
        }
        // decoded into the one buffer the claims keep, checked as UTF-8 as
        // a whole, then parsed once for the claims checked here (every
        // other member is parsed too, without being kept)
        let payload = decode_payload(parts.payload)
            .ok_or_else(|| id_err("the payload is not base64url JSON (an object)"))?;
        let known = Checked::parse(&payload)?;
        let iss = str_claim(&known.iss).ok_or_else(|| id_err("iss is missing or not a string"))?;
        if !self.issuer.matches(iss, str_claim(&known.tid))
            && !self.settings.additional_issuers.iter().any(|a| a == iss)
        {
            return Err(id_err(format!(
                "issuer '{}' is not the expected '{}'",
                clip(iss),
                self.issuer.describe()
            )));
        }
        self.check_audience(&known)?;
        self.check_times(&known)?;
        if let Some(want) = expected.nonce {
            match str_claim(&known.nonce) {
                Some(got) if constant_time_eq(got.as_bytes(), want.as_bytes()) => {}
                Some(_) => return Err(id_err("nonce does not match the one sent")),
                None => return Err(id_err("nonce is missing but one was sent")),
            }
        }
        let at_hash = match &known.at_hash {
            Some(Claim::Str(h)) => Some(&**h),
            Some(_) => return Err(id_err("at_hash is not a string")),
            None => None,
        };
        if let (Some(at_hash), Some(at)) = (at_hash, expected.access_token) {
            let mut want = [0u8; 43];
            let want = half_hash_into(alg, at, &mut want);
            if !constant_time_eq(at_hash.as_bytes(), want) {
                return Err(id_err("at_hash does not match the access token"));
            }
        }
        let sub = str_claim(&known.sub)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| id_err("sub is missing or empty"))?
            .to_owned();
        let iss = Span::of(iss, &payload);
        drop(known);
        Ok(IdTokenClaims {
            sub,
            iss,
            payload,
            claims: OnceLock::new(),
        })
    }

    /// Reads `alg`, `kid` and `crit` from the decoded header `bytes`.
    fn check_header<'h>(&self, bytes: &'h [u8]) -> Result<(Algorithm, Option<Cow<'h, str>>)> {
        let header = Header::parse(bytes)?;
        let alg = header
            .alg
            .as_ref()
            .map(|a| &*a.0)
            .ok_or_else(|| id_err("the header has no alg"))?;
        if alg.eq_ignore_ascii_case("none") {
            return Err(id_err("alg \"none\" (unsigned token) is never accepted"));
        }
        if alg.to_ascii_uppercase().starts_with("HS") {
            return Err(id_err(format!(
                "alg {} is symmetric and refused: provider keys are public",
                clip(alg)
            )));
        }
        if header.crit {
            return Err(id_err(
                "the header has critical extensions (crit), which are not supported",
            ));
        }
        let parsed = Algorithm::from_str(alg)
            .map_err(|_| id_err(format!("unsupported alg {}", clip(alg))))?;
        if !self.algorithms.contains(&parsed) {
            return Err(id_err(format!(
                "alg {alg} is not allowed (allowed: {:?})",
                self.algorithms
            )));
        }
        Ok((parsed, header.kid.map(|k| k.0)))
    }

    fn check_audience(&self, claims: &Checked<'_>) -> Result<()> {
        let (one, many): (Option<&str>, &[Cow<'_, str>]) = match &claims.aud {
            Some(Claim::Str(s)) => (Some(s), &[]),
            Some(Claim::Strings(a)) => (None, a.as_slice()),
            _ => return Err(id_err("aud is missing")),
        };
        // the audiences, without collecting them (string members only)
        let auds = || one.into_iter().chain(many.iter().map(|a| &**a));
        if !auds().any(|a| a == self.client_id) {
            return Err(id_err("aud does not contain the client id"));
        }
        if let Some(untrusted) = auds().find(|a| {
            *a != self.client_id && !self.settings.trusted_audiences.iter().any(|t| t == a)
        }) {
            return Err(id_err(format!(
                "aud contains an untrusted audience '{}'",
                clip(untrusted)
            )));
        }
        match &claims.azp {
            Some(Claim::Str(azp)) if *azp != self.client_id => {
                Err(id_err(format!("azp '{}' is not the client id", clip(azp))))
            }
            Some(Claim::Str(_)) => Ok(()),
            Some(_) => Err(id_err("azp is not a string")),
            None if auds().nth(1).is_some() => {
                Err(id_err("azp is required when aud has several audiences"))
            }
            None => Ok(()),
        }
    }

    /// `exp` (required), `nbf`, `iat` (required, not in the future, not
    /// older than `max_age`) and `auth_time`, each a whole number of
    /// seconds in `0..=MAX_TIME_CLAIM`, compared with saturating
    /// arithmetic so no value and no configured leeway or maximum age can
    /// overflow.
    fn check_times(&self, claims: &Checked<'_>) -> Result<()> {
        let now = now_unix();
        let leeway = secs_i64(self.settings.leeway);
        let exp = time_claim(&claims.exp, "exp")?
            .ok_or_else(|| id_err("required claim exp is missing"))?;
        let iat = time_claim(&claims.iat, "iat")?.ok_or_else(|| id_err("iat is missing"))?;
        let nbf = time_claim(&claims.nbf, "nbf")?;
        time_claim(&claims.auth_time, "auth_time")?;
        if exp.saturating_add(leeway) < now {
            return Err(id_err("the token has expired (exp, with leeway)"));
        }
        if nbf.is_some_and(|nbf| nbf > now.saturating_add(leeway)) {
            return Err(id_err("the token is not valid yet (nbf, with leeway)"));
        }
        if iat > now.saturating_add(leeway) {
            return Err(id_err(format!(
                "iat is {}s in the future",
                iat.saturating_sub(now)
            )));
        }
        if let Some(max) = self.settings.max_age {
            let age = now.saturating_sub(iat);
            if age > secs_i64(max).saturating_add(leeway) {
                return Err(id_err(format!("iat is {age}s old, older than allowed")));
            }
        }
        Ok(())
    }
}

/// The latest time claim accepted: 9999-12-31T23:59:59Z. Larger values
/// (and negative ones, fractions, strings, ...) are refused as malformed.
pub const MAX_TIME_CLAIM: i64 = 253_402_300_799;

/// A time claim (RFC 7519 NumericDate): absent, or a whole number of
/// seconds in `0..=MAX_TIME_CLAIM` (an integral float such as
/// `1700000000.0` counts); anything else is an error naming the claim.
fn time_claim(v: &Option<Claim<'_>>, name: &str) -> Result<Option<i64>> {
    let Some(v) = v else {
        return Ok(None);
    };
    let got = match *v {
        Claim::Int(i) if (0..=MAX_TIME_CLAIM).contains(&i) => return Ok(Some(i)),
        Claim::Int(i) if i < 0 => "a negative number",
        Claim::Int(_) => "a number past the year 9999",
        Claim::Float(f) if f.fract() != 0.0 => "a fraction",
        Claim::Float(f) if f < 0.0 => "a negative number",
        Claim::Float(f) if f <= MAX_TIME_CLAIM as f64 => return Ok(Some(f as i64)),
        Claim::Float(_) => "a number past the year 9999",
        Claim::Str(_) => "a string",
        Claim::Strings(_) => "an array",
        Claim::Other(what) => what,
    };
    Err(id_err(format!(
        "claim {name} must be a whole number of seconds since 1970 between 0 and {MAX_TIME_CLAIM}, not {got}"
    )))
}

/// A string claim's text.
fn str_claim<'c>(v: &'c Option<Claim<'_>>) -> Option<&'c str> {
    match v {
        Some(Claim::Str(s)) => Some(s),
        _ => None,
    }
}

/// A configured duration in whole seconds, saturated to `i64::MAX`.
fn secs_i64(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

/// The longest signature decoded on the stack: RSA-4096's 512 bytes (the
/// buffer is zeroed on every validation, so it is no larger than the
/// common keys need).
const MAX_SIGNATURE_LEN: usize = 512;

/// The longest header decoded on the stack (real ones are under 200 bytes;
/// a longer one, such as one with an `x5c` chain, is decoded to the heap).
const MAX_HEADER_LEN: usize = 256;

/// Decodes the base64url `part` (trailing `=` tolerated) into `buf` when it
/// fits, else into `heap`; `None` when it is not base64url.
fn decode_part<'b>(part: &str, buf: &'b mut [u8], heap: &'b mut Vec<u8>) -> Option<&'b [u8]> {
    let part = part.trim_end_matches('=');
    match URL_SAFE_NO_PAD.decode_slice(part, buf) {
        Ok(n) => Some(&buf[..n]),
        Err(DecodeSliceError::OutputSliceTooSmall) => {
            *heap = URL_SAFE_NO_PAD.decode(part).ok()?;
            Some(heap)
        }
        Err(DecodeSliceError::DecodeError(_)) => None,
    }
}

/// Decodes the base64url payload (trailing `=` tolerated) into a string
/// of its own (the one allocation the claims keep); `None` when it is not
/// base64url or not UTF-8 as a whole.
fn decode_payload(part: &str) -> Option<String> {
    let part = part.trim_end_matches('=');
    let mut bytes = Vec::with_capacity(part.len() / 4 * 3 + 3);
    URL_SAFE_NO_PAD.decode_vec(part, &mut bytes).ok()?;
    String::from_utf8(bytes).ok()
}

/// The claims validation reads, borrowed from the payload text where they
/// have no escapes, read in one parse of the payload.
///
/// The parse is the same serde_json does for the claim map
/// ([`IdTokenClaims::claims`], parsed later from the same text): the
/// payload must be one JSON object (nothing after it), and every member,
/// read here or not, is parsed by serde_json's `deserialize_any` as a
/// `Value` would be (escapes and surrogates decoded, numbers in range, the
/// nesting limit), only not kept. So a payload accepted here always yields
/// its claim map. A checked claim named twice (in any spelling) is refused:
/// a map keeps the last, another reader the first.
#[derive(Default)]
struct Checked<'p> {
    iss: Option<Claim<'p>>,
    tid: Option<Claim<'p>>,
    aud: Option<Claim<'p>>,
    azp: Option<Claim<'p>>,
    exp: Option<Claim<'p>>,
    iat: Option<Claim<'p>>,
    nbf: Option<Claim<'p>>,
    auth_time: Option<Claim<'p>>,
    nonce: Option<Claim<'p>>,
    at_hash: Option<Claim<'p>>,
    sub: Option<Claim<'p>>,
}

/// One checked claim's value, as much as validation needs of it.
#[derive(Debug, PartialEq)]
enum Claim<'p> {
    /// A string, borrowed unless it has escapes.
    Str(Cow<'p, str>),
    /// An integer (one beyond `i64` saturates: it is past any time).
    Int(i64),
    /// Any other number.
    Float(f64),
    /// An array: its string members (others are parsed and skipped).
    Strings(Vec<Cow<'p, str>>),
    /// Any other JSON value, named for error messages.
    Other(&'static str),
}

impl<'p> Checked<'p> {
    /// Reads the checked claims of the payload `text`.
    fn parse(text: &'p str) -> Result<Self> {
        let mut de = serde_json::Deserializer::from_str(text);
        let parsed = serde::Deserializer::deserialize_map(&mut de, CheckedVisitor)
            .and_then(|c| de.end().map(|()| c));
        parsed.map_err(|e| {
            if e.classify() == serde_json::error::Category::Data
                && e.to_string().starts_with(REPEATED)
            {
                id_err("the payload names a checked claim twice")
            } else {
                id_err("the payload is not base64url JSON (an object)")
            }
        })
    }
}

/// The start of the error a repeated checked claim raises.
const REPEATED: &str = "repeated checked claim";

struct CheckedVisitor;

impl<'de> serde::de::Visitor<'de> for CheckedVisitor {
    type Value = Checked<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Checked<'de>, A::Error> {
        let mut c = Checked::default();
        while let Some(Key(name)) = map.next_key()? {
            let slot = match &*name {
                "iss" => &mut c.iss,
                "tid" => &mut c.tid,
                "aud" => &mut c.aud,
                "azp" => &mut c.azp,
                "exp" => &mut c.exp,
                "iat" => &mut c.iat,
                "nbf" => &mut c.nbf,
                "auth_time" => &mut c.auth_time,
                "nonce" => &mut c.nonce,
                "at_hash" => &mut c.at_hash,
                "sub" => &mut c.sub,
                _ => {
                    map.next_value::<Any>()?;
                    continue;
                }
            };
            if slot.is_some() {
                return Err(serde::de::Error::custom(REPEATED));
            }
            *slot = Some(map.next_value()?);
        }
        Ok(c)
    }
}

/// A member name, decoded (borrowed unless it has escapes).
struct Key<'p>(Cow<'p, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(StrVisitor).map(Key)
    }
}

struct StrVisitor;

impl<'de> serde::de::Visitor<'de> for StrVisitor {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> std::result::Result<Self::Value, E> {
        Ok(Cow::Borrowed(s))
    }

    fn visit_str<E>(self, s: &str) -> std::result::Result<Self::Value, E> {
        Ok(Cow::Owned(s.to_owned()))
    }
}

impl<'de> serde::Deserialize<'de> for Claim<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(ClaimVisitor)
    }
}

struct ClaimVisitor;

impl<'de> serde::de::Visitor<'de> for ClaimVisitor {
    type Value = Claim<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> std::result::Result<Claim<'de>, E> {
        Ok(Claim::Str(Cow::Borrowed(s)))
    }

    fn visit_str<E>(self, s: &str) -> std::result::Result<Claim<'de>, E> {
        Ok(Claim::Str(Cow::Owned(s.to_owned())))
    }

    fn visit_i64<E>(self, i: i64) -> std::result::Result<Claim<'de>, E> {
        Ok(Claim::Int(i))
    }

    fn visit_u64<E>(self, u: u64) -> std::result::Result<Claim<'de>, E> {
        Ok(Claim::Int(i64::try_from(u).unwrap_or(i64::MAX)))
    }

    fn visit_f64<E>(self, f: f64) -> std::result::Result<Claim<'de>, E> {
        Ok(Claim::Float(f))
    }

    fn visit_bool<E>(self, _: bool) -> std::result::Result<Claim<'de>, E> {
        Ok(Claim::Other("a boolean"))
    }

    fn visit_unit<E>(self) -> std::result::Result<Claim<'de>, E> {
        Ok(Claim::Other("null"))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Claim<'de>, A::Error> {
        let mut strings = Vec::new();
        while let Some(member) = seq.next_element::<Claim<'de>>()? {
            if let Claim::Str(s) = member {
                strings.push(s);
            }
        }
        Ok(Claim::Strings(strings))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Claim<'de>, A::Error> {
        while map.next_entry::<Any, Any>()?.is_some() {}
        Ok(Claim::Other("an object"))
    }
}

/// Any JSON value, parsed as serde_json parses a `Value` (through
/// `deserialize_any`: escapes decoded, numbers converted, nesting counted)
/// but not kept. Not `IgnoredAny`, which serde_json skips over without
/// those checks.
struct Any;

impl<'de> serde::Deserialize<'de> for Any {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(AnyVisitor)
    }
}

struct AnyVisitor;

impl<'de> serde::de::Visitor<'de> for AnyVisitor {
    type Value = Any;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_str<E>(self, _: &str) -> std::result::Result<Any, E> {
        Ok(Any)
    }

    fn visit_i64<E>(self, _: i64) -> std::result::Result<Any, E> {
        Ok(Any)
    }

    fn visit_u64<E>(self, _: u64) -> std::result::Result<Any, E> {
        Ok(Any)
    }

    fn visit_f64<E>(self, _: f64) -> std::result::Result<Any, E> {
        Ok(Any)
    }

    fn visit_bool<E>(self, _: bool) -> std::result::Result<Any, E> {
        Ok(Any)
    }

    fn visit_unit<E>(self) -> std::result::Result<Any, E> {
        Ok(Any)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Any, A::Error> {
        while seq.next_element::<Any>()?.is_some() {}
        Ok(Any)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Any, A::Error> {
        while map.next_entry::<Any, Any>()?.is_some() {}
        Ok(Any)
    }
}

/// The members of a JOSE header oauthkit reads, borrowed from the decoded
/// header where their text has no escapes. serde refuses a repeated
/// `alg`, `kid` or `crit` (in any spelling JSON allows for the name) and an
/// `alg` or `kid` that is not a string; every other member is skipped.
#[derive(serde::Deserialize)]
struct Header<'h> {
    #[serde(borrow, default)]
    alg: Option<Text<'h>>,
    #[serde(borrow, default)]
    kid: Option<Text<'h>>,
    /// Whether `crit` is present, whatever its value (`null` included).
    #[serde(default, deserialize_with = "present")]
    crit: bool,
}

/// A string member, borrowed unless it has escapes.
#[derive(serde::Deserialize)]
#[serde(transparent)]
struct Text<'h>(#[serde(borrow)] Cow<'h, str>);

/// True for any value: the member is there.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<bool, D::Error> {
    serde::de::IgnoredAny::deserialize(d).map(|_| true)
}

impl<'h> Header<'h> {
    /// RFC 7515 §5.2: the whole header must be UTF-8 JSON, and an object.
    fn parse(bytes: &'h [u8]) -> Result<Self> {
        let not_json = || id_err("the header is not a UTF-8 JSON object");
        // every byte UTF-8 (serde skips the members not read here without
        // looking at their text)
        let text = std::str::from_utf8(bytes).map_err(|_| not_json())?;
        // an object: serde would also fill the struct from an array
        if !text
            .trim_start_matches([' ', '\t', '\n', '\r'])
            .starts_with('{')
        {
            return Err(not_json());
        }
        // a `\u` escape in a skipped member is not decoded by serde, so a
        // lone surrogate would pass: such a (rare) header is parsed whole
        if text.contains("\\u") && serde_json::from_str::<Value>(text).is_err() {
            return Err(not_json());
        }
        serde_json::from_str(text).map_err(|e| {
            let msg = e.to_string();
            if msg.starts_with("duplicate field") {
                id_err("the header repeats alg, kid or crit")
            } else if e.classify() == serde_json::error::Category::Data {
                id_err("the header's alg or kid is not a string")
            } else {
                not_json()
            }
        })
    }
}

/// The three parts of a compact JWS.
struct TokenParts<'a> {
    header: &'a str,
    payload: &'a str,
    signature: &'a str,
    signing_input: &'a str,
}

fn split_token(token: &str) -> Result<TokenParts<'_>> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(id_err("not a compact JWS (three dot-separated parts)"));
    };
    Ok(TokenParts {
        header: h,
        payload: p,
        signature: sig,
        signing_input: &token[..h.len() + 1 + p.len()],
    })
}

/// The left half of the hash of `value` with the hash of `alg`, base64url
/// (the `at_hash` / `c_hash` rule).
pub fn half_hash(alg: Algorithm, value: &str) -> String {
    let mut out = [0u8; 43];
    // base64url is ASCII: each byte is its own char
    half_hash_into(alg, value, &mut out)
        .iter()
        .map(|&b| char::from(b))
        .collect()
}

/// [`half_hash`] written into `out` (at most 43 bytes: half of SHA-512).
fn half_hash_into<'o>(alg: Algorithm, value: &str, out: &'o mut [u8; 43]) -> &'o [u8] {
    let mut digest = [0u8; 64];
    let len = match alg {
        Algorithm::RS384 | Algorithm::PS384 | Algorithm::ES384 | Algorithm::HS384 => {
            digest[..48].copy_from_slice(&sha384(value.as_bytes()));
            48
        }
        Algorithm::RS512 | Algorithm::PS512 | Algorithm::HS512 | Algorithm::EdDSA => {
            digest.copy_from_slice(&sha512(value.as_bytes()));
            64
        }
        _ => {
            digest[..32].copy_from_slice(&sha256(value.as_bytes()));
            32
        }
    };
    let n = URL_SAFE_NO_PAD
        .encode_slice(&digest[..len / 2], &mut out[..])
        .expect("43 bytes hold the base64url of 32");
    &out[..n]
}

fn id_err(m: impl Into<String>) -> Error {
    Error::id_token(m)
}

/// Peer-controlled strings in messages are cut short.
fn clip(s: &str) -> String {
    s.chars().take(100).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_hash_of_oidc_spec_example() {
        // OpenID Connect Core A.3: access token and its at_hash (RS256)
        assert_eq!(
            half_hash(
                Algorithm::RS256,
                "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"
            ),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
    }

    /// The claim map's value of a checked claim, as `Checked` reads it.
    fn as_claim(v: &Value) -> Claim<'_> {
        match v {
            Value::String(s) => Claim::Str(Cow::Borrowed(s)),
            Value::Number(n) => match (n.as_i64(), n.as_u64()) {
                (Some(i), _) => Claim::Int(i),
                (None, Some(_)) => Claim::Int(i64::MAX),
                _ => Claim::Float(n.as_f64().unwrap()),
            },
            Value::Array(a) => Claim::Strings(
                a.iter()
                    .filter_map(Value::as_str)
                    .map(Cow::Borrowed)
                    .collect(),
            ),
            Value::Bool(_) => Claim::Other("a boolean"),
            Value::Null => Claim::Other("null"),
            Value::Object(_) => Claim::Other("an object"),
        }
    }

    /// Lazy parsing is sound: whatever payload text `Checked::parse`
    /// accepts, the claim map parse (run later, from the same text)
    /// accepts too, and every checked claim is what the map holds. Checked
    /// over hand-written edge cases and every one-byte change (deletion,
    /// duplication, replacement by a JSON metacharacter) of a realistic
    /// payload. The converse also holds but for a repeated checked claim.
    #[test]
    fn what_validation_parses_the_claim_map_parses_alike() {
        let base = concat!(
            r#"{"iss":"https://idp.example","s\u0075b":"u1","aud":["c1",2,"c2"],"#,
            r#""exp":1700000000,"iat":1.7e9,"nbf":-1,"auth_time":18446744073709551615,"#,
            r#""nonce":"n\"1","at_hash":"h","azp":null,"tid":{"a":[true]},"x":[[{}]],"#,
            r#""y":"\ud83d\ude00","z":1e308}"#
        );
        let mut cases: Vec<String> = vec![
            base.into(),
            "{}".into(),
            " {} ".into(),
            r#"{"sub":"a","sub":"b"}"#.into(),
            r#"{"x":1,"x":2}"#.into(),
            r#"{"x":"\ud800"}"#.into(),
            r#"{"x":1e400}"#.into(),
            format!(r#"{{"x":{}1{}}}"#, "[".repeat(126), "]".repeat(126)),
            format!(r#"{{"x":{}1{}}}"#, "[".repeat(127), "]".repeat(127)),
            format!(r#"{{"aud":{}1{}}}"#, "[".repeat(127), "]".repeat(127)),
            "[]".into(),
            "{} {}".into(),
        ];
        let bytes = base.as_bytes();
        for i in 0..bytes.len() {
            let mut deleted = bytes.to_vec();
            deleted.remove(i);
            let mut doubled = bytes.to_vec();
            doubled.insert(i, bytes[i]);
            for text in [deleted, doubled] {
                cases.extend(String::from_utf8(text).ok());
            }
            for b in *br#"{}[]",:\ 0-e."# {
                let mut replaced = bytes.to_vec();
                replaced[i] = b;
                cases.extend(String::from_utf8(replaced).ok());
            }
        }
        let (mut accepted, mut refused) = (0, 0);
        for text in &cases {
            let map = serde_json::from_str::<Map<String, Value>>(text);
            let Ok(checked) = Checked::parse(text) else {
                refused += 1;
                continue;
            };
            accepted += 1;
            let map = map.unwrap_or_else(|e| panic!("{text}: accepted, but the map parse: {e}"));
            for (name, got) in [
                ("iss", &checked.iss),
                ("tid", &checked.tid),
                ("aud", &checked.aud),
                ("azp", &checked.azp),
                ("exp", &checked.exp),
                ("iat", &checked.iat),
                ("nbf", &checked.nbf),
                ("auth_time", &checked.auth_time),
                ("nonce", &checked.nonce),
                ("at_hash", &checked.at_hash),
                ("sub", &checked.sub),
            ] {
                assert_eq!(
                    got.as_ref(),
                    map.get(name).map(as_claim).as_ref(),
                    "{text}: {name}"
                );
            }
        }
        // both kinds were exercised
        assert!(accepted > 100 && refused > 100, "{accepted} {refused}");
    }

    #[test]
    fn tenant_ids_are_plain() {
        let t = ExpectedIssuer::TenantTemplate {
            template: "https://login.microsoftonline.com/{tenantid}/v2.0".into(),
            tenant: Some("t1".into()),
        };
        assert!(t.matches("https://login.microsoftonline.com/t1/v2.0", Some("t1")));
        assert!(!t.matches("https://login.microsoftonline.com/t2/v2.0", Some("t2")));
        assert!(!t.matches("https://login.microsoftonline.com/a/b/v2.0", Some("a/b")));
        assert!(!t.matches("https://login.microsoftonline.com//v2.0", Some("")));
        assert!(!t.matches("https://login.microsoftonline.com/t1/v2.0", None));
    }
}
