//! `cargo fuzz run stream_scan`: see `customs_filter::fuzzing::stream_scan` for the invariants.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| customs_filter::fuzzing::stream_scan(data));
