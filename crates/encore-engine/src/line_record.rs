//! A purchased line as the server compiles it for the offer Function: one [`crate::record`]
//! the Function reads field after field, with no key lookups.
//!
//! After the [`HEADER`]: the quantity, the line's total in the shop currency, the product id,
//! the variant id, then the product facts some trigger names ([`crate::named_facts`]): tags,
//! product type, vendor, collection ids. The total is minor units of the shop currency the
//! server wrote it for (the input's `shop.currencyCode`), read by the server so the Function
//! parses no decimal per line; a total the server cannot read in that currency is written as
//! its text, which the Function then refuses with the reason it always gave. A missing id or
//! total is written empty and a missing quantity as 0, so the Function's checks refuse them as
//! before.

use crate::facts::{FactNeeds, PurchaseLine};
use crate::record::{Cursor, Record};

/// The first bytes of a line record: the layout's version (`EL1` carried the total as text).
pub const HEADER: &str = "EL2";

/// A line read from its record.
pub struct ReadLine<'a> {
    pub total: LineTotal<'a>,
    /// The line with `shop_total` 0 until its total is known, and only the facts asked for.
    pub line: PurchaseLine,
}

/// A line's total in the shop currency, as the server wrote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineTotal<'a> {
    /// Minor units of the shop currency.
    Minor(i64),
    /// The input's text, which the server could not read in the shop currency.
    Text(&'a str),
}

fn read_total<'a>(c: &mut Cursor<'a>) -> Option<LineTotal<'a>> {
    Some(match c.uint()? {
        0 => LineTotal::Minor(i64::read(c)?),
        1 => LineTotal::Text(c.str()?),
        _ => return None,
    })
}

/// Reads a line record, keeping only the product facts `needs` names; `None` when `record`
/// is not one.
pub fn read(record: &str, needs: FactNeeds) -> Option<ReadLine<'_>> {
    let mut c = Cursor::open(record, HEADER)?;
    let quantity = i64::read(&mut c)?;
    let total = read_total(&mut c)?;
    let product_id = c.str()?.to_owned();
    let variant_id = c.str()?.to_owned();
    let tags = texts(&mut c, needs.tags)?;
    let product_type = text(&mut c, needs.product_types)?;
    let vendor = text(&mut c, needs.vendors)?;
    let collection_ids = texts(&mut c, needs.collections)?;
    Some(ReadLine {
        total,
        line: PurchaseLine {
            product_id,
            variant_id,
            quantity,
            shop_total: 0,
            tags,
            product_type,
            vendor,
            collection_ids,
        },
    })
}

/// A list of strings, copied only when `keep`.
fn texts(c: &mut Cursor<'_>, keep: bool) -> Option<Vec<String>> {
    let count = c.usize()?;
    let mut out = Vec::new();
    if keep {
        // Bounded: a corrupt count must not reserve memory for it.
        out.reserve(count.min(64));
    }
    for _ in 0..count {
        let s = c.str()?;
        if keep {
            out.push(s.to_owned());
        }
    }
    Some(out)
}

/// An optional string, copied only when `keep`.
fn text(c: &mut Cursor<'_>, keep: bool) -> Option<Option<String>> {
    Some(match c.uint()? {
        0 => None,
        1 => {
            let s = c.str()?;
            keep.then(|| s.to_owned())
        }
        _ => return None,
    })
}

#[cfg(feature = "serde_json")]
mod write {
    use super::{read_total, LineTotal, HEADER};
    use crate::money::Currency;
    use crate::named_facts::NamedFacts;
    use crate::record::{Cursor, Record, Writer};
    use serde_json::{json, Map, Value};

    /// The facts a line record carries, in its order.
    const FACTS: [&str; 4] = ["tags", "productType", "vendor", "collectionIds"];

