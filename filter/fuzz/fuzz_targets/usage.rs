//! `cargo fuzz run usage`: see `customs_filter::fuzzing::usage` for the invariants.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| customs_filter::fuzzing::usage(data));
