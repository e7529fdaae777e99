//! Where the build puts the provider and the offer Function (`scripts/build-wasm.sh`).

use std::path::{Path, PathBuf};

/// Environment variable naming the provider wasm, overriding the default artifact path.
pub const PROVIDER_ENV: &str = "ENCORE_PROVIDER_WASM";

/// `${CARGO_TARGET_DIR}/encore`, or `<workspace>/target/encore` when it is unset.
///
/// A relative `CARGO_TARGET_DIR` is taken relative to the workspace root, which is where
/// `scripts/build-wasm.sh` runs cargo.
pub fn default_artifact_dir() -> PathBuf {
    let workspace = workspace_root();
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => workspace.join(PathBuf::from(dir)),
        _ => workspace.join("target"),
    };
    target.join("encore")
}

/// `$ENCORE_PROVIDER_WASM`, or `shopify_function_provider.wasm` in [`default_artifact_dir`].
pub fn default_provider_path() -> PathBuf {
    match std::env::var_os(PROVIDER_ENV) {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => default_artifact_dir().join("shopify_function_provider.wasm"),
    }
}

fn workspace_root() -> PathBuf {
    // crates/encore-host -> workspace root.
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .and_then(Path::parent)
        .unwrap_or(manifest)
        .to_path_buf()
}
