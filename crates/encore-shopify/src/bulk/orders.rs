//! The orders bulk query's JSONL (`graphql/orders_bulk.graphql`) joined into orders: each
//! order's id, creation time and the products of its line items.
//!
//! Without `groupObjects` Shopify writes a line item after its order but does not promise it
//! is adjacent. Mining counts an order once, so an order is given out only when
//! [`PENDING_ORDERS`] newer orders followed it: a line item up to that far from its order still
//! joins it. A line whose order was already given out is counted in `late_lines` and dropped
//! (the order was counted without it). Memory holds those few orders, never the file.

use std::borrow::Cow;
use std::collections::VecDeque;

use serde::Deserialize;
use tokio::io::AsyncBufRead;

use super::assemble::{trim, Malformed, KEPT_MALFORMED};
use super::read::{read_bounded_async, Line};
use crate::ids::{LineItemId, OrderId, ProductId};

/// How many orders are held back for line items written after a later order.
pub const PENDING_ORDERS: usize = 64;

/// One order of the result: what mining needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRecord {
    pub id: OrderId,
    /// Shopify's `createdAt` (RFC 3339).
    pub created_at: String,
    /// The product of each line item that has one, in file order (repeats kept).
    pub products: Vec<ProductId>,
}

/// Counts of what was read, for the mining status.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderStats {
    pub lines: u64,
    /// Orders given out.
    pub orders: u64,
    pub line_items: u64,
    /// Line items without a product (custom items, deleted products).
    pub custom_items: u64,
    /// Line items whose order had been given out already.
    pub late_lines: u64,
    pub malformed: u64,
    pub first_malformed: Vec<Malformed>,
}

#[derive(Deserialize)]
struct Head<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(rename = "__parentId", borrow, default)]
    parent: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OrderRow {
    id: OrderId,
    created_at: String,
}

#[derive(Deserialize)]
struct ProductRef {
    id: ProductId,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LineItemRow {
    #[allow(dead_code)]
    id: LineItemId,
    product: Option<ProductRef>,
    #[serde(rename = "__parentId")]
    parent: OrderId,
}

/// Joins order lines into orders, without I/O.
#[derive(Debug, Default)]
pub struct OrderAssembler {
    pending: VecDeque<OrderRecord>,
    stats: OrderStats,
}

impl OrderAssembler {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn stats(&self) -> &OrderStats {
        &self.stats
    }

    /// Reads one line; returns the order that left the pending window, if one did.
    pub fn push_line(&mut self, line: &[u8]) -> Option<OrderRecord> {
        self.stats.lines += 1;
        let line_no = self.stats.lines;
        let text = trim(line);
        if text.is_empty() {
            return None;
        }
        match self.read(text) {
            Ok(order) => order,
            Err(reason) => {
                self.stats.malformed += 1;
                if self.stats.first_malformed.len() < KEPT_MALFORMED {
                    self.stats.first_malformed.push(Malformed {
                        line: line_no,
                        reason,
                    });
                }
                None
            }
        }
    }

    /// Once the input ended: the held orders, oldest first, one per call.
    pub fn finish(&mut self) -> Option<OrderRecord> {
        let order = self.pending.pop_front()?;
        self.stats.orders += 1;
        Some(order)
    }

    fn read(&mut self, text: &[u8]) -> Result<Option<OrderRecord>, String> {
        let head: Head = serde_json::from_slice(text).map_err(|e| e.to_string())?;
        let resource = head
            .id
            .strip_prefix("gid://shopify/")
            .and_then(|rest| rest.split_once('/'))
            .map(|(kind, _)| kind)
            .ok_or_else(|| format!("id {:?} is not a GID", head.id))?;
        match (resource, head.parent.is_some()) {
            ("Order", false) => {
                let row: OrderRow = serde_json::from_slice(text).map_err(|e| e.to_string())?;
                self.pending.push_back(OrderRecord {
                    id: row.id,
                    created_at: row.created_at,
                    products: Vec::new(),
                });
                if self.pending.len() > PENDING_ORDERS {
                    return Ok(self.finish());
                }
                Ok(None)
            }
            ("Order", true) => Err("an order row has a __parentId".into()),
            ("LineItem", true) => {
                let row: LineItemRow = serde_json::from_slice(text).map_err(|e| e.to_string())?;
                self.stats.line_items += 1;
                // Line items follow their order: look from the newest.
                let Some(order) = self.pending.iter_mut().rev().find(|o| o.id == row.parent) else {
                    self.stats.late_lines += 1;
                    return Ok(None);
                };
                match row.product {
                    Some(product) => order.products.push(product.id),
                    None => self.stats.custom_items += 1,
                }
                Ok(None)
            }
            ("LineItem", false) => Err("a line item row has no __parentId".into()),
            (other, _) => Err(format!("unexpected {other} row")),
        }
    }
}

/// Reads the orders JSONL stream asynchronously (a download or a file).
pub struct OrderReader<R> {
    input: R,
    assembler: OrderAssembler,
    line: Vec<u8>,
    done: bool,
}

impl<R: AsyncBufRead + Unpin> OrderReader<R> {
    pub fn new(input: R) -> Self {
        Self {
            input,
            assembler: OrderAssembler::new(),
            line: Vec::with_capacity(4096),
            done: false,
        }
    }

