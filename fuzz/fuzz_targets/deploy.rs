#![no_main]
//! Fuzz target `deploy`: see `oauthkit_fuzz::deploy` (fuzz/src/).
libfuzzer_sys::fuzz_target!(|data: &[u8]| oauthkit_fuzz::deploy(data));
