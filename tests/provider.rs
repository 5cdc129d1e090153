//! Test binary `provider`: talking to authorization servers: HTTP, TLS, ID tokens, JWKS, presets,
//! DPoP, PAR, private_key_jwt, token exchange, secrets in answers, and the
//! development provider's DPoP.
//!
//! One binary per part of the library (docs/ARCHITECTURE.md, "Tests"): this
//! file declares the shared helpers (`tests/support/`, reached as
//! `crate::support`) and the part's test modules, one file each in
//! `tests/provider/`.

#[macro_use]
extern crate oauthkit_test_support as support;

mod provider {
    mod client_settings;
    #[cfg(feature = "dev-provider")]
    mod dev_provider_dpop;
    mod dpop;
    mod dpop_oidc;
    mod fapi2;
    mod header_secrets;
    mod http;
    mod id_token;
    mod id_token_times;
    mod jwks_keys;
    mod offline_access;
    mod oidc;
    mod one_provider;
    mod par_expiry;
    mod par_pkjwt;
    mod presets;
    mod presets_idp;
    mod private_key_jwt;
    mod refresh_identity;
    mod resource;
    // secrets: a binary of its own (tests/provider_secrets_log.rs)
    mod tls;
    mod token_chars;
    mod token_exchange;
    mod token_type;
}
