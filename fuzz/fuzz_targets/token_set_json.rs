#![no_main]
//! Fuzz target `token_set_json`: see `oauthkit_fuzz::token_set_json` (fuzz/src/).
libfuzzer_sys::fuzz_target!(|data: &[u8]| oauthkit_fuzz::token_set_json(data));
