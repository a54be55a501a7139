//! `cargo fuzz run policy`: see `customs_filter::fuzzing::policy` for the invariants.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| customs_filter::fuzzing::policy(data));
