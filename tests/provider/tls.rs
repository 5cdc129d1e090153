//! TLS trust: a provider on loopback behind TLS with a throwaway CA is
//! refused by default (the CA is in no trust store) and accepted once the CA
//! is configured, per provider, from Rust, from settings / `OAUTHKIT_*`
//! values and from C. A wrong host name or another CA stays refused.

use crate::support::tls_server;

use oauthkit::provider::UserinfoRequest;
use oauthkit::provider::{OAuth2Config, OAuthProvider, Provider, ProviderKind, ProviderSettings};
use oauthkit::unversioned::provider::http::{Auth, Body, HttpClient, HttpConfig, Method};
use oauthkit::unversioned::provider::http::{TlsTrust, TrustStore};
use oauthkit::ErrorKind;
use tls_server::{write_file, TestPki, TlsServer};

const CLAIMS: &str = r#"{"sub":"alice"}"#;

fn get(http: HttpConfig, url: &str) -> oauthkit::Result<u16> {
    HttpClient::new(http)
        .request("userinfo", Method::Get, url, Body::Empty, Auth::None, &[])
        .map(|r| r.status)
}

fn assert_refused(result: oauthkit::Result<u16>, server: &TlsServer, before: usize) {
    let e = result.expect_err("the server's certificate must be refused");
    assert_eq!(e.kind(), ErrorKind::Http, "{e}");
    // the TLS library's reason is the error's cause (`source()`), shown by report()
    let m = e.report().to_string().to_lowercase();
    assert!(m.contains("certificate") || m.contains("issuer"), "{m}");
    assert_eq!(server.served(), before, "no request may be answered");
}

#[test]
fn a_throwaway_ca_is_refused_by_default_and_accepted_when_configured() {
    needs!(Openssl);
    let pki = TestPki::new("a", "IP:127.0.0.1,DNS:localhost");
    let server = TlsServer::start(&pki, CLAIMS);
    let url = server.url("/userinfo");

    // default: the operating system's store, which does not know this CA
    assert_eq!(HttpConfig::default().tls.store(), TrustStore::Os);
    assert_refused(get(HttpConfig::default(), &url), &server, 0);

    // the CA as a file, on top of the OS store
    let http = HttpConfig::default().ca_file(pki.ca_file()).unwrap();
    assert_eq!(get(http, &url).unwrap(), 200);
    assert_eq!(server.served(), 1);

    // the CA as PEM bytes, and nothing else trusted
    let only = HttpConfig::default()
        .trust_store(TrustStore::None)
        .ca_pem(pki.ca_pem())
        .unwrap();
    assert_eq!(get(only, &url).unwrap(), 200);
    // localhost is in the certificate too
    let http = HttpConfig::default().ca_pem(pki.ca_pem()).unwrap();
    let by_name = format!("https://localhost:{}/userinfo", server.port);
    assert_eq!(get(http, &by_name).unwrap(), 200);
    assert_eq!(server.served(), 3);
}

#[test]
fn another_ca_or_another_host_name_stays_refused() {
    needs!(Openssl);
    let pki = TestPki::new("b", "IP:127.0.0.1");
    let other = TestPki::new("other", "IP:127.0.0.1");
    let server = TlsServer::start(&pki, CLAIMS);
    let url = server.url("/userinfo");

    // trusting some other CA does not help
    let wrong_ca = HttpConfig::default()
        .trust_store(TrustStore::None)
        .ca_file(other.ca_file())
        .unwrap();
    assert_refused(get(wrong_ca, &url), &server, 0);
    let wrong_ca = HttpConfig::default().ca_file(other.ca_file()).unwrap();
    assert_refused(get(wrong_ca, &url), &server, 0);

    // the right CA, but the certificate does not name `localhost`
    let right_ca = HttpConfig::default().ca_file(pki.ca_file()).unwrap();
    let by_name = format!("https://localhost:{}/userinfo", server.port);
    let e = get(right_ca.clone(), &by_name).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Http, "{e}");
    assert!(
        e.report()
            .to_string()
            .to_lowercase()
            .contains("certificate"),
        "{e}"
    );
    assert_eq!(server.served(), 0);
    assert_eq!(get(right_ca, &url).unwrap(), 200);
}

#[test]
fn the_ca_is_per_provider() {
    needs!(Openssl);
    let pki = TestPki::new("c", "IP:127.0.0.1");
    let server = TlsServer::start(&pki, CLAIMS);
    let config = |http: HttpConfig| {
        let mut c = OAuth2Config::new(
            "internal",
            "client",
            server.url("/authorize"),
            server.url("/token"),
        );
        c.userinfo_url = Some(server.url("/userinfo"));
        c.http = http;
        OAuthProvider::oauth2(c).unwrap()
    };
    let trusting = config(HttpConfig::default().ca_file(pki.ca_file()).unwrap());
    let default = config(HttpConfig::default());
    assert_eq!(
        trusting
            .get_userinfo(&UserinfoRequest::new("at"))
            .unwrap()
            .unwrap()
            .sub
            .unwrap(),
        "alice"
    );
    let e = default
        .get_userinfo(&UserinfoRequest::new("at"))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Http, "{e}");
    assert_eq!(server.served(), 1);
}

