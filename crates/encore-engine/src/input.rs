//! The offer Function's input (input.graphql) read into engine types and decided: one
//! implementation for the two readers of that input, the Function adapter (Shopify's lazy
//! values) and the browser engine (JSON), so both give the same decision and the same reasons.

use crate::context_record::{self, CustomerText, PurchaseContext, PurchaseIds, TotalsText};
use crate::decide::{self, Context, Decision};
use crate::facts::{Customer, FactNeeds, Funnel, Purchase, PurchaseLine};
use crate::line_record::{self, LineTotal};
use crate::money::{Currency, QuotedAmount};
use crate::packed_facts::PackedFacts;
use crate::reason::{Reason, ReasonCode};

/// The offer Function's input as the engine reads it. The Function reads its input lazily and
/// pays for every value it reaches, so the methods are called in the input query's order and
/// nothing is read past the first reason to give no offer.
pub trait FunctionInput {
    fn locale(&self) -> &str;
    fn now(&self) -> &str;
    fn shop_currency_code(&self) -> &str;
    /// The configuration metafield's value: the merchant's JSON compiled by the server
    /// ([`crate::compiled`]), read in place.
    fn config(&self) -> Option<&str>;
    /// The funnel, the buyer and the purchase's ids and totals as the server wrote them
    /// ([`crate::context_record`]).
    fn context(&self) -> &str;
    fn line_count(&self) -> usize;
    /// Line `index` (below [`FunctionInput::line_count`]) as the server compiled it
    /// ([`crate::line_record`]), read in place.
    fn packed_line(&self, index: usize) -> &str;
    /// The catalog, offer statistics and co-purchase pairs, packed ([`PackedFacts`]): looked
    /// up in place as the decision needs them.
    fn facts(&self) -> &str;
}

fn no_offer(code: ReasonCode, detail: String) -> Reason {
    Reason {
        code,
        campaign_id: None,
        step_id: None,
        variant_id: None,
        detail,
    }
}

/// Decides the offer for the input. Unreadable input gives no offer with the one reason why.
pub fn decide<I: FunctionInput>(input: &I) -> Decision {
    decide_input(input, drop).unwrap_or_else(no_decision)
}

/// [`decide`] for a process that makes one decision and ends, with an allocator that never
/// frees (the offer Function): the decision's working data (campaign headers, lines) is left
/// as it is, since dropping it would only walk it to free nothing.
pub fn decide_once<I: FunctionInput>(input: &I) -> Decision {
    decide_input(input, std::mem::forget).unwrap_or_else(no_decision)
}

fn no_decision(reason: Reason) -> Decision {
    Decision {
        offer: None,
        reasons: vec![reason],
    }
}

/// The working data of a decision, handed to `release` once the decision is made.
type Working<'a> = (decide::Plan<'a>, Purchase, Option<Customer>, Funnel);

fn decide_input<'a, I: FunctionInput>(
    input: &'a I,
    release: fn(Working<'a>),
) -> Result<Decision, Reason> {
    let code = input.shop_currency_code();
    let shop_currency = Currency::from_code(code).ok_or_else(|| {
        no_offer(
            ReasonCode::ShopCurrencyUnknown,
            format!("the shop currency \"{code}\" is not an ISO 4217 code"),
        )
    })?;
    let PurchaseContext {
        funnel,
        customer,
        totals,
        ids,
    } = context_record::read(input.context()).ok_or_else(|| {
        no_offer(
            ReasonCode::PurchaseInvalid,
            "the purchase context is not one this version of Encore reads".into(),
        )
    })?;
    let plan = decide::plan(input.config(), &funnel, shop_currency)?;
    let purchase = read_purchase(input, &totals, &ids, shop_currency, plan.fact_needs())?;
    let customer = customer.map(|c| read_customer(c, shop_currency));
    let now_text = input.now();
    let now = crate::time::parse_rfc3339(now_text).ok_or_else(|| {
        no_offer(
            ReasonCode::PurchaseInvalid,
            format!("\"now\" is not an RFC 3339 time: {now_text}"),
        )
    })?;
    let ctx = Context {
        shop_currency,
        purchase: &purchase,
        merchandise_subtotal: QuotedAmount::new(purchase.merchandise_subtotal(), shop_currency),
        customer: customer.as_ref(),
        funnel: &funnel,
        locale: input.locale(),
        now,
    };
    let decision = plan.decide(&ctx, &mut PackedFacts::open(input.facts()));
    release((plan, purchase, customer, funnel));
    Ok(decision)
}

fn read_purchase<I: FunctionInput>(
    input: &I,
    p: &TotalsText<'_>,
    ids: &PurchaseIds<'_>,
    shop_currency: Currency,
    needs: FactNeeds,
) -> Result<Purchase, Reason> {
    let invalid = |detail: String| no_offer(ReasonCode::PurchaseInvalid, detail);
    let shop_total = shop_currency
        .parse(p.shop_amount)
        .map_err(|e| invalid(format!("the purchase total \"{}\" {e}", p.shop_amount)))?;
    let presentment_currency = Currency::from_code(p.presentment_currency).ok_or_else(|| {
        invalid(format!(
            "the buyer's currency \"{}\" is not an ISO 4217 code",
            p.presentment_currency
        ))
    })?;
    let presentment_total = presentment_currency
        .parse(p.presentment_amount)
        .map_err(|e| {
            invalid(format!(
                "the purchase total \"{}\" {e}",
                p.presentment_amount
            ))
        })?;
    let count = input.line_count();
    let mut lines = Vec::with_capacity(count);
    for i in 0..count {
        let Some(read) = line_record::read(input.packed_line(i), needs) else {
            return Err(invalid(format!(
                "line {i} is not a line record this version of Encore reads"
            )));
        };
        let shop_total = match read.total {
            LineTotal::Minor(minor) => minor,
            LineTotal::Text(text) => shop_currency
                .parse(text)
                .map_err(|e| invalid(format!("line {i}'s total \"{text}\" {e}")))?,
        };
        let quantity = read.line.quantity;
        if quantity <= 0 {
            return Err(invalid(format!("line {i} has the quantity {quantity}")));
        }
        lines.push(PurchaseLine {
            shop_total,
            ..read.line
        });
    }
    Ok(Purchase {
        reference_id: ids.reference_id.to_owned(),
        customer_id: ids.customer_id.map(str::to_owned),
        destination_country: ids.destination_country.map(str::to_owned),
        shop_total,
        presentment_total,
        presentment_currency,
        lines,
    })
}

fn read_customer(c: CustomerText<'_>, shop_currency: Currency) -> Customer {
    Customer {
        id: c.id.to_owned(),
        tags: c.tags,
        number_of_orders: c.number_of_orders,
        // An unreadable amount counts as nothing spent: minimum-spend triggers then do not match.
        amount_spent: shop_currency.parse(c.amount_spent).unwrap_or(0),
    }
}
