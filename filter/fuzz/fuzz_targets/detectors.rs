//! `cargo fuzz run detectors`: see `customs_filter::fuzzing::detectors` for the invariants.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| customs_filter::fuzzing::detectors(data));
