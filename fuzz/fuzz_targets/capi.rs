#![no_main]
//! Fuzz target `capi`: see `oauthkit_fuzz::capi` (fuzz/src/).
libfuzzer_sys::fuzz_target!(|data: &[u8]| oauthkit_fuzz::capi(data));
