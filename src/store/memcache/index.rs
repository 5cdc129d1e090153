//! A list of names kept in one memcached entry and changed only by
//! compare-and-swap, so concurrent writers never lose each other's
//! updates. memcached cannot enumerate its keys; this is how the token
//! store lists keys and namespaces.

use std::collections::BTreeSet;

use ::memcache::Client;

use super::connection::Connection;

/// Attempts before giving up under heavy contention.
const MAX_ATTEMPTS: usize = 1000;

/// The names in the index at `key` (empty when there is none).
pub(crate) fn read(conn: &Connection, key: &str) -> crate::Result<BTreeSet<String>> {
    let raw: Option<String> = conn.run(|c| c.get(key))?;
    parse(key, raw.as_deref())
}

fn parse(key: &str, raw: Option<&str>) -> crate::Result<BTreeSet<String>> {
    match raw {
        None => Ok(BTreeSet::new()),
        Some(text) => serde_json::from_str(text).map_err(|e| {
            crate::Error::corrupt(format!("memcached key {key}"), crate::token::json_error(&e))
        }),
    }
}

/// Adds (`insert == true`) or removes `names` with compare-and-swap;
/// whether the index changed.
pub(crate) fn update(
    conn: &Connection,
    key: &str,
    names: &[&str],
    insert: bool,
) -> crate::Result<bool> {
    for _ in 0..MAX_ATTEMPTS {
        let current: Option<(String, u32, Option<u64>)> = conn.run(|c| c.get(key))?;
        let (mut set, cas) = match &current {
            Some((text, _, cas)) => (parse(key, Some(text))?, *cas),
            None => (BTreeSet::new(), None),
        };
        let mut changed = false;
        for n in names {
            changed |= if insert {
                set.insert((*n).to_owned())
            } else {
                set.remove(*n)
            };
        }
        if !changed {
            return Ok(false);
        }
        let body = serde_json::to_string(&set).expect("a set of strings serialises");
        let stored = match cas {
            Some(cas) => conn.run(|c: &Client| c.cas(key, body.as_str(), 0, cas))?,
            None => {
                // `add` stores only if absent; it does not say whether it
                // did, so check by reading back.
                conn.run(|c| c.add(key, body.as_str(), 0))?;
                false
            }
        };
        if stored {
            return Ok(true);
        }
        if cas.is_none() {
            let now = read(conn, key)?;
            if names.iter().all(|n| now.contains(*n) == insert) {
                return Ok(true);
            }
        }
    }
    Err(crate::Error::Storage {
        backend: "memcache",
        message: format!("index {key} changed {MAX_ATTEMPTS} times while updating it"),
        source: None,
    })
}
