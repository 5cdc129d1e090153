//! JWKS keys too weak to trust, or of a kind oauthkit does not verify
//! with, are refused by name (issue 10, item 4): the error says why ("RSA
//! key of 1024 bits is too weak"), not "the signature does not verify".
//! Keys are generated for real with the openssl command line (RSA 1024,
//! 1536 and 2047 bits with tokens signed by them, P-521, secp256k1 and
//! Ed448 keys); a few impossible ones (an 8200-bit modulus, exponents 1 and
//! 2) are built by hand around a real modulus. Usable keys in the same set
//! keep working.

use crate::support::mock_http;
use crate::support::test_jwt;

use std::path::{Path, PathBuf};
use std::process::Command;

use oauthkit::provider::{OAuthProvider, OidcConfig};
use oauthkit::ErrorKind;
use serde_json::{json, Value};

use mock_http::MockServer;
use test_jwt::{b64, claims, discovery, keys, signing_input};

const CLIENT: &str = "client-1";

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!(
            "oak-jwks-{tag}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    fn path(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs openssl; a missing openssl fails the test saying how to get it.
fn openssl(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("the openssl command is needed (apt-get install openssl): {e}"));
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// A real RSA key of `bits` made by openssl.
struct OpensslRsa {
    dir: TempDir,
    n: Vec<u8>,
}

impl OpensslRsa {
    fn generate(bits: u32) -> OpensslRsa {
        let dir = TempDir::new(&format!("rsa{bits}"));
        openssl(&dir.0, &["genrsa", "-out", "k.pem", &bits.to_string()]);
        let m = String::from_utf8(openssl(
            &dir.0,
            &["rsa", "-in", "k.pem", "-noout", "-modulus"],
        ))
        .unwrap();
        let n = hex(m.trim().trim_start_matches("Modulus="));
        OpensslRsa { dir, n }
    }

    fn jwk(&self, kid: &str) -> Value {
        json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": b64(&self.n), "e": "AQAB"})
    }

    /// An RS256 token signed by openssl with this key.
    fn sign(&self, header: &Value, claims: &Value) -> String {
        let input = signing_input(header, claims);
        std::fs::write(self.dir.path("in.txt"), &input).unwrap();
        openssl(
            &self.dir.0,
            &[
                "dgst", "-sha256", "-sign", "k.pem", "-out", "sig.bin", "in.txt",
            ],
        );
        let sig = std::fs::read(self.dir.path("sig.bin")).unwrap();
        format!("{input}.{}", b64(&sig))
    }
}

/// The raw public key of a real EC or OKP key made by openssl: the last
/// `len` bytes of its SubjectPublicKeyInfo.
fn openssl_public(gen: &[&str], len: usize) -> Vec<u8> {
    let dir = TempDir::new("pub");
    openssl(&dir.0, gen);
    let der = openssl(
        &dir.0,
        &["pkey", "-in", "k.pem", "-pubout", "-outform", "DER"],
    );
    der[der.len() - len..].to_vec()
}

fn ec_jwk(curve_openssl: &str, crv: &str, coord: usize, kid: &str) -> Value {
    let p = openssl_public(
        &[
            "ecparam",
            "-name",
            curve_openssl,
            "-genkey",
            "-noout",
            "-out",
            "k.pem",
        ],
        1 + 2 * coord,
    );
    assert_eq!(p[0], 4, "uncompressed point");
    json!({"kty": "EC", "use": "sig", "crv": crv, "kid": kid,
           "x": b64(&p[1..1 + coord]), "y": b64(&p[1 + coord..])})
}

fn idp(keys_published: Vec<Value>) -> (MockServer, OAuthProvider) {
    let server = MockServer::start();
    let mut d = discovery(server.base());
    d["id_token_signing_alg_values_supported"] = json!(["RS256", "ES256", "ES384", "EdDSA"]);
    server.json("/.well-known/openid-configuration", 200, &d);
    server.json("/jwks", 200, &json!({ "keys": keys_published }));
    let p = OAuthProvider::oidc(OidcConfig::new(server.base(), CLIENT)).unwrap();
    (server, p)
}

#[track_caller]
fn assert_refused(p: &OAuthProvider, token: &str, words: &[&str]) {
    let e = p
        .validate_id_token(token, None, None)
        .expect_err("a weak key must be refused");
    assert_eq!(e.kind(), ErrorKind::IdToken, "{e}");
    let m = e.to_string();
    for w in words {
        assert!(m.contains(w), "the error should say '{w}': {m}");
    }
    assert!(!m.contains("does not verify"), "{m}");
}

#[test]
fn real_rsa_keys_below_2048_bits_are_refused_by_name() {
    needs!(Openssl);
    for bits in [1024u32, 1536, 2047] {
        let weak = OpensslRsa::generate(bits);
        let (server, p) = idp(vec![weak.jwk("weak"), keys()[0].jwk()]);
        let c = claims(server.base(), CLIENT);
        let token = weak.sign(&json!({"alg": "RS256", "kid": "weak"}), &c);
        assert_refused(&p, &token, &["weak", &format!("{bits} bits"), "2048"]);
        // the strong key of the same set still verifies
        p.validate_id_token(&keys()[0].sign(&c), None, None)
            .expect("the 2048-bit key works");
        // a token without kid: the weak key is no candidate, so the one
        // strong key is used, and the weak signature does not verify
        let no_kid = weak.sign(&json!({"alg": "RS256"}), &c);
        let e = p.validate_id_token(&no_kid, None, None).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::IdToken);
        // with the weak key alone, a kid-less token names it too
        let (server, p) = idp(vec![weak.jwk("weak")]);
        let no_kid = weak.sign(&json!({"alg": "RS256"}), &claims(server.base(), CLIENT));
        assert_refused(&p, &no_kid, &[&format!("{bits} bits"), "too weak"]);
    }
}

