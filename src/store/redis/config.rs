//! [`RedisConfig`]: where the Redis is and how to talk to it.

use std::fmt;
use std::time::Duration;

use ::redis::cluster::ClusterClientBuilder;
use ::redis::{IntoConnectionInfo, TlsCertificates};

use super::pool::{Pool, Single, Target};
use crate::error::{Error, Result};
use crate::store::remote_config::{
    shared_setters, UrlSettings, DEFAULT_CONNECT_TIMEOUT, DEFAULT_IO_TIMEOUT, DEFAULT_LOCK_LEASE,
    DEFAULT_POOL_SIZE,
};

/// Settings of a [`RedisStore`](super::RedisStore): servers, key prefix,
/// pool, timeouts, TLS and cluster.
///
/// ```
/// use oauthkit::store::RedisConfig;
/// let c = RedisConfig::from_url("redis://:hunter2@127.0.0.1:6380/2?prefix=myapp&pool_size=4").unwrap();
/// assert_eq!(c.prefix, "myapp");
/// assert_eq!(c.pool_size, 4);
/// assert_eq!(c.nodes, vec!["redis://:hunter2@127.0.0.1:6380/2".to_string()]);
/// assert!(!format!("{c:?}").contains("hunter2"));
///
/// let cl = RedisConfig::from_url("redis+cluster://10.0.0.1:7000,10.0.0.2:7000").unwrap();
/// assert!(cl.cluster);
/// assert_eq!(cl.nodes, vec!["redis://10.0.0.1:7000", "redis://10.0.0.2:7000"]);
/// ```
#[derive(Clone)]
pub struct RedisConfig {
    /// Server URLs (`redis://` or `rediss://` for TLS). One for a single
    /// server; the seed nodes when [`cluster`](Self::cluster) is set.
    pub nodes: Vec<String>,
    /// Whether `nodes` are seeds of a Redis Cluster.
    pub cluster: bool,
    /// The first segment of every key (default `oauthkit`).
    pub prefix: String,
    /// Most connections open at once (default 10).
    pub pool_size: usize,
    /// Longest wait to connect, and for a free pooled connection
    /// (default 2 s).
    pub connect_timeout: Duration,
    /// Longest wait for each reply or write (default 2 s).
    pub io_timeout: Duration,
    /// How long a per-key lock lives if its holder dies (default 30 s).
    /// While the holder lives a heartbeat renews it every third of this,
    /// so a refresh may take longer.
    pub lock_lease: Duration,
    /// A PEM CA certificate to trust for `rediss://` instead of the
    /// system's roots (for a private CA).
    pub tls_root_cert: Option<Vec<u8>>,
}

impl Default for RedisConfig {
    /// `redis://localhost:6379/0`, prefix `oauthkit`, pool of 10, 2 s
    /// timeouts, 30 s lock lease.
    fn default() -> Self {
        RedisConfig {
            nodes: vec!["redis://localhost:6379/0".to_owned()],
            cluster: false,
            prefix: "oauthkit".to_owned(),
            pool_size: DEFAULT_POOL_SIZE as usize,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            io_timeout: DEFAULT_IO_TIMEOUT,
            lock_lease: DEFAULT_LOCK_LEASE,
            tls_root_cert: None,
        }
    }
}

impl fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nodes: Vec<String> = self.nodes.iter().map(|n| redact(n)).collect();
        f.debug_struct("RedisConfig")
            .field("nodes", &nodes)
            .field("cluster", &self.cluster)
            .field("prefix", &self.prefix)
            .field("pool_size", &self.pool_size)
            .field("connect_timeout", &self.connect_timeout)
            .field("io_timeout", &self.io_timeout)
            .field("lock_lease", &self.lock_lease)
            .field("tls_root_cert", &self.tls_root_cert.is_some())
            .finish()
    }
}

impl RedisConfig {
    /// One server at `url`, other settings default.
    pub fn new(url: impl Into<String>) -> Self {
        RedisConfig {
            nodes: vec![url.into()],
            ..Self::default()
        }
    }

    /// A Redis Cluster reached through these seed node URLs.
    pub fn cluster<I, S>(nodes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        RedisConfig {
            nodes: nodes.into_iter().map(Into::into).collect(),
            cluster: true,
            ..Self::default()
        }
    }

