//! The one error type of the crate.
//!
//! Every fallible call returns [`Result<T>`](crate::Result). Callers match on
//! [`Error::kind`] (a small, stable, C-like enum that the C ABI maps one to
//! one onto status codes) or on the variant itself when they want its fields.
//!
//! Messages never contain secrets: no access, refresh or ID token and no
//! client secret is ever formatted into an error. Values that come from a
//! peer (a provider's `error_description`, a file path) may appear.
//!
//! **One convention for causes** (the Rust API guidelines' rule): when a
//! lower-level error caused this one, it is returned by
//! [`source()`](std::error::Error::source) and *not* repeated in this
//! error's `Display`. `Display` is one sentence about this level; walk the
//! chain (or use [`Error::report`]) to show the causes too:
//!
//! ```
//! use std::error::Error as _;
//! let err = oauthkit::store::JsonFileStore::open("/proc/oauthkit-test/tokens.json").unwrap_err();
//! assert_eq!(err.to_string(), "I/O error: creating directory /proc/oauthkit-test");
//! assert!(err.source().is_some()); // the operating system's error
//! assert!(err.report().to_string().starts_with("I/O error: creating directory /proc/oauthkit-test: "));
//! ```

use std::fmt;

/// A boxed lower-level error kept as the [`std::error::Error::source`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Shorthand for `std::result::Result<T, oauthkit::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, in a form a caller (or a C program) can branch on.
///
/// The numeric values are part of the C ABI (`OAK_ERR_*`) and never change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(i32)]
pub enum ErrorKind {
    /// A key, client, code or token does not exist.
    NotFound = 1,
    /// A backend failed to store or fetch (database error, Redis error).
    Storage = 2,
    /// Stored data could not be parsed; it was left as it was.
    Corrupt = 3,
    /// A validator refused a token set ([`Error::Validation`]).
    Validation = 4,
    /// An operating-system I/O error.
    Io = 5,
    /// A backend service is not reachable (no keyring daemon, Redis down).
    Unavailable = 6,
    /// The backend cannot do this (for example enumerating memcached keys).
    Unsupported = 7,
    /// The caller passed something unusable (bad spec, bad URL, bad key).
    InvalidArgument = 8,
    /// A transport-level HTTP failure: connect, TLS, timeout, oversized body.
    Http = 9,
    /// The provider answered with an OAuth error (`error=...`).
    OAuth = 10,
    /// The grant is gone (`invalid_grant`): the user must sign in again.
    InvalidGrant = 11,
    /// An ID token failed validation (signature, issuer, audience, ...).
    IdToken = 12,
    /// The sign-in did not finish in time.
    Timeout = 13,
    /// The sign-in was cancelled.
    Cancelled = 14,
    /// The sign-in failed (forged callback, provider error, mix-up).
    Authentication = 15,
    /// A lock could not be taken in time, or was lost before a write made
    /// under it ([`Error::LockLost`]: nothing was written).
    LockTimeout = 16,
    /// A sealed record of an encrypted store did not open: tampered, moved,
    /// sealed with a key the store does not hold, or plain text where only
    /// sealed records are accepted.
    Decryption = 31,
    /// A bug: a panic caught at the C boundary or a broken invariant.
    Internal = 99,
}

