//! The selling plans bulk query's result for a generated store: its selling plan groups with
//! their plans, and the products and single variants each group applies to, flat with
//! `__parentId` as Shopify writes a bulk result.
//!
//! Group `SELLING_PLAN_GROUP_BASE + 1` ("Subscribe and save", two plans) applies to every
//! subscribable product (`Product::selling_plan_groups`); group `SELLING_PLAN_GROUP_BASE + 2`
//! ("Try the first size", one plan) to the first variant alone of every product whose index
//! ends in 7.

use bytes::Bytes;
use serde_json::json;

use crate::store::{StoreSpec, SELLING_PLAN_GROUP_BASE};

/// Selling plan ids start here.
pub const SELLING_PLAN_BASE: u64 = 910_000;

const PRODUCT_GROUP: u64 = SELLING_PLAN_GROUP_BASE + 1;
const VARIANT_GROUP: u64 = SELLING_PLAN_GROUP_BASE + 2;

/// A selling plan group: its id, name and plans (id, name).
type Group = (u64, &'static str, Vec<(u64, &'static str)>);

fn groups() -> [Group; 2] {
    [
        (
            PRODUCT_GROUP,
            "Subscribe and save",
            vec![
                (SELLING_PLAN_BASE + 1, "Deliver every month"),
                (SELLING_PLAN_BASE + 2, "Deliver every 2 months"),
            ],
        ),
        (
            VARIANT_GROUP,
            "Try the first size",
            vec![(SELLING_PLAN_BASE + 3, "Deliver every week")],
        ),
    ]
}

/// The selling plan ids the variant at `position` of the product at `index` can be bought with,
/// as Encore should find them.
pub fn plans_of(spec: &StoreSpec, index: u64, position: usize) -> Vec<u64> {
    let mut plans = Vec::new();
    let product = spec.product(index);
    for (group, _, group_plans) in groups() {
        let applies = match group {
            PRODUCT_GROUP => product.selling_plan_groups.iter().any(|(g, _)| *g == group),
            _ => index % 10 == 7 && position == 0,
        };
        if applies {
            plans.extend(group_plans.iter().map(|(id, _)| *id));
        }
    }
    plans
}

fn group_gid(group: u64) -> String {
    format!("gid://shopify/SellingPlanGroup/{group}")
}

/// Every row, as Shopify's objectCount counts them.
pub fn object_count(spec: &StoreSpec) -> u64 {
    chunks(spec.clone())
        .map(|c| c.iter().filter(|b| **b == b'\n').count() as u64)
        .sum()
}

/// The result file: the groups and their plans, then one chunk per product.
pub fn chunks(spec: StoreSpec) -> impl Iterator<Item = Bytes> {
    let mut head = String::new();
    for (group, name, plans) in groups() {
        head.push_str(&json!({"id": group_gid(group), "name": name}).to_string());
        head.push('\n');
        for (plan, plan_name) in plans {
            let row = json!({"id": format!("gid://shopify/SellingPlan/{plan}"), "name": plan_name, "__parentId": group_gid(group)});
            head.push_str(&row.to_string());
            head.push('\n');
        }
    }
    std::iter::once(Bytes::from(head)).chain((0..spec.products).filter_map(move |index| {
        let product = spec.product(index);
        let mut out = String::new();
        if product
            .selling_plan_groups
            .iter()
            .any(|(g, _)| *g == PRODUCT_GROUP)
        {
            let row = json!({"id": format!("gid://shopify/Product/{}", product.id), "__parentId": group_gid(PRODUCT_GROUP)});
            out.push_str(&row.to_string());
            out.push('\n');
        }
        if index % 10 == 7 {
            if let Some(first) = product.variants.first() {
                let row = json!({"id": format!("gid://shopify/ProductVariant/{}", first.id), "__parentId": group_gid(VARIANT_GROUP)});
                out.push_str(&row.to_string());
                out.push('\n');
            }
        }
        (!out.is_empty()).then(|| Bytes::from(out))
    }))
}
