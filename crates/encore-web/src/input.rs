//! The offer Function's input (input.graphql's query over schema.graphql) as JSON, read into
//! the engine through `encore_engine::input`, the same reading the Function's adapter does.

use encore_engine::input::FunctionInput;
use encore_engine::named_facts::NamedFacts;
use encore_engine::{compiled, context_record, line_record, packed_facts};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// GraphQL `Int` is 32 bits: a larger number is refused as the Function refuses it.
type Int = i32;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Input {
    locale: String,
    now: String,
    shop: Shop,
    /// The context record the Function reads, or written by [`Input::pack`] from the readable
    /// `funnel`, `customer` and purchase ids and totals the admin's simulator sends.
    context: Option<String>,
    funnel: Option<InputFunnel>,
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

// The readable parts of the context, typed as input.graphql types them (so the simulator's
// input is refused where the Function's would be), then written as the context record.

#[derive(Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
struct InputFunnel {
    campaign_id: Option<String>,
    step_id: Option<String>,
    offers_shown: Int,
    offers_accepted: Int,
    accepted_variant_ids: Vec<String>,
    accepted_product_ids: Vec<String>,
}

#[derive(Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
struct Customer {
    id: String,
    number_of_orders: Int,
    amount_spent: Amount,
    tags: Vec<String>,
}

#[derive(Deserialize, Serialize)]
struct Amount {
    amount: String,
}

#[derive(Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
struct Money {
    amount: String,
    currency_code: String,
}

#[derive(Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
struct Totals {
    shop_money: Money,
    presentment_money: Money,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Purchase {
    /// The readable purchase's ids and totals, written into the context.
    reference_id: Option<String>,
    customer_id: Option<String>,
    destination_country_code: Option<String>,
    total_price_set: Option<Totals>,
    /// The line records the Function reads, or the readable `lines` the admin's simulator
    /// sends (with a readable `jsonValue`, whose triggers name the facts lines carry), written
    /// by [`Input::pack`] before deciding.
    #[serde(default)]
    packed_lines: Vec<String>,
    lines: Option<Vec<Value>>,
}

impl Input {
    /// Compiles a readable `jsonValue` configuration and writes the readable context, lines
    /// and fact lists as the server does, so the decision reads exactly what the Function
    /// would be given. An input with neither a context nor its readable parts is refused.
    pub fn pack(&mut self) -> Result<(), String> {
        let mut named = NamedFacts::default();
        if let Some(m) = self.shop.metafield.as_mut() {
            if let (None, Some(json)) = (&m.value, m.json_value.take()) {
                named = NamedFacts::of_config(&json);
                m.value =
                    (!json.is_null()).then(|| compiled::compile(&json, &self.shop.currency_code));
            }
        }
        if self.context.is_none() {
            let p = &self.purchase;
            let (Some(funnel), Some(reference_id), Some(totals)) =
                (&self.funnel, &p.reference_id, &p.total_price_set)
            else {
                return Err(
                    "not an offer Function input: missing field `context` (or the \
                            readable `funnel`, `purchase.referenceId` and \
                            `purchase.totalPriceSet`)"
                        .into(),
                );
            };
            let purchase = json!({
                "referenceId": reference_id,
                "customerId": p.customer_id,
                "destinationCountryCode": p.destination_country_code,
                "totalPriceSet": totals,
            });
            let (funnel, customer) = (json!(funnel), json!(self.customer));
            self.context = Some(context_record::write(&funnel, &customer, &purchase));
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
        Ok(())
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
    fn context(&self) -> &str {
        self.0.context.as_deref().unwrap_or_default()
    }
    fn line_count(&self) -> usize {
        self.0.purchase.packed_lines.len()
    }
    fn packed_line(&self, index: usize) -> &str {
        &self.0.purchase.packed_lines[index]
    }
    fn facts(&self) -> &str {
        self.0.facts.as_deref().unwrap_or_default()
    }
}
