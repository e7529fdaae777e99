//! Lossless conversion of the offer Function's `changes` (ids and decimals as strings) to Shopify's changeset JSON.
//!
//! The Function's changes (its offer record, read by `encore_engine::offer_record::to_json`) are
//! Shopify's post-purchase changes field for field, except that ids and decimals are strings. Shopify wants ids as JSON integers and money as
//! JSON numbers. Going through `f64` could turn `"19.99"` into `19.989999…` or `"0.1"` into
//! something else; here every number is written from its own decimal text, checked against
//! JSON's number grammar, so the signed JSON says exactly what the Function decided. Nulls are
//! dropped; anything that is not a valid change of its type is refused, never repaired.

use crate::ids::{SellingPlanId, VariantId};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// Why a Function's change cannot be signed. Each one is a defect of the Function's output.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChangeError {
    #[error("changes[{index}] is not an object")]
    NotAnObject { index: usize },
    #[error("changes[{index}].type is missing or unknown ({found}); expected add_variant, add_subscription, add_shipping_line or set_metafield")]
    UnknownType { index: usize, found: String },
    #[error("changes[{index}].{field} is not a field of a {change_type} change")]
    UnexpectedField {
        index: usize,
        field: String,
        change_type: &'static str,
    },
    #[error("changes[{index}].{field} is required for a {change_type} change")]
    MissingField {
        index: usize,
        field: &'static str,
        change_type: &'static str,
    },
    #[error("changes[{index}].{field} must be a numeric Shopify id (got {found})")]
    BadId {
        index: usize,
        field: String,
        found: String,
    },
    #[error(
        "changes[{index}].{field} must be a non-negative decimal such as \"19.99\" (got {found})"
    )]
    BadDecimal {
        index: usize,
        field: String,
        found: String,
    },
    #[error("changes[{index}].{field} must be a positive whole number (got {found})")]
    BadQuantity {
        index: usize,
        field: String,
        found: String,
    },
    #[error("changes[{index}].{field} must be {expected} (got {found})")]
    BadValue {
        index: usize,
        field: String,
        expected: &'static str,
        found: String,
    },
    #[error("the Function returned an offer with no changes to sign")]
    Empty,
}

/// Converts the Function's `changes` array to Shopify's changeset `changes`, as raw JSON text
/// (an array) ready to embed in a JWT or a response without re-encoding its numbers.
pub fn to_shopify(changes: &Value) -> Result<Box<RawValue>, ChangeError> {
    let list = match changes {
        Value::Array(list) => list,
        other => {
            return Err(ChangeError::BadValue {
                index: 0,
                field: "changes".into(),
                expected: "an array",
                found: short(other),
            })
        }
    };
    if list.is_empty() {
        return Err(ChangeError::Empty);
    }
    let mut out = String::from("[");
    for (index, change) in list.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        out.push_str(&convert_one(index, change)?);
    }
    out.push(']');
    Ok(RawValue::from_string(out).expect("the converter writes valid JSON"))
}

const ADD_VARIANT: &[&str] = &["type", "variantId", "quantity", "discount"];
const ADD_SUBSCRIPTION: &[&str] = &[
    "type",
    "variantId",
    "sellingPlanId",
    "initialShippingPrice",
    "recurringShippingPrice",
    "quantity",
    "shippingOption",
    "discount",
];
const ADD_SHIPPING_LINE: &[&str] = &["type", "price", "title", "presentmentTitle"];
const SET_METAFIELD: &[&str] = &["type", "namespace", "key", "value", "valueType"];

