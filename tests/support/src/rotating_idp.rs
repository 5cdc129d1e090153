//! A small OAuth 2.0 token endpoint that rotates refresh tokens with reuse
//! detection, like panva's oidc-provider (`rotateRefreshToken`) and the big
//! hosted providers: every refresh spends the refresh token and issues a new
//! one; presenting a spent one revokes the whole grant (every token of it).
//! Each request is answered on its own thread, and a one-shot hook can run
//! after a refresh has rotated the grant but before the answer is sent (the
//! moment a request "reached the provider" and its client has not heard
//! back).

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::{Arc, Mutex};

use tiny_http::{Header, Response, Server, StatusCode};

/// One grant: its live refresh token and the ones it spent.
#[derive(Default)]
struct Grant {
    current: String,
    spent: Vec<String>,
    revoked: bool,
    access_tokens: Vec<String>,
}

type Hook = Box<dyn FnOnce() + Send>;

#[derive(Default)]
struct State {
    grants: Vec<Grant>,
    /// Refreshes answered with new tokens.
    rotations: usize,
    /// Spent refresh tokens presented again (each revoked its grant).
    reuses: usize,
    next: usize,
    before_refresh: Option<Hook>,
    after_rotation: Option<Hook>,
}

/// The running endpoint (stops with the process).
pub struct RotatingIdp {
    /// `http://127.0.0.1:{port}/token`.
    pub token_url: String,
    state: Arc<Mutex<State>>,
}

impl RotatingIdp {
    /// Starts on a free loopback port.
    pub fn start() -> RotatingIdp {
        let server = Server::http("127.0.0.1:0").expect("binding a loopback port");
        let port = server.server_addr().to_ip().expect("an IP listener").port();
        let state: Arc<Mutex<State>> = Arc::default();
        let s = state.clone();
        std::thread::spawn(move || {
            for req in server.incoming_requests() {
                let s = s.clone();
                std::thread::spawn(move || answer(&s, req));
            }
        });
        RotatingIdp {
            token_url: format!("http://127.0.0.1:{port}/token"),
            state,
        }
    }

    /// A new grant; its first access and refresh tokens.
    pub fn grant(&self) -> (String, String) {
        let mut st = self.state.lock().unwrap();
        st.next += 1;
        let (at, rt) = (format!("at-{}", st.next), format!("rt-{}", st.next));
        st.grants.push(Grant {
            current: rt.clone(),
            access_tokens: vec![at.clone()],
            ..Grant::default()
        });
        (at, rt)
    }

    /// Runs `hook` (once) on the next refresh, after the grant rotated and
    /// before the client gets the answer.
    pub fn after_next_rotation(&self, hook: impl FnOnce() + Send + 'static) {
        self.state.lock().unwrap().after_rotation = Some(Box::new(hook));
    }

    /// Runs `hook` (once) when the next refresh request arrives, before it
    /// is looked at (a request delayed on its way to the provider).
    pub fn before_next_refresh(&self, hook: impl FnOnce() + Send + 'static) {
        self.state.lock().unwrap().before_refresh = Some(Box::new(hook));
    }

    /// Refreshes answered with new tokens.
    pub fn rotations(&self) -> usize {
        self.state.lock().unwrap().rotations
    }

    /// Spent refresh tokens presented again.
    pub fn reuses(&self) -> usize {
        self.state.lock().unwrap().reuses
    }

    /// Whether `refresh_token` is the live refresh token of a grant that
    /// was not revoked.
    pub fn is_live(&self, refresh_token: &str) -> bool {
        let st = self.state.lock().unwrap();
        st.grants
            .iter()
            .any(|g| !g.revoked && g.current == refresh_token)
    }

    /// Whether the grant that issued `access_token` was revoked.
    pub fn revoked_grant_of(&self, access_token: &str) -> bool {
        let st = self.state.lock().unwrap();
        st.grants
            .iter()
            .find(|g| g.access_tokens.iter().any(|a| a == access_token))
            .is_some_and(|g| g.revoked)
    }
}

fn form(body: &str) -> HashMap<String, String> {
    url::form_urlencoded::parse(body.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn json(status: u16, body: serde_json::Value) -> Response<Cursor<Vec<u8>>> {
    Response::from_data(body.to_string().into_bytes())
        .with_status_code(StatusCode(status))
        .with_header(Header::from_bytes("Content-Type", "application/json").unwrap())
}

fn invalid_grant(why: &str) -> Response<Cursor<Vec<u8>>> {
    json(
        400,
        serde_json::json!({"error": "invalid_grant", "error_description": why}),
    )
}

fn answer(state: &Mutex<State>, mut req: tiny_http::Request) {
    let mut body = String::new();
    let _ = req.as_reader().read_to_string(&mut body);
    let f = form(&body);
    if req.url() != "/token" || f.get("grant_type").map(String::as_str) != Some("refresh_token") {
        let _ = req.respond(json(
            400,
            serde_json::json!({"error": "unsupported_grant_type"}),
        ));
        return;
    }
    let presented = f.get("refresh_token").cloned().unwrap_or_default();
    let before = state.lock().unwrap().before_refresh.take();
    if let Some(hook) = before {
        hook();
    }
    let (reply, hook) = {
        let mut st = state.lock().unwrap();
        let next = st.next + 1;
        let Some(g) = st
            .grants
            .iter_mut()
            .find(|g| g.current == presented || g.spent.contains(&presented))
        else {
            drop(st);
            let _ = req.respond(invalid_grant("unknown refresh token"));
            return;
        };
        if g.revoked {
            (invalid_grant("grant revoked"), None)
        } else if g.current != presented {
            // Reuse of a spent refresh token: someone else holds a copy.
            g.revoked = true;
            st.reuses += 1;
            (invalid_grant("refresh token reused; grant revoked"), None)
        } else {
            let (at, rt) = (format!("at-{next}"), format!("rt-{next}"));
            g.spent.push(std::mem::replace(&mut g.current, rt.clone()));
            g.access_tokens.push(at.clone());
            st.next = next;
            st.rotations += 1;
            let reply = json(
                200,
                serde_json::json!({
                    "access_token": at,
                    "token_type": "Bearer",
                    "expires_in": 3600,
                    "refresh_token": rt,
                }),
            );
            (reply, st.after_rotation.take())
        }
    };
    if let Some(hook) = hook {
        hook();
    }
    let _ = req.respond(reply);
}
