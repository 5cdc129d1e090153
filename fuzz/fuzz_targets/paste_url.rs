#![no_main]
//! Fuzz target `paste_url`: see `oauthkit::__fuzz::paste_url` (src/fuzzing/).
libfuzzer_sys::fuzz_target!(|data: &[u8]| oauthkit::__fuzz::paste_url(data));
