//! One terminal-safe text rule (issue 21, item 5): text that came from a
//! provider and is shown on a terminal never carries a character the
//! terminal acts on instead of showing (controls, ESC sequences, bidi
//! overrides and isolates, zero-width and other Unicode format
//! characters), for every character of the class
//! (`oauthkit::unversioned::terminal_text::is_hostile`):
//!
//! - a device authorization response whose `user_code` or
//!   `verification_uri` holds one is refused (a code the user must read and
//!   type, and an address, cannot be shown faithfully); a
//!   `verification_uri_complete` holding one is dropped; the `message` is
//!   kept with such characters escaped visibly;
//! - the device prompt (`prompt_text`) and every notice escape them
//!   whatever a caller put in the values;
//! - OAuth error texts a provider sends lose them (the redactor uses the
//!   same classification).

use crate::support::mock_http;

use oauthkit::provider::TokenRefresh;
use std::time::Duration;

use oauthkit::provider::{
    DeviceAuthorization, GrantRequest, OAuth2Config, OAuthProvider, Provider,
};
use oauthkit::unversioned::flow::prompt_text;
use oauthkit::unversioned::flow::Notice;
use oauthkit::unversioned::flow::UrlPurpose;
use oauthkit::unversioned::terminal_text::is_hostile;
use oauthkit::ErrorKind;
use serde_json::json;

use mock_http::MockServer;

/// Every hostile character, and a sample of each kind by name.
fn hostile_chars() -> Vec<char> {
    (0u32..=0x10FFFF)
        .filter_map(char::from_u32)
        .filter(|c| is_hostile(*c))
        .collect()
}

#[test]
fn the_class_holds_controls_bidi_and_format_characters() {
    let all = hostile_chars();
    for c in ('\u{0}'..='\u{1f}')
        .chain(['\u{7f}'])
        .chain('\u{80}'..='\u{9f}')
        .chain('\u{202a}'..='\u{202e}')
        .chain('\u{2066}'..='\u{2069}')
        .chain([
            '\u{200b}', '\u{200c}', '\u{200d}', '\u{200e}', '\u{200f}', '\u{2060}',
        ])
        .chain([
            '\u{feff}',
            '\u{061c}',
            '\u{00ad}',
            '\u{180e}',
            '\u{e0001}',
            '\u{fff9}',
        ])
    {
        assert!(all.contains(&c), "{c:?} is not in the class");
    }
}

fn provider(server: &MockServer) -> OAuthProvider {
    let mut cfg = OAuth2Config::new(
        "hostile",
        "client-1",
        server.url("/authorize"),
        server.url("/token"),
    );
    cfg.device_authorization_url = Some(server.url("/device"));
    OAuthProvider::oauth2(cfg).expect("provider")
}

fn answer(user_code: &str, uri: &str, complete: &str, message: &str) -> serde_json::Value {
    json!({
        "device_code": "dc-1",
        "user_code": user_code,
        "verification_uri": uri,
        "verification_uri_complete": complete,
        "message": message,
        "expires_in": 600,
        "interval": 5,
    })
}

