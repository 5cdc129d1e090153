#![no_main]
//! Fuzz target `id_token`: see `oauthkit::__fuzz::id_token` (src/fuzzing/).
libfuzzer_sys::fuzz_target!(|data: &[u8]| oauthkit::__fuzz::id_token(data));
