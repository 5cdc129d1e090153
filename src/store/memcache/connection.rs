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

    /// The client, and whether it was made just now.
    fn client(&self) -> crate::Result<(Arc<Client>, bool)> {
        let mut slot = self.client.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(c) = slot.as_ref() {
            return Ok((Arc::clone(c), false));
        }
        let e = &self.endpoint;
        let mut pools = Vec::with_capacity(e.servers.len());
        for server in &e.servers {
            // The text protocol (what python-memcached speaks), with
            // per-connection read/write timeouts.
            let url = format!(
                "memcache://{server}?protocol=ascii&timeout={}",
                e.io_timeout.as_secs_f64()
            );
            let url = ::memcache::Url::parse(&url).map_err(|err| {
                Error::InvalidArgument(format!("unusable memcached address '{server}': {err}"))
            })?;
            // No test query on every checkout (it would double the round
            // trips); a connection that failed is dealt with by `run`,
            // which drops the whole client so the next call reconnects.
            let pool = r2d2::Pool::builder()
                .max_size(e.pool_size.max(1))
                .min_idle(Some(0))
                .test_on_check_out(false)
                .connection_timeout(e.connect_timeout)
                .build_unchecked(::memcache::ConnectionManager::new(url));
            pools.push(pool);
        }
        let client = Arc::new(Client::with_pools(pools).map_err(|err| self.error(err))?);
        *slot = Some(Arc::clone(&client));
        Ok((client, true))
    }

    /// Runs `op` with the client, mapping its errors. After a connection
    /// failure the client (and its pool) is dropped, so connections broken
    /// by a server restart are never reused; if the failed client had
    /// been used before and the failure was not a timeout, `op` is tried
    /// once more on a fresh one (every operation of the stores is safe to
    /// repeat).
    pub(crate) fn run<T>(
        &self,
        mut op: impl FnMut(&Client) -> Result<T, MemcacheError>,
    ) -> crate::Result<T> {
        let (client, fresh) = self.client()?;
        match op(&client) {
            Ok(v) => Ok(v),
            Err(e) if is_broken(&e) => {
                self.forget(&client);
                // A timeout (no reply, or no connection from the pool in
                // time) is never retried: one call waits for at most one
                // connect timeout and one I/O timeout.
                if fresh || is_timeout(&e) || matches!(e, MemcacheError::PoolError(_)) {
                    return Err(self.error(e));
                }
                let (client, _) = self.client()?;
                op(&client).map_err(|e| {
                    if is_broken(&e) {
                        self.forget(&client);
                    }
                    self.error(e)
                })
            }
            Err(e) => Err(self.error(e)),
        }
    }

    fn forget(&self, client: &Arc<Client>) {
        let mut slot = self.client.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.as_ref().is_some_and(|c| Arc::ptr_eq(c, client)) {
            *slot = None;
        }
    }

    /// Unreachable, timed out, pool exhausted, or a reply cut short or
    /// garbled on the wire (the server died mid-reply, the connection was
    /// reset): [`Error::Unavailable`] naming what fired; a bad URL:
    /// [`Error::InvalidArgument`]; else (the server answered an error, a
    /// key it refuses) [`Error::Storage`].
    pub(crate) fn error(&self, e: MemcacheError) -> Error {
        let servers = self.endpoint.servers.join(",");
        let message = match &e {
            MemcacheError::IOError(_) if is_timeout(&e) => format!(
                "no reply from memcached at {servers} within {} ms (io_timeout)",
                self.endpoint.io_timeout.as_millis()
            ),
            MemcacheError::IOError(_) => format!("cannot reach memcached at {servers}"),
            _ if is_torn(&e) => format!(
                "the connection to memcached at {servers} broke mid-reply (the reply was cut short or garbled)"
            ),
            MemcacheError::PoolError(_) => format!(
                "no connection to memcached at {servers} within {} ms (connect_timeout)",
                self.endpoint.connect_timeout.as_millis()
            ),
            MemcacheError::BadURL(m) => {
                return Error::InvalidArgument(format!("unusable memcached address: {m}"))
            }
            _ => {
                return Error::Storage {
                    backend: "memcache",
                    message: format!("the request to {servers} failed"),
                    source: Some(Box::new(e)),
                }
            }
        };
        Error::Unavailable {
            backend: "memcache",
            message,
            source: Some(Box::new(e)),
        }
    }
}

/// Whether the error means the connection can no longer be trusted.
fn is_broken(e: &MemcacheError) -> bool {
    matches!(
        e,
        MemcacheError::IOError(_) | MemcacheError::PoolError(_) | MemcacheError::ServerError(_)
    ) || is_torn(e)
}

/// Whether the reply ended early or could not be read as the protocol
/// says: the text protocol's "no line found" when the connection closed
/// mid-line, a line too long to be a reply, a number or text cut in two,
/// an unexpected reply line. The server did not answer an error: the
/// conversation broke, like an I/O error.
fn is_torn(e: &MemcacheError) -> bool {
    matches!(
        e,
        MemcacheError::ClientError(::memcache::ClientError::Error(_))
            | MemcacheError::ParseError(_)
            | MemcacheError::ServerError(
                ::memcache::ServerError::BadResponse(_) | ::memcache::ServerError::BadMagic(_)
            )
    )
}

fn is_timeout(e: &MemcacheError) -> bool {
    matches!(e, MemcacheError::IOError(io)
        if matches!(io.kind(), std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock))
}
