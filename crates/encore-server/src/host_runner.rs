//! The offer Function run by encore-host's Wasm runtime under Shopify's limits.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::runner::{OfferRunner, RunOutcome};

/// The Function's wasm could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("the offer Function wasm {path} cannot be read ({source}); build it with scripts/build-wasm.sh or set ENCORE_FUNCTION_WASM")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the offer Function host cannot load {path}: {message}")]
    Host { path: PathBuf, message: String },
}

/// Where scripts/build-wasm.sh puts the artifacts: `${CARGO_TARGET_DIR:-target}/encore`.
pub fn default_artifact_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"))
        .join("encore")
}

/// Placeholder until encore-host lands: refuses to load.
pub struct HostRunner;

impl HostRunner {
    pub fn load(function_wasm: &Path, _provider_wasm: Option<&Path>) -> Result<Self, LoadError> {
        Err(LoadError::Host {
            path: function_wasm.to_path_buf(),
            message: "encore-host is not linked yet".into(),
        })
    }
}

impl OfferRunner for HostRunner {
    fn run(&self, _input: &Value) -> RunOutcome {
        RunOutcome::Failed {
            code: "FUNCTION_FAILED",
            detail: "no host".into(),
        }
    }
    fn describe(&self) -> String {
        "none".into()
    }
}