    /// The next order; `None` at the end.
    pub async fn next(&mut self) -> std::io::Result<Option<OrderRecord>> {
        while !self.done {
            self.line.clear();
            match read_bounded_async(&mut self.input, &mut self.line).await? {
                Line::End => self.done = true,
                Line::TooLong => {
                    self.assembler.push_line(b"<line longer than the limit>");
                }
                Line::Read => {
                    if let Some(order) = self.assembler.push_line(&self.line) {
                        return Ok(Some(order));
                    }
                }
            }
        }
        Ok(self.assembler.finish())
    }

    pub fn stats(&self) -> &OrderStats {
        self.assembler.stats()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(id: u64) -> String {
        format!(r#"{{"id":"gid://shopify/Order/{id}","createdAt":"2026-11-26T10:00:00Z"}}"#)
    }

    fn line(id: u64, order: u64, product: Option<u64>) -> String {
        let product = product.map_or("null".to_string(), |p| {
            format!(r#"{{"id":"gid://shopify/Product/{p}"}}"#)
        });
        format!(
            r#"{{"id":"gid://shopify/LineItem/{id}","quantity":1,"product":{product},"__parentId":"gid://shopify/Order/{order}"}}"#
        )
    }

    async fn read_all(text: String) -> (Vec<OrderRecord>, OrderStats) {
        let mut reader = OrderReader::new(text.as_bytes());
        let mut out = Vec::new();
        while let Some(o) = reader.next().await.unwrap() {
            out.push(o);
        }
        (out, reader.stats().clone())
    }

    fn products(o: &OrderRecord) -> Vec<u64> {
        o.products.iter().map(|p| p.get()).collect()
    }

    #[tokio::test]
    async fn line_items_join_their_order_even_after_a_later_order() {
        let text = [
            order(1),
            line(11, 1, Some(100)),
            order(2),
            line(21, 2, Some(200)),
            line(12, 1, Some(101)),
            line(22, 2, None),
        ]
        .join("\n");
        let (orders, stats) = read_all(text).await;
        assert_eq!(orders.len(), 2);
        assert_eq!(orders[0].id.get(), 1);
        assert_eq!(products(&orders[0]), vec![100, 101]);
        assert_eq!(products(&orders[1]), vec![200]);
        assert_eq!(orders[0].created_at, "2026-11-26T10:00:00Z");
        assert_eq!(stats.orders, 2);
        assert_eq!(stats.line_items, 4);
        assert_eq!(stats.custom_items, 1);
        assert_eq!(stats.late_lines, 0);
    }

    #[tokio::test]
    async fn a_line_item_further_than_the_pending_window_is_counted_late_and_dropped() {
        let mut rows: Vec<String> = (1..=PENDING_ORDERS as u64 + 2).map(order).collect();
        rows.push(line(1, 1, Some(100)));
        rows.push(line(2, 3, Some(300)));
        let (orders, stats) = read_all(rows.join("\n")).await;
        assert_eq!(orders.len(), PENDING_ORDERS + 2);
        assert!(
            orders[0].products.is_empty(),
            "order 1 was given out before its line"
        );
        assert_eq!(products(&orders[2]), vec![300]);
        assert_eq!(stats.late_lines, 1);
    }

    #[tokio::test]
    async fn malformed_lines_are_skipped_and_counted_with_their_line_numbers() {
        let text = [
            order(1),
            "{\"id\":\"gid://shopify/Order/2\",".to_string(),
            r#"{"id":"gid://shopify/Customer/3"}"#.to_string(),
            line(11, 1, Some(100)),
        ]
        .join("\n");
        let (orders, stats) = read_all(text).await;
        assert_eq!(orders.len(), 1);
        assert_eq!(products(&orders[0]), vec![100]);
        assert_eq!(stats.malformed, 2);
        let at: Vec<u64> = stats.first_malformed.iter().map(|m| m.line).collect();
        assert_eq!(at, vec![2, 3]);
    }
}
