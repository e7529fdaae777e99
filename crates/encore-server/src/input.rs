//! Builds the offer Function's input: the result shape of input.graphql's query over schema.graphql.
//!
//! The purchase comes only from the verified token; product facts (tags, type, vendor,
//! collections), the catalog, customer facts, statistics and co-purchases come from the store;
//! the funnel from this purchase's stored decisions.

use std::collections::HashSet;

use serde_json::{json, Map, Value};

use crate::store::{DecisionRow, FunnelRow, ShopFacts};
use crate::token::VerifiedPurchase;

/// Normalizes an admin-supplied product to the facts the Function reads.
pub fn product_facts(p: &Map<String, Value>, id: &str) -> Value {
    json!({
        "id": id,
        "title": p.get("title").and_then(Value::as_str).unwrap_or(""),
        "imageUrl": p.get("imageUrl").filter(|v| v.is_string()).cloned().unwrap_or(Value::Null),
        "tags": string_list(p.get("tags")),
        "productType": p.get("productType").filter(|v| v.is_string()).cloned().unwrap_or(Value::Null),
        "vendor": p.get("vendor").filter(|v| v.is_string()).cloned().unwrap_or(Value::Null),
        "collectionIds": string_list(p.get("collectionIds")),
    })
}

fn string_list(v: Option<&Value>) -> Value {
    Value::Array(
        v.and_then(Value::as_array)
            .map(|l| {
                l.iter()
                    .filter_map(|x| match x {
                        Value::String(s) => Some(Value::String(s.clone())),
                        Value::Number(n) => Some(Value::String(n.to_string())),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default(),
    )
}

/// The funnel object of the input, from the funnel row and the purchase's earlier decisions.
pub fn funnel_json(funnel: &FunnelRow, decisions: &[DecisionRow]) -> Value {
    let earlier = decisions.iter().filter(|d| d.seq < funnel.seq);
    let mut shown = 0;
    let mut accepted = 0;
    let mut variants: Vec<Value> = Vec::new();
    let mut products: Vec<Value> = Vec::new();
    for d in earlier {
        if d.render && (d.shown || d.outcome.is_some()) {
            shown += 1;
        }
        if d.outcome.as_deref() == Some("accepted") {
            accepted += 1;
            for (src, dst) in [
                (&d.variant_ids, &mut variants),
                (&d.product_ids, &mut products),
            ] {
                if let Ok(Value::Array(ids)) = serde_json::from_str::<Value>(src) {
                    for id in ids {
                        if !dst.contains(&id) {
                            dst.push(id);
                        }
                    }
                }
            }
        }
    }
    json!({
        "campaignId": funnel.campaign_id,
        "stepId": funnel.step_id,
        "offersShown": shown,
        "offersAccepted": accepted,
        "acceptedVariantIds": variants,
        "acceptedProductIds": products,
    })
}

/// Everything the input needs besides the purchase.
pub struct InputParts<'a> {
    pub currency_code: &'a str,
    pub facts: &'a ShopFacts,
    pub customer: Option<Value>,
    pub funnel: Value,
    pub offer_stats: Vec<Value>,
    pub now_rfc3339: String,
}

/// The Function input for `purchase`.
pub fn build(purchase: &VerifiedPurchase, parts: InputParts<'_>) -> Value {
    let lines: Vec<Value> = purchase
        .lines
        .iter()
        .map(|l| {
            let facts = parts.facts.products.get(&l.product_id);
            let fact = |k: &str| facts.and_then(|f| f.get(k)).cloned();
            json!({
                "quantity": l.quantity,
                "totalPriceSet": {"shopMoney": {"amount": l.total_shop.amount}},
                "product": {
                    "id": l.product_id,
                    "variant": {"id": l.variant_id},
                    "tags": fact("tags").unwrap_or_else(|| json!([])),
                    "productType": fact("productType").unwrap_or(Value::Null),
                    "vendor": fact("vendor").unwrap_or(Value::Null),
                    "collectionIds": fact("collectionIds").unwrap_or_else(|| json!([])),
                },
            })
        })
        .collect();
    let purchased: Vec<&str> = purchase
        .lines
        .iter()
        .map(|l| l.product_id.as_str())
        .collect();
    let (catalog, co_purchases) = relevant_facts(
        parts.facts.config.as_ref().map(|(_, c)| c),
        parts.facts,
        &purchased,
    );
    let metafield = match &parts.facts.config {
        Some((_, config)) => json!({"jsonValue": encore_engine::config::canonical_order(config)}),
        None => Value::Null,
    };
    let customer = parts.customer.map(|c| {
        json!({
            "id": c.get("id").cloned().unwrap_or(Value::Null),
            "tags": c.get("tags").cloned().unwrap_or_else(|| json!([])),
            "numberOfOrders": c.get("numberOfOrders").cloned().unwrap_or(json!(0)),
            "amountSpent": {"amount": c.pointer("/amountSpent/amount").cloned().unwrap_or(json!("0"))},
        })
    });
    // In input.graphql's order, long lists last: the provider walks every value before the one
    // the Function asks for, so the order is instruction count.
    json!({
        "locale": purchase.locale,
        "now": parts.now_rfc3339,
        "shop": {"currencyCode": parts.currency_code, "metafield": metafield},
        "funnel": parts.funnel,
        "customer": customer,
        "purchase": {
            "referenceId": purchase.reference_id,
            "customerId": purchase.customer_id,
            "destinationCountryCode": purchase.destination_country_code,
            "totalPriceSet": {
                "shopMoney": {"amount": purchase.total_shop.amount, "currencyCode": purchase.total_shop.currency_code},
                "presentmentMoney": {"amount": purchase.total_presentment.amount, "currencyCode": purchase.total_presentment.currency_code},
            },
            "lines": lines,
        },
        "offerStats": parts.offer_stats,
        "coPurchases": co_purchases,
        "catalog": catalog,
    })
}

/// The catalog variants and co-purchase pairs this purchase can use: variants some campaign
/// names, and variants of products suggested for the purchased products. The Function looks up
/// nothing else, and every variant in its input costs instructions to walk past.
pub fn relevant_facts(
    config: Option<&Value>,
    facts: &ShopFacts,
    purchased: &[&str],
) -> (Vec<Value>, Vec<Value>) {
    let mut named: HashSet<&str> = HashSet::new();
    if let Some(campaigns) = config
        .and_then(|c| c.get("campaigns"))
        .and_then(Value::as_array)
    {
        let mut offers: Vec<&Value> = Vec::new();
        for campaign in campaigns {
            for step in campaign
                .get("steps")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                offers.extend(step.get("offer"));
                offers.extend(
                    step.pointer("/experiment/arms")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten(),
                );
            }
            offers.extend(
                campaign
                    .pointer("/experiment/arms")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten(),
            );
        }
        for offer in offers {
            for candidate in offer
                .get("products")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                match candidate {
                    Value::String(id) => {
                        named.insert(id);
                    }
                    Value::Array(ids) => named.extend(ids.iter().filter_map(Value::as_str)),
                    _ => {}
                }
            }
        }
    }
    let co_purchases: Vec<Value> = facts
        .co_purchases
        .iter()
        .filter(|pair| {
            pair.get("productId")
                .and_then(Value::as_str)
                .is_some_and(|p| purchased.contains(&p))
        })
        .cloned()
        .collect();
    let suggested: HashSet<&str> = co_purchases
        .iter()
        .filter_map(|pair| pair.get("suggestedProductId").and_then(Value::as_str))
        .collect();
    let catalog = facts
        .catalog
        .iter()
        .filter(|v| {
            v.get("id")
                .and_then(Value::as_str)
                .is_some_and(|id| named.contains(id))
                || v.pointer("/product/id")
                    .and_then(Value::as_str)
                    .is_some_and(|p| suggested.contains(p))
        })
        .cloned()
        .collect();
    (catalog, co_purchases)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_named_and_suggested_variants_reach_the_function() {
        let variant = |id: &str, product: &str| json!({"id": id, "product": {"id": product}});
        let facts = ShopFacts {
            data_version: 0,
            config: None,
            catalog: vec![
                variant("1", "p1"),
                variant("2", "p2"),
                variant("3", "p3"),
                variant("4", "p4"),
                variant("5", "p5"),
            ],
            products: Default::default(),
            co_purchases: vec![
                json!({"productId": "bought", "suggestedProductId": "p3", "liftPermille": 2000}),
                json!({"productId": "other", "suggestedProductId": "p4", "liftPermille": 9000}),
            ],
        };
        let config = json!({"version": 1, "campaigns": [{"id": "c", "steps": [
            {"id": "a", "offer": {"products": ["1", ["2", "9"]]}},
            {"id": "b", "offer": {"auto": true}, "experiment": {"id": "e", "arms": [{"id": "x", "products": ["5"]}]}}]}]});
        let (catalog, pairs) = relevant_facts(Some(&config), &facts, &["bought"]);
        let ids: Vec<&str> = catalog.iter().filter_map(|v| v["id"].as_str()).collect();
        assert_eq!(ids, ["1", "2", "3", "5"]);
        assert_eq!(pairs.len(), 1);
    }

    #[test]
    fn canonical_config_puts_steps_and_offers_last() {
        let config = json!({"campaigns": [{"steps": [{"offer": {"copy": {}, "products": ["1"]}, "id": "s"}], "id": "c", "x": 1}], "version": 1});
        let text = encore_engine::config::canonical_order(&config).to_string();
        assert_eq!(
            text,
            r#"{"version":1,"campaigns":[{"id":"c","steps":[{"id":"s","offer":{"products":["1"],"copy":{}}}],"x":1}]}"#
        );
    }
}
