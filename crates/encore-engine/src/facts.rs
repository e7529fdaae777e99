//! What the engine knows about a purchase, its buyer, its funnel and the shop's catalog.
//!
//! The purchase and funnel are read up front; catalog, statistics and co-purchase pairs are
//! reached through [`Facts`], so the Function adapter reads only the records a decision uses.

use crate::money::Currency;

/// Which purchase facts the active campaigns' triggers test; the rest need not be read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FactNeeds {
    pub tags: bool,
    pub product_types: bool,
    pub vendors: bool,
    pub collections: bool,
}

/// A purchase that has just been paid for.
#[derive(Debug, Clone, PartialEq)]
pub struct Purchase {
    pub reference_id: String,
    pub customer_id: Option<String>,
    pub destination_country: Option<String>,
    /// The purchase total in the shop currency, minor units.
    pub shop_total: i64,
    /// The purchase total in the buyer's currency, minor units of `presentment_currency`.
    pub presentment_total: i64,
    pub presentment_currency: Currency,
    pub lines: Vec<PurchaseLine>,
}

impl Purchase {
    /// The merchandise subtotal: the sum of the lines' totals (after line discounts) in the
    /// shop currency. Purchase-value triggers, minimum purchase and the share cap use it.
    pub fn merchandise_subtotal(&self) -> i64 {
        self.lines
            .iter()
            .map(|l| l.shop_total.max(0))
            .fold(0i64, i64::saturating_add)
    }
}

/// A purchased line and the product facts triggers test.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PurchaseLine {
    pub product_id: String,
    pub variant_id: String,
    pub quantity: i64,
    /// The line total after line discounts, shop currency minor units.
    pub shop_total: i64,
    pub tags: Vec<String>,
    pub product_type: Option<String>,
    pub vendor: Option<String>,
    pub collection_ids: Vec<String>,
}

/// The buyer, when known.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Customer {
    pub id: String,
    pub tags: Vec<String>,
    /// Orders placed, this one included.
    pub number_of_orders: i64,
    /// Spent in the shop, shop currency minor units.
    pub amount_spent: i64,
}

/// Where the purchase is in its funnel.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Funnel {
    /// The campaign chosen earlier for this purchase; `None` for a fresh purchase.
    pub campaign_id: Option<String>,
    /// The step to show now; `None` with a campaign means the funnel is complete.
    pub step_id: Option<String>,
    pub offers_shown: i64,
    pub offers_accepted: i64,
    pub accepted_variant_ids: Vec<String>,
    pub accepted_product_ids: Vec<String>,
}

/// Whether a variant can still be sold when out of stock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InventoryPolicy {
    Deny,
    Continue,
}

impl InventoryPolicy {
    /// Shopify's policy name: `CONTINUE` sells out of stock; anything else does not.
    pub fn from_name(name: &str) -> InventoryPolicy {
        if name == "CONTINUE" {
            InventoryPolicy::Continue
        } else {
            InventoryPolicy::Deny
        }
    }
}

/// A variant that may be offered. Money is shop currency minor units.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogVariant {
    pub id: String,
    pub title: Option<String>,
    /// The price as given; validated when priced (zero, negative or non-numeric is refused).
    pub price: Option<String>,
    pub compare_at_price: Option<String>,
    pub unit_cost: Option<String>,
    pub requires_shipping: bool,
    pub inventory_tracked: bool,
    pub inventory_available: i64,
    pub inventory_policy: InventoryPolicy,
    pub selling_plan_ids: Vec<String>,
    pub product_id: String,
    pub product_title: String,
    pub image_url: Option<String>,
}

/// Accepts and refunds of one offer (campaign step).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OfferStat {
    pub accepts: i64,
    pub accepted_units: i64,
    pub refunded_units: i64,
}

/// A product often bought with a purchased one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub product_id: String,
    pub suggested_product_id: String,
    pub lift_permille: i64,
}

