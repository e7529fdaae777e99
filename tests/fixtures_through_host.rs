//! Runs every offer Function fixture through encore-host on the real optimized wasm
//! (`scripts/build-wasm.sh` builds it): the output must equal the recorded output, and the
//! instruction count must stay within the fixture's recorded budget (a regression guard).
//! The goals for the two benchmark inputs are 60,000 and 1,100,000 instructions (0.5%
//! and 10% of Shopify's 11M); they are not met yet, so the benchmarks are held to their
//! recorded budgets and to Shopify's limit, and the gap is printed.
//! `UPDATE_BUDGETS=1` records budgets as the count plus 5%.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use encore_host::{default_artifact_dir, FunctionHost, Limits};

/// The benchmark inputs and their goals (see the module doc).
const BENCHMARKS: [(&str, u64); 2] = [("bench-typical", 60_000), ("bench-large", 1_100_000)];

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn load_module() -> encore_host::FunctionModule {
    let wasm_path = default_artifact_dir().join("encore-offer.wasm");
    let wasm = std::fs::read(&wasm_path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; build it first with scripts/build-wasm.sh",
            wasm_path.display()
        )
    });
    let host =
        FunctionHost::from_default_artifacts().expect("the provider wasm (scripts/build-wasm.sh)");
    host.load(&wasm).expect("the offer Function loads")
}

fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_fixture_runs_through_the_host_within_its_budget() {
    let module = load_module();
    let dir = fixtures_dir();
    let budgets_path = dir.join("instruction-budgets.json");
    let update = std::env::var_os("UPDATE_BUDGETS").is_some();
    let budgets: BTreeMap<String, u64> = if update {
        BTreeMap::new()
    } else {
        serde_json::from_value(read_json(&budgets_path)).expect("budgets map")
    };
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("fixtures dir")
        .filter_map(|e| {
            e.ok()?
                .file_name()
                .into_string()
                .ok()?
                .strip_suffix(".input.json")
                .map(str::to_owned)
        })
        .collect();
    names.sort();
    let mut recorded = BTreeMap::new();
    let mut failures = Vec::new();
    for name in &names {
        let input = read_json(&dir.join(format!("{name}.input.json")));
        let report = module.run("run", &input, &Limits::shopify());
        if !report.success {
            failures.push(format!(
                "{name}: the run failed: {:?} logs {:?}",
                report.error, report.logs
            ));
            continue;
        }
        let expected = read_json(&dir.join(format!("{name}.output.json")));
        if report.output.as_ref() != Some(&expected) {
            failures.push(format!(
                "{name}: output differs from the recorded output:\n  {:?}",
                report.output
            ));
        }
        recorded.insert(name.clone(), report.instructions * 105 / 100);
        match budgets.get(name) {
            Some(budget) if report.instructions > *budget => failures.push(format!(
                "{name}: {} instructions, over its budget of {budget}",
                report.instructions
            )),
            None if !update => failures.push(format!(
                "{name}: no recorded budget (run with UPDATE_BUDGETS=1)"
            )),
            _ => {}
        }
        println!("{name}: {} instructions", report.instructions);
    }
    if update {
        for (name, _) in BENCHMARKS {
            let bench = read_json(&dir.join(format!("{name}.json")));
            let report = module.run("run", &bench, &Limits::shopify());
            recorded.insert(name.to_owned(), report.instructions * 105 / 100);
        }
        let text = serde_json::to_string_pretty(&recorded).expect("json") + "\n";
        std::fs::write(&budgets_path, text).expect("write budgets");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn run_benchmark(name: &str, budget: u64, goal: u64) {
    let module = load_module();
    assert!(
        budget < Limits::shopify().instructions,
        "{name}: the budget must stay below Shopify's limit"
    );
    let input = read_json(&fixtures_dir().join(format!("{name}.json")));
    let report = module.run("run", &input, &Limits::shopify());
    assert!(report.success, "{name}: {:?} {}", report.error, report.logs);
    let output = report.output.expect("output");
    assert_eq!(output["offer"]["campaignId"], "winner", "{name}: {output}");
    println!(
        "{name}: {} instructions (budget {budget}, goal {goal}), input {} B, output {} B, memory {} KiB",
        report.instructions, report.input_bytes, report.output_bytes, report.memory_usage
    );
    assert!(
        report.instructions <= budget,
        "{name}: {} instructions, over {budget}",
        report.instructions
    );
}

#[test]
fn benchmarks_stay_within_their_recorded_budgets() {
    let budgets: BTreeMap<String, u64> =
        serde_json::from_value(read_json(&fixtures_dir().join("instruction-budgets.json")))
            .expect("budgets map");
    for (name, goal) in BENCHMARKS {
        run_benchmark(name, budgets[name], goal);
    }
}
