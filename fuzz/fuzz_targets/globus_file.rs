#![no_main]
//! Fuzz target `globus_file`: see `oauthkit_fuzz::globus_file` (fuzz/src/).
libfuzzer_sys::fuzz_target!(|data: &[u8]| oauthkit_fuzz::globus_file(data));
