//! The per-function instruction profile (`encore-run --profile`): exact counts per function.

mod support;

use encore_host::{default_provider_path, FunctionHost, Limits};
use serde_json::json;
use support::{echo, guest, load, wasm};

fn provider() -> Vec<u8> {
    std::fs::read(default_provider_path()).expect("the provider (scripts/build-wasm.sh provider)")
}

#[test]
fn a_profile_splits_the_runs_count_between_the_functions_that_ran() {
    // `run` calls `work` twice; `work` loops 10 times at 7 instructions an iteration.
    let wat = guest(
        r#"
  (func $work (local $i i32)
    (loop $l (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 10)))))
  (func $unused (drop (i32.const 1)))
  (func $run (export "run") (call $work) (call $work))"#,
    );
    let limits = Limits::shopify();
    let plain = load(&wat).run("run", &json!({}), &limits);
    let (_, profile) =
        FunctionHost::profile(&provider(), &wasm(&wat), "run", &json!({}), &limits).unwrap();
    assert_eq!(profile.total, plain.instructions, "{profile}");
    let count = |name: &str| {
        profile
            .rows
            .iter()
            .find(|r| r.module == "guest" && r.name == name)
            .map(|r| r.instructions)
    };
    // Each call: 1 to enter and 70 in the loop.
    assert_eq!(count("work"), Some(142), "{profile}");
    // The export: 1 to enter and two calls.
    assert_eq!(count("run"), Some(3), "{profile}");
    assert_eq!(
        count("unused"),
        None,
        "a function that never ran has no row"
    );
}

#[test]
fn a_profile_counts_the_providers_work_for_the_guest() {
    let wat = echo();
    let limits = Limits::shopify();
    let plain = load(&wat).run("run", &json!({"name": "Ada"}), &limits);
    let (report, profile) = FunctionHost::profile(
        &provider(),
        &wasm(&wat),
        "run",
        &json!({"name": "Ada"}),
        &limits,
    )
    .unwrap();
    assert!(report.success, "{report}");
    assert_eq!(report.output, plain.output);
    assert_eq!(profile.total, plain.instructions, "{profile}");
    assert!(
        profile
            .rows
            .iter()
            .any(|r| r.module == "provider"
                && r.name.contains("shopify_function_input_get_obj_prop")),
        "{profile}"
    );
}
