//! [`TokenSet`]: what a sign-in or a refresh yields and what stores keep.

use std::borrow::Cow;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::jose::DpopKey;
use crate::secret::Secret;

/// The last second of the year 9999, in Unix seconds: the latest time
/// [`TokenSet`]'s [`SystemTime`] accessors give (every platform's
/// `SystemTime` holds it).
const LATEST_UNIX: i64 = 253_402_300_799;

/// Unix seconds as a [`SystemTime`], clamped to 1970 ..= the end of 9999.
fn system_time(unix: i64) -> SystemTime {
    let secs = u64::try_from(unix.clamp(0, LATEST_UNIX)).unwrap_or(0);
    UNIX_EPOCH + Duration::from_secs(secs)
}

/// Seconds since the Unix epoch, now (0 when the clock is before 1970).
pub fn now_unix() -> i64 {
    now_unix_checked().map_or(0, |s| i64::try_from(s).unwrap_or(i64::MAX))
}

/// Seconds since the Unix epoch, now, where a wrong time must not be
/// signed (an assertion's `iat`/`exp`): the one reading of the clock as
/// epoch seconds.
///
/// # Errors
///
/// [`Error::Internal`](crate::Error::Internal) when the clock is before 1970.
pub(crate) fn now_unix_checked() -> crate::Result<u64> {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .map_err(|_| crate::Error::Internal("the clock is before 1970".into()))
}

/// The tokens a provider granted, with what is known about them.
///
/// The expiry is kept as an absolute time (`expires_at`, Unix seconds),
/// computed once from `expires_in` when the response arrived, so a token set
/// read back from a store a day later still knows when it expires.
///
/// `Debug` never prints token values (they are [`Secret`]s) nor the values
/// of `extra`, only its keys.
///
/// ```
/// use oauthkit::TokenSet;
/// let t = TokenSet::bearer("at-123")
///     .with_refresh_token("rt-456")
///     .with_scopes(["openid", "email"])
///     .with_expires_in(3600);
/// assert!(!t.is_expired(60));
/// assert!(t.has_scope("email"));
/// assert!(t.expires_in().unwrap() > std::time::Duration::from_secs(3500));
/// assert!(!format!("{t:?}").contains("at-123"));
/// ```
///
/// The struct is `#[non_exhaustive]`: outside this crate a set is made
/// with [`TokenSet::bearer`] and the `with_*` methods (each returns a
/// changed copy; the bare names are the fields), and read through the
/// public fields.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct TokenSet {
    /// The access token.
    pub access_token: Secret,
    /// The token type, normally `Bearer`.
    pub token_type: String,
    /// The refresh token, when the provider granted one.
    pub refresh_token: Option<Secret>,
    /// The OpenID Connect ID token, when there was one.
    pub id_token: Option<Secret>,
    /// The granted scopes.
    pub scopes: Vec<String>,
    /// When the access token expires (Unix seconds); `None` when unknown.
    /// Unknown never means expired. [`expiry`](Self::expiry) and
    /// [`expires_in`](Self::expires_in) give it as a time.
    pub expires_at: Option<i64>,
    /// When the tokens were received (Unix seconds); [`issued`](Self::issued)
    /// gives it as a time.
    pub issued_at: i64,
    /// The resource server the tokens are for.
    pub resource_server: Option<String>,
    /// The identity the tokens belong to: the ID token's `sub`.
    pub identity_id: Option<String>,
    /// Other fields of the provider's response, kept as they came.
    pub extra: Map<String, Value>,
    /// The DPoP key the tokens are bound to (RFC 9449), when they are: the
    /// private key every refresh and every resource request signs its
    /// proof with. Stored with the tokens, so only in stores that protect
    /// secrets ([`TokenStore::protects_secrets`](crate::TokenStore::protects_secrets));
    /// plain-text stores refuse such a set with
    /// [`Error::DpopKeyUnprotected`](crate::Error::DpopKeyUnprotected).
    pub dpop_key: Option<DpopKey>,
}

