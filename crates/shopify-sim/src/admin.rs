//! `POST /{shop}/admin/api/{version}/graphql.json`: Encore's operations answered in the Admin
//! schema's shapes, with `extensions.cost` and the leaky bucket.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::bulk;
use crate::state::{Shared, ShopState, SimOrder, SimOrderLine};
use crate::store::decimal;

/// A GraphQL request; the simulator answers by operation name.
#[derive(Deserialize)]
pub(crate) struct Request {
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    #[serde(default)]
    variables: Value,
}

/// What each operation costs (close to Shopify's calculated costs for these selections).
fn cost_of(operation: &str) -> f64 {
    match operation {
        "ShopFacts" => 2.0,
        "PostPurchaseAppInUse" => 1.0,
        "CustomerFacts" => 2.0,
        "InventoryItemLevels" => 4.0,
        "OrderAttribution" => 24.0,
        "OrdersSearch" => 52.0,
        "OrdersForSimulation" => 60.0,
        "BulkOperationRunQuery" => 10.0,
        "BulkOperationById" => 1.0,
        _ => 1.0,
    }
}

fn cost(requested: f64, actual: Option<f64>, available: f64, shared: &Shared) -> Value {
    json!({
        "requestedQueryCost": requested,
        "actualQueryCost": actual,
        "throttleStatus": {
            "maximumAvailable": shared.config.bucket_max,
            "currentlyAvailable": available,
            "restoreRate": shared.config.restore_rate,
        }
    })
}

pub(crate) async fn graphql(
    State(shared): State<Arc<Shared>>,
    Path((shop, version)): Path<(String, String)>,
    headers: HeaderMap,
    Json(request): Json<Request>,
) -> Response {
    if version != shared.config.api_version {
        return (StatusCode::NOT_FOUND, "unknown API version").into_response();
    }
    let token = headers
        .get("x-shopify-access-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    // A slow Shopify, on demand: the delay is taken before the answer is computed.
    if let Some(delay) = shared
        .with_shop(&shop, |state| state.delay_next.pop_front())
        .flatten()
    {
        tokio::time::sleep(delay).await;
    }
    let shared2 = shared.clone();
    let answer = shared.with_shop(&shop, move |state| answer(&shared2, state, &token, request));
    answer.unwrap_or_else(|| (StatusCode::NOT_FOUND, "shop not found").into_response())
}

fn answer(shared: &Shared, state: &mut ShopState, token: &str, request: Request) -> Response {
    state.admin_requests += 1;
    if state.expire_tokens_at == Some(state.admin_requests) {
        state.expire_access_tokens();
    }
    let pair = match state.access.get(token) {
        Some(t) if t.expires_at.is_none_or(|at| at > Instant::now()) => t.pair,
        _ => {
            return (
                StatusCode::UNAUTHORIZED,
                Json(json!({"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"})),
            )
                .into_response()
        }
    };
    state.pair_used(pair);
    if let Some(status) = state.fail_next.pop_front() {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, Json(json!({"errors": "simulated failure"}))).into_response();
        if status == StatusCode::TOO_MANY_REQUESTS {
            response
                .headers_mut()
                .insert("retry-after", "0.05".parse().expect("header"));
        }
        return response;
    }
    let operation = request.operation_name.clone().unwrap_or_default();
    let requested = cost_of(&operation);
    let forced = state.throttle_next > 0;
    if forced {
        state.throttle_next -= 1;
    }
    let taken = if forced {
        Err(state.available)
    } else {
        state.take(&shared.config, requested)
    };
    let available = match taken {
        Ok(available) => available,
        Err(available) => {
            state.throttled += 1;
            return Json(json!({
                "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
                "extensions": {"cost": cost(requested, None, available, shared)},
            }))
            .into_response();
        }
    };
    let data = match operation.as_str() {
        "ShopFacts" => Ok(shop_facts(state)),
        "PostPurchaseAppInUse" => Ok(json!({"currentAppInstallation": {"app": {
            "isPostPurchaseAppInUse": state.post_purchase_app_in_use,
        }}})),
        "CustomerFacts" => customer(state, &request.variables),
        "InventoryItemLevels" => crate::inventory::item_levels(state, &request.variables),
        "OrderAttribution" => order(state, &request.variables),
        "OrdersSearch" => orders_search(state, &request.variables),
        "OrdersForSimulation" => crate::simulation::orders(state, &request.variables),
        "BulkOperationRunQuery" => Ok(bulk::run_query(shared, state, &request.variables)),
        "BulkOperationById" => bulk::by_id(shared, state, &request.variables),
        other => Err(format!("the simulator does not answer operation {other:?}")),
    };
    let extensions = json!({"cost": cost(requested, Some(requested), available, shared)});
    match data {
        Ok(data) => Json(json!({"data": data, "extensions": extensions})).into_response(),
        Err(message) => Json(json!({
            "errors": [{"message": message, "extensions": {"code": "undefinedField"}}],
            "extensions": extensions,
        }))
        .into_response(),
    }
}

