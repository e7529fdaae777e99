//! Retention: how long decisions, events, webhook receipts and data requests are kept, and the
//! pruning that deletes older rows — hourly in the background and when the operator asks
//! (the server's `POST /api/retention/prune`).
//!
//! Attribution's order-level rows (`attribution_orders` with the order's `refund_lines` and
//! `order_edit_additions`) follow the decisions window: an order is pruned whole once Encore
//! first heard of it and last read it before the window, and no decision left links to it
//! (`decision_orders`, `offer_lines` go with their decisions) — so the refunds an offer's
//! figures are recomputed from are never pruned from under a kept decision.
//!
//! A purchase is pruned whole (its events, decisions and funnel row together) once its newest
//! decision and its funnel's last move are both older than the decisions window, so no funnel
//! ever points at decisions that are gone. Pruning deletes in bounded batches and pauses between
//! them: on SQLite the one writer connection is shared with the offer path, and an offer's write
//! waits for at most one batch. Windows are whole days, at least one — longer than any
//! post-purchase token lives — so a pruned purchase can never be asked about again.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::app::App;
use encore_store::retention::{OrderBatch, PrunedTable, PurchaseBatch};
use encore_store::StoreError;

/// Purchases deleted per batch (each has a few decisions and events).
const PURCHASES_PER_BATCH: usize = 100;
/// Orders (with their refund lines and edit additions) deleted per batch.
const ORDERS_PER_BATCH: usize = 100;
/// Rows deleted per batch from the single-row tables (webhook receipts, data requests).
const ROWS_PER_BATCH: i64 = 1000;
/// The pause between batches, so writes waiting for the connection go first.
const PAUSE_BETWEEN_BATCHES: Duration = Duration::from_millis(10);
/// The first background run comes this long after start (or after one interval, if shorter).
const FIRST_RUN_AFTER: Duration = Duration::from_secs(60);

const DAY: i64 = 86_400;

/// Rows one pruning run deleted, by table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Pruned {
    pub decisions: u64,
    pub events: u64,
    pub funnels: u64,
    pub webhook_receipts: u64,
    pub data_requests: u64,
    pub attribution_orders: u64,
    pub refund_lines: u64,
    pub order_edit_additions: u64,
}

fn cutoff(now: i64, days: Option<u32>) -> Option<i64> {
    days.map(|d| now - i64::from(d) * DAY)
}

/// Deletes everything older than the windows at `now`, batch by batch, and counts it in the
/// counters.
pub async fn prune(state: &App, now: i64) -> Result<Pruned, StoreError> {
    let windows = &state.settings.retention;
    let mut total = Pruned::default();
    if let Some(before) = cutoff(now, windows.decisions_days) {
        loop {
            let batch = prune_purchases(state, before).await?;
            total.decisions += batch.decisions;
            total.events += batch.events;
            total.funnels += batch.funnels;
            if batch.purchases < PURCHASES_PER_BATCH {
                break;
            }
            tokio::time::sleep(PAUSE_BETWEEN_BATCHES).await;
        }
    }
    if let Some(before) = cutoff(now, windows.decisions_days) {
        loop {
            let batch = prune_orders(state, before).await?;
            total.attribution_orders += batch.orders;
            total.refund_lines += batch.refund_lines;
            total.order_edit_additions += batch.order_edit_additions;
            if batch.read < ORDERS_PER_BATCH {
                break;
            }
            tokio::time::sleep(PAUSE_BETWEEN_BATCHES).await;
        }
    }
    if let Some(before) = cutoff(now, windows.webhook_receipts_days) {
        total.webhook_receipts = prune_rows(state, PrunedTable::WebhookReceipts, before).await?;
    }
    if let Some(before) = cutoff(now, windows.data_requests_days) {
        total.data_requests = prune_rows(state, PrunedTable::DataRequests, before).await?;
    }
    Ok(total)
}

/// Deletes `table`'s rows older than `before` until a batch comes back short.
async fn prune_rows(state: &App, table: PrunedTable, before: i64) -> Result<u64, StoreError> {
    let mut total = 0;
    loop {
        let n = state
            .store
            .prune_rows(table, before, ROWS_PER_BATCH)
            .await?;
        total += n;
        state.counters.pruned(table.name(), n);
        if n < ROWS_PER_BATCH as u64 {
            return Ok(total);
        }
        tokio::time::sleep(PAUSE_BETWEEN_BATCHES).await;
    }
}

/// Deletes up to [`PURCHASES_PER_BATCH`] purchases whose last activity is before `before`.
async fn prune_purchases(state: &App, before: i64) -> Result<PurchaseBatch, StoreError> {
    let batch = state
        .store
        .prune_purchases(before, PURCHASES_PER_BATCH)
        .await?;
    state.counters.pruned("events", batch.events);
    state.counters.pruned("decisions", batch.decisions);
    state.counters.pruned("funnels", batch.funnels);
    Ok(batch)
}

/// Deletes up to [`ORDERS_PER_BATCH`] attribution orders first heard of and last read before
/// `before` that no decision links to, with their refund lines and edit additions.
async fn prune_orders(state: &App, before: i64) -> Result<OrderBatch, StoreError> {
    let batch = state.store.prune_orders(before, ORDERS_PER_BATCH).await?;
    state.counters.pruned("attribution_orders", batch.orders);
    state.counters.pruned("refund_lines", batch.refund_lines);
    state
        .counters
        .pruned("order_edit_additions", batch.order_edit_additions);
    Ok(batch)
}

/// Starts the background pruning (nothing when ENCORE_RETENTION_EVERY_MINUTES=never).
pub fn spawn(state: Arc<App>) -> Option<tokio::task::JoinHandle<()>> {
    let every = state.settings.retention.every?;
    Some(tokio::spawn(async move {
        tokio::time::sleep(every.min(FIRST_RUN_AFTER)).await;
        loop {
            let started = std::time::Instant::now();
            match prune(&state, crate::clock::now()).await {
                Ok(p) => tracing::info!(
                    decisions = p.decisions,
                    events = p.events,
                    funnels = p.funnels,
                    webhook_receipts = p.webhook_receipts,
                    data_requests = p.data_requests,
                    attribution_orders = p.attribution_orders,
                    refund_lines = p.refund_lines,
                    ms = started.elapsed().as_millis() as u64,
                    "retention: pruned"
                ),
                Err(e) => {
                    tracing::warn!(error = %e, "retention: pruning failed; trying again next time")
                }
            }
            tokio::time::sleep(every).await;
        }
    }))
}