impl TokenSet {
    /// A bearer token set holding only an access token, issued now.
    pub fn bearer(access_token: impl Into<Secret>) -> Self {
        TokenSet {
            access_token: access_token.into(),
            token_type: "Bearer".to_owned(),
            refresh_token: None,
            id_token: None,
            scopes: Vec::new(),
            expires_at: None,
            issued_at: now_unix(),
            resource_server: None,
            identity_id: None,
            extra: Map::new(),
            dpop_key: None,
        }
    }

    /// Sets the refresh token.
    pub fn with_refresh_token(mut self, token: impl Into<Secret>) -> Self {
        self.refresh_token = Some(token.into());
        self
    }

    /// Sets the ID token.
    pub fn with_id_token(mut self, token: impl Into<Secret>) -> Self {
        self.id_token = Some(token.into());
        self
    }

    /// Sets the scopes.
    pub fn with_scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the expiry to `issued_at + seconds`.
    pub fn with_expires_in(mut self, seconds: i64) -> Self {
        self.expires_at = Some(self.issued_at.saturating_add(seconds));
        self
    }

    /// Sets the absolute expiry.
    pub fn with_expires_at(mut self, unix_seconds: i64) -> Self {
        self.expires_at = Some(unix_seconds);
        self
    }

    /// Sets the resource server.
    pub fn with_resource_server(mut self, rs: impl Into<String>) -> Self {
        self.resource_server = Some(rs.into());
        self
    }

    /// The claims of the set's ID token (`None` without one, or when it is
    /// not a JWT). The ID token was validated when it was received (at
    /// sign-in or refresh); it is only read here, not verified again, so
    /// read it from sets this library stored or returned.
    ///
    /// ```
    /// use oauthkit::TokenSet;
    /// assert!(TokenSet::bearer("at").id_token_claims().is_none());
    /// ```
    pub fn id_token_claims(&self) -> Option<crate::Claims> {
        self.id_token
            .as_ref()
            .and_then(|t| crate::Claims::of_validated_jwt(t.expose()))
    }

    /// Sets the identity (`sub`).
    pub fn with_identity_id(mut self, id: impl Into<String>) -> Self {
        self.identity_id = Some(id.into());
        self
    }

    /// Binds the set to a DPoP key (see [`dpop_key`](Self::dpop_key)).
    pub fn with_dpop_key(mut self, key: DpopKey) -> Self {
        self.dpop_key = Some(key);
        self
    }

    /// Whether the tokens are DPoP-bound (they carry their key).
    pub fn is_dpop_bound(&self) -> bool {
        self.dpop_key.is_some()
    }

    /// Whether the access token expires within `leeway_secs` from now.
    /// A token with no known expiry is never expired.
    pub fn is_expired(&self, leeway_secs: i64) -> bool {
        self.is_expired_at(now_unix(), leeway_secs)
    }

    /// [`is_expired`](Self::is_expired) against a given clock.
    pub fn is_expired_at(&self, now: i64, leeway_secs: i64) -> bool {
        match self.expires_at {
            Some(at) => now.saturating_add(leeway_secs) >= at,
            None => false,
        }
    }

    /// When the access token expires; `None` when unknown (never expired).
    /// The field [`expires_at`](Self#structfield.expires_at) holds the same
    /// time as Unix seconds, as stores keep it. Times before 1970 read as
    /// 1970 and times after 9999 as the end of 9999 (the range every
    /// platform's [`SystemTime`] holds).
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use oauthkit::TokenSet;
    /// let t = TokenSet::bearer("at").with_expires_at(1_700_000_000);
    /// assert_eq!(t.expiry(), Some(UNIX_EPOCH + Duration::from_secs(1_700_000_000)));
    /// assert_eq!(TokenSet::bearer("at").expiry(), None);
    /// ```
    pub fn expiry(&self) -> Option<SystemTime> {
        self.expires_at.map(system_time)
    }

    /// How long the access token is still valid: zero once it has
    /// expired, `None` when the expiry is unknown (never expired).
    ///
    /// ```
    /// use std::time::Duration;
    /// use oauthkit::TokenSet;
    /// let t = TokenSet::bearer("at").with_expires_in(3600);
    /// assert!(t.expires_in().unwrap() > Duration::from_secs(3500));
    /// let old = TokenSet::bearer("at").with_expires_at(1_000);
    /// assert_eq!(old.expires_in(), Some(Duration::ZERO));
    /// ```
    pub fn expires_in(&self) -> Option<Duration> {
        self.expires_at.map(|at| {
            let left = at.saturating_sub(now_unix());
            Duration::from_secs(u64::try_from(left).unwrap_or(0))
        })
    }

