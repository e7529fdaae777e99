//! Compliance data requests (`customers/data_request`) and what Encore holds on a customer:
//! their purchases' decisions, events and funnel rows.

use sqlx::Row;

use crate::{Result, Store};

/// A recorded data request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataRequestRow {
    pub request_id: String,
    pub customer_id: String,
    /// Shopify's order ids, as sent.
    pub orders_requested: Vec<String>,
    pub received_at: i64,
}

/// A decision of a purchase that named the customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerDecision {
    pub id: String,
    pub reference_id: String,
    pub seq: i64,
    pub created_at: i64,
    pub render: bool,
    pub campaign_id: Option<String>,
    pub step_id: Option<String>,
    pub experiment_id: Option<String>,
    pub arm_id: Option<String>,
    /// JSON text.
    pub offer: Option<String>,
    /// JSON text.
    pub reasons: String,
    pub offer_amount: Option<String>,
    pub currency_code: Option<String>,
    pub shown: bool,
    pub outcome: Option<String>,
}

/// An event of one of those decisions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerEvent {
    pub decision_id: String,
    pub event: String,
    pub status: Option<String>,
    /// JSON text.
    pub errors: Option<String>,
    pub created_at: i64,
}

/// The funnel row of one of those purchases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerFunnel {
    pub reference_id: String,
    pub seq: i64,
    pub campaign_id: Option<String>,
    pub step_id: Option<String>,
    pub updated_at: i64,
}

/// Everything Encore holds on a customer's purchases: decisions by purchase and funnel order,
/// events in the order recorded.
#[derive(Debug, Clone, Default)]
pub struct CustomerHistory {
    pub decisions: Vec<CustomerDecision>,
    pub events: Vec<CustomerEvent>,
    pub funnels: Vec<CustomerFunnel>,
}

const REQUEST_COLUMNS: &str = "request_id, customer_id, orders_requested, received_at";

fn request_of(r: &sqlx::any::AnyRow) -> Result<DataRequestRow> {
    Ok(DataRequestRow {
        request_id: r.get(0),
        customer_id: r.get(1),
        orders_requested: serde_json::from_str(&r.get::<String, _>(2))?,
        received_at: r.get(3),
    })
}

impl Store {
    /// Records a request (once per shop and request id).
    pub async fn record_data_request(
        &self,
        shop: &str,
        request_id: &str,
        customer_id: &str,
        orders_requested: &[String],
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO data_requests (shop, request_id, customer_id, orders_requested, received_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (shop, request_id) DO NOTHING",
        )
        .bind(shop)
        .bind(request_id)
        .bind(customer_id)
        .bind(serde_json::to_string(orders_requested)?)
        .bind(now)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub async fn data_request(&self, shop: &str, id: &str) -> Result<Option<DataRequestRow>> {
        let row = sqlx::query(&format!(
            "SELECT {REQUEST_COLUMNS} FROM data_requests WHERE shop = $1 AND request_id = $2"
        ))
        .bind(shop)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| request_of(&r)).transpose()
    }

    /// The shop's requests, newest first.
    pub async fn data_requests(&self, shop: &str) -> Result<Vec<DataRequestRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {REQUEST_COLUMNS} FROM data_requests WHERE shop = $1 \
             ORDER BY received_at DESC, request_id"
        ))
        .bind(shop)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(request_of).collect()
    }

    /// The decisions, events and funnel rows of the purchases whose token named the customer.
    pub async fn customer_history(&self, shop: &str, customer_id: &str) -> Result<CustomerHistory> {
        let decision_rows = sqlx::query(
            "SELECT id, reference_id, seq, created_at, render, campaign_id, step_id, experiment_id, \
             arm_id, offer, reasons, offer_amount, currency_code, shown, outcome FROM decisions \
             WHERE shop = $1 AND customer_id = $2 ORDER BY reference_id, seq",
        )
        .bind(shop)
        .bind(customer_id)
        .fetch_all(&self.pool)
        .await?;
        let event_rows = sqlx::query(
            "SELECT e.decision_id, e.event, e.status, e.errors, e.created_at FROM events e \
             JOIN decisions d ON d.id = e.decision_id WHERE d.shop = $1 AND d.customer_id = $2 \
             ORDER BY e.id",
        )
        .bind(shop)
        .bind(customer_id)
        .fetch_all(&self.pool)
        .await?;
        let funnel_rows = sqlx::query(
            "SELECT f.reference_id, f.seq, f.campaign_id, f.step_id, f.updated_at FROM funnels f \
             WHERE f.shop = $1 AND f.reference_id IN \
             (SELECT reference_id FROM decisions WHERE shop = $1 AND customer_id = $2)",
        )
        .bind(shop)
        .bind(customer_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(CustomerHistory {
            decisions: decision_rows
                .iter()
                .map(|r| CustomerDecision {
                    id: r.get(0),
                    reference_id: r.get(1),
                    seq: r.get(2),
                    created_at: r.get(3),
                    render: r.get::<i64, _>(4) != 0,
                    campaign_id: r.get(5),
                    step_id: r.get(6),
                    experiment_id: r.get(7),
                    arm_id: r.get(8),
                    offer: r.get(9),
                    reasons: r.get(10),
                    offer_amount: r.get(11),
                    currency_code: r.get(12),
                    shown: r.get::<i64, _>(13) != 0,
                    outcome: r.get(14),
                })
                .collect(),
            events: event_rows
                .iter()
                .map(|r| CustomerEvent {
                    decision_id: r.get(0),
                    event: r.get(1),
                    status: r.get(2),
                    errors: r.get(3),
                    created_at: r.get(4),
                })
                .collect(),
            funnels: funnel_rows
                .iter()
                .map(|r| CustomerFunnel {
                    reference_id: r.get(0),
                    seq: r.get(1),
                    campaign_id: r.get(2),
                    step_id: r.get(3),
                    updated_at: r.get(4),
                })
                .collect(),
        })
    }
}
