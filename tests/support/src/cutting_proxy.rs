//! A loopback TCP proxy that cuts the server's reply: each connection is
//! forwarded to the real server, and after `cut` bytes of reply the proxy
//! closes both sides, so the client sees the reply end mid-way (as when the
//! server is killed while answering). Sweeping `cut` over every offset of a
//! conversation covers every torn reply a client can see.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// The proxy; it runs until the test process ends.
pub struct CuttingProxy {
    /// The loopback port to connect to instead of the server's.
    pub port: u16,
    cut: Arc<AtomicUsize>,
    forwarded: Arc<AtomicUsize>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl CuttingProxy {
    /// Forwards to `127.0.0.1:upstream`, cutting nothing until told.
    pub fn start(upstream: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let cut = Arc::new(AtomicUsize::new(usize::MAX));
        let forwarded = Arc::new(AtomicUsize::new(0));
        let open = Arc::new(Mutex::new(Vec::new()));
        let (c, f, o) = (cut.clone(), forwarded.clone(), open.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                    continue;
                };
                let limit = c.load(Ordering::SeqCst);
                let _ = (client.set_nodelay(true), server.set_nodelay(true));
                o.lock().unwrap().push(client.try_clone().unwrap());
                let f = f.clone();
                let (client2, server2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || pipe(client2, server2, usize::MAX, None));
                std::thread::spawn(move || pipe(server, client, limit, Some(&f)));
            }
        });
        CuttingProxy {
            port,
            cut,
            forwarded,
            open,
        }
    }

    /// Closes every open connection (a client's pooled connections break
    /// under it, as when the server restarts); new connections get at most
    /// `bytes` of reply, then both sides are closed (`None`: no cut).
    pub fn cut_after(&self, bytes: Option<usize>) {
        self.cut
            .store(bytes.unwrap_or(usize::MAX), Ordering::SeqCst);
        for s in self.open.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }

    /// Bytes of reply forwarded so far (all connections), and resets it.
    pub fn take_forwarded(&self) -> usize {
        self.forwarded.swap(0, Ordering::SeqCst)
    }
}

/// Copies `from` to `to` until EOF or `limit` bytes, then closes both.
fn pipe(mut from: TcpStream, mut to: TcpStream, limit: usize, count: Option<&AtomicUsize>) {
    let mut sent = 0usize;
    let mut buf = [0u8; 4096];
    while sent < limit {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n.min(limit - sent),
        };
        // Counted before the client can see it, so a count taken once the
        // client's call returned includes every byte it read.
        if let Some(c) = count {
            c.fetch_add(n, Ordering::SeqCst);
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
        sent += n;
    }
    let _ = to.shutdown(Shutdown::Both);
    let _ = from.shutdown(Shutdown::Both);
}
