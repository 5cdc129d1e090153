//! Passphrase keys: Argon2id, with parameters and salt named in the key id.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::secret::Secret;

const SALT_LEN: usize = 16;
/// The most memory a record may ask the KDF for (256 MiB): a planted record
/// naming absurd parameters cannot make a reader allocate without bound.
const MAX_MEMORY_KIB: u32 = 256 * 1024;
const MAX_PASSES: u32 = 16;
const MAX_LANES: u32 = 8;

/// Argon2id parameters of a passphrase key.
///
/// The default (19 MiB, 2 passes, 1 lane) is the OWASP recommendation for
/// Argon2id; raising `memory_kib` makes guessing costlier for an attacker who
/// has the store, and opening the store slower once per process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct KdfParams {
    /// Memory per derivation, KiB (8 to 262,144).
    pub memory_kib: u32,
    /// Passes over the memory (1 to 16).
    pub passes: u32,
    /// Lanes (1 to 8).
    pub lanes: u32,
}

impl Default for KdfParams {
    fn default() -> Self {
        KdfParams {
            memory_kib: 19 * 1024,
            passes: 2,
            lanes: 1,
        }
    }
}

impl KdfParams {
    /// Parameters with the given memory cost (KiB), passes and lanes.
    ///
    /// ```
    /// let p = oauthkit::unversioned::store::KdfParams::new(64 * 1024, 3, 1);
    /// assert_eq!(p.memory_kib, 65536);
    /// ```
    pub fn new(memory_kib: u32, passes: u32, lanes: u32) -> Self {
        KdfParams {
            memory_kib,
            passes,
            lanes,
        }
    }

    /// Cheap parameters for tests only.
    #[doc(hidden)]
    pub fn for_tests() -> Self {
        KdfParams::new(64, 1, 1)
    }

    pub(crate) fn check(&self) -> Result<()> {
        let ok = (8 * self.lanes.max(1)..=MAX_MEMORY_KIB).contains(&self.memory_kib)
            && (1..=MAX_PASSES).contains(&self.passes)
            && (1..=MAX_LANES).contains(&self.lanes);
        if ok {
            Ok(())
        } else {
            Err(Error::InvalidArgument(format!(
                "Argon2id parameters out of range (memory {} KiB, passes {}, lanes {}; allowed: memory 8×lanes..={MAX_MEMORY_KIB} KiB, passes 1..={MAX_PASSES}, lanes 1..={MAX_LANES})",
                self.memory_kib, self.passes, self.lanes
            )))
        }
    }

    /// `argon2id.m{KiB}.t{passes}.p{lanes}.{salt}`.
    pub(crate) fn key_id(&self, salt: &[u8; SALT_LEN]) -> String {
        format!(
            "argon2id.m{}.t{}.p{}.{}",
            self.memory_kib,
            self.passes,
            self.lanes,
            URL_SAFE_NO_PAD.encode(salt)
        )
    }

    /// The parameters and salt a key id names; `None` for any other id or
    /// parameters out of bounds.
    pub(crate) fn parse_key_id(id: &str) -> Option<(KdfParams, [u8; SALT_LEN])> {
        let mut parts = id.strip_prefix("argon2id.")?.split('.');
        let mut num = |tag: char| -> Option<u32> { parts.next()?.strip_prefix(tag)?.parse().ok() };
        let params = KdfParams::new(num('m')?, num('t')?, num('p')?);
        let salt = URL_SAFE_NO_PAD.decode(parts.next()?).ok()?;
        if parts.next().is_some() {
            return None;
        }
        params.check().ok()?;
        Some((params, salt.try_into().ok()?))
    }
}

pub(crate) fn fresh_salt() -> [u8; SALT_LEN] {
    let mut salt = [0u8; SALT_LEN];
    aws_lc_rs::rand::fill(&mut salt).expect("the system random generator failed");
    salt
}

/// Without the `argon2` feature: an Unsupported error naming it.
#[cfg(not(feature = "argon2"))]
pub(crate) fn derive<const LEN: usize>(
    _passphrase: &Secret,
    params: &KdfParams,
    _salt: &[u8; SALT_LEN],
) -> Result<Zeroizing<[u8; LEN]>> {
    params.check()?;
    Err(crate::feature_off!(
        "a passphrase key",
        "be derived",
        "argon2"
    ))
}

/// A `LEN`-byte key from `passphrase` (the caller names the length, so
/// this file needs nothing from the keys that use it).
#[cfg(feature = "argon2")]
pub(crate) fn derive<const LEN: usize>(
    passphrase: &Secret,
    params: &KdfParams,
    salt: &[u8; SALT_LEN],
) -> Result<Zeroizing<[u8; LEN]>> {
    let argon_params =
        argon2::Params::new(params.memory_kib, params.passes, params.lanes, Some(LEN))
            .map_err(|e| Error::InvalidArgument(format!("Argon2id parameters: {e}")))?;
    let argon = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon_params,
    );
    let mut out = Zeroizing::new([0u8; LEN]);
    argon
        .hash_password_into(passphrase.expose().as_bytes(), salt, &mut out[..])
        .map_err(|e| {
            Error::InvalidArgument(format!("deriving the key from the passphrase: {e}"))
        })?;
    Ok(out)
}

#[cfg(all(test, feature = "argon2"))]
mod tests {
    use super::*;

    #[test]
    fn key_ids_round_trip() {
        let p = KdfParams::new(1024, 3, 2);
        let salt = [9u8; SALT_LEN];
        let id = p.key_id(&salt);
        assert_eq!(KdfParams::parse_key_id(&id), Some((p, salt)));
    }

    #[test]
    fn hostile_key_ids_are_refused_before_any_work() {
        for id in [
            "argon2id.m4294967295.t2.p1.AAAAAAAAAAAAAAAAAAAAAA",
            "argon2id.m1024.t4000000000.p1.AAAAAAAAAAAAAAAAAAAAAA",
            "argon2id.m1024.t1.p0.AAAAAAAAAAAAAAAAAAAAAA",
            "argon2id.m1024.t1.p1.AAAA",
            "argon2id.m1024.t1.p1.AAAAAAAAAAAAAAAAAAAAAA.extra",
            "argon2id.m-1.t1.p1.AAAAAAAAAAAAAAAAAAAAAA",
            "k-0123456789ab",
        ] {
            assert_eq!(KdfParams::parse_key_id(id), None, "{id}");
        }
    }
}

#[cfg(all(test, not(feature = "argon2")))]
mod without_argon2 {
    use super::*;

    #[test]
    fn a_passphrase_key_names_the_missing_feature() {
        let e = derive::<32>(
            &Secret::new("pass phrase"),
            &KdfParams::for_tests(),
            &[0; SALT_LEN],
        )
        .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Unsupported);
        assert!(e.to_string().contains("argon2"), "{e}");
    }
}
