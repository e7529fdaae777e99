//! Generates the typed Admin API operations from `graphql/*.graphql`, checked against Shopify's
//! Admin schema (`schema/admin_2026-10.json.gz`, from npm `@shopify/dev-mcp@1.16.0`).
//!
//! graphql_client's own code generator runs here instead of its derive macro: the derive needs
//! the 11 MB schema unpacked in the source tree and parses it again whenever this crate is
//! rebuilt, while a build script unpacks the 0.9 MB gzip into OUT_DIR and runs only when a
//! query or the schema changes. A query that does not fit the schema fails the build.

use std::io::Read;
use std::path::{Path, PathBuf};

use graphql_client_codegen::{
    generate_module_token_stream, CodegenMode, GraphQLClientCodegenOptions,
};

const SCHEMA_GZ: &str = "schema/admin_2026-10.json.gz";

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it"));
    println!("cargo:rerun-if-changed={SCHEMA_GZ}");
    println!("cargo:rerun-if-changed=graphql");

    let schema = out.join("admin_schema.json");
    unpack(&manifest.join(SCHEMA_GZ), &schema);

    let mut queries: Vec<PathBuf> = std::fs::read_dir(manifest.join("graphql"))
        .expect("graphql/ is readable")
        .map(|entry| entry.expect("graphql/ entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "graphql"))
        .collect();
    queries.sort();

    let mut code = String::new();
    for query in &queries {
        println!("cargo:rerun-if-changed={}", query.display());
        let mut options = GraphQLClientCodegenOptions::new(CodegenMode::Cli);
        options.set_module_visibility(syn_public());
        options.set_response_derives("Debug, Clone, PartialEq".to_string());
        options.set_variables_derives("Debug, Clone".to_string());
        options.set_custom_scalars_module(syn::parse_str("crate::admin::scalars").expect("path"));
        // A deprecated field fails the build: the API version moves every quarter.
        options.set_deprecation_strategy(
            graphql_client_codegen::deprecation::DeprecationStrategy::Deny,
        );
        let tokens = generate_module_token_stream(query.clone(), &schema, options)
            .unwrap_or_else(|e| panic!("{} does not fit the Admin schema: {e}", query.display()));
        code.push_str(&tokens.to_string());
        code.push('\n');
    }
    std::fs::write(out.join("admin_operations.rs"), code).expect("OUT_DIR is writable");
}

fn unpack(gz: &Path, to: &Path) {
    let file = std::fs::File::open(gz).unwrap_or_else(|e| panic!("{}: {e}", gz.display()));
    let mut json = Vec::new();
    flate2::read::GzDecoder::new(file)
        .read_to_end(&mut json)
        .expect("the schema is a valid gzip");
    std::fs::write(to, json).expect("OUT_DIR is writable");
}

fn syn_public() -> syn::Visibility {
    syn::parse_str("pub").expect("visibility")
}
