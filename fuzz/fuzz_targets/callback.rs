#![no_main]
//! Fuzz target `callback`: see `oauthkit_fuzz::callback` (fuzz/src/).
libfuzzer_sys::fuzz_target!(|data: &[u8]| oauthkit_fuzz::callback(data));
