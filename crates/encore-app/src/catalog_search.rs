//! Search as you type over the synced catalog, for the campaign editor's pickers (the server's
//! `GET /api/catalog/search?shop=&kind=products|variants|collections|tags|types|vendors&q=`).
//!
//! Products, variants, tags, types and vendors come from the shop's cached facts (the same
//! ones the Function gets, reloaded when the catalog changes), so a keystroke costs a scan in
//! memory and no query; collections' titles are read from `catalog_collections`. Matching is a
//! case-insensitive substring of the title (or id); names that start with the text come first.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::app::App;
use encore_store::catalog::CollectionRow;
use encore_store::shops::ShopRow;
use encore_store::StoreError;

/// Answers at most this many matches.
pub const MAX_RESULTS: usize = 20;

/// What a picker searches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Products,
    Variants,
    Collections,
    Tags,
    Types,
    Vendors,
}

/// One match: the value the configuration takes (an id, or the tag/type/vendor itself), what
/// the merchant reads, and for tags/types/vendors how many products carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Match {
    pub value: String,
    pub label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub products: Option<usize>,
}

/// What `GET /api/catalog/search` answers.
#[derive(Serialize)]
pub struct Answer {
    pub kind: Kind,
    pub q: String,
    pub matches: Vec<Match>,
}

/// How well `name` matches the lowercased `needle`: 0 starts with it, 1 contains it.
fn rank(name: &str, needle: &str) -> Option<u8> {
    let name = name.to_lowercase();
    if name.starts_with(needle) {
        Some(0)
    } else if name.contains(needle) {
        Some(1)
    } else {
        None
    }
}

fn text<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

fn id_text(v: &Value) -> Option<String> {
    match v.get("id")? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The best [`MAX_RESULTS`] of `(rank, match)`: by rank, then label.
fn best(mut found: Vec<(u8, Match)>) -> Vec<Match> {
    found.sort_by(|(ra, a), (rb, b)| ra.cmp(rb).then_with(|| a.label.cmp(&b.label)));
    found
        .into_iter()
        .take(MAX_RESULTS)
        .map(|(_, m)| m)
        .collect()
}

/// Products by title or id.
pub fn products<'a>(products: impl Iterator<Item = &'a Value>, needle: &str) -> Vec<Match> {
    best(
        products
            .filter_map(|p| {
                let id = id_text(p)?;
                let title = text(p, "title").unwrap_or(&id).to_string();
                let r = rank(&title, needle).or_else(|| rank(&id, needle))?;
                Some((
                    r,
                    Match {
                        detail: text(p, "vendor").map(str::to_string),
                        value: id,
                        label: title,
                        products: None,
                    },
                ))
            })
            .collect(),
    )
}

/// Variants by their product's title, their own title or id.
pub fn variants<'a>(variants: impl Iterator<Item = &'a Value>, needle: &str) -> Vec<Match> {
    best(
        variants
            .filter_map(|v| {
                let id = id_text(v)?;
                let product = v
                    .pointer("/product/title")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let title = text(v, "title").unwrap_or("");
                let label = if title.is_empty() || title == "Default Title" {
                    product.to_string()
                } else {
                    format!("{product} — {title}")
                };
                let r = rank(&label, needle).or_else(|| rank(&id, needle))?;
                Some((
                    r,
                    Match {
                        detail: text(v, "price").map(str::to_string),
                        value: id,
                        label,
                        products: None,
                    },
                ))
            })
            .collect(),
    )
}

/// Distinct values of a product field (`tags`: a list; `productType`, `vendor`: a string), with
/// how many products carry each.
pub fn values<'a>(
    products: impl Iterator<Item = &'a Value>,
    key: &str,
    needle: &str,
) -> Vec<Match> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for p in products {
        match p.get(key) {
            Some(Value::Array(list)) => {
                for v in list
                    .iter()
                    .filter_map(Value::as_str)
                    .filter(|s| !s.is_empty())
                {
                    *counts.entry(v).or_default() += 1;
                }
            }
            Some(Value::String(s)) if !s.is_empty() => *counts.entry(s).or_default() += 1,
            _ => {}
        }
    }
    best(
        counts
            .into_iter()
            .filter_map(|(value, n)| {
                Some((
                    rank(value, needle)?,
                    Match {
                        value: value.to_string(),
                        label: value.to_string(),
                        detail: None,
                        products: Some(n),
                    },
                ))
            })
            .collect(),
    )
}

