#![no_main]
//! Fuzz target `store_spec`: see `oauthkit::__fuzz::store_spec` (src/fuzzing/).
libfuzzer_sys::fuzz_target!(|data: &[u8]| oauthkit::__fuzz::store_spec(data));
