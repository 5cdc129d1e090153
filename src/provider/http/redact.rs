//! Keeping secrets out of errors, whatever a provider sends back.
//!
//! A hostile or buggy provider can echo what it received (the client
//! secret, the code, the PKCE verifier, a refresh or access token) in
//! `error`, `error_description`, a redirect's `Location`, a header, a
//! non-JSON body or an ID-token claim. Every request a provider makes goes
//! through [`HttpClient`](crate::provider::http::HttpClient), which builds
//! a [`Redactor`] from the secrets of that request (every form value except
//! the public parameters, `Authorization` credentials, every other header
//! value but `Accept`/`Content-Type` (the DPoP proof), JSON body strings)
//! plus the provider's client secret, adds the tokens the response carries,
//! and passes every error of the call through [`Redactor::error`]. Each
//! `Provider` operation does the same with its own arguments
//! ([`HttpClient::guard`](crate::provider::http::HttpClient::guard)), so
//! errors raised after the response (ID-token validation, discovery,
//! JWKS) are covered too.
//!
//! What [`Redactor::error`] does to every text field of an error:
//!
//! 1. control characters are dropped (tabs and line breaks become spaces),
//!    and invisible format characters (zero-width, bidi overrides: the
//!    class of [`crate::terminal_text::is_hostile`]) are dropped so they
//!    cannot hide a secret from the next step;
//! 2. every secret is removed, in any ASCII letter case, raw,
//!    percent-encoded (`+` or `%20` for spaces), base64 or base64url (at any
//!    alignment, so also inside a larger encoded blob such as a Basic
//!    credential) and hex; any run of 8 or more characters taken from a
//!    secret is removed too, also when it is split across the fields of
//!    one error (`error` then `error_description`). Each removed run reads
//!    `[redacted]`;
//! 3. the text is cut to a bounded length.
//!
//! Values shorter than [`MIN_SECRET_CHARS`] characters cannot be told
//! apart from ordinary text and are not searched for.

use std::collections::HashMap;

use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde_json::Value;
use url::form_urlencoded;

use crate::error::Error;
use crate::hex::hex;
use crate::secret::Secret;

/// Secrets shorter than this many characters are not searched for.
pub const MIN_SECRET_CHARS: usize = 4;
/// Runs of this many characters (or more) copied from a secret are
/// removed even when the rest of the secret is not there.
pub const FRAGMENT_CHARS: usize = 8;
/// What replaces a removed secret.
pub const REDACTED: &str = "[redacted]";

/// Longest kept `error` code.
pub const MAX_ERROR_CODE_CHARS: usize = 100;
/// Longest kept `error_description` (and similar provider sentences).
pub const MAX_DESCRIPTION_CHARS: usize = 500;
/// Longest kept message of any error field.
pub const MAX_MESSAGE_CHARS: usize = 2000;
/// Longest provider-supplied text read at all (longer text is cut first).
const MAX_INPUT_CHARS: usize = 8192;

/// Form parameters whose values are not secret; every other value of a
/// request form is treated as a secret (so a grant added later is covered
/// without listing its parameters). Never public, whatever is added here:
/// [`ALWAYS_SECRET_FORM_PARAMS`].
const PUBLIC_FORM_PARAMS: &[&str] = &[
    "grant_type",
    "redirect_uri",
    "client_id",
    "scope",
    "token_type_hint",
    "response_type",
    "audience",
    "resource",
    "requested_token_type",
    "subject_token_type",
    "actor_token_type",
    "client_assertion_type",
];

/// Request headers whose values are not secret (content negotiation);
/// every other header a request carries (`DPoP` proofs, anything added
/// later) is learned by [`Redactor::add_headers`].
pub const PUBLIC_REQUEST_HEADERS: &[&str] = &["accept", "content-type"];

/// Form parameters that are secrets even if a later edit lists them as
/// public: credentials and signed assertions (`private_key_jwt`'s
/// `client_assertion`, the JWT bearer grant's `assertion`, RFC 7523).
const ALWAYS_SECRET_FORM_PARAMS: &[&str] = &[
    "client_secret",
    "client_assertion",
    "assertion",
    "code",
    "code_verifier",
    "refresh_token",
    "subject_token",
    "actor_token",
    "device_code",
];

