//! The offer Function's input (input.graphql's query over schema.graphql) as JSON, read into
//! the engine through `encore_engine::input`, the same reading the Function's adapter does.

use encore_engine::input::{CustomerText, FunctionInput, PurchaseIds, TotalsText};
use encore_engine::named_facts::NamedFacts;
use encore_engine::Funnel;
use encore_engine::{compiled, line_record, packed_facts};
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
    /// The packed facts the Function reads, or the readable lists the admin's simulator
    /// sends, packed by [`Input::pack`] before deciding.
    facts: Option<String>,
    offer_stats: Option<Vec<Value>>,
    co_purchases: Option<Vec<Value>>,
    catalog: Option<Vec<Value>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Shop {
    currency_code: String,
    metafield: Option<Metafield>,
}

/// The configuration metafield: its compiled `value` as the Function reads it, or the readable
/// `jsonValue` the admin's simulator sends, compiled by [`Input::pack`] before deciding.
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
struct Purchase {
    reference_id: String,
    customer_id: Option<String>,
    destination_country_code: Option<String>,
    total_price_set: Totals,
    /// The line records the Function reads, or the readable `lines` the admin's simulator
    /// sends (with a readable `jsonValue`, whose triggers name the facts lines carry), written
    /// by [`Input::pack`] before deciding.
    #[serde(default)]
    packed_lines: Vec<String>,
    lines: Option<Vec<Value>>,
}

impl Input {
    /// Compiles a readable `jsonValue` configuration and packs readable lines and fact lists
    /// as the server does, so the decision reads exactly what the Function would be given.
    pub fn pack(&mut self) {
        let mut named = NamedFacts::default();
        if let Some(m) = self.shop.metafield.as_mut() {
            if let (None, Some(json)) = (&m.value, m.json_value.take()) {
                named = NamedFacts::of_config(&json);
                m.value =
                    (!json.is_null()).then(|| compiled::compile(&json, &self.shop.currency_code));
            }
        }
        if let Some(lines) = self.purchase.lines.take() {
            self.purchase.packed_lines = lines
                .iter()
                .map(|line| line_record::write(line, &named, &self.shop.currency_code))
                .collect();
        }
        if self.facts.is_none() {
            let list = |l: Option<Vec<Value>>| l.unwrap_or_default();
            let (stats, pairs, catalog) = (
                list(self.offer_stats.take()),
                list(self.co_purchases.take()),
                list(self.catalog.take()),
            );
            self.facts = Some(packed_facts::pack(&stats, &pairs, &catalog));
        }
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
        self.0.purchase.packed_lines.len()
    }
    fn packed_line(&self, index: usize) -> &str {
        &self.0.purchase.packed_lines[index]
    }
    fn purchase_ids(&self) -> PurchaseIds<'_> {
        let p = &self.0.purchase;
        PurchaseIds {
            reference_id: &p.reference_id,
            customer_id: p.customer_id.as_deref(),
            destination_country: p.destination_country_code.as_deref(),
        }
    }
    fn facts(&self) -> &str {
        self.0.facts.as_deref().unwrap_or_default()
    }
}
