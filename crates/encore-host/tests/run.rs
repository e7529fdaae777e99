//! Running real wasm through the host: outputs, logs, instruction accounting, load errors.

mod support;

use encore_host::{HostError, Limits, RunError};
use serde_json::json;
use support::{echo, empty_object, guest, host, load, wasm};

#[test]
fn echo_reads_input_and_writes_output() {
    let module = load(&echo());
    let report = module.run(
        "run",
        &json!({"name": "Ada", "other": [1, 2, 3]}),
        &Limits::shopify(),
    );
    assert!(report.success, "{report}");
    assert_eq!(report.error, None);
    assert_eq!(
        report.output,
        Some(json!({"name": "Ada", "again": "Ada", "n": 42, "half": 0.5}))
    );
    assert_eq!(report.logs, "hello");
    assert!(report.instructions > 0);
    assert!(report.input_bytes > 0 && report.output_bytes > 0);
    assert!(report.memory_usage > 0);
    // Deterministic: the same run costs the same.
    let again = module.run(
        "run",
        &json!({"name": "Ada", "other": [1, 2, 3]}),
        &Limits::shopify(),
    );
    assert_eq!(again.instructions, report.instructions);
    println!("echo guest: {} instructions", report.instructions);
}

#[test]
fn module_is_cheap_to_clone_and_runs_on_many_threads() {
    let module = load(&echo());
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let module = module.clone();
            std::thread::spawn(move || {
                let name = format!("n{i}");
                module
                    .run("run", &json!({ "name": name }), &Limits::shopify())
                    .output
            })
        })
        .collect();
    for (i, t) in threads.into_iter().enumerate() {
        assert_eq!(t.join().unwrap().unwrap()["name"], json!(format!("n{i}")));
    }
}

/// A guest that executes a known number of counted instructions and writes no output.
fn counted(body: &str) -> encore_host::FunctionModule {
    load(&guest(&format!(r#"(func (export "run") {body})"#)))
}

#[test]
fn instruction_accounting_follows_function_runner() {
    let limits = Limits::shopify();
    // Entering a function costs 1 (wasmtime charges every call, as in function-runner).
    let r = counted("").run("run", &json!({}), &limits);
    assert_eq!(r.instructions, 1, "{r}");
    // nop, drop, block, end cost nothing; const costs 1.
    let r = counted("(nop) (drop (i32.const 1)) (block (nop))").run("run", &json!({}), &limits);
    assert_eq!(r.instructions, 2, "{r}");
    // memory.copy and memory.fill cost 1 whatever the length: 3 consts + 1 each, + entry.
    let r = counted("(memory.copy (i32.const 0) (i32.const 100) (i32.const 60000)) (memory.fill (i32.const 0) (i32.const 7) (i32.const 65000))")
        .run("run", &json!({}), &limits);
    assert_eq!(r.instructions, 9, "{r}");
    // A loop of 1000 iterations: local.get, i32.const, i32.add, local.tee, i32.const, i32.lt_u, br_if = 7 each.
    let r = counted(
        "(local $i i32) (loop $l (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 1000))))",
    )
    .run("run", &json!({}), &limits);
    assert_eq!(r.instructions, 7001, "{r}");
    // No output was written: that is an invalid output, but the count still stands.
    assert!(
        matches!(r.error, Some(RunError::InvalidOutput { .. })),
        "{r}"
    );
}

#[test]
fn exactly_the_limit_succeeds_one_more_fails() {
    let module = load(&empty_object());
    let used = module
        .run("run", &json!({}), &Limits::shopify())
        .instructions;
    let at = Limits {
        instructions: used,
        ..Limits::shopify()
    };
    let r = module.run("run", &json!({}), &at);
    assert!(r.success, "{r}");
    let below = Limits {
        instructions: used - 1,
        ..Limits::shopify()
    };
    let r = module.run("run", &json!({}), &below);
    assert!(
        matches!(
            r.error,
            Some(RunError::InstructionCountLimitExceeded { .. })
        ),
        "{r}"
    );
}

#[test]
fn trampolined_module_imports_the_provider() {
    let module = load(&echo());
    let bytes = module.trampolined_bytes();
    let text = String::from_utf8_lossy(bytes);
    for name in [
        "_shopify_function_input_get",
        "_shopify_function_input_get_utf8_str_addr",
        "_shopify_function_alloc",
        "_shopify_function_log_new_utf8_str",
        "_shopify_function_intern_utf8_str",
        "memory",
    ] {
        assert!(text.contains(name), "trampolined module lacks {name}");
    }
    assert!(!text.contains("\u{0}shopify_function_input_read_utf8_str"));
    // The dumped module loads again (trampolining is idempotent) and counts the same.
    let input = json!({"name": "Ada"});
    let again = host().load(bytes).expect("trampolined module reloads");
    assert_eq!(again.trampolined_bytes(), bytes);
    let (a, b) = (
        module.run("run", &input, &Limits::shopify()),
        again.run("run", &input, &Limits::shopify()),
    );
    assert!(b.success, "{b}");
    assert_eq!((a.instructions, a.output), (b.instructions, b.output));
}

#[test]
fn wasi_imports_are_refused() {
    let err = host()
        .load(&wasm(r#"(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32))) (memory 1) (func (export "run")))"#))
        .err()
        .unwrap();
    assert!(matches!(err, HostError::WasiImport { .. }), "{err}");
    assert!(err.to_string().contains("wasm32-unknown-unknown"), "{err}");
}

#[test]
fn unknown_imports_and_non_wasm_are_refused() {
    let err = host()
        .load(&wasm(
            r#"(module (import "env" "abort" (func)) (func (export "run")))"#,
        ))
        .err()
        .unwrap();
    assert!(
        matches!(err, HostError::UnknownImport { ref module, .. } if module == "env"),
        "{err}"
    );
    let err = host()
        .load(&wasm(r#"(module (import "shopify_function_v2" "shopify_function_teleport" (func)) (func (export "run")))"#))
        .err()
        .unwrap();
    assert!(matches!(err, HostError::UnknownImport { .. }), "{err}");
    let err = host().load(b"{\"not\": \"wasm\"}").err().unwrap();
    assert!(matches!(err, HostError::NotWasm { .. }), "{err}");
    let err = host().load(b"\0asm\x01\0\0\0\x99garbage").err().unwrap();
    assert!(matches!(err, HostError::InvalidModule { .. }), "{err}");
}

#[test]
fn mismatched_import_signatures_fail_at_load() {
    let err = host()
        .load(&wasm(r#"(module (import "shopify_function_v2" "shopify_function_input_get" (func (result i32))) (memory 1) (func (export "run")))"#))
        .err()
        .unwrap();
    assert!(matches!(err, HostError::InvalidModule { .. }), "{err}");
}

#[test]
fn missing_export_is_a_clear_error() {
    let report = load(&empty_object()).run(
        "cart_lines_discounts_generate_run",
        &json!({}),
        &Limits::shopify(),
    );
    assert!(!report.success);
    let err = report.error.unwrap();
    assert!(matches!(err, RunError::ExportNotFound { .. }), "{err}");
    assert!(err.to_string().contains("it exports: run"), "{err}");
}

#[test]
fn invalid_provider_is_refused() {
    assert!(matches!(
        encore_host::FunctionHost::new(b"nope"),
        Err(HostError::InvalidProvider { .. })
    ));
    let not_provider = wasm(r#"(module (memory (export "memory") 1))"#);
    let err = encore_host::FunctionHost::new(&not_provider).err().unwrap();
    assert!(err.to_string().contains("initialize"), "{err}");
}
