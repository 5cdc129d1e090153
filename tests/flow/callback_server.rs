//! The loopback callback server against hostile and stray requests
//! (RFC 8252 §7.3/§8.3, RFC 9700 §2.1, RFC 9207), driven over real TCP.

use crate::support;

use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use oauthkit::unversioned::flow::CallbackOutcome;
use oauthkit::unversioned::flow::{
    CallbackServer, CallbackServerOptions, ExpectedCallback, PortChoice, RedirectHost,
};
use oauthkit::ErrorKind;
use support::flow_http::{
    raw_exchange, raw_get, raw_get_retrying, raw_request, refuses_connections, slow_client,
};

const STATE: &str = "Zm9yZ2VkLW9yLW5vdC10aGlzLWlzLXRoZS1yZWFsLXN0YXRl";

fn expected() -> ExpectedCallback {
    ExpectedCallback::new(STATE).issuer("http://issuer.test")
}

/// Runs `wait` on a thread; returns the outcome and how long it took.
fn wait_in_thread(
    server: Arc<CallbackServer>,
    exp: ExpectedCallback,
    timeout: Duration,
) -> std::thread::JoinHandle<(CallbackOutcome, Duration)> {
    std::thread::spawn(move || {
        let t = Instant::now();
        let out = server.wait(&exp, t + timeout, &|| false);
        (out, t.elapsed())
    })
}

#[test]
fn listens_on_loopback_only_with_an_ephemeral_port() {
    let s = CallbackServer::bind(&CallbackServerOptions::new()).unwrap();
    let a = s.local_addr();
    assert!(a.ip().is_loopback() && !a.ip().is_unspecified(), "{a}");
    assert_ne!(a.port(), 0);
    assert_eq!(
        s.redirect_uri(),
        format!("http://127.0.0.1:{}/callback", a.port())
    );
    let t = CallbackServer::bind(&CallbackServerOptions::new().path("oauth/cb")).unwrap();
    assert!(t.redirect_uri().ends_with("/oauth/cb"));
    assert_ne!(t.local_addr().port(), a.port());
}

#[test]
fn localhost_is_opt_in_and_still_binds_loopback() {
    let s =
        CallbackServer::bind(&CallbackServerOptions::new().host(RedirectHost::Localhost)).unwrap();
    assert!(s.redirect_uri().starts_with("http://localhost:"));
    assert!(s.local_addr().ip().is_loopback());
}

#[test]
fn a_busy_fixed_port_is_a_clear_error_not_a_hang() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let t = Instant::now();
    let err = CallbackServer::bind(&CallbackServerOptions::new().port(PortChoice::Fixed(port)))
        .unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(1));
    assert_eq!(err.kind(), ErrorKind::Io);
    let msg = err.to_string();
    assert!(
        msg.contains(&port.to_string()) && msg.contains("in use"),
        "{msg}"
    );
}

#[test]
fn a_fixed_port_and_a_range_are_honoured() {
    let probe = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = probe.local_addr().unwrap().port();
    drop(probe);
    let s =
        CallbackServer::bind(&CallbackServerOptions::new().port(PortChoice::Fixed(port))).unwrap();
    assert_eq!(s.local_addr().port(), port);
    // The range starts at the busy port and moves on.
    let r = CallbackServer::bind(
        &CallbackServerOptions::new().port(PortChoice::Range(port, port.saturating_add(20))),
    )
    .unwrap();
    assert_ne!(r.local_addr().port(), port);
    assert!((port..=port + 20).contains(&r.local_addr().port()));
    let all_busy =
        CallbackServer::bind(&CallbackServerOptions::new().port(PortChoice::Range(port, port)));
    assert!(all_busy.unwrap_err().to_string().contains("in use"));
}

