//! Real redis-server and memcached processes for tests: each on free
//! loopback ports, in its own temporary directory, killed on drop. A
//! missing binary fails the test with the command that installs it.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

const SETUP: &str =
    "run scripts/setup-servers.sh (installs redis-server, redis-tools and memcached)";

/// Fails the test unless `bin` is on PATH (through `needs::require` for
/// the servers it knows, so that a conformance test is skipped instead).
pub fn require(bin: &str) {
    match bin {
        "redis-server" | "redis-cli" => crate::needs::require(crate::needs::Need::Redis),
        "memcached" => crate::needs::require(crate::needs::Need::Memcached),
        _ => {}
    }
    let found = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|d| d.join(bin).is_file()))
        .unwrap_or(false);
    assert!(found, "{bin} is not installed: {SETUP}");
}

/// A port nobody listens on right now (the OS picks it).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("binding an ephemeral loopback port")
}

/// Two free ports `p` such that `p + 10000` is free too (Redis Cluster's
/// bus port), returned as `(port, bus_port)`.
fn free_cluster_ports() -> (u16, u16) {
    loop {
        let p = free_port();
        if p > 55_000 {
            continue;
        }
        let bus = p + 10_000;
        if TcpListener::bind(("127.0.0.1", bus)).is_ok() {
            return (p, bus);
        }
    }
}

/// Sends one inline command and reads what comes back first.
fn raw_command(port: u16, command: &str) -> Option<String> {
    let mut s = TcpStream::connect_timeout(
        &format!("127.0.0.1:{port}").parse().unwrap(),
        Duration::from_millis(200),
    )
    .ok()?;
    s.set_read_timeout(Some(Duration::from_millis(500))).ok()?;
    s.write_all(command.as_bytes()).ok()?;
    let mut buf = [0u8; 4096];
    let n = s.read(&mut buf).ok()?;
    Some(String::from_utf8_lossy(&buf[..n]).into_owned())
}

fn wait_until(what: &str, child: &mut Child, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if ready() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited during startup with {status}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("{what} did not become ready within 10 s");
}

/// Sends `sig` to `pid`; for `STOP`, returns only once the process is
/// stopped (signal delivery is asynchronous).
fn send_signal(pid: u32, sig: &str) {
    let st = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status()
        .unwrap();
    assert!(st.success(), "kill -{sig} {pid}");
    if sig == "STOP" {
        // Every thread, not only the main one, must have stopped.
        let all_stopped = || {
            let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
                return false;
            };
            tasks.flatten().all(|t| {
                let stat = std::fs::read_to_string(t.path().join("stat")).unwrap_or_default();
                // The state follows the parenthesised command name.
                stat.rsplit_once(") ")
                    .and_then(|(_, rest)| rest.chars().next())
                    == Some('T')
            })
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        while !all_stopped() {
            assert!(Instant::now() < deadline, "process {pid} did not stop");
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// A redis-server on loopback.
pub struct RedisServer {
    child: Option<Child>,
    /// The TCP port.
    pub port: u16,
    cluster_port: Option<u16>,
    /// `cluster-node-timeout` in ms (cluster nodes only).
    node_timeout_ms: u32,
    extra_args: Vec<String>,
    dir: TempDir,
}

impl RedisServer {
    /// Starts a standalone server on a free port.
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// Starts a standalone server with extra command-line options.
    pub fn start_with(args: &[&str]) -> Self {
        require("redis-server");
        let dir = tempfile::tempdir().unwrap();
        let mut s = RedisServer {
            child: None,
            port: free_port(),
            cluster_port: None,
            node_timeout_ms: 0,
            extra_args: args.iter().map(|a| a.to_string()).collect(),
            dir,
        };
        s.spawn();
        s
    }

    fn start_cluster_node(node_timeout_ms: u32) -> Self {
        require("redis-server");
        let (port, bus) = free_cluster_ports();
        let mut s = RedisServer {
            child: None,
            port,
            cluster_port: Some(bus),
            node_timeout_ms,
            extra_args: Vec::new(),
            dir: tempfile::tempdir().unwrap(),
        };
        s.spawn();
        s
    }

    fn spawn(&mut self) {
        let mut cmd = Command::new("redis-server");
        cmd.args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--save", "", "--appendonly", "no", "--protected-mode", "no"])
            .args(["--loglevel", "warning"])
            .arg("--dir")
            .arg(self.dir.path())
            .args(&self.extra_args);
        if let Some(bus) = self.cluster_port {
            cmd.args([
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                "nodes.conf",
            ])
            .args([
                "--cluster-port",
                &bus.to_string(),
                "--cluster-node-timeout",
                &self.node_timeout_ms.to_string(),
            ]);
        }
        let mut child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start redis-server ({e}): {SETUP}"));
        let port = self.port;
        wait_until("redis-server", &mut child, || {
            raw_command(port, "PING\r\n").is_some_and(|r| r.starts_with("+PONG"))
        });
        self.child = Some(child);
    }

    /// `redis://127.0.0.1:PORT/0`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// Sends a signal (`STOP`, `CONT`...) to the server process.
    pub fn signal(&self, sig: &str) {
        send_signal(self.pid(), sig);
    }

    /// Kills the server (the port becomes free; data is gone).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts the server again on the same port.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    /// Runs `redis-cli -p PORT args...` and returns its trimmed stdout.
    pub fn cli(&self, args: &[&str]) -> String {
        redis_cli(self.port, args)
    }

    /// The directory the server runs in.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if self.child.is_some() {
            // A stopped (SIGSTOP) process still dies of SIGKILL.
            self.stop();
        }
    }
}

/// Runs `redis-cli -p port args...` (raw output), trimmed.
pub fn redis_cli(port: u16, args: &[&str]) -> String {
    require("redis-cli");
    let out = Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &port.to_string(), "--raw"])
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run redis-cli ({e}): {SETUP}"));
    assert!(
        out.status.success(),
        "redis-cli {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim_end().to_owned()
}