#[test]
fn unusable_rsa_parameters_are_refused_by_name() {
    needs!(Openssl);
    let n = keys()[1].n();
    let mut huge = vec![0xffu8; 8200 / 8 + 1];
    huge[0] = 0x01;
    let (server, p) = idp(vec![
        json!({"kty": "RSA", "kid": "huge", "n": b64(&huge), "e": "AQAB"}),
        json!({"kty": "RSA", "kid": "e1", "n": b64(&n), "e": b64(&[1])}),
        json!({"kty": "RSA", "kid": "e2", "n": b64(&n), "e": b64(&[2])}),
        json!({"kty": "RSA", "kid": "e-even", "n": b64(&n), "e": b64(&[1, 0, 0])}),
        json!({"kty": "RSA", "kid": "no-n", "e": "AQAB"}),
        json!({"kty": "RSA", "kid": "bad-alg", "alg": "RS1", "n": b64(&n), "e": "AQAB"}),
        json!({"kty": "RSA", "kid": "hs-alg", "alg": "HS256", "n": b64(&n), "e": "AQAB"}),
        json!({"kty": "RSA", "kid": "es-alg", "alg": "ES256", "n": b64(&n), "e": "AQAB"}),
    ]);
    let c = claims(server.base(), CLIENT);
    let sign = |kid: &str| keys()[1].sign_with_header(&json!({"alg": "RS256", "kid": kid}), &c);
    assert_refused(&p, &sign("huge"), &["8201 bits", "8192"]);
    for kid in ["e1", "e2", "e-even"] {
        assert_refused(&p, &sign(kid), &[kid, "exponent"]);
    }
    assert_refused(&p, &sign("no-n"), &["'n'"]);
    assert_refused(&p, &sign("bad-alg"), &["RS1", "not a supported"]);
    assert_refused(&p, &sign("hs-alg"), &["HS256"]);
    assert_refused(&p, &sign("es-alg"), &["ES256", "RSA"]);
}

