#![no_main]
//! Fuzz target `discovery`: see `oauthkit::__fuzz::discovery` (src/fuzzing/).
libfuzzer_sys::fuzz_target!(|data: &[u8]| oauthkit::__fuzz::discovery(data));
