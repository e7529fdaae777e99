//! Guests that misbehave end in an error report with their logs, never a crashed or hung host.

mod support;

use encore_host::{Limits, RunError};
use serde_json::json;
use support::{guest, load};

#[test]
fn endless_loop_hits_the_instruction_limit() {
    let module = load(&guest(
        r#"(data (i32.const 0) "looping") (func (export "run") (call $log (i32.const 0) (i32.const 7)) (loop $l (br $l)))"#,
    ));
    let report = module.run("run", &json!({}), &Limits::shopify());
    assert!(!report.success);
    assert!(
        matches!(
            report.error,
            Some(RunError::InstructionCountLimitExceeded {
                limit: 11_000_000,
                ..
            })
        ),
        "{report}"
    );
    assert!(report.instructions > 11_000_000, "{report}");
    assert_eq!(report.logs, "looping");
    assert!(report
        .error
        .unwrap()
        .to_string()
        .starts_with("InstructionCountLimitExceededError"));
}

#[test]
fn scaled_limits_allow_more_instructions() {
    let module = load(&guest(
        r#"(func (export "run") (local $i i32) (loop $l (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 2000000)))) (drop (call $new_obj (i32.const 0))) (drop (call $finish_obj)))"#,
    ));
    let report = module.run("run", &json!({}), &Limits::shopify());
    assert!(
        matches!(
            report.error,
            Some(RunError::InstructionCountLimitExceeded { .. })
        ),
        "{report}"
    );
    let report = module.run("run", &json!({}), &Limits::shopify().scaled(2.0));
    assert!(report.success, "{report}");
}

#[test]
fn oversized_output_hits_the_output_limit() {
    // One 25,000-byte string: 25,003 B of MessagePack, over 20,000 B.
    let module = load(&guest(
        r#"(func (export "run") (drop (call $new_str (i32.const 0) (i32.const 25000))))"#,
    ));
    let report = module.run("run", &json!({}), &Limits::shopify());
    assert!(!report.success);
    assert_eq!(
        report.error,
        Some(RunError::OutputSizeLimitExceeded {
            size: 25_003,
            limit: 20_000
        }),
        "{report}"
    );
    assert_eq!(report.output_bytes, 25_003);
    let report = module.run("run", &json!({}), &Limits::shopify().scaled(1.5));
    assert!(report.success, "{report}");
}

#[test]
fn oversized_input_is_refused_before_running() {
    let module = load(&support::empty_object());
    let big = json!({ "blob": "x".repeat(130_000) });
    let report = module.run("run", &big, &Limits::shopify());
    assert!(
        matches!(
            report.error,
            Some(RunError::InputSizeLimitExceeded { limit: 128_000, .. })
        ),
        "{report}"
    );
    assert_eq!(report.instructions, 0);
}

#[test]
fn unbounded_memory_growth_hits_the_memory_limit() {
    let module = load(&guest(
        r#"(data (i32.const 0) "growing") (func (export "run")
             (call $log (i32.const 0) (i32.const 7))
             (loop $l (br_if $l (i32.ne (memory.grow (i32.const 16)) (i32.const -1))))
             unreachable)"#,
    ));
    let report = module.run("run", &json!({}), &Limits::shopify());
    assert!(!report.success);
    assert!(
        matches!(
            report.error,
            Some(RunError::MemoryLimitExceeded {
                limit: 10_000_000,
                ..
            })
        ),
        "{report}"
    );
    assert!(report.memory_usage * 1024 <= 10_000_000, "{report}");
    assert!(report.memory_usage > 9_000, "{report}");
    assert_eq!(report.logs, "growing");
}

#[test]
fn trap_is_an_error_with_logs() {
    let module = load(&guest(
        r#"(data (i32.const 0) "before the trap") (func (export "run") (call $log (i32.const 0) (i32.const 15)) (drop (i32.div_u (i32.const 1) (i32.const 0))))"#,
    ));
    let report = module.run("run", &json!({}), &Limits::shopify());
    assert!(!report.success);
    let err = report.error.clone().unwrap();
    assert!(matches!(err, RunError::Trap { .. }), "{report}");
    assert!(err.to_string().contains("divide by zero"), "{err}");
    assert_eq!(report.logs, "before the trap");
}

#[test]
fn panic_is_an_error_with_the_panic_message_in_logs() {
    // What a Rust Function does on panic: log the message, then abort (`unreachable`).
    let module = load(&guest(
        r#"(data (i32.const 0) "panicked at src/main.rs:1:1: no offer") (func (export "run")
             (drop (call $new_obj (i32.const 1)))
             (call $log (i32.const 0) (i32.const 37))
             unreachable)"#,
    ));
    let report = module.run("run", &json!({}), &Limits::shopify());
    assert!(!report.success);
    let err = report.error.clone().unwrap();
    assert!(err.to_string().contains("unreachable"), "{err}");
    assert_eq!(report.logs, "panicked at src/main.rs:1:1: no offer");
    assert_eq!(report.output, None);
}

#[test]
fn long_logs_keep_the_newest_thousand_bytes() {
    let module = load(&guest(
        r#"(data (i32.const 0) "0123456789")
           (func (export "run") (local $i i32)
             (loop $l
               (call $log (i32.const 0) (i32.const 10))
               (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 300))))
             (drop (call $new_obj (i32.const 0))) (drop (call $finish_obj)))"#,
    ));
    let report = module.run("run", &json!({}), &Limits::shopify());
    assert!(report.success, "{report}");
    assert!(report.logs_truncated);
    assert_eq!(report.logs.len(), 1000);
    assert_eq!(report.logs, "0123456789".repeat(100));
    // A single log call larger than the provider's buffer is cut too.
    let module = load(&guest(
        r#"(func (export "run") (call $log (i32.const 0) (i32.const 5000)) (drop (call $new_obj (i32.const 0))) (drop (call $finish_obj)))"#,
    ));
    let report = module.run("run", &json!({}), &Limits::shopify());
    assert!(
        report.success && report.logs_truncated && report.logs.len() == 1000,
        "{report}"
    );
}

#[test]
fn deep_recursion_is_a_trap_not_a_crash() {
    let module = load(&guest(r#"(func $f (export "run") (call $f))"#));
    let report = module.run("run", &json!({}), &Limits::shopify());
    assert!(!report.success);
    assert!(
        matches!(
            report.error,
            Some(RunError::Trap { .. } | RunError::InstructionCountLimitExceeded { .. })
        ),
        "{report}"
    );
}

#[test]
fn bulk_memory_busy_loop_is_stopped_by_the_clock() {
    // memory.fill costs one instruction however long it is: ~10 MB per iteration would take
    // minutes to reach the instruction limit.
    let module = load(&guest(
        r#"(func (export "run")
             (drop (memory.grow (i32.const 150)))
             (loop $l (memory.fill (i32.const 0) (i32.const 1) (i32.const 9830400)) (br $l)))"#,
    ));
    let start = std::time::Instant::now();
    let report = module.run("run", &json!({}), &Limits::shopify());
    assert!(
        matches!(report.error, Some(RunError::Timeout { .. })),
        "{report}"
    );
    assert!(
        start.elapsed() < encore_host::RUN_TIME_LIMIT * 3,
        "{:?}",
        start.elapsed()
    );
    assert!(report.instructions < 11_000_000, "{report}");
}
