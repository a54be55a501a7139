//! limits (in progress)