#[test]
fn forged_and_stray_requests_do_not_end_the_wait_and_the_real_one_does() {
    let server = Arc::new(CallbackServer::bind(&CallbackServerOptions::new()).unwrap());
    let addr = server.local_addr();
    let waiter = wait_in_thread(server.clone(), expected(), Duration::from_secs(10));
    let cases: &[(&str, &str, u16)] = &[
        ("GET", "/favicon.ico", 404),
        ("GET", "/", 404),
        ("GET", "/callback/../callback2?code=x", 404),
        ("GET", "/callback?code=stolen&state=wrong", 400),
        ("GET", "/callback?code=stolen", 400),
        ("GET", &format!("/callback?state={}", &STATE[..10]), 400),
        ("GET", "/callback?error=access_denied", 400),
        ("GET", "/callback?error=access_denied&state=wrong", 400),
        (
            "GET",
            &format!("/callback?code=a&state={STATE}&state={STATE}"),
            400,
        ),
        ("POST", &format!("/callback?code=a&state={STATE}"), 405),
    ];
    for (method, target, status) in cases {
        let r = raw_request(addr, method, target).unwrap();
        assert_eq!(r.status, *status, "{method} {target}");
        assert!(!waiter.is_finished(), "{method} {target} ended the wait");
    }
    let ok = raw_get(
        addr,
        &format!("/callback?code=the-code&state={STATE}&iss=http%3A%2F%2Fissuer.test"),
    )
    .unwrap();
    assert_eq!(ok.status, 200);
    assert!(ok.body.contains("close this window"));
    for (h, v) in [
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
        ("Content-Security-Policy", "default-src 'none'"),
    ] {
        assert!(
            ok.header(h).is_some_and(|x| x.contains(v)),
            "{h}: {:?}",
            ok.header(h)
        );
    }
    let (out, _) = waiter.join().unwrap();
    match out {
        CallbackOutcome::Code(c) => assert_eq!(c.expose(), "the-code"),
        other => panic!("{other:?}"),
    }
    // The server shuts down: a second callback after success finds nothing.
    Arc::try_unwrap(server).unwrap().shutdown();
    assert!(refuses_connections(addr));
}