fn convert_one(index: usize, change: &Value) -> Result<String, ChangeError> {
    let obj = change
        .as_object()
        .ok_or(ChangeError::NotAnObject { index })?;
    let kind = obj.get("type").and_then(Value::as_str).unwrap_or("");
    let (change_type, fields, required): (&'static str, &[&str], &[&'static str]) = match kind {
        "add_variant" => ("add_variant", ADD_VARIANT, &["variantId", "quantity"]),
        "add_subscription" => (
            "add_subscription",
            ADD_SUBSCRIPTION,
            &[
                "variantId",
                "sellingPlanId",
                "quantity",
                "initialShippingPrice",
                "recurringShippingPrice",
            ],
        ),
        "add_shipping_line" => ("add_shipping_line", ADD_SHIPPING_LINE, &["price"]),
        "set_metafield" => (
            "set_metafield",
            SET_METAFIELD,
            &["namespace", "key", "value", "valueType"],
        ),
        _ => {
            return Err(ChangeError::UnknownType {
                index,
                found: obj.get("type").map(short).unwrap_or_else(|| "none".into()),
            })
        }
    };
    for (field, value) in obj {
        if !value.is_null() && !fields.contains(&field.as_str()) {
            return Err(ChangeError::UnexpectedField {
                index,
                field: field.clone(),
                change_type,
            });
        }
    }
    for field in required {
        if obj.get(*field).is_none_or(Value::is_null) {
            return Err(ChangeError::MissingField {
                index,
                field,
                change_type,
            });
        }
    }
    let mut w = ObjectWriter::default();
    for field in fields {
        let Some(value) = obj.get(*field).filter(|v| !v.is_null()) else {
            continue;
        };
        let path = |f: &str| f.to_string();
        let text = match *field {
            "type" => json_string(kind),
            "variantId" | "sellingPlanId" => id(index, &path(field), value)?,
            "quantity" => quantity(index, &path(field), value)?,
            "initialShippingPrice" | "recurringShippingPrice" | "price" => {
                decimal(index, &path(field), value)?
            }
            "discount" => discount(index, value)?,
            "shippingOption" => {
                let o = value.as_object().ok_or_else(|| ChangeError::BadValue {
                    index,
                    field: "shippingOption".into(),
                    expected: "an object",
                    found: short(value),
                })?;
                string_object(index, "shippingOption", o, &["title", "presentmentTitle"])?
            }
            "valueType" => {
                let s = string(index, field, value)?;
                if !matches!(s, "integer" | "string" | "json_string") {
                    return Err(ChangeError::BadValue {
                        index,
                        field: "valueType".into(),
                        expected: "integer, string or json_string",
                        found: short(value),
                    });
                }
                json_string(s)
            }
            _ => json_string(string(index, field, value)?),
        };
        w.field(field, &text);
    }
    Ok(w.finish())
}

fn discount(index: usize, value: &Value) -> Result<String, ChangeError> {
    let field = "discount";
    let o = value.as_object().ok_or_else(|| ChangeError::BadValue {
        index,
        field: field.into(),
        expected: "an object",
        found: short(value),
    })?;
    for (k, v) in o {
        if !v.is_null() && !matches!(k.as_str(), "value" | "valueType" | "title") {
            return Err(ChangeError::UnexpectedField {
                index,
                field: format!("discount.{k}"),
                change_type: "discount",
            });
        }
    }
    let get = |k: &'static str| {
        o.get(k)
            .filter(|v| !v.is_null())
            .ok_or(ChangeError::MissingField {
                index,
                field: k,
                change_type: "discount",
            })
    };
    let amount = decimal(index, "discount.value", get("value")?)?;
    let vt = get("valueType")?;
    let vt_s = string(index, "discount.valueType", vt)?;
    if !matches!(vt_s, "percentage" | "fixed_amount") {
        return Err(ChangeError::BadValue {
            index,
            field: "discount.valueType".into(),
            expected: "percentage or fixed_amount",
            found: short(vt),
        });
    }
    let title = string(index, "discount.title", get("title")?)?;
    let mut w = ObjectWriter::default();
    w.field("value", &amount);
    w.field("valueType", &json_string(vt_s));
    w.field("title", &json_string(title));
    Ok(w.finish())
}

fn string_object(
    index: usize,
    name: &str,
    o: &Map<String, Value>,
    fields: &[&str],
) -> Result<String, ChangeError> {
    let mut w = ObjectWriter::default();
    for (k, v) in o {
        if !v.is_null() && !fields.contains(&k.as_str()) {
            return Err(ChangeError::UnexpectedField {
                index,
                field: format!("{name}.{k}"),
                change_type: "shipping option",
            });
        }
    }
    for f in fields {
        if let Some(v) = o.get(*f).filter(|v| !v.is_null()) {
            w.field(f, &json_string(string(index, &format!("{name}.{f}"), v)?));
        }
    }
    Ok(w.finish())
}