/// The suggestions an `auto` offer tries, in the order it tries them: those with a lift of at
/// least `min_lift_permille`, best lift first (ties by suggested product id, then purchased
/// product id), one per suggested product — the pair that ranked it — and at most
/// `max_candidates`. The offer's candidates are their suggested products; the server records
/// the pair behind an accepted offer from the same list (docs/mining.md, "Demotion").
pub fn auto_suggestions(
    mut suggestions: Vec<Suggestion>,
    max_candidates: i64,
    min_lift_permille: i64,
) -> Vec<Suggestion> {
    suggestions.retain(|s| s.lift_permille >= min_lift_permille);
    suggestions.sort_unstable_by(|a, b| {
        b.lift_permille
            .cmp(&a.lift_permille)
            .then_with(|| a.suggested_product_id.cmp(&b.suggested_product_id))
            .then_with(|| a.product_id.cmp(&b.product_id))
    });
    let mut out: Vec<Suggestion> = Vec::new();
    for s in suggestions {
        if out.len() as i64 >= max_candidates {
            break;
        }
        if !out
            .iter()
            .any(|c| c.suggested_product_id == s.suggested_product_id)
        {
            out.push(s);
        }
    }
    out
}

/// Catalog, statistics and co-purchase lookups, answered lazily by the caller.
pub trait Facts {
    /// The catalog variant with this id (the first, if ids repeat).
    fn variant(&mut self, variant_id: &str) -> Option<CatalogVariant>;
    /// The catalog variants of a product, in catalog order.
    fn variants_of_product(&mut self, product_id: &str) -> Vec<CatalogVariant>;
    /// Statistics of a campaign step.
    fn offer_stat(&mut self, campaign_id: &str, step_id: &str) -> Option<OfferStat>;
    /// Co-purchase suggestions whose `product_id` is one of `purchased`.
    fn suggestions_for(&mut self, purchased: &[&str]) -> Vec<Suggestion>;
}

/// Facts held in memory: for native callers and tests.
#[derive(Debug, Clone, Default)]
pub struct MemoryFacts {
    pub catalog: Vec<CatalogVariant>,
    pub stats: Vec<(String, String, OfferStat)>,
    pub suggestions: Vec<Suggestion>,
}

impl Facts for MemoryFacts {
    fn variant(&mut self, variant_id: &str) -> Option<CatalogVariant> {
        self.catalog.iter().find(|v| v.id == variant_id).cloned()
    }
    fn variants_of_product(&mut self, product_id: &str) -> Vec<CatalogVariant> {
        self.catalog
            .iter()
            .filter(|v| v.product_id == product_id)
            .cloned()
            .collect()
    }
    fn offer_stat(&mut self, campaign_id: &str, step_id: &str) -> Option<OfferStat> {
        self.stats
            .iter()
            .find(|(c, s, _)| c == campaign_id && s == step_id)
            .map(|(_, _, stat)| *stat)
    }
    fn suggestions_for(&mut self, purchased: &[&str]) -> Vec<Suggestion> {
        self.suggestions
            .iter()
            .filter(|s| purchased.contains(&s.product_id.as_str()))
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(product: &str, suggested: &str, lift: i64) -> Suggestion {
        Suggestion {
            product_id: product.into(),
            suggested_product_id: suggested.into(),
            lift_permille: lift,
        }
    }

    #[test]
    fn an_auto_offer_takes_each_suggested_product_once_by_its_best_pair() {
        let pairs = vec![
            pair("a", "c", 1500),
            pair("b", "c", 3000),
            pair("a", "d", 3000),
            pair("a", "e", 900),
            pair("b", "f", 1200),
        ];
        let chosen = auto_suggestions(pairs.clone(), 20, 1000);
        assert_eq!(
            chosen,
            [
                pair("b", "c", 3000),
                pair("a", "d", 3000),
                pair("b", "f", 1200)
            ]
        );
        assert_eq!(auto_suggestions(pairs, 2, 1000).len(), 2);
    }

    #[test]
    fn pairs_tied_on_lift_and_product_are_told_apart_by_the_purchased_product() {
        let one = auto_suggestions(vec![pair("b", "c", 2000), pair("a", "c", 2000)], 5, 0);
        let other = auto_suggestions(vec![pair("a", "c", 2000), pair("b", "c", 2000)], 5, 0);
        assert_eq!(
            (one.clone(), other),
            (vec![pair("a", "c", 2000)], vec![pair("a", "c", 2000)])
        );
    }
}
