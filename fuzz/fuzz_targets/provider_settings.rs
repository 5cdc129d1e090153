#![no_main]
//! Fuzz target `provider_settings`: see `oauthkit::__fuzz::provider_settings` (src/fuzzing/).
libfuzzer_sys::fuzz_target!(|data: &[u8]| oauthkit::__fuzz::provider_settings(data));
