//! DPoP proof creation per second (RFC 9449): `ProofRequest::sign` with an
//! ES256 key, the resource-request shape (htu normalisation, fresh `jti`
//! from the CSPRNG, `ath`, `nonce`, JSON, base64url, ECDSA P-256), and the
//! token-request shape (no `ath`). For comparison, the bare ECDSA P-256
//! SHA-256 signature in aws-lc-rs over a message of a proof's size, the
//! primitive `openssl speed -elapsed ecdsap256` measures as "sign/s";
//! EdDSA proofs too.
//!
//! `cargo bench --bench dpop`; numbers in docs/dpop.md. After the
//! criterion groups, in the same run, `openssl speed -elapsed -seconds 3
//! ecdsap256` (skipped, saying so, when `openssl` is not installed).

use std::hint::black_box;
use std::time::Duration;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use criterion::Criterion;
use oauthkit::provider::SigningAlgorithm;
use oauthkit::unversioned::provider::dpop::ProofRequest;
use oauthkit::unversioned::provider::DpopKey;

const URL: &str = "https://api.example/v1/items?page=2";
const ACCESS_TOKEN: &str = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU";

fn dpop(c: &mut Criterion) {
    let key = DpopKey::generate(SigningAlgorithm::ES256).unwrap();
    let mut g = c.benchmark_group("dpop");
    g.bench_function("proof_es256_resource", |b| {
        b.iter(|| {
            ProofRequest::new("GET", black_box(URL))
                .access_token(ACCESS_TOKEN)
                .nonce(Some("eyJ7S_zG.eyJH0-Z.HX4w-7v"))
                .sign(&key)
                .unwrap()
        })
    });
    g.bench_function("proof_es256_token", |b| {
        b.iter(|| {
            ProofRequest::new("POST", black_box("https://as.example/token"))
                .sign(&key)
                .unwrap()
        })
    });
    let ed = DpopKey::generate(SigningAlgorithm::EdDSA).unwrap();
    g.bench_function("proof_eddsa_resource", |b| {
        b.iter(|| {
            ProofRequest::new("GET", black_box(URL))
                .access_token(ACCESS_TOKEN)
                .sign(&ed)
                .unwrap()
        })
    });
    // the bare primitive, over a message of a proof's length
    let rng = SystemRandom::new();
    let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let raw = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, doc.as_ref()).unwrap();
    let message = vec![b'a'; 420];
    g.bench_function("bare_ecdsa_p256_sign", |b| {
        b.iter(|| raw.sign(&rng, black_box(&message)).unwrap())
    });
    g.finish();
}

/// `openssl speed`'s ECDSA P-256 line (sign/s, verify/s), or why not.
fn openssl_speed() -> String {
    match std::process::Command::new("openssl")
        .args(["speed", "-elapsed", "-seconds", "3", "ecdsap256"])
        .output()
    {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| l.contains("sign/s") || l.contains("nistp256"))
            .map(str::trim)
            .collect::<Vec<_>>()
            .join("\n  "),
        Ok(out) => format!(
            "openssl speed failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => format!("openssl not run ({e}); install it for the reference"),
    }
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    dpop(&mut c);
    c.final_summary();
    println!(
        "\nopenssl speed -elapsed -seconds 3 ecdsap256 (same run):\n  {}",
        openssl_speed()
    );
}
