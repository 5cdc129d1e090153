//! Deploy mode behind TLS, as a confidential web client runs it: a small
//! HTTPS server (rustls, a certificate from a throwaway CA,
//! tests/support/tls_server.rs) on a free loopback port that hands each
//! request to a `DeployHandler` whose base URL is `https://127.0.0.1:{port}`;
//! and `https_get`, the browser's side of it, trusting only that CA.
//! One request per connection (`Connection: close`). Stopped on drop.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use oauthkit::web::{http, DeployHandler};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};

/// A running HTTPS deploy server.
pub struct DeployTlsServer {
    /// `https://127.0.0.1:{port}`.
    pub base_url: String,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl DeployTlsServer {
    /// Serves the handler `make` builds from the server's base URL.
    pub fn start(
        config: rustls::ServerConfig,
        make: impl FnOnce(&str) -> DeployHandler,
    ) -> DeployTlsServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base_url = format!(
            "https://127.0.0.1:{}",
            listener.local_addr().unwrap().port()
        );
        let handler = Arc::new(make(&base_url));
        let config = Arc::new(config);
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let st = stop.clone();
        let thread = std::thread::spawn(move || {
            while !st.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (handler, config) = (handler.clone(), config.clone());
                        std::thread::spawn(move || {
                            let _ = serve(stream, config, &handler);
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        DeployTlsServer {
            base_url,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for DeployTlsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(
    stream: TcpStream,
    config: Arc<rustls::ServerConfig>,
    handler: &DeployHandler,
) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let conn = rustls::ServerConnection::new(config).map_err(std::io::Error::other)?;
    let mut tls = BufReader::new(rustls::StreamOwned::new(conn, stream));
    let mut line = String::new();
    tls.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    let mut request = http::Request::builder().method(method).uri(target);
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        if tls.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
        let Some((name, value)) = header.split_once(':') else {
            continue;
        };
        let (name, value) = (name.trim(), value.trim());
        if name.eq_ignore_ascii_case("content-length") {
            length = value.parse().unwrap_or(0);
        }
        request = request.header(name, value);
    }
    let mut body = vec![0; length.min(64 * 1024)];
    tls.read_exact(&mut body)?;
    let request = request.body(()).map_err(std::io::Error::other)?;
    let out = handler.handle(&request);
    let mut head = format!("HTTP/1.1 {} X\r\n", out.status().as_u16());
    for (k, v) in out.headers() {
        head.push_str(&format!(
            "{k}: {}\r\n",
            v.to_str().map_err(std::io::Error::other)?
        ));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        out.body().len()
    ));
    let tls = tls.get_mut();
    tls.write_all(head.as_bytes())?;
    tls.write_all(out.body().as_bytes())?;
    tls.flush()?;
    tls.conn.send_close_notify();
    let _ = tls.flush();
    Ok(())
}

/// What an HTTPS GET got.
pub struct HttpsPage {
    pub status: u16,
    /// Every `Set-Cookie` header's `name=value`.
    pub cookies: Vec<String>,
    pub location: Option<String>,
    pub body: String,
}

/// GETs `url` (`https://127.0.0.1:{port}/...`) trusting only `ca_pem`,
/// sending `cookie` when given.
pub fn https_get(ca_pem: &[u8], url: &str, cookie: Option<&str>) -> HttpsPage {
    let parsed = url::Url::parse(url).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem) {
        roots.add(cert.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let host = parsed.host_str().unwrap().to_string();
    let name = ServerName::try_from(host.clone()).unwrap();
    let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let tcp = TcpStream::connect((host.as_str(), parsed.port().unwrap())).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let target = match parsed.query() {
        Some(q) => format!("{}?{q}", parsed.path()),
        None => parsed.path().to_string(),
    };
    let mut request = format!("GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    if let Some(c) = cookie {
        request.push_str(&format!("Cookie: {c}\r\n"));
    }
    request.push_str("\r\n");
    tls.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    // A peer closing without close_notify is an error to rustls; what
    // arrived before it is the answer.
    let _ = tls.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer from {url}: {text:?}"));
    let mut cookies = Vec::new();
    let mut location = None;
    for l in lines {
        if let Some((k, v)) = l.split_once(':') {
            match k.trim().to_ascii_lowercase().as_str() {
                "set-cookie" => cookies.push(v.trim().split(';').next().unwrap().to_string()),
                "location" => location = Some(parsed.join(v.trim()).unwrap().to_string()),
                _ => {}
            }
        }
    }
    HttpsPage {
        status,
        cookies,
        location,
        body: body.to_string(),
    }
}
