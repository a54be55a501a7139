//! The provider APIs customs knows: route shapes, error envelopes, usage and
//! streaming formats.

pub mod errors;
pub mod ratelimit;
mod route;
pub mod sse;
pub mod usage;

pub use errors::{ErrorReply, Provider};
pub use route::{recognize, Route, Shape};