fn shop_facts(state: &ShopState) -> Value {
    json!({"shop": {
        "id": "gid://shopify/Shop/548380009",
        "name": "Simulated shop",
        "myshopifyDomain": state.domain,
        "currencyCode": state.spec.currency,
        "plan": {"publicDisplayName": "Basic", "partnerDevelopment": true, "shopifyPlus": false},
    }})
}

/// The number in a GID variable of the given resource.
pub(crate) fn gid_number(variables: &Value, name: &str, resource: &str) -> Result<u64, String> {
    variables
        .get(name)
        .and_then(Value::as_str)
        .and_then(|gid| gid.strip_prefix(&format!("gid://shopify/{resource}/")))
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("Invalid global id for {resource}"))
}

/// `customer(id:)`; `lastOrder` is the newest of the simulated orders that name the customer
/// (as Shopify's is their latest order), so a test places the purchase on the post-purchase page
/// with `put_order` when Shopify has already counted it.
fn customer(state: &ShopState, variables: &Value) -> Result<Value, String> {
    let id = gid_number(variables, "id", "Customer")?;
    let last_order = state
        .orders
        .values()
        .filter(|o| o.customer == Some(id))
        .max_by(|a, b| (&a.created_at, a.id).cmp(&(&b.created_at, b.id)));
    Ok(json!({"customer": state.customers.get(&id).map(|c| json!({
        "id": format!("gid://shopify/Customer/{}", c.id),
        "tags": c.tags,
        "numberOfOrders": c.number_of_orders.to_string(),
        "amountSpent": {"amount": c.amount_spent, "currencyCode": state.spec.currency},
        "lastOrder": last_order.map(|o| json!({"createdAt": o.created_at})),
    }))}))
}

/// Lines per page, as Encore's query asks (`lineItems(first: 100)`).
const PAGE: usize = 100;

fn order(state: &ShopState, variables: &Value) -> Result<Value, String> {
    let id = gid_number(variables, "id", "Order")?;
    let Some(order) = state.orders.get(&id) else {
        return Ok(json!({"order": null}));
    };
    let start: usize = variables
        .get("after")
        .and_then(Value::as_str)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let namespace = variables
        .get("namespace")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let end = (start + PAGE).min(order.lines.len());
    let currency = order.currency.as_ref().unwrap_or(&state.spec.currency);
    let nodes: Vec<Value> = order.lines[start.min(end)..end]
        .iter()
        .map(|l| json!({
            "id": format!("gid://shopify/LineItem/{}", l.id),
            "quantity": l.quantity,
            "currentQuantity": l.quantity,
            "variant": l.variant.map(|v| json!({"id": format!("gid://shopify/ProductVariant/{v}")})),
            "product": l.product.map(|p| json!({"id": format!("gid://shopify/Product/{p}")})),
            "sellingPlan": null,
            "originalUnitPriceSet": {"shopMoney": {"amount": l.unit_price, "currencyCode": currency}},
            "discountedTotalSet": {"shopMoney": {"amount": discounted_total(l, currency), "currencyCode": currency}},
        }))
        .collect();
    Ok(json!({"order": {
        "id": format!("gid://shopify/Order/{}", order.id),
        "name": order.name,
        "createdAt": order.created_at,
        "cancelledAt": null,
        "currencyCode": currency,
        "customer": order.customer.map(|c| json!({"id": format!("gid://shopify/Customer/{c}")})),
        "lineItems": {
            "nodes": nodes,
            "pageInfo": {"hasNextPage": end < order.lines.len(), "endCursor": end.to_string()},
        },
        "metafields": {"nodes": order.metafields.iter()
            .filter(|(ns, ..)| ns == namespace)
            .map(|(ns, key, kind, value)| json!({"namespace": ns, "key": key, "type": kind, "value": value}))
            .collect::<Vec<_>>()},
    }}))
}