    /// When the tokens were received: the field
    /// [`issued_at`](Self#structfield.issued_at) (Unix seconds) as a
    /// [`SystemTime`], clamped as [`expiry`](Self::expiry) is.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use oauthkit::TokenSet;
    /// let t = TokenSet::bearer("at");
    /// assert!(SystemTime::now().duration_since(t.issued()).unwrap() < Duration::from_secs(60));
    /// ```
    pub fn issued(&self) -> SystemTime {
        system_time(self.issued_at)
    }

    /// What a token exchange issued (RFC 8693 §2.2.1 `issued_token_type`:
    /// one of [`token_types`](crate::unversioned::provider::token_exchange::token_types)
    /// or another URI), kept in [`extra`](Self::extra) as the provider sent
    /// it; `None` for the other grants.
    ///
    /// ```
    /// use oauthkit::TokenSet;
    /// use oauthkit::unversioned::provider::token_exchange::token_types;
    /// let mut t = TokenSet::bearer("eyJ...");
    /// assert_eq!(t.issued_token_type(), None);
    /// t.extra.insert("issued_token_type".into(), token_types::JWT.into());
    /// assert_eq!(t.issued_token_type(), Some(token_types::JWT));
    /// ```
    pub fn issued_token_type(&self) -> Option<&str> {
        self.extra.get("issued_token_type").and_then(Value::as_str)
    }

    /// Whether the access token may be sent as `Authorization: Bearer`:
    /// its `token_type` is Bearer (case-insensitive). A token exchange that
    /// issued something other than an access token answers `N_A` (RFC 8693
    /// §2.2.1), and such a token is not usable this way; neither is a
    /// DPoP-bound one (`DPoP`).
    ///
    /// ```
    /// use oauthkit::TokenSet;
    /// assert!(TokenSet::bearer("at").bearer_usable());
    /// let mut t = TokenSet::bearer("eyJ...");
    /// t.token_type = "N_A".into();
    /// assert!(!t.bearer_usable());
    /// ```
    pub fn bearer_usable(&self) -> bool {
        self.token_type.eq_ignore_ascii_case("bearer")
    }

    /// Whether the granted scopes include `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// The scopes as one space-separated string, as OAuth sends them.
    pub fn scope_string(&self) -> String {
        self.scopes.join(" ")
    }

    /// Serialises to the oauthkit JSON shape (see [`Serialize`] below).
    ///
    /// # Panics
    ///
    /// Never: a token set has only string-keyed maps and plain fields, the
    /// two things serialising to JSON can fail on.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a TokenSet always serialises")
    }

    /// Parses the oauthkit JSON shape.
    ///
    /// # Errors
    ///
    /// [`Error::Corrupt`](crate::Error::Corrupt) when `json` is not a token set in this shape; the
    /// message gives the position and kind of the fault, never the text.
    pub fn from_json(json: &str) -> crate::Result<Self> {
        serde_json::from_str(json)
            .map_err(|e| crate::Error::corrupt("token set JSON", json_error(&e)))
    }
}

/// Describes a JSON error by category and position only: serde's own
/// message can quote the offending value, which may be a token.
pub(crate) fn json_error(e: &serde_json::Error) -> String {
    let what = match e.classify() {
        serde_json::error::Category::Io => "I/O error",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data => "unexpected value or missing field",
        serde_json::error::Category::Eof => "unexpected end of input",
    };
    format!("{what} at line {} column {}", e.line(), e.column())
}

/// Splits a space-separated OAuth scope string.
pub(crate) fn split_scopes(scope: &str) -> Vec<String> {
    scope.split_whitespace().map(str::to_owned).collect()
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &self.access_token)
            .field("token_type", &self.token_type)
            .field("refresh_token", &self.refresh_token)
            .field("id_token", &self.id_token)
            .field("scopes", &self.scopes)
            .field("expires_at", &self.expires_at)
            .field("issued_at", &self.issued_at)
            .field("resource_server", &self.resource_server)
            .field("identity_id", &self.identity_id)
            .field("extra_keys", &self.extra.keys().collect::<Vec<_>>())
            .field("dpop_key", &self.dpop_key)
            .finish()
    }
}

