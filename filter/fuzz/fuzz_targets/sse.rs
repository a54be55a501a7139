//! `cargo fuzz run sse`: see `customs_filter::fuzzing::sse` for the invariants.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| customs_filter::fuzzing::sse(data));