#[derive(Default)]
struct ObjectWriter {
    out: String,
}

impl ObjectWriter {
    fn field(&mut self, key: &str, raw: &str) {
        self.out.push(if self.out.is_empty() { '{' } else { ',' });
        self.out.push_str(&json_string(key));
        self.out.push(':');
        self.out.push_str(raw);
    }
    fn finish(mut self) -> String {
        if self.out.is_empty() {
            self.out.push('{');
        }
        self.out.push('}');
        self.out
    }
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).expect("strings always serialize")
}

fn string<'a>(index: usize, field: &str, value: &'a Value) -> Result<&'a str, ChangeError> {
    value.as_str().ok_or_else(|| ChangeError::BadValue {
        index,
        field: field.into(),
        expected: "a string",
        found: short(value),
    })
}

/// A Shopify id as a JSON integer. Accepts `"123"` and a GID of the field's resource
/// (`gid://shopify/ProductVariant/123` for `variantId`), through `crate::ids`, the one
/// normalizer; a GID of another resource is refused.
fn id(index: usize, field: &str, value: &Value) -> Result<String, ChangeError> {
    let bad = || ChangeError::BadId {
        index,
        field: field.into(),
        found: short(value),
    };
    let text = value.as_str().ok_or_else(bad)?;
    let number = match field {
        "sellingPlanId" => SellingPlanId::parse(text).map(SellingPlanId::get),
        _ => VariantId::parse(text).map(VariantId::get),
    };
    number.map(|n| n.to_string()).map_err(|_| bad())
}

fn quantity(index: usize, field: &str, value: &Value) -> Result<String, ChangeError> {
    match value.as_u64() {
        Some(n) if n > 0 && n <= i32::MAX as u64 => Ok(n.to_string()),
        _ => Err(ChangeError::BadQuantity {
            index,
            field: field.into(),
            found: short(value),
        }),
    }
}

/// A decimal string written as a JSON number with exactly the same text.
fn decimal(index: usize, field: &str, value: &Value) -> Result<String, ChangeError> {
    let bad = || ChangeError::BadDecimal {
        index,
        field: field.into(),
        found: short(value),
    };
    let text = value.as_str().ok_or_else(bad)?;
    if is_plain_decimal(text) {
        Ok(text.to_string())
    } else {
        Err(bad())
    }
}

/// `0`, `12`, `12.50`, `0.005`: JSON's number grammar without sign or exponent.
pub fn is_plain_decimal(text: &str) -> bool {
    let (int, frac) = match text.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (text, None),
    };
    let int_ok = !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && (int == "0" || !int.starts_with('0'));
    let frac_ok = frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
    int_ok && frac_ok
}

