//! Runs the offer Function: a trait for the server, backed by encore-host's Wasm runtime.
//!
//! `run` is synchronous and CPU-bound; the API calls it behind a semaphore sized to the
//! machine's cores, on the request's own thread for inputs within Shopify's unscaled limits and
//! on tokio's blocking pool for larger ones (see `offer::run_function`).

use serde_json::Value;

use crate::input::FunctionInput;

/// The result of one Function run, as the server needs it.
#[derive(Debug, Clone)]
pub enum RunOutcome {
    /// The Function's `FunctionRunResult` JSON.
    Output(Value),
    /// The Function failed or went over a limit; `code` is a reason code, `detail` words.
    Failed { code: &'static str, detail: String },
}

/// Something that can run the offer Function on an input.
pub trait OfferRunner: Send + Sync + 'static {
    fn run(&self, input: &FunctionInput) -> RunOutcome;
    /// A run and the instructions it executed, for runners that count them (the metrics).
    fn run_counted(&self, input: &FunctionInput) -> (RunOutcome, Option<u64>) {
        (self.run(input), None)
    }
    /// What is being run, for logs and /readyz.
    fn describe(&self) -> String;
}

/// The schema and query the Function is built against (limits scale with the input).
pub const SCHEMA_SDL: &str = include_str!("../../../schema.graphql");
pub const INPUT_QUERY: &str = include_str!("../../../input.graphql");
