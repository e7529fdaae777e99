//! Attribution's rows: the orders Encore heard of (`attribution_orders`), the lines an edit
//! added, refund lines in shop money, decisions linked to orders (`decision_orders`) and the
//! offer units placed on order lines (`offer_lines`), with the offer statistics they move.
//! The server decides what to place and how refunds are shared; this module reads and writes.

use sqlx::Row;

use crate::{Result, Store, Tx};

/// Where reading an order stands (`attribution_orders.state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderState {
    /// Heard of, not read yet.
    Pending,
    /// The Admin API has no such order.
    Missing,
    /// Read; it carries no Encore offer.
    NoOffers,
    /// Read; its shop money is in another currency than the shop's.
    ForeignCurrency,
    /// Read and recorded.
    Read,
}

impl OrderState {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderState::Pending => "pending",
            OrderState::Missing => "missing",
            OrderState::NoOffers => "no_offers",
            OrderState::ForeignCurrency => "foreign_currency",
            OrderState::Read => "read",
        }
    }

    /// The state a stored text names; `None` for one this version does not know.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "pending" => OrderState::Pending,
            "missing" => OrderState::Missing,
            "no_offers" => OrderState::NoOffers,
            "foreign_currency" => OrderState::ForeignCurrency,
            "read" => OrderState::Read,
            _ => return None,
        })
    }
}

/// How a decision is tied to an order (`decision_orders.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkStatus {
    /// Its units were found on the order's lines.
    Confirmed,
    /// The order names it but no line carries its units.
    Unmatched,
    /// The order is in another currency than the shop's: linked, not counted.
    ForeignCurrency,
}

impl LinkStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkStatus::Confirmed => "confirmed",
            LinkStatus::Unmatched => "unmatched",
            LinkStatus::ForeignCurrency => "foreign_currency",
        }
    }
}

/// A decision named by an order, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedDecision {
    pub id: String,
    pub seq: i64,
    pub campaign_id: Option<String>,
    /// The Function's changes (JSON text).
    pub changes: Option<String>,
    pub outcome: Option<String>,
}

/// A refunded line in shop money.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundLine {
    pub refund_id: String,
    pub line_item_id: String,
    pub quantity: i64,
    pub subtotal_minor: i64,
    pub currency_code: String,
    /// The refund's `created_at` as Shopify sent it (refunds are taken in this order).
    pub created_at: String,
}

/// Offer units placed on an order line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOfferLine<'a> {
    pub line_item_id: &'a str,
    pub decision_id: &'a str,
    pub variant_id: String,
    pub units: i64,
    pub line_quantity: i64,
    pub amount_minor: i64,
}

/// An offer line's refund state, as recomputed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferLineRow {
    pub line: String,
    pub decision: String,
    pub campaign: Option<String>,
    pub step: Option<String>,
    pub units: i64,
    pub line_quantity: i64,
    pub amount: i64,
    pub refunded_units: i64,
    pub refunded_minor: i64,
}

/// An accepted decision no order is tied to yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedWithoutOrder {
    pub reference_id: String,
    pub seq: i64,
    pub customer_id: Option<String>,
    pub created_at: i64,
}

impl Store {
    /// A write transaction on the writer.
    pub async fn begin(&self) -> Result<Tx> {
        Ok(Tx(self.writer.begin().await?))
    }

