//! [`Claims`]: who signed in, typed. The claims of an ID token (OpenID
//! Connect Core §2) or of a userinfo answer (§5.1), with the standard
//! claims as typed fields, the rest in [`extra`](Claims::extra), and the
//! two rules every caller needs: the stable [`subject_id`](Claims::subject_id)
//! tokens are stored under, and the [`display_name`](Claims::display_name)
//! shown to the user.
//!

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// The claims about the user of an ID token or a userinfo answer.
///
/// Real providers send some standard claims with the wrong JSON type
/// (`"email_verified": "true"`, `"updated_at": "2024-01-01T00:00:00Z"`).
/// Such a claim never fails a sign-in: a string `"true"`/`"false"` is read
/// as the boolean, a number in a string as the number, and any other value
/// of the wrong type leaves the typed field `None` (or empty) and is kept,
/// as sent, in [`extra`](Claims::extra), so nothing is lost and
/// [`claim`](Claims::claim) still reads it.
///
/// ```
/// use oauthkit::Claims;
/// let claims = Claims::from_json(r#"{
///     "sub": "248289761001", "iss": "https://idp.example", "aud": "app",
///     "exp": 1700003600, "email": "jane@example.test",
///     "email_verified": "true", "tenant": {"id": 7}
/// }"#)?;
/// assert_eq!(claims.sub.as_deref(), Some("248289761001"));
/// assert_eq!(claims.aud, ["app"]);
/// assert_eq!(claims.email_verified, Some(true)); // a string, read leniently
/// assert_eq!(claims.display_name().as_deref(), Some("jane@example.test"));
/// #[derive(serde::Deserialize)]
/// struct Tenant { id: u32 }
/// assert_eq!(claims.claim::<Tenant>("tenant")?.map(|t| t.id), Some(7));
/// # Ok::<(), oauthkit::Error>(())
/// ```
#[derive(Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Claims {
    /// `sub`: the subject, the user's identifier at the issuer.
    pub sub: Option<String>,
    /// `iss`: the issuer.
    pub iss: Option<String>,
    /// `aud`: the audiences (a single string is one audience).
    pub aud: Vec<String>,
    /// `exp`: when the ID token expires.
    pub exp: Option<SystemTime>,
    /// `iat`: when the ID token was issued.
    pub iat: Option<SystemTime>,
    /// `auth_time`: when the user authenticated.
    pub auth_time: Option<SystemTime>,
    /// `nonce`: the sign-in's nonce (never shown by `Debug`).
    pub nonce: Option<String>,
    /// `acr`: the authentication context class.
    pub acr: Option<String>,
    /// `amr`: the authentication methods (a single string is one method).
    pub amr: Vec<String>,
    /// `azp`: the authorized party.
    pub azp: Option<String>,
    /// `sid`: the session id (OpenID Connect Front/Back-Channel Logout).
    pub sid: Option<String>,
    /// `email`.
    pub email: Option<String>,
    /// `email_verified` (`"true"`/`"false"` strings are read as booleans).
    pub email_verified: Option<bool>,
    /// `name`: the full name.
    pub name: Option<String>,
    /// `given_name`.
    pub given_name: Option<String>,
    /// `family_name`.
    pub family_name: Option<String>,
    /// `middle_name`.
    pub middle_name: Option<String>,
    /// `nickname`.
    pub nickname: Option<String>,
    /// `preferred_username`.
    pub preferred_username: Option<String>,
    /// `profile`: the profile page URL.
    pub profile: Option<String>,
    /// `picture`: the picture URL.
    pub picture: Option<String>,
    /// `website`.
    pub website: Option<String>,
    /// `gender`.
    pub gender: Option<String>,
    /// `birthdate` (`YYYY-MM-DD`, or `YYYY`, as sent).
    pub birthdate: Option<String>,
    /// `locale` (a BCP 47 tag such as `en-US`).
    pub locale: Option<String>,
    /// `zoneinfo` (a time zone such as `Europe/Paris`).
    pub zoneinfo: Option<String>,
    /// `phone_number`.
    pub phone_number: Option<String>,
    /// `phone_number_verified` (`"true"`/`"false"` strings are read as
    /// booleans).
    pub phone_number_verified: Option<bool>,
    /// `updated_at`: when the user's information was last updated (seconds
    /// since the epoch, also when sent as a string of digits).
    pub updated_at: Option<SystemTime>,
    /// Every other claim, and any standard claim sent with a type that
    /// could not be read (kept as sent).
    pub extra: Map<String, Value>,
}

