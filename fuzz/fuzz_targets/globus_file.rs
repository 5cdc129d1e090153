#![no_main]
//! Fuzz target `globus_file`: see `oauthkit::__fuzz::globus_file` (src/fuzzing/).
libfuzzer_sys::fuzz_target!(|data: &[u8]| oauthkit::__fuzz::globus_file(data));
