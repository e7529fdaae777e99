//! Shopify's records (bulk rows and webhook payloads) in the shapes of the catalog tables:
//! `catalog_products.data` = {id, title, imageUrl, tags, productType, vendor, collectionIds}
//! and `catalog_variants.data` = {id, title, price, compareAtPrice, unitCost,
//! requiresShipping, inventory: {tracked, available, policy}, sellingPlans}, ids as plain
//! numbers in strings (the post-purchase token's form), money as decimal strings of the shop's
//! currency. These are the shapes the admin routes write and `facts_cache` reads.

use encore_engine::money::Currency;
use encore_shopify::bulk::{InventoryPolicy, ProductRecord, VariantRecord};
use encore_shopify::webhook::{self as wire, ProductPayload, VariantPayload};
use encore_store::catalog::{ProductRow, VariantRow};
use serde_json::{json, Value};

/// Seconds since the epoch of one of Shopify's timestamps: RFC 3339, `Z` in bulk rows and an
/// offset (`-05:00`) in webhooks, so they compare only once parsed.
pub fn unix_seconds(text: &str) -> Option<i64> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp())
}

/// The product facts of a bulk product (its collections as they came with it).
pub fn product_from_bulk(p: &ProductRecord) -> ProductRow {
    let id = p.id.get().to_string();
    ProductRow {
        updated_at: unix_seconds(&p.updated_at),
        data: json!({
            "id": id,
            "title": p.title,
            "imageUrl": p.image_url,
            "tags": p.tags,
            "productType": non_empty(&p.product_type),
            "vendor": non_empty(&p.vendor),
            "collectionIds": p.collections.iter().map(|c| c.id.get().to_string()).collect::<Vec<_>>(),
        }),
        id,
    }
}

/// A bulk variant. Unit cost is kept only in the shop's currency (the Function compares it with
/// prices); the quantity is what Shopify sells online.
pub fn variant_from_bulk(product_id: &str, v: &VariantRecord, currency: &Currency) -> VariantRow {
    let id = v.id.get().to_string();
    let unit_cost = v
        .inventory_item
        .unit_cost
        .as_ref()
        .filter(|(_, code)| code == currency.code())
        .map(|(minor, _)| currency.format(*minor));
    VariantRow {
        product_id: product_id.to_string(),
        inventory_item_id: Some(v.inventory_item.id.get().to_string()),
        data: json!({
            "id": id,
            "title": v.title,
            "price": currency.format(v.price_minor),
            "compareAtPrice": v.compare_at_price_minor.map(|m| currency.format(m)),
            "unitCost": unit_cost,
            "requiresShipping": v.inventory_item.requires_shipping,
            "inventory": {
                "tracked": v.inventory_item.tracked,
                "available": v.sellable_online_quantity,
                "policy": match v.inventory_policy {
                    InventoryPolicy::Deny => "DENY",
                    InventoryPolicy::Continue => "CONTINUE",
                },
            },
            "sellingPlans": [],
        }),
        id,
    }
}

/// Why a webhook's product could not be read.
#[derive(Debug, thiserror::Error)]
#[error("variant {variant}: {reason}")]
pub struct PayloadError {
    pub variant: String,
    pub reason: String,
}

/// What a stored variant contributes that a product webhook does not carry.
#[derive(Debug, Clone, Default)]
pub struct KeptVariantFacts {
    /// The stored data (tracked, requires shipping, unit cost, selling plans).
    pub data: Option<Value>,
    /// The sum of the item's known inventory levels.
    pub levels_sum: Option<i64>,
}

/// A product webhook as rows. The payload has no collections, inventory tracking, shipping or
/// unit cost: those come from `kept_collections` and each variant's stored row (a variant new
/// to Encore is taken as tracked, shipped and without a cost until the next full sync).
pub fn product_from_webhook(
    p: &ProductPayload,
    kept_collections: Value,
    currency: &Currency,
    kept: impl Fn(&VariantPayload) -> KeptVariantFacts,
) -> Result<(ProductRow, Vec<VariantRow>), PayloadError> {
    let id = p.id.get().to_string();
    let product = ProductRow {
        updated_at: p.updated_at.as_deref().and_then(unix_seconds),
        data: json!({
            "id": id,
            "title": p.title,
            "imageUrl": p.image.as_ref().and_then(|i| i.src.clone()),
            "tags": p.tags().collect::<Vec<_>>(),
            "productType": non_empty(&p.product_type),
            "vendor": non_empty(&p.vendor),
            "collectionIds": kept_collections,
        }),
        id: id.clone(),
    };
    let mut variants = Vec::with_capacity(p.variants.len());
    for v in &p.variants {
        let vid = v.id.get().to_string();
        let price = |text: &str| {
            currency
                .parse(text)
                .map(|m| currency.format(m))
                .map_err(|e| PayloadError {
                    variant: vid.clone(),
                    reason: format!("price {text:?}: {e}"),
                })
        };
        let facts = kept(v);
        let stored = facts.data.unwrap_or(Value::Null);
        let available = facts
            .levels_sum
            .or(v.inventory_quantity)
            .unwrap_or_default();
        variants.push(VariantRow {
            id: vid.clone(),
            product_id: id.clone(),
            inventory_item_id: v.inventory_item_id.map(|i| i.get().to_string()),
            data: json!({
                "id": vid,
                "title": v.title,
                "price": price(&v.price)?,
                "compareAtPrice": v.compare_at_price.as_deref().filter(|t| !t.is_empty()).map(price).transpose()?,
                "unitCost": stored.get("unitCost").cloned().unwrap_or(Value::Null),
                "requiresShipping": stored.get("requiresShipping").and_then(Value::as_bool).unwrap_or(true),
                "inventory": {
                    "tracked": stored.pointer("/inventory/tracked").and_then(Value::as_bool).unwrap_or(true),
                    "available": available,
                    "policy": match v.inventory_policy {
                        wire::InventoryPolicy::Deny => "DENY",
                        wire::InventoryPolicy::Continue => "CONTINUE",
                    },
                },
                "sellingPlans": stored.get("sellingPlans").cloned().unwrap_or_else(|| json!([])),
            }),
        });
    }
    Ok((product, variants))
}

fn non_empty(text: &str) -> Value {
    if text.is_empty() {
        Value::Null
    } else {
        Value::String(text.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_with_offsets_and_utc_compare_as_instants() {
        assert_eq!(
            unix_seconds("2021-12-31T19:00:00-05:00"),
            unix_seconds("2022-01-01T00:00:00Z")
        );
        assert!(unix_seconds("2022-01-01T00:00:01Z") > unix_seconds("2021-12-31T19:00:00-05:00"));
        assert_eq!(unix_seconds("yesterday"), None);
    }
}
