//! The provider's half of the device authorization grant (RFC 8628): the
//! device authorization request (§3.1, §3.2) and one poll of the token
//! endpoint (§3.4, §3.5). The waiting, the user prompt and storage are the
//! flow's ([`DeviceFlow`](crate::flow::DeviceFlow)).
//!
//! Both requests use the token endpoint's client authentication; the poll
//! goes through the same token-request path as the code and refresh grants
//! (so the same error handling applies).

use std::time::Duration;

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::provider::client::OAuthClient;
use crate::provider::client_auth::ClientAuthMethod;
use crate::provider::grants::request::GrantRequest;
use crate::provider::http::check_endpoint_url;
use crate::provider::token_response::lenient_seconds;
use crate::secret::Secret;
use crate::terminal_text::{escape, is_plain};
use crate::token::TokenSet;

/// The `grant_type` of a device-code poll (RFC 8628 §3.4).
pub const DEVICE_CODE_GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// The polling interval when the provider names none (RFC 8628 §3.2).
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);

/// What `slow_down` adds to this and every later poll's interval
/// (RFC 8628 §3.5).
pub const SLOW_DOWN_INCREMENT: Duration = Duration::from_secs(5);

/// The shortest interval used, whatever the provider says: an `interval`
/// of 0 would otherwise make the client hammer the token endpoint.
pub const MIN_INTERVAL: Duration = Duration::from_secs(1);

/// The device code's lifetime assumed when the provider omits the
/// (required) `expires_in`: 15 minutes, as Microsoft and GitHub issue.
pub const DEFAULT_EXPIRES_IN: Duration = Duration::from_secs(900);

/// The longest device-code lifetime believed: a day (a longer `expires_in`
/// is cut to this, so the wait always ends).
pub const MAX_EXPIRES_IN: Duration = Duration::from_secs(24 * 3600);

/// The longest `user_code` accepted (RFC 8628 §6.1 suggests 8 characters;
/// anything this long is not meant for a human).
const MAX_USER_CODE_CHARS: usize = 64;

/// The provider's answer to a device authorization request (RFC 8628
/// §3.2), checked: the URIs are https (http only on loopback hosts) and
/// the user code is short and printable, so showing them cannot inject
/// terminal escape sequences.
#[derive(Clone)]
pub struct DeviceAuthorization {
    /// The device code: a credential, redacted in `Debug`.
    pub device_code: Secret,
    /// The code the user types at the verification page (a response whose
    /// code holds a control, bidi or invisible format character is
    /// refused, see [`terminal_text`](crate::unversioned::terminal_text)).
    pub user_code: String,
    /// Where the user goes (on another device) to enter the code: https
    /// (http only on loopback), without control, bidi or invisible format
    /// characters, or the response is refused.
    pub verification_uri: String,
    /// The verification URI with the code in it, when the provider sends
    /// one (for QR codes and links); dropped when it is not a usable URL
    /// or holds such characters.
    pub verification_uri_complete: Option<String>,
    /// How long the device code lives ([`DEFAULT_EXPIRES_IN`] when the
    /// provider does not say).
    pub expires_in: Duration,
    /// The polling interval ([`DEFAULT_INTERVAL`] when the provider does
    /// not say, at least [`MIN_INTERVAL`], at most [`MAX_EXPIRES_IN`]).
    pub interval: Duration,
    /// The provider's own instructions (Microsoft's `message`), with
    /// control, bidi and invisible format characters escaped visibly
    /// (`\u{202e}`, [`crate::terminal_text::escape`]).
    pub message: Option<String>,
    /// The scopes asked for; the granted scope when the token response
    /// names none.
    pub scopes: Vec<String>,
}

impl std::fmt::Debug for DeviceAuthorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceAuthorization")
            .field("device_code", &"[redacted]")
            .field("user_code", &self.user_code)
            .field("verification_uri", &self.verification_uri)
            .field("verification_uri_complete", &self.verification_uri_complete)
            .field("expires_in", &self.expires_in)
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