    /// Parses a URL with optional oauthkit settings in its query:
    /// `prefix`, `pool_size`, `connect_timeout_ms`, `timeout_ms` (I/O) and
    /// `lock_lease_ms`; other query parameters are passed to Redis.
    ///
    /// `redis://` and `rediss://` (TLS) name one server;
    /// `redis+cluster://host1:port1,host2:port2` (or `rediss+cluster://`)
    /// names the seed nodes of a cluster, optionally with `user:password@`
    /// before the first host (used for every node).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when `url` has no `redis://`, `rediss://` or
    /// cluster scheme, a cluster URL names no node, the `prefix` is empty, or
    /// `pool_size` or a `*_ms` setting is not a positive whole number.
    /// Messages hide any password in the URL.
    pub fn from_url(url: &str) -> Result<Self> {
        let (base, query) = match url.split_once('?') {
            Some((b, q)) => (b, q),
            None => (url, ""),
        };
        let mut config = RedisConfig::default();
        let settings = UrlSettings::parse("redis", query)?;
        config.apply_url_settings(&settings);
        let passthrough = settings.others;
        let rebuild = |u: String| {
            if passthrough.is_empty() {
                u
            } else {
                format!("{u}?{}", passthrough.join("&"))
            }
        };
        let (scheme, rest) = base.split_once("://").ok_or_else(|| {
            Error::InvalidArgument(format!("'{}' is not a redis URL", redact(url)))
        })?;
        match scheme {
            "redis" | "rediss" => config.nodes = vec![rebuild(base.to_owned())],
            "redis+cluster" | "rediss+cluster" => {
                let inner = scheme.trim_end_matches("+cluster");
                let (userinfo, hosts) = match rest.rsplit_once('@') {
                    Some((u, h)) => (format!("{u}@"), h),
                    None => (String::new(), rest),
                };
                let hosts = hosts.split('/').next().unwrap_or_default();
                config.nodes = hosts
                    .split(',')
                    .filter(|h| !h.is_empty())
                    .map(|h| rebuild(format!("{inner}://{userinfo}{h}")))
                    .collect();
                if config.nodes.is_empty() {
                    return Err(Error::InvalidArgument("a redis cluster URL needs at least one node".into()));
                }
                config.cluster = true;
            }
            other => {
                return Err(Error::InvalidArgument(format!(
                    "unknown redis URL scheme {} (expected redis, rediss, redis+cluster, rediss+cluster)",
                    crate::url_text::shown_scheme(other)
                )))
            }
        }
        Ok(config)
    }

    shared_setters!(usize);

    /// Trusts this PEM CA certificate for `rediss://`.
    pub fn tls_root_cert(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.tls_root_cert = Some(pem.into());
        self
    }

    pub(crate) fn pool(&self) -> Result<Pool> {
        if self.prefix.is_empty() {
            return Err(Error::InvalidArgument(
                "redis key prefix must not be empty".into(),
            ));
        }
        if self.pool_size == 0 {
            return Err(Error::InvalidArgument(
                "redis pool size must be at least 1".into(),
            ));
        }
        let first = self
            .nodes
            .first()
            .ok_or_else(|| Error::InvalidArgument("no redis URL given".into()))?;
        let bad = |e: ::redis::RedisError| {
            Error::InvalidArgument(format!("unusable redis URL '{}': {e}", redact(first)))
        };
        if self.nodes.iter().any(|n| n.starts_with("rediss://")) {
            // rustls needs a process-wide crypto provider; another part of
            // the program may have installed one already, which is fine.
            let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        }
        let certs = || TlsCertificates {
            client_tls: None,
            root_cert: self.tls_root_cert.clone(),
        };
        // A client that only connects; the pool sends AUTH and SELECT
        // itself, within the connect timeout (see pool.rs).
        let single = |url: &str| -> Result<Single> {
            let info = url.into_connection_info().map_err(bad)?;
            let settings = info.redis_settings();
            let auth = settings
                .password()
                .map(|p| (settings.username().map(str::to_owned), p.to_owned()));
            let db = settings.db();
            let tls = matches!(info.addr(), ::redis::ConnectionAddr::TcpTls { .. });
            let bare = info.clone().set_redis_settings(
                ::redis::RedisConnectionInfo::default().set_skip_set_lib_name(),
            );
            let client = if self.tls_root_cert.is_some() {
                ::redis::Client::build_with_tls(bare, certs())
            } else {
                ::redis::Client::open(bare)
            };
            Ok(Single {
                client: client.map_err(bad)?,
                auth,
                db,
                tls,
            })
        };
        let target = if self.cluster {
            let mut b = ClusterClientBuilder::new(self.nodes.clone())
                .connection_timeout(self.connect_timeout)
                .response_timeout(self.io_timeout)
                // No retries inside the client: it would wait for a timed
                // out reply again; the pool follows redirects itself.
                .retries(0);
            if self.tls_root_cert.is_some() {
                b = b.certs(certs());
            }
            let seeds = self
                .nodes
                .iter()
                .map(|n| single(n))
                .collect::<Result<Vec<_>>>()?;
            Target::Cluster {
                client: b.build().map_err(bad)?,
                seeds,
            }
        } else {
            if self.nodes.len() > 1 {
                return Err(Error::InvalidArgument(
                    "several redis URLs given for a single server; use RedisConfig::cluster".into(),
                ));
            }
            Target::Single(single(first)?)
        };
        let endpoint = first
            .as_str()
            .into_connection_info()
            .map(|i| i.addr().to_string())
            .unwrap_or_else(|_| redact(first));
        Ok(Pool::new(
            target,
            self.pool_size,
            self.connect_timeout,
            self.io_timeout,
            endpoint,
        ))
    }
}

/// A URL with any password replaced by `***`.
pub(crate) fn redact(url: &str) -> String {
    crate::url_text::redact_url(url)
}
