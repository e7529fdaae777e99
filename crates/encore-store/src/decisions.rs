//! Decisions, funnels and events: one decision per purchase and step, events per decision.

use std::sync::LazyLock;

use sqlx::Row;

use crate::shops::ShopRow;
use crate::{Result, Store};

/// A purchase's funnel position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunnelRow {
    pub seq: i64,
    pub campaign_id: Option<String>,
    pub step_id: Option<String>,
}

impl FunnelRow {
    /// Where a purchase without a funnel row is: before its first answered offer.
    pub const START: FunnelRow = FunnelRow {
        seq: 0,
        campaign_id: None,
        step_id: None,
    };
}

/// What an offer request starts from.
#[derive(Debug, Clone)]
pub struct PurchaseState {
    pub shop: ShopRow,
    pub funnel: FunnelRow,
    pub decisions: Vec<DecisionRow>,
    /// The buyer's stored facts when the purchase names a known customer.
    pub customer: Option<crate::customers::StoredCustomer>,
}

/// A stored decision.
#[derive(Debug, Clone)]
pub struct DecisionRow {
    pub id: String,
    pub shop: String,
    pub reference_id: String,
    pub seq: i64,
    pub render: bool,
    pub campaign_id: Option<String>,
    pub step_id: Option<String>,
    pub experiment_id: Option<String>,
    pub arm_id: Option<String>,
    pub next_on_accept: Option<String>,
    pub next_on_decline: Option<String>,
    pub offer: Option<String>,
    pub reasons: String,
    pub changes: Option<String>,
    pub offer_amount: Option<String>,
    pub currency_code: Option<String>,
    pub variant_ids: String,
    pub product_ids: String,
    pub units: i64,
    pub shown: bool,
    pub outcome: Option<String>,
    /// For an `auto` offer, the co-purchase pair that suggested its product (mining demotes
    /// pairs whose offers are refunded: `mining::pairs`).
    pub pair: Option<SuggestedPair>,
}

/// A co-purchase pair: after buying `product_id`, `suggested_product_id` was offered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuggestedPair {
    pub product_id: String,
    pub suggested_product_id: String,
}

/// What happened to an offer on the post-purchase page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Shown,
    Accepted,
    Declined,
    /// Shopify's calculateChangeset priced the offer differently (or could not price it): the
    /// extension did not show it. The decision and the funnel stay as they are.
    PriceMismatch,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Shown => "shown",
            EventKind::Accepted => "accepted",
            EventKind::Declined => "declined",
            EventKind::PriceMismatch => "price_mismatch",
        }
    }
}

/// An event to record for a decision.
#[derive(Debug, Clone, Copy)]
pub struct NewEvent<'a> {
    pub kind: EventKind,
    /// Shopify's status (applyChangeset's, or calculateChangeset's for a price mismatch).
    pub status: Option<&'a str>,
    /// Shopify's errors, as JSON text.
    pub errors: Option<&'a str>,
    /// A price mismatch's amounts, as JSON text.
    pub detail: Option<&'a str>,
    /// False for an accept whose changeset Shopify did not process.
    pub accepted_ok: bool,
}

/// A `price_mismatch` event as the merchant sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceMismatchRow {
    pub decision_id: String,
    pub campaign_id: Option<String>,
    pub step_id: Option<String>,
    /// `{"currencyCode", "expected", "calculated"}` as the extension reported it (JSON text).
    pub detail: Option<String>,
    pub status: Option<String>,
    /// Shopify's errors when it could not calculate (JSON text).
    pub errors: Option<String>,
    pub created_at: i64,
}

/// What recording an event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventEffect {
    /// The same event was already recorded for this decision: nothing changed.
    Duplicate,
    /// Recorded; the funnel advanced if this answered the purchase's current step.
    Recorded { advanced: bool },
}

/// Per-shop totals for the analytics summary.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub decisions: i64,
    pub offers: i64,
    pub shown: i64,
    pub accepted: i64,
    pub declined: i64,
    /// What buyers paid for offer units attribution found on their orders, in minor units of
    /// the shop currency, and what was refunded of them (cancellations included).
    pub confirmed_revenue_minor: i64,
    pub refunded_minor: i64,
    pub price_mismatches: i64,
    /// The latest price mismatches, newest first (at most [`LATEST_PRICE_MISMATCHES`]).
    pub latest_price_mismatches: Vec<PriceMismatchRow>,
}

