#![no_main]
//! Fuzz target `id_token`: see `oauthkit_fuzz::id_token` (fuzz/src/).
libfuzzer_sys::fuzz_target!(|data: &[u8]| oauthkit_fuzz::id_token(data));