fn short(value: &Value) -> String {
    let mut s = value.to_string();
    if s.len() > 60 {
        let mut cut = 57;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push_str("...");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn convert(v: Value) -> String {
        to_shopify(&v).unwrap().get().to_string()
    }

    #[test]
    fn add_variant_with_discount_keeps_exact_decimal_text() {
        let out = convert(json!([{
            "type": "add_variant", "variantId": "44012345678901", "quantity": 1,
            "discount": {"value": "19.99", "valueType": "fixed_amount", "title": "Encore"},
            "sellingPlanId": null, "price": null
        }]));
        assert_eq!(
            out,
            r#"[{"type":"add_variant","variantId":44012345678901,"quantity":1,"discount":{"value":19.99,"valueType":"fixed_amount","title":"Encore"}}]"#
        );
    }

    #[test]
    fn decimals_that_f64_cannot_hold_survive() {
        for text in [
            "0.1",
            "0.30",
            "1234567890123456789.123456789",
            "5.00",
            "0",
            "0.005",
        ] {
            let out = convert(json!([{"type": "add_shipping_line", "price": text}]));
            assert_eq!(
                out,
                format!(r#"[{{"type":"add_shipping_line","price":{text}}}]"#)
            );
            // And it is a JSON number a reader sees as that decimal.
            let parsed: Value = serde_json::from_str(&out).unwrap();
            assert!(parsed[0]["price"].is_number());
        }
    }

    #[test]
    fn add_subscription_full() {
        let out = convert(json!([{
            "type": "add_subscription", "variantId": "gid://shopify/ProductVariant/7", "sellingPlanId": "3001",
            "initialShippingPrice": "0.00", "recurringShippingPrice": "4.90", "quantity": 2,
            "shippingOption": {"title": "Standard", "presentmentTitle": null},
            "discount": {"value": "15", "valueType": "percentage", "title": "Subscribe & save"}
        }]));
        assert_eq!(
            out,
            r#"[{"type":"add_subscription","variantId":7,"sellingPlanId":3001,"initialShippingPrice":0.00,"recurringShippingPrice":4.90,"quantity":2,"shippingOption":{"title":"Standard"},"discount":{"value":15,"valueType":"percentage","title":"Subscribe & save"}}]"#
        );
    }

    #[test]
    fn set_metafield_and_shipping_line() {
        let out = convert(json!([
            {"type": "add_shipping_line", "price": "4.99", "title": "Express", "presentmentTitle": "Express \"fast\""},
            {"type": "set_metafield", "namespace": "encore", "key": "offer", "value": "{\"c\":\"x\"}", "valueType": "json_string"}
        ]));
        assert_eq!(
            out,
            r#"[{"type":"add_shipping_line","price":4.99,"title":"Express","presentmentTitle":"Express \"fast\""},{"type":"set_metafield","namespace":"encore","key":"offer","value":"{\"c\":\"x\"}","valueType":"json_string"}]"#
        );
    }

    #[test]
    fn refuses_what_is_not_a_valid_change() {
        let bad = [
            json!([]),
            json!({}),
            json!([1]),
            json!([{"type": "remove_variant"}]),
            json!([{"type": "add_variant", "variantId": "12"}]),
            json!([{"type": "add_variant", "variantId": "12", "quantity": 0}]),
            json!([{"type": "add_variant", "variantId": "12", "quantity": -1}]),
            json!([{"type": "add_variant", "variantId": "12", "quantity": 1.5}]),
            json!([{"type": "add_variant", "variantId": 12, "quantity": 1}]),
            json!([{"type": "add_variant", "variantId": "12a", "quantity": 1}]),
            json!([{"type": "add_variant", "variantId": "0", "quantity": 1}]),
            json!([{"type": "add_variant", "variantId": "gid://shopify/Product/12", "quantity": 1}]),
            json!([{"type": "add_variant", "variantId": "99999999999999999999999", "quantity": 1}]),
            json!([{"type": "add_variant", "variantId": "12", "quantity": 1, "price": "1.00"}]),
            json!([{"type": "add_variant", "variantId": "12", "quantity": 1,
                    "discount": {"value": "1e3", "valueType": "percentage", "title": "x"}}]),
            json!([{"type": "add_variant", "variantId": "12", "quantity": 1,
                    "discount": {"value": 10, "valueType": "percentage", "title": "x"}}]),
            json!([{"type": "add_variant", "variantId": "12", "quantity": 1,
                    "discount": {"value": "10", "valueType": "percent", "title": "x"}}]),
            json!([{"type": "add_variant", "variantId": "12", "quantity": 1,
                    "discount": {"value": "10", "valueType": "percentage"}}]),
            json!([{"type": "add_shipping_line", "price": "-1.00"}]),
            json!([{"type": "add_shipping_line", "price": "01.00"}]),
            json!([{"type": "add_shipping_line", "price": "1."}]),
            json!([{"type": "add_shipping_line", "price": ".5"}]),
            json!([{"type": "add_shipping_line", "price": "NaN"}]),
            json!([{"type": "set_metafield", "namespace": "a", "key": "b", "value": "c", "valueType": "float"}]),
        ];
        for case in bad {
            assert!(to_shopify(&case).is_err(), "accepted {case}");
        }
    }

    #[test]
    fn plain_decimal_grammar() {
        for ok in ["0", "0.0", "10", "10.25", "3.140"] {
            assert!(is_plain_decimal(ok), "{ok}");
        }
        for bad in [
            "", "-1", "+1", "00", "01", "1.", ".1", "1e2", "1,5", " 1", "١",
        ] {
            assert!(!is_plain_decimal(bad), "{bad}");
        }
    }
}
