//! The offer as the offer Function writes it: one record (header `EO1`), for the reason its
//! reasons are one ([`crate::reason`]): the provider charges about 200 instructions for every
//! string a Function hands it, and an offer written as objects was about 76 (products, both
//! prices, changes, copy, keys included).
//!
//! Amounts are written as the decimal text Shopify's changeset and the extension read
//! ("21.24"), never as minor units, so a fixture's prices stay legible in the record and the
//! server reads them exactly as the Function wrote them. Layout, after the header, in
//! [`crate::record`] fields:
//!
//! 1. campaign id, step id, then experiment id, arm id, next step on accept, next step on
//!    decline (each optional);
//! 2. the products: per product its product id, variant id, title, variant title (optional),
//!    image URL (optional), quantity, selling plan id (optional), then its prices in the shop
//!    currency (currency code, original price, offer price, savings, compare-at price
//!    (optional), savings percent), then 0 when the buyer's prices are the same, or 1 and the
//!    buyer's prices;
//! 3. the changes: per change its kind (0 `add_variant`, 1 `add_subscription`, 2
//!    `add_shipping_line`, 3 `set_metafield`), then its fields in the order of Shopify's
//!    change as the typed output wrote them (a discount: optional value, value type and
//!    title), so the JSON read back keeps that order byte for byte;
//! 4. the copy: locale, headline, body, accept label, decline label.

use crate::decide::{Change, ExplicitDiscount, Offer};
use crate::pricing::Prices;
use crate::record::{Record, Writer};

/// The first bytes of an offer record: the layout's version.
const HEADER: &str = "EO1";

/// The offer as one record, as the offer Function writes it (`FunctionRunResult.offer`).
pub fn write(offer: &Offer) -> String {
    let mut w = Writer::with_capacity(HEADER, 512);
    head(&mut w, offer);
    w.uint(offer.changes.len() as u64);
    for c in &offer.changes {
        change(&mut w, c);
    }
    copy(&mut w, offer);
    w.finish()
}

/// The fields before the changes: ids, next steps, products.
fn head(w: &mut Writer, offer: &Offer) {
    offer.campaign_id.write(w);
    offer.step_id.write(w);
    offer.experiment_id.write(w);
    offer.arm_id.write(w);
    offer.next_step_on_accept.write(w);
    offer.next_step_on_decline.write(w);
    w.uint(offer.products.len() as u64);
    for p in &offer.products {
        p.product_id.write(w);
        p.variant_id.write(w);
        p.title.write(w);
        p.variant_title.write(w);
        p.image_url.write(w);
        p.quantity.write(w);
        p.selling_plan_id.write(w);
        prices(w, &p.shop_prices);
        // The buyer's prices are the shop's whenever the buyer pays in the shop currency: then
        // a 0 instead of a second set of formatted amounts.
        if p.presentment_prices == p.shop_prices {
            w.uint(0);
        } else {
            w.uint(1);
            prices(w, &p.presentment_prices);
        }
    }
}

/// The copy, after the changes.
fn copy(w: &mut Writer, offer: &Offer) {
    let copy = &offer.copy;
    for text in [
        &copy.locale,
        &copy.headline,
        &copy.body,
        &copy.accept_label,
        &copy.decline_label,
    ] {
        w.str(text);
    }
}

fn prices(w: &mut Writer, p: &Prices) {
    let c = p.currency;
    w.str(c.code());
    w.str(&c.format(p.original));
    w.str(&c.format(p.offer));
    w.str(&c.format(p.savings));
    p.compare_at.map(|v| c.format(v)).write(w);
    p.savings_percent.write(w);
}

fn discount(w: &mut Writer, d: &Option<ExplicitDiscount>) {
    match d {
        None => w.uint(0),
        Some(d) => {
            w.uint(1);
            w.str(&d.value);
            w.str(d.value_type);
            w.str(&d.title);
        }
    }
}

fn change(w: &mut Writer, c: &Change) {
    match c {
        Change::AddVariant {
            variant_id,
            quantity,
            discount: d,
        } => {
            w.uint(0);
            w.str(variant_id);
            quantity.write(w);
            discount(w, d);
        }
        Change::AddSubscription {
            variant_id,
            selling_plan_id,
            quantity,
            initial_shipping_price,
            recurring_shipping_price,
            shipping_title,
            discount: d,
        } => {
            w.uint(1);
            w.str(variant_id);
            quantity.write(w);
            w.str(selling_plan_id);
            discount(w, d);
            w.str(initial_shipping_price);
            w.str(recurring_shipping_price);
            shipping_title.write(w);
        }
        Change::AddShippingLine { price, title } => {
            w.uint(2);
            w.str(price);
            w.str(title);
        }
        Change::SetMetafield {
            namespace,
            key,
            value,
            value_type,
        } => {
            w.uint(3);
            w.str(namespace);
            w.str(key);
            w.str(value);
            w.str(value_type);
        }
    }
}

