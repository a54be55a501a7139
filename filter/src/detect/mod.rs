//! detect (in progress)
