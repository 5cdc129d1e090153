//! A small blocking connection pool for Redis, single node or cluster.
//!
//! Connections are made on demand (up to `size`), handed out one per
//! operation and put back afterwards. A connection that saw any error is
//! dropped instead of being put back, so a restarted server is picked up by
//! the next checkout without rebuilding anything.
//!
//! Every wait is bounded, and one call waits for at most one connect
//! timeout plus one I/O timeout: the connect timeout is one budget for the
//! wait for a free pooled connection, the TCP (and TLS) connect and the
//! handshake (`AUTH`, `SELECT`), which oauthkit sends itself one command
//! at a time, each with the budget that is left (the `redis` crate would
//! pipeline them and wait the full timeout for each reply); the I/O
//! timeout bounds the reply to the operation. A timeout is never retried.
//! Errors name the limit that fired.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use ::redis::cluster::{ClusterClient, ClusterConnection};
use ::redis::{Cmd, ConnectionLike, RedisError, RedisResult, Value};

use crate::error::Error;

/// What the pool connects to.
pub(crate) enum Target {
    /// One server (or a proxy).
    Single(Single),
    /// A Redis Cluster reached through its seed nodes.
    Cluster {
        /// The `redis` crate's cluster client.
        client: ClusterClient,
        /// The same seeds, probed by the pool before the cluster client
        /// connects (see [`Pool::probe`]).
        seeds: Vec<Single>,
    },
}

/// One server: a client that only opens the TCP (or TLS) connection, and
/// the handshake oauthkit sends itself.
pub(crate) struct Single {
    /// Connects without any setup commands.
    pub(crate) client: ::redis::Client,
    /// `AUTH [username] password`, if the URL has a password.
    pub(crate) auth: Option<(Option<String>, String)>,
    /// The database to `SELECT` (0: none).
    pub(crate) db: i64,
    /// Whether the connection is TLS (the handshake then also completes the
    /// TLS handshake within the connect timeout).
    pub(crate) tls: bool,
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
    /// of the stores is safe to repeat; so is a cluster redirect (`MOVED`,
    /// `ASK`). A timeout is never retried, so an unresponsive server costs
    /// one I/O timeout, not two.
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
            Err(e) if (reused && is_stale_connection(&e)) || is_redirect(&e) => {
                self.discard(conn);
                let mut fresh = self.connect_counted(Instant::now() + self.connect_timeout)?;
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
                return match self.connect(deadline) {
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
                        "all {} pooled connections to {} stayed busy for {} ms (connect_timeout)",
                        self.size,
                        self.endpoint,
                        self.connect_timeout.as_millis()
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
    fn connect_counted(&self, deadline: Instant) -> crate::Result<Conn> {
        self.lock().open += 1;
        self.connect(deadline).inspect_err(|_| self.release_slot())
    }

    /// Connects and shakes hands before `deadline`, then sets the I/O
    /// timeouts for the operations.
    fn connect(&self, deadline: Instant) -> crate::Result<Conn> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(self.connect_timed_out("connecting"));
        }
        match &self.target {
            Target::Single(single) => {
                let mut c = single
                    .client
                    .get_connection_with_timeout(left)
                    .map_err(|e| self.connect_error("connecting", e))?;
                self.handshake(single, &mut c, deadline, single.tls)?;
                c.set_read_timeout(Some(self.io_timeout))
                    .and_then(|()| c.set_write_timeout(Some(self.io_timeout)))
                    .map_err(|e| self.error(e))?;
                Ok(Conn::Single(c))
            }
            Target::Cluster { client, seeds } => {
                self.probe(seeds, deadline)?;
                client
                    .get_connection()
                    .and_then(|c| {
                        c.set_read_timeout(Some(self.io_timeout))?;
                        c.set_write_timeout(Some(self.io_timeout))?;
                        Ok(Conn::Cluster(Box::new(c)))
                    })
                    .map_err(|e| self.connect_error("connecting", e))
            }
        }
    }

    /// Finds a seed that answers a `PING` before `deadline`, trying them in
    /// turn. The cluster client connects to the seeds itself and waits the
    /// whole connect timeout for each of its setup replies, and then for a
    /// `PING` without any timeout; it is only called once a seed has just
    /// answered, so that a cluster that stopped answering costs one
    /// connect timeout.
    fn probe(&self, seeds: &[Single], deadline: Instant) -> crate::Result<()> {
        let mut last = None;
        for seed in seeds {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            let answered = seed
                .client
                .get_connection_with_timeout(left)
                .map_err(|e| self.connect_error("connecting", e))
                .and_then(|mut c| self.handshake(seed, &mut c, deadline, true));
            match answered {
                Ok(()) => return Ok(()),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| self.connect_timed_out("connecting")))
    }

    /// `AUTH` and `SELECT` (or, with `ping` and nothing else to send, a
    /// `PING`, which also completes a TLS handshake), one at a time, each
    /// waiting only for what is left of the connect timeout.
    fn handshake(
        &self,
        single: &Single,
        c: &mut ::redis::Connection,
        deadline: Instant,
        ping: bool,
    ) -> crate::Result<()> {
        let mut cmds = Vec::new();
        if let Some((user, password)) = &single.auth {
            let mut auth = ::redis::cmd("AUTH");
            if let Some(user) = user {
                auth.arg(user);
            }
            auth.arg(password);
            cmds.push(auth);
        }
        if single.db != 0 {
            let mut select = ::redis::cmd("SELECT");
            select.arg(single.db);
            cmds.push(select);
        }
        if cmds.is_empty() && ping {
            cmds.push(::redis::cmd("PING"));
        }
        for command in &cmds {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(self.connect_timed_out("waiting for the handshake"));
            }
            c.set_read_timeout(Some(left))
                .and_then(|()| c.set_write_timeout(Some(left)))
                .and_then(|()| c.req_command(command))
                .and_then(Value::extract_error)
                .map_err(|e| self.connect_error("waiting for the handshake", e))?;
        }
        Ok(())
    }

    fn connect_timed_out(&self, doing: &str) -> Error {
        self.connect_timed_out_by(doing, None)
    }

    /// The error of `doing` not done within the connect timeout, caused
    /// by `source` when known.
    fn connect_timed_out_by(&self, doing: &str, source: Option<RedisError>) -> Error {
        Error::Unavailable {
            backend: "redis",
            message: format!(
                "{doing} to {} timed out after {} ms (connect_timeout)",
                self.endpoint,
                self.connect_timeout.as_millis()
            ),
            source: source.map(|e| Box::new(e) as _),
        }
    }

    /// An error while connecting: a timeout names the connect timeout.
    fn connect_error(&self, doing: &str, e: RedisError) -> Error {
        // The cluster client folds its nodes' errors into one text.
        if e.is_timeout() || e.to_string().contains("timed out") {
            self.connect_timed_out_by(doing, Some(e))
        } else {
            self.error(e)
        }
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
                    "no reply from {} within {} ms (io_timeout)",
                    self.endpoint,
                    self.io_timeout.as_millis()
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

/// Whether a cluster node redirected the command (the slots moved): the
/// cluster client runs without retries, so that a timeout is never waited
/// for twice, and `run` follows a redirect with a fresh connection, which
/// reads the new slot map.
fn is_redirect(e: &RedisError) -> bool {
    matches!(
        e.kind(),
        ::redis::ErrorKind::Server(::redis::ServerErrorKind::Moved)
            | ::redis::ErrorKind::Server(::redis::ServerErrorKind::Ask)
    )
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