#[cfg(feature = "serde_json")]
pub use read::to_json;

#[cfg(feature = "serde_json")]
mod read {
    use super::HEADER;
    use crate::record::{Cursor, Record};
    use serde_json::{json, Map, Value};

    /// An offer record as JSON, field for field and in the order the Function's typed output
    /// wrote it, as the server stores and signs it (`campaignId`, …, `products`, `changes` as Shopify's,
    /// `copy`; absent optional fields left out); `None` when `text` is not an offer record
    /// (cut, altered, or with bytes after its end).
    pub fn to_json(text: &str) -> Option<Value> {
        let mut c = Cursor::open(text, HEADER)?;
        let mut offer = Map::new();
        offer.insert("campaignId".into(), c.str()?.into());
        offer.insert("stepId".into(), c.str()?.into());
        for key in [
            "experimentId",
            "armId",
            "nextStepOnAccept",
            "nextStepOnDecline",
        ] {
            optional(&mut c, &mut offer, key)?;
        }
        let mut products = Vec::new();
        for _ in 0..c.usize()? {
            let mut p = Map::new();
            p.insert("productId".into(), c.str()?.into());
            p.insert("variantId".into(), c.str()?.into());
            p.insert("title".into(), c.str()?.into());
            optional(&mut c, &mut p, "variantTitle")?;
            optional(&mut c, &mut p, "imageUrl")?;
            p.insert("quantity".into(), i64::read(&mut c)?.into());
            optional(&mut c, &mut p, "sellingPlanId")?;
            let shop = prices(&mut c)?;
            let presentment = match c.uint()? {
                0 => shop.clone(),
                1 => prices(&mut c)?,
                _ => return None,
            };
            p.insert("shopPrices".into(), shop);
            p.insert("presentmentPrices".into(), presentment);
            products.push(Value::Object(p));
        }
        offer.insert("products".into(), Value::Array(products));
        let mut changes = Vec::new();
        for _ in 0..c.usize()? {
            changes.push(change(&mut c)?);
        }
        offer.insert("changes".into(), Value::Array(changes));
        offer.insert(
            "copy".into(),
            json!({
                "locale": c.str()?,
                "headline": c.str()?,
                "body": c.str()?,
                "acceptLabel": c.str()?,
                "declineLabel": c.str()?,
            }),
        );
        c.at_end().then_some(Value::Object(offer))
    }

    /// Reads an optional string into `key` when it is set.
    fn optional(c: &mut Cursor<'_>, into: &mut Map<String, Value>, key: &str) -> Option<()> {
        if let Some(v) = <Option<String>>::read(c)? {
            into.insert(key.into(), v.into());
        }
        Some(())
    }

    fn prices(c: &mut Cursor<'_>) -> Option<Value> {
        let mut p = Map::new();
        p.insert("currencyCode".into(), c.str()?.into());
        p.insert("originalPrice".into(), c.str()?.into());
        p.insert("offerPrice".into(), c.str()?.into());
        p.insert("savings".into(), c.str()?.into());
        optional(c, &mut p, "compareAtPrice")?;
        p.insert("savingsPercent".into(), i64::read(c)?.into());
        Some(Value::Object(p))
    }

    fn discount(c: &mut Cursor<'_>, into: &mut Map<String, Value>) -> Option<()> {
        match c.uint()? {
            0 => {}
            1 => {
                let d = json!({"value": c.str()?, "valueType": c.str()?, "title": c.str()?});
                into.insert("discount".into(), d);
            }
            _ => return None,
        }
        Some(())
    }

