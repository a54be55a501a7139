//! tags (in progress)
