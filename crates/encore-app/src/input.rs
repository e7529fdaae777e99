//! Builds the offer Function's input: the result shape of input.graphql's query over schema.graphql.
//!
//! The purchase comes only from the verified token; product facts (tags, type, vendor,
//! collections), the catalog, customer facts, statistics and co-purchases come from the store;
//! the funnel from this purchase's stored decisions.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::facts_cache::ShopFacts;
use encore_shopify::post_purchase::token::VerifiedPurchase;
use encore_store::decisions::{DecisionRow, FunnelRow};

/// Normalizes an admin-supplied product to the facts the Function reads.
pub fn product_facts(p: &Map<String, Value>, id: &str) -> Value {
    json!({
        "id": id,
        "title": p.get("title").and_then(Value::as_str).unwrap_or(""),
        "imageUrl": p.get("imageUrl").filter(|v| v.is_string()).cloned().unwrap_or(Value::Null),
        "productType": p.get("productType").filter(|v| v.is_string()).cloned().unwrap_or(Value::Null),
        "vendor": p.get("vendor").filter(|v| v.is_string()).cloned().unwrap_or(Value::Null),
        "tags": string_list(p.get("tags")),
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
    pub offer_stats: &'a [Value],
    pub now_rfc3339: String,
}

/// The offer Function's input, encoded once as the MessagePack the Function reads.
///
/// Built by serializing borrowed parts (the shop's cached config and catalog are never copied):
/// the bytes are exactly what encore-host's JSON encoding gives for the same JSON (a test holds
/// that), in input.graphql's order.
#[derive(Debug, Clone)]
pub struct FunctionInput {
    msgpack: Vec<u8>,
    lines_len: usize,
}

/// The `@scaleLimits` lists of the input, by response path.
const RATED_LISTS: [&[&str]; 1] = [&["purchase", "packedLines"]];

fn rated_list_index(path: &[String]) -> Option<usize> {
    RATED_LISTS.iter().position(|p| p.iter().eq(path.iter()))
}

impl FunctionInput {
    /// An input given as JSON (fixtures, benchmarks): encoded as encore-host encodes JSON.
    pub fn from_json(input: &Value) -> Result<Self, String> {
        // `@scaleLimits`' length: of a list or string, 1 for anything else or nothing.
        let len = |p: &str| match input.pointer(p) {
            Some(Value::Array(a)) => a.len(),
            Some(Value::String(s)) => s.len(),
            _ => 1,
        };
        Ok(Self {
            msgpack: encore_host::json_to_msgpack(input)?,
            lines_len: len("/purchase/packedLines"),
        })
    }

    /// The MessagePack bytes the Function reads.
    pub fn msgpack(&self) -> &[u8] {
        &self.msgpack
    }

    /// The input as JSON, for the demo page and test runners.
    pub fn to_json(&self) -> Value {
        encore_host::msgpack_to_json(&self.msgpack).unwrap_or(Value::Null)
    }

    /// The length of a rated list (`@scaleLimits`) at `path`, or `None` for a path this
    /// input does not have (the schema rated a field the server does not know).
    pub fn list_length(&self, path: &[String]) -> Option<usize> {
        let i = rated_list_index(path)?;
        Some([self.lines_len][i])
    }

    /// Whether the server builds the rated list at `path` (checked against the schema at load).
    pub fn has_rated_list(path: &[String]) -> bool {
        rated_list_index(path).is_some()
    }
}

/// The input document, field by field in input.graphql's order, long lists last: the provider
/// walks every value before the one the Function asks for, so the order is instruction count.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InputDoc<'a> {
    locale: &'a str,
    now: &'a str,
    shop: ShopDoc<'a>,
    /// The funnel, the buyer and the purchase's ids and totals, one record
    /// (`encore_engine::context_record`).
    context: String,
    purchase: PurchaseDoc,
    facts: String,
}

/// The purchase's lines, one record each (`encore_engine::line_record`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PurchaseDoc {
    packed_lines: Vec<String>,
}

