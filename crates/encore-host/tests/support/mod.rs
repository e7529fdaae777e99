//! Purpose-built WAT guests shared by the integration tests.
#![allow(dead_code)]

use encore_host::{FunctionHost, FunctionModule};
use std::sync::OnceLock;

/// The host with the provider from `scripts/build-wasm.sh provider` (or $ENCORE_PROVIDER_WASM).
pub fn host() -> &'static FunctionHost {
    static HOST: OnceLock<FunctionHost> = OnceLock::new();
    HOST.get_or_init(|| {
        FunctionHost::from_default_artifacts()
            .unwrap_or_else(|e| panic!("{e}\n(run `scripts/build-wasm.sh provider` first)"))
    })
}

pub fn wasm(wat: &str) -> Vec<u8> {
    wat::parse_str(wat).expect("test WAT compiles")
}

pub fn load(wat: &str) -> FunctionModule {
    host().load(&wasm(wat)).expect("test guest loads")
}

const IMPORTS: &str = r#"
  (import "shopify_function_v2" "shopify_function_input_get" (func $input_get (result i64)))
  (import "shopify_function_v2" "shopify_function_input_get_val_len" (func $val_len (param i64) (result i32)))
  (import "shopify_function_v2" "shopify_function_input_read_utf8_str" (func $read_str (param i32 i32 i32)))
  (import "shopify_function_v2" "shopify_function_input_get_obj_prop" (func $get_prop (param i64 i32 i32) (result i64)))
  (import "shopify_function_v2" "shopify_function_input_get_interned_obj_prop" (func $get_interned (param i64 i32) (result i64)))
  (import "shopify_function_v2" "shopify_function_intern_utf8_str" (func $intern (param i32 i32) (result i32)))
  (import "shopify_function_v2" "shopify_function_output_new_object" (func $new_obj (param i32) (result i32)))
  (import "shopify_function_v2" "shopify_function_output_finish_object" (func $finish_obj (result i32)))
  (import "shopify_function_v2" "shopify_function_output_new_array" (func $new_arr (param i32) (result i32)))
  (import "shopify_function_v2" "shopify_function_output_finish_array" (func $finish_arr (result i32)))
  (import "shopify_function_v2" "shopify_function_output_new_utf8_str" (func $new_str (param i32 i32) (result i32)))
  (import "shopify_function_v2" "shopify_function_output_new_i32" (func $new_i32 (param i32) (result i32)))
  (import "shopify_function_v2" "shopify_function_output_new_f64" (func $new_f64 (param f64) (result i32)))
  (import "shopify_function_v2" "shopify_function_log_new_utf8_str" (func $log (param i32 i32)))
  (memory (export "memory") 1)
"#;

/// A guest module: the Wasm API imports, one page of memory, and `body` (funcs and data).
pub fn guest(body: &str) -> String {
    format!("(module {IMPORTS} {body})")
}

/// Reads `name` from the input object twice (by key and by interned key) and writes
/// `{"name": name, "again": name, "n": 42, "half": 0.5}`; logs "hello".
pub fn echo() -> String {
    guest(
        r#"
  (data (i32.const 0) "hello")
  (data (i32.const 16) "name")
  (data (i32.const 32) "again")
  (data (i32.const 48) "n")
  (data (i32.const 64) "half")
  (func (export "run")
    (local $root i64) (local $v i64) (local $len i32) (local $id i32)
    (call $log (i32.const 0) (i32.const 5))
    (local.set $root (call $input_get))
    (local.set $v (call $get_prop (local.get $root) (i32.const 16) (i32.const 4)))
    (local.set $len (call $val_len (local.get $v)))
    (call $read_str (i32.wrap_i64 (local.get $v)) (i32.const 1024) (local.get $len))
    (drop (call $new_obj (i32.const 4)))
    (drop (call $new_str (i32.const 16) (i32.const 4)))
    (drop (call $new_str (i32.const 1024) (local.get $len)))
    (local.set $id (call $intern (i32.const 16) (i32.const 4)))
    (local.set $v (call $get_interned (local.get $root) (local.get $id)))
    (local.set $len (call $val_len (local.get $v)))
    (call $read_str (i32.wrap_i64 (local.get $v)) (i32.const 2048) (local.get $len))
    (drop (call $new_str (i32.const 32) (i32.const 5)))
    (drop (call $new_str (i32.const 2048) (local.get $len)))
    (drop (call $new_str (i32.const 48) (i32.const 1)))
    (drop (call $new_i32 (i32.const 42)))
    (drop (call $new_str (i32.const 64) (i32.const 4)))
    (drop (call $new_f64 (f64.const 0.5)))
    (drop (call $finish_obj)))
"#,
    )
}

/// Writes `{}`.
pub fn empty_object() -> String {
    guest(r#"(func (export "run") (drop (call $new_obj (i32.const 0))) (drop (call $finish_obj)))"#)
}
