#![no_main]
//! Fuzz target `paste_url`: see `oauthkit_fuzz::paste_url` (fuzz/src/).
libfuzzer_sys::fuzz_target!(|data: &[u8]| oauthkit_fuzz::paste_url(data));