/// The input's `facts`: the offer statistics, the purchase's co-purchase pairs and the catalog
/// variants it can use, packed (`encore_engine::packed_facts`) into the one string the Function
/// reads in place.
fn packed_facts(offer_stats: &[Value], co_purchases: &[&Value], catalog: &[&Value]) -> String {
    encore_engine::packed_facts::pack(
        offer_stats,
        co_purchases.iter().copied(),
        catalog.iter().copied(),
    )
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ShopDoc<'a> {
    currency_code: &'a str,
    metafield: Option<MetafieldDoc<'a>>,
}

/// The configuration metafield: its compiled `value`, which the Function reads in place.
#[derive(Serialize)]
struct MetafieldDoc<'a> {
    value: &'a str,
}

/// The Function input for `purchase`.
pub fn build(purchase: &VerifiedPurchase, parts: InputParts<'_>) -> Result<FunctionInput, String> {
    // Each line packed (`encore_engine::pack`), with only the product facts some trigger
    // names: the Function reads it in place and compares nothing else.
    let lines: Vec<String> = purchase
        .lines
        .iter()
        .map(|l| {
            let facts = parts.facts.products.get(&l.product_id);
            let fact = |k: &str| facts.and_then(|f| f.get(k)).cloned();
            let line = json!({
                "quantity": l.quantity,
                "totalPriceSet": {"shopMoney": {"amount": l.total_shop.amount}},
                "product": {
                    "id": l.product_id,
                    "variant": {"id": l.variant_id},
                    "productType": fact("productType").unwrap_or(Value::Null),
                    "vendor": fact("vendor").unwrap_or(Value::Null),
                    "tags": fact("tags").unwrap_or_else(|| json!([])),
                    "collectionIds": fact("collectionIds").unwrap_or_else(|| json!([])),
                },
            });
            encore_engine::line_record::write(&line, &parts.facts.named_facts, parts.currency_code)
        })
        .collect();
    let lines_len = lines.len();
    let purchased: Vec<&str> = purchase
        .lines
        .iter()
        .map(|l| l.product_id.as_str())
        .collect();
    let (catalog, co_purchases) = relevant_facts(parts.facts.config(), parts.facts, &purchased);
    let customer = parts.customer.map_or(Value::Null, |c| {
        json!({
            "id": c.get("id").cloned().unwrap_or(Value::Null),
            "numberOfOrders": c.get("numberOfOrders").cloned().unwrap_or(json!(0)),
            "amountSpent": {"amount": c.pointer("/amountSpent/amount").cloned().unwrap_or(json!("0"))},
            "tags": c.get("tags").cloned().unwrap_or_else(|| json!([])),
        })
    });
    let ids_and_totals = json!({
        "referenceId": purchase.reference_id,
        "customerId": purchase.customer_id,
        "destinationCountryCode": purchase.destination_country_code,
        "totalPriceSet": {
            "shopMoney": {"amount": purchase.total_shop.amount, "currencyCode": purchase.total_shop.currency_code},
            "presentmentMoney": {"amount": purchase.total_presentment.amount, "currencyCode": purchase.total_presentment.currency_code},
        },
    });
    let config = parts.facts.compiled_config(parts.currency_code);
    let doc = InputDoc {
        locale: &purchase.locale,
        now: &parts.now_rfc3339,
        shop: ShopDoc {
            currency_code: parts.currency_code,
            metafield: config.as_deref().map(|value| MetafieldDoc { value }),
        },
        context: encore_engine::context_record::write(&parts.funnel, &customer, &ids_and_totals),
        purchase: PurchaseDoc {
            packed_lines: lines,
        },
        facts: packed_facts(parts.offer_stats, &co_purchases, &catalog),
    };
    let msgpack = rmp_serde::to_vec_named(&doc)
        .map_err(|e| format!("cannot encode the Function input: {e}"))?;
    Ok(FunctionInput { msgpack, lines_len })
}

