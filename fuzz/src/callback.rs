//! The authorization response: the callback's query string, the raw
//! request to the callback server, and the URL a user pastes in paste
//! mode, all checked by `flow/callback.rs`.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use oauthkit::unversioned::flow::CallbackOutcome;
use oauthkit::unversioned::flow::{
    CallbackServer, CallbackServerOptions, CallbackVerdict, ExpectedCallback,
};
use oauthkit::Error;

const STATE: &str = "st-7Hq2LmX9pR4vKc1N";
const ISSUER: &str = "https://idp.example";

/// The expectations a flow can have: issuer required, optional, unknown.
fn expectations() -> [(ExpectedCallback, Option<&'static str>, bool); 3] {
    [
        (
            ExpectedCallback::new(STATE)
                .issuer(ISSUER)
                .require_iss(true),
            Some(ISSUER),
            true,
        ),
        (
            ExpectedCallback::new(STATE).issuer(ISSUER),
            Some(ISSUER),
            false,
        ),
        (ExpectedCallback::new(STATE), None, false),
    ]
}

/// Checks a verdict against the query it came from: only a response with
/// exactly one `state` equal to the expected one may end the flow, and a
/// code is accepted only with an acceptable `iss` and no `error`.
fn check(query: &str, verdict: &CallbackVerdict, issuer: Option<&str>, required: bool) {
    let params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let all = |name: &str| -> Vec<&str> {
        params
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    };
    let states = all("state");
    let state_ok = states == [STATE];
    match verdict {
        CallbackVerdict::Ignored(_) => {}
        CallbackVerdict::Failed(e) => {
            assert!(state_ok, "{query:?} ended the flow without the state: {e}");
            // The state is not quoted back, unless the response itself put
            // it into another parameter (an `iss` or `error` is quoted).
            let elsewhere = params
                .iter()
                .any(|(k, v)| k != "state" && v.contains(STATE));
            assert!(
                elsewhere || !e.to_string().contains(STATE),
                "the error names the state: {e}"
            );
            if let Error::OAuth { error, .. } = e {
                assert_eq!(all("error"), [error.as_str()], "{query:?}");
            }
        }
        CallbackVerdict::Code(code) => {
            assert!(state_ok, "{query:?} gave a code without the state");
            assert_eq!(all("code"), [code.expose()], "{query:?}");
            assert!(!code.expose().is_empty(), "{query:?}: empty code accepted");
            assert!(all("error").is_empty(), "{query:?}: code with an error");
            let iss = all("iss");
            assert!(iss.len() <= 1, "{query:?}: two iss accepted");
            match (iss.first(), issuer) {
                (Some(got), Some(want)) => assert_eq!(*got, want, "{query:?}: wrong iss"),
                (None, _) => assert!(!required, "{query:?}: missing iss accepted"),
                (Some(_), None) => {}
            }
        }
        // `CallbackVerdict` is non-exhaustive outside oauthkit.
        _ => panic!("a CallbackVerdict this target does not know; teach it"),
    }
}

/// `ExpectedCallback::check_query` on the callback request's query string.
pub fn callback(data: &[u8]) {
    let query = String::from_utf8_lossy(data);
    // A request target: the server passes what follows '?'.
    let query = match query.split_once('?') {
        Some((_, q)) => q,
        None => &query,
    };
    for (expected, issuer, required) in expectations() {
        let verdict = expected.check_query(query);
        check(query, &verdict, issuer, required);
    }
}

/// `ExpectedCallback::check_url` on a pasted line (paste mode trims each
/// line and skips empty ones).
pub fn paste_url(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for line in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(4)
    {
        for (expected, issuer, required) in expectations() {
            let verdict = expected.check_url(line);
            let query = url::Url::parse(line)
                .ok()
                .and_then(|u| u.query().map(str::to_owned));
            match query {
                Some(q) => check(&q, &verdict, issuer, required),
                None => assert!(
                    matches!(verdict, CallbackVerdict::Ignored(_)),
                    "{line:?}: a URL without a query ended the flow"
                ),
            }
        }
    }
}

thread_local! {
    static SERVER: CallbackServer =
        CallbackServer::bind(&CallbackServerOptions::new()).expect("a loopback callback server");
    /// The latest inputs: a pipelined request may be answered while the
    /// next input runs.
    static RECENT: RefCell<VecDeque<Vec<u8>>> = const { RefCell::new(VecDeque::new()) };
}

/// Reads what the server sent so far; true once there is an answer or the
/// connection is closed.
fn answered(client: &mut TcpStream, response: &mut Vec<u8>) -> bool {
    let mut buf = [0u8; 4096];
    loop {
        match client.read(&mut buf) {
            Ok(0) => return true,
            Ok(n) => response.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return !response.is_empty(),
            Err(_) => return true,
        }
    }
}

/// A raw HTTP request (the input, as bytes on the wire) to a listening
/// callback server (`flow/callback_server.rs` behind tiny_http): it
/// answers with HTTP (tiny_http echoes the request's version, even 0.9)
/// or closes, and only a request carrying the expected state can end the
/// wait.
pub fn callback_http(data: &[u8]) {
    RECENT.with(|r| {
        let mut r = r.borrow_mut();
        r.push_back(data.to_vec());
        if r.len() > 8 {
            r.pop_front();
        }
    });
    SERVER.with(|server| {
        let expected = ExpectedCallback::new(STATE).issuer(ISSUER);
        let Ok(mut client) = TcpStream::connect(server.local_addr()) else {
            return;
        };
        // The server may answer before reading everything; a reset is fine.
        let _ = client.write_all(data);
        let _ = client.shutdown(Shutdown::Write);
        client.set_nonblocking(true).expect("a socket option");
        let response = RefCell::new(Vec::new());
        let client = RefCell::new(client);
        let deadline = Instant::now() + Duration::from_secs(5);
        let done = || answered(&mut client.borrow_mut(), &mut response.borrow_mut());
        match server.wait(&expected, deadline, &done) {
            CallbackOutcome::Code(_) | CallbackOutcome::Failed(_) => {
                let state = STATE.as_bytes();
                let carried = RECENT.with(|r| {
                    r.borrow()
                        .iter()
                        .any(|input| input.windows(state.len()).any(|w| w == state))
                });
                assert!(
                    carried,
                    "a request without the state ended the wait: {:?}",
                    String::from_utf8_lossy(data)
                );
            }
            CallbackOutcome::Cancelled | CallbackOutcome::TimedOut => {}
            // `CallbackOutcome` is non-exhaustive outside oauthkit.
            _ => panic!("a CallbackOutcome this target does not know; teach it"),
        }
        let response = response.into_inner();
        assert!(
            response.is_empty() || response.starts_with(b"HTTP/"),
            "not an HTTP response: {:?}",
            String::from_utf8_lossy(&response)
        );
    });
}
