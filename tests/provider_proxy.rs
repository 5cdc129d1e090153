//! What the providers' HTTP client does with HTTPS_PROXY / NO_PROXY (ureq 3
//! reads them when a provider is built), checked against a fake proxy on
//! loopback that records the `CONNECT` it receives and refuses it. The
//! environment is process-wide, so this binary holds one test that changes
//! it step by step.

#[path = "support/tls_server.rs"]
mod tls_server;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use oauthkit::provider::http::{Auth, Body, HttpClient, HttpConfig, Method};
use tls_server::{TestPki, TlsServer};

/// A proxy that records each request line and answers 403.
fn fake_proxy() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let mut reader = BufReader::new(&stream);
            let mut first = String::new();
            let _ = reader.read_line(&mut first);
            log.lock().unwrap().push(first.trim_end().to_owned());
            loop {
                let mut line = String::new();
                match reader.read_line(&mut line) {
                    Ok(n) if n > 0 && line != "\r\n" => continue,
                    _ => break,
                }
            }
            let _ = (&stream).write_all(
                b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    (port, seen)
}

fn get(url: &str, ca: &std::path::Path) -> oauthkit::Result<u16> {
    let http = HttpConfig::default().with_ca_file(ca).unwrap();
    HttpClient::new(http)
        .request("userinfo", Method::Get, url, Body::Empty, Auth::None, &[])
        .map(|r| r.status)
}

fn clear_env() {
    for v in [
        "ALL_PROXY",
        "all_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "NO_PROXY",
        "no_proxy",
    ] {
        std::env::remove_var(v);
    }
}

#[test]
fn https_proxy_and_no_proxy_as_ureq_reads_them() {
    let pki = TestPki::new("proxy", "IP:127.0.0.1");
    let server = TlsServer::start(&pki, r#"{"sub":"alice"}"#);
    let url = server.url("/userinfo");
    let target = format!("127.0.0.1:{}", server.port);
    let (proxy_port, seen) = fake_proxy();
    let proxy = format!("http://127.0.0.1:{proxy_port}");
    let connects = || {
        seen.lock()
            .unwrap()
            .iter()
            .filter(|l| l.starts_with(&format!("CONNECT {target}")))
            .count()
    };

    clear_env();
    assert_eq!(get(&url, &pki.ca_file()).unwrap(), 200, "direct");
    assert_eq!(connects(), 0);

    // HTTPS_PROXY: the request tunnels through the proxy with CONNECT, even
    // to a loopback host (ureq has no built-in loopback exception)
    std::env::set_var("HTTPS_PROXY", &proxy);
    let e = get(&url, &pki.ca_file()).unwrap_err();
    assert_eq!(e.kind(), oauthkit::ErrorKind::Http, "{e}");
    assert_eq!(connects(), 1, "{:?}", seen.lock().unwrap());

    // HTTP_PROXY alone is used for https too
    clear_env();
    std::env::set_var("HTTP_PROXY", &proxy);
    assert!(get(&url, &pki.ca_file()).is_err());
    assert_eq!(connects(), 2);

    // NO_PROXY with the host (exact, case-insensitive, no port) goes direct
    std::env::set_var("NO_PROXY", "example.org,127.0.0.1");
    assert_eq!(get(&url, &pki.ca_file()).unwrap(), 200, "NO_PROXY");
    assert_eq!(connects(), 2);
    std::env::set_var("NO_PROXY", "*");
    assert_eq!(get(&url, &pki.ca_file()).unwrap(), 200, "NO_PROXY=*");

    // ureq does not trim spaces after the commas: " 127.0.0.1" matches nothing
    std::env::set_var("NO_PROXY", "example.org, 127.0.0.1");
    assert!(get(&url, &pki.ca_file()).is_err());
    assert_eq!(connects(), 3);

    // the environment is read when the provider (its client) is built
    clear_env();
    std::env::set_var("HTTPS_PROXY", &proxy);
    let built = HttpClient::new(HttpConfig::default().with_ca_file(pki.ca_file()).unwrap());
    clear_env();
    assert!(built
        .request("userinfo", Method::Get, &url, Body::Empty, Auth::None, &[])
        .is_err());
    assert_eq!(connects(), 4);
    assert_eq!(get(&url, &pki.ca_file()).unwrap(), 200);
}
