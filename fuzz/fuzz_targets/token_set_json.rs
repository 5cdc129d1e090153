#![no_main]
//! Fuzz target `token_set_json`: see `oauthkit::__fuzz::token_set_json` (src/fuzzing/).
libfuzzer_sys::fuzz_target!(|data: &[u8]| oauthkit::__fuzz::token_set_json(data));
