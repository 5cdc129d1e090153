#![no_main]
//! Fuzz target `jwks`: see `oauthkit::__fuzz::jwks` (src/fuzzing/).
libfuzzer_sys::fuzz_target!(|data: &[u8]| oauthkit::__fuzz::jwks(data));
