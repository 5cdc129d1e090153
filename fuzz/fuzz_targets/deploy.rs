#![no_main]
//! Fuzz target `deploy`: see `oauthkit::__fuzz::deploy` (src/fuzzing/).
libfuzzer_sys::fuzz_target!(|data: &[u8]| oauthkit::__fuzz::deploy(data));