/// `quantity × unit_price − discount` as a decimal string of `currency`.
fn discounted_total(line: &SimOrderLine, currency: &str) -> String {
    let exponent = if matches!(currency, "JPY" | "KRW") {
        0
    } else {
        2
    };
    let unit: i64 = match line.unit_price.split_once('.') {
        Some((whole, fraction)) => {
            let whole: i64 = whole.parse().unwrap_or(0);
            let fraction: i64 = format!("{fraction:0<2}")[..2].parse().unwrap_or(0);
            whole * 100 + fraction
        }
        None => line.unit_price.parse::<i64>().unwrap_or(0) * if exponent == 2 { 100 } else { 1 },
    };
    decimal(unit * line.quantity - line.discount_minor, currency)
}

/// `OrdersSearch`: the orders whose `customer_id:` and `created_at:>=`/`created_at:<=` terms
/// match (the terms Encore's attribution sends; others are ignored), oldest first, 50 a page.
fn orders_search(state: &ShopState, variables: &Value) -> Result<Value, String> {
    let query = variables
        .get("query")
        .and_then(Value::as_str)
        .ok_or("Variable $query of type String! was provided invalid value")?;
    let namespace = variables
        .get("namespace")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut customer = None;
    let (mut from, mut to) = (None, None);
    for term in query.split_whitespace() {
        if let Some(id) = term.strip_prefix("customer_id:") {
            customer = id.parse::<u64>().ok();
        } else if let Some(t) = term.strip_prefix("created_at:>=") {
            from = Some(t.trim_matches('\'').to_string());
        } else if let Some(t) = term.strip_prefix("created_at:<=") {
            to = Some(t.trim_matches('\'').to_string());
        }
    }
    let mut matching: Vec<&SimOrder> = state
        .orders
        .values()
        .filter(|o| customer.is_none_or(|c| o.customer == Some(c)))
        .filter(|o| {
            from.as_ref()
                .is_none_or(|f| o.created_at.as_str() >= f.as_str())
        })
        .filter(|o| {
            to.as_ref()
                .is_none_or(|t| o.created_at.as_str() <= t.as_str())
        })
        .collect();
    matching.sort_by(|a, b| (&a.created_at, a.id).cmp(&(&b.created_at, b.id)));
    let start: usize = variables
        .get("after")
        .and_then(Value::as_str)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let end = (start + 50).min(matching.len());
    let nodes: Vec<Value> = matching[start.min(end)..end]
        .iter()
        .map(|o| json!({
            "id": format!("gid://shopify/Order/{}", o.id),
            "metafields": {"nodes": o.metafields.iter()
                .filter(|(ns, ..)| ns == namespace)
                .map(|(ns, key, kind, value)| json!({"namespace": ns, "key": key, "type": kind, "value": value}))
                .collect::<Vec<_>>()},
        }))
        .collect();
    Ok(json!({"orders": {
        "nodes": nodes,
        "pageInfo": {"hasNextPage": end < matching.len(), "endCursor": end.to_string()},
    }}))
}
