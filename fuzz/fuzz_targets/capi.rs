#![no_main]
//! Fuzz target `capi`: see `oauthkit::__fuzz::capi` (src/fuzzing/).
libfuzzer_sys::fuzz_target!(|data: &[u8]| oauthkit::__fuzz::capi(data));
