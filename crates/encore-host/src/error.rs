//! Errors from loading a provider or a Function module (before any run).

use std::path::PathBuf;

/// Why a provider or Function module could not be loaded, or a schema could not be analyzed.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// The bytes are not a WebAssembly binary module.
    #[error(
        "not a WebAssembly module ({reason}); pass the .wasm file built for wasm32-unknown-unknown"
    )]
    NotWasm { reason: String },

    /// The module is wasm but could not be parsed, rewritten or compiled.
    #[error("invalid Function module: {message}")]
    InvalidModule { message: String },

    /// The module imports WASI, which Shopify Function Wasm API v2 modules must not do.
    #[error(
        "the module imports WASI ({module}::{name}); Shopify Function Wasm API v2 modules must be \
         built for wasm32-unknown-unknown with the shopify_function crate, not for wasip1"
    )]
    WasiImport { module: String, name: String },

    /// The module imports something the provider does not offer.
    #[error(
        "the module imports {module}::{name}, which the Shopify Function provider does not \
         offer; only `shopify_function_v2` Wasm API imports are allowed"
    )]
    UnknownImport { module: String, name: String },

    /// No provider wasm at the expected path.
    #[error(
        "Shopify Function provider not found at {path}; build it with `scripts/build-wasm.sh \
         provider` or point ENCORE_PROVIDER_WASM at shopify_function_provider.wasm"
    )]
    ProviderMissing { path: PathBuf },

    /// The provider wasm is not the expected `shopify_function_provider` cdylib.
    #[error("invalid Shopify Function provider: {message}")]
    InvalidProvider { message: String },

    /// Reading a file failed.
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The schema or the input query could not be parsed or analyzed for `@scaleLimits`.
    #[error("cannot compute the @scaleLimits factor: {message}")]
    Schema { message: String },

    /// The wasmtime engine could not be created.
    #[error("cannot set up the wasm engine: {message}")]
    Engine { message: String },
}