    /// Notes an order to be read (once; a known order keeps its state).
    pub async fn note_order(&self, shop: &str, order: &str, now: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO attribution_orders (shop, order_id, state, seen_at) VALUES ($1, $2, 'pending', $3) \
             ON CONFLICT (shop, order_id) DO NOTHING",
        )
        .bind(shop)
        .bind(order)
        .bind(now)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub async fn mark_order_cancelled(&self, shop: &str, order: &str) -> Result<()> {
        sqlx::query(
            "UPDATE attribution_orders SET cancelled = 1 WHERE shop = $1 AND order_id = $2",
        )
        .bind(shop)
        .bind(order)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// The order's state (read on the writer: what this instance just wrote).
    pub async fn order_state(&self, shop: &str, order: &str) -> Result<Option<OrderState>> {
        Ok(
            sqlx::query("SELECT state FROM attribution_orders WHERE shop = $1 AND order_id = $2")
                .bind(shop)
                .bind(order)
                .fetch_optional(&self.writer)
                .await?
                .and_then(|r| OrderState::parse(&r.get::<String, _>(0))),
        )
    }

    /// Counts a failed read of the order and keeps its error.
    pub async fn record_order_read_error(
        &self,
        shop: &str,
        order: &str,
        error: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE attribution_orders SET attempts = attempts + 1, last_error = $3 \
             WHERE shop = $1 AND order_id = $2",
        )
        .bind(shop)
        .bind(order)
        .bind(error)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Records a read of the order: its state and currency.
    pub async fn set_order_state(
        &self,
        shop: &str,
        order: &str,
        state: OrderState,
        currency: Option<&str>,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE attribution_orders SET state = $3, currency_code = $4, read_at = $5, attempts = attempts + 1, \
             last_error = NULL WHERE shop = $1 AND order_id = $2",
        )
        .bind(shop)
        .bind(order)
        .bind(state.as_str())
        .bind(currency)
        .bind(now)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// The decision of purchase `reference_id` at step `seq`.
    pub async fn named_decision(
        &self,
        shop: &str,
        reference_id: &str,
        seq: i64,
    ) -> Result<Option<NamedDecision>> {
        Ok(sqlx::query(
            "SELECT id, seq, campaign_id, changes, outcome FROM decisions \
             WHERE shop = $1 AND reference_id = $2 AND seq = $3",
        )
        .bind(shop)
        .bind(reference_id)
        .bind(seq)
        .fetch_optional(&self.pool)
        .await?
        .map(|r| NamedDecision {
            id: r.get(0),
            seq: r.get(1),
            campaign_id: r.get(2),
            changes: r.get(3),
            outcome: r.get(4),
        }))
    }

    /// Drops the order's refund lines (an order read without offers).
    pub async fn drop_refund_lines(&self, shop: &str, order: &str) -> Result<()> {
        sqlx::query("DELETE FROM refund_lines WHERE shop = $1 AND order_id = $2")
            .bind(shop)
            .bind(order)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// The line items `orders/edited` said an edit added to the order.
    pub async fn edit_additions(&self, shop: &str, order: &str) -> Result<Vec<String>> {
        Ok(sqlx::query(
            "SELECT line_item_id FROM order_edit_additions WHERE shop = $1 AND order_id = $2",
        )
        .bind(shop)
        .bind(order)
        .fetch_all(&self.writer)
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect())
    }

    /// Orders still to be read, oldest heard of first.
    pub async fn pending_attribution_orders(&self, shop: &str, limit: i64) -> Result<Vec<String>> {
        Ok(sqlx::query(
            "SELECT order_id FROM attribution_orders WHERE shop = $1 AND state = 'pending' \
             ORDER BY seen_at LIMIT $2",
        )
        .bind(shop)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect())
    }

    /// Accepted decisions created in `[since, until]` that no order is tied to, oldest first.
    pub async fn accepted_without_order(
        &self,
        shop: &str,
        since: i64,
        until: i64,
        limit: i64,
    ) -> Result<Vec<AcceptedWithoutOrder>> {
        Ok(sqlx::query(
            "SELECT d.reference_id, d.seq, d.customer_id, d.created_at FROM decisions d \
             LEFT JOIN decision_orders o ON o.decision_id = d.id \
             WHERE d.shop = $1 AND d.outcome = 'accepted' AND o.decision_id IS NULL \
             AND d.created_at <= $2 AND d.created_at >= $3 ORDER BY d.created_at LIMIT $4",
        )
        .bind(shop)
        .bind(until)
        .bind(since)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| AcceptedWithoutOrder {
            reference_id: r.get(0),
            seq: r.get(1),
            customer_id: r.get(2),
            created_at: r.get(3),
        })
        .collect())
    }
}

impl Tx {
    pub async fn add_edit_addition(
        &mut self,
        shop: &str,
        order: &str,
        line_item_id: &str,
        delta: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO order_edit_additions (shop, order_id, line_item_id, delta) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (shop, order_id, line_item_id) DO NOTHING",
        )
        .bind(shop)
        .bind(order)
        .bind(line_item_id)
        .bind(delta)
        .execute(&mut *self.0)
        .await?;
        Ok(())
    }

    /// Keeps a refund line (once per refund and line).
    pub async fn add_refund_line(
        &mut self,
        shop: &str,
        order: &str,
        line: &RefundLine,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO refund_lines (shop, order_id, refund_id, line_item_id, quantity, subtotal_minor, currency_code, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (shop, refund_id, line_item_id) DO NOTHING",
        )
        .bind(shop)
        .bind(order)
        .bind(&line.refund_id)
        .bind(&line.line_item_id)
        .bind(line.quantity)
        .bind(line.subtotal_minor)
        .bind(&line.currency_code)
        .bind(&line.created_at)
        .execute(&mut *self.0)
        .await?;
        Ok(())
    }

    /// Ties a decision to an order (a later read replaces the tie).
    pub async fn link_order(
        &mut self,
        shop: &str,
        order: &str,
        decision: &str,
        status: LinkStatus,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO decision_orders (decision_id, shop, order_id, status, linked_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (decision_id) DO UPDATE SET order_id = excluded.order_id, status = excluded.status",
        )
        .bind(decision)
        .bind(shop)
        .bind(order)
        .bind(status.as_str())
        .bind(now)
        .execute(&mut *self.0)
        .await?;
        Ok(())
    }