/// The stored JSON shape: pywry's `OAuthTokenSet` fields, in its order,
/// plus three fields pywry ignores when reading.
///
/// ```json
/// {"access_token": "…", "token_type": "Bearer", "refresh_token": "…",
///  "expires_in": 3600, "id_token": "…", "scope": "openid email",
///  "raw": {"…": "…"}, "issued_at": 1700000000,
///  "expires_at": 1700003600, "resource_server": "…", "identity_id": "…"}
/// ```
///
/// `expires_in` is relative to `issued_at`, as in pywry; `expires_at` is the
/// same instant, absolute, and wins when both are present. `raw` holds the
/// provider's other fields (never the tokens again). This shape is stable:
/// fields are only ever added.
///
/// Saving borrows every field of the token set ([`Cow::Borrowed`]); loading
/// owns them: no token is copied just to be written out.
#[derive(Serialize, Deserialize)]
struct Wire<'a> {
    access_token: Cow<'a, Secret>,
    #[serde(default = "default_token_type")]
    token_type: Cow<'a, str>,
    #[serde(default)]
    refresh_token: Option<Cow<'a, Secret>>,
    #[serde(default)]
    expires_in: Option<i64>,
    #[serde(default)]
    id_token: Option<Cow<'a, Secret>>,
    #[serde(default)]
    scope: Cow<'a, str>,
    #[serde(default)]
    raw: Cow<'a, Map<String, Value>>,
    #[serde(default)]
    issued_at: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    resource_server: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    identity_id: Option<Cow<'a, str>>,
    /// oauthkit only: the DPoP private key (PKCS#8), see `TokenSet::dpop_key`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    dpop_key: Option<Cow<'a, DpopKey>>,
}

fn default_token_type() -> Cow<'static, str> {
    Cow::Borrowed("Bearer")
}