impl Claims {
    /// Reads claims from a JSON object (an ID token payload, a userinfo
    /// answer). Wrong-typed standard claims do not fail (see
    /// [`Claims`]).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when `json` is not a JSON object.
    pub fn from_json(json: &str) -> Result<Claims> {
        let value: Value = serde_json::from_str(json)
            .map_err(|e| Error::InvalidArgument(format!("the claims are not JSON: {e}")))?;
        Claims::from_value(value)
    }

    /// Reads claims from a JSON value, as [`from_json`](Self::from_json).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when `value` is not a JSON object.
    pub fn from_value(value: Value) -> Result<Claims> {
        match value {
            Value::Object(map) => Ok(Claims::from_map(map)),
            other => Err(Error::InvalidArgument(format!(
                "the claims are a JSON {}, not an object",
                json_type(&other)
            ))),
        }
    }

    /// Reads claims from a JSON object's members (never fails).
    pub fn from_map(mut map: Map<String, Value>) -> Claims {
        // in this order: each reader takes its claim out of `map`, and
        // what is left is `extra`
        Claims {
            sub: string("sub", &mut map),
            iss: string("iss", &mut map),
            nonce: string("nonce", &mut map),
            acr: string("acr", &mut map),
            azp: string("azp", &mut map),
            sid: string("sid", &mut map),
            email: string("email", &mut map),
            name: string("name", &mut map),
            given_name: string("given_name", &mut map),
            family_name: string("family_name", &mut map),
            middle_name: string("middle_name", &mut map),
            nickname: string("nickname", &mut map),
            preferred_username: string("preferred_username", &mut map),
            profile: string("profile", &mut map),
            picture: string("picture", &mut map),
            website: string("website", &mut map),
            gender: string("gender", &mut map),
            birthdate: string("birthdate", &mut map),
            locale: string("locale", &mut map),
            zoneinfo: string("zoneinfo", &mut map),
            phone_number: string("phone_number", &mut map),
            aud: strings("aud", &mut map),
            amr: strings("amr", &mut map),
            email_verified: boolean("email_verified", &mut map),
            phone_number_verified: boolean("phone_number_verified", &mut map),
            exp: time("exp", &mut map),
            iat: time("iat", &mut map),
            auth_time: time("auth_time", &mut map),
            updated_at: time("updated_at", &mut map),
            extra: map,
        }
    }

    /// The claims as the JSON object they were read from (typed claims
    /// written back in their standard form; times as seconds since the
    /// epoch).
    pub fn to_json_map(&self) -> Map<String, Value> {
        let mut m = Map::new();
        let mut put = |name: &str, v: Option<Value>| {
            if let Some(v) = v {
                m.insert(name.to_owned(), v);
            }
        };
        let s = |v: &Option<String>| v.clone().map(Value::String);
        let t = |v: &Option<SystemTime>| v.map(|t| Value::from(epoch_seconds(t)));
        let b = |v: &Option<bool>| v.map(Value::Bool);
        let list = |v: &[String]| match v {
            [] => None,
            [one] => Some(Value::String(one.clone())),
            many => Some(Value::from(many.to_vec())),
        };
        put("sub", s(&self.sub));
        put("iss", s(&self.iss));
        put("aud", list(&self.aud));
        put("exp", t(&self.exp));
        put("iat", t(&self.iat));
        put("auth_time", t(&self.auth_time));
        put("nonce", s(&self.nonce));
        put("acr", s(&self.acr));
        put(
            "amr",
            (!self.amr.is_empty()).then(|| Value::from(self.amr.clone())),
        );
        put("azp", s(&self.azp));
        put("sid", s(&self.sid));
        put("email", s(&self.email));
        put("email_verified", b(&self.email_verified));
        put("name", s(&self.name));
        put("given_name", s(&self.given_name));
        put("family_name", s(&self.family_name));
        put("middle_name", s(&self.middle_name));
        put("nickname", s(&self.nickname));
        put("preferred_username", s(&self.preferred_username));
        put("profile", s(&self.profile));
        put("picture", s(&self.picture));
        put("website", s(&self.website));
        put("gender", s(&self.gender));
        put("birthdate", s(&self.birthdate));
        put("locale", s(&self.locale));
        put("zoneinfo", s(&self.zoneinfo));
        put("phone_number", s(&self.phone_number));
        put("phone_number_verified", b(&self.phone_number_verified));
        put("updated_at", t(&self.updated_at));
        for (k, v) in &self.extra {
            m.entry(k.clone()).or_insert_with(|| v.clone());
        }
        m
    }

