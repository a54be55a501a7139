//! `cargo fuzz run json_redact`: see `customs_filter::fuzzing::json_redact` for the invariants.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| customs_filter::fuzzing::json_redact(data));