impl Serialize for TokenSet {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Wire {
            access_token: Cow::Borrowed(&self.access_token),
            token_type: Cow::Borrowed(&self.token_type),
            refresh_token: self.refresh_token.as_ref().map(Cow::Borrowed),
            expires_in: self.expires_at.map(|at| at.saturating_sub(self.issued_at)),
            id_token: self.id_token.as_ref().map(Cow::Borrowed),
            scope: Cow::Owned(self.scope_string()),
            raw: Cow::Borrowed(&self.extra),
            issued_at: Some(self.issued_at as f64),
            expires_at: self.expires_at,
            resource_server: self.resource_server.as_deref().map(Cow::Borrowed),
            identity_id: self.identity_id.as_deref().map(Cow::Borrowed),
            dpop_key: self.dpop_key.as_ref().map(Cow::Borrowed),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for TokenSet {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let w = Wire::deserialize(deserializer)?;
        // pywry: a record without issued_at was issued "now" when read.
        let issued_at = w
            .issued_at
            .map(|f| f.floor() as i64)
            .unwrap_or_else(now_unix);
        let expires_at = w
            .expires_at
            .or_else(|| w.expires_in.map(|e| issued_at.saturating_add(e)));
        Ok(TokenSet {
            access_token: w.access_token.into_owned(),
            token_type: w.token_type.into_owned(),
            refresh_token: w.refresh_token.map(Cow::into_owned),
            id_token: w.id_token.map(Cow::into_owned),
            scopes: split_scopes(&w.scope),
            expires_at,
            issued_at,
            resource_server: w.resource_server.map(Cow::into_owned),
            identity_id: w.identity_id.map(Cow::into_owned),
            extra: w.raw.into_owned(),
            dpop_key: w.dpop_key.map(Cow::into_owned),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> TokenSet {
        let mut t = TokenSet::bearer("at")
            .with_refresh_token("rt")
            .with_id_token("idt")
            .with_scopes(["openid", "email"])
            .with_resource_server("rs")
            .with_identity_id("sub-1");
        t.issued_at = 1_700_000_000;
        t.expires_at = Some(1_700_003_600);
        t.extra.insert("ext_expires_in".into(), Value::from(7200));
        t
    }

    #[test]
    fn json_round_trip_keeps_every_field() {
        let t = full();
        assert_eq!(TokenSet::from_json(&t.to_json()).unwrap(), t);
    }

    #[test]
    fn json_shape_is_pywry_compatible() {
        let v: Value = serde_json::from_str(&full().to_json()).unwrap();
        assert_eq!(v["expires_in"], 3600);
        assert_eq!(v["scope"], "openid email");
        assert_eq!(v["issued_at"], 1_700_000_000.0);
        assert_eq!(v["raw"]["ext_expires_in"], 7200);
    }

    #[test]
    fn reads_a_pywry_record() {
        let json = r#"{"access_token": "a", "token_type": "Bearer", "refresh_token": null,
            "expires_in": 60, "id_token": null, "scope": "", "raw": {"x": 1},
            "issued_at": 1700000000.75}"#;
        let t = TokenSet::from_json(json).unwrap();
        assert_eq!(t.issued_at, 1_700_000_000);
        assert_eq!(t.expires_at, Some(1_700_000_060));
        assert!(t.scopes.is_empty());
        assert_eq!(t.extra["x"], 1);
    }

    #[test]
    fn missing_access_token_is_corrupt() {
        let err = TokenSet::from_json(r#"{"token_type":"Bearer"}"#).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Corrupt);
    }

    #[test]
    fn time_accessors_cover_every_stored_value() {
        let latest = UNIX_EPOCH + Duration::from_secs(LATEST_UNIX as u64);
        for (stored, expiry) in [
            (i64::MIN, UNIX_EPOCH),
            (-1, UNIX_EPOCH),
            (0, UNIX_EPOCH),
            (
                1_700_000_000,
                UNIX_EPOCH + Duration::from_secs(1_700_000_000),
            ),
            (LATEST_UNIX, latest),
            (LATEST_UNIX + 1, latest),
            (i64::MAX, latest),
        ] {
            let mut t = TokenSet::bearer("a").with_expires_at(stored);
            t.issued_at = stored;
            assert_eq!(t.expiry(), Some(expiry), "{stored}");
            assert_eq!(t.issued(), expiry, "{stored}");
            let left = t.expires_in().unwrap();
            if stored <= 1_700_000_000 {
                assert_eq!(left, Duration::ZERO, "{stored}");
            } else {
                let want = stored.saturating_sub(now_unix()) as u64;
                assert!(left.as_secs().abs_diff(want) <= 2, "{stored}: {left:?}");
            }
        }
        let unknown = TokenSet::bearer("a");
        assert_eq!(unknown.expiry(), None);
        assert_eq!(unknown.expires_in(), None);
    }

    #[test]
    fn expiry_with_leeway() {
        let t = TokenSet::bearer("a").with_expires_at(1000);
        assert!(!t.is_expired_at(900, 60));
        assert!(t.is_expired_at(950, 60));
        assert!(t.is_expired_at(1000, 0));
        assert!(!TokenSet::bearer("a").is_expired_at(i64::MAX, 0));
    }

    #[test]
    fn provider_numbers_survive_save_and_load_exactly() {
        // Found by fuzzing (fuzz/regressions/token_set_json): without exact
        // float parsing, a large or long float in `raw` drifted by one
        // unit in the last place on every save/load cycle.
        for n in [
            "2335630728451616231622400",
            "2.3356307284516162e24",
            "0.30000000000000004",
            "1.7976931348623157e308",
            "5e-324",
            "1330907749.123456789",
        ] {
            let json = format!(r#"{{"access_token":"a","raw":{{"n":{n}}},"issued_at":1}}"#);
            let once = TokenSet::from_json(&json).unwrap().to_json();
            let twice = TokenSet::from_json(&once).unwrap().to_json();
            assert_eq!(once, twice, "{n}");
        }
    }

    #[test]
    fn debug_redacts_everything_secret() {
        let mut t = full();
        t.extra.insert("note".into(), Value::from("do-not-print"));
        let d = format!("{t:?}");
        for s in ["\"at\"", "\"rt\"", "idt", "do-not-print"] {
            assert!(!d.contains(s), "{s} leaked in {d}");
        }
    }
}
