#![no_main]
//! Fuzz target `callback_http`: see `oauthkit::__fuzz::callback_http` (src/fuzzing/).
libfuzzer_sys::fuzz_target!(|data: &[u8]| oauthkit::__fuzz::callback_http(data));
