//! A small blocking connection pool for Redis, single node or cluster.
//!
//! Connections are made on demand (up to `size`), handed out one per
//! operation and put back afterwards. A connection that saw any error is
//! dropped instead of being put back, so a restarted server is picked up by
//! the next checkout without rebuilding anything. Every wait is bounded: the
//! connect timeout bounds both the TCP connect and the wait for a free
//! connection, the I/O timeout bounds each read and write.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use ::redis::cluster::{ClusterClient, ClusterConnection};
use ::redis::{Cmd, ConnectionLike, RedisError, RedisResult, Value};

use crate::error::Error;

/// What the pool connects to.
pub(crate) enum Target {
    /// One server (or a proxy).
    Single(::redis::Client),
    /// A Redis Cluster reached through its seed nodes.
    Cluster(ClusterClient),
}

/// One connection of either kind.
pub(crate) enum Conn {
    Single(::redis::Connection),
    Cluster(Box<ClusterConnection>),
}

impl Conn {
    /// Runs one command.
    pub(crate) fn query(&mut self, cmd: &Cmd) -> RedisResult<Value> {
        match self {
            Conn::Single(c) => c.req_command(cmd),
            Conn::Cluster(c) => c.req_command(cmd),
        }
    }
}

struct State {
    idle: Vec<Conn>,
    /// Connections that exist: idle plus checked out.
    open: usize,
}

/// The pool.
pub(crate) struct Pool {
    target: Target,
    size: usize,
    connect_timeout: Duration,
    io_timeout: Duration,
    /// `host:port` of the (first) server, for messages; never a password.
    pub(crate) endpoint: String,
    state: Mutex<State>,
    freed: Condvar,
}

impl Pool {
    pub(crate) fn new(
        target: Target,
        size: usize,
        connect_timeout: Duration,
        io_timeout: Duration,
        endpoint: String,
    ) -> Self {
        Pool {
            target,
            size: size.max(1),
            connect_timeout,
            io_timeout,
            endpoint,
            state: Mutex::new(State {
                idle: Vec::new(),
                open: 0,
            }),
            freed: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `op` on a pooled connection. When `op` fails because a
    /// connection that had been idle was closed (the server restarted
    /// since), it is run once more on a fresh connection: every operation
    /// of the stores is safe to repeat. A timeout is never retried, so an
    /// unresponsive server costs one I/O timeout, not two.
    pub(crate) fn run<T>(
        &self,
        mut op: impl FnMut(&mut Conn) -> RedisResult<T>,
    ) -> crate::Result<T> {
        let (mut conn, reused) = self.checkout()?;
        match op(&mut conn) {
            Ok(v) => {
                self.checkin(conn);
                Ok(v)
            }
            Err(e) if reused && is_stale_connection(&e) => {
                self.discard(conn);
                let mut fresh = self.connect_counted()?;
                match op(&mut fresh) {
                    Ok(v) => {
                        self.checkin(fresh);
                        Ok(v)
                    }
                    Err(e) => {
                        self.discard(fresh);
                        Err(self.error(e))
                    }
                }
            }
            Err(e) => {
                self.discard(conn);
                Err(self.error(e))
            }
        }
    }

    /// Takes an idle connection or makes a new one, waiting at most the
    /// connect timeout for a free slot. Returns whether it was reused.
    fn checkout(&self) -> crate::Result<(Conn, bool)> {
        let deadline = Instant::now() + self.connect_timeout;
        let mut st = self.lock();
        loop {
            if let Some(c) = st.idle.pop() {
                return Ok((c, true));
            }
            if st.open < self.size {
                st.open += 1;
                drop(st);
                return match self.connect() {
                    Ok(c) => Ok((c, false)),
                    Err(e) => {
                        self.release_slot();
                        Err(e)
                    }
                };
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(Error::Unavailable {
                    backend: "redis",
                    message: format!(
                        "all {} pooled connections to {} stayed busy for {:?}",
                        self.size, self.endpoint, self.connect_timeout
                    ),
                    source: None,
                });
            }
            st = self
                .freed
                .wait_timeout(st, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// A new connection that takes over the slot of a discarded one.
    fn connect_counted(&self) -> crate::Result<Conn> {
        self.lock().open += 1;
        self.connect().inspect_err(|_| self.release_slot())
    }

    fn connect(&self) -> crate::Result<Conn> {
        let made = match &self.target {
            Target::Single(client) => client
                .get_connection_with_timeout(self.connect_timeout)
                .and_then(|c| {
                    c.set_read_timeout(Some(self.io_timeout))?;
                    c.set_write_timeout(Some(self.io_timeout))?;
                    Ok(Conn::Single(c))
                }),
            Target::Cluster(client) => client.get_connection().and_then(|c| {
                c.set_read_timeout(Some(self.io_timeout))?;
                c.set_write_timeout(Some(self.io_timeout))?;
                Ok(Conn::Cluster(Box::new(c)))
            }),
        };
        made.map_err(|e| self.error(e))
    }

    fn checkin(&self, conn: Conn) {
        self.lock().idle.push(conn);
        self.freed.notify_one();
    }

    fn discard(&self, conn: Conn) {
        drop(conn);
        self.release_slot();
    }

    fn release_slot(&self) {
        let mut st = self.lock();
        st.open = st.open.saturating_sub(1);
        drop(st);
        self.freed.notify_one();
    }

    /// Maps a Redis error to oauthkit's: unreachable or timed out is
    /// [`Error::Unavailable`], anything else [`Error::Storage`].
    pub(crate) fn error(&self, e: RedisError) -> Error {
        if is_connection_error(&e) {
            let what = if e.is_timeout() {
                format!(
                    "no answer from {} within {:?}",
                    self.endpoint, self.io_timeout
                )
            } else {
                format!("cannot reach {}", self.endpoint)
            };
            Error::Unavailable {
                backend: "redis",
                // The Redis error (its text holds addresses and server
                // messages, never the values we sent) is the source.
                message: what,
                source: Some(Box::new(e)),
            }
        } else {
            Error::Storage {
                backend: "redis",
                message: format!("a command to {} failed", self.endpoint),
                source: Some(Box::new(e)),
            }
        }
    }
}

/// Whether the error says the connection was closed under us (not a
/// timeout).
fn is_stale_connection(e: &RedisError) -> bool {
    !e.is_timeout() && (e.is_connection_dropped() || e.is_io_error())
}

/// Whether the error means the server could not be reached or talked to.
pub(crate) fn is_connection_error(e: &RedisError) -> bool {
    e.is_io_error()
        || e.is_timeout()
        || e.is_connection_dropped()
        || e.is_connection_refusal()
        || e.is_unrecoverable_error()
        || matches!(
            e.kind(),
            ::redis::ErrorKind::ClusterConnectionNotFound
                | ::redis::ErrorKind::Server(::redis::ServerErrorKind::ClusterDown)
                | ::redis::ErrorKind::Server(::redis::ServerErrorKind::BusyLoading)
                | ::redis::ErrorKind::Server(::redis::ServerErrorKind::TryAgain)
        )
}