fn settings(server: &TlsServer, extra: &[(&str, String)]) -> oauthkit::Result<ProviderSettings> {
    let mut vars = vec![
        ("OAUTHKIT_PROVIDER", "custom".to_owned()),
        ("OAUTHKIT_CLIENT_ID", "client".to_owned()),
        ("OAUTHKIT_AUTHORIZE_URL", server.url("/authorize")),
        ("OAUTHKIT_TOKEN_URL", server.url("/token")),
        ("OAUTHKIT_USERINFO_URL", server.url("/userinfo")),
    ];
    vars.extend(extra.iter().cloned());
    ProviderSettings::from_lookup(|k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone()))
}

#[test]
fn settings_and_environment_names_configure_the_ca() {
    needs!(Openssl);
    let pki = TestPki::new("d", "IP:127.0.0.1");
    let server = TlsServer::start(&pki, CLAIMS);
    let ca_file = pki.ca_file().display().to_string();
    let ca_pem = String::from_utf8(pki.ca_pem()).unwrap();

    let plain = settings(&server, &[]).unwrap().build().unwrap();
    assert_eq!(
        plain
            .get_userinfo(&UserinfoRequest::new("at"))
            .unwrap_err()
            .kind(),
        ErrorKind::Http
    );

    let s = settings(&server, &[("OAUTHKIT_CA_FILE", ca_file.clone())]).unwrap();
    assert_eq!(s.ca_file.as_deref(), Some(pki.ca_file().as_path()));
    assert_eq!(
        s.build()
            .unwrap()
            .get_userinfo(&UserinfoRequest::new("at"))
            .unwrap()
            .unwrap()
            .sub
            .unwrap(),
        "alice"
    );

    let s = settings(
        &server,
        &[
            ("OAUTHKIT_CA_PEM", ca_pem),
            ("OAUTHKIT_TRUST_STORE", "none".into()),
        ],
    )
    .unwrap();
    assert_eq!(s.trust_store, Some(TrustStore::None));
    assert_eq!(
        s.build()
            .unwrap()
            .get_userinfo(&UserinfoRequest::new("at"))
            .unwrap()
            .unwrap()
            .sub
            .unwrap(),
        "alice"
    );

    // trust store "none" without a bundle: refused before any I/O, saying why
    let s = settings(&server, &[("OAUTHKIT_TRUST_STORE", "none".into())]).unwrap();
    let before = server.served() + server.failed();
    let e = s
        .build()
        .unwrap()
        .get_userinfo(&UserinfoRequest::new("at"))
        .unwrap_err();
    assert!(e.to_string().contains("no trusted root"), "{e}");
    assert_eq!(server.served() + server.failed(), before);

    // bad values are named
    let e = settings(&server, &[("OAUTHKIT_TRUST_STORE", "all".into())]).unwrap_err();
    assert!(e.to_string().contains("OAUTHKIT_TRUST_STORE"), "{e}");
    let junk = write_file(pki.dir.path(), "junk.pem", b"not a certificate");
    let e = settings(&server, &[("OAUTHKIT_CA_FILE", junk.display().to_string())])
        .unwrap()
        .build()
        .err()
        .unwrap();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.to_string().contains("OAUTHKIT_CA_FILE"), "{e}");
    let e = settings(
        &server,
        &[("OAUTHKIT_CA_FILE", "/nonexistent/ca.pem".into())],
    )
    .unwrap()
    .build()
    .err()
    .unwrap();
    assert_eq!(e.kind(), ErrorKind::Io);
    assert!(e.to_string().contains("/nonexistent/ca.pem"), "{e}");

    // a preset takes the CA too (its HTTP settings are the same struct)
    let mut g = ProviderSettings::new(ProviderKind::Google, "g");
    g.ca_file = Some(pki.ca_file());
    assert!(g.build().is_ok());
    let _ = ca_file;
}

#[test]
fn a_bundle_with_keys_and_several_certificates_keeps_only_the_certificates() {
    needs!(Openssl);
    let a = TestPki::new("e1", "IP:127.0.0.1");
    let b = TestPki::new("e2", "IP:127.0.0.1");
    let mut bundle = b.ca_pem();
    bundle.extend(std::fs::read(a.dir.path().join("server.key")).unwrap());
    bundle.extend(a.ca_pem());
    let trust = TlsTrust::new(TrustStore::None).ca_pem(&bundle).unwrap();
    assert_eq!(trust.extra_ca_count(), 2);
    let server = TlsServer::start(&a, CLAIMS);
    let http = HttpConfig {
        tls: trust,
        ..HttpConfig::default()
    };
    assert_eq!(get(http, &server.url("/x")).unwrap(), 200);
}