/// `error` codes registered for OAuth 2.0 and OpenID Connect; they are kept
/// verbatim (callers branch on them), any other code is scrubbed.
const REGISTERED_ERROR_CODES: &[&str] = &[
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "access_denied",
    "unsupported_response_type",
    "server_error",
    "temporarily_unavailable",
    "invalid_token",
    "insufficient_scope",
    "unsupported_token_type",
    "authorization_pending",
    "slow_down",
    "expired_token",
    "invalid_dpop_proof",
    "use_dpop_nonce",
    "interaction_required",
    "login_required",
    "account_selection_required",
    "consent_required",
    "invalid_request_uri",
    "invalid_request_object",
    "request_not_supported",
    "request_uri_not_supported",
    "registration_not_supported",
    "invalid_target",
    "invalid_authorization_details",
];

/// Members of a token response whose values are secrets.
fn is_secret_response_member(name: &str) -> bool {
    matches!(
        name,
        "access_token" | "refresh_token" | "id_token" | "device_code"
    ) || (name.ends_with("_token") && !name.ends_with("_type"))
}

/// The secrets known at one call site, and the scrubbing of errors.
#[derive(Clone, Default)]
pub struct Redactor {
    secrets: Vec<Secret>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor({} secrets)", self.secrets.len())
    }
}

impl Redactor {
    /// A redactor that knows no secret yet.
    pub fn new() -> Self {
        Redactor::default()
    }

    /// Adds a secret (ignored when shorter than [`MIN_SECRET_CHARS`]).
    pub fn add(&mut self, secret: &str) {
        self.add_one(secret);
        // as it reads once sanitised (a value with invisible characters)
        let printable: String = sanitize_chars(secret).into_iter().collect();
        if printable != secret {
            self.add_one(&printable);
        }
    }

    fn add_one(&mut self, secret: &str) {
        if secret.chars().count() >= MIN_SECRET_CHARS
            && !self.secrets.iter().any(|s| s.expose() == secret)
        {
            self.secrets.push(Secret::new(secret));
        }
    }

    /// Adds every value of a request form except the public parameters
    /// (`grant_type`, `redirect_uri`, `client_id`, `scope`, ...).
    pub fn add_form(&mut self, pairs: &[(&str, &str)]) {
        for (k, v) in pairs {
            if !PUBLIC_FORM_PARAMS.contains(k) || ALWAYS_SECRET_FORM_PARAMS.contains(k) {
                self.add(v);
            }
        }
    }

    /// Adds the value of every request header except the public ones
    /// ([`PUBLIC_REQUEST_HEADERS`]): a DPoP proof, and any header added
    /// later, is a secret unless listed there.
    pub fn add_headers(&mut self, headers: &[(&str, &str)]) {
        for (name, value) in headers {
            if !PUBLIC_REQUEST_HEADERS
                .iter()
                .any(|p| p.eq_ignore_ascii_case(name))
            {
                self.add(value);
            }
        }
    }

    /// Adds every string in a JSON request body.
    pub fn add_json(&mut self, v: &Value) {
        match v {
            Value::String(s) => self.add(s),
            Value::Array(a) => a.iter().for_each(|x| self.add_json(x)),
            Value::Object(m) => m.values().for_each(|x| self.add_json(x)),
            _ => {}
        }
    }

    /// Adds the token members of a token response (`access_token`,
    /// `refresh_token`, `id_token`, any other `*_token`).
    pub fn add_token_response(&mut self, v: &Value) {
        if let Value::Object(m) = v {
            for (k, v) in m {
                if let (true, Some(s)) = (is_secret_response_member(k), v.as_str()) {
                    self.add(s);
                }
            }
        }
    }

