//! The settings the network stores (Redis, memcached) share: key prefix,
//! pool size, connect and I/O timeouts, lock lease. Their defaults and
//! their setters, and the reading of them from a URL's query, are written
//! once here; each backend's config keeps what only it has (servers,
//! cluster, TLS) and how the rest of its URL is read.

use std::time::Duration;

use crate::error::{Error, Result};

/// Most connections open at once (per server for memcached).
pub(crate) const DEFAULT_POOL_SIZE: u32 = 10;
/// Longest wait to connect, and for a free pooled connection.
pub(crate) const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Longest wait for each reply or write.
pub(crate) const DEFAULT_IO_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a per-key lock lives if its holder dies.
pub(crate) const DEFAULT_LOCK_LEASE: Duration = Duration::from_secs(30);

/// The shared settings a network store's URL carries in its query, each
/// only when given.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct UrlSettings<'q> {
    /// `prefix`: not empty.
    pub prefix: Option<String>,
    /// `pool_size`: a positive whole number.
    pub pool_size: Option<u64>,
    /// `connect_timeout_ms`: positive.
    pub connect_timeout: Option<Duration>,
    /// `timeout_ms` (I/O): positive.
    pub io_timeout: Option<Duration>,
    /// `lock_lease_ms`: positive.
    pub lock_lease: Option<Duration>,
    /// The other `name=value` pairs, as written, in order.
    pub others: Vec<&'q str>,
}

/// The names [`UrlSettings::parse`] reads.
pub(crate) const URL_SETTING_NAMES: &str =
    "prefix, pool_size, connect_timeout_ms, timeout_ms, lock_lease_ms";

impl<'q> UrlSettings<'q> {
    /// Reads `query` (the part of a URL after `?`, `name=value` pairs
    /// joined by `&`) of a URL of the store named `store` (for errors).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when `prefix` is empty, or `pool_size`
    /// or a `*_ms` setting is not a positive whole number.
    pub fn parse(store: &str, query: &'q str) -> Result<Self> {
        let mut s = UrlSettings::default();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let positive = || -> Result<u64> {
                v.parse::<u64>().ok().filter(|n| *n > 0).ok_or_else(|| {
                    Error::InvalidArgument(format!(
                        "{store} URL setting {k}={v} is not a positive whole number"
                    ))
                })
            };
            let ms = || positive().map(Duration::from_millis);
            match k {
                "prefix" if v.is_empty() => {
                    return Err(Error::InvalidArgument(format!(
                        "{store} URL setting prefix= is empty"
                    )))
                }
                "prefix" => s.prefix = Some(v.to_owned()),
                "pool_size" => s.pool_size = Some(positive()?),
                "connect_timeout_ms" => s.connect_timeout = Some(ms()?),
                "timeout_ms" => s.io_timeout = Some(ms()?),
                "lock_lease_ms" => s.lock_lease = Some(ms()?),
                _ => s.others.push(pair),
            }
        }
        Ok(s)
    }

    /// Refuses any other pair, for a store that passes none on.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming the first other setting.
    pub fn refuse_others(&self, store: &str) -> Result<()> {
        match self.others.first() {
            None => Ok(()),
            Some(pair) => {
                let k = pair.split_once('=').map_or(*pair, |(k, _)| k);
                Err(Error::InvalidArgument(format!(
                    "unknown {store} URL setting '{k}' (known: {URL_SETTING_NAMES})"
                )))
            }
        }
    }
}

/// The setters of the shared settings, for a config struct with the
/// public fields `prefix`, `pool_size` (of type `$pool`),
/// `connect_timeout`, `io_timeout` and `lock_lease`, and the crate's
/// `apply_url_settings`, which sets those a URL gave. Used inside that
/// struct's `impl` block.
macro_rules! shared_setters {
    ($pool:ty) => {
        /// Sets the key prefix.
        pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
            self.prefix = prefix.into();
            self
        }

        /// Sets the pool size.
        pub fn pool_size(mut self, size: $pool) -> Self {
            self.pool_size = size;
            self
        }

        /// Sets the connect timeout.
        pub fn connect_timeout(mut self, t: std::time::Duration) -> Self {
            self.connect_timeout = t;
            self
        }

        /// Sets the I/O timeout.
        pub fn io_timeout(mut self, t: std::time::Duration) -> Self {
            self.io_timeout = t;
            self
        }

        /// Sets the lock lease.
        pub fn lock_lease(mut self, t: std::time::Duration) -> Self {
            self.lock_lease = t;
            self
        }

        /// Sets what a URL's query gave (a pool size beyond the type's
        /// range is its largest).
        pub(crate) fn apply_url_settings(
            &mut self,
            s: &$crate::store::remote_config::UrlSettings<'_>,
        ) {
            if let Some(p) = &s.prefix {
                self.prefix = p.clone();
            }
            if let Some(n) = s.pool_size {
                self.pool_size = <$pool>::try_from(n).unwrap_or(<$pool>::MAX);
            }
            if let Some(t) = s.connect_timeout {
                self.connect_timeout = t;
            }
            if let Some(t) = s.io_timeout {
                self.io_timeout = t;
            }
            if let Some(t) = s.lock_lease {
                self.lock_lease = t;
            }
        }
    };
}
pub(crate) use shared_setters;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_shared_settings_and_keeps_the_others_in_order() {
        let s = UrlSettings::parse(
            "redis",
            "prefix=p&db=2&pool_size=3&connect_timeout_ms=4&timeout_ms=5&lock_lease_ms=6&&flag",
        )
        .unwrap();
        assert_eq!(
            s,
            UrlSettings {
                prefix: Some("p".into()),
                pool_size: Some(3),
                connect_timeout: Some(Duration::from_millis(4)),
                io_timeout: Some(Duration::from_millis(5)),
                lock_lease: Some(Duration::from_millis(6)),
                others: vec!["db=2", "flag"],
            }
        );
        assert_eq!(
            UrlSettings::parse("redis", "").unwrap(),
            UrlSettings::default()
        );
        assert!(s
            .refuse_others("memcache")
            .unwrap_err()
            .to_string()
            .contains("'db'"));
    }

    #[test]
    fn every_bad_value_of_every_setting_is_refused_alike() {
        for k in [
            "pool_size",
            "connect_timeout_ms",
            "timeout_ms",
            "lock_lease_ms",
        ] {
            for v in ["", "0", "-1", "1.5", "soon", "18446744073709551616"] {
                let e = UrlSettings::parse("memcache", &format!("{k}={v}")).unwrap_err();
                assert_eq!(e.kind(), crate::error::ErrorKind::InvalidArgument);
                assert_eq!(
                    e.to_string(),
                    Error::InvalidArgument(format!(
                        "memcache URL setting {k}={v} is not a positive whole number"
                    ))
                    .to_string()
                );
            }
        }
        let e = UrlSettings::parse("redis", "prefix=").unwrap_err();
        assert!(
            e.to_string().contains("redis URL setting prefix= is empty"),
            "{e}"
        );
    }
}
