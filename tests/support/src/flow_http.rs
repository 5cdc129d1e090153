//! Raw HTTP for the flow tests: hostile clients need to send exactly what
//! they want (partial requests, floods) to the loopback callback server.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// A parsed response.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl RawResponse {
    /// The value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    }
}

/// Sends `method target` to `addr` and reads the whole response.
pub fn raw_request(addr: SocketAddr, method: &str, target: &str) -> std::io::Result<RawResponse> {
    raw_exchange(
        addr,
        &format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
    )
}

/// Sends `request` (request line, headers and the blank line, exactly as
/// given) to `addr` and reads the whole response.
pub fn raw_exchange(addr: SocketAddr, request: &str) -> std::io::Result<RawResponse> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    s.write_all(request.as_bytes())?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad response: {head:?}")))?;
    Ok(RawResponse {
        status,
        head: head.to_string(),
        body: body.to_string(),
    })
}

/// `GET target`.
pub fn raw_get(addr: SocketAddr, target: &str) -> std::io::Result<RawResponse> {
    raw_request(addr, "GET", target)
}

/// `GET target` the way a browser sends it to a server whose listen queue
/// is full: a browser keeps retrying its connection (SYN retransmits for
/// minutes), while [`raw_exchange`] gives up connecting after 2 s, so a
/// connection that timed out is tried again, for up to `patience`. Any
/// other error, or a timeout after `patience`, is returned.
pub fn raw_get_retrying(
    addr: SocketAddr,
    target: &str,
    patience: Duration,
) -> std::io::Result<RawResponse> {
    let deadline = std::time::Instant::now() + patience;
    loop {
        match raw_get(addr, target) {
            Err(e)
                if e.kind() == std::io::ErrorKind::TimedOut
                    && std::time::Instant::now() < deadline => {}
            other => return other,
        }
    }
}

/// Whether `addr` refuses connections (nothing listens any more).
pub fn refuses_connections(addr: SocketAddr) -> bool {
    TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_err()
}

/// Opens a connection that sends half a request line and then nothing.
pub fn slow_client(addr: SocketAddr) -> TcpStream {
    let mut s = TcpStream::connect(addr).expect("connect slow client");
    s.write_all(b"GET /callback?code=slow&sta")
        .expect("partial write");
    s
}

/// The port of a URL like `http://127.0.0.1:PORT/path`.
pub fn addr_of(url: &str) -> SocketAddr {
    let rest = url.trim_start_matches("http://");
    let hostport = rest.split('/').next().unwrap();
    let port: u16 = hostport.rsplit(':').next().unwrap().parse().unwrap();
    SocketAddr::from(([127, 0, 0, 1], port))
}