    /// Provider text made safe to keep: sanitised, scrubbed, at most
    /// `max_chars` characters.
    #[cfg(test)]
    pub fn text(&self, raw: &str, max_chars: usize) -> String {
        self.texts(&[(raw, max_chars)]).pop().unwrap_or_default()
    }

    /// Several fields scrubbed together, so a secret split across them is
    /// found too (in the given order).
    #[cfg(test)]
    pub fn texts(&self, fields: &[(&str, usize)]) -> Vec<String> {
        texts_with(&Matcher::new(&self.secrets), fields)
    }

    /// Whether `text` still contains a secret (or a fragment of one).
    pub fn finds_secret_in(&self, text: &str) -> bool {
        finds_with(&Matcher::new(&self.secrets), text)
    }

    /// The error with every text field sanitised, scrubbed and capped.
    pub fn error(&self, e: Error) -> Error {
        if self.secrets.is_empty() && !needs_sanitising(&e) {
            return e;
        }
        let matcher = Matcher::new(&self.secrets);
        let known = matches!(
            e,
            Error::Http { .. }
                | Error::OAuth { .. }
                | Error::IdToken { .. }
                | Error::Authentication(_)
                | Error::InvalidArgument(_)
                | Error::Internal(_)
                | Error::LockTimeout(_)
                | Error::NotFound { .. }
                | Error::Corrupt { .. }
                | Error::Validation { .. }
        );
        let text =
            |s: &str, max: usize| texts_with(&matcher, &[(s, max)]).pop().unwrap_or_default();
        let m = |s: &str| text(s, MAX_MESSAGE_CHARS);
        // a cause is kept only when no level of it holds a secret
        let clean = |source: Option<crate::error::BoxError>| {
            source.filter(|src| {
                let mut all = format!("{src}\n{src:?}");
                let mut next = src.source();
                while let Some(inner) = next {
                    all.push_str(&format!("\n{inner}\n{inner:?}"));
                    next = inner.source();
                }
                !finds_with(&matcher, &all)
            })
        };
        let scrubbed = match e {
            Error::Http {
                endpoint,
                message,
                source,
            } => Error::Http {
                endpoint: m(&endpoint),
                message: m(&message),
                source: clean(source),
            },
            Error::OAuth {
                endpoint,
                status,
                error,
                description,
                source,
            } => {
                let (error, description) = if REGISTERED_ERROR_CODES.contains(&error.as_str()) {
                    (error, description.map(|d| text(&d, MAX_DESCRIPTION_CHARS)))
                } else {
                    let d = description.clone().unwrap_or_default();
                    let mut v = texts_with(
                        &matcher,
                        &[(&error, MAX_ERROR_CODE_CHARS), (&d, MAX_DESCRIPTION_CHARS)],
                    )
                    .into_iter();
                    let e = v.next().unwrap_or_default();
                    (e, description.and(v.next()))
                };
                Error::OAuth {
                    endpoint: m(&endpoint),
                    status,
                    error,
                    description,
                    source: clean(source),
                }
            }
            Error::IdToken { reason, source } => Error::IdToken {
                reason: m(&reason),
                source: clean(source),
            },
            Error::Authentication(s) => Error::Authentication(m(&s)),
            Error::InvalidArgument(s) => Error::InvalidArgument(m(&s)),
            Error::Internal(s) => Error::Internal(m(&s)),
            Error::LockTimeout(s) => Error::LockTimeout(m(&s)),
            Error::NotFound { what } => Error::NotFound { what: m(&what) },
            Error::Corrupt { location, message } => Error::Corrupt {
                location: m(&location),
                message: m(&message),
            },
            Error::Validation {
                validator,
                key,
                reason,
            } => Error::Validation {
                validator,
                key: m(&key),
                reason: m(&reason),
            },
            Error::Io { context, source } => Error::Io {
                context: m(&context),
                source: std::io::Error::new(source.kind(), m(&source.to_string())),
            },
            other => other,
        };
        // Anything this function does not know how to rewrite (a variant
        // or source added later) is replaced rather than let through.
        let unchecked = !known || std::error::Error::source(&scrubbed).is_some();
        if unchecked && finds_with(&matcher, &full_text(&scrubbed)) {
            return Error::Http {
                endpoint: "provider".into(),
                message: m(&scrubbed.to_string()),
                source: None,
            };
        }
        scrubbed
    }
}

