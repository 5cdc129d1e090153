//! A profile's stored token set as the commands may use it: a token file
//! can be written by another program, so a set whose access, refresh or ID
//! token holds a character outside RFC 6749's VSCHAR (`%x20-7E`, Appendix
//! A.12/A.13) is corrupt (exit 5), never handed to git, docker, kubectl, a
//! script or the terminal.

use oauthkit::unversioned::token_chars::first_invalid_token;
use oauthkit::{Error, TokenSet, TokenStore};

use crate::config::Profile;

/// `Corrupt` when a token of `tokens` is outside VSCHAR (naming which,
/// never quoting it).
pub fn check(profile: &Profile, tokens: &TokenSet) -> oauthkit::Result<()> {
    match first_invalid_token(tokens) {
        None => Ok(()),
        Some(field) => Err(Error::Corrupt {
            location: format!("the stored tokens of profile '{}'", profile.name),
            message: format!(
                "the {field} holds a character outside RFC 6749's VSCHAR set (%x20-7E); \
                 it was not used (another program wrote it?). `oauthkit logout {}` and sign in again",
                profile.name
            ),
        }),
    }
}

/// The profile's stored token set, [checked](check).
pub fn load(profile: &Profile, store: &dyn TokenStore) -> oauthkit::Result<Option<TokenSet>> {
    let tokens = store.load(profile.token_key())?;
    if let Some(t) = &tokens {
        check(profile, t)?;
    }
    Ok(tokens)
}
