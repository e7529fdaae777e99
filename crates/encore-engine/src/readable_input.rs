//! The offer Function's input written as the server writes it, from its readable form (the
//! configuration as JSON, lines and fact lists as lists): what the fixtures, `measure_input`
//! and the cost model hand the Function. The server builds the same parts with the same
//! writers ([`crate::compiled`], [`crate::context_record`], [`crate::line_record`],
//! [`crate::packed_facts`]). [`read`] shows a written input as the readable parts it holds.

use crate::named_facts::NamedFacts;
use serde_json::Value;

/// The readable parts written as the one `context` record ([`crate::context_record`]).
const CONTEXT: [&str; 3] = ["funnel", "customer", "purchase"];

/// The purchase's members the context record holds; the purchase keeps the others (its lines).
const PURCHASE_CONTEXT: [&str; 4] = [
    "referenceId",
    "customerId",
    "destinationCountryCode",
    "totalPriceSet",
];

/// The offer Function's input with its readable parts packed: the configuration
/// metafield's `jsonValue` becomes the `value` compiled for the input's shop currency
/// ([`crate::compiled`]), the purchase's `lines` its `packedLines` (one line record per
/// line, with only the product facts the configuration's triggers name:
/// [`crate::line_record`]), the `funnel`, `customer` and the purchase's ids and totals one
/// `context` record ([`crate::context_record`]), and the lists `offerStats`, `coPurchases` and
/// `catalog` one `facts` string in their place ([`crate::packed_facts`]). Anything else, and
/// an input already written, is kept as it is.
pub fn write(input: &Value) -> Value {
    let Some(fields) = input.as_object() else {
        return input.clone();
    };
    let mut packed = serde_json::Map::new();
    let lists = crate::packed_facts::LISTS;
    for (key, value) in fields {
        if lists.contains(&key.as_str()) {
            // The facts take the place of the first of their lists.
            if !packed.contains_key("facts") {
                let list = |name: &str| {
                    input
                        .get(name)
                        .and_then(Value::as_array)
                        .map(Vec::as_slice)
                        .unwrap_or_default()
                };
                let facts =
                    crate::packed_facts::pack(list(lists[0]), list(lists[1]), list(lists[2]));
                packed.insert("facts".to_owned(), Value::String(facts));
            }
            continue;
        }
        if CONTEXT.contains(&key.as_str()) && input.get("context").is_none() {
            // The context takes the place of the funnel; the purchase keeps its lines.
            if !packed.contains_key("context") {
                let part = |name: &str| input.get(name).unwrap_or(&Value::Null);
                let context = crate::context_record::write(
                    part("funnel"),
                    part("customer"),
                    part("purchase"),
                );
                packed.insert("context".to_owned(), Value::String(context));
            }
            if let (true, Some(purchase)) = (key == "purchase", value.as_object()) {
                let lines = purchase
                    .iter()
                    .filter(|(k, _)| !PURCHASE_CONTEXT.contains(&k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                packed.insert("purchase".to_owned(), Value::Object(lines));
            }
            continue;
        }
        packed.insert(key.clone(), value.clone());
    }
    let mut named = NamedFacts::default();
    let currency_code = packed
        .get("shop")
        .and_then(|s| s.get("currencyCode")?.as_str())
        .unwrap_or_default()
        .to_owned();
    if let Some(metafield) = packed
        .get_mut("shop")
        .and_then(|s| s.get_mut("metafield"))
        .and_then(Value::as_object_mut)
    {
        if let Some(json) = metafield.remove("jsonValue") {
            named = NamedFacts::of_config(&json);
            let compiled = crate::compiled::compile(&json, &currency_code);
            metafield.insert("value".to_owned(), Value::String(compiled));
        }
    }
    if let Some(purchase) = packed.get_mut("purchase").and_then(Value::as_object_mut) {
        *purchase = std::mem::take(purchase)
            .into_iter()
            .map(|(key, value)| match (key.as_str(), &value) {
                ("lines", Value::Array(lines)) => (
                    "packedLines".to_owned(),
                    lines
                        .iter()
                        .map(|l| {
                            Value::String(crate::line_record::write(l, &named, &currency_code))
                        })
                        .collect(),
                ),
                _ => (key, value),
            })
            .collect();
    }
    Value::Object(packed)
}

/// An input as the Function reads it, with its records shown as the readable parts they hold:
/// the `context` as `funnel`, `customer` and the purchase's ids and totals, each of
/// `packedLines` as one of the purchase's `lines`, and the `facts` as their lists. The
/// compiled configuration stays as it is. For the demo page and tools: what the Function
/// decided on, in words a developer can read.
pub fn read(input: &Value) -> Value {
    let Some(fields) = input.as_object() else {
        return input.clone();
    };
    let mut out = serde_json::Map::new();
    let mut context_purchase = serde_json::Map::new();
    for (key, value) in fields {
        match (key.as_str(), value.as_str()) {
            ("context", Some(record)) => {
                let context = crate::context_record::to_json(record);
                out.insert("funnel".to_owned(), context["funnel"].clone());
                out.insert("customer".to_owned(), context["customer"].clone());
                if let Some(purchase) = context["purchase"].as_object() {
                    context_purchase = purchase.clone();
                }
            }
            ("facts", Some(facts)) => {
                if let Value::Object(lists) = crate::packed_facts::to_json(facts) {
                    out.extend(lists);
                }
            }
            ("purchase", _) => {
                let mut purchase = std::mem::take(&mut context_purchase);
                let lines: Vec<Value> = value
                    .get("packedLines")
                    .and_then(Value::as_array)
                    .map(|l| {
                        l.iter()
                            .map(|r| crate::line_record::to_json(r.as_str().unwrap_or_default()))
                            .collect()
                    })
                    .unwrap_or_default();
                purchase.insert("lines".to_owned(), Value::Array(lines));
                out.insert("purchase".to_owned(), Value::Object(purchase));
            }
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_input_reads_back_as_its_readable_parts() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/readable/seed-phone-case.input.json"
        );
        let readable: Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("JSON");
        let shown = read(&write(&readable));
        assert_eq!(shown["funnel"], readable["funnel"]);
        assert_eq!(shown["customer"], readable["customer"]);
        assert_eq!(
            shown["purchase"]["referenceId"],
            readable["purchase"]["referenceId"]
        );
        let lines = shown["purchase"]["lines"].as_array().expect("lines");
        assert_eq!(
            lines.len(),
            readable["purchase"]["lines"].as_array().unwrap().len()
        );
        assert_eq!(
            lines[0]["productId"],
            readable["purchase"]["lines"][0]["product"]["id"]
        );
        assert_eq!(
            shown["catalog"].as_array().map(Vec::len),
            readable["catalog"].as_array().map(Vec::len)
        );
    }
}
