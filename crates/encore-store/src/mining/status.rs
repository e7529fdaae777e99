//! A shop's mining status: the latest import's state, counters, rate and error, the live
//! suggestions' version, and the orders waiting to be published. Kept in the database, so
//! every instance answers the same.

use serde::Serialize;
use sqlx::Row;

use super::publish::{self, Publication};
use super::runs;
use super::runs::RunState;
use crate::{Store, StoreError};

/// One import, as stored.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MiningRun {
    pub run_id: i64,
    pub state: RunState,
    pub bulk_operation_id: Option<String>,
    /// The first day (YYYY-MM-DD, UTC) the orders were searched from; `None`: all history.
    pub window_start: Option<String>,
    pub started_at: i64,
    pub updated_at: i64,
    pub finished_at: Option<i64>,
    /// Rows the bulk result holds (orders and line items), once the operation completed.
    pub expected_objects: Option<i64>,
    pub lines: i64,
    /// Orders read from the bulk result.
    pub orders: i64,
    pub counted: i64,
    pub duplicates: i64,
    pub outside_window: i64,
    pub too_large: i64,
    pub no_products: i64,
    pub undated: i64,
    pub malformed: i64,
    pub late_lines: i64,
    pub resumed_from: Option<i64>,
    pub error: Option<String>,
    /// Orders read per second since the import started.
    pub orders_per_second: Option<f64>,
}

/// `GET /api/mining/status`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MiningStatus {
    pub shop: String,
    pub latest: Option<MiningRun>,
    /// The suggestions `auto` offers read now.
    pub live: Option<Publication>,
    /// orders/create deliveries kept until the next import reads their orders again.
    pub inbox_orders: i64,
}

fn date(day: i64) -> Option<String> {
    let (y, m, d) = encore_mining::Day(u32::try_from(day).ok()?).ymd();
    Some(format!("{y:04}-{m:02}-{d:02}"))
}

pub async fn mining_status(store: &Store, shop: &str) -> Result<MiningStatus, StoreError> {
    let row = sqlx::query(
        "SELECT run_id, state, bulk_operation_id, first_day, started_at, updated_at, finished_at, \
         expected_objects, lines, position, counted, duplicates, outside_window, too_large, \
         no_products, undated, malformed, late_lines, resumed_from, error \
         FROM mining_runs WHERE shop = $1 ORDER BY run_id DESC LIMIT 1",
    )
    .bind(shop)
    .fetch_optional(store.reader())
    .await?;
    let latest = row.map(|r| {
        let state = RunState::parse(&r.get::<String, _>(1));
        let started_at: i64 = r.get(4);
        let updated_at: i64 = r.get(5);
        let finished_at: Option<i64> = r.get(6);
        let orders: i64 = r.get(9);
        let seconds = finished_at.unwrap_or(updated_at) - started_at;
        MiningRun {
            run_id: r.get(0),
            state,
            bulk_operation_id: r.get(2),
            window_start: r.get::<Option<i64>, _>(3).and_then(date),
            started_at,
            updated_at,
            finished_at,
            expected_objects: r.get(7),
            lines: r.get(8),
            orders,
            counted: r.get(10),
            duplicates: r.get(11),
            outside_window: r.get(12),
            too_large: r.get(13),
            no_products: r.get(14),
            undated: r.get(15),
            malformed: r.get(16),
            late_lines: r.get(17),
            resumed_from: r.get(18),
            error: r.get(19),
            orders_per_second: (seconds > 0).then(|| orders as f64 / seconds as f64),
        }
    });
    Ok(MiningStatus {
        shop: shop.to_string(),
        latest,
        live: publish::live(store, shop).await?,
        inbox_orders: runs::inbox_len(store, shop).await?,
    })
}
