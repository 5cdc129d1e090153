//! How much the device flow's poll scheduling adds to the provider's
//! interval (issue 12: under 50 ms per poll).
//!
//! A loopback fake provider (tests/support/src/fake_device.rs) answers a device
//! authorization with `interval: 1`, then `authorization_pending` to
//! `POLLS - 1` polls and tokens to the last. For every poll after the
//! first it records when the previous answer was written and when the
//! poll arrived; the overhead of one poll is that gap minus the interval
//! (the flow waits the interval from the answer, RFC 8628 §3.5).
//!
//! `cargo bench --bench device_poll` (about POLLS seconds). Prints the
//! minimum, median, 95th percentile and maximum overhead.

extern crate oauthkit_test_support as support;

use std::sync::Arc;
use std::time::Duration;

use oauthkit::flow::DeviceFlow;
use oauthkit::provider::{OAuth2Config, OAuthProvider, Provider};
use serde_json::json;
use support::fake_device::FakeDeviceServer;

const POLLS: usize = 21;

fn main() {
    // `cargo bench` passes --bench; nothing else to parse.
    let fake = FakeDeviceServer::start(1, 600);
    fake.queue(
        std::iter::repeat_n((400, json!({"error": "authorization_pending"})), POLLS - 1)
            .chain([FakeDeviceServer::tokens()]),
    );
    let mut cfg = OAuth2Config::new(
        "fake",
        "bench-client",
        format!("{}/authorize", fake.base),
        fake.token_url(),
    );
    cfg.device_authorization_url = Some(fake.device_url());
    let provider: Arc<dyn Provider> = Arc::new(OAuthProvider::oauth2(cfg).unwrap());
    DeviceFlow::new(provider)
        .prompt(|_| Ok(()))
        .run()
        .expect("the device flow signs in at the fake");
    let polls = fake.polls();
    assert_eq!(polls.len(), POLLS);
    let interval = Duration::from_secs(1);
    let mut overhead: Vec<Duration> = polls
        .windows(2)
        .map(|w| w[1].arrived.duration_since(w[0].answered) - interval)
        .collect();
    overhead.sort();
    let pick = |q: f64| overhead[((overhead.len() - 1) as f64 * q).round() as usize];
    println!(
        "device_poll/overhead_over_interval ({} polls, interval 1 s): min {:.2} ms, median {:.2} ms, p95 {:.2} ms, max {:.2} ms",
        overhead.len(),
        ms(pick(0.0)),
        ms(pick(0.5)),
        ms(pick(0.95)),
        ms(pick(1.0)),
    );
    println!(
        "budget 50 ms per poll: {}",
        if pick(1.0) < Duration::from_millis(50) {
            "met by every poll"
        } else {
            "EXCEEDED"
        }
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