/// How many of the latest price mismatches the summary lists.
pub const LATEST_PRICE_MISMATCHES: i64 = 20;

/// A decision that offered something, with its order's status and its lines' totals (the
/// analytics report's facts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferedDecision {
    pub reference_id: String,
    pub seq: i64,
    pub campaign_id: Option<String>,
    pub step_id: Option<String>,
    pub experiment_id: Option<String>,
    pub arm_id: Option<String>,
    pub shown: bool,
    pub outcome: Option<String>,
    pub created_at: i64,
    pub purchase_total: Option<String>,
    pub purchase_currency: Option<String>,
    /// `decision_orders.status`, when an order was attributed.
    pub order_status: Option<String>,
    pub units: i64,
    pub amount_minor: i64,
    pub refunded_units: i64,
    pub refunded_minor: i64,
}

/// One measured run of the offer Function, as its decision recorded it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FunctionRun {
    pub instructions: i64,
    /// Whether it offered something.
    pub render: bool,
    pub created_at: i64,
}

const DECISION_COLUMNS: &str =
    "id, shop, reference_id, seq, render, campaign_id, step_id, experiment_id, arm_id, \
     next_on_accept, next_on_decline, offer, reasons, changes, offer_amount, currency_code, \
     variant_ids, product_ids, units, shown, outcome, pair_product_id, pair_suggested_product_id";

