//! What advanced programs may need and what may change in any release.
//!
//! Nothing here is covered by semantic versioning: a minor release may
//! rename, change or remove any of it (the way ureq 3 keeps its
//! `unversioned` module). An application signs users in, keeps tokens
//! fresh and stores them with the names of the crate root and its parts
//! ([`store`](crate::store), [`provider`](crate::provider),
//! [`flow`](crate::flow), [`session`](crate::session), [`web`](crate::web),
//! [`server`](crate::server)); reach in here to build a tool on oauthkit's
//! internals (the `oauthkit` command-line program does), to diagnose, or
//! to replace a default. The rule that decides what goes where is in the
//! repository's `docs/ARCHITECTURE.md` ("What is public").
//!
//! This module only re-exports: each item lives, and is documented, where
//! the crate defines it.

/// Store internals: key rules, locks, validators, diagnosis, formats.
pub mod store {
    pub use crate::store::default_store::ALLOW_PLAINTEXT_ENV;
    pub use crate::store::diagnose::{
        diagnose, diagnose_default, diagnose_with_timeout, Diagnosis, Encryption, FileCheck,
        KeyringCheck, DIAGNOSE_KEYRING_TIMEOUT,
    };
    pub use crate::store::encrypted::{KdfParams, RekeyReport, KEY_LEN};
    #[cfg(feature = "keyring")]
    pub use crate::store::encrypted::{DEFAULT_KEYRING_TIMEOUT, KEYRING_ACCOUNT};
    pub use crate::store::factory::{
        default_app_name, default_store_path, redacted_spec, APP_ENV, STORE_ENV,
    };
    pub use crate::store::json_file::{ENCRYPTION_FIELD, FORMAT_VERSION, SEALED_FORMAT_VERSION};
    pub use crate::store::key_lock::KeyLock;
    #[cfg(feature = "keyring")]
    pub use crate::store::keyring::INDEX_ENTRY;
    pub use crate::store::keyring_backend::KeyringBackend;
    #[cfg(any(feature = "redis", feature = "memcache"))]
    pub use crate::store::retention::{retention, EXPIRY_GRACE_SECS};
    #[cfg(feature = "sqlite")]
    pub use crate::store::sqlite::SCHEMA_VERSION;
    pub use crate::store::validating::{
        HasRefreshToken, NotExpired, TokenValidator, UnchangingIdentity, ValidationContext,
    };
    pub use crate::store::{check_key, DEFAULT_NAMESPACE, MAX_KEY_LEN};
}
