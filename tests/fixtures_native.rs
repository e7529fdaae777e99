//! Runs every fixture in tests/fixtures natively with `run_function_with_input` and compares
//! the output with its recorded `*.output.json`. `UPDATE_FIXTURES=1` records outputs instead
//! (review the diff before committing). Compiled into the Function's unit tests, because the
//! Function is a binary crate.

use std::path::{Path, PathBuf};

use shopify_function::run_function_with_input;
use shopify_function::wasm_api::{Context, Serialize};

use super::run;

/// The fixture inputs, sorted by name.
pub fn fixture_inputs() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/fixtures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_string_lossy().ends_with(".input.json"))
        .collect();
    inputs.sort();
    inputs
}

fn run_native(input: &str) -> serde_json::Value {
    let result = run_function_with_input(run, input).expect("the Function returns a result");
    let mut context = Context::new_with_input(serde_json::json!({}));
    result
        .serialize(&mut context)
        .expect("the result serializes");
    context
        .finalize_output_and_return()
        .expect("the output finalizes")
}

// The native provider keeps its input and output in process-wide state, so all fixtures run
// in one test, one after another.
#[test]
fn every_fixture_gives_its_recorded_output() {
    let update = std::env::var_os("UPDATE_FIXTURES").is_some();
    let inputs = fixture_inputs();
    assert!(
        inputs.len() >= 50,
        "expected the fixture set, found {}",
        inputs.len()
    );
    let mut failures = Vec::new();
    for input_path in &inputs {
        let input = std::fs::read_to_string(input_path).expect("read input");
        let output = run_native(&input);
        let expected_path = PathBuf::from(
            input_path
                .to_string_lossy()
                .replace(".input.json", ".output.json"),
        );
        if update {
            let text = serde_json::to_string_pretty(&output).expect("json") + "\n";
            std::fs::write(&expected_path, text).expect("write output");
            continue;
        }
        let expected: serde_json::Value = match std::fs::read_to_string(&expected_path) {
            Ok(text) => serde_json::from_str(&text).expect("expected output is JSON"),
            Err(_) => {
                failures.push(format!("{}: no recorded output", expected_path.display()));
                continue;
            }
        };
        if output != expected {
            failures.push(format!(
                "{}:\n  expected {}\n  got      {}",
                input_path.display(),
                expected,
                output
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} fixtures differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Runs the input named by `ENCORE_PROFILE_INPUT` natively, for profilers such as
/// `valgrind --tool=callgrind` (the native provider is the same code as the wasm one).
#[test]
#[ignore = "a profiling aid; run with ENCORE_PROFILE_INPUT=<input.json> -- --ignored"]
fn profile_input() {
    let path = std::env::var("ENCORE_PROFILE_INPUT").expect("ENCORE_PROFILE_INPUT");
    let input = std::fs::read_to_string(path).expect("read input");
    let output = run_native(&input);
    assert!(output.get("reasons").is_some());
}
