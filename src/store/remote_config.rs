//! The settings the network stores (Redis, memcached) share: key prefix,
//! pool size, connect and I/O timeouts, lock lease. Their defaults and
//! their setters are written once here; each backend's config keeps what
//! only it has (servers, cluster, TLS) and how its URL is read.

use std::time::Duration;

/// Most connections open at once (per server for memcached).
pub(crate) const DEFAULT_POOL_SIZE: u32 = 10;
/// Longest wait to connect, and for a free pooled connection.
pub(crate) const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Longest wait for each reply or write.
pub(crate) const DEFAULT_IO_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a per-key lock lives if its holder dies.
pub(crate) const DEFAULT_LOCK_LEASE: Duration = Duration::from_secs(30);

/// The setters of the shared settings, for a config struct with the
/// public fields `prefix`, `pool_size` (of type `$pool`),
/// `connect_timeout`, `io_timeout` and `lock_lease`. Used inside that
/// struct's `impl` block.
macro_rules! shared_setters {
    ($pool:ty) => {
        /// Sets the key prefix.
        pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
            self.prefix = prefix.into();
            self
        }

        /// Sets the pool size.
        pub fn with_pool_size(mut self, size: $pool) -> Self {
            self.pool_size = size;
            self
        }

        /// Sets the connect timeout.
        pub fn with_connect_timeout(mut self, t: std::time::Duration) -> Self {
            self.connect_timeout = t;
            self
        }

        /// Sets the I/O timeout.
        pub fn with_io_timeout(mut self, t: std::time::Duration) -> Self {
            self.io_timeout = t;
            self
        }

        /// Sets the lock lease.
        pub fn with_lock_lease(mut self, t: std::time::Duration) -> Self {
            self.lock_lease = t;
            self
        }
    };
}
pub(crate) use shared_setters;
