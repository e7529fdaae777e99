//! The catalog, offer statistics and co-purchase pairs a decision looks up, read in place from
//! the packed facts string ([`crate::pack`]) the server gives the Function: each lookup is one
//! member of a keyed object, found by reading keys alone, and the variant or statistic found
//! is one [`crate::record`], read field after field.
//!
//! The packed document ([`pack`] writes it from input.graphql's readable lists):
//! `{"catalog": {variantId: record}, "productVariants": {productId: [variantId]},
//! "offerStats": {campaignId: {stepId: record}}, "coPurchases": [pair]}`: a variant record holds
//! a [`CatalogVariant`], a statistic record an [`OfferStat`], each after the header `R`; a pair
//! is the readable `CoPurchase`. Where a list repeats an id, its first record is the one kept;
//! a missing or mistyped field is its empty value. A string that is not packed reads as no
//! facts at all, a damaged record as no such variant or statistic.

use crate::facts::{CatalogVariant, Facts, InventoryPolicy, OfferStat, Suggestion};
use crate::json::JsonNode;
use crate::pack::Packed;
use crate::record::{Cursor, Record};
use crate::{record_struct, record_unit_enum};

/// The packed facts of one decision.
#[derive(Clone, Copy)]
pub struct PackedFacts<'a> {
    catalog: Option<Packed<'a>>,
    product_variants: Option<Packed<'a>>,
    stats: Option<Packed<'a>>,
    co_purchases: Option<Packed<'a>>,
}

impl<'a> PackedFacts<'a> {
    /// Opens the packed facts string.
    pub fn open(text: &'a str) -> PackedFacts<'a> {
        let root = Packed::open(text);
        PackedFacts {
            catalog: root.get("catalog"),
            product_variants: root.get("productVariants"),
            stats: root.get("offerStats"),
            co_purchases: root.get("coPurchases"),
        }
    }
}

/// The elements of a packed list (none when it is not a list).
fn records<'a>(list: Option<Packed<'a>>) -> impl Iterator<Item = Packed<'a>> {
    let len = list.and_then(|l| l.array_len()).unwrap_or(0);
    (0..len).filter_map(move |i| list?.at(i))
}

fn text<'a>(record: &Packed<'a>, key: &str) -> Option<&'a str> {
    record.get(key)?.str()
}

/// A [`Record`] held as a packed string value.
fn record<T: Record>(value: Packed) -> Option<T> {
    T::read(&mut Cursor::open(value.str()?, RECORD)?)
}

/// What a catalog variant and an offer statistic record start with.
const RECORD: &str = "R";

record_struct!(CatalogVariant {
    id,
    title,
    price,
    compare_at_price,
    unit_cost,
    requires_shipping,
    inventory_tracked,
    inventory_available,
    inventory_policy,
    selling_plan_ids,
    product_id,
    product_title,
    image_url,
});
record_unit_enum!(InventoryPolicy { Deny, Continue });
record_struct!(OfferStat {
    accepts,
    accepted_units,
    refunded_units
});

impl Facts for PackedFacts<'_> {
    fn variant(&mut self, variant_id: &str) -> Option<CatalogVariant> {
        record(self.catalog?.get(variant_id)?)
    }

    fn variants_of_product(&mut self, product_id: &str) -> Vec<CatalogVariant> {
        let ids = self.product_variants.and_then(|p| p.get(product_id));
        records(ids)
            .filter_map(|id| record(self.catalog?.get(id.str()?)?))
            .collect()
    }

    fn offer_stat(&mut self, campaign_id: &str, step_id: &str) -> Option<OfferStat> {
        record(self.stats?.get(campaign_id)?.get(step_id)?)
    }

    fn suggestions_for(&mut self, purchased: &[&str]) -> Vec<Suggestion> {
        records(self.co_purchases)
            .filter_map(|c| {
                let product = text(&c, "productId")?;
                purchased.contains(&product).then(|| Suggestion {
                    product_id: product.to_owned(),
                    suggested_product_id: text(&c, "suggestedProductId")
                        .unwrap_or_default()
                        .to_owned(),
                    lift_permille: c.get("liftPermille").and_then(|v| v.as_i64()).unwrap_or(0),
                })
            })
            .collect()
    }
}

#[cfg(feature = "serde_json")]
mod write {
    use super::RECORD;
    use crate::facts::{CatalogVariant, InventoryPolicy, OfferStat};
    use crate::record::{Cursor, Record, Writer};
    use serde_json::{json, Map, Value};

    /// The readable lists the packed facts are made from, in input.graphql's order.
    pub const LISTS: [&str; 3] = ["offerStats", "coPurchases", "catalog"];

