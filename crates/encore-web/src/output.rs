//! The engine's decision written as the offer Function's output (schema.graphql's
//! `FunctionRunResult`), absent fields left out as the Function leaves them out, so the
//! browser's answer can be compared with the Function's field for field.

use encore_engine::pricing::Prices;
use encore_engine::{decide, reason, Change, Decision, ExplicitDiscount};
use serde::Serialize;

#[derive(Serialize)]
pub struct Output {
    #[serde(skip_serializing_if = "Option::is_none")]
    offer: Option<Offer>,
    /// The reasons as the Function writes them: one record ([`reason::write_records`]).
    reasons: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Offer {
    campaign_id: String,
    step_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    experiment_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    arm_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_step_on_accept: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_step_on_decline: Option<String>,
    products: Vec<Product>,
    changes: Vec<OutChange>,
    copy: Copy,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Product {
    product_id: String,
    variant_id: String,
    title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    variant_title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image_url: Option<String>,
    quantity: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    selling_plan_id: Option<String>,
    shop_prices: OutPrices,
    presentment_prices: OutPrices,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OutPrices {
    currency_code: String,
    original_price: String,
    offer_price: String,
    savings: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    compare_at_price: Option<String>,
    savings_percent: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Copy {
    locale: String,
    headline: String,
    body: String,
    accept_label: String,
    decline_label: String,
}

/// One change; only the fields of its `type` are present.
#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct OutChange {
    r#type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    variant_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    quantity: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    selling_plan_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    discount: Option<Discount>,
    #[serde(skip_serializing_if = "Option::is_none")]
    initial_shipping_price: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    recurring_shipping_price: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    shipping_option: Option<ShippingOption>,
    #[serde(skip_serializing_if = "Option::is_none")]
    price: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    presentment_title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value_type: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Discount {
    value: String,
    value_type: &'static str,
    title: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ShippingOption {
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    presentment_title: Option<String>,
}

impl From<Decision> for Output {
    fn from(d: Decision) -> Output {
        Output {
            offer: d.offer.map(offer),
            reasons: reason::write_records(&d.reasons),
        }
    }
}

fn prices(p: &Prices) -> OutPrices {
    let c = p.currency;
    OutPrices {
        currency_code: c.code().to_owned(),
        original_price: c.format(p.original),
        offer_price: c.format(p.offer),
        savings: c.format(p.savings),
        compare_at_price: p.compare_at.map(|v| c.format(v)),
        savings_percent: p.savings_percent,
    }
}

fn offer(o: decide::Offer) -> Offer {
    Offer {
        campaign_id: o.campaign_id,
        step_id: o.step_id,
        experiment_id: o.experiment_id,
        arm_id: o.arm_id,
        next_step_on_accept: o.next_step_on_accept,
        next_step_on_decline: o.next_step_on_decline,
        products: o
            .products
            .into_iter()
            .map(|p| Product {
                shop_prices: prices(&p.shop_prices),
                presentment_prices: prices(&p.presentment_prices),
                product_id: p.product_id,
                variant_id: p.variant_id,
                title: p.title,
                variant_title: p.variant_title,
                image_url: p.image_url,
                quantity: p.quantity,
                selling_plan_id: p.selling_plan_id,
            })
            .collect(),
        changes: o.changes.into_iter().map(change).collect(),
        copy: Copy {
            locale: o.copy.locale,
            headline: o.copy.headline,
            body: o.copy.body,
            accept_label: o.copy.accept_label,
            decline_label: o.copy.decline_label,
        },
    }
}

fn discount(d: Option<ExplicitDiscount>) -> Option<Discount> {
    d.map(|d| Discount {
        value: d.value,
        value_type: d.value_type,
        title: d.title,
    })
}

fn change(c: Change) -> OutChange {
    match c {
        Change::AddVariant {
            variant_id,
            quantity,
            discount: d,
        } => OutChange {
            r#type: "add_variant",
            variant_id: Some(variant_id),
            quantity: Some(quantity),
            discount: discount(d),
            ..OutChange::default()
        },
        Change::AddSubscription {
            variant_id,
            selling_plan_id,
            quantity,
            initial_shipping_price,
            recurring_shipping_price,
            shipping_title,
            discount: d,
        } => OutChange {
            r#type: "add_subscription",
            variant_id: Some(variant_id),
            selling_plan_id: Some(selling_plan_id),
            quantity: Some(quantity),
            initial_shipping_price: Some(initial_shipping_price),
            recurring_shipping_price: Some(recurring_shipping_price),
            shipping_option: Some(ShippingOption {
                title: shipping_title.clone(),
                presentment_title: shipping_title,
            }),
            discount: discount(d),
            ..OutChange::default()
        },
        Change::AddShippingLine { price, title } => OutChange {
            r#type: "add_shipping_line",
            price: Some(price),
            title: Some(title.clone()),
            presentment_title: Some(title),
            ..OutChange::default()
        },
        Change::SetMetafield {
            namespace,
            key,
            value,
            value_type,
        } => OutChange {
            r#type: "set_metafield",
            namespace: Some(namespace),
            key: Some(key),
            value: Some(value),
            value_type: Some(value_type),
            ..OutChange::default()
        },
    }
}