#[test]
fn device_authorizations_with_hostile_text_are_refused_or_escaped() {
    let server = MockServer::start();
    let p = provider(&server);
    let request = GrantRequest::device_authorization();
    let uri = server.url("/device-page");
    // a clean answer is accepted as it is
    server.json(
        "/device",
        200,
        &answer("WDJB-MJHT", &uri, &format!("{uri}?c=1"), "Go there"),
    );
    let a = p.request_device_authorization(&request).unwrap();
    assert_eq!(a.user_code, "WDJB-MJHT");
    assert_eq!(
        a.verification_uri_complete.as_deref(),
        Some(&*format!("{uri}?c=1"))
    );
    let mut checked = 0;
    for c in hostile_chars()
        .into_iter()
        .step_by(7)
        .chain(['\u{202e}', '\u{2066}', '\u{200b}', '\u{1b}'])
    {
        let what = format!("U+{:04X}", c as u32);
        // user_code
        server.json(
            "/device",
            200,
            &answer(&format!("WDJB{c}MJHT"), &uri, &uri, "m"),
        );
        let e = p.request_device_authorization(&request).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Http, "user_code {what}");
        assert!(e.to_string().contains("user_code"), "user_code {what}: {e}");
        // verification_uri (path, query)
        for bad in [format!("{uri}{c}x"), format!("{uri}?x={c}")] {
            server.json("/device", 200, &answer("WDJB-MJHT", &bad, &uri, "m"));
            let e = p.request_device_authorization(&request).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Http, "verification_uri {what}");
            assert!(e.to_string().contains("verification_uri"), "{what}: {e}");
        }
        // verification_uri_complete: dropped; message: escaped visibly
        server.json(
            "/device",
            200,
            &answer(
                "WDJB-MJHT",
                &uri,
                &format!("{uri}?c={c}"),
                &format!("go{c}there"),
            ),
        );
        let a = p.request_device_authorization(&request).unwrap();
        assert_eq!(a.verification_uri_complete, None, "complete {what}");
        let m = a.message.as_deref().unwrap();
        assert!(!m.chars().any(is_hostile), "message {what}: {m:?}");
        assert!(
            m.contains(&format!("\\u{{{:x}}}", c as u32)),
            "message {what} escaped visibly: {m:?}"
        );
        checked += 1;
    }
    assert!(checked > 50, "{checked}");
}

/// Whatever a caller puts in a `DeviceAuthorization`, the prompt shows it
/// escaped.
#[test]
fn the_device_prompt_escapes_every_hostile_character() {
    for c in hostile_chars() {
        let a = DeviceAuthorization {
            device_code: "dc".into(),
            user_code: format!("AB{c}CD"),
            verification_uri: format!("https://idp.example/{c}device"),
            verification_uri_complete: Some(format!("https://idp.example/device?c={c}")),
            expires_in: Duration::from_secs(600),
            interval: Duration::from_secs(5),
            message: None,
            scopes: vec![],
        };
        let text = prompt_text(&a);
        let shown: String = text.chars().filter(|ch| *ch != '\n').collect();
        assert!(
            !shown.chars().any(is_hostile),
            "U+{:04X} reached the prompt: {text:?}",
            c as u32
        );
        assert!(
            text.contains(&format!("AB\\u{{{:x}}}CD", c as u32)),
            "{text:?}"
        );
    }
}

#[test]
fn notices_escape_every_hostile_character() {
    let why = oauthkit::Error::InvalidArgument("no browser".into());
    for c in hostile_chars() {
        let url = format!("https://idp.example/authorize?x={c}&state=s");
        let redirect = format!("http://127.0.0.1:8080/cb{c}");
        let refused = format!("wrong{c}state");
        for notice in [
            Notice::OpenUrl {
                purpose: UrlPurpose::SignIn,
                url: &url,
                why: &why,
            },
            Notice::PasteRedirect {
                redirect_uri: &redirect,
            },
            Notice::PasteRefused { why: &refused },
        ] {
            let text = notice.to_string();
            let shown: String = text.chars().filter(|ch| *ch != '\n').collect();
            assert!(
                !shown.chars().any(is_hostile),
                "U+{:04X} reached a notice: {text:?}",
                c as u32
            );
            assert!(text.contains(&format!("\\u{{{:x}}}", c as u32)), "{text:?}");
        }
    }
}

/// The redactor drops the same class from OAuth errors a provider sends.
#[test]
fn provider_error_texts_lose_every_hostile_character() {
    let server = MockServer::start();
    let p = provider(&server);
    let chars = hostile_chars();
    for chunk in chars.chunks(64) {
        let desc: String = chunk.iter().flat_map(|c| ['x', *c]).collect();
        server.json(
            "/token",
            400,
            &json!({"error": "invalid_request", "error_description": desc}),
        );
        let e = p.refresh_tokens(&TokenRefresh::new("rt-1")).unwrap_err();
        let shown = format!("{e}");
        assert!(
            !shown.chars().any(is_hostile),
            "reached the error: {shown:?}"
        );
    }
}