    /// The claims as a JSON text (see [`to_json_map`](Self::to_json_map)).
    pub fn to_json(&self) -> String {
        Value::Object(self.to_json_map()).to_string()
    }

    /// The claim `name` read as `T`: a custom claim, or a standard one in
    /// its standard JSON form (times as seconds since the epoch). `Ok(None)`
    /// when the claim is absent.
    ///
    /// ```
    /// let claims = oauthkit::Claims::from_json(r#"{"sub": "u1", "groups": ["a", "b"]}"#)?;
    /// assert_eq!(claims.claim::<Vec<String>>("groups")?, Some(vec!["a".into(), "b".into()]));
    /// assert_eq!(claims.claim::<String>("sub")?.as_deref(), Some("u1"));
    /// assert_eq!(claims.claim::<String>("missing")?, None);
    /// assert!(claims.claim::<u64>("groups").is_err());
    /// # Ok::<(), oauthkit::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when the claim is present but is not a
    /// `T` (the message names the claim, never its value).
    pub fn claim<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>> {
        let value = match self.extra.get(name) {
            Some(v) => v.clone(),
            None => match self.to_json_map().remove(name) {
                Some(v) => v,
                None => return Ok(None),
            },
        };
        let kind = json_type(&value);
        serde_json::from_value(value).map(Some).map_err(|_| {
            Error::InvalidArgument(format!(
                "the claim '{}' is a JSON {kind}, not of the type asked for",
                crate::log_text::plain(name, 100)
            ))
        })
    }

    /// The stable identifier of the user, what tokens are stored under:
    /// `sub`, else (for OAuth 2.0 providers without OpenID Connect, such as
    /// GitHub) a non-empty string or a number in `id`, then `login`, then
    /// `email`.
    ///
    /// ```
    /// let github = oauthkit::Claims::from_json(r#"{"id": 583231, "login": "octocat"}"#)?;
    /// assert_eq!(github.subject_id().as_deref(), Some("583231"));
    /// # Ok::<(), oauthkit::Error>(())
    /// ```
    pub fn subject_id(&self) -> Option<String> {
        self.sub
            .clone()
            .filter(|s| !s.is_empty())
            .or_else(|| extra_id(&self.extra, "id"))
            .or_else(|| extra_id(&self.extra, "login"))
            .or_else(|| self.email.clone().filter(|s| !s.is_empty()))
    }

    /// The name to show for who signed in: `email`, else
    /// `preferred_username`, GitHub's `login`, `name`, then
    /// [`subject_id`](Self::subject_id). Not escaped: it came from the
    /// provider (escape it before printing it to a terminal).
    ///
    /// ```
    /// let c = oauthkit::Claims::from_json(r#"{"sub": "u1", "preferred_username": "jane"}"#)?;
    /// assert_eq!(c.display_name().as_deref(), Some("jane"));
    /// # Ok::<(), oauthkit::Error>(())
    /// ```
    pub fn display_name(&self) -> Option<String> {
        let non_empty = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
        non_empty(&self.email)
            .or_else(|| non_empty(&self.preferred_username))
            .or_else(|| match self.extra.get("login") {
                Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
                _ => None,
            })
            .or_else(|| non_empty(&self.name))
            .or_else(|| self.subject_id())
    }

    /// The claims of a userinfo answer (a JSON object; `None` otherwise).
    pub(crate) fn from_object(value: Value) -> Option<Claims> {
        match value {
            Value::Object(map) => Some(Claims::from_map(map)),
            _ => None,
        }
    }

