//! Reads the typed Function input into engine types and writes the engine's decision back.
//! The only module that knows both Shopify's Function types and the engine's.

use encore_engine::input::FunctionInput;
use encore_engine::{decide, reason, Change, Decision};

use crate::schema::{self, run as input};

/// Runs the engine on the Function input.
pub fn run(input: &input::Input) -> schema::FunctionRunResult {
    // One decision, then the process ends; its allocator never frees.
    let decision = encore_engine::input::decide_once(input);
    write_decision(decision)
}

impl FunctionInput for input::Input {
    fn locale(&self) -> &str {
        input::Input::locale(self)
    }
    fn now(&self) -> &str {
        input::Input::now(self)
    }
    fn shop_currency_code(&self) -> &str {
        self.shop().currency_code()
    }
    fn config(&self) -> Option<&str> {
        self.shop().metafield().map(|m| m.value().as_str())
    }
    fn context(&self) -> &str {
        input::Input::context(self)
    }
    fn line_count(&self) -> usize {
        input::Input::purchase(self).packed_lines().len()
    }
    fn packed_line(&self, index: usize) -> &str {
        &input::Input::purchase(self).packed_lines()[index]
    }
    fn facts(&self) -> &str {
        input::Input::facts(self)
    }
}

// The decision is moved into the output, not copied: every string it holds is written once.

fn write_decision(decision: Decision) -> schema::FunctionRunResult {
    schema::FunctionRunResult {
        offer: decision.offer.map(write_offer),
        reasons: reason::write_records(&decision.reasons),
    }
}

fn write_prices(p: &encore_engine::pricing::Prices) -> schema::OfferPrices {
    let c = p.currency;
    schema::OfferPrices {
        currency_code: c.code().to_owned(),
        original_price: c.format(p.original),
        offer_price: c.format(p.offer),
        savings: c.format(p.savings),
        compare_at_price: p.compare_at.map(|v| c.format(v)),
        savings_percent: p.savings_percent as i32,
    }
}

fn write_offer(o: decide::Offer) -> schema::Offer {
    schema::Offer {
        campaign_id: o.campaign_id,
        step_id: o.step_id,
        experiment_id: o.experiment_id,
        arm_id: o.arm_id,
        next_step_on_accept: o.next_step_on_accept,
        next_step_on_decline: o.next_step_on_decline,
        products: o
            .products
            .into_iter()
            .map(|p| schema::OfferProduct {
                shop_prices: write_prices(&p.shop_prices),
                presentment_prices: write_prices(&p.presentment_prices),
                product_id: p.product_id,
                variant_id: p.variant_id,
                title: p.title,
                variant_title: p.variant_title,
                image_url: p.image_url,
                quantity: p.quantity as i32,
                selling_plan_id: p.selling_plan_id,
            })
            .collect(),
        changes: o.changes.into_iter().map(write_change).collect(),
        copy: schema::OfferCopy {
            locale: o.copy.locale,
            headline: o.copy.headline,
            body: o.copy.body,
            accept_label: o.copy.accept_label,
            decline_label: o.copy.decline_label,
        },
    }
}

fn empty_change(kind: schema::ChangeType) -> schema::Change {
    schema::Change {
        r#type: kind,
        variant_id: None,
        quantity: None,
        selling_plan_id: None,
        discount: None,
        initial_shipping_price: None,
        recurring_shipping_price: None,
        shipping_option: None,
        price: None,
        title: None,
        presentment_title: None,
        namespace: None,
        key: None,
        value: None,
        value_type: None,
    }
}

fn write_discount(d: Option<encore_engine::ExplicitDiscount>) -> Option<schema::ExplicitDiscount> {
    d.map(|d| schema::ExplicitDiscount {
        value_type: if d.value_type == "percentage" {
            schema::DiscountValueType::Percentage
        } else {
            schema::DiscountValueType::FixedAmount
        },
        value: d.value,
        title: d.title,
    })
}

fn write_change(c: Change) -> schema::Change {
    match c {
        Change::AddVariant {
            variant_id,
            quantity,
            discount,
        } => schema::Change {
            variant_id: Some(variant_id),
            quantity: Some(quantity as i32),
            discount: write_discount(discount),
            ..empty_change(schema::ChangeType::AddVariant)
        },
        Change::AddSubscription {
            variant_id,
            selling_plan_id,
            quantity,
            initial_shipping_price,
            recurring_shipping_price,
            shipping_title,
            discount,
        } => schema::Change {
            variant_id: Some(variant_id),
            selling_plan_id: Some(selling_plan_id),
            quantity: Some(quantity as i32),
            initial_shipping_price: Some(initial_shipping_price),
            recurring_shipping_price: Some(recurring_shipping_price),
            shipping_option: Some(schema::ShippingOption {
                presentment_title: shipping_title.clone(),
                title: shipping_title,
            }),
            discount: write_discount(discount),
            ..empty_change(schema::ChangeType::AddSubscription)
        },
        Change::AddShippingLine { price, title } => schema::Change {
            price: Some(price),
            presentment_title: Some(title.clone()),
            title: Some(title),
            ..empty_change(schema::ChangeType::AddShippingLine)
        },
        Change::SetMetafield {
            namespace,
            key,
            value,
            value_type,
        } => schema::Change {
            namespace: Some(namespace),
            key: Some(key),
            value: Some(value),
            value_type: Some(value_type.to_owned()),
            ..empty_change(schema::ChangeType::SetMetafield)
        },
    }
}
