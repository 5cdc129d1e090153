#![no_main]
//! Fuzz target `token_endpoint`: see `oauthkit_fuzz::token_endpoint` (fuzz/src/).
libfuzzer_sys::fuzz_target!(|data: &[u8]| oauthkit_fuzz::token_endpoint(data));
