//! Campaign triggers: does this purchase, buyer and destination call for the campaign?
//! Within one list any value matches; every list given must match. Tags, product types and
//! vendors compare without regard to ASCII case; ids and country codes compare exactly.
//! A miss's words are joined with `concat`, not `format!`: every campaign a purchase misses
//! writes one, and `core::fmt` costs the Function several times the copy.

use crate::config::{Amount, CampaignHeader, CustomerOrders, Triggers};
use crate::facts::{Customer, FactNeeds, Purchase};
use crate::money::{int_text, Currency, QuotedAmount};
use crate::reason::ReasonCode;

/// Which purchase facts these triggers test.
pub fn needs(t: &Triggers) -> FactNeeds {
    FactNeeds {
        tags: !t.tags.is_empty() || !t.exclude_tags.is_empty(),
        product_types: !t.product_types.is_empty(),
        vendors: !t.vendors.is_empty(),
        collections: !t.collections.is_empty(),
    }
}

fn any_eq(wanted: &[String], have: &str) -> bool {
    wanted.iter().any(|w| w == have)
}

fn any_eq_ci(wanted: &[String], have: &str) -> bool {
    wanted.iter().any(|w| w.eq_ignore_ascii_case(have))
}

fn list(values: &[String]) -> String {
    values.join(", ")
}

/// `prefix`, then `values` joined with ", ": a miss's words in one allocation.
fn words(prefix: &str, values: &[String]) -> String {
    let len = prefix.len() + values.iter().map(|v| v.len() + 2).sum::<usize>();
    let mut text = String::with_capacity(len);
    text.push_str(prefix);
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            text.push_str(", ");
        }
        text.push_str(v);
    }
    text
}

/// Checks a campaign's triggers against the purchase and its merchandise `subtotal`; on a
/// miss, the reason code and words a merchant can act on.
pub fn check(
    header: &CampaignHeader,
    purchase: &Purchase,
    subtotal: &QuotedAmount,
    customer: Option<&Customer>,
    currency: Currency,
) -> Result<(), (ReasonCode, String)> {
    let t = &header.triggers;
    let lines = &purchase.lines;
    if !t.products.is_empty() && !lines.iter().any(|l| any_eq(&t.products, &l.product_id)) {
        return Err((
            ReasonCode::TriggerProductsNotMatched,
            words("the purchase has none of the products ", &t.products),
        ));
    }
    if !t.variants.is_empty() && !lines.iter().any(|l| any_eq(&t.variants, &l.variant_id)) {
        return Err((
            ReasonCode::TriggerVariantsNotMatched,
            words("the purchase has none of the variants ", &t.variants),
        ));
    }
    if !t.collections.is_empty()
        && !lines
            .iter()
            .any(|l| l.collection_ids.iter().any(|c| any_eq(&t.collections, c)))
    {
        return Err((
            ReasonCode::TriggerCollectionsNotMatched,
            words(
                "no purchased product is in the collections ",
                &t.collections,
            ),
        ));
    }
    if !t.tags.is_empty()
        && !lines
            .iter()
            .any(|l| l.tags.iter().any(|g| any_eq_ci(&t.tags, g)))
    {
        return Err((
            ReasonCode::TriggerTagsNotMatched,
            words("no purchased product has the tags ", &t.tags),
        ));
    }
    if !t.product_types.is_empty()
        && !lines.iter().any(|l| {
            l.product_type
                .as_deref()
                .is_some_and(|p| any_eq_ci(&t.product_types, p))
        })
    {
        return Err((
            ReasonCode::TriggerProductTypesNotMatched,
            words("no purchased product is of the types ", &t.product_types),
        ));
    }
    if !t.vendors.is_empty()
        && !lines.iter().any(|l| {
            l.vendor
                .as_deref()
                .is_some_and(|v| any_eq_ci(&t.vendors, v))
        })
    {
        return Err((
            ReasonCode::TriggerVendorsNotMatched,
            words("no purchased product is from the vendors ", &t.vendors),
        ));
    }
    if let Some(min) = t.purchase_min.map(Amount::minor) {
        if subtotal.minor < min {
            return Err((
                ReasonCode::TriggerPurchaseValueOutOfRange,
                [
                    "the merchandise subtotal ",
                    subtotal.text(),
                    " is below the trigger minimum ",
                    &currency.format(min),
                ]
                .concat(),
            ));
        }
    }
    if let Some(max) = t.purchase_max.map(Amount::minor) {
        if subtotal.minor > max {
            return Err((
                ReasonCode::TriggerPurchaseValueOutOfRange,
                [
                    "the merchandise subtotal ",
                    subtotal.text(),
                    " is above the trigger maximum ",
                    &currency.format(max),
                ]
                .concat(),
            ));
        }
    }
    check_customer(t, customer, currency)?;
    let country = purchase.destination_country.as_deref();
    if !t.countries_include.is_empty() && !country.is_some_and(|c| any_eq(&t.countries_include, c))
    {
        return Err((
            ReasonCode::TriggerCountryNotMatched,
            [
                "the destination ",
                country.unwrap_or("(none)"),
                " is not one of ",
                &list(&t.countries_include),
            ]
            .concat(),
        ));
    }
    if let Some(c) = country.filter(|c| any_eq(&t.countries_exclude, c)) {
        return Err((
            ReasonCode::TriggerCountryNotMatched,
            ["the destination ", c, " is excluded"].concat(),
        ));
    }
    if let Some(l) = lines
        .iter()
        .find(|l| any_eq(&t.exclude_products, &l.product_id))
    {
        return Err((
            ReasonCode::ExcludedByPurchase,
            ["the purchase contains the excluded product ", &l.product_id].concat(),
        ));
    }
    if let Some(tag) = lines
        .iter()
        .flat_map(|l| l.tags.iter())
        .find(|g| any_eq_ci(&t.exclude_tags, g))
    {
        return Err((
            ReasonCode::ExcludedByPurchase,
            [
                "the purchase contains a product tagged ",
                tag,
                ", which is excluded",
            ]
            .concat(),
        ));
    }
    Ok(())
}

