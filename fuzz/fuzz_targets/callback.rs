#![no_main]
//! Fuzz target `callback`: see `oauthkit::__fuzz::callback` (src/fuzzing/).
libfuzzer_sys::fuzz_target!(|data: &[u8]| oauthkit::__fuzz::callback(data));
