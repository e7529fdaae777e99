//! The result of one Function run: function-runner's fields, our limits, and typed errors.

use crate::Limits;
use serde_json::{json, Value};
use std::fmt;

/// Why a run failed. `Display` starts with the name Shopify gives the failure.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RunError {
    /// The export executed more instructions than allowed; it was stopped.
    #[error(
        "InstructionCountLimitExceededError: the Function executed {instructions} instructions, \
         over the limit of {limit}"
    )]
    InstructionCountLimitExceeded { instructions: u64, limit: u64 },

    /// The MessagePack-encoded input is larger than allowed; the Function was not run.
    #[error(
        "InputSizeLimitExceededError: the input is {size} B as MessagePack, over the limit of \
         {limit} B; the Function was not run"
    )]
    InputSizeLimitExceeded { size: usize, limit: usize },

    /// The MessagePack-encoded output is larger than allowed.
    #[error("OutputSizeLimitExceededError: the output is {size} B as MessagePack, over the limit of {limit} B")]
    OutputSizeLimitExceeded { size: usize, limit: usize },

    /// A linear memory tried to grow beyond the limit (growth was refused).
    #[error(
        "MemoryLimitExceededError: a linear memory tried to grow to {requested} B, over the \
         limit of {limit} B"
    )]
    MemoryLimitExceeded { requested: usize, limit: usize },

    /// The run took longer than the host's wall-clock limit (see `RUN_TIME_LIMIT`).
    #[error(
        "TimeoutError: the Function ran longer than {limit_ms} ms (bulk memory operations \
         cost one instruction whatever their length, so only the clock stopped it)"
    )]
    Timeout { limit_ms: u64 },

    /// The guest trapped (a Rust panic aborts with `unreachable`), or the provider did.
    #[error("RunTimeError: {message}")]
    Trap { message: String },

    /// The module has no callable export of that name.
    #[error(
        "RunTimeError: the module has no export `{export}` that is a function without \
         parameters or results (it exports: {})",
        if available.is_empty() { "none".to_string() } else { available.join(", ") }
    )]
    ExportNotFound {
        export: String,
        available: Vec<String>,
    },

    /// The Function finished but its output is not valid MessagePack (or it wrote none).
    #[error("InvalidOutputError: {message}")]
    InvalidOutput { message: String },

    /// The host could not instantiate the provider and module, or read the provider's state.
    #[error("RunTimeError: host failure: {message}")]
    Host { message: String },
}

/// Everything about one run. `size` and `memory_usage` are KiB (bytes / 1024, rounded down),
/// as function-runner reports them; `input_bytes` and `output_bytes` are MessagePack bytes.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// The module's name (file name for the CLI).
    pub name: String,
    /// Size of the module as given (before the trampoline), KiB.
    pub size: usize,
    /// Peak size of the largest linear memory (guest or provider), KiB.
    pub memory_usage: u64,
    /// Instructions executed by the export call, function-runner's accounting.
    pub instructions: u64,
    /// The Function's logs, at most `limits.log_bytes` (the newest bytes are kept).
    pub logs: String,
    /// Whether logs were cut to `limits.log_bytes`.
    pub logs_truncated: bool,
    /// Input size as MessagePack.
    pub input_bytes: usize,
    /// Output size as MessagePack (0 when the run failed before finishing).
    pub output_bytes: usize,
    /// The output decoded to JSON (present when it could be decoded, even if over a limit).
    pub output: Option<Value>,
    /// No error: within every limit, no trap, valid output.
    pub success: bool,
    /// The first failure, if any.
    pub error: Option<RunError>,
    /// The limits the run was held to.
    pub limits: Limits,
}

impl RunReport {
    /// function-runner's `--json` object: `name, size, memory_usage, instructions, logs,
    /// input, output, success`, plus `error` (null on success).
    pub fn to_json(&self, input: &Value) -> Value {
        json!({
            "name": self.name,
            "size": self.size,
            "memory_usage": self.memory_usage,
            "instructions": self.instructions,
            "logs": self.logs,
            "input": input,
            "output": self.output,
            "success": self.success,
            "error": self.error.as_ref().map(ToString::to_string),
        })
    }
}

impl fmt::Display for RunReport {
    /// A human-readable summary: status, logs, output, then each limit with used and allowed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Function: {} ({} KiB)", self.name, self.size)?;
        match &self.error {
            None => writeln!(f, "Result: success")?,
            Some(e) => writeln!(f, "Result: FAILED\n{e}")?,
        }
        writeln!(f, "\n----- Logs ({} B) -----", self.logs.len())?;
        if !self.logs.is_empty() {
            writeln!(f, "{}", self.logs)?;
        }
        if self.logs_truncated {
            writeln!(
                f,
                "(logs truncated to the newest {} B, as in production)",
                self.limits.log_bytes
            )?;
        }
        writeln!(f, "\n----- Output -----")?;
        match &self.output {
            Some(output) => writeln!(
                f,
                "{}",
                serde_json::to_string_pretty(output).unwrap_or_else(|e| e.to_string())
            )?,
            None => writeln!(f, "(none)")?,
        }
        let l = &self.limits;
        let rows = [
            (
                "Instructions",
                self.instructions.to_string(),
                l.instructions.to_string(),
                self.instructions > l.instructions,
            ),
            (
                "Input",
                format!("{} B", self.input_bytes),
                format!("{} B", l.input_bytes),
                self.input_bytes > l.input_bytes,
            ),
            (
                "Output",
                format!("{} B", self.output_bytes),
                format!("{} B", l.output_bytes),
                self.output_bytes > l.output_bytes,
            ),
            (
                "Linear memory",
                format!("{} KiB", self.memory_usage),
                format!("{} KiB", l.memory_bytes / 1024),
                self.memory_usage as usize * 1024 > l.memory_bytes,
            ),
            (
                "Logs",
                format!("{} B", self.logs.len()),
                format!("{} B", l.log_bytes),
                self.logs_truncated,
            ),
        ];
        writeln!(f, "\n----- Limits -----")?;
        writeln!(f, "{:<14} {:>14} {:>14}", "", "used", "allowed")?;
        for (name, used, allowed, over) in rows {
            let flag = if over { "  OVER LIMIT" } else { "" };
            writeln!(f, "{name:<14} {used:>14} {allowed:>14}{flag}")?;
        }
        Ok(())
    }
}
