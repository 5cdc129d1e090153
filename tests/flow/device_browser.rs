//! The device grant once through a real browser: Debian's chromium, driven
//! by playwright-core (tests/browser/device.mjs), types the user code at
//! panva's oidc-provider, confirms, logs in and consents, while
//! `DeviceFlow` polls. Needs scripts/setup-browser.sh; fails with that
//! instruction when chromium or playwright-core is missing.

use crate::support;

use std::sync::{Arc, Mutex};

use oauthkit::flow::DeviceFlow;
use oauthkit::provider::{OAuthProvider, OidcConfig, Provider};
use oauthkit::store::MemoryStore;
use oauthkit::TokenStore;
use support::node_idp::NodeIdp;

fn chromium_enters_code(verification_uri: &str, user_code: &str, login: &str) -> serde_json::Value {
    support::browser::run_driver("device.mjs", &[verification_uri, user_code], login)
}

#[test]
fn chromium_enters_the_user_code_while_the_device_flow_polls() {
    needs!(Node);
    let idp = NodeIdp::start();
    let provider: Arc<dyn Provider> = Arc::new(
        OAuthProvider::oidc(
            OidcConfig::new(&idp.issuer, idp.client("device"))
                .scopes(["openid", "email", "profile"]),
        )
        .unwrap(),
    );
    let store = Arc::new(MemoryStore::new());
    let report = Arc::new(Mutex::new(None));
    let r2 = report.clone();
    let flow = DeviceFlow::new(provider)
        .store(store.clone())
        // If the browser fails, the flow ends instead of polling for 10 min.
        .timeout(std::time::Duration::from_secs(120))
        .prompt(move |a| {
            let (uri, code, r2) = (a.verification_uri.clone(), a.user_code.clone(), r2.clone());
            std::thread::spawn(move || {
                *r2.lock().unwrap() = Some(chromium_enters_code(&uri, &code, "erin"));
            });
            Ok(())
        });
    let result = flow.run().unwrap();
    assert_eq!(result.key, "erin");
    assert!(result.tokens.id_token.is_some());
    assert!(store.load("erin").unwrap().is_some());
    // The driver may still be closing the browser.
    for _ in 0..200 {
        if report.lock().unwrap().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let report = report
        .lock()
        .unwrap()
        .clone()
        .expect("the browser finished");
    assert_eq!(report["title"], "Sign-in Success");
    assert_eq!(
        report["steps"],
        serde_json::json!(["user_code", "confirm", "login", "consent"]),
        "{report}"
    );
}
