//! The engine's decision written as the offer Function's output (schema.graphql's
//! `FunctionRunResult`: the offer and the reasons, one record each, by the engine's own
//! writers), so the browser's answer can be compared with the Function's byte for byte; and
//! that output read back as the admin shows it.

use encore_engine::{offer_record, reason, Decision};
use serde::Serialize;
use serde_json::{json, Value};

#[derive(Serialize)]
pub struct Output {
    #[serde(skip_serializing_if = "Option::is_none")]
    offer: Option<String>,
    reasons: String,
}

impl From<Decision> for Output {
    fn from(d: Decision) -> Output {
        Output {
            offer: d.offer.as_ref().map(offer_record::write),
            reasons: reason::write_records(&d.reasons),
        }
    }
}

/// A Function output read as the server reads it: `{offer?, reasons}` with the offer's fields
/// (`offer_record::to_json`) and the reasons as `[{code, campaignId?, stepId?, variantId?,
/// detail}]`. An error when either record does not read.
pub fn read(output: &Value) -> Result<Value, String> {
    let reasons = output["reasons"]
        .as_str()
        .and_then(reason::read_records)
        .ok_or("the reasons are not the record an offer Function writes")?;
    let mut read = json!({"reasons": reason::to_json(&reasons)});
    match &output["offer"] {
        Value::Null => {}
        Value::String(text) => {
            read["offer"] = offer_record::to_json(text)
                .ok_or("the offer is not the record an offer Function writes")?;
        }
        _ => return Err("the offer is not a record".into()),
    }
    Ok(read)
}
