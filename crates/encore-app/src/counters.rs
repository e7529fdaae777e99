//! What the use cases count, for the server's metrics: a trait the server's registry
//! implements, so no use case knows how figures are exposed.

use crate::offer::Decided;

/// Counts the use cases report as they work.
pub trait Counters: Send + Sync {
    /// One decision of the offer Function, with the instructions its run executed when the
    /// runner counted them.
    fn function_decided(&self, decided: &Decided, instructions: Option<u64>);

    /// `rows` deleted from `table` by retention.
    fn pruned(&self, table: &'static str, rows: u64);
}
