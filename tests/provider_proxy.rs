//! What the providers' HTTP client does with HTTPS_PROXY / NO_PROXY (ureq 3
//! reads them when a provider is built) and with a proxy given to the
//! provider (`HttpProxy`), checked against a fake proxy on loopback that
//! records the `CONNECT` it receives (and its headers) and refuses it. The
//! environment is process-wide, so this binary holds one test that changes
//! it step by step; the others give the proxy explicitly and so do not
//! depend on the environment.

extern crate oauthkit_test_support as support;

use oauthkit::provider::{Provider, TokenRefresh};
use oauthkit::unversioned::provider::http::{
    Auth, Body, HttpClient, HttpConfig, HttpProxy, Method,
};
use support::fake_proxy::fake_proxy;
use support::tls_server::{TestPki, TlsServer};

fn get(url: &str, ca: &std::path::Path) -> oauthkit::Result<u16> {
    get_via(url, ca, HttpProxy::Environment)
}

fn get_via(url: &str, ca: &std::path::Path, proxy: HttpProxy) -> oauthkit::Result<u16> {
    let http = HttpConfig::default().ca_file(ca).unwrap().proxy(proxy);
    HttpClient::new(http)
        .request("userinfo", Method::Get, url, Body::Empty, Auth::None, &[])
        .map(|r| r.status)
}

/// Display, Debug and the whole source chain of an error.
fn full_text(e: &oauthkit::Error) -> String {
    let mut s = format!("{e}\n{e:?}");
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        s.push_str(&format!("\n{inner}\n{inner:?}"));
        source = inner.source();
    }
    s
}

fn clear_env() {
    for v in [
        "ALL_PROXY",
        "all_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "NO_PROXY",
        "no_proxy",
    ] {
        std::env::remove_var(v);
    }
}

#[test]
fn https_proxy_and_no_proxy_as_ureq_reads_them() {
    let pki = TestPki::new("proxy", "IP:127.0.0.1");
    let server = TlsServer::start(&pki, r#"{"sub":"alice"}"#);
    let url = server.url("/userinfo");
    let target = format!("127.0.0.1:{}", server.port);
    let (proxy_port, seen) = fake_proxy();
    let proxy = format!("http://127.0.0.1:{proxy_port}");
    let connects = || {
        seen.lock()
            .unwrap()
            .iter()
            .filter(|l| l.starts_with(&format!("CONNECT {target}")))
            .count()
    };

    clear_env();
    assert_eq!(get(&url, &pki.ca_file()).unwrap(), 200, "direct");
    assert_eq!(connects(), 0);

    // HTTPS_PROXY: the request tunnels through the proxy with CONNECT, even
    // to a loopback host (ureq has no built-in loopback exception)
    std::env::set_var("HTTPS_PROXY", &proxy);
    let e = get(&url, &pki.ca_file()).unwrap_err();
    assert_eq!(e.kind(), oauthkit::ErrorKind::Http, "{e}");
    assert_eq!(connects(), 1, "{:?}", seen.lock().unwrap());
    // a provider told to go direct ignores the environment's proxy
    assert_eq!(
        get_via(&url, &pki.ca_file(), HttpProxy::Direct).unwrap(),
        200,
        "HttpProxy::Direct"
    );
    assert_eq!(connects(), 1);

    // HTTP_PROXY alone is used for https too
    clear_env();
    std::env::set_var("HTTP_PROXY", &proxy);
    assert!(get(&url, &pki.ca_file()).is_err());
    assert_eq!(connects(), 2);

    // NO_PROXY with the host (exact, case-insensitive, no port) goes direct
    std::env::set_var("NO_PROXY", "example.org,127.0.0.1");
    assert_eq!(get(&url, &pki.ca_file()).unwrap(), 200, "NO_PROXY");
    assert_eq!(connects(), 2);
    std::env::set_var("NO_PROXY", "*");
    assert_eq!(get(&url, &pki.ca_file()).unwrap(), 200, "NO_PROXY=*");

    // ureq does not trim spaces after the commas: " 127.0.0.1" matches nothing
    std::env::set_var("NO_PROXY", "example.org, 127.0.0.1");
    assert!(get(&url, &pki.ca_file()).is_err());
    assert_eq!(connects(), 3);

    // the environment is read when the provider (its client) is built
    clear_env();
    std::env::set_var("HTTPS_PROXY", &proxy);
    let built = HttpClient::new(HttpConfig::default().ca_file(pki.ca_file()).unwrap());
    clear_env();
    assert!(built
        .request("userinfo", Method::Get, &url, Body::Empty, Auth::None, &[])
        .is_err());
    assert_eq!(connects(), 4);
    assert_eq!(get(&url, &pki.ca_file()).unwrap(), 200);
}

/// A proxy given to the provider: requests tunnel through it with its
/// credentials (`Proxy-Authorization`), hosts in its own no-proxy list go
/// direct, and neither the password nor the header value made from it
/// shows in the error, its source chain or `Debug`.
#[test]
fn a_proxy_given_to_the_provider_with_credentials_that_never_show() {
    let pki = TestPki::new("proxy-given", "IP:127.0.0.1");
    let server = TlsServer::start(&pki, r#"{"sub":"alice"}"#);
    let url = server.url("/userinfo");
    let (proxy_port, seen) = fake_proxy();
    let password = "pr0xy-Pa55-Qz8";
    let basic = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        format!("svc:{password}"),
    );
    let proxy = HttpProxy::url(&format!("http://svc:{password}@127.0.0.1:{proxy_port}")).unwrap();

    let config = HttpConfig::default()
        .ca_file(pki.ca_file())
        .unwrap()
        .proxy(proxy.clone());
    let e = HttpClient::new(config.clone())
        .request("userinfo", Method::Get, &url, Body::Empty, Auth::None, &[])
        .unwrap_err();
    let lines = seen.lock().unwrap().clone();
    assert!(
        lines[0].starts_with(&format!("CONNECT 127.0.0.1:{}", server.port)),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.eq_ignore_ascii_case(&format!("proxy-authorization: basic {basic}"))),
        "the credentials were not sent: {lines:?}"
    );
    let shown = format!("{}\n{config:?}\n{proxy:?}", full_text(&e));
    for secret in [password, basic.as_str()] {
        assert!(!shown.contains(secret), "{secret} shown in: {shown}");
    }
    assert!(shown.contains("***@127.0.0.1"), "{shown}");

    // the provider's own no-proxy list: straight to the server
    let bypass = proxy.no_proxy(["127.0.0.1"]);
    assert_eq!(get_via(&url, &pki.ca_file(), bypass).unwrap(), 200);
    assert_eq!(
        seen.lock().unwrap().len(),
        lines.len(),
        "went through the proxy"
    );
}