    /// Reads the payload of a compact JWT without checking its signature:
    /// only for an ID token that was validated when it was received (as a
    /// stored [`TokenSet`](crate::TokenSet)'s). `None` when it is not a
    /// JWT with a JSON object payload.
    pub(crate) fn of_validated_jwt(jwt: &str) -> Option<Claims> {
        crate::provider::identity::unverified_claims(jwt).map(Claims::from_map)
    }
}

fn map_back(name: &str, value: Value, map: &mut Map<String, Value>) {
    log::debug!(
        "the standard claim '{name}' is a JSON {}: kept as sent in Claims::extra",
        json_type(&value)
    );
    map.insert(name.to_owned(), value);
}

fn string(name: &str, map: &mut Map<String, Value>) -> Option<String> {
    match map.remove(name) {
        Some(Value::String(s)) => Some(s),
        Some(other) => {
            map_back(name, other, map);
            None
        }
        None => None,
    }
}

fn strings(name: &str, map: &mut Map<String, Value>) -> Vec<String> {
    match map.remove(name) {
        Some(Value::String(s)) => vec![s],
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => items
            .into_iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s),
                _ => None,
            })
            .collect(),
        Some(other) => {
            map_back(name, other, map);
            Vec::new()
        }
        None => Vec::new(),
    }
}

fn boolean(name: &str, map: &mut Map<String, Value>) -> Option<bool> {
    match map.remove(name) {
        Some(Value::Bool(b)) => Some(b),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Some(true),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Some(false),
        Some(other) => {
            map_back(name, other, map);
            None
        }
        None => None,
    }
}

fn time(name: &str, map: &mut Map<String, Value>) -> Option<SystemTime> {
    let value = map.remove(name)?;
    let seconds = match &value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    match seconds
        .filter(|s| s.is_finite() && *s >= 0.0 && *s < 1e15)
        .and_then(|s| UNIX_EPOCH.checked_add(Duration::from_secs_f64(s)))
    {
        Some(t) => Some(t),
        None => {
            map_back(name, value, map);
            None
        }
    }
}

fn epoch_seconds(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn extra_id(extra: &Map<String, Value>, name: &str) -> Option<String> {
    match extra.get(name) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Shows the issuer, the subject, the audiences, the times and the names
/// of the other claims, never their values (personal data, the nonce).
impl fmt::Debug for Claims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = self
            .to_json_map()
            .keys()
            .filter(|k| !matches!(k.as_str(), "iss" | "sub" | "aud" | "exp" | "iat"))
            .map(|k| crate::log_text::plain(k, 60))
            .collect();
        f.debug_struct("Claims")
            .field("iss", &self.iss)
            .field("sub", &self.sub)
            .field("aud", &self.aud)
            .field("exp", &self.exp.map(epoch_seconds))
            .field("iat", &self.iat.map(epoch_seconds))
            .field("other_claims", &names)
            .finish()
    }
}

