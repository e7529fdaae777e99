//! The offer Function run by encore-host's Wasm runtime under Shopify's limits.
//!
//! The module is compiled once at startup; each run gets limits scaled by `@scaleLimits` for
//! its input, like Shopify does. A failed run (over a limit, a trap, bad output) becomes a
//! reason code the extension shows as "no offer", never an HTTP error.

use std::path::{Path, PathBuf};

use encore_host::{FunctionHost, FunctionModule, Limits, RunError, ScalePlan};

use crate::input::FunctionInput;
use crate::runner::{OfferRunner, RunOutcome, INPUT_QUERY, SCHEMA_SDL};

/// The Function's wasm (or the provider) could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("the offer Function wasm {path} cannot be read ({source}); build it with scripts/build-wasm.sh or set ENCORE_FUNCTION_WASM")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the Function provider wasm {path} cannot be read ({source}); build it with scripts/build-wasm.sh or set ENCORE_PROVIDER_WASM")]
    ReadProvider {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the Function host cannot load {path}: {message}")]
    Host { path: PathBuf, message: String },
    #[error("schema.graphql rates a list the server does not build (@scaleLimits on {0}); teach input.rs its length")]
    UnknownRatedList(String),
    #[error("the offer Function wasm {path} does not answer as this server reads it ({detail}): it was built from another version of Encore; rebuild it with scripts/build-wasm.sh")]
    OtherVersion { path: PathBuf, detail: String },
}

/// Where scripts/build-wasm.sh puts the artifacts (encore-host's rule).
pub fn default_artifact_dir() -> PathBuf {
    encore_host::default_artifact_dir()
}

/// The offer Function, compiled and ready to run.
pub struct HostRunner {
    module: FunctionModule,
    scale: ScalePlan,
    path: PathBuf,
    export: String,
}

impl HostRunner {
    /// Loads `function_wasm` with the provider at `provider_wasm` (default: the artifact dir's).
    pub fn load(function_wasm: &Path, provider_wasm: Option<&Path>) -> Result<Self, LoadError> {
        let provider_path = provider_wasm
            .map(Path::to_path_buf)
            .unwrap_or_else(encore_host::default_provider_path);
        let provider = std::fs::read(&provider_path).map_err(|source| LoadError::ReadProvider {
            path: provider_path.clone(),
            source,
        })?;
        let guest = std::fs::read(function_wasm).map_err(|source| LoadError::Read {
            path: function_wasm.to_path_buf(),
            source,
        })?;
        let host = FunctionHost::new(&provider).map_err(|e| LoadError::Host {
            path: provider_path.clone(),
            message: e.to_string(),
        })?;
        let module = host.load(&guest).map_err(|e| LoadError::Host {
            path: function_wasm.to_path_buf(),
            message: e.to_string(),
        })?;
        let scale = ScalePlan::new(SCHEMA_SDL, INPUT_QUERY).map_err(|e| LoadError::Host {
            path: function_wasm.to_path_buf(),
            message: e.to_string(),
        })?;
        if let Some(field) = scale
            .rated_fields()
            .iter()
            .find(|f| !FunctionInput::has_rated_list(&f.path))
        {
            return Err(LoadError::UnknownRatedList(field.path.join(".")));
        }
        let runner = Self {
            module,
            scale,
            path: function_wasm.to_path_buf(),
            export: "run".into(),
        };
        runner.check_version()?;
        Ok(runner)
    }

    /// Runs the Function once on a shop with no configuration and reads its answer as every
    /// decision's is read: a wasm built from another version of Encore (whose output this
    /// server would refuse on every purchase) is refused at startup instead.
    fn check_version(&self) -> Result<(), LoadError> {
        let input = serde_json::json!({
            "locale": "en",
            "now": "2026-01-01T00:00:00Z",
            "shop": {"currencyCode": "USD", "metafield": null},
            "context": "",
            "purchase": {"packedLines": []},
            "facts": "",
        });
        let report = self.module.run(&self.export, &input, &Limits::shopify());
        let reasons = report
            .output
            .as_ref()
            .and_then(|o| o.get("reasons")?.as_str().map(str::to_owned));
        match reasons
            .as_deref()
            .and_then(encore_engine::reason::read_records)
        {
            Some(reasons) if !reasons.is_empty() => Ok(()),
            _ => Err(LoadError::OtherVersion {
                path: self.path.clone(),
                detail: match (&report.error, &report.output) {
                    (Some(e), _) => e.to_string(),
                    (None, Some(output)) => {
                        format!("its answer to a shop with no configuration was {output}")
                    }
                    (None, None) => "it gave no answer".into(),
                },
            }),
        }
    }

    /// Limits for `input`: Shopify's, scaled by the schema's `@scaleLimits`.
    pub fn limits_for(&self, input: &FunctionInput) -> Limits {
        // Every rated path is known (checked at load), so the factor is always there.
        let factor = self
            .scale
            .factor_from(|path| input.list_length(path))
            .unwrap_or(1.0);
        Limits::shopify().scaled(factor)
    }
}

/// The reason code for a failed run.
pub fn failure_code(e: &RunError) -> &'static str {
    match e {
        RunError::InstructionCountLimitExceeded { .. }
        | RunError::InputSizeLimitExceeded { .. }
        | RunError::OutputSizeLimitExceeded { .. }
        | RunError::MemoryLimitExceeded { .. } => "FUNCTION_LIMIT_EXCEEDED",
        RunError::InvalidOutput { .. } => "FUNCTION_OUTPUT_INVALID",
        _ => "FUNCTION_FAILED",
    }
}

impl OfferRunner for HostRunner {
    fn run(&self, input: &FunctionInput) -> RunOutcome {
        self.run_counted(input).0
    }

    fn run_counted(&self, input: &FunctionInput) -> (RunOutcome, Option<u64>) {
        let limits = self.limits_for(input);
        let report = self
            .module
            .run_msgpack(&self.export, input.msgpack(), &limits);
        if !report.logs.is_empty() {
            tracing::debug!(logs = %report.logs, "offer Function logs");
        }
        tracing::debug!(
            instructions = report.instructions,
            input_bytes = report.input_bytes,
            "offer Function run"
        );
        let outcome = match (report.success, report.output, report.error) {
            (true, Some(output), _) => RunOutcome::Output(output),
            (_, _, Some(e)) => RunOutcome::Failed {
                code: failure_code(&e),
                detail: e.to_string(),
            },
            _ => RunOutcome::Failed {
                code: "FUNCTION_FAILED",
                detail: "the Function returned no output".into(),
            },
        };
        (outcome, Some(report.instructions))
    }

    fn describe(&self) -> String {
        self.path.display().to_string()
    }
}
