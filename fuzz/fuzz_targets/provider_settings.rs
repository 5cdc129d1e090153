#![no_main]
//! Fuzz target `provider_settings`: see `oauthkit_fuzz::provider_settings` (fuzz/src/).
libfuzzer_sys::fuzz_target!(|data: &[u8]| oauthkit_fuzz::provider_settings(data));
