#![no_main]
//! Fuzz target `store_spec`: see `oauthkit_fuzz::store_spec` (fuzz/src/).
libfuzzer_sys::fuzz_target!(|data: &[u8]| oauthkit_fuzz::store_spec(data));
