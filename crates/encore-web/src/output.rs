//! The engine's decision written as the offer Function's output (schema.graphql's
//! `FunctionRunResult`: the offer and the reasons, one record each, by the engine's own
//! writers), so the browser's answer can be compared with the Function's byte for byte; and
//! that output read back as the server reads it, for the admin to show.

use encore_engine::{function_output, offer_record, reason, Decision};
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

/// A Function output read as the server reads it (`encore_engine::function_output::read`):
/// `{offer?, reasons}`.
pub fn read(output: &Value) -> Result<Value, String> {
    let read = function_output::read(output)?;
    let mut answer = json!({"reasons": read.reasons});
    if let Some(offer) = read.offer {
        answer["offer"] = offer;
    }
    Ok(answer)
}