    fn id<'v>(record: &'v Value, key: &str) -> &'v str {
        record.get(key).and_then(Value::as_str).unwrap_or_default()
    }

    /// The facts string for the readable lists (`OfferStat`, `CoPurchase` and
    /// `CatalogVariant` records as input.graphql has them).
    pub fn pack<'v>(
        offer_stats: impl IntoIterator<Item = &'v Value>,
        co_purchases: impl IntoIterator<Item = &'v Value>,
        catalog: impl IntoIterator<Item = &'v Value>,
    ) -> String {
        let mut variants = Map::new();
        let mut product_variants = Map::new();
        for v in catalog {
            let variant_id = id(v, "id");
            if variants.contains_key(variant_id) {
                continue;
            }
            variants.insert(variant_id.to_owned(), to_record(&variant_of(v)));
            let product_id = v.pointer("/product/id").and_then(Value::as_str);
            let ids = product_variants
                .entry(product_id.unwrap_or_default().to_owned())
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(ids) = ids {
                ids.push(Value::from(variant_id));
            }
        }
        let mut stats = Map::new();
        for s in offer_stats {
            let steps = stats
                .entry(id(s, "campaignId").to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(steps) = steps {
                steps
                    .entry(id(s, "stepId").to_owned())
                    .or_insert_with(|| to_record(&stat_of(s)));
            }
        }
        let doc = json!({
            "catalog": variants,
            "productVariants": product_variants,
            "offerStats": stats,
            "coPurchases": co_purchases.into_iter().collect::<Vec<_>>(),
        });
        crate::pack::pack(&doc)
    }

    fn to_record<T: Record>(value: &T) -> Value {
        let mut w = Writer::new(RECORD);
        value.write(&mut w);
        Value::String(w.finish())
    }

    fn from_record<T: Record>(value: &Value) -> Option<T> {
        T::read(&mut Cursor::open(value.as_str()?, RECORD)?)
    }

    fn text(v: Option<&Value>) -> Option<String> {
        v.and_then(Value::as_str).map(str::to_owned)
    }

    /// A readable `CatalogVariant` as the engine reads it: a missing or mistyped field is its
    /// empty value.
    fn variant_of(v: &Value) -> CatalogVariant {
        let flag = |at: &str| v.pointer(at).and_then(Value::as_bool).unwrap_or(false);
        CatalogVariant {
            id: text(v.get("id")).unwrap_or_default(),
            title: text(v.get("title")),
            price: text(v.get("price")),
            compare_at_price: text(v.get("compareAtPrice")),
            unit_cost: text(v.get("unitCost")),
            requires_shipping: flag("/requiresShipping"),
            inventory_tracked: flag("/inventory/tracked"),
            inventory_available: v
                .pointer("/inventory/available")
                .and_then(Value::as_i64)
                .unwrap_or(0),
            inventory_policy: InventoryPolicy::from_name(
                v.pointer("/inventory/policy")
                    .and_then(Value::as_str)
                    .unwrap_or_default(),
            ),
            selling_plan_ids: v
                .get("sellingPlans")
                .and_then(Value::as_array)
                .map(|plans| plans.iter().filter_map(|p| text(p.get("id"))).collect())
                .unwrap_or_default(),
            product_id: text(v.pointer("/product/id")).unwrap_or_default(),
            product_title: text(v.pointer("/product/title")).unwrap_or_default(),
            image_url: text(v.pointer("/product/imageUrl")),
        }
    }

    fn stat_of(s: &Value) -> OfferStat {
        let int = |key: &str| s.get(key).and_then(Value::as_i64).unwrap_or(0);
        OfferStat {
            accepts: int("accepts"),
            accepted_units: int("acceptedUnits"),
            refunded_units: int("refundedUnits"),
        }
    }

    /// The readable lists a facts string holds (`{"offerStats", "coPurchases", "catalog"}`),
    /// each record once and as the Function reads it: for tests and tools.
    pub fn to_json(text: &str) -> Value {
        let doc = crate::pack::unpack(crate::pack::Packed::open(text));
        let members = |v: &Value| -> Vec<(String, Value)> {
            v.as_object()
                .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default()
        };
        let mut stats = Vec::new();
        for (campaign, steps) in members(&doc["offerStats"]) {
            for (step, record) in members(&steps) {
                let s: OfferStat = from_record(&record).unwrap_or_default();
                stats.push(
                    json!({"campaignId": campaign, "stepId": step, "accepts": s.accepts,
                    "acceptedUnits": s.accepted_units, "refundedUnits": s.refunded_units}),
                );
            }
        }
        let catalog: Vec<Value> = members(&doc["catalog"])
            .iter()
            .filter_map(|(_, record)| from_record::<CatalogVariant>(record))
            .map(|v| {
                json!({"id": v.id, "title": v.title, "price": v.price,
                    "compareAtPrice": v.compare_at_price, "unitCost": v.unit_cost,
                    "requiresShipping": v.requires_shipping,
                    "inventory": {"tracked": v.inventory_tracked,
                        "available": v.inventory_available,
                        "policy": match v.inventory_policy {
                            InventoryPolicy::Continue => "CONTINUE",
                            InventoryPolicy::Deny => "DENY",
                        }},
                    "sellingPlans": v.selling_plan_ids.iter().map(|id| json!({"id": id})).collect::<Vec<_>>(),
                    "product": {"id": v.product_id, "title": v.product_title, "imageUrl": v.image_url}})
            })
            .collect();
        json!({
            "offerStats": stats,
            "coPurchases": doc["coPurchases"].as_array().cloned().unwrap_or_default(),
            "catalog": catalog,
        })
    }
}

#[cfg(feature = "serde_json")]
pub use write::{pack, to_json, LISTS};
