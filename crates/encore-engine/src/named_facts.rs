//! The product facts a configuration's triggers name: all a purchased line needs to carry.
//!
//! A trigger tests whether some purchased product has one of its tags, product types, vendors
//! or collections, so a value no trigger names can never change a decision. The server (and
//! the tools that pack fixtures) drop those values from the lines they pack, the way a Shopify
//! Function asks `hasAnyTag(tags:)` instead of reading every tag: the Function then reads and
//! compares only what matters, which is most of a large purchase's cost (docs/cost-model.md).
//!
//! The values are gathered from the configuration's JSON itself — every campaign, whatever its
//! status, schedule or faults — so they are a superset of what the Function's reader can ever
//! compare, and cannot drift from it.

use serde_json::{Map, Value};

/// The trigger values of a configuration, by the product fact they test.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NamedFacts {
    tags: Vec<String>,
    product_types: Vec<String>,
    vendors: Vec<String>,
    collections: Vec<String>,
}

impl NamedFacts {
    /// The values named by `config`'s campaign triggers (`triggers.tags`, `productTypes`,
    /// `vendors`, `collections` and `exclude.tags`).
    pub fn of_config(config: &Value) -> NamedFacts {
        let mut named = NamedFacts::default();
        let campaigns = config.get("campaigns").and_then(Value::as_array);
        for triggers in campaigns
            .into_iter()
            .flatten()
            .filter_map(|c| c.get("triggers"))
        {
            let strings = |value: Option<&Value>| -> Vec<String> {
                value
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            };
            named.tags.extend(strings(triggers.get("tags")));
            named
                .tags
                .extend(strings(triggers.get("exclude").and_then(|e| e.get("tags"))));
            named
                .product_types
                .extend(strings(triggers.get("productTypes")));
            named.vendors.extend(strings(triggers.get("vendors")));
            named
                .collections
                .extend(strings(triggers.get("collections")));
        }
        named
    }

    /// Drops from a purchased product's facts (`tags`, `productType`, `vendor`,
    /// `collectionIds`) every value no trigger names — tags, types and vendors compare without
    /// regard to ASCII case, collections exactly, as triggers compare them — and a fact left
    /// with no value (an empty list, a null), which reads as absent all the same. Other members
    /// are kept as they are.
    pub fn retain_in(&self, product: &mut Map<String, Value>) {
        let named_ci = |names: &[String], v: &str| names.iter().any(|n| n.eq_ignore_ascii_case(v));
        retain_list(product, "tags", |v| named_ci(&self.tags, v));
        retain_list(product, "collectionIds", |v| {
            self.collections.iter().any(|n| n == v)
        });
        retain_one(product, "productType", |v| named_ci(&self.product_types, v));
        retain_one(product, "vendor", |v| named_ci(&self.vendors, v));
    }
}

fn retain_list(product: &mut Map<String, Value>, key: &str, keep: impl Fn(&str) -> bool) {
    let empty = match product.get_mut(key) {
        Some(Value::Array(values)) => {
            values.retain(|v| v.as_str().is_some_and(&keep));
            values.is_empty()
        }
        Some(Value::Null) => true,
        _ => false,
    };
    if empty {
        product.remove(key);
    }
}

fn retain_one(product: &mut Map<String, Value>, key: &str, keep: impl Fn(&str) -> bool) {
    let named = match product.get(key) {
        Some(Value::String(v)) => keep(v),
        Some(Value::Null) => false,
        _ => true,
    };
    if !named {
        product.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config() -> Value {
        json!({"version": 1, "campaigns": [
            {"id": "a", "status": "paused", "triggers": {"tags": ["Gift"], "vendors": ["Acme"]}},
            {"id": "b", "triggers": {"collections": ["77"], "exclude": {"tags": ["sale"]}}},
            {"id": "broken", "triggers": {"productTypes": ["Mug", 3]}},
            {"id": "none"}
        ]})
    }

    #[test]
    fn a_line_keeps_only_the_values_some_trigger_names_in_any_campaign() {
        let named = NamedFacts::of_config(&config());
        let mut product = json!({
            "id": "1", "title": "Cup",
            "tags": ["gift", "new", "SALE"], "collectionIds": ["77", "78"],
            "productType": "MUG", "vendor": "Other"
        });
        named.retain_in(product.as_object_mut().unwrap());
        assert_eq!(
            product,
            json!({"id": "1", "title": "Cup", "tags": ["gift", "SALE"], "collectionIds": ["77"],
                   "productType": "MUG"})
        );
    }

    #[test]
    fn a_configuration_without_triggers_keeps_no_product_facts() {
        let named = NamedFacts::of_config(&json!({"version": 1, "campaigns": [{"id": "a"}]}));
        let mut product = json!({"id": "1", "tags": ["x"], "vendor": "Acme", "productType": null});
        named.retain_in(product.as_object_mut().unwrap());
        assert_eq!(product, json!({"id": "1"}));
    }
}
