#![no_main]
//! Fuzz target `token_response`: see `oauthkit::__fuzz::token_response` (src/fuzzing/).
libfuzzer_sys::fuzz_target!(|data: &[u8]| oauthkit::__fuzz::token_response(data));