#[test]
fn a_provider_error_with_the_right_state_ends_the_wait_with_an_escaped_page() {
    let server = Arc::new(CallbackServer::bind(&CallbackServerOptions::new()).unwrap());
    let addr = server.local_addr();
    let waiter = wait_in_thread(server.clone(), expected(), Duration::from_secs(10));
    let r = raw_get(
        addr,
        &format!("/callback?error=access_denied&error_description=%3Cscript%3Ealert(1)%3C%2Fscript%3E&state={STATE}"),
    )
    .unwrap();
    assert_eq!(r.status, 400);
    assert!(!r.body.contains("<script>"), "{}", r.body);
    assert!(r.body.contains("&lt;script&gt;"));
    let (out, _) = waiter.join().unwrap();
    match out {
        CallbackOutcome::Failed(e) => {
            assert_eq!(e.kind(), ErrorKind::OAuth);
            assert!(e.to_string().contains("access_denied"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn rfc9207_issuer_mismatch_and_missing_required_iss_end_the_flow() {
    for (exp, query) in [
        (
            expected(),
            format!("code=c&state={STATE}&iss=http%3A%2F%2Fevil.test"),
        ),
        (
            ExpectedCallback::new(STATE)
                .issuer("http://issuer.test")
                .require_iss(true),
            format!("code=c&state={STATE}"),
        ),
    ] {
        let server = Arc::new(CallbackServer::bind(&CallbackServerOptions::new()).unwrap());
        let waiter = wait_in_thread(server.clone(), exp, Duration::from_secs(10));
        assert_eq!(
            raw_get(server.local_addr(), &format!("/callback?{query}"))
                .unwrap()
                .status,
            400
        );
        match waiter.join().unwrap().0 {
            CallbackOutcome::Failed(e) => assert_eq!(e.kind(), ErrorKind::Authentication, "{e}"),
            other => panic!("{query}: {other:?}"),
        }
    }
}

#[test]
fn a_request_flood_neither_blocks_nor_hijacks_the_wait() {
    let server = Arc::new(CallbackServer::bind(&CallbackServerOptions::new()).unwrap());
    let addr = server.local_addr();
    let waiter = wait_in_thread(server.clone(), expected(), Duration::from_secs(20));
    let stop = Arc::new(AtomicBool::new(false));
    let flooders: Vec<_> = (0..8)
        .map(|i| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut n = 0;
                while !stop.load(Ordering::SeqCst) && n < 200 {
                    let target = match n % 4 {
                        0 => format!("/callback?code=c{i}&state=guess{n}"),
                        1 => "/callback?error=access_denied".to_string(),
                        2 => "/favicon.ico".to_string(),
                        _ => "/callback".to_string(),
                    };
                    if let Ok(r) = raw_get(addr, &target) {
                        assert!(r.status == 400 || r.status == 404, "{target}: {}", r.status);
                    }
                    n += 1;
                }
                n
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    assert!(!waiter.is_finished());
    let t = Instant::now();
    let ok = raw_get(addr, &format!("/callback?code=real&state={STATE}")).unwrap();
    assert_eq!(ok.status, 200);
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "the real callback waited {:?}",
        t.elapsed()
    );
    stop.store(true, Ordering::SeqCst);
    let sent: usize = flooders.into_iter().map(|f| f.join().unwrap()).sum();
    assert!(sent > 8);
    assert!(matches!(waiter.join().unwrap().0, CallbackOutcome::Code(c) if c.expose() == "real"));
}

#[test]
fn a_slow_client_cannot_hold_the_wait_past_its_deadline() {
    let server = Arc::new(CallbackServer::bind(&CallbackServerOptions::new()).unwrap());
    let addr = server.local_addr();
    let _slow: Vec<_> = (0..3).map(|_| slow_client(addr)).collect();
    let waiter = wait_in_thread(server.clone(), expected(), Duration::from_millis(600));
    let (out, took) = waiter.join().unwrap();
    assert!(matches!(out, CallbackOutcome::TimedOut), "{out:?}");
    assert!(took < Duration::from_millis(900), "took {took:?}");
}

#[test]
fn a_slow_client_does_not_block_the_real_callback() {
    let server = Arc::new(CallbackServer::bind(&CallbackServerOptions::new()).unwrap());
    let addr = server.local_addr();
    let _slow = slow_client(addr);
    let waiter = wait_in_thread(server.clone(), expected(), Duration::from_secs(10));
    assert_eq!(
        raw_get(addr, &format!("/callback?code=ok&state={STATE}"))
            .unwrap()
            .status,
        200
    );
    assert!(matches!(waiter.join().unwrap().0, CallbackOutcome::Code(_)));
}

#[test]
fn cancel_ends_the_wait_promptly_and_shutdown_frees_the_port() {
    let server = CallbackServer::bind(&CallbackServerOptions::new()).unwrap();
    let addr = server.local_addr();
    let cancelled = Arc::new(AtomicBool::new(false));
    let c2 = cancelled.clone();
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        c2.store(true, Ordering::SeqCst);
        Instant::now()
    });
    let out = server.wait(
        &expected(),
        Instant::now() + Duration::from_secs(30),
        &|| cancelled.load(Ordering::SeqCst),
    );
    let ended = Instant::now();
    let at = canceller.join().unwrap();
    assert!(matches!(out, CallbackOutcome::Cancelled));
    assert!(ended.duration_since(at) < Duration::from_millis(200));
    server.shutdown();
    assert!(refuses_connections(addr));
    // The port can be bound again.
    TcpListener::bind(addr).expect("port is free again");
}

/// A request with exactly these header lines (each without CRLF).
fn with_headers(target: &str, headers: &[String]) -> String {
    let mut r = format!("GET {target} HTTP/1.1\r\n");
    for h in headers {
        r.push_str(h);
        r.push_str("\r\n");
    }
    r.push_str("Connection: close\r\n\r\n");
    r
}

/// DNS rebinding: a web page whose name resolves to 127.0.0.1 can reach
/// the callback server, but its browser names the page's host. Every
/// request below carries the RIGHT state and a code, so only the Host
/// check stands between it and the flow: each must get a 400 and leave
/// the wait running; then the real callback completes it.
#[test]
fn requests_naming_another_host_are_refused_without_ending_the_wait() {
    let server = Arc::new(CallbackServer::bind(&CallbackServerOptions::new()).unwrap());
    let addr = server.local_addr();
    let port = addr.port();
    let right = format!("Host: 127.0.0.1:{port}");
    let good = format!("/callback?code=rebound&state={STATE}");
    let waiter = wait_in_thread(server.clone(), expected(), Duration::from_secs(20));
    let mut cases: Vec<(String, String)> = Vec::new();
    let mut host_case = |what: &str, headers: Vec<String>| {
        cases.push((what.to_string(), with_headers(&good, &headers)));
    };
    for host in [
        format!("evil.example:{port}"),
        format!("localhost.evil.example:{port}"),
        format!("127.0.0.1.nip.io:{port}"),
        format!("127.0.0.1:{}", port.wrapping_add(1)),
        format!("127.0.0.1:0{port}"),
        "127.0.0.1".to_string(),
        "127.0.0.1:".to_string(),
        format!("127.0.0.1.:{port}"),
        format!("localhost:{port}"),
        format!("LOCALHOST:{port}"),
        format!("localhost.:{port}"),
        format!("127.1:{port}"),
        format!("2130706433:{port}"),
        format!("[::1]:{port}"),
        format!("user@127.0.0.1:{port}"),
        format!("127.0.0.1:{port}, evil.example"),
        format!("127.0.0.1:{port}/"),
        String::new(),
    ] {
        host_case(&format!("Host: {host:?}"), vec![format!("Host: {host}")]);
    }
    host_case("no Host", vec![]);
    host_case(
        "right then wrong Host",
        vec![right.clone(), format!("Host: evil.example:{port}")],
    );
    host_case(
        "wrong then right Host",
        vec![format!("Host: evil.example:{port}"), right.clone()],
    );
    host_case("the right Host twice", vec![right.clone(), right.clone()]);
    host_case(
        "lower-case header name, wrong host",
        vec![format!("host: evil.example:{port}")],
    );
    for target in [
        format!("http://evil.example:{port}/callback?code=x&state={STATE}"),
        format!(
            "http://127.0.0.1:{}/callback?code=x&state={STATE}",
            port.wrapping_add(1)
        ),
        format!("https://127.0.0.1:{port}/callback?code=x&state={STATE}"),
        format!("http://localhost:{port}/callback?code=x&state={STATE}"),
        format!("http://127.0.0.1.:{port}/callback?code=x&state={STATE}"),
    ] {
        cases.push((
            format!("absolute-form {target}"),
            with_headers(&target, std::slice::from_ref(&right)),
        ));
    }
    cases.push((
        "absolute-form naming this server, Host naming another".into(),
        with_headers(
            &format!("http://127.0.0.1:{port}/callback?code=x&state={STATE}"),
            &[format!("Host: evil.example:{port}")],
        ),
    ));
    cases.push((
        "HTTP/1.0 without Host".into(),
        format!("GET {good} HTTP/1.0\r\n\r\n"),
    ));
    cases.push((
        "a stray path with a foreign Host".into(),
        with_headers("/favicon.ico", &[format!("Host: evil.example:{port}")]),
    ));
    for (what, request) in &cases {
        let r = raw_exchange(addr, request).unwrap();
        assert_eq!(r.status, 400, "{what}: {}", r.head);
        assert!(!waiter.is_finished(), "{what} ended the wait");
    }
    // The absolute form naming this server is fine (RFC 9112 §3.2.2) ...
    let stray = raw_exchange(
        addr,
        &with_headers(
            &format!("http://127.0.0.1:{port}/callback?code=x&state=wrong"),
            std::slice::from_ref(&right),
        ),
    )
    .unwrap();
    assert_eq!(stray.status, 400);
    assert!(stray.body.contains("state"), "{}", stray.body);
    assert!(!waiter.is_finished());
    // ... and the real callback, with the right Host, completes the flow.
    let ok = raw_exchange(
        addr,
        &with_headers(&format!("/callback?code=real&state={STATE}"), &[right]),
    )
    .unwrap();
    assert_eq!(ok.status, 200, "{}", ok.head);
    assert!(matches!(waiter.join().unwrap().0, CallbackOutcome::Code(c) if c.expose() == "real"));
}

/// With `RedirectHost::Localhost` the authority is `localhost:PORT`, in
/// any letter case; the IP spelling and a trailing dot are other hosts.
#[test]
fn a_localhost_redirect_serves_localhost_only() {
    let server = Arc::new(
        CallbackServer::bind(&CallbackServerOptions::new().host(RedirectHost::Localhost)).unwrap(),
    );
    let addr = server.local_addr();
    let port = addr.port();
    let good = format!("/callback?code=named&state={STATE}");
    let waiter = wait_in_thread(server.clone(), expected(), Duration::from_secs(20));
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost.:{port}"),
        format!("localhost:{}", port.wrapping_add(1)),
        format!("evil.localhost.example:{port}"),
    ] {
        let r = raw_exchange(addr, &with_headers(&good, &[format!("Host: {host}")])).unwrap();
        assert_eq!(r.status, 400, "{host}");
        assert!(!waiter.is_finished(), "{host} ended the wait");
    }
    let ok = raw_exchange(
        addr,
        &with_headers(&good, &[format!("Host: LocalHost:{port}")]),
    )
    .unwrap();
    assert_eq!(ok.status, 200, "{}", ok.head);
    assert!(matches!(waiter.join().unwrap().0, CallbackOutcome::Code(c) if c.expose() == "named"));
}

/// A flood of 500 concurrent connections while the real callback arrives:
/// every request still queued when the sign-in ends is answered
/// deliberately ("this sign-in has finished", 410, `Connection: close`),
/// never with tiny_http's `500 Internal Server Error`. A connection the
/// closed listener never took is refused, which is fine.
#[test]
fn requests_queued_when_the_sign_in_ends_are_answered_never_500() {
    let server = Arc::new(CallbackServer::bind(&CallbackServerOptions::new()).unwrap());
    let addr = server.local_addr();
    let waiter = wait_in_thread(server.clone(), expected(), Duration::from_secs(60));
    let start = Arc::new(std::sync::Barrier::new(501));
    let flood: Vec<_> = (0..500)
        .map(|n| {
            let start = start.clone();
            std::thread::spawn(move || {
                start.wait();
                let target = if n % 2 == 0 {
                    format!("/callback?code=c{n}&state=guess{n}")
                } else {
                    "/favicon.ico".to_string()
                };
                raw_get(addr, &target).map(|r| (r.status, r.head.to_ascii_lowercase()))
            })
        })
        .collect();
    start.wait();
    // The real callback gets through the full listen queue as a browser's
    // would: retrying its connection (here for up to 30 s).
    let ok = raw_get_retrying(
        addr,
        &format!("/callback?code=real&state={STATE}"),
        Duration::from_secs(30),
    )
    .unwrap_or_else(|e| panic!("the real callback did not get through the flood: {e}"));
    assert_eq!(ok.status, 200);
    let (outcome, _) = waiter.join().unwrap();
    assert!(matches!(outcome, CallbackOutcome::Code(c) if c.expose() == "real"));
    // The sign-in is over: the flow drops its server.
    match Arc::try_unwrap(server) {
        Ok(server) => drop(server),
        Err(_) => panic!("the server has another handle"),
    }
    let mut finished = 0;
    for f in flood {
        // An error: refused or reset once the listener closed.
        if let Ok((status, head)) = f.join().unwrap() {
            assert!(
                matches!(status, 400 | 404 | 410),
                "a flood request was answered {status}"
            );
            if status == 410 {
                assert!(head.contains("connection: close"), "{head}");
                finished += 1;
            }
        }
    }
    println!("{finished} queued requests were told the sign-in had finished");
}