/// The shop's best matches of `kind` for the typed text `q`.
pub async fn search(
    state: &App,
    shop: &ShopRow,
    kind: Kind,
    q: String,
) -> Result<Answer, StoreError> {
    let needle = q.trim().to_lowercase();
    let matches = if kind == Kind::Collections {
        let rows = state.store.collections(&shop.domain).await?;
        let mut found = Vec::new();
        for CollectionRow { id, title, handle } in rows {
            if let Some(rank) = rank(&title, &needle)
                .or_else(|| rank(&handle, &needle))
                .or_else(|| rank(&id, &needle))
            {
                found.push((
                    rank,
                    Match {
                        value: id,
                        label: title,
                        detail: Some(handle),
                        products: None,
                    },
                ));
            }
        }
        best(found)
    } else {
        let facts = state.facts.get(&state.store, shop).await?;
        let all = || facts.products.values().map(|p| &**p);
        match kind {
            Kind::Products => products(all(), &needle),
            Kind::Variants => variants(facts.variants(), &needle),
            Kind::Tags => values(all(), "tags", &needle),
            Kind::Types => values(all(), "productType", &needle),
            Kind::Vendors => values(all(), "vendor", &needle),
            Kind::Collections => Vec::new(),
        }
    };
    Ok(Answer { kind, q, matches })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn catalog() -> Vec<Value> {
        vec![
            json!({"id": "1", "title": "Phone X", "vendor": "Acme", "productType": "Phones", "tags": ["phone", "new"]}),
            json!({"id": "2", "title": "Case for the phone", "vendor": "Acme", "productType": "Accessories", "tags": ["accessory", "phone"]}),
            json!({"id": "3", "title": "Cookbook", "vendor": "Pages", "tags": []}),
        ]
    }

    #[test]
    fn names_that_start_with_the_text_come_before_names_that_contain_it() {
        let found = products(catalog().iter(), "phone");
        let labels: Vec<&str> = found.iter().map(|m| m.label.as_str()).collect();
        assert_eq!(labels, ["Phone X", "Case for the phone"]);
        assert_eq!(found[0].value, "1");
        assert_eq!(
            products(catalog().iter(), "3")[0].label,
            "Cookbook",
            "by id too"
        );
        assert!(products(catalog().iter(), "laptop").is_empty());
    }

    #[test]
    fn tags_types_and_vendors_are_distinct_values_with_their_product_counts() {
        let tags = values(catalog().iter(), "tags", "");
        assert_eq!(
            tags.iter()
                .map(|m| (m.value.as_str(), m.products))
                .collect::<Vec<_>>(),
            [("accessory", Some(1)), ("new", Some(1)), ("phone", Some(2))]
        );
        let vendors = values(catalog().iter(), "vendor", "ac");
        assert_eq!(vendors.len(), 1);
        assert_eq!(
            (vendors[0].value.as_str(), vendors[0].products),
            ("Acme", Some(2))
        );
        assert_eq!(
            values(catalog().iter(), "productType", "acc")[0].value,
            "Accessories"
        );
    }

    #[test]
    fn variants_read_as_their_product_and_own_title() {
        let variants_json = [
            json!({"id": "101", "title": "Default Title", "price": "500.00", "product": {"id": "1", "title": "Phone X"}}),
            json!({"id": "111", "title": "Blue", "price": "20.00", "product": {"id": "2", "title": "Case"}}),
        ];
        let found = variants(variants_json.iter(), "case");
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].label.as_str(), found[0].detail.as_deref()),
            ("Case — Blue", Some("20.00"))
        );
        assert_eq!(variants(variants_json.iter(), "phone")[0].label, "Phone X");
    }

    #[test]
    fn at_most_twenty_matches_are_answered() {
        let many: Vec<Value> = (0..50)
            .map(|i| json!({"id": i.to_string(), "title": format!("Mug {i:02}")}))
            .collect();
        let found = products(many.iter(), "mug");
        assert_eq!(found.len(), MAX_RESULTS);
        assert_eq!(found[0].label, "Mug 00");
    }
}