    /// Records offer units on an order line (once per line and decision).
    pub async fn add_offer_line(
        &mut self,
        shop: &str,
        order: &str,
        line: &NewOfferLine<'_>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO offer_lines (shop, order_id, line_item_id, decision_id, variant_id, units, line_quantity, amount_minor) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (shop, order_id, line_item_id, decision_id) DO NOTHING",
        )
        .bind(shop)
        .bind(order)
        .bind(line.line_item_id)
        .bind(line.decision_id)
        .bind(&line.variant_id)
        .bind(line.units)
        .bind(line.line_quantity)
        .bind(line.amount_minor)
        .execute(&mut *self.0)
        .await?;
        Ok(())
    }

    pub async fn mark_order_cancelled(&mut self, shop: &str, order: &str) -> Result<()> {
        sqlx::query(
            "UPDATE attribution_orders SET cancelled = 1 WHERE shop = $1 AND order_id = $2",
        )
        .bind(shop)
        .bind(order)
        .execute(&mut *self.0)
        .await?;
        Ok(())
    }

    /// Bumps the order's revision (a write first: the order row's lock on PostgreSQL, the
    /// write lock on SQLite) and answers whether it is cancelled; `None` for an unknown order.
    pub async fn touch_order(&mut self, shop: &str, order: &str) -> Result<Option<bool>> {
        Ok(sqlx::query(
            "UPDATE attribution_orders SET revision = revision + 1 WHERE shop = $1 AND order_id = $2 \
             RETURNING cancelled",
        )
        .bind(shop)
        .bind(order)
        .fetch_optional(&mut *self.0)
        .await?
        .map(|r| r.get::<i64, _>(0) != 0))
    }

    /// The order's offer lines, by line and newest decision first.
    pub async fn offer_lines(&mut self, shop: &str, order: &str) -> Result<Vec<OfferLineRow>> {
        Ok(sqlx::query(
            "SELECT o.line_item_id, o.decision_id, d.seq, d.campaign_id, d.step_id, o.units, o.line_quantity, \
             o.amount_minor, o.refunded_units, o.refunded_minor FROM offer_lines o JOIN decisions d ON d.id = o.decision_id \
             WHERE o.shop = $1 AND o.order_id = $2 ORDER BY o.line_item_id, d.seq DESC",
        )
        .bind(shop)
        .bind(order)
        .fetch_all(&mut *self.0)
        .await?
        .iter()
        .map(|r| OfferLineRow {
            line: r.get(0),
            decision: r.get(1),
            campaign: r.get(3),
            step: r.get(4),
            units: r.get(5),
            line_quantity: r.get(6),
            amount: r.get(7),
            refunded_units: r.get(8),
            refunded_minor: r.get(9),
        })
        .collect())
    }

    /// The order's refund lines as (line item, quantity, subtotal), in time then refund order.
    pub async fn refund_lines(
        &mut self,
        shop: &str,
        order: &str,
    ) -> Result<Vec<(String, i64, i64)>> {
        Ok(sqlx::query(
            "SELECT line_item_id, quantity, subtotal_minor FROM refund_lines WHERE shop = $1 AND order_id = $2 \
             ORDER BY created_at, refund_id",
        )
        .bind(shop)
        .bind(order)
        .fetch_all(&mut *self.0)
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect())
    }

    pub async fn set_line_refunds(
        &mut self,
        shop: &str,
        order: &str,
        line: &str,
        decision: &str,
        units: i64,
        minor: i64,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE offer_lines SET refunded_units = $1, refunded_minor = $2 \
             WHERE shop = $3 AND order_id = $4 AND line_item_id = $5 AND decision_id = $6",
        )
        .bind(units)
        .bind(minor)
        .bind(shop)
        .bind(order)
        .bind(line)
        .bind(decision)
        .execute(&mut *self.0)
        .await?;
        Ok(())
    }

    /// Moves a step's refunded units by `delta`.
    pub async fn add_refunded_units(
        &mut self,
        shop: &str,
        campaign: &str,
        step: &str,
        delta: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO offer_stats (shop, campaign_id, step_id, accepts, accepted_units, refunded_units) \
             VALUES ($1, $2, $3, 0, 0, $4) ON CONFLICT (shop, campaign_id, step_id) DO UPDATE SET \
             refunded_units = offer_stats.refunded_units + excluded.refunded_units",
        )
        .bind(shop)
        .bind(campaign)
        .bind(step)
        .bind(delta)
        .execute(&mut *self.0)
        .await?;
        Ok(())
    }
}
