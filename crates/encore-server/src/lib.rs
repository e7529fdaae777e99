//! Encore server.
