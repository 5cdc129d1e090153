#![no_main]
//! Fuzz target `callback_http`: see `oauthkit_fuzz::callback_http` (fuzz/src/).
libfuzzer_sys::fuzz_target!(|data: &[u8]| oauthkit_fuzz::callback_http(data));