    /// A purchased line (schema.graphql's readable `PurchaseLine`: `quantity`,
    /// `totalPriceSet.shopMoney.amount`, `product {id, variant {id}, tags, productType, vendor,
    /// collectionIds}`) as a record for a shop whose currency is `currency_code`, with only the
    /// product facts `named` names ([`NamedFacts::retain_in`]).
    pub fn write(line: &Value, named: &NamedFacts, currency_code: &str) -> String {
        let product = line.get("product");
        let mut facts: Map<String, Value> = product
            .and_then(Value::as_object)
            .map(|p| {
                p.iter()
                    .filter(|(k, _)| FACTS.contains(&k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default();
        named.retain_in(&mut facts);
        let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_owned();
        let texts = |key: &str| -> Vec<String> {
            facts
                .get(key)
                .and_then(Value::as_array)
                .map(|l| {
                    l.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        let optional = |key: &str| facts.get(key).and_then(Value::as_str).map(str::to_owned);
        let mut w = Writer::new(HEADER);
        line.get("quantity")
            .and_then(Value::as_i64)
            .unwrap_or(0)
            .write(&mut w);
        let total = text(line.pointer("/totalPriceSet/shopMoney/amount"));
        match Currency::from_code(currency_code).and_then(|c| c.parse(&total).ok()) {
            Some(minor) => {
                w.uint(0);
                minor.write(&mut w);
            }
            None => {
                w.uint(1);
                w.str(&total);
            }
        }
        w.str(&text(product.and_then(|p| p.get("id"))));
        w.str(&text(line.pointer("/product/variant/id")));
        texts("tags").write(&mut w);
        optional("productType").write(&mut w);
        optional("vendor").write(&mut w);
        texts("collectionIds").write(&mut w);
        w.finish()
    }

    /// What a line record holds, as a flat JSON object (`quantity`, `total` — minor units, or
    /// the text the server could not read —, `productId`, `variantId`, then each fact it
    /// carries): for tests and tools. `Null` when `text` is not a line record.
    pub fn to_json(text: &str) -> Value {
        let read = || -> Option<Value> {
            let mut c = Cursor::open(text, HEADER)?;
            let mut out = json!({
                "quantity": i64::read(&mut c)?,
                "total": match read_total(&mut c)? {
                    LineTotal::Minor(minor) => json!(minor),
                    LineTotal::Text(text) => json!(text),
                },
                "productId": c.str()?,
                "variantId": c.str()?,
            });
            let tags = <Vec<String>>::read(&mut c)?;
            let product_type = <Option<String>>::read(&mut c)?;
            let vendor = <Option<String>>::read(&mut c)?;
            let collections = <Vec<String>>::read(&mut c)?;
            if !tags.is_empty() {
                out["tags"] = json!(tags);
            }
            if let Some(t) = product_type {
                out["productType"] = json!(t);
            }
            if let Some(v) = vendor {
                out["vendor"] = json!(v);
            }
            if !collections.is_empty() {
                out["collectionIds"] = json!(collections);
            }
            c.at_end().then_some(out)
        };
        read().unwrap_or(Value::Null)
    }
}

#[cfg(feature = "serde_json")]
pub use write::{to_json, write};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::named_facts::NamedFacts;
    use serde_json::json;

    #[test]
    fn a_line_keeps_only_the_facts_triggers_name_and_reads_back() {
        let named = NamedFacts::of_config(&json!({"campaigns": [
            {"triggers": {"tags": ["GIFT"], "vendors": ["acme"]}}]}));
        let line = json!({"quantity": 2, "totalPriceSet": {"shopMoney": {"amount": "30.00"}},
            "product": {"id": "p1", "variant": {"id": "v1"}, "tags": ["gift", "sale"],
                        "vendor": "Acme", "productType": "Mug", "collectionIds": ["c1"]}});
        let text = write(&line, &named, "USD");
        assert_eq!(
            to_json(&text),
            json!({"quantity": 2, "total": 3000, "productId": "p1", "variantId": "v1",
                   "tags": ["gift"], "vendor": "Acme"})
        );
        // A total the shop currency cannot write stays text, for the Function to refuse.
        let mut cents = line.clone();
        cents["totalPriceSet"]["shopMoney"]["amount"] = json!("30.50");
        assert_eq!(to_json(&write(&cents, &named, "JPY"))["total"], "30.50");
        assert_eq!(to_json(&write(&line, &named, "JPY"))["total"], 30);
        let all = FactNeeds {
            tags: true,
            product_types: true,
            vendors: true,
            collections: true,
        };
        let read_all = read(&text, all).unwrap();
        assert_eq!(read_all.total, LineTotal::Minor(3000));
        assert_eq!(read_all.line.quantity, 2);
        assert_eq!(read_all.line.tags, ["gift"]);
        assert_eq!(read_all.line.vendor.as_deref(), Some("Acme"));
        let none = read(&text, FactNeeds::default()).unwrap();
        assert!(none.line.tags.is_empty() && none.line.vendor.is_none());
        assert_eq!(
            (none.line.product_id.as_str(), none.line.variant_id.as_str()),
            ("p1", "v1")
        );
        for cut in 0..text.len() {
            assert!(read(&text[..cut], all).is_none(), "cut at {cut}");
        }
    }
}
