//! A tiny scripted HTTP server on a free loopback port for the provider
//! tests: a route table (path -> canned reply) that the test changes while
//! it runs, and a log of every request received (method, path, headers,
//! body) so tests can assert what the provider sent and how often.
//! Stopped on drop.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::Value;
use tiny_http::{Header, Response, Server, StatusCode};

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// Path and query, as sent.
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    /// The path without the query.
    pub fn path(&self) -> &str {
        self.url.split('?').next().unwrap_or("")
    }

    /// The value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    }

    /// The body as form pairs.
    pub fn form(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(&self.body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    /// One form value.
    pub fn form_value(&self, name: &str) -> Option<String> {
        self.form()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("request body is JSON")
    }
}

/// A canned answer.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Status, extra headers, body; `chunked` sends no Content-Length.
    Raw {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        chunked: bool,
    },
    /// Accept the request and never answer (the connection is held for
    /// this long, then dropped).
    Hang(Duration),
    /// An answer made from the request (e.g. one echoing what the client
    /// sent): the function gets the request and the number given here.
    Computed(fn(&Recorded, usize) -> Reply, usize),
}

impl Reply {
    /// A JSON body with `Content-Type: application/json`.
    pub fn json(status: u16, v: &Value) -> Reply {
        Reply::text(status, "application/json", &v.to_string())
    }

    /// Any body with the given content type.
    pub fn text(status: u16, content_type: &str, body: &str) -> Reply {
        Reply::Raw {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.as_bytes().to_vec(),
            chunked: false,
        }
    }

    /// A redirect.
    pub fn redirect(status: u16, location: &str) -> Reply {
        Reply::Raw {
            status,
            headers: vec![("Location".into(), location.into())],
            body: Vec::new(),
            chunked: false,
        }
    }

    /// An empty answer with `status`.
    pub fn status(status: u16) -> Reply {
        Reply::Raw {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            chunked: false,
        }
    }
}

type Routes = Arc<Mutex<HashMap<String, Reply>>>;

/// The server. Unknown paths answer 404.
pub struct MockServer {
    base: String,
    routes: Routes,
    log: Arc<Mutex<Vec<Recorded>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl MockServer {
    /// Starts on `127.0.0.1` with a port the OS picks.
    pub fn start() -> MockServer {
        let server = Server::http("127.0.0.1:0").expect("binding a loopback port");
        let port = server.server_addr().to_ip().expect("an IP listener").port();
        let base = format!("http://127.0.0.1:{port}");
        let routes: Routes = Arc::default();
        let log: Arc<Mutex<Vec<Recorded>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (routes, log, stop) = (routes.clone(), log.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    let Ok(Some(mut req)) = server.recv_timeout(Duration::from_millis(50)) else {
                        continue;
                    };
                    let mut body = Vec::new();
                    let _ = req.as_reader().read_to_end(&mut body);
                    let rec = Recorded {
                        method: req.method().as_str().to_owned(),
                        url: req.url().to_owned(),
                        headers: req
                            .headers()
                            .iter()
                            .map(|h| (h.field.as_str().as_str().to_owned(), h.value.to_string()))
                            .collect(),
                        body,
                    };
                    let mut reply = routes.lock().unwrap().get(rec.path()).cloned();
                    if let Some(Reply::Computed(f, n)) = reply {
                        reply = Some(f(&rec, n));
                    }
                    log.lock().unwrap().push(rec);
                    match reply {
                        Some(Reply::Computed(..)) => {
                            let _ =
                                req.respond(Response::from_string("nested").with_status_code(500));
                        }
                        None => {
                            let _ = req
                                .respond(Response::from_string("not found").with_status_code(404));
                        }
                        Some(Reply::Hang(d)) => {
                            std::thread::spawn(move || {
                                std::thread::sleep(d);
                                drop(req);
                            });
                        }
                        Some(Reply::Raw {
                            status,
                            headers,
                            body,
                            chunked,
                        }) => {
                            let len = body.len();
                            let mut r = Response::new(
                                StatusCode(status),
                                Vec::new(),
                                Cursor::new(body),
                                (!chunked).then_some(len),
                                None,
                            );
                            if chunked {
                                r = r.with_chunked_threshold(0);
                            }
                            for (k, v) in headers {
                                r = r.with_header(
                                    Header::from_bytes(k.as_bytes(), v.as_bytes()).unwrap(),
                                );
                            }
                            let _ = req.respond(r);
                        }
                    }
                }
            })
        };
        MockServer {
            base,
            routes,
            log,
            stop,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// `base` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sets (or replaces) the reply for `path`.
    pub fn route(&self, path: &str, reply: Reply) {
        self.routes.lock().unwrap().insert(path.to_owned(), reply);
    }

    /// Sets a JSON reply for `path`.
    pub fn json(&self, path: &str, status: u16, v: &Value) {
        self.route(path, Reply::json(status, v));
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.log.lock().unwrap().clone()
    }

    /// Requests to `path`.
    pub fn requests_to(&self, path: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.path() == path)
            .collect()
    }

    /// How many requests went to `path`.
    pub fn count(&self, path: &str) -> usize {
        self.requests_to(path).len()
    }

    /// The last request to `path`.
    pub fn last(&self, path: &str) -> Recorded {
        self.requests_to(path)
            .pop()
            .unwrap_or_else(|| panic!("no request to {path}"))
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
