//! The catalog, offer statistics and co-purchase pairs a decision looks up, read in place from
//! the packed facts string ([`crate::pack`]) the server gives the Function: a lookup compares
//! ids and skips every other record unread, and only the record found is copied out.
//!
//! The packed document is `{"offerStats": [...], "coPurchases": [...], "catalog": [...]}`,
//! each list as input.graphql's readable shape has it. A record missing a field reads as that
//! field's empty value; a string that is not packed reads as no facts at all.

use crate::facts::{CatalogVariant, Facts, InventoryPolicy, OfferStat, Suggestion};
use crate::json::JsonNode;
use crate::pack::Packed;

/// The packed facts of one decision.
#[derive(Clone, Copy)]
pub struct PackedFacts<'a> {
    catalog: Option<Packed<'a>>,
    stats: Option<Packed<'a>>,
    co_purchases: Option<Packed<'a>>,
}

impl<'a> PackedFacts<'a> {
    /// Opens the packed facts string.
    pub fn open(text: &'a str) -> PackedFacts<'a> {
        let root = Packed::open(text);
        PackedFacts {
            catalog: root.get("catalog"),
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

fn int(record: &Packed, key: &str) -> i64 {
    record.get(key).and_then(|v| v.as_i64()).unwrap_or(0)
}

fn flag(record: &Packed, key: &str) -> bool {
    record.get(key).and_then(|v| v.as_bool()).unwrap_or(false)
}

fn owned(record: &Packed, key: &str) -> Option<String> {
    text(record, key).map(str::to_owned)
}

fn to_variant(v: &Packed) -> CatalogVariant {
    let inventory = v.get("inventory");
    let product = v.get("product");
    let in_inventory = |key| inventory.as_ref().map(|i| flag(i, key)).unwrap_or(false);
    CatalogVariant {
        id: owned(v, "id").unwrap_or_default(),
        title: owned(v, "title"),
        price: owned(v, "price"),
        compare_at_price: owned(v, "compareAtPrice"),
        unit_cost: owned(v, "unitCost"),
        requires_shipping: flag(v, "requiresShipping"),
        inventory_tracked: in_inventory("tracked"),
        inventory_available: inventory.as_ref().map(|i| int(i, "available")).unwrap_or(0),
        inventory_policy: InventoryPolicy::from_name(
            inventory
                .as_ref()
                .and_then(|i| text(i, "policy"))
                .unwrap_or(""),
        ),
        selling_plan_ids: records(v.get("sellingPlans"))
            .filter_map(|p| owned(&p, "id"))
            .collect(),
        product_id: product
            .as_ref()
            .and_then(|p| owned(p, "id"))
            .unwrap_or_default(),
        product_title: product
            .as_ref()
            .and_then(|p| owned(p, "title"))
            .unwrap_or_default(),
        image_url: product.as_ref().and_then(|p| owned(p, "imageUrl")),
    }
}

impl Facts for PackedFacts<'_> {
    fn variant(&mut self, variant_id: &str) -> Option<CatalogVariant> {
        records(self.catalog)
            .find(|v| text(v, "id") == Some(variant_id))
            .map(|v| to_variant(&v))
    }

    fn variants_of_product(&mut self, product_id: &str) -> Vec<CatalogVariant> {
        records(self.catalog)
            .filter(|v| v.get("product").and_then(|p| text(&p, "id")) == Some(product_id))
            .map(|v| to_variant(&v))
            .collect()
    }

    fn offer_stat(&mut self, campaign_id: &str, step_id: &str) -> Option<OfferStat> {
        records(self.stats)
            .find(|s| {
                text(s, "campaignId") == Some(campaign_id) && text(s, "stepId") == Some(step_id)
            })
            .map(|s| OfferStat {
                accepts: int(&s, "accepts"),
                accepted_units: int(&s, "acceptedUnits"),
                refunded_units: int(&s, "refundedUnits"),
            })
    }

    fn suggestions_for(&mut self, purchased: &[&str]) -> Vec<Suggestion> {
        records(self.co_purchases)
            .filter_map(|c| {
                let product = text(&c, "productId")?;
                purchased.contains(&product).then(|| Suggestion {
                    product_id: product.to_owned(),
                    suggested_product_id: owned(&c, "suggestedProductId").unwrap_or_default(),
                    lift_permille: int(&c, "liftPermille"),
                })
            })
            .collect()
    }
}
