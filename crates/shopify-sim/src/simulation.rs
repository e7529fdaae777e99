//! `OrdersForSimulation`: past orders as the admin's simulator reads them, newest first, in the
//! 2026-10 schema's shapes (`Order.customerLocale`, `shippingAddress.countryCodeV2`, the
//! customer's facts, `lineItems(first: 50)` with `originalUnitPriceSet`).

use serde_json::{json, Value};

use crate::state::{ShopState, SimOrder};

/// Lines per order, as Encore's query asks (`lineItems(first: 50)`).
const LINES: usize = 50;

/// The orders a search finds: its `name:` term (`name:#1001` or `name:1001`, as Shopify's
/// order search matches names) or every order; other terms are ignored. Newest first, `first`
/// of them.
pub(crate) fn orders(state: &ShopState, variables: &Value) -> Result<Value, String> {
    let first = variables
        .get("first")
        .and_then(Value::as_u64)
        .ok_or("Variable $first of type Int! was provided invalid value")?;
    if first > 250 {
        return Err("The first argument must be at most 250".into());
    }
    let name = variables
        .get("query")
        .and_then(Value::as_str)
        .and_then(|q| q.split_whitespace().find_map(|t| t.strip_prefix("name:")))
        .map(|n| {
            n.trim_matches(|c| c == '\'' || c == '"')
                .trim_start_matches('#')
        });
    let mut matching: Vec<&SimOrder> = state
        .orders
        .values()
        .filter(|o| name.is_none_or(|n| o.name.trim_start_matches('#').eq_ignore_ascii_case(n)))
        .collect();
    matching.sort_by(|a, b| (&b.created_at, b.id).cmp(&(&a.created_at, a.id)));
    let nodes: Vec<Value> = matching
        .into_iter()
        .take(first as usize)
        .map(|o| order(state, o))
        .collect();
    Ok(json!({"orders": {"nodes": nodes}}))
}

fn order(state: &ShopState, o: &SimOrder) -> Value {
    let currency = o.currency.as_ref().unwrap_or(&state.spec.currency);
    let customer = o.customer.map(|id| match state.customers.get(&id) {
        Some(c) => json!({
            "id": format!("gid://shopify/Customer/{id}"),
            "tags": c.tags,
            "numberOfOrders": c.number_of_orders.to_string(),
            "amountSpent": {"amount": c.amount_spent, "currencyCode": state.spec.currency},
        }),
        None => json!({
            "id": format!("gid://shopify/Customer/{id}"),
            "tags": [],
            "numberOfOrders": "1",
            "amountSpent": {"amount": "0.0", "currencyCode": state.spec.currency},
        }),
    });
    json!({
        "id": format!("gid://shopify/Order/{}", o.id),
        "name": o.name,
        "createdAt": o.created_at,
        "currencyCode": currency,
        "customerLocale": o.customer_locale,
        "shippingAddress": o.shipping_country.as_ref().map(|c| json!({"countryCodeV2": c})),
        "customer": customer,
        "lineItems": {"nodes": o.lines.iter().take(LINES).map(|l| json!({
            "quantity": l.quantity,
            "variant": l.variant.map(|v| json!({"id": format!("gid://shopify/ProductVariant/{v}")})),
            "product": l.product.map(|p| json!({"id": format!("gid://shopify/Product/{p}")})),
            "originalUnitPriceSet": {"shopMoney": {"amount": l.unit_price, "currencyCode": currency}},
        })).collect::<Vec<_>>()},
    })
}
