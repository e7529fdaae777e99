//! Prints what the optimized offer Function costs on each JSON input given, through the
//! Function host: `cargo run --release --example measure_input -- tests/fixtures/bench-large.json`
//! (build the wasm first with scripts/build-wasm.sh); readable inputs are packed first. Inputs keep their key order. Limits are
//! Shopify's, scaled by schema.graphql's `@scaleLimits` for each input as Shopify scales them.
//! With `--write-packed` each packed input is also written beside its source as
//! `<name>.packed.json`, for `encore-run --profile` (docs/cost-model.md).

fn main() {
    let host = encore_host::FunctionHost::from_default_artifacts()
        .expect("the provider wasm (scripts/build-wasm.sh)");
    let wasm_path = encore_host::default_artifact_dir().join("encore-offer.wasm");
    let wasm = std::fs::read(&wasm_path).expect("the offer Function wasm (scripts/build-wasm.sh)");
    let module = host.load(&wasm).expect("the offer Function loads");
    let root = env!("CARGO_MANIFEST_DIR");
    let schema = std::fs::read_to_string(format!("{root}/schema.graphql")).expect("schema.graphql");
    let query = std::fs::read_to_string(format!("{root}/input.graphql")).expect("input.graphql");
    let args: Vec<String> = std::env::args().skip(1).collect();
    let write_packed = args.iter().any(|a| a == "--write-packed");
    for path in args.into_iter().filter(|a| a != "--write-packed") {
        let text = std::fs::read_to_string(&path).expect("read the input");
        let input: serde_json::Value = serde_json::from_str(&text).expect("the input is JSON");
        // A readable input (generate.py's) is packed as the server packs it.
        let input = encore_engine::readable_input::write(&input);
        if write_packed {
            let out = format!("{}.packed.json", path.trim_end_matches(".json"));
            std::fs::write(&out, serde_json::to_string(&input).expect("JSON"))
                .expect("write the packed input");
        }
        let factor = encore_host::scale_factor(&schema, &query, &input).expect("scale factor");
        let limits = encore_host::Limits::shopify().scaled(factor);
        let report = module.run("run", &input, &limits);
        let outcome = match &report.error {
            None => "ok".to_owned(),
            Some(e) => e.to_string(),
        };
        println!(
            "{path}: {} instructions, {} KiB memory, input {} B, output {} B, scale {factor:.3}: {outcome}",
            report.instructions, report.memory_usage, report.input_bytes, report.output_bytes
        );
    }
}
