//! Encore Function host: runs Shopify Function Wasm API v2 modules with Shopify's limits and
//! function-runner's instruction counts.
//!
//! ```no_run
//! use encore_host::{FunctionHost, Limits};
//! let host = FunctionHost::from_default_artifacts()?;
//! let module = host.load(&std::fs::read("function.wasm")?)?;
//! let report = module.run("run", &serde_json::json!({}), &Limits::shopify());
//! println!("{} instructions, success: {}", report.instructions, report.success);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod artifacts;
mod codec;
mod error;
mod host;
mod limits;
mod profile;
mod report;
mod scale;
mod trampoline;

pub use artifacts::{default_artifact_dir, default_provider_path, PROVIDER_ENV};
pub use codec::{json_to_msgpack, msgpack_to_json};
pub use error::HostError;
pub use host::{FunctionHost, FunctionModule, MAX_CONCURRENT_RUNS, RUN_TIME_LIMIT};
pub use limits::Limits;
pub use profile::{Profile, ProfileRow};
pub use report::{RunError, RunReport};
pub use scale::{scale_factor, RatedField, ScalePlan};
pub use trampoline::{trampoline, PROVIDER_MODULE};
