//! What the use cases count, for the server's metrics: a trait the server's registry
//! implements, so no use case knows how figures are exposed.

/// What one decision of the offer Function came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FunctionOutcome {
    Offer,
    NoOffer,
    /// The run or its output failed with this reason code; no offer was answered.
    Failed {
        code: &'static str,
    },
}

/// Counts the use cases report as they work.
pub trait Counters: Send + Sync {
    /// One decision of the offer Function, with the instructions its run executed when the
    /// runner counted them.
    fn function_decided(&self, outcome: FunctionOutcome, instructions: Option<u64>);
    /// `rows` deleted from `table` by retention.
    fn pruned(&self, table: &'static str, rows: u64);
}
