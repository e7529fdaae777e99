//! The purchase's context as the server writes it for the offer Function: the funnel, the
//! buyer, and the purchase's ids and totals, one [`crate::record`]. The provider charges for
//! every property the Function asks for (about 1,350 instructions each, measured), and these
//! were 23 of them; one string is one property.
//!
//! After the [`HEADER`], in order:
//! - the funnel: campaign id and step id (optional), offers shown and accepted, the accepted
//!   variant ids and product ids;
//! - the buyer (optional): id, number of orders, amount spent (decimal text), tags;
//! - the purchase: reference id, customer id and destination country code (optional), the
//!   shop-currency total, the buyer's-currency total and its currency code (decimal text, read
//!   by the engine as before; the shop currency is the input's `shop.currencyCode`).

use crate::facts::Funnel;
use crate::record::{Cursor, Record};

/// The first bytes of a context record: the layout's version.
pub const HEADER: &str = "EX1";

/// The purchase's totals as the input's decimal text.
pub struct TotalsText<'a> {
    /// The total in the shop currency.
    pub shop_amount: &'a str,
    /// The total in the buyer's currency, and that currency's code.
    pub presentment_amount: &'a str,
    pub presentment_currency: &'a str,
}

/// Who bought and where it ships.
pub struct PurchaseIds<'a> {
    pub reference_id: &'a str,
    pub customer_id: Option<&'a str>,
    pub destination_country: Option<&'a str>,
}

/// The buyer, amount spent still as decimal text.
pub struct CustomerText<'a> {
    pub id: &'a str,
    pub tags: Vec<String>,
    pub number_of_orders: i64,
    pub amount_spent: &'a str,
}

/// A context record read.
pub struct PurchaseContext<'a> {
    pub funnel: Funnel,
    pub customer: Option<CustomerText<'a>>,
    pub totals: TotalsText<'a>,
    pub ids: PurchaseIds<'a>,
}

fn optional<'a>(c: &mut Cursor<'a>) -> Option<Option<&'a str>> {
    Some(match c.uint()? {
        0 => None,
        1 => Some(c.str()?),
        _ => return None,
    })
}

/// Reads a context record; `None` when `text` is not one.
pub fn read(text: &str) -> Option<PurchaseContext<'_>> {
    let mut c = Cursor::open(text, HEADER)?;
    let funnel = Funnel {
        campaign_id: Record::read(&mut c)?,
        step_id: Record::read(&mut c)?,
        offers_shown: Record::read(&mut c)?,
        offers_accepted: Record::read(&mut c)?,
        accepted_variant_ids: Record::read(&mut c)?,
        accepted_product_ids: Record::read(&mut c)?,
    };
    let customer = match c.uint()? {
        0 => None,
        1 => Some(CustomerText {
            id: c.str()?,
            number_of_orders: Record::read(&mut c)?,
            amount_spent: c.str()?,
            tags: Record::read(&mut c)?,
        }),
        _ => return None,
    };
    let reference_id = c.str()?;
    let customer_id = optional(&mut c)?;
    let destination_country = optional(&mut c)?;
    let totals = TotalsText {
        shop_amount: c.str()?,
        presentment_amount: c.str()?,
        presentment_currency: c.str()?,
    };
    if !c.at_end() {
        return None;
    }
    Some(PurchaseContext {
        funnel,
        customer,
        totals,
        ids: PurchaseIds {
            reference_id,
            customer_id,
            destination_country,
        },
    })
}

#[cfg(feature = "serde_json")]
mod write {
    use super::{optional, HEADER};
    use crate::record::{Cursor, Record, Writer};
    use serde_json::{json, Value};

    fn text(v: Option<&Value>) -> String {
        v.and_then(Value::as_str).unwrap_or_default().to_owned()
    }