impl Store {
    /// The shop, the purchase's funnel position (at its start when it has no row), its
    /// decisions in funnel order and the customer's facts: one query, because it starts every
    /// offer request.
    pub async fn purchase_state(
        &self,
        shop: &str,
        reference_id: &str,
        customer_id: Option<&str>,
    ) -> Result<Option<PurchaseState>> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT s.domain, s.currency_code, s.data_version, f.seq, f.campaign_id, f.step_id, \
                 s.uninstalled_at, c.data, c.read_at, c.read_for, c.last_order_at, {} FROM shops s \
                 LEFT JOIN funnels f ON f.shop = s.domain AND f.reference_id = $2 \
                 LEFT JOIN customers c ON c.shop = s.domain AND c.customer_id = $3 \
                 LEFT JOIN decisions d ON d.shop = s.domain AND d.reference_id = $2 \
                 WHERE s.domain = $1 ORDER BY d.seq",
                DECISION_COLUMNS
                    .split(", ")
                    .map(|c| format!("d.{c}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        });
        let rows = sqlx::query(SQL.as_str())
            .bind(shop)
            .bind(reference_id)
            .bind(customer_id)
            .fetch_all(&self.pool)
            .await?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let funnel = match first.get::<Option<i64>, _>(3) {
            Some(seq) => FunnelRow {
                seq,
                campaign_id: first.get(4),
                step_id: first.get(5),
            },
            None => FunnelRow::START,
        };
        Ok(Some(PurchaseState {
            shop: ShopRow {
                domain: first.get(0),
                currency_code: first.get(1),
                data_version: first.get(2),
                uninstalled: first.get::<Option<i64>, _>(6).is_some(),
            },
            funnel,
            customer: crate::customers::from_columns(first, 7)?,
            decisions: rows
                .iter()
                .filter(|r| r.get::<Option<String>, _>(11).is_some())
                .map(|r| decision_from_row_at(r, 11))
                .collect(),
        }))
    }

    pub async fn decision(&self, id: &str) -> Result<Option<DecisionRow>> {
        let row = sqlx::query(&format!(
            "SELECT {DECISION_COLUMNS} FROM decisions WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(decision_from_row))
    }

    /// Stores a decision unless one exists for the same purchase and seq; returns the stored one.
    /// `customer_id` is the purchase's customer (for customer data requests); `purchase_total`
    /// its value before offers in shop money, (amount, currency) as the token gave it (AOV lift);
    /// `instructions` what the Function's run executed (Store status).
    pub async fn insert_decision(
        &self,
        d: &DecisionRow,
        customer_id: Option<&str>,
        purchase_total: Option<(&str, &str)>,
        instructions: Option<u64>,
        now: i64,
    ) -> Result<DecisionRow> {
        let inserted = sqlx::query(&format!(
            "INSERT INTO decisions ({DECISION_COLUMNS}, created_at, customer_id, purchase_total, purchase_currency, instructions) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28) \
             ON CONFLICT (shop, reference_id, seq) DO NOTHING RETURNING {DECISION_COLUMNS}"
        ))
        .bind(&d.id)
        .bind(&d.shop)
        .bind(&d.reference_id)
        .bind(d.seq)
        .bind(d.render as i64)
        .bind(&d.campaign_id)
        .bind(&d.step_id)
        .bind(&d.experiment_id)
        .bind(&d.arm_id)
        .bind(&d.next_on_accept)
        .bind(&d.next_on_decline)
        .bind(&d.offer)
        .bind(&d.reasons)
        .bind(&d.changes)
        .bind(&d.offer_amount)
        .bind(&d.currency_code)
        .bind(&d.variant_ids)
        .bind(&d.product_ids)
        .bind(d.units)
        .bind(d.shown as i64)
        .bind(&d.outcome)
        .bind(d.pair.as_ref().map(|p| &p.product_id))
        .bind(d.pair.as_ref().map(|p| &p.suggested_product_id))
        .bind(now)
        .bind(customer_id)
        .bind(purchase_total.map(|(amount, _)| amount))
        .bind(purchase_total.map(|(_, currency)| currency))
        .bind(instructions.and_then(|n| i64::try_from(n).ok()))
        .fetch_optional(&self.writer)
        .await?;
        if let Some(row) = inserted {
            return Ok(decision_from_row(&row));
        }
        // A concurrent request for the same step stored its decision first: that one stands.
        let row = sqlx::query(&format!(
            "SELECT {DECISION_COLUMNS} FROM decisions WHERE shop = $1 AND reference_id = $2 AND seq = $3"
        ))
        .bind(&d.shop)
        .bind(&d.reference_id)
        .bind(d.seq)
        .fetch_one(&self.pool)
        .await?;
        Ok(decision_from_row(&row))
    }

    /// Records a buyer event once per (decision, event) and advances the funnel when it
    /// answers the purchase's current step. An accept whose changeset Shopify did not process
    /// (`accepted_ok` false) moves the funnel on as a decline does.
    pub async fn record_event(
        &self,
        d: &DecisionRow,
        event: &NewEvent<'_>,
        now: i64,
    ) -> Result<EventEffect> {
        let NewEvent {
            kind,
            status,
            errors,
            detail,
            accepted_ok,
        } = *event;
        let mut tx = self.writer.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO events (decision_id, event, status, errors, detail, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (decision_id, event) DO NOTHING",
        )
        .bind(&d.id)
        .bind(kind.as_str())
        .bind(status)
        .bind(errors)
        .bind(detail)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            tx.commit().await?;
            return Ok(EventEffect::Duplicate);
        }
        let mut advanced = false;
        match kind {
            EventKind::PriceMismatch => {}
            EventKind::Shown => {
                sqlx::query("UPDATE decisions SET shown = 1 WHERE id = $1")
                    .bind(&d.id)
                    .execute(&mut *tx)
                    .await?;
            }
            EventKind::Accepted | EventKind::Declined => {
                let outcome = match (kind, accepted_ok) {
                    (EventKind::Accepted, true) => "accepted",
                    (EventKind::Accepted, false) => "accept_failed",
                    _ => "declined",
                };
                let won = sqlx::query(
                    "UPDATE decisions SET outcome = $1, shown = 1 WHERE id = $2 AND outcome IS NULL",
                )
                .bind(outcome)
                .bind(&d.id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                    == 1;
                if won {
                    let next = if outcome == "accepted" {
                        &d.next_on_accept
                    } else {
                        &d.next_on_decline
                    };
                    // The funnel row is created by the first answer (a purchase without one is
                    // at its start) and moves on only from the step this decision was for.
                    advanced = sqlx::query(
                        "INSERT INTO funnels (shop, reference_id, seq, campaign_id, step_id, updated_at) \
                         VALUES ($4, $5, $6 + 1, $1, $2, $3) ON CONFLICT (shop, reference_id) DO UPDATE SET \
                         seq = excluded.seq, campaign_id = excluded.campaign_id, step_id = excluded.step_id, \
                         updated_at = excluded.updated_at WHERE funnels.seq = $6",
                    )
                    .bind(&d.campaign_id)
                    .bind(next)
                    .bind(now)
                    .bind(&d.shop)
                    .bind(&d.reference_id)
                    .bind(d.seq)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
                        == 1;
                    if outcome == "accepted" {
                        if let (Some(c), Some(s)) = (&d.campaign_id, &d.step_id) {
                            sqlx::query(
                                "INSERT INTO offer_stats (shop, campaign_id, step_id, accepts, accepted_units, refunded_units) \
                                 VALUES ($1, $2, $3, 1, $4, 0) ON CONFLICT (shop, campaign_id, step_id) DO UPDATE SET \
                                 accepts = offer_stats.accepts + 1, accepted_units = offer_stats.accepted_units + excluded.accepted_units",
                            )
                            .bind(&d.shop)
                            .bind(c)
                            .bind(s)
                            .bind(d.units)
                            .execute(&mut *tx)
                            .await?;
                        }
                    }
                }
            }
        }
        tx.commit().await?;
        Ok(EventEffect::Recorded { advanced })
    }

    /// Events recorded for a decision: (event, status).
    pub async fn events_of(&self, decision_id: &str) -> Result<Vec<(String, Option<String>)>> {
        let rows =
            sqlx::query("SELECT event, status FROM events WHERE decision_id = $1 ORDER BY id")
                .bind(decision_id)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    pub async fn summary(&self, shop: &str) -> Result<Summary> {
        let r = sqlx::query(
            "SELECT COUNT(*), COUNT(CASE WHEN render = 1 THEN 1 END), \
             COUNT(CASE WHEN render = 1 AND (shown = 1 OR outcome IS NOT NULL) THEN 1 END), \
             COUNT(CASE WHEN outcome = 'accepted' THEN 1 END), \
             COUNT(CASE WHEN outcome = 'declined' THEN 1 END) FROM decisions WHERE shop = $1",
        )
        .bind(shop)
        .fetch_one(&self.pool)
        .await?;
        // Revenue is what attribution confirmed on orders (docs/analytics.md), never an accept.
        let revenue = sqlx::query(
            "SELECT CAST(COALESCE(SUM(o.amount_minor), 0) AS BIGINT), \
             CAST(COALESCE(SUM(o.refunded_minor), 0) AS BIGINT) FROM offer_lines o \
             JOIN decision_orders l ON l.decision_id = o.decision_id \
             WHERE o.shop = $1 AND l.status = 'confirmed'",
        )
        .bind(shop)
        .fetch_one(&self.pool)
        .await?;
        let mismatches = sqlx::query(
            "SELECT COUNT(*) FROM events e JOIN decisions d ON d.id = e.decision_id \
             WHERE d.shop = $1 AND e.event = 'price_mismatch'",
        )
        .bind(shop)
        .fetch_one(&self.pool)
        .await?;
        let latest = sqlx::query(
            "SELECT e.decision_id, d.campaign_id, d.step_id, e.detail, e.status, e.errors, e.created_at \
             FROM events e JOIN decisions d ON d.id = e.decision_id \
             WHERE d.shop = $1 AND e.event = 'price_mismatch' ORDER BY e.id DESC LIMIT $2",
        )
        .bind(shop)
        .bind(LATEST_PRICE_MISMATCHES)
        .fetch_all(&self.pool)
        .await?;
        Ok(Summary {
            price_mismatches: mismatches.get(0),
            latest_price_mismatches: latest
                .iter()
                .map(|r| PriceMismatchRow {
                    decision_id: r.get(0),
                    campaign_id: r.get(1),
                    step_id: r.get(2),
                    detail: r.get(3),
                    status: r.get(4),
                    errors: r.get(5),
                    created_at: r.get(6),
                })
                .collect(),
            decisions: r.get(0),
            offers: r.get(1),
            shown: r.get(2),
            accepted: r.get(3),
            declined: r.get(4),
            confirmed_revenue_minor: revenue.get(0),
            refunded_minor: revenue.get(1),
        })
    }

    /// The shop's decisions that offered something, created in `[start, end)`, in purchase and
    /// funnel order.
    pub async fn offered_decisions(
        &self,
        shop: &str,
        start: i64,
        end: i64,
    ) -> Result<Vec<OfferedDecision>> {
        let rows = sqlx::query(
        "SELECT d.reference_id, d.seq, d.campaign_id, d.step_id, d.experiment_id, d.arm_id, d.shown, \
         d.outcome, d.created_at, d.purchase_total, d.purchase_currency, o.status, \
         CAST(COALESCE(SUM(l.units), 0) AS BIGINT), CAST(COALESCE(SUM(l.amount_minor), 0) AS BIGINT), \
         CAST(COALESCE(SUM(l.refunded_units), 0) AS BIGINT), CAST(COALESCE(SUM(l.refunded_minor), 0) AS BIGINT) \
         FROM decisions d LEFT JOIN decision_orders o ON o.decision_id = d.id \
         LEFT JOIN offer_lines l ON l.decision_id = d.id \
         WHERE d.shop = $1 AND d.render = 1 AND d.created_at >= $2 AND d.created_at < $3 \
         GROUP BY d.id, d.reference_id, d.seq, d.campaign_id, d.step_id, d.experiment_id, d.arm_id, d.shown, \
         d.outcome, d.created_at, d.purchase_total, d.purchase_currency, o.status \
         ORDER BY d.reference_id, d.seq",
    )
    .bind(shop)
    .bind(start)
    .bind(end)
    .fetch_all(&self.pool)
    .await?;
        Ok(rows
            .iter()
            .map(|r| OfferedDecision {
                reference_id: r.get(0),
                seq: r.get(1),
                campaign_id: r.get(2),
                step_id: r.get(3),
                experiment_id: r.get(4),
                arm_id: r.get(5),
                shown: r.get::<i64, _>(6) != 0,
                outcome: r.get(7),
                created_at: r.get(8),
                purchase_total: r.get(9),
                purchase_currency: r.get(10),
                order_status: r.get(11),
                units: r.get(12),
                amount_minor: r.get(13),
                refunded_units: r.get(14),
                refunded_minor: r.get(15),
            })
            .collect())
    }

    /// The shop's last `limit` measured Function runs, newest first.
    pub async fn recent_function_runs(&self, shop: &str, limit: i64) -> Result<Vec<FunctionRun>> {
        let rows = sqlx::query(
            "SELECT instructions, render, created_at FROM decisions \
             WHERE shop = $1 AND instructions IS NOT NULL ORDER BY created_at DESC LIMIT $2",
        )
        .bind(shop)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(FunctionRun {
                    instructions: r.try_get(0)?,
                    render: r.try_get::<i64, _>(1)? != 0,
                    created_at: r.try_get(2)?,
                })
            })
            .collect()
    }
}

fn decision_from_row(r: &sqlx::any::AnyRow) -> DecisionRow {
    decision_from_row_at(r, 0)
}

/// A decision from [`DECISION_COLUMNS`] starting at column `at`.
fn decision_from_row_at(r: &sqlx::any::AnyRow, at: usize) -> DecisionRow {
    DecisionRow {
        id: r.get(at),
        shop: r.get(at + 1),
        reference_id: r.get(at + 2),
        seq: r.get(at + 3),
        render: r.get::<i64, _>(at + 4) != 0,
        campaign_id: r.get(at + 5),
        step_id: r.get(at + 6),
        experiment_id: r.get(at + 7),
        arm_id: r.get(at + 8),
        next_on_accept: r.get(at + 9),
        next_on_decline: r.get(at + 10),
        offer: r.get(at + 11),
        reasons: r.get(at + 12),
        changes: r.get(at + 13),
        offer_amount: r.get(at + 14),
        currency_code: r.get(at + 15),
        variant_ids: r.get(at + 16),
        product_ids: r.get(at + 17),
        units: r.get(at + 18),
        shown: r.get::<i64, _>(at + 19) != 0,
        outcome: r.get(at + 20),
        pair: match (r.get(at + 21), r.get(at + 22)) {
            (Some(product_id), Some(suggested_product_id)) => Some(SuggestedPair {
                product_id,
                suggested_product_id,
            }),
            _ => None,
        },
    }
}
