//! The user's side of the device grant at panva's oidc-provider, over HTTP
//! with a cookie jar (as a phone's browser would): the verification page,
//! the user code, the confirmation, login and consent. For
//! tests/flow_device.rs; the chromium-driven variant is in
//! tests/flow_browser.rs.

use crate::interactions::{form_of, Browser, Page};

/// What the user does at the confirmation page.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Choice {
    /// Continue, log in, consent.
    Approve,
    /// Press "Abort" (the provider then answers polls with access_denied).
    Deny,
}

/// Opens `verification_uri`, types `user_code`, and approves or denies as
/// `login`. Returns the last page. Panics on anything unexpected.
pub fn enter_code(verification_uri: &str, user_code: &str, login: &str, choice: Choice) -> String {
    let mut b = Browser::new(verification_uri);
    let page = b.get(verification_uri);
    drive(&mut b, page, Some(user_code), login, choice)
}

/// Opens `verification_uri_complete` (the code already in it, as from a
/// QR code) and approves or denies as `login`.
pub fn open_complete(uri_complete: &str, login: &str, choice: Choice) -> String {
    let mut b = Browser::new(uri_complete);
    let page = b.get(uri_complete);
    drive(&mut b, page, None, login, choice)
}

fn drive(
    b: &mut Browser,
    mut page: Page,
    user_code: Option<&str>,
    login: &str,
    choice: Choice,
) -> String {
    for _ in 0..20 {
        if let Some(next) = page.location.clone() {
            page = b.get(&next);
            continue;
        }
        if page.body.contains("Sign-in Success") || page.body.contains("interrupted") {
            return page.body;
        }
        assert_eq!(page.status, 200, "unexpected page: {}", page.body);
        let (action, hidden) =
            form_of(&page.body).unwrap_or_else(|| panic!("no form on the page: {}", page.body));
        let action = b.origin.join(&action).unwrap().to_string();
        let mut form: Vec<(String, String)> = hidden;
        if page.body.contains("op.deviceInputForm") {
            let code = user_code.expect("the provider asked for the user code");
            form.push(("user_code".into(), code.into()));
        }
        if page.body.contains("op.deviceConfirmForm") && choice == Choice::Deny {
            form.retain(|(k, _)| k != "confirm");
            form.push(("abort".into(), "yes".into()));
        }
        if page.body.contains("name=\"login\"") {
            form.push(("login".into(), login.into()));
            form.push(("password".into(), "any-password".into()));
        }
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        page = b.post(&action, &pairs);
    }
    panic!("the device sign-in did not finish after 20 steps");
}
