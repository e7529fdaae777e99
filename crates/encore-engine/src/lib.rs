//! Encore offer engine.