/// The catalog variants and co-purchase pairs this purchase can use: variants some campaign
/// names, and variants of products suggested for the purchased products. The Function looks up
/// nothing else, and every variant in its input costs instructions to walk past.
pub fn relevant_facts<'a>(
    config: Option<&Value>,
    facts: &'a ShopFacts,
    purchased: &[&str],
) -> (Vec<&'a Value>, Vec<&'a Value>) {
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
    let mut bought: Vec<&str> = purchased.to_vec();
    bought.sort_unstable();
    bought.dedup();
    let co_purchases: Vec<&Value> = bought
        .iter()
        .filter_map(|p| facts.co_purchases.get(*p))
        .flatten()
        .collect();
    let suggested: HashSet<&str> = co_purchases
        .iter()
        .filter_map(|pair| pair.get("suggestedProductId").and_then(Value::as_str))
        .collect();
    // Looked up, not scanned: a catalog has many thousand variants, a config names a few. The
    // input keeps the catalog's order (product id, then variant id).
    let mut picked: BTreeMap<(&str, &str), &Value> = BTreeMap::new();
    for id in named {
        if let Some((product, v)) = facts.variant(id) {
            picked.insert((product, id), v);
        }
    }
    for product in suggested {
        for v in facts
            .catalog
            .get(product)
            .into_iter()
            .flat_map(|g| g.iter())
        {
            if let Some(id) = v.get("id").and_then(Value::as_str) {
                picked.insert((product, id), v);
            }
        }
    }
    (picked.into_values().collect(), co_purchases)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_named_and_suggested_variants_reach_the_function() {
        let variant = |id: &str, product: &str| json!({"id": id, "product": {"id": product}});
        let mut facts = ShopFacts::from_rows(
            [],
            [
                ("1", "p1"),
                ("2", "p2"),
                ("3", "p3"),
                ("4", "p4"),
                ("5", "p5"),
            ]
            .map(|(v, p)| (p.to_string(), v.to_string(), variant(v, p))),
        );
        facts.set_co_purchases([
            json!({"productId": "bought", "suggestedProductId": "p3", "liftPermille": 2000}),
            json!({"productId": "other", "suggestedProductId": "p4", "liftPermille": 9000}),
        ]);
        let config = json!({"version": 1, "campaigns": [{"id": "c", "steps": [
            {"id": "a", "offer": {"products": ["1", ["2", "9"]]}},
            {"id": "b", "offer": {"auto": true}, "experiment": {"id": "e", "arms": [{"id": "x", "products": ["5"]}]}}]}]});
        let (catalog, pairs) = relevant_facts(Some(&config), &facts, &["bought"]);
        let ids: Vec<&str> = catalog.iter().filter_map(|v| v["id"].as_str()).collect();
        assert_eq!(ids, ["1", "2", "3", "5"]);
        assert_eq!(pairs.len(), 1);
    }

    fn money(amount: &str) -> encore_shopify::post_purchase::token::Money {
        encore_shopify::post_purchase::token::Money {
            amount: amount.into(),
            currency_code: "USD".into(),
        }
    }

    #[test]
    fn the_built_input_is_byte_for_byte_the_json_encoding_in_query_order() {
        // Numbers of every MessagePack width and sign, floats, nulls, nested lists.
        let config = json!({"version": 1, "campaigns": [{"id": "c", "priority": 300,
            "triggers": {"tags": ["GIFT"]}, "steps": [
            {"id": "s", "offer": {"products": ["v1"], "discount": {"percent": 12.5}, "limit": -40000}}]}]});
        let mut facts = ShopFacts::from_rows(
            [("p0".to_string(), json!({"tags": ["gift", "sale"], "vendor": "Acme"}))],
            [
                json!({"id": "v1", "price": "10.00", "inventory": 70000, "product": {"id": "p1", "tags": []}}),
                json!({"id": "v9", "price": "1.00", "inventory": -3, "product": {"id": "p9"}}),
            ]
            .map(|v| {
                let id = |at: &str| v.pointer(at).and_then(Value::as_str).unwrap().to_string();
                (id("/product/id"), id("/id"), v)
            }),
        );
        facts.data_version = 3;
        facts.set_config(Some(&config));
        facts.set_co_purchases([
            json!({"productId": "p0", "suggestedProductId": "p1", "liftPermille": 4_294_967_296u64}),
        ]);
        let purchase = VerifiedPurchase {
            shop_domain: "s.myshopify.com".into(),
            reference_id: "r1".into(),
            customer_id: Some("7".into()),
            destination_country_code: None,
            total_shop: money("300.00"),
            total_presentment: money("300.00"),
            lines: vec![encore_shopify::post_purchase::token::LineItem {
                product_id: "p0".into(),
                product_title: "P".into(),
                variant_id: "v0".into(),
                variant_title: None,
                quantity: 200,
                total_shop: money("300.00"),
                total_presentment: money("300.00"),
                selling_plan_id: None,
            }],
            locale: "fr".into(),
            issued_at: 0,
        };
        let stats = [
            json!({"campaignId": "c", "stepId": "s", "accepts": 128, "acceptedUnits": 65536, "refundedUnits": 0}),
        ];
        let input = build(
            &purchase,
            InputParts {
                currency_code: "USD",
                facts: &facts,
                customer: Some(json!({"id": "7", "numberOfOrders": 255})),
                funnel: json!({"campaignId": null, "offersShown": 0}),
                offer_stats: &stats,
                now_rfc3339: "2026-11-26T00:00:00Z".into(),
            },
        )
        .unwrap();
        let json = input.to_json();
        assert_eq!(
            FunctionInput::from_json(&json).unwrap().msgpack(),
            input.msgpack()
        );
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            ["locale", "now", "shop", "context", "purchase", "facts"]
        );
        // The funnel, the buyer and the purchase's ids and totals, in the one context record.
        let context = encore_engine::context_record::to_json(json["context"].as_str().unwrap());
        assert_eq!(context["funnel"]["offersShown"], 0);
        assert_eq!(context["customer"]["id"], "7");
        assert_eq!(context["customer"]["numberOfOrders"], 255);
        assert_eq!(context["customer"]["amountSpent"]["amount"], "0");
        assert_eq!(context["purchase"]["referenceId"], "r1");
        assert_eq!(
            context["purchase"]["totalPriceSet"]["presentmentMoney"],
            serde_json::json!({"amount": "300.00", "currencyCode": "USD"})
        );
        // The config arrives compiled for the shop currency, as it was compiled once for
        // this config version.
        let compiled = json["shop"]["metafield"]["value"].as_str().unwrap();
        let once = facts.compiled_config("USD").unwrap();
        assert!(std::ptr::eq(
            once.as_ref(),
            facts.compiled_config("USD").unwrap().as_ref()
        ));
        assert_eq!(compiled, once.as_ref());
        let usd = encore_engine::Currency::from_code("USD").unwrap();
        let opened = encore_engine::compiled::open(compiled, usd).unwrap();
        let header = opened.campaign_header(0).unwrap();
        assert_eq!((header.id.as_str(), header.priority), ("c", 300));
        let line = json["purchase"]["packedLines"][0].as_str().unwrap();
        let line = encore_engine::line_record::to_json(line);
        // One flat record, with only the product facts a trigger names: the tag `gift`
        // (named as GIFT), no vendor.
        assert_eq!(
            line,
            json!({"quantity": 200, "total": 30000, "productId": "p0", "variantId": "v0",
                   "tags": ["gift"]})
        );
        // Only the suggested variant reaches the Function, packed with the purchase's pairs.
        let packed = json["facts"].as_str().unwrap();
        let facts = encore_engine::packed_facts::to_json(packed);
        let keys: Vec<&str> = facts
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, encore_engine::packed_facts::LISTS);
        assert_eq!(facts["catalog"].as_array().unwrap().len(), 1);
        assert_eq!(facts["coPurchases"].as_array().unwrap().len(), 1);
        // As the Function reads it: its price, and its product as an offer shows it (the
        // product's tags are not carried).
        assert_eq!(facts["catalog"][0]["price"], "10.00");
        assert_eq!(
            facts["catalog"][0]["product"],
            json!({"id": "p1", "title": "", "imageUrl": null})
        );
        // The purchased lines' length scales the limits.
        let path = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            input.list_length(&path(&["purchase", "packedLines"])),
            Some(1)
        );
        assert_eq!(input.list_length(&path(&["catalog"])), None);
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
