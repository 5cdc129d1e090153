//! `private_key_jwt` client assertions per second (claims, fresh `jti`,
//! JSON, base64url, signature): what every client-authenticating request
//! adds. ES256, PS256 and RS256 (2048-bit) and EdDSA keys, beside the bare
//! aws-lc-rs signature of the same algorithm, which is the primitive
//! `openssl speed -elapsed ecdsap256` / `rsa2048` measures as "sign/s".
//!
//! `cargo bench --bench client_assertion -- --warm-up-time 1 --measurement-time 3`;
//! numbers in docs/providers.md.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use oauthkit::provider::{SigningAlgorithm, SigningKey};
use oauthkit::unversioned::provider::client_assertion::PrivateKeyJwt;

fn assertions(c: &mut Criterion) {
    for alg in [
        SigningAlgorithm::ES256,
        SigningAlgorithm::EdDSA,
        SigningAlgorithm::PS256,
        SigningAlgorithm::RS256,
    ] {
        let key = SigningKey::generate(alg).unwrap().with_kid("bench");
        let pkjwt = PrivateKeyJwt::new(key.clone());
        c.bench_function(&format!("client assertion {alg}"), |b| {
            b.iter(|| {
                black_box(
                    pkjwt
                        .assertion(black_box("bench-client"), "https://issuer.example")
                        .unwrap(),
                )
            })
        });
        let message = [7u8; 200];
        c.bench_function(&format!("bare signature {alg}"), |b| {
            b.iter(|| black_box(key.sign(black_box(&message)).unwrap()))
        });
    }
}

criterion_group!(benches, assertions);
criterion_main!(benches);
