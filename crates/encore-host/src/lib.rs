//! Encore Function host.