    fn change(c: &mut Cursor<'_>) -> Option<Value> {
        let mut o = Map::new();
        match c.uint()? {
            0 => {
                o.insert("type".into(), "add_variant".into());
                o.insert("variantId".into(), c.str()?.into());
                o.insert("quantity".into(), i64::read(c)?.into());
                discount(c, &mut o)?;
            }
            1 => {
                o.insert("type".into(), "add_subscription".into());
                o.insert("variantId".into(), c.str()?.into());
                o.insert("quantity".into(), i64::read(c)?.into());
                o.insert("sellingPlanId".into(), c.str()?.into());
                discount(c, &mut o)?;
                o.insert("initialShippingPrice".into(), c.str()?.into());
                o.insert("recurringShippingPrice".into(), c.str()?.into());
                // Shopify's shipping option has a title and a presentment title: the same text.
                let title = <Option<String>>::read(c)?;
                o.insert(
                    "shippingOption".into(),
                    match title {
                        Some(t) => json!({"title": t, "presentmentTitle": t}),
                        None => json!({}),
                    },
                );
            }
            2 => {
                o.insert("type".into(), "add_shipping_line".into());
                o.insert("price".into(), c.str()?.into());
                let title = c.str()?;
                o.insert("title".into(), title.into());
                o.insert("presentmentTitle".into(), title.into());
            }
            3 => {
                o.insert("type".into(), "set_metafield".into());
                o.insert("namespace".into(), c.str()?.into());
                o.insert("key".into(), c.str()?.into());
                o.insert("value".into(), c.str()?.into());
                o.insert("valueType".into(), c.str()?.into());
            }
            _ => return None,
        }
        Some(Value::Object(o))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::{Copy, OfferProduct};
    use crate::money::Currency;
    use serde_json::json;

    fn offer() -> Offer {
        let jpy = Currency::from_code("JPY").unwrap();
        let prices = Prices {
            currency: jpy,
            original: 1998,
            offer: 1498,
            savings: 500,
            compare_at: Some(2500),
            savings_percent: 25,
        };
        Offer {
            campaign_id: "c".into(),
            step_id: "s".into(),
            experiment_id: None,
            arm_id: Some("b".into()),
            next_step_on_accept: None,
            next_step_on_decline: Some("down".into()),
            products: vec![OfferProduct {
                product_id: "1".into(),
                variant_id: "11".into(),
                title: "Thé \"vert\"".into(),
                variant_title: Some("100 g".into()),
                image_url: None,
                quantity: 2,
                selling_plan_id: Some("7".into()),
                shop_prices: prices,
                presentment_prices: Prices {
                    currency: Currency::from_code("KWD").unwrap(),
                    original: 4004,
                    offer: 3002,
                    savings: 1002,
                    compare_at: None,
                    savings_percent: 25,
                },
            }],
            changes: vec![
                Change::AddSubscription {
                    variant_id: "11".into(),
                    selling_plan_id: "7".into(),
                    quantity: 2,
                    initial_shipping_price: "0".into(),
                    recurring_shipping_price: "300".into(),
                    shipping_title: None,
                    discount: Some(ExplicitDiscount {
                        value: "25".into(),
                        value_type: "percentage",
                        title: "25% off".into(),
                    }),
                },
                Change::AddShippingLine {
                    price: "300".into(),
                    title: "Post".into(),
                },
            ],
            copy: Copy {
                locale: "ja".into(),
                headline: "h".into(),
                body: "b".into(),
                accept_label: "a".into(),
                decline_label: "d".into(),
            },
        }
    }

    #[test]
    fn an_offer_reads_back_as_the_typed_output_wrote_it() {
        let text = write(&offer());
        assert!(
            text.contains("1498") && text.contains("Thé \"vert\""),
            "{text}"
        );
        let prices = json!({"currencyCode": "JPY", "originalPrice": "1998", "offerPrice": "1498",
            "savings": "500", "compareAtPrice": "2500", "savingsPercent": 25});
        assert_eq!(
            to_json(&text),
            Some(json!({
                "campaignId": "c", "stepId": "s", "armId": "b", "nextStepOnDecline": "down",
                "products": [{"productId": "1", "variantId": "11", "title": "Thé \"vert\"",
                    "variantTitle": "100 g", "quantity": 2, "sellingPlanId": "7",
                    "shopPrices": prices, "presentmentPrices": {"currencyCode": "KWD",
                    "originalPrice": "4.004", "offerPrice": "3.002", "savings": "1.002",
                    "savingsPercent": 25}}],
                "changes": [
                    {"type": "add_subscription", "variantId": "11", "sellingPlanId": "7",
                     "quantity": 2, "initialShippingPrice": "0", "recurringShippingPrice": "300",
                     "shippingOption": {},
                     "discount": {"value": "25", "valueType": "percentage", "title": "25% off"}},
                    {"type": "add_shipping_line", "price": "300", "title": "Post",
                     "presentmentTitle": "Post"},
                ],
                "copy": {"locale": "ja", "headline": "h", "body": "b", "acceptLabel": "a",
                    "declineLabel": "d"},
            }))
        );
    }

    #[test]
    fn a_cut_extended_or_foreign_text_is_no_offer() {
        let text = write(&offer());
        for cut in (0..text.len()).filter(|&i| text.is_char_boundary(i)) {
            assert_eq!(to_json(&text[..cut]), None, "cut at {cut}");
        }
        assert_eq!(to_json(&format!("{text}`")), None);
        assert_eq!(to_json("{}"), None);
    }

    /// An offer whose one change is what `change` writes.
    fn with_change(change: impl FnOnce(&mut Writer)) -> String {
        let offer = offer();
        let mut w = Writer::new(HEADER);
        head(&mut w, &offer);
        w.uint(1);
        change(&mut w);
        copy(&mut w, &offer);
        w.finish()
    }

    #[test]
    fn an_unknown_change_kind_or_discount_flag_is_no_offer() {
        let fine = with_change(|w| {
            w.uint(2);
            w.str("4.99");
            w.str("Post");
        });
        assert!(to_json(&fine).is_some());
        assert_eq!(to_json(&with_change(|w| w.uint(4))), None);
        let flag_two = with_change(|w| {
            w.uint(0);
            w.str("11");
            1i64.write(w);
            w.uint(2);
        });
        assert_eq!(to_json(&flag_two), None);
    }
}
