//! The documents the operator loads by hand (`PUT /api/catalog`, `/api/customers`,
//! `/api/co-purchases`) and the demo seeds: read into the store's rows, every fault named at
//! its JSON path.

use encore_shopify::post_purchase::changes::is_plain_decimal;
use encore_store::catalog::CatalogProduct;
use serde_json::{json, Map, Value};

/// A document that does not have the expected shape, with the path of the first fault.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadDocument(pub String);

fn bad(path: String, what: &str) -> BadDocument {
    BadDocument(format!("{path}: {what}"))
}

fn id_of(v: Option<&Value>, path: String) -> Result<String, BadDocument> {
    match v {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(Value::Number(n)) if n.is_u64() => Ok(n.to_string()),
        _ => Err(bad(path, "must be an id such as \"1234\"")),
    }
}

fn decimal_of(v: Option<&Value>, path: String, required: bool) -> Result<Value, BadDocument> {
    match v {
        None | Some(Value::Null) if !required => Ok(Value::Null),
        Some(Value::String(s)) if is_plain_decimal(s.strip_prefix('-').unwrap_or(s)) => {
            Ok(Value::String(s.clone()))
        }
        _ => Err(bad(path, "must be a decimal string such as \"19.99\"")),
    }
}

/// Normalizes one variant to the Function's CatalogVariant fields (product added at load).
fn variant_of(v: &Map<String, Value>, at: &str) -> Result<(String, Value), BadDocument> {
    let id = id_of(v.get("id"), format!("{at}.id"))?;
    let inv = v.get("inventory").and_then(Value::as_object);
    let tracked = inv
        .and_then(|i| i.get("tracked"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let available = inv
        .and_then(|i| i.get("available"))
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let policy = match inv.and_then(|i| i.get("policy")).and_then(Value::as_str) {
        None => "DENY",
        Some(p) if p.eq_ignore_ascii_case("deny") => "DENY",
        Some(p) if p.eq_ignore_ascii_case("continue") => "CONTINUE",
        Some(_) => {
            return Err(bad(
                format!("{at}.inventory.policy"),
                "must be DENY or CONTINUE",
            ))
        }
    };
    let mut plans = Vec::new();
    if let Some(list) = v.get("sellingPlans").and_then(Value::as_array) {
        for (k, p) in list.iter().enumerate() {
            plans.push(json!({"id": id_of(p.get("id"), format!("{at}.sellingPlans[{k}].id"))?}));
        }
    }
    Ok((
        id.clone(),
        json!({
            "id": id,
            "title": v.get("title").filter(|t| t.is_string()).cloned().unwrap_or(Value::Null),
            "price": decimal_of(v.get("price"), format!("{at}.price"), true)?,
            "compareAtPrice": decimal_of(v.get("compareAtPrice"), format!("{at}.compareAtPrice"), false)?,
            "unitCost": decimal_of(v.get("unitCost"), format!("{at}.unitCost"), false)?,
            "requiresShipping": v.get("requiresShipping").and_then(Value::as_bool).unwrap_or(true),
            "inventory": {"tracked": tracked, "available": available, "policy": policy},
            "sellingPlans": plans,
        }),
    ))
}

/// Parses a catalog document `{products: [{id, title, …, variants: [...]}]}`.
pub fn parse_catalog(body: &Value) -> Result<Vec<CatalogProduct>, BadDocument> {
    let products = body
        .get("products")
        .and_then(Value::as_array)
        .ok_or_else(|| BadDocument("expected {\"products\": [...]}".into()))?;
    let mut out = Vec::with_capacity(products.len());
    for (i, p) in products.iter().enumerate() {
        let at = format!("$.products[{i}]");
        let obj = p
            .as_object()
            .ok_or_else(|| bad(at.clone(), "must be an object"))?;
        let id = id_of(obj.get("id"), format!("{at}.id"))?;
        let facts = crate::input::product_facts(obj, &id);
        let mut variants = Vec::new();
        if let Some(list) = obj.get("variants").and_then(Value::as_array) {
            for (j, v) in list.iter().enumerate() {
                let vat = format!("{at}.variants[{j}]");
                let vo = v
                    .as_object()
                    .ok_or_else(|| bad(vat.clone(), "must be an object"))?;
                variants.push(variant_of(vo, &vat)?);
            }
        }
        out.push((id, facts, variants));
    }
    Ok(out)
}

/// Parses `{customers: [{id, tags, numberOfOrders, amountSpent: {amount}}]}`.
pub fn parse_customers(body: &Value) -> Result<Vec<(String, Value)>, BadDocument> {
    let list = body
        .get("customers")
        .and_then(Value::as_array)
        .ok_or_else(|| BadDocument("expected {\"customers\": [...]}".into()))?;
    let mut out = Vec::with_capacity(list.len());
    for (i, c) in list.iter().enumerate() {
        let at = format!("$.customers[{i}]");
        let id = id_of(c.get("id"), format!("{at}.id"))?;
        let spent = decimal_of(
            c.pointer("/amountSpent/amount"),
            format!("{at}.amountSpent.amount"),
            false,
        )?;
        let tags: Vec<Value> = c
            .get("tags")
            .and_then(Value::as_array)
            .map(|t| t.iter().filter(|x| x.is_string()).cloned().collect())
            .unwrap_or_default();
        out.push((
            id.clone(),
            json!({
                "id": id,
                "tags": tags,
                "numberOfOrders": c.get("numberOfOrders").and_then(Value::as_i64).unwrap_or(0),
                "amountSpent": {"amount": if spent.is_null() { json!("0") } else { spent }},
            }),
        ));
    }
    Ok(out)
}

/// Parses `{pairs: [{productId, suggestedProductId, liftPermille}]}`.
pub fn parse_co_purchases(body: &Value) -> Result<Vec<(String, String, i64)>, BadDocument> {
    let list = body
        .get("pairs")
        .and_then(Value::as_array)
        .ok_or_else(|| BadDocument("expected {\"pairs\": [...]}".into()))?;
    let mut out = Vec::with_capacity(list.len());
    for (i, p) in list.iter().enumerate() {
        let at = format!("$.pairs[{i}]");
        let lift = p
            .get("liftPermille")
            .and_then(Value::as_i64)
            .filter(|l| *l >= 0)
            .ok_or_else(|| {
                bad(
                    format!("{at}.liftPermille"),
                    "must be a whole number ≥ 0 (1000 = independent)",
                )
            })?;
        out.push((
            id_of(p.get("productId"), format!("{at}.productId"))?,
            id_of(
                p.get("suggestedProductId"),
                format!("{at}.suggestedProductId"),
            )?,
            lift,
        ));
    }
    Ok(out)
}
