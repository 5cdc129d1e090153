//! A loopback fake of a device-grant provider, for what panva's
//! oidc-provider cannot be made to do on cue: answering a poll with
//! `expired_token` while the code still has time left here, hostile device
//! authorization responses, GitHub's answers with HTTP 200, and exact
//! timestamps of every poll (the poll-scheduling measurement). Everything
//! else about the device grant is tested against oidc-provider
//! (tests/flow_device.rs).
//!
//! `POST /device` answers the configured device authorization response;
//! `POST /token` answers the next queued reply (`authorization_pending`
//! when the queue is empty) and records when each poll arrived and when
//! its answer was written.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tiny_http::{Header, Response, Server};

/// One poll as the fake saw it.
#[derive(Debug, Clone)]
pub struct Poll {
    pub arrived: Instant,
    pub answered: Instant,
    pub form: Vec<(String, String)>,
    pub authorization: Option<String>,
}

#[derive(Default)]
struct State {
    device_response: Value,
    device_status: u16,
    replies: VecDeque<(u16, Value)>,
    polls: Vec<Poll>,
    device_requests: Vec<Vec<(String, String)>>,
}

pub struct FakeDeviceServer {
    pub base: String,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FakeDeviceServer {
    /// A fake whose device response has `interval` and `expires_in`.
    pub fn start(interval: u64, expires_in: u64) -> FakeDeviceServer {
        let server = Server::http("127.0.0.1:0").expect("binding a loopback port");
        let port = server.server_addr().to_ip().unwrap().port();
        let base = format!("http://127.0.0.1:{port}");
        let state = Arc::new(Mutex::new(State {
            device_response: json!({
                "device_code": "the-device-code-0123456789",
                "user_code": "WDJB-MJHT",
                "verification_uri": format!("{base}/activate"),
                "verification_uri_complete": format!("{base}/activate?user_code=WDJB-MJHT"),
                "expires_in": expires_in,
                "interval": interval,
            }),
            device_status: 200,
            ..State::default()
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (state, stop) = (state.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    let Ok(Some(mut req)) = server.recv_timeout(Duration::from_millis(20)) else {
                        continue;
                    };
                    let arrived = Instant::now();
                    let mut body = Vec::new();
                    let _ = req.as_reader().read_to_end(&mut body);
                    let form: Vec<(String, String)> = url::form_urlencoded::parse(&body)
                        .map(|(k, v)| (k.into_owned(), v.into_owned()))
                        .collect();
                    let authorization = req
                        .headers()
                        .iter()
                        .find(|h| h.field.equiv("Authorization"))
                        .map(|h| h.value.to_string());
                    let path = req.url().split('?').next().unwrap_or("").to_owned();
                    let (status, reply) = {
                        let mut s = state.lock().unwrap();
                        match path.as_str() {
                            "/device" => {
                                s.device_requests.push(form.clone());
                                (s.device_status, s.device_response.clone())
                            }
                            "/token" => s
                                .replies
                                .pop_front()
                                .unwrap_or((400, json!({"error": "authorization_pending"}))),
                            _ => (404, json!({"error": "not_found"})),
                        }
                    };
                    let response = Response::from_string(reply.to_string())
                        .with_status_code(status)
                        .with_header(
                            Header::from_bytes("Content-Type", "application/json").unwrap(),
                        );
                    // Recorded before answering, so a flow that returns on
                    // this answer finds its poll here; `answered` is set
                    // right after the answer is written.
                    let index = (path == "/token").then(|| {
                        let mut s = state.lock().unwrap();
                        s.polls.push(Poll {
                            arrived,
                            answered: arrived,
                            form,
                            authorization,
                        });
                        s.polls.len() - 1
                    });
                    let _ = req.respond(response);
                    if let Some(i) = index {
                        state.lock().unwrap().polls[i].answered = Instant::now();
                    }
                }
            })
        };
        FakeDeviceServer {
            base,
            state,
            stop,
            thread: Some(thread),
        }
    }

    pub fn device_url(&self) -> String {
        format!("{}/device", self.base)
    }

    pub fn token_url(&self) -> String {
        format!("{}/token", self.base)
    }

    /// Replaces the device authorization response.
    pub fn set_device_response(&self, status: u16, v: Value) {
        let mut s = self.state.lock().unwrap();
        s.device_status = status;
        s.device_response = v;
    }

    /// Queues the answers to the next polls.
    pub fn queue(&self, replies: impl IntoIterator<Item = (u16, Value)>) {
        self.state.lock().unwrap().replies.extend(replies);
    }

    pub fn polls(&self) -> Vec<Poll> {
        self.state.lock().unwrap().polls.clone()
    }

    pub fn device_requests(&self) -> Vec<Vec<(String, String)>> {
        self.state.lock().unwrap().device_requests.clone()
    }

    /// A token response the fake would send on approval.
    pub fn tokens() -> (u16, Value) {
        (
            200,
            json!({"access_token": "at-from-device", "token_type": "Bearer",
                   "expires_in": 3600, "refresh_token": "rt-from-device"}),
        )
    }
}

impl Drop for FakeDeviceServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