fn check_customer(
    t: &Triggers,
    customer: Option<&Customer>,
    currency: Currency,
) -> Result<(), (ReasonCode, String)> {
    let wants_customer = !t.customer_tags_include.is_empty()
        || t.customer_orders.is_some()
        || t.customer_min_orders.is_some()
        || t.customer_min_amount_spent.is_some();
    let miss = |detail: String| Err((ReasonCode::TriggerCustomerNotMatched, detail));
    let Some(c) = customer else {
        return if wants_customer {
            miss("the purchase has no customer".into())
        } else {
            Ok(())
        };
    };
    if !t.customer_tags_include.is_empty()
        && !c
            .tags
            .iter()
            .any(|g| any_eq_ci(&t.customer_tags_include, g))
    {
        return miss(words(
            "the customer has none of the tags ",
            &t.customer_tags_include,
        ));
    }
    if let Some(tag) = c
        .tags
        .iter()
        .find(|g| any_eq_ci(&t.customer_tags_exclude, g))
    {
        return miss(["the customer is tagged ", tag, ", which is excluded"].concat());
    }
    match t.customer_orders {
        Some(CustomerOrders::First) if c.number_of_orders > 1 => {
            return miss(
                [
                    "the campaign is for first orders; the customer has ",
                    &int_text(c.number_of_orders),
                    " orders",
                ]
                .concat(),
            )
        }
        Some(CustomerOrders::Returning) if c.number_of_orders <= 1 => {
            return miss(
                "the campaign is for returning customers; this is their first order".into(),
            )
        }
        _ => {}
    }
    if let Some(min) = t.customer_min_orders.filter(|m| c.number_of_orders < *m) {
        return miss(
            [
                "the customer has ",
                &int_text(c.number_of_orders),
                " orders, fewer than ",
                &int_text(min),
            ]
            .concat(),
        );
    }
    if let Some(min) = t.customer_min_amount_spent.map(Amount::minor) {
        if c.amount_spent < min {
            return miss(
                [
                    "the customer has spent ",
                    &currency.format(c.amount_spent),
                    ", less than ",
                    &currency.format(min),
                ]
                .concat(),
            );
        }
    }
    Ok(())
}
