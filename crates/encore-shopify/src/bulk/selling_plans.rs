//! The selling plans bulk query's result (`graphql/selling_plans_bulk.graphql`) read into the
//! plans each product and variant can be bought with.
//!
//! Rows: a `SellingPlanGroup`, then under it (`__parentId`) its `SellingPlan`s, the `Product`s it
//! applies to (every variant of them) and the single `ProductVariant`s it applies to. A shop has
//! few groups, so they are held until the end; the products and variants are ids only.

use std::collections::HashMap;

use serde::Deserialize;
use tokio::io::AsyncBufRead;

use super::read::{read_bounded_async, Line};
use crate::ids::{ProductId, SellingPlanGroupId, SellingPlanId, VariantId};

/// Which selling plans each product and variant can be bought with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SellingPlanIndex {
    by_product: HashMap<ProductId, Vec<SellingPlanId>>,
    by_variant: HashMap<VariantId, Vec<SellingPlanId>>,
    /// Lines read and lines skipped as malformed.
    pub lines: u64,
    pub malformed: u64,
}

#[derive(Debug, Default)]
struct Group {
    plans: Vec<SellingPlanId>,
    products: Vec<ProductId>,
    variants: Vec<VariantId>,
}

/// Builds a [`SellingPlanIndex`] line by line.
#[derive(Debug, Default)]
pub struct SellingPlanRows {
    groups: HashMap<SellingPlanGroupId, Group>,
    lines: u64,
    malformed: u64,
}

#[derive(Deserialize)]
struct Row<'a> {
    id: &'a str,
    #[serde(rename = "__parentId", default)]
    parent: Option<&'a str>,
}

impl SellingPlanRows {
    /// Reads one line; a line that is not one of the query's rows is counted as malformed.
    pub fn push_line(&mut self, line: &[u8]) {
        self.lines += 1;
        let text = line.trim_ascii();
        if text.is_empty() {
            return;
        }
        if self.read(text).is_none() {
            self.malformed += 1;
        }
    }

    fn read(&mut self, text: &[u8]) -> Option<()> {
        let row: Row = serde_json::from_slice(text).ok()?;
        let Some(parent) = row.parent else {
            let group = SellingPlanGroupId::parse(row.id).ok()?;
            self.groups.entry(group).or_default();
            return Some(());
        };
        let group = self
            .groups
            .entry(SellingPlanGroupId::parse(parent).ok()?)
            .or_default();
        if let Ok(plan) = SellingPlanId::parse(row.id) {
            group.plans.push(plan);
        } else if let Ok(product) = ProductId::parse(row.id) {
            group.products.push(product);
        } else {
            group.variants.push(VariantId::parse(row.id).ok()?);
        }
        Some(())
    }

    /// The index of every row read.
    pub fn finish(self) -> SellingPlanIndex {
        let mut index = SellingPlanIndex {
            lines: self.lines,
            malformed: self.malformed,
            ..SellingPlanIndex::default()
        };
        // Groups by id, so that a product in two groups lists their plans in a stable order.
        let mut groups: Vec<_> = self.groups.into_iter().collect();
        groups.sort_by_key(|(id, _)| *id);
        for (_, group) in groups {
            for product in group.products {
                add(index.by_product.entry(product).or_default(), &group.plans);
            }
            for variant in group.variants {
                add(index.by_variant.entry(variant).or_default(), &group.plans);
            }
        }
        index
    }
}

fn add(to: &mut Vec<SellingPlanId>, plans: &[SellingPlanId]) {
    for plan in plans {
        if !to.contains(plan) {
            to.push(*plan);
        }
    }
}

impl SellingPlanIndex {
    /// Reads a result file to its end (a download or a file).
    pub async fn read(mut input: impl AsyncBufRead + Unpin) -> std::io::Result<Self> {
        let mut rows = SellingPlanRows::default();
        let mut line = Vec::with_capacity(256);
        loop {
            line.clear();
            match read_bounded_async(&mut input, &mut line).await? {
                Line::End => return Ok(rows.finish()),
                Line::TooLong => rows.push_line(b"<line longer than the limit>"),
                Line::Read => rows.push_line(&line),
            }
        }
    }

    /// The plans a variant of `product` can be bought with: its product's groups' plans, then
    /// those of groups it belongs to alone, each once.
    pub fn plans_for(&self, product: ProductId, variant: VariantId) -> Vec<SellingPlanId> {
        let mut plans = self.by_product.get(&product).cloned().unwrap_or_default();
        if let Some(own) = self.by_variant.get(&variant) {
            add(&mut plans, own);
        }
        plans
    }

    /// True when no product or variant has a plan.
    pub fn is_empty(&self) -> bool {
        self.by_product.is_empty() && self.by_variant.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(text: &str) -> SellingPlanIndex {
        let mut rows = SellingPlanRows::default();
        for line in text.lines() {
            rows.push_line(line.as_bytes());
        }
        rows.finish()
    }

    #[test]
    fn products_get_their_groups_plans_and_single_variants_their_own_on_top() {
        let index = index(concat!(
            r#"{"id":"gid://shopify/SellingPlanGroup/2"}"#,
            "\n",
            r#"{"id":"gid://shopify/SellingPlan/21","name":"Monthly","__parentId":"gid://shopify/SellingPlanGroup/2"}"#,
            "\n",
            r#"{"id":"gid://shopify/ProductVariant/500","__parentId":"gid://shopify/SellingPlanGroup/2"}"#,
            "\n",
            r#"{"id":"gid://shopify/SellingPlanGroup/1"}"#,
            "\n",
            r#"{"id":"gid://shopify/SellingPlan/11","name":"Weekly","__parentId":"gid://shopify/SellingPlanGroup/1"}"#,
            "\n",
            r#"{"id":"gid://shopify/SellingPlan/12","name":"Fortnightly","__parentId":"gid://shopify/SellingPlanGroup/1"}"#,
            "\n",
            r#"{"id":"gid://shopify/Product/50","__parentId":"gid://shopify/SellingPlanGroup/1"}"#,
            "\n",
            r#"{"id":"gid://shopify/Product/50","__parentId":"gid://shopify/SellingPlanGroup/2"}"#,
            "\n",
            "{not json\n",
            r#"{"id":"gid://shopify/Order/1","__parentId":"gid://shopify/SellingPlanGroup/2"}"#,
            "\n",
        ));
        let ids = |product, variant| -> Vec<u64> {
            index
                .plans_for(
                    ProductId::new(product).unwrap(),
                    VariantId::new(variant).unwrap(),
                )
                .into_iter()
                .map(SellingPlanId::get)
                .collect()
        };
        assert_eq!(
            ids(50, 501),
            [11, 12, 21],
            "product in both groups, group 1 first"
        );
        assert_eq!(ids(60, 500), [21], "a variant alone in group 2");
        assert_eq!(ids(60, 600), Vec::<u64>::new());
        assert_eq!((index.lines, index.malformed), (10, 2));
    }
}