fn texts_with(matcher: &Matcher, fields: &[(&str, usize)]) -> Vec<String> {
    let cleaned: Vec<Vec<char>> = fields.iter().map(|(raw, _)| sanitize_chars(raw)).collect();
    let marks = matcher.marks(&cleaned);
    cleaned
        .iter()
        .zip(marks)
        .zip(fields)
        .map(|((chars, marked), (_, max))| cap(rebuild(chars, &marked), *max))
        .collect()
}

fn finds_with(matcher: &Matcher, text: &str) -> bool {
    let chars = sanitize_chars(text);
    let raw: Vec<char> = text.chars().take(MAX_INPUT_CHARS).collect();
    [chars, raw]
        .into_iter()
        .any(|f| matcher.marks(&[f]).iter().flatten().any(|x| *x))
}

/// Display, Debug and the whole `source()` chain of an error.
pub fn full_text(e: &Error) -> String {
    let mut s = format!("{e}\n{e:?}");
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        s.push('\n');
        s.push_str(&format!("{inner}\n{inner:?}"));
        source = inner.source();
    }
    s
}

fn needs_sanitising(e: &Error) -> bool {
    let t = format!("{e}");
    t.chars().count() > MAX_MESSAGE_CHARS || t.chars().any(is_unwanted)
}

/// Controls and invisible format characters: the one classification of
/// text that must not reach a terminal ([`crate::terminal_text`]).
fn is_unwanted(c: char) -> bool {
    crate::terminal_text::is_hostile(c)
}

/// Printable text only: whitespace controls become spaces, other controls
/// and invisible characters go; at most `MAX_INPUT_CHARS` characters.
fn sanitize_chars(raw: &str) -> Vec<char> {
    raw.chars()
        .filter_map(|c| match c {
            '\t' | '\n' | '\r' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}' => {
                Some(' ')
            }
            c if is_unwanted(c) => None,
            c => Some(c),
        })
        .take(MAX_INPUT_CHARS)
        .collect()
}

/// Sanitises provider text that is kept without any secret known (a
/// content type, a header): printable and at most `max_chars` long.
pub fn sanitize(raw: &str, max_chars: usize) -> String {
    cap(sanitize_chars(raw).into_iter().collect(), max_chars)
}

fn rebuild(chars: &[char], marked: &[bool]) -> String {
    let mut out = String::with_capacity(chars.len());
    let mut in_run = false;
    for (c, m) in chars.iter().zip(marked) {
        if *m {
            if !in_run {
                out.push_str(REDACTED);
            }
            in_run = true;
        } else {
            in_run = false;
            out.push(*c);
        }
    }
    out
}