/// The outcome of one poll that is not a failure.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum DevicePoll {
    /// The user approved: the tokens (ID token validated where the
    /// provider does that).
    Tokens(Box<TokenSet>),
    /// `authorization_pending`: poll again after the interval.
    Pending,
    /// `slow_down`: poll again after the interval plus
    /// [`SLOW_DOWN_INCREMENT`], and keep the longer interval.
    SlowDown,
}

/// The error for a provider that has no device authorization endpoint.
pub(crate) fn no_device_endpoint(provider: &str) -> Error {
    Error::ProviderUnsupported {
        provider: provider.to_owned(),
        feature: "the device authorization grant (RFC 8628)",
        detail: "no device_authorization_endpoint configured or discovered".into(),
    }
}

/// `device_authorization_endpoint` from discovery (RFC 8628 §4).
pub(crate) fn discovered_endpoint(
    metadata: &crate::provider::oidc::discovery::ProviderMetadata,
) -> Option<String> {
    metadata
        .other
        .get("device_authorization_endpoint")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

impl OAuthClient {
    /// RFC 8628 §3.1: POST `client_id` (or the client's authentication),
    /// `scope` and the extra parameters to the device authorization
    /// endpoint.
    pub(crate) fn device_authorization(
        &self,
        url: &str,
        method: ClientAuthMethod,
        request: &GrantRequest,
    ) -> Result<DeviceAuthorization> {
        const ENDPOINT: &str = "device_authorization";
        request.check("device_authorization")?;
        check_endpoint_url(ENDPOINT, url)?;
        let mut form: Vec<(String, String)> = Vec::new();
        let scopes = request
            .grant
            .push_scope_and_resources(&mut form, &self.scopes)?;
        request
            .grant
            .push_params(&mut form, "device authorization", &["scope"])?;
        let applied = self.creds.apply(method, form)?;
        self.post_form_for_json(ENDPOINT, url, &applied, |value| {
            let Value::Object(map) = value else {
                return Err(bad_response("the response is not a JSON object"));
            };
            parse_device_authorization(map, scopes)
        })
    }

    /// RFC 8628 §3.4: one poll with `grant_type=...device_code`, through
    /// the shared token-request path. `authorization_pending` and
    /// `slow_down` are outcomes, every other error is returned.
    pub(crate) fn poll_device(
        &self,
        token_url: &str,
        method: ClientAuthMethod,
        authorization: &DeviceAuthorization,
    ) -> Result<DevicePoll> {
        let form = vec![
            ("grant_type".to_owned(), DEVICE_CODE_GRANT_TYPE.to_owned()),
            (
                "device_code".to_owned(),
                authorization.device_code.expose().to_owned(),
            ),
        ];
        let client = OAuthClient {
            http: self.http.clone(),
            creds: self.creds.clone(),
            scopes: authorization.scopes.clone(),
            resources: self.resources.clone(),
            dpop: self.dpop.clone(),
        };
        // DPoP: every poll of one device code signs with the same key
        let key = match &self.dpop {
            Some(d) => Some(d.key_for_grant(authorization.device_code.expose())?),
            None => None,
        };
        match client.token_request_bound(
            "token",
            token_url,
            method,
            form,
            key.as_ref(),
            &mut |_| Ok(()),
        ) {
            Ok(t) => Ok(DevicePoll::Tokens(Box::new(t))),
            Err(Error::OAuth { error, .. }) if error == "authorization_pending" => {
                Ok(DevicePoll::Pending)
            }
            Err(Error::OAuth { error, .. }) if error == "slow_down" => Ok(DevicePoll::SlowDown),
            Err(e) => Err(e),
        }
    }
}

fn bad_response(why: &str) -> Error {
    Error::Http {
        endpoint: "device_authorization".into(),
        message: format!("invalid device authorization response: {why}"),
        source: None,
    }
}

fn parse_device_authorization(
    map: Map<String, Value>,
    scopes: Vec<String>,
) -> Result<DeviceAuthorization> {
    let string = |name: &str| {
        map.get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let device_code = string("device_code").ok_or_else(|| bad_response("no device_code"))?;
    let user_code = string("user_code").ok_or_else(|| bad_response("no user_code"))?;
    // a code the user reads and types: a control, bidi or zero-width
    // character could only mislead (terminal_text.rs)
    if user_code.chars().count() > MAX_USER_CODE_CHARS || !is_plain(user_code) {
        return Err(bad_response(
            "the user_code is too long or has control, bidi or invisible format characters",
        ));
    }
    // Google still sends the draft's `verification_url`.
    let verification_uri = string("verification_uri")
        .or_else(|| string("verification_url"))
        .ok_or_else(|| bad_response("no verification_uri"))?;
    let verification_uri = display_url(verification_uri).ok_or_else(|| {
        bad_response(
            "the verification_uri is not an https URL (http only on loopback hosts) or has control, bidi or invisible format characters",
        )
    })?;
    let verification_uri_complete = string("verification_uri_complete")
        .or_else(|| string("verification_url_complete"))
        .and_then(display_url);
    let seconds = |name: &str| map.get(name).and_then(lenient_seconds);
    let expires_in = seconds("expires_in")
        .map(|s| Duration::from_secs(s as u64).min(MAX_EXPIRES_IN))
        .unwrap_or(DEFAULT_EXPIRES_IN);
    let interval = seconds("interval")
        .map(|s| Duration::from_secs(s as u64))
        .unwrap_or(DEFAULT_INTERVAL)
        .clamp(MIN_INTERVAL, MAX_EXPIRES_IN);
    let message =
        string("message").map(|m| escape(&m.chars().take(1000).collect::<String>()).into_owned());
    Ok(DeviceAuthorization {
        device_code: Secret::new(device_code),
        user_code: user_code.to_owned(),
        verification_uri,
        verification_uri_complete,
        expires_in,
        interval,
        message,
        scopes,
    })
}

/// The URL as the URL parser writes it (so no raw spaces survive), when it
/// is https or http on loopback and holds no control, bidi or invisible
/// format character (refused, not escaped: the address is shown for the
/// user to type or open).
fn display_url(s: &str) -> Option<String> {
    if !is_plain(s) {
        return None;
    }
    check_endpoint_url("verification", s)
        .ok()
        .map(|u| u.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<DeviceAuthorization> {
        let Value::Object(m) = v else { unreachable!() };
        parse_device_authorization(m, vec![])
    }

    #[test]
    fn defaults_and_leniency() {
        let a = parse(json!({"device_code":"dc","user_code":"ABCD-EFGH",
            "verification_url":"https://www.google.com/device","expires_in":"1800"}))
        .unwrap();
        assert_eq!(a.verification_uri, "https://www.google.com/device");
        assert_eq!(a.expires_in, Duration::from_secs(1800));
        assert_eq!(a.interval, DEFAULT_INTERVAL);
        assert!(!format!("{a:?}").contains("dc\""));
        let a = parse(json!({"device_code":"dc","user_code":"X",
            "verification_uri":"https://idp.example/device","interval":0}))
        .unwrap();
        assert_eq!(a.interval, MIN_INTERVAL);
        assert_eq!(a.expires_in, DEFAULT_EXPIRES_IN);
    }

    #[test]
    fn hostile_values_are_refused_or_dropped() {
        for bad in [
            json!({"user_code":"X","verification_uri":"https://a.example/"}),
            json!({"device_code":"d","verification_uri":"https://a.example/"}),
            json!({"device_code":"d","user_code":"X\u{1b}[2J","verification_uri":"https://a.example/"}),
            json!({"device_code":"d","user_code":"X".repeat(65),"verification_uri":"https://a.example/"}),
            json!({"device_code":"d","user_code":"X","verification_uri":"http://evil.example/"}),
            json!({"device_code":"d","user_code":"X","verification_uri":"javascript:alert(1)"}),
            json!({"device_code":"d","user_code":"X","verification_uri":"https://a.example/\u{1b}]8;;x"}),
            json!({"device_code":"d","user_code":"X"}),
        ] {
            let e = parse(bad.clone()).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::Http, "{bad}");
        }
        let a = parse(json!({"device_code":"d","user_code":"X",
            "verification_uri":"https://a.example/",
            "verification_uri_complete":"file:///etc/passwd",
            "message":"go\u{1b}[31m there"}))
        .unwrap();
        assert_eq!(a.verification_uri_complete, None);
        assert_eq!(a.message.as_deref(), Some("go\\u{1b}[31m there"));
    }
}