    fn texts(v: Option<&Value>) -> Vec<String> {
        v.and_then(Value::as_array)
            .map(|l| {
                l.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn int(v: Option<&Value>) -> i64 {
        v.and_then(Value::as_i64).unwrap_or(0)
    }

    fn optional_text(v: Option<&Value>) -> Option<String> {
        v.and_then(Value::as_str).map(str::to_owned)
    }

    /// The context record of the readable `funnel`, `customer` (`null` for none) and
    /// `purchase` objects, as input.graphql has them; a missing field is its empty value.
    pub fn write(funnel: &Value, customer: &Value, purchase: &Value) -> String {
        let mut w = Writer::new(HEADER);
        optional_text(funnel.get("campaignId")).write(&mut w);
        optional_text(funnel.get("stepId")).write(&mut w);
        int(funnel.get("offersShown")).write(&mut w);
        int(funnel.get("offersAccepted")).write(&mut w);
        texts(funnel.get("acceptedVariantIds")).write(&mut w);
        texts(funnel.get("acceptedProductIds")).write(&mut w);
        if customer.is_object() {
            w.uint(1);
            w.str(&text(customer.get("id")));
            int(customer.get("numberOfOrders")).write(&mut w);
            w.str(&text(customer.pointer("/amountSpent/amount")));
            texts(customer.get("tags")).write(&mut w);
        } else {
            w.uint(0);
        }
        w.str(&text(purchase.get("referenceId")));
        optional_text(purchase.get("customerId")).write(&mut w);
        optional_text(purchase.get("destinationCountryCode")).write(&mut w);
        for at in [
            "/totalPriceSet/shopMoney/amount",
            "/totalPriceSet/presentmentMoney/amount",
            "/totalPriceSet/presentmentMoney/currencyCode",
        ] {
            w.str(&text(purchase.pointer(at)));
        }
        w.finish()
    }

    /// What a context record holds, as the readable `funnel`, `customer` and `purchase`
    /// objects of input.graphql (without the purchase's lines, and without the shop money's
    /// currency code, which is the input's `shop.currencyCode`): for tests and tools. `Null`
    /// when `text` is not a context record.
    pub fn to_json(text: &str) -> Value {
        let read = || -> Option<Value> {
            let mut c = Cursor::open(text, HEADER)?;
            let funnel = json!({
                "campaignId": <Option<String>>::read(&mut c)?,
                "stepId": <Option<String>>::read(&mut c)?,
                "offersShown": i64::read(&mut c)?,
                "offersAccepted": i64::read(&mut c)?,
                "acceptedVariantIds": <Vec<String>>::read(&mut c)?,
                "acceptedProductIds": <Vec<String>>::read(&mut c)?,
            });
            let customer = match c.uint()? {
                0 => Value::Null,
                1 => json!({
                    "id": c.str()?,
                    "numberOfOrders": i64::read(&mut c)?,
                    "amountSpent": {"amount": c.str()?},
                    "tags": <Vec<String>>::read(&mut c)?,
                }),
                _ => return None,
            };
            let purchase = json!({
                "referenceId": c.str()?,
                "customerId": optional(&mut c)?,
                "destinationCountryCode": optional(&mut c)?,
                "totalPriceSet": {
                    "shopMoney": {"amount": c.str()?},
                    "presentmentMoney": {"amount": c.str()?, "currencyCode": c.str()?},
                },
            });
            c.at_end()
                .then(|| json!({"funnel": funnel, "customer": customer, "purchase": purchase}))
        };
        read().unwrap_or(Value::Null)
    }
}

#[cfg(feature = "serde_json")]
pub use write::{to_json, write};

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_context_reads_back_as_written() {
        let funnel = json!({"campaignId": "c1", "stepId": null, "offersShown": 2, "offersAccepted": 1,
            "acceptedVariantIds": ["v1"], "acceptedProductIds": ["p1"]});
        let customer = json!({"id": "7", "numberOfOrders": 3, "amountSpent": {"amount": "812.50"}, "tags": ["vip"]});
        let purchase = json!({"referenceId": "r1", "customerId": "7", "destinationCountryCode": null,
            "totalPriceSet": {"shopMoney": {"amount": "50.00"},
                              "presentmentMoney": {"amount": "45.00", "currencyCode": "EUR"}}});
        let text = write(&funnel, &customer, &purchase);
        assert_eq!(
            to_json(&text),
            json!({"funnel": funnel, "customer": customer, "purchase": purchase})
        );
        let read = read(&text).unwrap();
        assert_eq!(read.funnel.campaign_id.as_deref(), Some("c1"));
        assert_eq!(read.funnel.offers_accepted, 1);
        let c = read.customer.unwrap();
        assert_eq!(
            (c.id, c.number_of_orders, c.amount_spent),
            ("7", 3, "812.50")
        );
        assert_eq!(read.totals.presentment_currency, "EUR");
        assert_eq!(read.ids.destination_country, None);
        let without = write(&funnel, &serde_json::Value::Null, &purchase);
        assert!(super::read(&without).unwrap().customer.is_none());
        for cut in 0..text.len() {
            assert!(super::read(&text[..cut]).is_none(), "cut at {cut}");
        }
        assert!(
            super::read(&format!("{text}`")).is_none(),
            "a byte after the record"
        );
    }
}
