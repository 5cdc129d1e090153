//! What the fuzz targets (`fuzz/src/`, their own crate) need that is not
//! public API. Compiled only with the `fuzzing` cargo feature; hidden,
//! unstable, may change in any release.
//!
//! Everything else the targets call is oauthkit's public API; this holds
//! only the conversion between globus-sdk's token records and `TokenSet`
//! (the `globus_file` target checks its round trip), which is private to
//! the file store.

pub use crate::store::globus_format::{from_record, to_record};
