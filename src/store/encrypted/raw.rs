//! The raw-record path between [`EncryptedStore`](super::EncryptedStore)
//! and a backend that can store bytes: the sealed record goes as it is
//! (binary form, `oak:v1b:`), without the placeholder token set and its
//! JSON around a base64 text. Backends that do not implement it get the
//! placeholder token set, as before.

use crate::token::TokenSet;

use super::envelope::{binary_to_text, BINARY_PREFIX, SEALED_TOKEN_TYPE};

/// A sealed record ready for a backend (binary form: `oak:v1b:{key id}:`
/// then nonce ‖ ciphertext ‖ tag). Internal to oauthkit's stores.
#[doc(hidden)]
pub struct SealedBytes {
    record: Vec<u8>,
    /// The expiry the backend may read (as the placeholder token set's
    /// `expires_at`: only for a set without a refresh token).
    expires_at: Option<i64>,
}

impl SealedBytes {
    pub(crate) fn new(record: Vec<u8>, expires_at: Option<i64>) -> Self {
        SealedBytes { record, expires_at }
    }

    /// The record's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.record
    }

    /// The expiry the backend may apply (see
    /// [`retention`](crate::store::redis::retention)): `None` keeps it.
    pub fn expires_at(&self) -> Option<i64> {
        self.expires_at
    }

    /// The placeholder token set that holds this record in its text form,
    /// for backends that store token sets.
    ///
    /// # Panics
    /// Never: only the encrypted store makes a `SealedBytes`, always with
    /// a well-formed header.
    pub fn placeholder(&self) -> TokenSet {
        let text = binary_to_text(&self.record).expect("a record this crate sealed");
        placeholder(text, self.expires_at)
    }
}

/// A backend record as the encrypted store reads it. Internal to
/// oauthkit's stores.
#[doc(hidden)]
pub enum RawRecord {
    /// A token set (the placeholder holding a text-form record, or a
    /// plain-text set).
    Tokens(TokenSet),
    /// A binary-form record (`oak:v1b:`).
    Binary(Vec<u8>),
}

impl RawRecord {
    /// Whether `value` (a backend's stored bytes) is a binary-form record.
    pub fn is_binary(value: &[u8]) -> bool {
        value.starts_with(BINARY_PREFIX)
    }

    /// The placeholder token set of a binary-form record, for readers of
    /// token sets (plain `load`, diagnostics); `None` when it is not one
    /// or its header is broken.
    pub fn binary_placeholder(value: &[u8]) -> Option<TokenSet> {
        binary_to_text(value)
            .ok()
            .map(|text| placeholder(text, None))
    }
}

/// The placeholder token set a backend holds for a sealed record: the
/// record as its access token, every other field empty.
pub(crate) fn placeholder(text: String, expires_at: Option<i64>) -> TokenSet {
    TokenSet {
        access_token: text.into(),
        token_type: SEALED_TOKEN_TYPE.to_owned(),
        refresh_token: None,
        id_token: None,
        scopes: Vec::new(),
        expires_at,
        issued_at: 0,
        resource_server: None,
        identity_id: None,
        extra: serde_json::Map::new(),
        dpop_key: None,
    }
}
