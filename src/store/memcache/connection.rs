//! A lazily built memcached client with bounded waits, shared by the
//! token store and the server-side stores.
//!
//! The client (the `memcache` crate's, with its own r2d2 pool) is built on
//! first use, so a server that is down when the store is created is only
//! an error when the store is used, and the same store works once it is
//! back. Every connection has read and write timeouts; waiting for a pooled
//! connection is bounded by the connect timeout.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use ::memcache::{Client, MemcacheError};

use crate::error::Error;

/// Where memcached is and how to talk to it.
#[derive(Clone, Debug)]
pub(crate) struct Endpoint {
    /// `host:port` of each server.
    pub(crate) servers: Vec<String>,
    pub(crate) pool_size: u32,
    pub(crate) connect_timeout: Duration,
    pub(crate) io_timeout: Duration,
}

/// The shared, lazily connected client.
pub(crate) struct Connection {
    endpoint: Endpoint,
    client: Mutex<Option<Arc<Client>>>,
}

impl Connection {
    pub(crate) fn new(endpoint: Endpoint) -> Self {
        Connection {
            endpoint,
            client: Mutex::new(None),
        }
    }

    fn client(&self) -> crate::Result<Arc<Client>> {
        let mut slot = self.client.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(c) = slot.as_ref() {
            return Ok(Arc::clone(c));
        }
        let e = &self.endpoint;
        let mut builder = Client::builder()
            .with_max_pool_size(e.pool_size.max(1))
            .with_min_idle_conns(1)
            .with_connection_timeout(e.connect_timeout);
        for server in &e.servers {
            // The text protocol (what python-memcached speaks), with
            // per-connection read/write timeouts.
            let url = format!(
                "memcache://{server}?protocol=ascii&timeout={}",
                e.io_timeout.as_secs_f64()
            );
            builder = builder.add_server(url).map_err(|err| self.error(err))?;
        }
        let client = Arc::new(builder.build().map_err(|err| self.error(err))?);
        *slot = Some(Arc::clone(&client));
        Ok(client)
    }

    /// Runs `op` with the client, mapping its errors.
    pub(crate) fn run<T>(&self, op: impl FnOnce(&Client) -> Result<T, MemcacheError>) -> crate::Result<T> {
        let client = self.client()?;
        op(&client).map_err(|e| self.error(e))
    }

    /// Unreachable, timed out or pool exhausted: [`Error::Unavailable`];
    /// a bad URL: [`Error::InvalidArgument`]; else [`Error::Storage`].
    pub(crate) fn error(&self, e: MemcacheError) -> Error {
        let servers = self.endpoint.servers.join(",");
        match e {
            MemcacheError::IOError(_) | MemcacheError::PoolError(_) => Error::Unavailable {
                backend: "memcache",
                message: format!("cannot reach memcached at {servers} within {:?} ({e})", self.endpoint.connect_timeout.max(self.endpoint.io_timeout)),
                source: Some(Box::new(e)),
            },
            MemcacheError::BadURL(m) => Error::InvalidArgument(format!("unusable memcached address: {m}")),
            other => Error::Storage {
                backend: "memcache",
                message: other.to_string(),
                source: Some(Box::new(other)),
            },
        }
    }
}
