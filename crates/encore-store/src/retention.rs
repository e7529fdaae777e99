//! Retention's deletes: one bounded batch per call (the server paces the batches and counts
//! them). A purchase goes whole (events, decisions, funnel row); an attribution order goes with
//! its refund lines and edit additions once no decision links to it.

use std::collections::BTreeSet;

use sqlx::Row;

use crate::{Result, Store};

/// The single-row tables pruned by age.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrunedTable {
    WebhookReceipts,
    DataRequests,
}

impl PrunedTable {
    pub fn name(self) -> &'static str {
        match self {
            PrunedTable::WebhookReceipts => "webhook_receipts",
            PrunedTable::DataRequests => "data_requests",
        }
    }

    /// The delete (parameters: cutoff, batch size).
    fn sql(self) -> &'static str {
        match self {
            PrunedTable::WebhookReceipts => {
                "DELETE FROM webhook_receipts WHERE webhook_id IN \
                 (SELECT webhook_id FROM webhook_receipts WHERE received_at < $1 LIMIT $2)"
            }
            PrunedTable::DataRequests => {
                "DELETE FROM data_requests WHERE (shop, request_id) IN \
                 (SELECT shop, request_id FROM data_requests WHERE received_at < $1 LIMIT $2)"
            }
        }
    }
}

/// What one batch of purchases deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurchaseBatch {
    /// The rows read, not the distinct purchases: a full read means there may be more.
    pub purchases: usize,
    pub decisions: u64,
    pub events: u64,
    pub funnels: u64,
}

/// What one batch of attribution orders deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderBatch {
    /// Orders read for the batch (a full read means there may be more).
    pub read: usize,
    pub orders: u64,
    pub refund_lines: u64,
    pub order_edit_additions: u64,
}

impl Store {
    /// Deletes up to `limit` rows of `table` older than `before`: how many went.
    pub async fn prune_rows(&self, table: PrunedTable, before: i64, limit: i64) -> Result<u64> {
        Ok(sqlx::query(table.sql())
            .bind(before)
            .bind(limit)
            .execute(&self.writer)
            .await?
            .rows_affected())
    }

    /// Deletes up to `limit` purchases whose last activity is before `before`.
    pub async fn prune_purchases(&self, before: i64, limit: usize) -> Result<PurchaseBatch> {
        // Oldest decisions first, along the created_at index; a purchase with any newer decision or
        // a newer funnel move is left whole. Several rows may name one purchase: the set keeps one.
        let rows = sqlx::query(
            "SELECT d.shop, d.reference_id FROM decisions d WHERE d.created_at < $1 \
             AND NOT EXISTS (SELECT 1 FROM decisions n WHERE n.shop = d.shop \
                 AND n.reference_id = d.reference_id AND n.created_at >= $1) \
             AND NOT EXISTS (SELECT 1 FROM funnels f WHERE f.shop = d.shop \
                 AND f.reference_id = d.reference_id AND f.updated_at >= $1) \
             ORDER BY d.created_at LIMIT $2",
        )
        .bind(before)
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await?;
        let purchases: BTreeSet<(String, String)> = rows
            .iter()
            .map(|r| (r.get::<String, _>(0), r.get::<String, _>(1)))
            .collect();
        if purchases.is_empty() {
            return Ok(PurchaseBatch {
                purchases: 0,
                decisions: 0,
                events: 0,
                funnels: 0,
            });
        }
        let keys = (0..purchases.len())
            .map(|i| format!("(${}, ${})", 2 * i + 1, 2 * i + 2))
            .collect::<Vec<_>>()
            .join(", ");
        let of_batch = format!("(shop, reference_id) IN (VALUES {keys})");
        // Attribution rows name decisions: they go with them (offer_lines, decision_orders).
        for table in ["offer_lines", "decision_orders"] {
            let sql = format!(
                "DELETE FROM {table} WHERE decision_id IN (SELECT id FROM decisions WHERE {of_batch})"
            );
            let mut q = sqlx::query(&sql);
            for (shop, reference) in &purchases {
                q = q.bind(shop).bind(reference);
            }
            q.execute(&self.writer).await?;
        }
        let statements = [
            format!(
                "DELETE FROM events WHERE decision_id IN (SELECT id FROM decisions WHERE {of_batch})"
            ),
            format!("DELETE FROM decisions WHERE {of_batch}"),
            format!("DELETE FROM funnels WHERE {of_batch}"),
        ];
        let mut counts = [0u64; 3];
        let mut tx = self.writer.begin().await?;
        for (sql, count) in statements.iter().zip(counts.iter_mut()) {
            let mut q = sqlx::query(sql);
            for (shop, reference) in &purchases {
                q = q.bind(shop).bind(reference);
            }
            *count = q.execute(&mut *tx).await?.rows_affected();
        }
        tx.commit().await?;
        let [events, decisions, funnels] = counts;
        Ok(PurchaseBatch {
            // The rows read, not the distinct purchases: a full read means there may be more.
            purchases: rows.len(),
            decisions,
            events,
            funnels,
        })
    }

