//! redact (in progress)