impl Serialize for Claims {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        self.to_json_map().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Claims {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        Map::<String, Value>::deserialize(deserializer).map(Claims::from_map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(v: Value) -> Claims {
        Claims::from_value(v).unwrap()
    }

    #[test]
    fn every_standard_claim_is_typed() {
        let c = claims(json!({
            "sub": "s", "iss": "i", "aud": ["a", "b"], "exp": 2, "iat": 1,
            "auth_time": 1, "nonce": "n", "acr": "acr", "amr": ["pwd"], "azp": "a",
            "sid": "sid", "email": "e", "email_verified": true, "name": "n",
            "given_name": "g", "family_name": "f", "middle_name": "m",
            "nickname": "k", "preferred_username": "p", "profile": "pr",
            "picture": "pi", "website": "w", "gender": "x", "birthdate": "2000",
            "locale": "en", "zoneinfo": "Z", "phone_number": "+1",
            "phone_number_verified": false, "updated_at": 3
        }));
        assert!(c.extra.is_empty(), "{:?}", c.extra);
        assert_eq!(c.aud, ["a", "b"]);
        assert_eq!(c.exp, Some(UNIX_EPOCH + Duration::from_secs(2)));
        assert_eq!(c.updated_at, Some(UNIX_EPOCH + Duration::from_secs(3)));
        assert_eq!(c.phone_number_verified, Some(false));
    }

    #[test]
    fn wrong_typed_standard_claims_are_kept_not_fatal() {
        let c = claims(json!({
            "sub": 42, "email_verified": "TRUE", "phone_number_verified": "yes",
            "updated_at": "2024-01-01T00:00:00Z", "exp": "1700000000",
            "iat": -5, "aud": [1, 2], "amr": "pwd", "name": null, "email": ["x"]
        }));
        assert_eq!(c.sub, None);
        assert_eq!(c.extra["sub"], 42);
        assert_eq!(c.email_verified, Some(true));
        assert_eq!(c.phone_number_verified, None);
        assert_eq!(c.extra["phone_number_verified"], "yes");
        assert_eq!(c.updated_at, None);
        assert_eq!(c.extra["updated_at"], "2024-01-01T00:00:00Z");
        assert_eq!(c.exp, Some(UNIX_EPOCH + Duration::from_secs(1_700_000_000)));
        assert_eq!(c.extra["iat"], -5);
        assert_eq!(c.extra["aud"], json!([1, 2]));
        assert_eq!(c.amr, ["pwd"]);
        assert_eq!(c.extra["name"], Value::Null);
        assert_eq!(c.extra["email"], json!(["x"]));
        // nothing is lost: the custom getter reads them as sent
        assert_eq!(c.claim::<u64>("sub").unwrap(), Some(42));
        assert_eq!(
            c.claim::<String>("updated_at").unwrap().as_deref(),
            Some("2024-01-01T00:00:00Z")
        );
        // the wrong-typed `sub` (a number) still identifies the user? No:
        // only a string `sub` is a subject; `id`/`login`/`email` follow.
        assert_eq!(c.subject_id(), None);
    }

    #[test]
    fn round_trips_through_json() {
        let v = json!({"sub": "s", "aud": "a", "exp": 5, "custom": {"k": [1]}, "email_verified": false});
        let c = claims(v.clone());
        assert_eq!(serde_json::to_value(&c).unwrap(), v);
        let back: Claims = serde_json::from_value(v).unwrap();
        assert_eq!(back, c);
    }

    #[test]
    fn non_objects_are_refused() {
        for v in [json!(null), json!([]), json!("s"), json!(1), json!(true)] {
            let e = Claims::from_value(v).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidArgument);
        }
        assert!(Claims::from_json("{").is_err());
    }

    #[test]
    fn debug_shows_no_personal_data_or_nonce() {
        let c = claims(json!({
            "sub": "s1", "nonce": "nonce-secret", "email": "mail-secret@x",
            "name": "name-secret", "phone_number": "phone-secret",
            "custom": "custom-secret", "email_verified": "true"
        }));
        let d = format!("{c:?}");
        assert!(
            d.contains("s1") && d.contains("custom") && d.contains("nonce"),
            "{d}"
        );
        assert!(!d.contains("secret"), "{d}");
    }

    #[test]
    fn identity_rules() {
        let id = |v: Value| claims(v).subject_id();
        assert_eq!(id(json!({"sub": "s", "id": 1})).as_deref(), Some("s"));
        assert_eq!(id(json!({"sub": "", "id": 7})).as_deref(), Some("7"));
        assert_eq!(id(json!({"id": "", "login": "oc"})).as_deref(), Some("oc"));
        assert_eq!(id(json!({"email": "e@x"})).as_deref(), Some("e@x"));
        assert_eq!(id(json!({"id": [1]})), None);
        let who = |v: Value| claims(v).display_name();
        assert_eq!(
            who(json!({"sub": "s", "email": "e", "name": "n"})).as_deref(),
            Some("e")
        );
        assert_eq!(
            who(json!({"sub": "s", "login": "oc", "name": "n"})).as_deref(),
            Some("oc")
        );
        assert_eq!(who(json!({"sub": "s", "name": "n"})).as_deref(), Some("n"));
        assert_eq!(who(json!({"id": 3})).as_deref(), Some("3"));
        assert_eq!(who(json!({})), None);
    }
}