/// A proxy URL that is not one is refused when given, and the refusal
/// never quotes the password, wherever a mangled URL put it.
#[test]
fn bad_proxy_urls_are_refused_without_their_password() {
    let password = "Sekr3t-Pw-77";
    let mut seen = 0;
    for scheme in ["http", "https", "socks5", "ftp", "", "http:", "ht tp"] {
        for sep in ["://", ":/", ":", "", ":/\n/", "://\u{7f}"] {
            for (user, host) in [
                ("u", "proxy.example:3128"),
                ("", "proxy.example"),
                ("u", ""),
                ("u", "p.example/path?q=1"),
            ] {
                let url = format!("{scheme}{sep}{user}:{password}@{host}");
                match HttpProxy::url(&url) {
                    Ok(p) => assert!(!format!("{p:?}").contains(password), "{p:?}"),
                    Err(e) => {
                        seen += 1;
                        assert_eq!(e.kind(), oauthkit::ErrorKind::InvalidArgument, "{e}");
                        let text = full_text(&e);
                        assert!(!text.contains(password), "{url:?} gave: {text}");
                    }
                }
            }
        }
    }
    assert!(seen > 100, "only {seen} refusals");
}

/// `OAUTHKIT_PROXY` / `OAUTHKIT_NO_PROXY` in provider settings: a proxy
/// URL with credentials carries a provider's token requests (and never
/// shows its password in the settings' `Debug` or the error); `direct`
/// and `env` are words; a no-proxy list without a proxy URL is refused by
/// name.
#[test]
fn provider_settings_take_a_proxy() {
    use oauthkit::provider::ProviderSettings;
    let (proxy_port, seen) = fake_proxy();
    let password = "Setting-Pw-913";
    let token_server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let token_port = token_server.local_addr().unwrap().port();
    let settings = |extra: &[(&str, String)]| {
        let mut vars = vec![
            ("OAUTHKIT_PROVIDER", "custom".to_owned()),
            ("OAUTHKIT_CLIENT_ID", "client".to_owned()),
            (
                "OAUTHKIT_AUTHORIZE_URL",
                format!("http://127.0.0.1:{token_port}/authorize"),
            ),
            (
                "OAUTHKIT_TOKEN_URL",
                format!("http://127.0.0.1:{token_port}/token"),
            ),
        ];
        vars.extend(extra.iter().cloned());
        ProviderSettings::from_lookup(|k| {
            vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())
        })
    };
    let proxied = settings(&[(
        "OAUTHKIT_PROXY",
        format!("http://ops:{password}@127.0.0.1:{proxy_port}"),
    )])
    .unwrap();
    assert!(!format!("{proxied:?}").contains(password), "{proxied:?}");
    let e = proxied
        .build()
        .unwrap()
        .refresh_tokens(&TokenRefresh::new("rt-1"))
        .unwrap_err();
    let lines = seen.lock().unwrap().clone();
    assert!(
        lines
            .iter()
            .any(|l| l.contains(&format!("127.0.0.1:{token_port}"))),
        "the token request did not go through the proxy: {lines:?}"
    );
    assert!(
        lines.iter().any(|l| l
            .to_ascii_lowercase()
            .starts_with("proxy-authorization: basic ")),
        "{lines:?}"
    );
    assert!(!full_text(&e).contains(password), "{}", full_text(&e));

    let direct = settings(&[("OAUTHKIT_PROXY", "direct".into())]).unwrap();
    assert_eq!(direct.proxy, Some(HttpProxy::Direct));
    let env = settings(&[("OAUTHKIT_PROXY", "ENV".into())]).unwrap();
    assert_eq!(env.proxy, Some(HttpProxy::Environment));
    let e = settings(&[("OAUTHKIT_NO_PROXY", "idp.example".into())]).unwrap_err();
    assert!(e.to_string().contains("OAUTHKIT_NO_PROXY"), "{e}");
    let e = settings(&[("OAUTHKIT_PROXY", format!("socks5://u:{password}@h:1"))]).unwrap_err();
    assert!(e.to_string().contains("OAUTHKIT_PROXY"), "{e}");
    assert!(!full_text(&e).contains(password), "{}", full_text(&e));
    let bypass = settings(&[
        ("OAUTHKIT_PROXY", format!("http://127.0.0.1:{proxy_port}")),
        ("OAUTHKIT_NO_PROXY", "example.org, 127.0.0.1".into()),
    ])
    .unwrap();
    assert_eq!(
        bypass.proxy,
        Some(
            HttpProxy::url(&format!("http://127.0.0.1:{proxy_port}"))
                .unwrap()
                .no_proxy(["example.org", "127.0.0.1"])
        )
    );
    drop(token_server);
}
