#![no_main]
//! Fuzz target `token_endpoint`: see `oauthkit::__fuzz::token_endpoint` (src/fuzzing/).
libfuzzer_sys::fuzz_target!(|data: &[u8]| oauthkit::__fuzz::token_endpoint(data));
