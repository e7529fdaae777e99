//! The server refuses, at startup, an offer Function wasm built from another version of
//! Encore: one whose answer it would refuse on every purchase.

use encore_app::host_runner::{HostRunner, LoadError};

/// A guest that answers every input with `{"reasons": []}`: reasons as a list, as the Function
/// wrote them before they became one record.
const REASONS_AS_A_LIST: &str = r#"(module
  (import "shopify_function_v2" "shopify_function_output_new_object" (func $new_obj (param i32) (result i32)))
  (import "shopify_function_v2" "shopify_function_output_finish_object" (func $finish_obj (result i32)))
  (import "shopify_function_v2" "shopify_function_output_new_array" (func $new_arr (param i32) (result i32)))
  (import "shopify_function_v2" "shopify_function_output_finish_array" (func $finish_arr (result i32)))
  (import "shopify_function_v2" "shopify_function_output_new_utf8_str" (func $new_str (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "reasons")
  (func (export "run")
    (drop (call $new_obj (i32.const 1)))
    (drop (call $new_str (i32.const 0) (i32.const 7)))
    (drop (call $new_arr (i32.const 0)))
    (drop (call $finish_arr))
    (drop (call $finish_obj))))"#;

#[test]
fn a_function_from_another_version_is_refused_and_this_one_loads() {
    let dir = tempfile::tempdir().expect("temp dir");
    let stale = dir.path().join("stale.wasm");
    std::fs::write(&stale, wat::parse_str(REASONS_AS_A_LIST).expect("WAT")).expect("write");
    match HostRunner::load(&stale, None) {
        Err(e @ LoadError::OtherVersion { .. }) => {
            let message = e.to_string();
            assert!(message.contains("another version of Encore"), "{message}");
            assert!(message.contains("\"reasons\":[]"), "{message}");
        }
        Err(e) => panic!("refused for another cause: {e}"),
        Ok(_) => panic!("a Function whose reasons do not read was loaded"),
    }
    let built = encore_app::host_runner::default_artifact_dir().join("encore-offer.wasm");
    if let Err(e) = HostRunner::load(&built, None) {
        panic!("{e}\n(run scripts/build-wasm.sh first)");
    }
}
