//! The `encore-run` binary: function-runner's flags, JSON report, summary and exit codes.

mod support;

use serde_json::{json, Value};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use support::{echo, guest, wasm};

fn tmp(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("encore-run-cli");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn encore_run(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_encore-run"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("encore-run starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.unwrap_or("").as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn json_report_has_function_runners_fields() {
    let function = tmp("echo.wasm", &wasm(&echo()));
    let input = tmp("echo.json", br#"{"name": "Grace"}"#);
    let out = encore_run(
        &[
            "-f",
            function.to_str().unwrap(),
            "-i",
            input.to_str().unwrap(),
            "--json",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    for field in [
        "name",
        "size",
        "memory_usage",
        "instructions",
        "logs",
        "input",
        "output",
        "success",
        "error",
    ] {
        assert!(report.get(field).is_some(), "missing {field}: {report}");
    }
    assert_eq!(report["name"], "echo.wasm");
    assert_eq!(report["input"], json!({"name": "Grace"}));
    assert_eq!(report["output"]["name"], "Grace");
    assert_eq!(report["logs"], "hello");
    assert_eq!(report["success"], true);
    assert_eq!(report["error"], Value::Null);
}

#[test]
fn reads_stdin_and_prints_a_summary_with_limits() {
    let function = tmp("echo-stdin.wasm", &wasm(&echo()));
    let out = encore_run(
        &["-f", function.to_str().unwrap()],
        Some(r#"{"name": "Lin"}"#),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary = text(&out.stdout);
    for line in [
        "Result: success",
        "hello",
        "\"name\": \"Lin\"",
        "Instructions",
        "11000000",
        "20000 B",
        "128000 B",
    ] {
        assert!(summary.contains(line), "summary lacks {line:?}:\n{summary}");
    }
}

#[test]
fn failing_function_exits_1_with_the_error() {
    let function = tmp(
        "loop.wasm",
        &wasm(&guest(r#"(func (export "run") (loop $l (br $l)))"#)),
    );
    let out = encore_run(&["-f", function.to_str().unwrap(), "-j"], Some("{}"));
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["success"], false);
    assert!(report["error"]
        .as_str()
        .unwrap()
        .starts_with("InstructionCountLimitExceededError"));
}

#[test]
fn unknown_export_exits_1_and_names_the_exports() {
    let function = tmp("echo-export.wasm", &wasm(&echo()));
    let out = encore_run(
        &["-f", function.to_str().unwrap(), "-e", "purchase_offer_run"],
        Some("{}"),
    );
    assert_eq!(out.status.code(), Some(1));
    let summary = text(&out.stdout);
    assert!(
        summary.contains("no export `purchase_offer_run`") && summary.contains("it exports: run"),
        "{summary}"
    );
}

#[test]
fn malformed_json_exits_2_with_a_clear_message() {
    let function = tmp("echo-bad-json.wasm", &wasm(&echo()));
    let out = encore_run(&["-f", function.to_str().unwrap()], Some("{\"name\": "));
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("input (stdin) is not valid JSON"), "{err}");
}

#[test]
fn non_wasm_file_exits_2_with_a_clear_message() {
    let function = tmp("not.wasm", b"this is not wasm");
    let out = encore_run(&["-f", function.to_str().unwrap()], Some("{}"));
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("not a WebAssembly module"), "{err}");
    let out = encore_run(&["-f", "/nonexistent/function.wasm"], Some("{}"));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("cannot read the Function module"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn wasi_module_exits_2_with_a_clear_message() {
    let function = tmp(
        "wasi.wasm",
        &wasm(
            r#"(module (import "wasi_snapshot_preview1" "proc_exit" (func (param i32))) (memory (export "memory") 1) (func (export "run")))"#,
        ),
    );
    let out = encore_run(&["-f", function.to_str().unwrap()], Some("{}"));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("imports WASI"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn dump_trampolined_writes_the_module_that_ran() {
    let function = tmp("echo-dump.wasm", &wasm(&echo()));
    let dump =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("encore-run-cli/echo.trampolined.wasm");
    let out = encore_run(
        &[
            "-f",
            function.to_str().unwrap(),
            "--dump-trampolined",
            dump.to_str().unwrap(),
        ],
        Some(r#"{"name": "x"}"#),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let dumped = std::fs::read(&dump).unwrap();
    assert!(dumped.starts_with(b"\0asm"));
    assert!(String::from_utf8_lossy(&dumped).contains("_shopify_function_input_get_obj_prop"));
}

#[test]
fn schema_and_query_scale_the_limits() {
    let schema = tmp(
        "schema.graphql",
        br#"schema { query: Input }
            directive @scaleLimits(rate: Float!) on FIELD_DEFINITION
            type Input { name: String, lines: [Line!]! @scaleLimits(rate: 0.005) }
            type Line { id: ID! }"#,
    );
    let query = tmp("input.graphql", b"query { lines { id } }");
    let lines: Vec<Value> = (0..600).map(|i| json!({"id": i.to_string()})).collect();
    let input = tmp(
        "lines.json",
        json!({"name": "n", "lines": lines}).to_string().as_bytes(),
    );
    let function = tmp("echo-scaled.wasm", &wasm(&echo()));
    let (function, input) = (function.to_str().unwrap(), input.to_str().unwrap());
    let (schema, query) = (schema.to_str().unwrap(), query.to_str().unwrap());
    let out = encore_run(
        &["-f", function, "-i", input, "-s", schema, "-q", query],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary = text(&out.stdout);
    assert!(
        summary.contains("33000000"),
        "600 lines × 0.005 = factor 3:\n{summary}"
    );
    // -s without -q is a usage error.
    let out = encore_run(&["-f", function, "-i", input, "-s", schema], None);
    assert_eq!(out.status.code(), Some(2));
}