    /// Deletes up to `limit` attribution orders first heard of and last read before
    /// `before` that no decision links to, with their refund lines and edit additions.
    pub async fn prune_orders(&self, before: i64, limit: usize) -> Result<OrderBatch> {
        let rows = sqlx::query(
            "SELECT a.shop, a.order_id FROM attribution_orders a WHERE a.seen_at < $1 \
             AND COALESCE(a.read_at, 0) < $1 \
             AND NOT EXISTS (SELECT 1 FROM decision_orders o WHERE o.shop = a.shop AND o.order_id = a.order_id) \
             AND NOT EXISTS (SELECT 1 FROM offer_lines l WHERE l.shop = a.shop AND l.order_id = a.order_id) \
             ORDER BY a.seen_at LIMIT $2",
        )
        .bind(before)
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await?;
        if rows.is_empty() {
            return Ok(OrderBatch {
                read: 0,
                orders: 0,
                refund_lines: 0,
                order_edit_additions: 0,
            });
        }
        let keys = (0..rows.len())
            .map(|i| format!("(${}, ${})", 2 * i + 2, 2 * i + 3))
            .collect::<Vec<_>>()
            .join(", ");
        let of_batch = format!("(shop, order_id) IN (VALUES {keys})");
        // The order row goes first and only if still old: a webhook that noted the order again
        // meanwhile keeps it, and its facts with it.
        let statements = [
            format!("DELETE FROM attribution_orders WHERE {of_batch} AND seen_at < $1 AND COALESCE(read_at, 0) < $1"),
            format!("DELETE FROM refund_lines WHERE {of_batch} AND NOT EXISTS (SELECT 1 FROM attribution_orders a \
                     WHERE a.shop = refund_lines.shop AND a.order_id = refund_lines.order_id)"),
            format!("DELETE FROM order_edit_additions WHERE {of_batch} AND NOT EXISTS (SELECT 1 FROM attribution_orders a \
                     WHERE a.shop = order_edit_additions.shop AND a.order_id = order_edit_additions.order_id)"),
        ];
        let mut counts = [0u64; 3];
        let mut tx = self.writer.begin().await?;
        for (sql, count) in statements.iter().zip(counts.iter_mut()) {
            let mut q = sqlx::query(sql).bind(before);
            for r in &rows {
                q = q.bind(r.get::<String, _>(0)).bind(r.get::<String, _>(1));
            }
            *count = q.execute(&mut *tx).await?.rows_affected();
        }
        tx.commit().await?;
        let [orders, refund_lines, order_edit_additions] = counts;
        Ok(OrderBatch {
            read: rows.len(),
            orders,
            refund_lines,
            order_edit_additions,
        })
    }
}
