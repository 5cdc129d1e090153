//! `rediss://`: the Redis token store over TLS to a real redis-server with
//! a certificate from a throwaway CA.
#![cfg(feature = "redis")]

use crate::support;

use std::path::Path;
use std::process::Command;

use oauthkit::store::{RedisConfig, RedisStore};
use oauthkit::{ErrorKind, TokenSet, TokenStore};
use support::servers::{free_port, require, RedisServer};

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl runs (run scripts/setup-servers.sh)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA and a server certificate for 127.0.0.1 signed by it.
fn make_certs(dir: &Path) {
    require("openssl");
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509"];
    ca.extend(ec);
    ca.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=oauthkit test CA",
    ]);
    openssl(dir, &ca);
    let mut csr = vec!["req"];
    csr.extend(ec);
    csr.extend([
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    openssl(dir, &csr);
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ],
    );
}

fn tls_server() -> (RedisServer, u16, Vec<u8>, tempfile::TempDir) {
    let certs = tempfile::tempdir().unwrap();
    make_certs(certs.path());
    let tls_port = free_port();
    let p = |f: &str| certs.path().join(f).to_string_lossy().into_owned();
    let server = RedisServer::start_with(&[
        "--tls-port",
        &tls_port.to_string(),
        "--tls-cert-file",
        &p("server.pem"),
        "--tls-key-file",
        &p("server.key"),
        "--tls-ca-cert-file",
        &p("ca.pem"),
        "--tls-auth-clients",
        "no",
    ]);
    let ca = std::fs::read(certs.path().join("ca.pem")).unwrap();
    (server, tls_port, ca, certs)
}

#[test]
fn round_trip_over_tls_with_a_private_ca() {
    needs!(Redis, Openssl);
    let (server, tls_port, ca, _certs) = tls_server();
    let store = RedisStore::open(
        RedisConfig::new(format!("rediss://127.0.0.1:{tls_port}/0")).tls_root_cert(ca),
    )
    .unwrap();
    store
        .save(
            "alice",
            &TokenSet::bearer("over-tls").with_refresh_token("r"),
        )
        .unwrap();
    assert_eq!(
        store.load("alice").unwrap().unwrap().access_token.expose(),
        "over-tls"
    );
    assert_eq!(store.list_keys().unwrap(), vec!["alice"]);
    // Same data as seen through the plain port of the same server.
    assert_eq!(server.cli(&["EXISTS", "oauthkit:oauth:tokens:alice"]), "1");
}

#[test]
fn an_untrusted_certificate_is_refused() {
    needs!(Redis, Openssl);
    let (_server, tls_port, _ca, _certs) = tls_server();
    // System roots only: the throwaway CA is not among them.
    let store =
        RedisStore::open(RedisConfig::new(format!("rediss://127.0.0.1:{tls_port}/0"))).unwrap();
    let err = store
        .save("alice", &TokenSet::bearer("must-not-leak"))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(
        err.report().to_string().contains("certificate"),
        "{}",
        err.report()
    );
    assert!(!err.to_string().contains("must-not-leak"));
}

#[test]
fn factory_opens_rediss_specs() {
    needs!(Redis, Openssl);
    let (_server, tls_port, _ca, _certs) = tls_server();
    // Parsed and opened lazily; using it fails without the private CA.
    let store =
        oauthkit::store::open(&format!("rediss://127.0.0.1:{tls_port}/0?namespace=n")).unwrap();
    assert_eq!(store.backend(), "redis");
    assert_eq!(store.namespace(), "n");
    assert!(store.load("k").is_err());
}
