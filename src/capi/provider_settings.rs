//! `oak_provider_from_settings`: a provider described by name/value pairs,
//! the same settings as the `OAUTHKIT_*` environment variables but passed
//! by the caller. This is how C programs give one provider its own CA
//! bundle or trust store (`OAUTHKIT_CA_FILE`, `OAUTHKIT_CA_PEM`,
//! `OAUTHKIT_TRUST_STORE`), timeouts and proxy (`OAUTHKIT_PROXY`,
//! `OAUTHKIT_NO_PROXY`).

use std::collections::HashMap;
use std::ffi::c_char;

use super::boundary::{call, opt_str_arg, out, str_arg, OakStatus};
use super::provider::OakProvider;
use crate::error::{Error, Result};
use crate::provider::ProviderSettings;

/// Makes a provider from `count` settings: `names[i]` is one of the
/// `OAUTHKIT_*` variable names of docs/providers.md (`OAUTHKIT_PROVIDER`,
/// `OAUTHKIT_CLIENT_ID`, ..., `OAUTHKIT_CA_FILE`, `OAUTHKIT_CA_PEM`,
/// `OAUTHKIT_TRUST_STORE`, `OAUTHKIT_PROXY`) and `values[i]` its value (NULL or empty:
/// unset). The process environment is not read. An unknown or repeated
/// name, a missing required setting or an unusable CA bundle is
/// `OAK_ERR_INVALID_ARGUMENT` naming it; an unreadable CA file is
/// `OAK_ERR_IO`. `names` and `values` may be NULL when `count` is 0. Any
/// thread.
#[no_mangle]
pub unsafe extern "C" fn oak_provider_from_settings(
    names: *const *const c_char,
    values: *const *const c_char,
    count: usize,
    out_provider: *mut *mut OakProvider,
) -> OakStatus {
    call(out(out_provider, "out_provider"), |out_provider| {
        let out_provider = out_provider.get()?;
        let pairs = pairs(names, values, count)?;
        let settings = ProviderSettings::from_lookup(|k| pairs.get(k).cloned())?;
        *out_provider = OakProvider::into_raw(std::sync::Arc::new(settings.build()?));
        Ok(())
    })
}

unsafe fn pairs(
    names: *const *const c_char,
    values: *const *const c_char,
    count: usize,
) -> Result<HashMap<String, String>> {
    let mut map = HashMap::new();
    if count == 0 {
        return Ok(map);
    }
    for (what, ptr) in [("names", names.is_null()), ("values", values.is_null())] {
        if ptr {
            return Err(Error::InvalidArgument(format!(
                "{what} is NULL while count is {count}"
            )));
        }
    }
    for i in 0..count {
        let name = str_arg(*names.add(i), &format!("names[{i}]"))?;
        if !ProviderSettings::VARIABLES.contains(&name) {
            return Err(Error::InvalidArgument(format!(
                "names[{i}]: unknown setting '{}' (expected one of {})",
                name.chars().take(50).collect::<String>(),
                ProviderSettings::VARIABLES.join(", ")
            )));
        }
        let value = opt_str_arg(*values.add(i), &format!("values[{i}]"))?.unwrap_or("");
        if map.insert(name.to_owned(), value.to_owned()).is_some() {
            return Err(Error::InvalidArgument(format!(
                "names[{i}]: {name} is given twice"
            )));
        }
    }
    Ok(map)
}
