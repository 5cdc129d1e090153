//! A loopback HTTP server that answers each path with a canned response,
//! so that fuzz input reaches the parsers behind the real HTTP client.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// One canned answer.
#[derive(Debug, Clone)]
pub(crate) struct Canned {
    pub status: u16,
    pub content_type: Option<String>,
    pub location: Option<String>,
    pub body: Vec<u8>,
}

impl Canned {
    pub fn json(body: impl Into<Vec<u8>>) -> Self {
        Canned {
            status: 200,
            content_type: Some("application/json".into()),
            location: None,
            body: body.into(),
        }
    }
}

pub(crate) struct Loopback {
    base: String,
    routes: Arc<Mutex<HashMap<String, Canned>>>,
}

/// The process's server, started on first use.
pub(crate) fn server() -> &'static Loopback {
    static SERVER: OnceLock<Loopback> = OnceLock::new();
    SERVER.get_or_init(|| {
        let server = tiny_http::Server::http("127.0.0.1:0").expect("a loopback port");
        let port = server.server_addr().to_ip().expect("an IP listener").port();
        let routes: Arc<Mutex<HashMap<String, Canned>>> = Arc::default();
        let shared = routes.clone();
        std::thread::spawn(move || {
            for rq in server.incoming_requests() {
                let path = rq.url().split('?').next().unwrap_or("").to_owned();
                let canned = shared.lock().unwrap().get(&path).cloned();
                let canned = canned.unwrap_or(Canned {
                    status: 404,
                    content_type: None,
                    location: None,
                    body: b"no route".to_vec(),
                });
                let mut response =
                    tiny_http::Response::from_data(canned.body).with_status_code(canned.status);
                for (name, value) in [
                    ("Content-Type", canned.content_type),
                    ("Location", canned.location),
                ] {
                    if let Some(h) =
                        value.and_then(|v| tiny_http::Header::from_bytes(name.as_bytes(), v).ok())
                    {
                        response.add_header(h);
                    }
                }
                let _ = rq.respond(response);
            }
        });
        Loopback {
            base: format!("http://127.0.0.1:{port}"),
            routes,
        }
    })
}

impl Loopback {
    /// `http://127.0.0.1:{port}`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Answers `path` with `canned` from now on.
    pub fn set(&self, path: &str, canned: Canned) {
        self.routes.lock().unwrap().insert(path.to_owned(), canned);
    }
}