/// The error type of every fallible oauthkit call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Something looked up by key does not exist.
    #[error("{what} not found")]
    NotFound {
        /// What was looked up, e.g. `client 'abc'`.
        what: String,
    },
    /// A backend failed.
    #[error("{backend} store error: {message}")]
    Storage {
        /// The backend's name (`"sqlite"`, `"redis"`, ...).
        backend: &'static str,
        /// What failed.
        message: String,
        /// The backend's own error.
        #[source]
        source: Option<BoxError>,
    },
    /// Stored data is unreadable. Nothing was overwritten.
    #[error("corrupt data in {location}: {message}")]
    Corrupt {
        /// Where: a file path, a database row, a Redis key.
        location: String,
        /// Why it could not be read.
        message: String,
    },
    /// A validator of a [`ValidatingStore`](crate::store::ValidatingStore)
    /// refused a token set; it was neither saved nor returned.
    ///
    /// ```
    /// use oauthkit::Error;
    /// let e = Error::Validation {
    ///     validator: "not_expired",
    ///     key: "api.example.org".into(),
    ///     reason: "expired at 100".into(),
    /// };
    /// assert_eq!(
    ///     e.to_string(),
    ///     "token validation failed (not_expired) for 'api.example.org': expired at 100"
    /// );
    /// assert!(matches!(e, Error::Validation { validator: "not_expired", .. }));
    /// ```
    #[error("token validation failed ({validator}) for '{key}': {reason}")]
    Validation {
        /// The validator's name, e.g. `"not_expired"`.
        validator: &'static str,
        /// The key (resource server / user key) the token set is stored under.
        key: String,
        /// Why it was refused, without any secret.
        reason: String,
    },
    /// An I/O error, with what was being done; the operating system's
    /// error is the [`source`](std::error::Error::source).
    #[error("I/O error: {context}")]
    Io {
        /// What oauthkit was doing, e.g. `writing /home/a/tokens.json`.
        context: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A backend service cannot be reached.
    #[error("{backend} unavailable: {message}")]
    Unavailable {
        /// The backend's name.
        backend: &'static str,
        /// Why, and where relevant how to fix it.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<BoxError>,
    },
    /// The backend (or this build) cannot perform this operation. Reads
    /// "{backend} cannot {operation}", e.g. "the keyring store cannot
    /// store secrets on this platform".
    #[error("{backend} cannot {operation}")]
    Unsupported {
        /// What cannot do it, as the subject of a sentence: `"the sqlite
        /// store"`, `"the dev provider"`.
        backend: &'static str,
        /// What it cannot do, a verb phrase completing "cannot": `"list
        /// its keys"`, `"be opened: this build lacks the cargo feature
        /// ..."`.
        operation: &'static str,
    },
    /// An argument was unusable.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A transport failure talking to a provider.
    #[error("HTTP error calling {endpoint}: {message}")]
    Http {
        /// Which endpoint (`token`, `jwks`, a URL without query).
        endpoint: String,
        /// What failed (without the cause's own text).
        message: String,
        /// The lower-level error (the HTTP client's, the JSON parser's),
        /// when there was one.
        source: Option<BoxError>,
    },
    /// The provider answered with an OAuth error response.
    #[error("{endpoint} request failed{}: {error}{}", status.map(|s| format!(" (HTTP {s})")).unwrap_or_default(), description.as_ref().map(|d| format!(": {d}")).unwrap_or_default())]
    OAuth {
        /// Which endpoint (`token`, `refresh`, `revocation`, `userinfo`).
        endpoint: String,
        /// The HTTP status, when there was one.
        status: Option<u16>,
        /// The provider's `error` code, e.g. `invalid_client`.
        error: String,
        /// The provider's `error_description`.
        description: Option<String>,
        /// A lower-level error behind this one (for example the OAuth
        /// error that a refresh answered), when there was one.
        source: Option<BoxError>,
    },
    /// The ID token failed validation: "ID token validation failed:
    /// {reason}", with the lower-level error (the JSON parser's, the
    /// signature library's) as the source when there was one.
    ///
    /// ```
    /// use oauthkit::Error;
    /// let e = Error::IdToken { reason: "nonce mismatch".into(), source: None };
    /// assert_eq!(e.to_string(), "ID token validation failed: nonce mismatch");
    /// match &e {
    ///     Error::IdToken { reason, .. } => assert!(reason.contains("nonce")),
    ///     _ => unreachable!(),
    /// }
    /// let io = std::io::Error::other("cause");
    /// let e = Error::IdToken { reason: "the token is malformed".into(), source: Some(io.into()) };
    /// assert!(std::error::Error::source(&e).is_some());
    /// ```
    #[error("ID token validation failed: {reason}")]
    IdToken {
        /// Which check failed, e.g. `"nonce mismatch"` (never the token).
        reason: String,
        /// The lower-level error, when there was one (its text is not
        /// repeated in `reason`).
        source: Option<BoxError>,
    },
    /// The sign-in timed out.
    #[error("authentication timed out after {seconds}s")]
    Timeout {
        /// The configured timeout.
        seconds: u64,
    },
    /// The sign-in was cancelled.
    #[error("authentication flow was cancelled")]
    Cancelled,
    /// The sign-in failed.
    #[error("authentication failed: {0}")]
    Authentication(String),
    /// A lock could not be taken in time.
    #[error("timed out waiting for the lock on {0}")]
    LockTimeout(String),
    /// The store's lock on a key ran out (its lease expired while this
    /// process was paused or cut off) or was taken over by another process
    /// before a write made under it, so nothing was written or deleted
    /// (kind [`ErrorKind::LockTimeout`]). Another process now owns the
    /// key's tokens: read the store again instead of retrying with what
    /// this one held.
    #[error("the lock on {what} was lost before {action}; nothing was written (another process holds the key now: read the store again)")]
    LockLost {
        /// The locked key and its store.
        what: String,
        /// What was not done, e.g. `saving the refreshed tokens`.
        action: &'static str,
    },
    /// A sealed record of an [`EncryptedStore`](crate::store::EncryptedStore)
    /// did not open. Nothing was changed.
    #[error("cannot decrypt the record in {location}{}: {reason}", key_id.as_ref().map(|k| format!(" (key id '{k}')")).unwrap_or_default())]
    Decryption {
        /// Backend, namespace and key of the record.
        location: String,
        /// The id of the key the record names, when it names one.
        key_id: Option<String>,
        /// Why it did not open (never key material).
        reason: String,
    },
    /// A bug inside oauthkit (a caught panic, a broken invariant).
    #[error("internal error: {0}")]
    Internal(String),
    /// The provider does not offer a grant or endpoint (kind
    /// [`ErrorKind::Unsupported`]), e.g. no device authorization endpoint.
    #[error("{provider} does not support {feature}: {detail}")]
    ProviderUnsupported {
        /// The provider's name.
        provider: String,
        /// What was asked for.
        feature: &'static str,
        /// What is missing, and where relevant how to configure it.
        detail: String,
    },
    /// A DPoP-bound token set (it carries its private key, see
    /// [`TokenSet::dpop_key`](crate::TokenSet::dpop_key)) was given to a
    /// store that keeps plain text (kind [`ErrorKind::Unsupported`]).
    /// Nothing was written.
    #[error("the {backend} store keeps token sets as plain text and cannot hold the DPoP private key of '{key}'; wrap it in an EncryptedStore (add `encrypt=keyring` or `encrypt=env:NAME` to the store spec, see docs/stores.md) or use the keyring or memory store")]
    DpopKeyUnprotected {
        /// The backend's name.
        backend: &'static str,
        /// The key the set was to be saved under.
        key: String,
    },
    /// A setting breaks the provider's security profile (kind
    /// [`ErrorKind::InvalidArgument`]); see
    /// [`SecurityProfile`](crate::provider::profile::SecurityProfile) for
    /// the rules.
    #[error("{provider}: the {profile} security profile refuses this ({rule}): {detail}")]
    SecurityProfile {
        /// The provider's name.
        provider: String,
        /// The profile (`"OAuth 2.1"`, `"FAPI 2.0"`).
        profile: &'static str,
        /// The rule's id (`"par-required"`, `"client-auth"`, ...).
        rule: &'static str,
        /// What is wrong and how to fix it.
        detail: String,
    },
    /// The user must sign in (again) before tokens for `key` can be
    /// handed out: none are stored, or the access token expired and there
    /// is no refresh token. Its kind is [`ErrorKind::NotFound`] or
    /// [`ErrorKind::Authentication`] (as before this variant existed);
    /// [`Error::needs_sign_in`] is true.
    #[error("{}", match reason {
        SignInReason::NoTokens => format!("no tokens are stored for '{key}'; sign in first"),
        SignInReason::ExpiredWithoutRefreshToken => format!(
            "the access token for '{key}' has expired and there is no refresh token; sign in again"
        ),
        SignInReason::NoRefreshToken => format!(
            "the access token for '{key}' is still valid but cannot be refreshed: there is no refresh token; sign in again for a new one"
        ),
    })]
    SignInRequired {
        /// The storage key (the user).
        key: String,
        /// Why.
        reason: SignInReason,
    },
}