/// A three-primary Redis Cluster on loopback, joined with
/// `redis-cli --cluster create`.
pub struct RedisCluster {
    /// The nodes.
    pub nodes: Vec<RedisServer>,
}

impl RedisCluster {
    /// Starts three nodes and joins them.
    pub fn start() -> Self {
        Self::start_nodes(3, 0, 2000)
    }

    /// Three primaries, each with one replica (six nodes), failing over
    /// after `node_timeout_ms` (`cluster-node-timeout`) without a primary.
    pub fn start_with_replicas(node_timeout_ms: u32) -> Self {
        Self::start_nodes(6, 1, node_timeout_ms)
    }

    fn start_nodes(count: usize, replicas: u8, node_timeout_ms: u32) -> Self {
        require("redis-cli");
        let nodes: Vec<RedisServer> = (0..count)
            .map(|_| RedisServer::start_cluster_node(node_timeout_ms))
            .collect();
        let addrs: Vec<String> = nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect();
        let out = Command::new("redis-cli")
            .arg("--cluster")
            .arg("create")
            .args(&addrs)
            .args(["--cluster-replicas", &replicas.to_string(), "--cluster-yes"])
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run redis-cli ({e}): {SETUP}"));
        assert!(
            out.status.success(),
            "redis-cli --cluster create failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let cluster = RedisCluster { nodes };
        cluster.wait_ok(&[], Duration::from_secs(20));
        if replicas > 0 {
            // Every replica has finished its first sync.
            let deadline = Instant::now() + Duration::from_secs(20);
            while !cluster.nodes.iter().all(|n| {
                let role = raw_command(n.port, "INFO replication\r\n").unwrap_or_default();
                role.contains("role:master") || role.contains("master_link_status:up")
            }) {
                assert!(Instant::now() < deadline, "the replicas did not sync");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        cluster
    }

    /// Waits until every running node but those in `skip` says
    /// `cluster_state:ok`.
    fn wait_ok(&self, skip: &[usize], within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            let ok = self.nodes.iter().enumerate().all(|(i, n)| {
                skip.contains(&i)
                    || raw_command(n.port, "CLUSTER INFO\r\n")
                        .is_some_and(|r| r.contains("cluster_state:ok"))
            });
            if ok {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the redis cluster did not reach state ok"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The index in [`nodes`](Self::nodes) of the primary that serves
    /// `key`'s slot, asked of node `ask`.
    pub fn primary_of(&self, key: &str, ask: usize) -> usize {
        self.find_primary(key, ask)
            .unwrap_or_else(|| panic!("no primary serves the slot of {key}"))
    }

    fn find_primary(&self, key: &str, ask: usize) -> Option<usize> {
        let slot: u16 = redis_cli(self.nodes[ask].port, &["CLUSTER", "KEYSLOT", key])
            .parse()
            .unwrap();
        let nodes = redis_cli(self.nodes[ask].port, &["CLUSTER", "NODES"]);
        for line in nodes.lines() {
            let fields: Vec<&str> = line.split(' ').collect();
            if fields.len() < 9 || !fields[2].contains("master") || fields[2].contains("fail") {
                continue;
            }
            let owns = fields[8..].iter().any(|range| {
                let (lo, hi) = range.split_once('-').unwrap_or((range, range));
                match (lo.parse::<u16>(), hi.parse::<u16>()) {
                    (Ok(lo), Ok(hi)) => (lo..=hi).contains(&slot),
                    _ => false,
                }
            });
            if owns {
                let port: u16 = fields[1]
                    .split('@')
                    .next()
                    .and_then(|a| a.rsplit(':').next())
                    .and_then(|p| p.parse().ok())
                    .unwrap();
                return self.nodes.iter().position(|n| n.port == port);
            }
        }
        None
    }

    /// Kills (SIGKILL) node `i`, a primary.
    pub fn kill(&mut self, i: usize) {
        self.nodes[i].stop();
    }

    /// Waits until `key`'s slot is served by a primary other than the
    /// killed node `dead` (its replica was promoted) and the cluster is
    /// ok again; returns the new primary's index.
    pub fn wait_promoted(&self, key: &str, dead: usize) -> usize {
        let ask = (0..self.nodes.len()).find(|&i| i != dead).unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let now = self.primary_of_or_none(key, ask, dead);
            if let Some(p) = now {
                self.wait_ok(&[dead], Duration::from_secs(30));
                return p;
            }
            assert!(Instant::now() < deadline, "no replica was promoted");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn primary_of_or_none(&self, key: &str, ask: usize, dead: usize) -> Option<usize> {
        let p = self.find_primary(key, ask)?;
        (p != dead).then_some(p)
    }
    /// `redis://127.0.0.1:PORT` of every node.
    pub fn urls(&self) -> Vec<String> {
        self.nodes
            .iter()
            .map(|n| format!("redis://127.0.0.1:{}", n.port))
            .collect()
    }

    /// `redis+cluster://127.0.0.1:P1,127.0.0.1:P2,...`.
    pub fn spec(&self) -> String {
        let hosts: Vec<String> = self
            .nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect();
        format!("redis+cluster://{}", hosts.join(","))
    }

    /// Runs `redis-cli -c` (cluster mode, follows redirects) on the first node.
    pub fn cli(&self, args: &[&str]) -> String {
        let mut all = vec!["-c"];
        all.extend_from_slice(args);
        redis_cli(self.nodes[0].port, &all)
    }
}

/// A memcached on loopback.
pub struct Memcached {
    child: Option<Child>,
    /// The TCP port.
    pub port: u16,
}

impl Memcached {
    /// Starts memcached on a free port.
    pub fn start() -> Self {
        require("memcached");
        let mut m = Memcached {
            child: None,
            port: free_port(),
        };
        m.spawn();
        m
    }

    fn spawn(&mut self) {
        let mut cmd = Command::new("memcached");
        cmd.args([
            "-l",
            "127.0.0.1",
            "-p",
            &self.port.to_string(),
            "-U",
            "0",
            "-m",
            "64",
        ]);
        if is_root() {
            cmd.args(["-u", "nobody"]);
        }
        let mut child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start memcached ({e}): {SETUP}"));
        let port = self.port;
        wait_until("memcached", &mut child, || {
            raw_command(port, "version\r\n").is_some_and(|r| r.starts_with("VERSION"))
        });
        self.child = Some(child);
    }

    /// `memcache://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("memcache://127.0.0.1:{}", self.port)
    }

    /// Sends a signal (`STOP`, `CONT`...) to the memcached process.
    pub fn signal(&self, sig: &str) {
        send_signal(self.child.as_ref().expect("running").id(), sig);
    }

    /// Kills memcached.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts memcached again on the same port (empty).
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    /// Sends a raw text-protocol command and returns the first reply chunk.
    pub fn raw(&self, command: &str) -> String {
        raw_command(self.port, command).expect("memcached answers")
    }
}

impl Drop for Memcached {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A loopback TCP server that accepts every connection and never sends a
/// byte (a hung server, or a proxy whose backend is gone). Its
/// connections stay open until it is dropped.
pub struct SilentServer {
    /// The TCP port.
    pub port: u16,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SilentServer {
    /// Starts accepting on a free port.
    pub fn start() -> Self {
        use std::sync::atomic::{AtomicBool, Ordering};
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut held = Vec::new();
            while !flag.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((s, _)) => held.push(s),
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        SilentServer {
            port,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for SilentServer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A loopback port whose listener never accepts and whose accept queue is
/// full, so a new TCP connect gets no answer at all (like a host that
/// drops packets) until the connect times out.
pub struct NeverAccepts {
    /// The TCP port.
    pub port: u16,
    _listener: TcpListener,
    _queued: Vec<TcpStream>,
}

impl NeverAccepts {
    /// Binds a port and fills its accept queue.
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let mut queued = Vec::new();
        for _ in 0..4096 {
            match TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
                Ok(s) => queued.push(s),
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                    return NeverAccepts {
                        port: addr.port(),
                        _listener: listener,
                        _queued: queued,
                    }
                }
                Err(e) => panic!("filling the accept queue: {e}"),
            }
        }
        panic!("the accept queue of {addr} never filled");
    }
}
