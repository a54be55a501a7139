//! # customs
//!
//! A compliance filter for AI traffic that leaves a company's network, built as a
//! proxy-wasm module. Before a request crosses the border to a hosted model API it
//! enforces token limits, strips sensitive data and tags the request.
//!
//! The policy logic lives in plain Rust modules that know nothing of proxy-wasm
//! (`policy`, `api`, `detect`, `redact`, `limits`, `tags`, `engine`) and are tested
//! natively; `glue` is the thin layer that talks to the host, compiled for wasm only.

pub mod api;
pub mod detect;
pub mod engine;
// Fuzz target bodies, shared by `filter/fuzz` and the corpus replay test; never
// part of the .wasm, where a panic is a trap.
#[doc(hidden)]
#[cfg(not(target_arch = "wasm32"))]
pub mod fuzzing;
pub mod json;
pub mod keyed;
pub mod limits;
pub mod policy;
pub mod redact;
pub mod tags;

// Searches sixteen bytes at a time, and their portable form (the `.wasm` uses
// vector instructions instead).
mod chunks;
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod swar;

#[cfg(target_arch = "wasm32")]
mod glue;
