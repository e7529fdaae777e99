//! The offer Function's input (input.graphql's query over schema.graphql) as JSON, read into
//! the engine through `encore_engine::input`, the same reading the Function's adapter does.

use encore_engine::input::{CustomerText, FunctionInput, LineTotalText, PurchaseIds, TotalsText};
use encore_engine::{
    CatalogVariant, FactNeeds, Funnel, InventoryPolicy, MemoryFacts, OfferStat, PurchaseLine,
    Suggestion,
};
use serde::Deserialize;
use serde_json::Value;

/// GraphQL `Int` is 32 bits: a larger number is refused as the Function refuses it.
type Int = i32;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Input {
    locale: String,
    now: String,
    shop: Shop,
    funnel: InputFunnel,
    customer: Option<Customer>,
    purchase: Purchase,
    offer_stats: Vec<Stat>,
    co_purchases: Vec<CoPurchase>,
    catalog: Vec<Variant>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Shop {
    currency_code: String,
    metafield: Option<Metafield>,
}

/// The configuration metafield: its packed `value` as the Function reads it, or the readable
/// `jsonValue` the admin's simulator sends, packed by [`Input::pack_config`] before deciding.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Metafield {
    value: Option<String>,
    json_value: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InputFunnel {
    campaign_id: Option<String>,
    step_id: Option<String>,
    offers_shown: Int,
    offers_accepted: Int,
    accepted_variant_ids: Vec<String>,
    accepted_product_ids: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Customer {
    id: String,
    number_of_orders: Int,
    amount_spent: Amount,
    tags: Vec<String>,
}

#[derive(Deserialize)]
struct Amount {
    amount: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Money {
    amount: String,
    currency_code: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Totals {
    shop_money: Money,
    presentment_money: Money,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LineTotal {
    shop_money: Amount,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Purchase {
    reference_id: String,
    customer_id: Option<String>,
    destination_country_code: Option<String>,
    total_price_set: Totals,
    lines: Vec<Line>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Line {
    quantity: Int,
    total_price_set: LineTotal,
    product: PurchasedProduct,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PurchasedProduct {
    id: String,
    variant: Id,
    product_type: Option<String>,
    vendor: Option<String>,
    tags: Vec<String>,
    collection_ids: Vec<String>,
}

#[derive(Deserialize)]
struct Id {
    id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Stat {
    campaign_id: String,
    step_id: String,
    accepts: Int,
    accepted_units: Int,
    refunded_units: Int,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CoPurchase {
    product_id: String,
    suggested_product_id: String,
    lift_permille: Int,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Variant {
    id: String,
    title: Option<String>,
    price: String,
    compare_at_price: Option<String>,
    unit_cost: Option<String>,
    requires_shipping: bool,
    inventory: Inventory,
    selling_plans: Vec<Id>,
    product: CatalogProduct,
}

#[derive(Deserialize)]
struct Inventory {
    tracked: bool,
    available: Int,
    policy: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CatalogProduct {
    id: String,
    title: String,
    image_url: Option<String>,
}

impl Input {
    /// Packs a readable `jsonValue` configuration with the server's packer, so the decision
    /// reads exactly what the Function would be given.
    pub fn pack_config(&mut self) {
        if let Some(m) = self.shop.metafield.as_mut() {
            if let (None, Some(json)) = (&m.value, m.json_value.take()) {
                m.value = (!json.is_null()).then(|| encore_engine::pack::pack(&json));
            }
        }
    }

    /// The catalog, statistics and co-purchases the decision looks up.
    pub fn facts(&self) -> MemoryFacts {
        MemoryFacts {
            catalog: self.catalog.iter().map(to_variant).collect(),
            stats: self
                .offer_stats
                .iter()
                .map(|s| {
                    let stat = OfferStat {
                        accepts: i64::from(s.accepts),
                        accepted_units: i64::from(s.accepted_units),
                        refunded_units: i64::from(s.refunded_units),
                    };
                    (s.campaign_id.clone(), s.step_id.clone(), stat)
                })
                .collect(),
            suggestions: self
                .co_purchases
                .iter()
                .map(|c| Suggestion {
                    product_id: c.product_id.clone(),
                    suggested_product_id: c.suggested_product_id.clone(),
                    lift_permille: i64::from(c.lift_permille),
                })
                .collect(),
        }
    }
}

fn to_variant(v: &Variant) -> CatalogVariant {
    CatalogVariant {
        id: v.id.clone(),
        title: v.title.clone(),
        price: Some(v.price.clone()),
        compare_at_price: v.compare_at_price.clone(),
        unit_cost: v.unit_cost.clone(),
        requires_shipping: v.requires_shipping,
        inventory_tracked: v.inventory.tracked,
        inventory_available: i64::from(v.inventory.available),
        inventory_policy: InventoryPolicy::from_name(&v.inventory.policy),
        selling_plan_ids: v.selling_plans.iter().map(|s| s.id.clone()).collect(),
        product_id: v.product.id.clone(),
        product_title: v.product.title.clone(),
        image_url: v.product.image_url.clone(),
    }
}

/// The input as the engine's [`FunctionInput`]; the configuration is borrowed from it.
pub struct Reader<'a>(pub &'a Input);

impl FunctionInput for Reader<'_> {
    fn locale(&self) -> &str {
        &self.0.locale
    }
    fn now(&self) -> &str {
        &self.0.now
    }
    fn shop_currency_code(&self) -> &str {
        &self.0.shop.currency_code
    }
    fn config(&self) -> Option<&str> {
        self.0.shop.metafield.as_ref()?.value.as_deref()
    }
    fn funnel(&self) -> Funnel {
        let f = &self.0.funnel;
        Funnel {
            campaign_id: f.campaign_id.clone(),
            step_id: f.step_id.clone(),
            offers_shown: i64::from(f.offers_shown),
            offers_accepted: i64::from(f.offers_accepted),
            accepted_variant_ids: f.accepted_variant_ids.clone(),
            accepted_product_ids: f.accepted_product_ids.clone(),
        }
    }
    fn customer(&self) -> Option<CustomerText<'_>> {
        self.0.customer.as_ref().map(|c| CustomerText {
            id: &c.id,
            tags: c.tags.clone(),
            number_of_orders: i64::from(c.number_of_orders),
            amount_spent: &c.amount_spent.amount,
        })
    }
    fn purchase_totals(&self) -> TotalsText<'_> {
        let totals = &self.0.purchase.total_price_set;
        TotalsText {
            shop_amount: &totals.shop_money.amount,
            presentment_amount: &totals.presentment_money.amount,
            presentment_currency: &totals.presentment_money.currency_code,
        }
    }
    fn line_count(&self) -> usize {
        self.0.purchase.lines.len()
    }
    fn line_total(&self, index: usize) -> LineTotalText<'_> {
        let line = &self.0.purchase.lines[index];
        LineTotalText {
            amount: &line.total_price_set.shop_money.amount,
            quantity: i64::from(line.quantity),
        }
    }
    fn line(&self, index: usize, needs: FactNeeds) -> PurchaseLine {
        let product = &self.0.purchase.lines[index].product;
        PurchaseLine {
            product_id: product.id.clone(),
            variant_id: product.variant.id.clone(),
            quantity: 0,
            shop_total: 0,
            tags: if needs.tags {
                product.tags.clone()
            } else {
                Vec::new()
            },
            product_type: if needs.product_types {
                product.product_type.clone()
            } else {
                None
            },
            vendor: if needs.vendors {
                product.vendor.clone()
            } else {
                None
            },
            collection_ids: if needs.collections {
                product.collection_ids.clone()
            } else {
                Vec::new()
            },
        }
    }
    fn purchase_ids(&self) -> PurchaseIds<'_> {
        let p = &self.0.purchase;
        PurchaseIds {
            reference_id: &p.reference_id,
            customer_id: p.customer_id.as_deref(),
            destination_country: p.destination_country_code.as_deref(),
        }
    }
}
