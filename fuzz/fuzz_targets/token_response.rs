#![no_main]
//! Fuzz target `token_response`: see `oauthkit_fuzz::token_response` (fuzz/src/).
libfuzzer_sys::fuzz_target!(|data: &[u8]| oauthkit_fuzz::token_response(data));
