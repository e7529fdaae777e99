//! A shop's sync status: the latest full sync's state, counts, rate and error, and when the
//! live catalog last came from a complete one. Kept in `catalog_syncs`, so every instance
//! answers the same and a restart loses nothing.

use serde::Serialize;
use serde_json::Value;
use sqlx::Row;

use crate::{Store, StoreError};

/// Where a full sync is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SyncState {
    /// Queued behind another bulk operation of the shop.
    Waiting,
    /// The bulk operation runs, or its result is being read into the staging generation.
    Running,
    /// The generation went live.
    Complete,
    /// Stopped with an error; the previous catalog stayed live.
    Failed,
}

impl SyncState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Running => "running",
            Self::Complete => "complete",
            Self::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "waiting" => Self::Waiting,
            "running" => Self::Running,
            "complete" => Self::Complete,
            _ => Self::Failed,
        }
    }
}

/// One full sync, as stored.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncRun {
    pub sync_id: i64,
    pub state: SyncState,
    pub bulk_operation_id: Option<String>,
    pub started_at: i64,
    pub updated_at: i64,
    pub finished_at: Option<i64>,
    pub products: i64,
    pub variants: i64,
    /// Rows Shopify says the bulk result holds (known once the operation completed).
    pub expected_objects: Option<i64>,
    pub lines: i64,
    pub malformed: i64,
    /// Products read but not offered (draft, archived or unlisted).
    pub skipped: i64,
    /// The first malformed lines: [{line, reason}].
    pub malformed_lines: Value,
    pub error: Option<String>,
    /// Variants written per second of the sync so far.
    pub variants_per_second: i64,
}

/// What `GET /api/sync/status` answers.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncStatus {
    pub shop: String,
    /// The latest full sync, running or finished.
    pub latest: Option<SyncRun>,
    /// When the live catalog last came from a complete sync.
    pub last_complete_at: Option<i64>,
    pub live_products: i64,
    pub live_variants: i64,
}

const COLUMNS: &str = "sync_id, state, bulk_operation_id, started_at, updated_at, finished_at, \
     products, variants, expected_objects, lines, malformed, skipped, malformed_lines, error";

fn run_from_row(r: &sqlx::any::AnyRow) -> Result<SyncRun, StoreError> {
    let started_at: i64 = r.get(3);
    let updated_at: i64 = r.get(4);
    let variants: i64 = r.get(7);
    let finished_at: Option<i64> = r.get(5);
    let elapsed = finished_at.unwrap_or(updated_at) - started_at;
    Ok(SyncRun {
        sync_id: r.get(0),
        state: SyncState::parse(&r.get::<String, _>(1)),
        bulk_operation_id: r.get(2),
        started_at,
        updated_at,
        finished_at,
        products: r.get(6),
        variants,
        expected_objects: r.get(8),
        lines: r.get(9),
        malformed: r.get(10),
        skipped: r.get(11),
        malformed_lines: serde_json::from_str(&r.get::<String, _>(12))?,
        error: r.get(13),
        variants_per_second: if elapsed > 0 {
            variants / elapsed
        } else {
            variants
        },
    })
}

/// One sync of a shop.
pub async fn sync_run(
    store: &Store,
    shop: &str,
    sync_id: i64,
) -> Result<Option<SyncRun>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM catalog_syncs WHERE shop = $1 AND sync_id = $2"
    ))
    .bind(shop)
    .bind(sync_id)
    .fetch_optional(store.reader())
    .await?;
    row.as_ref().map(run_from_row).transpose()
}

/// The shop's sync status.
pub async fn sync_status(store: &Store, shop: &str) -> Result<SyncStatus, StoreError> {
    let latest = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM catalog_syncs WHERE shop = $1 ORDER BY sync_id DESC LIMIT 1"
    ))
    .bind(shop)
    .fetch_optional(store.reader())
    .await?;
    let last_complete_at: Option<i64> = sqlx::query(
        "SELECT MAX(finished_at) FROM catalog_syncs WHERE shop = $1 AND state = 'complete'",
    )
    .bind(shop)
    .fetch_one(store.reader())
    .await?
    .get(0);
    let counts = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM catalog_products WHERE shop = $1), \
         (SELECT COUNT(*) FROM catalog_variants WHERE shop = $1)",
    )
    .bind(shop)
    .fetch_one(store.reader())
    .await?;
    Ok(SyncStatus {
        shop: shop.to_string(),
        latest: latest.as_ref().map(run_from_row).transpose()?,
        last_complete_at,
        live_products: counts.get(0),
        live_variants: counts.get(1),
    })
}