fn cap(s: String, max_chars: usize) -> String {
    if s.chars().count() <= max_chars {
        return s;
    }
    let mut out: String = s.chars().take(max_chars.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Every form of every secret, to be looked for in text.
///
/// Matching hashes the windows of the (bounded) text and then slides over
/// each secret form once, so memory stays proportional to the text and
/// time to the text plus the secrets, however long a hostile provider
/// makes a token it returns.
struct Matcher {
    forms: Vec<Vec<char>>,
}

/// Rolling (Rabin-Karp) hashes of every `k`-character window of `chars`,
/// ASCII case folded, in order. A collision only removes a little more
/// text than needed.
fn window_hashes(chars: &[char], k: usize) -> impl Iterator<Item = u64> + '_ {
    const B: u64 = 0x0000_0100_0000_01b3;
    let v = |c: char| u64::from(c.to_ascii_lowercase() as u32) + 1;
    let top = (1..k).fold(1u64, |p, _| p.wrapping_mul(B));
    let mut h = chars[..k.min(chars.len())]
        .iter()
        .fold(0u64, |h, c| h.wrapping_mul(B).wrapping_add(v(*c)));
    let count = (chars.len() + 1).saturating_sub(k);
    (0..count).map(move |i| {
        let current = h;
        if i + k < chars.len() {
            h = h
                .wrapping_sub(v(chars[i]).wrapping_mul(top))
                .wrapping_mul(B)
                .wrapping_add(v(chars[i + k]));
        }
        current
    })
}

/// The window hashes are already hashes: use them as they are.
#[derive(Default, Clone, Copy)]
struct Identity(u64);

impl std::hash::Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type Windows = HashMap<u64, Vec<usize>, std::hash::BuildHasherDefault<Identity>>;

impl Matcher {
    fn new(secrets: &[Secret]) -> Self {
        let mut forms = Vec::new();
        for s in secrets {
            for form in encodings(s.expose()) {
                let chars: Vec<char> = form.chars().collect();
                if chars.len() >= MIN_SECRET_CHARS {
                    forms.push(chars);
                }
            }
        }
        Matcher { forms }
    }

    /// Which characters of `fields` (read as one stream, in order) belong
    /// to a run copied from a secret.
    fn marks(&self, fields: &[Vec<char>]) -> Vec<Vec<bool>> {
        let stream: Vec<char> = fields.iter().flatten().copied().collect();
        let mut marked = vec![false; stream.len()];
        let mut sizes: Vec<usize> = self
            .forms
            .iter()
            .map(|f| f.len().min(FRAGMENT_CHARS))
            .collect();
        sizes.sort_unstable();
        sizes.dedup();
        for k in sizes {
            if stream.len() < k {
                continue;
            }
            let mut windows = Windows::default();
            for (i, h) in window_hashes(&stream, k).enumerate() {
                windows.entry(h).or_default().push(i);
            }
            for form in self
                .forms
                .iter()
                .filter(|f| f.len().min(FRAGMENT_CHARS) == k)
            {
                for h in window_hashes(form, k) {
                    if let Some(starts) = windows.get(&h) {
                        for &i in starts {
                            marked[i..i + k].iter_mut().for_each(|m| *m = true);
                        }
                    }
                }
            }
        }
        let mut out = Vec::with_capacity(fields.len());
        let mut at = 0;
        for f in fields {
            out.push(marked[at..at + f.len()].to_vec());
            at += f.len();
        }
        out
    }
}

/// The forms a secret may be echoed in: raw, percent-encoded (form and
/// RFC 3986 styles), base64 and base64url at the three byte alignments
/// (the characters that depend on neighbouring bytes dropped), hex.
fn encodings(secret: &str) -> Vec<String> {
    let bytes = secret.as_bytes();
    let mut out = vec![
        secret.to_owned(),
        form_urlencoded::byte_serialize(bytes).collect::<String>(),
        percent_encode(bytes),
        hex(bytes),
    ];
    for offset in 0..3usize {
        let mut padded = vec![0u8; offset];
        padded.extend_from_slice(bytes);
        let skip_front = [0, 2, 3][offset];
        let total_bits = padded.len() * 8;
        let exact = total_bits % 6 == 0;
        for enc in [
            STANDARD_NO_PAD.encode(&padded),
            URL_SAFE_NO_PAD.encode(&padded),
        ] {
            let mut chars: Vec<char> = enc.chars().skip(skip_front).collect();
            if !exact {
                chars.pop();
            }
            out.push(chars.into_iter().collect());
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Every byte but RFC 3986's unreserved characters, percent-encoded
/// (upper-case hex).
fn percent_encode(bytes: &[u8]) -> String {
    const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    percent_encoding::percent_encode(bytes, UNRESERVED).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD;

    const S: &str = "s3cr3t-Value+/with spaces&=?";

    #[test]
    fn assertions_and_credentials_in_a_form_are_secrets() {
        for name in ALWAYS_SECRET_FORM_PARAMS {
            let mut r = Redactor::new();
            r.add_form(&[(name, "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJ4In0.c2lnbmF0dXJl")]);
            assert!(r.finds_secret_in("x eyJpc3MiOiJ4In0 y"), "{name}");
        }
        let mut r = Redactor::new();
        r.add_form(&[(
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        )]);
        assert!(!r.finds_secret_in("urn:ietf:params:oauth:client-assertion-type:jwt-bearer"));
    }

    fn r() -> Redactor {
        let mut r = Redactor::new();
        r.add(S);
        r
    }

    #[test]
    fn every_encoding_is_removed() {
        let mut forms = vec![
            S.to_owned(),
            S.to_uppercase(),
            S.to_lowercase(),
            form_urlencoded::byte_serialize(S.as_bytes()).collect(),
            percent_encode(S.as_bytes()),
            percent_encode(S.as_bytes()).to_lowercase(),
            STANDARD.encode(S),
            URL_SAFE_NO_PAD.encode(S),
            STANDARD.encode(format!("client:{S}")),
            STANDARD.encode(format!("c:{S}")),
            STANDARD.encode(format!("cl:{S}")),
            hex(S.as_bytes()).to_uppercase(),
        ];
        forms.push(format!("{}\u{200B}{}", &S[..5], &S[5..]));
        for f in forms {
            let out = r().text(&format!("before {f} after"), 1000);
            assert!(!r().finds_secret_in(&out), "{f} -> {out}");
            assert!(out.starts_with("before "), "{out}");
            assert!(out.contains(REDACTED), "{out}");
        }
    }

    #[test]
    fn fragments_and_split_fields_are_removed() {
        let v = r().texts(&[(&S[..10], 100), (&S[10..], 100)]);
        assert_eq!(v, [REDACTED, REDACTED]);
        let v = r().texts(&[(&format!("x {}", &S[..4]), 100), (&S[4..9], 100)]);
        assert!(!v.concat().contains(&S[..9]), "{v:?}");
        assert_eq!(r().text(&S[3..12], 100), REDACTED);
        assert_eq!(r().text("harmless text", 100), "harmless text");
    }

    #[test]
    fn controls_are_dropped_and_text_is_capped() {
        let out = r().text("a\u{1b}[31mb\nc\u{202E}d\u{0}", 100);
        assert_eq!(out, "a[31mb cd");
        let long = "x".repeat(5000);
        assert_eq!(r().text(&long, 50).chars().count(), 50);
    }

    #[test]
    fn registered_codes_survive_and_others_are_scrubbed() {
        let e = r().error(Error::OAuth {
            endpoint: "token".into(),
            status: Some(400),
            error: "invalid_grant".into(),
            description: Some(format!("bad {S}")),
            source: None,
        });
        assert_eq!(e.kind(), crate::ErrorKind::InvalidGrant);
        assert!(!full_text(&e).contains(S));
        let e = r().error(Error::OAuth {
            endpoint: "token".into(),
            status: Some(400),
            error: S.into(),
            description: None,
            source: None,
        });
        assert!(!r().finds_secret_in(&full_text(&e)), "{e}");
    }

    #[test]
    fn a_cause_holding_a_secret_is_dropped_and_a_clean_one_kept() {
        let leaky: crate::error::BoxError = format!("parser saw {S} at byte 3").into();
        let clean: crate::error::BoxError = "expected value at line 1 column 1".into();
        for (source, kept) in [(leaky, false), (clean, true)] {
            let e = r().error(Error::Http {
                endpoint: "token".into(),
                message: "the response is not JSON".into(),
                source: Some(source),
            });
            assert!(!full_text(&e).contains(S), "{e:?}");
            assert_eq!(std::error::Error::source(&e).is_some(), kept, "{e:?}");
            let id = r().error(Error::IdToken {
                reason: "the token is malformed".into(),
                source: Some(format!("{S} is not base64").into()),
            });
            assert!(!full_text(&id).contains(S), "{id:?}");
        }
    }

    #[test]
    fn short_values_are_not_secrets() {
        let mut r = Redactor::new();
        r.add("abc");
        assert_eq!(r.text("abc abc", 100), "abc abc");
    }
}
