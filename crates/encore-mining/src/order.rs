//! One order as mining sees it: an id, the day it was placed and the products it holds.

use crate::day::Day;
use serde::{Deserialize, Serialize};

/// Shopify's numeric order id (the tail of `gid://shopify/Order/…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct OrderId(pub u64);

/// An order: its products are the product ids of its line items, in any order, repeats allowed
/// (two variants of one product are one product to mining).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub id: OrderId,
    pub day: Day,
    pub products: Vec<String>,
}
