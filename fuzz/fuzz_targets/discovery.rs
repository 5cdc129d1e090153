#![no_main]
//! Fuzz target `discovery`: see `oauthkit_fuzz::discovery` (fuzz/src/).
libfuzzer_sys::fuzz_target!(|data: &[u8]| oauthkit_fuzz::discovery(data));
