//! Encore's offer engine for the admin's browser: the offer Function's decision on an input in
//! the Function's own shape, that decision read from the records the Function writes, the
//! configuration's validation with JSON paths, and one offer's price, all by `encore-engine`
//! (the Function's code), exported with `wasm-bindgen`.
//!
//! Values cross as JSON text (the Function's records inside it as strings): the shapes are the
//! Function's (schema.graphql), its records read as the server reads them
//! (`encore_engine::offer_record::to_json`, `[{code, …, detail}]`) and the admin API's
//! (`[{path, message}]`), and `web/app/js/engine.js` gives them their JavaScript types.
//! Bad input gives an error with its reason; nothing panics on it.

mod input;
mod output;
mod price;

use encore_engine::config::ConfigFault;
use encore_engine::Currency;
use serde::Serialize;
use wasm_bindgen::prelude::*;

pub use price::price_offer;

/// A configuration fault as the admin API answers it.
#[derive(Serialize)]
struct Fault {
    path: String,
    message: String,
}

fn faults(list: Vec<ConfigFault>) -> Vec<Fault> {
    list.into_iter()
        .map(|f| Fault {
            path: f.path,
            message: f.message,
        })
        .collect()
}

fn to_json<T: Serialize>(value: &T) -> String {
    // Serializing these plain structs to a string cannot fail.
    serde_json::to_string(value).unwrap_or_default()
}

fn currency(code: &str) -> Result<Currency, String> {
    Currency::from_code(code).ok_or_else(|| format!("\"{code}\" is not an ISO 4217 currency code"))
}

/// The offer Function's output (`FunctionRunResult` as JSON) for its input given as JSON.
/// An input that is not in the Function's input shape is refused, as the Function refuses it.
pub fn decide_json(input: &str) -> Result<String, String> {
    let mut input: input::Input =
        serde_json::from_str(input).map_err(|e| format!("not an offer Function input: {e}"))?;
    input.pack()?;
    let decision = encore_engine::input::decide(&input::Reader(&input));
    Ok(to_json(&output::Output::from(decision)))
}

/// The offer Function's output (as [`decide_json`] gives it) read as the admin shows it: the
/// offer's fields, and the reasons as `[{code, campaignId?, stepId?, variantId?, detail}]`.
pub fn read_output_json(output: &str) -> Result<String, String> {
    let output: serde_json::Value =
        serde_json::from_str(output).map_err(|e| format!("not an offer Function output: {e}"))?;
    Ok(output::read(&output)?.to_string())
}

/// The engine's faults (`[{path, message}]`, empty when valid) for a whole configuration given
/// as JSON, amounts read in the shop currency `currency_code`, as the server validates a save.
pub fn validate_json(config: &str, currency_code: &str) -> Result<String, String> {
    let currency = currency(currency_code)?;
    let config: serde_json::Value =
        serde_json::from_str(config).map_err(|e| format!("the configuration is not JSON: {e}"))?;
    let found = match encore_engine::config::validate_json(&config, currency) {
        Ok(_) => Vec::new(),
        Err(list) => faults(list),
    };
    Ok(to_json(&found))
}

/// The offer Function's output for `input` (JSON in the Function's input shape), as JSON.
#[wasm_bindgen]
pub fn decide(input: &str) -> Result<String, JsError> {
    decide_json(input).map_err(|e| JsError::new(&e))
}

/// The Function's output read as the admin shows it (see [`read_output_json`]), as JSON.
#[wasm_bindgen]
pub fn read_output(output: &str) -> Result<String, JsError> {
    read_output_json(output).map_err(|e| JsError::new(&e))
}

/// The engine's faults for a configuration, as JSON `[{path, message}]`.
#[wasm_bindgen]
pub fn validate(config: &str, currency_code: &str) -> Result<String, JsError> {
    validate_json(config, currency_code).map_err(|e| JsError::new(&e))
}

/// One offer's price for a variant, as JSON (see [`price_offer`]).
#[wasm_bindgen]
pub fn price(
    offer: &str,
    unit_price: &str,
    compare_at_price: Option<String>,
    currency_code: &str,
) -> Result<String, JsError> {
    price_offer(
        offer,
        unit_price,
        compare_at_price.as_deref(),
        currency_code,
    )
    .map_err(|e| JsError::new(&e))
}
