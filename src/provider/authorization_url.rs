//! The authorization URL to open in the browser, with how long it works
//! when it carries a pushed request's `request_uri` (RFC 9126 §2.2:
//! `expires_in`).
//!
//! A pushed request lives for the `expires_in` the PAR endpoint gave,
//! counted here from the moment the request was sent (so never longer
//! than the provider meant). The flows push again when that lifetime is
//! over before the browser is sent ([`authorization_url`](crate::provider::Provider::authorization_url)).

use std::time::{Duration, Instant};

/// The longest lifetime of a pushed request taken at the provider's word:
/// one hour. RFC 9126 §2.2 calls for a short-lived `request_uri` (its
/// examples: 60 and 90 s); a longer `expires_in` is read as this, so the
/// flows may push again sooner than needed, never later.
pub const MAX_PAR_LIFETIME: Duration = Duration::from_secs(3600);

/// An authorization URL and, for a pushed request, when its `request_uri`
/// expires.
///
/// ```
/// use oauthkit::provider::AuthorizationUrl;
/// let plain = AuthorizationUrl::new("https://idp.example/authorize?client_id=app");
/// assert!(!plain.is_expired());
/// assert_eq!(plain.expires_at(), None);
/// assert_eq!(plain.into_url(), "https://idp.example/authorize?client_id=app");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationUrl {
    url: String,
    pushed: Option<Pushed>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pushed {
    lifetime: Duration,
    expires_at: Instant,
}

impl AuthorizationUrl {
    /// A URL that holds the whole request (nothing pushed, no expiry).
    pub fn new(url: impl Into<String>) -> Self {
        AuthorizationUrl {
            url: url.into(),
            pushed: None,
        }
    }

    /// A URL carrying a pushed request's `request_uri` that lives for
    /// `lifetime` (at most [`MAX_PAR_LIFETIME`])
    /// from `sent_at` (when the push was sent).
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use oauthkit::provider::AuthorizationUrl;
    /// let u = AuthorizationUrl::pushed("https://idp.example/authorize?request_uri=urn:x", Instant::now(), Duration::from_secs(60));
    /// assert!(!u.is_expired());
    /// assert_eq!(u.lifetime(), Some(Duration::from_secs(60)));
    /// let old = AuthorizationUrl::pushed("https://idp.example/authorize?request_uri=urn:y", Instant::now(), Duration::ZERO);
    /// assert!(old.is_expired());
    /// ```
    pub fn pushed(url: impl Into<String>, sent_at: Instant, lifetime: Duration) -> Self {
        let lifetime = lifetime.min(MAX_PAR_LIFETIME);
        let expires_at = sent_at.checked_add(lifetime).unwrap_or(sent_at);
        AuthorizationUrl {
            url: url.into(),
            pushed: Some(Pushed {
                lifetime,
                expires_at,
            }),
        }
    }

    /// The URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The URL, consuming this value.
    pub fn into_url(self) -> String {
        self.url
    }

    /// Whether the URL carries a pushed request (RFC 9126).
    pub fn is_pushed(&self) -> bool {
        self.pushed.is_some()
    }

    /// The pushed request's lifetime (its `expires_in`), when pushed.
    pub fn lifetime(&self) -> Option<Duration> {
        self.pushed.map(|p| p.lifetime)
    }

    /// When the pushed request's `request_uri` expires, when pushed.
    pub fn expires_at(&self) -> Option<Instant> {
        self.pushed.map(|p| p.expires_at)
    }

    /// Whether the pushed request has expired (never for a URL that holds
    /// the whole request).
    pub fn is_expired(&self) -> bool {
        self.pushed.is_some_and(|p| Instant::now() >= p.expires_at)
    }
}
