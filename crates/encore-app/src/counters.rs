//! What the use cases count, for the server's metrics: a trait the server's registry
//! implements, so no use case knows how figures are exposed.

/// Counts the use cases report as they work.
pub trait Counters: Send + Sync {
    /// `rows` deleted from `table` by retention.
    fn pruned(&self, table: &'static str, rows: u64);
}

/// Counts nothing (tools and tests that run a use case without a server).
pub struct NoCounters;

impl Counters for NoCounters {
    fn pruned(&self, _: &'static str, _: u64) {}
}