#[cfg(feature = "capi")]
mod from_c {
    use super::*;
    use oauthkit::capi::provider::{oak_provider_free, oak_provider_userinfo};
    use oauthkit::capi::provider_settings::oak_provider_from_settings;
    use oauthkit::capi::strings::{oak_last_error_message, oak_string_free};
    use oauthkit::capi::OakStatus;
    use std::ffi::{c_char, CStr, CString};
    use std::ptr;

    fn from_settings(pairs: &[(&str, &str)]) -> (OakStatus, *mut oauthkit::capi::OakProvider) {
        let names: Vec<CString> = pairs
            .iter()
            .map(|(n, _)| CString::new(*n).unwrap())
            .collect();
        let values: Vec<CString> = pairs
            .iter()
            .map(|(_, v)| CString::new(*v).unwrap())
            .collect();
        let np: Vec<*const c_char> = names.iter().map(|c| c.as_ptr()).collect();
        let vp: Vec<*const c_char> = values.iter().map(|c| c.as_ptr()).collect();
        let mut out = ptr::null_mut();
        let status =
            unsafe { oak_provider_from_settings(np.as_ptr(), vp.as_ptr(), np.len(), &mut out) };
        (status, out)
    }

    fn last_error() -> String {
        unsafe { CStr::from_ptr(oak_last_error_message()) }
            .to_string_lossy()
            .into_owned()
    }

    fn userinfo(p: *mut oauthkit::capi::OakProvider) -> OakStatus {
        let mut json = ptr::null_mut();
        let status = unsafe { oak_provider_userinfo(p, c"at".as_ptr(), &mut json) };
        unsafe { oak_string_free(json) };
        status
    }

    #[test]
    fn a_c_provider_gets_its_own_ca() {
        needs!(Openssl);
        let pki = TestPki::new("f", "IP:127.0.0.1");
        let server = TlsServer::start(&pki, CLAIMS);
        let (a, t, u) = (
            server.url("/authorize"),
            server.url("/token"),
            server.url("/userinfo"),
        );
        let ca = pki.ca_file().display().to_string();
        let base = [
            ("OAUTHKIT_PROVIDER", "custom"),
            ("OAUTHKIT_CLIENT_ID", "client"),
            ("OAUTHKIT_AUTHORIZE_URL", a.as_str()),
            ("OAUTHKIT_TOKEN_URL", t.as_str()),
            ("OAUTHKIT_USERINFO_URL", u.as_str()),
        ];
        let (status, plain) = from_settings(&base);
        assert_eq!(status, OakStatus::OAK_OK, "{}", last_error());
        assert_eq!(userinfo(plain), OakStatus::OAK_ERR_HTTP);
        unsafe { oak_provider_free(plain) };

        let mut with_ca = base.to_vec();
        with_ca.push(("OAUTHKIT_CA_FILE", ca.as_str()));
        let (status, trusting) = from_settings(&with_ca);
        assert_eq!(status, OakStatus::OAK_OK, "{}", last_error());
        assert_eq!(userinfo(trusting), OakStatus::OAK_OK, "{}", last_error());
        unsafe { oak_provider_free(trusting) };
        assert_eq!(server.served(), 1);

        // unknown and repeated names, and NULL arrays, are refused
        let mut typo = base.to_vec();
        typo.push(("OAUTHKIT_CA_FIEL", ca.as_str()));
        let (status, p) = from_settings(&typo);
        assert_eq!(
            (status, p.is_null()),
            (OakStatus::OAK_ERR_INVALID_ARGUMENT, true)
        );
        assert!(
            last_error().contains("OAUTHKIT_CA_FIEL"),
            "{}",
            last_error()
        );
        let mut twice = base.to_vec();
        twice.push(("OAUTHKIT_CLIENT_ID", "again"));
        assert_eq!(from_settings(&twice).0, OakStatus::OAK_ERR_INVALID_ARGUMENT);
        let mut out = ptr::null_mut();
        let status = unsafe { oak_provider_from_settings(ptr::null(), ptr::null(), 2, &mut out) };
        assert_eq!(status, OakStatus::OAK_ERR_INVALID_ARGUMENT);
        let mut bad = base.to_vec();
        bad.push(("OAUTHKIT_CA_FILE", "/nonexistent/ca.pem"));
        assert_eq!(from_settings(&bad).0, OakStatus::OAK_ERR_IO);
    }
}
