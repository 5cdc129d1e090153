//! A throwaway certificate authority (made with the `openssl` command in a
//! temporary directory) and a tiny HTTPS server on a free loopback port
//! whose certificate it signed. Every request gets the same JSON answer;
//! the server counts the requests it answered and keeps the `Authorization`
//! header each one carried. Stopped on drop.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// A CA and a server certificate for the given names, as PEM files.
pub struct TestPki {
    pub dir: tempfile::TempDir,
}

impl TestPki {
    /// Makes a CA ("oauthkit test CA <label>") and a server certificate
    /// signed by it with these subjectAltNames (e.g. `IP:127.0.0.1`).
    pub fn new(label: &str, sans: &str) -> TestPki {
        crate::needs::require(crate::needs::Need::Openssl);
        let dir = tempfile::tempdir().unwrap();
        let run = |args: &[&str]| {
            let out = Command::new("openssl")
                .args(args)
                .current_dir(dir.path())
                .output()
                .unwrap_or_else(|e| {
                    panic!("the openssl command is needed (run scripts/setup-tls.sh): {e}")
                });
            assert!(
                out.status.success(),
                "openssl {args:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let ca_subject = format!("/CN=oauthkit test CA {label}");
        run(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            &ca_subject,
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]);
        run(&[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=oauthkit test server",
        ]);
        std::fs::write(
            dir.path().join("ext.cnf"),
            format!(
                "subjectAltName={sans}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
            ),
        )
        .unwrap();
        run(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ]);
        TestPki { dir }
    }

    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    pub fn ca_pem(&self) -> Vec<u8> {
        std::fs::read(self.ca_file()).unwrap()
    }

    pub fn server_config(&self) -> rustls::ServerConfig {
        let chain = CertificateDer::pem_file_iter(self.dir.path().join("server.pem"))
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let key = PrivateKeyDer::from_pem_file(self.dir.path().join("server.key")).unwrap();
        rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap()
    }
}

/// An HTTPS server answering every request with `200` and a JSON body.
pub struct TlsServer {
    pub port: u16,
    served: Arc<AtomicUsize>,
    authorizations: Arc<Mutex<Vec<Option<String>>>>,
    handshakes_failed: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl TlsServer {
    pub fn start(pki: &TestPki, body: &str) -> TlsServer {
        let config = Arc::new(pki.server_config());
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let served = Arc::new(AtomicUsize::new(0));
        let authorizations = Arc::new(Mutex::new(Vec::new()));
        let seen = authorizations.clone();
        let handshakes_failed = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, f, st, body) = (
            served.clone(),
            handshakes_failed.clone(),
            stop.clone(),
            body.to_owned(),
        );
        let thread = std::thread::spawn(move || {
            while !st.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => match serve(stream, config.clone(), &body) {
                        Ok(authorization) => {
                            seen.lock().unwrap().push(authorization);
                            s.fetch_add(1, Ordering::SeqCst);
                        }
                        Err(_) => {
                            f.fetch_add(1, Ordering::SeqCst);
                        }
                    },
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        TlsServer {
            port,
            served,
            authorizations,
            handshakes_failed,
            stop,
            thread: Some(thread),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.port)
    }

    /// Requests answered (the TLS handshake succeeded).
    pub fn served(&self) -> usize {
        self.served.load(Ordering::SeqCst)
    }

    /// The `Authorization` header of each request answered, in order.
    pub fn authorizations(&self) -> Vec<Option<String>> {
        self.authorizations.lock().unwrap().clone()
    }

    /// Connections whose handshake or request failed.
    pub fn failed(&self) -> usize {
        self.handshakes_failed.load(Ordering::SeqCst)
    }
}

impl Drop for TlsServer {
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
    body: &str,
) -> std::io::Result<Option<String>> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let conn = rustls::ServerConnection::new(config).map_err(std::io::Error::other)?;
    let mut tls = rustls::StreamOwned::new(conn, stream);
    let mut reader = BufReader::new(&mut tls);
    let mut authorization = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("authorization") {
                authorization = Some(value.trim().to_owned());
            }
        }
    }
    drop(reader);
    write!(
        tls,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    tls.flush()?;
    tls.conn.send_close_notify();
    let _ = tls.flush();
    Ok(authorization)
}

/// Writes `text` to a file in `dir` and returns its path.
pub fn write_file(dir: &Path, name: &str, text: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}
