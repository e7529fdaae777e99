//! The offer Function's output (`FunctionRunResult`: its offer and its reasons, one record
//! each) read back as JSON: the one reading the server stores, signs and answers from, and the
//! admin's browser engine shows.

use serde_json::Value;

use crate::{offer_record, reason};

/// An output read: the offer's fields ([`offer_record::to_json`]), when there is an offer,
/// and the reasons as `[{code, campaignId?, stepId?, variantId?, detail}]`.
#[derive(Debug, PartialEq)]
pub struct ReadOutput {
    pub offer: Option<Value>,
    pub reasons: Value,
}

/// Reads the Function's output; an error says which part is not what the Function writes.
pub fn read(output: &Value) -> Result<ReadOutput, String> {
    let reasons = match output.get("reasons") {
        Some(Value::String(text)) => reason::read_records(text)
            .ok_or("the Function's reasons are not reason records (ER1)")?,
        None | Some(Value::Null) => Vec::new(),
        Some(_) => return Err("the Function's reasons are not a string".into()),
    };
    let offer = match output.get("offer") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(
            offer_record::to_json(text)
                .ok_or("the Function's offer is not an offer record (EO1)")?,
        ),
        Some(_) => return Err("the Function's offer is not a string".into()),
    };
    Ok(ReadOutput {
        offer,
        reasons: reason::to_json(&reasons),
    })
}