#[test]
fn unsupported_curves_and_key_types_are_refused_by_name() {
    needs!(Openssl);
    let p521 = ec_jwk("secp521r1", "P-521", 66, "p521");
    let k1 = ec_jwk("secp256k1", "secp256k1", 32, "k1");
    let p384 = ec_jwk("secp384r1", "P-384", 48, "p384");
    let ed448 = json!({"kty": "OKP", "crv": "Ed448", "kid": "ed448",
        "x": b64(&openssl_public(&["genpkey", "-algorithm", "ed448", "-out", "k.pem"], 57))});
    let x448 = json!({"kty": "OKP", "crv": "X448", "kid": "x448", "x": b64(&[7u8; 56])});
    let (server, p) = idp(vec![
        p521,
        k1,
        p384,
        ed448,
        x448,
        json!({"kty": "oct", "kid": "oct", "k": b64(b"0123456789abcdef0123456789abcdef")}),
        json!({"kty": "foo", "kid": "foo"}),
        json!({"kid": "no-kty", "n": "AQAB"}),
        json!({"kty": "EC", "kid": "no-crv", "x": "AA", "y": "AA"}),
        json!({"kty": "EC", "crv": "P-256", "kid": "short", "x": b64(&[1; 31]), "y": b64(&[1; 32])}),
    ]);
    let c = claims(server.base(), CLIENT);
    // the signature is never looked at: the key is refused first
    let token = |alg: &str, kid: &str| {
        format!(
            "{}.{}",
            signing_input(&json!({"alg": alg, "kid": kid}), &c),
            b64(&[0u8; 64])
        )
    };
    assert_refused(&p, &token("ES256", "p521"), &["P-521", "not supported"]);
    assert_refused(&p, &token("ES256", "k1"), &["secp256k1", "not supported"]);
    assert_refused(&p, &token("ES256", "p384"), &["p384", "P-384", "ES256"]);
    assert_refused(&p, &token("EdDSA", "ed448"), &["Ed448", "not supported"]);
    assert_refused(&p, &token("EdDSA", "x448"), &["X448"]);
    assert_refused(&p, &token("RS256", "oct"), &["symmetric"]);
    assert_refused(&p, &token("RS256", "foo"), &["'foo'", "not supported"]);
    assert_refused(&p, &token("RS256", "no-kty"), &["kty"]);
    assert_refused(&p, &token("ES256", "no-crv"), &["crv"]);
    assert_refused(&p, &token("ES256", "short"), &["coordinates"]);
    // ES512 (P-521) and ES256K (secp256k1) tokens are refused by alg
    for alg in ["ES512", "ES256K"] {
        assert_refused(&p, &token(alg, "p521"), &[alg]);
    }
    // a token without kid, when only refused keys could serve, names them
    let e = p
        .validate_id_token(
            &format!(
                "{}.{}",
                signing_input(&json!({"alg": "ES256"}), &c),
                b64(&[0u8; 64])
            ),
            None,
            None,
        )
        .unwrap_err();
    assert!(e.to_string().contains("P-521"), "{e}");
}

#[test]
fn encryption_keys_are_ignored_not_refused() {
    let (server, p) = idp(vec![
        json!({"kty": "RSA", "use": "enc", "kid": "enc", "n": b64(&[1u8; 64]), "e": "AQAB"}),
        json!({"kty": "RSA", "key_ops": ["encrypt"], "kid": "ops", "n": b64(&[1u8; 64]), "e": "AQAB"}),
        keys()[0].jwk(),
    ]);
    let c = claims(server.base(), CLIENT);
    // without kid the one signing key is chosen: enc keys are no candidates
    let t = keys()[0].sign_with_header(&json!({"alg": "RS256"}), &c);
    p.validate_id_token(&t, None, None)
        .expect("signing key used");
    let t = keys()[0].sign_with_header(&json!({"alg": "RS256", "kid": "enc"}), &c);
    let e = p.validate_id_token(&t, None, None).unwrap_err();
    assert!(e.to_string().contains("unknown signing key"), "{e}");
}