/// Why [`Error::SignInRequired`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignInReason {
    /// No tokens are stored under the key.
    NoTokens,
    /// The access token expired and there is no refresh token.
    ExpiredWithoutRefreshToken,
    /// A refresh was asked for a token that has not expired yet, and there
    /// is no refresh token to get a new one with (the stored token is kept).
    NoRefreshToken,
}

/// The [`Error::Unsupported`] for something this build lacks because a
/// cargo feature is off: `feature_off!("the sqlite store", "be opened",
/// "sqlite")` reads "the sqlite store cannot be opened: this build of
/// oauthkit lacks the cargo feature `sqlite` (build it with --features
/// sqlite)".
#[doc(hidden)]
#[macro_export]
macro_rules! feature_off {
    ($what:literal, $verb:literal, $feature:literal) => {
        $crate::Error::Unsupported {
            backend: $what,
            operation: concat!(
                $verb,
                ": this build of oauthkit lacks the cargo feature `",
                $feature,
                "` (build it with --features ",
                $feature,
                ")"
            ),
        }
    };
}

/// An error and its causes on one line ("this: cause: its cause"), made by
/// [`Error::report`]. A cause whose text the line already holds is not
/// repeated.
pub struct Report<'a>(&'a Error);

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown = self.0.to_string();
        f.write_str(&shown)?;
        let mut next = std::error::Error::source(self.0);
        while let Some(cause) = next {
            let text = cause.to_string();
            if !text.is_empty() && !shown.contains(&text) {
                write!(f, ": {text}")?;
                shown = text;
            }
            next = cause.source();
        }
        Ok(())
    }
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Error {
    /// This error followed by its causes, on one line: what a log line or
    /// a C program (`oak_last_error_message`) shows.
    ///
    /// ```
    /// let e = oauthkit::Error::Io {
    ///     context: "reading tokens.json".into(),
    ///     source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
    /// };
    /// assert_eq!(e.to_string(), "I/O error: reading tokens.json");
    /// assert_eq!(e.report().to_string(), "I/O error: reading tokens.json: permission denied");
    /// ```
    pub fn report(&self) -> Report<'_> {
        Report(self)
    }

    /// The kind of this error, for matching and for the C ABI.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::NotFound { .. } => ErrorKind::NotFound,
            Error::Storage { .. } => ErrorKind::Storage,
            Error::Corrupt { .. } => ErrorKind::Corrupt,
            Error::Validation { .. } => ErrorKind::Validation,
            Error::Io { .. } => ErrorKind::Io,
            Error::Unavailable { .. } => ErrorKind::Unavailable,
            Error::Unsupported { .. } => ErrorKind::Unsupported,
            Error::InvalidArgument(_) => ErrorKind::InvalidArgument,
            Error::Http { .. } => ErrorKind::Http,
            Error::OAuth { error, .. } if error == "invalid_grant" => ErrorKind::InvalidGrant,
            Error::OAuth { .. } => ErrorKind::OAuth,
            Error::IdToken { .. } => ErrorKind::IdToken,
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::Cancelled => ErrorKind::Cancelled,
            Error::Authentication(_) => ErrorKind::Authentication,
            Error::LockTimeout(_) | Error::LockLost { .. } => ErrorKind::LockTimeout,
            Error::Decryption { .. } => ErrorKind::Decryption,
            Error::Internal(_) => ErrorKind::Internal,
            Error::ProviderUnsupported { .. } => ErrorKind::Unsupported,
            Error::SignInRequired { reason, .. } => match reason {
                SignInReason::NoTokens => ErrorKind::NotFound,
                SignInReason::ExpiredWithoutRefreshToken | SignInReason::NoRefreshToken => {
                    ErrorKind::Authentication
                }
            },
            Error::SecurityProfile { .. } => ErrorKind::InvalidArgument,
            Error::DpopKeyUnprotected { .. } => ErrorKind::Unsupported,
        }
    }

    /// Whether the user must sign in (again) to go on: no tokens are
    /// stored ([`Error::SignInRequired`]), the provider refused the grant
    /// as revoked or expired (`invalid_grant`, [`ErrorKind::InvalidGrant`];
    /// the session manager has deleted the stored tokens), or the access
    /// token expired and there is no refresh token. The one test a program
    /// needs before starting a sign-in again; network failures, timeouts
    /// and other provider errors are `false` (try again later instead).
    ///
    /// ```
    /// use oauthkit::session::SessionManager;
    /// # use std::sync::Arc;
    /// # let provider: Arc<dyn oauthkit::provider::Provider> = Arc::new(oauthkit::provider::OAuthProvider::oauth2(
    /// #     oauthkit::provider::OAuth2Config::new("idp", "id", "https://idp.example/authorize", "https://idp.example/token"))?);
    /// let sessions = SessionManager::new(provider, Arc::new(oauthkit::store::MemoryStore::new()));
    /// let err = sessions.access_token("alice").unwrap_err();
    /// assert!(err.needs_sign_in());
    /// assert!(!oauthkit::Error::Cancelled.needs_sign_in());
    /// # Ok::<(), oauthkit::Error>(())
    /// ```
    pub fn needs_sign_in(&self) -> bool {
        matches!(self, Error::SignInRequired { .. }) || self.kind() == ErrorKind::InvalidGrant
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    #[allow(dead_code)] // used by the optional backends
    pub(crate) fn storage(
        backend: &'static str,
        message: impl Into<String>,
        source: impl Into<BoxError>,
    ) -> Self {
        Error::Storage {
            backend,
            message: message.into(),
            source: Some(source.into()),
        }
    }

    /// A transport error with no lower-level cause.
    pub(crate) fn http(endpoint: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Http {
            endpoint: endpoint.into(),
            message: message.into(),
            source: None,
        }
    }

    /// An ID-token error with a reason and no cause.
    pub(crate) fn id_token(reason: impl Into<String>) -> Self {
        Error::IdToken {
            reason: reason.into(),
            source: None,
        }
    }

    pub(crate) fn corrupt(location: impl Into<String>, message: impl fmt::Display) -> Self {
        Error::Corrupt {
            location: location.into(),
            message: message.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_grant_has_its_own_kind() {
        let e = Error::OAuth {
            endpoint: "token".into(),
            status: Some(400),
            error: "invalid_grant".into(),
            description: Some("refresh token revoked".into()),
            source: None,
        };
        assert_eq!(e.kind(), ErrorKind::InvalidGrant);
        assert_eq!(
            e.to_string(),
            "token request failed (HTTP 400): invalid_grant: refresh token revoked"
        );
    }

    #[test]
    fn validation_error_names_validator_and_key() {
        let e = Error::Validation {
            validator: "not_expired",
            key: "api.example.org".into(),
            reason: "expired at 100".into(),
        };
        assert_eq!(e.kind(), ErrorKind::Validation);
        assert!(e.to_string().contains("not_expired"));
        assert!(e.to_string().contains("api.example.org"));
    }
}
