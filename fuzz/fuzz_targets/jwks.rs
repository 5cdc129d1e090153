#![no_main]
//! Fuzz target `jwks`: see `oauthkit_fuzz::jwks` (fuzz/src/).
libfuzzer_sys::fuzz_target!(|data: &[u8]| oauthkit_fuzz::jwks(data));
