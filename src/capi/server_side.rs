//! The server side of the C ABI (deploy mode's `oak_deploy_*` routes and
//! the authorization-server stores `oak_server_store_*`) is in the C
//! library only with the cargo feature `capi-server`.
//!
//! A desktop or command-line C program signs in as a client and never
//! serves these routes, so the default C library leaves them out (its size
//! budget, docs/capi.md). The entry points stay declared in every build, so
//! the header is one: without the feature each of them answers
//! `OAK_ERR_UNSUPPORTED` naming the feature. The check is a constant, so
//! the compiler drops the server code behind it.

use crate::error::{Error, Result};

/// `Ok` when this build has the server side; otherwise the
/// `OAK_ERR_UNSUPPORTED` error for `what` (`"deploy mode"`, `"the server
/// stores"`).
#[inline(always)]
pub(super) fn server_side(what: &'static str) -> Result<()> {
    if cfg!(feature = "capi-server") {
        Ok(())
    } else {
        Err(Error::Unsupported {
            backend: what,
            operation: "be used: this build of the oauthkit C library lacks the cargo \
                        feature `capi-server` (build it with scripts/build-capi.sh \
                        --features capi-server)",
        })
    }
}
