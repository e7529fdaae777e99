//! The SQL of mining: import runs (`mining_runs`), the miner's checkpoints
//! (`mining_checkpoints`) and the orders/create inbox (`mining_inbox`).

use encore_mining::{Day, Order, OrderId};
use serde::Serialize;
use sqlx::Row;

use crate::{Store, StoreError};

type Result<T> = std::result::Result<T, StoreError>;

impl crate::Tx {
    /// Adds an orders/create order to the shop's inbox: false when the same order is there
    /// already (Shopify may send a topic twice under another delivery id).
    pub async fn add_to_inbox(&mut self, shop: &str, order: &Order, now: i64) -> Result<bool> {
        let products = serde_json::to_string(&order.products)?;
        let added = sqlx::query(
            "INSERT INTO mining_inbox (shop, order_id, day, products, received_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (shop, order_id) DO NOTHING",
        )
        .bind(shop)
        .bind(order.id.0.to_string())
        .bind(i64::from(order.day.0))
        .bind(products)
        .bind(now)
        .execute(&mut *self.0)
        .await?
        .rows_affected();
        Ok(added == 1)
    }
}

/// Inbox rows are kept this long past the start of the import that read the orders again:
/// Shopify's bulk operation may snapshot the orders a little after the import started.
pub const INBOX_MARGIN_SECS: i64 = 3600;

/// Where an import is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RunState {
    /// Queued behind another import of the shop.
    Waiting,
    /// The bulk operation runs, or its result is being counted.
    Running,
    /// Counted and published.
    Complete,
    /// Stopped with an error (or interrupted); the previous suggestions stay live.
    Failed,
}

impl RunState {
    pub fn parse(text: &str) -> Self {
        match text {
            "waiting" => Self::Waiting,
            "running" => Self::Running,
            "complete" => Self::Complete,
            _ => Self::Failed,
        }
    }
}

/// What an import has read and counted so far (the status's counters).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunCounts {
    pub lines: u64,
    /// Orders read from the bulk result (counted or not): where a resumed import continues.
    pub position: u64,
    pub counted: u64,
    pub duplicates: u64,
    pub outside_window: u64,
    pub too_large: u64,
    pub no_products: u64,
    /// Orders whose `createdAt` is not a timestamp: not counted.
    pub undated: u64,
    pub malformed: u64,
    pub late_lines: u64,
}

/// An interrupted import the new one continues.
#[derive(Debug, Clone)]
pub struct Resume {
    pub run_id: i64,
    pub bulk_operation_id: String,
    pub first_day: Option<u32>,
    /// The interrupted import's last checkpoint: (orders read, the miner's bytes).
    pub checkpoint: Option<(u64, Vec<u8>)>,
}

/// What claiming an import found.
#[derive(Debug, Clone)]
pub enum Claim {
    Claimed {
        resume: Option<Resume>,
    },
    /// Another instance runs an import of this shop.
    Busy,
}

/// Adds a waiting import and returns its id.
pub async fn enqueue(store: &Store, shop: &str, now: i64) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO mining_runs (shop, run_id, state, started_at, updated_at) \
         SELECT $1, COALESCE(MAX(run_id), 0) + 1, 'waiting', $2, $2 FROM mining_runs WHERE shop = $1 \
         RETURNING run_id",
    )
    .bind(shop)
    .bind(now)
    .fetch_one(store.writer())
    .await?;
    Ok(row.get(0))
}

/// Makes a waiting import the running one, unless another instance's import runs. Imports
/// that stopped writing are marked failed; the latest of them that had a bulk operation is
/// resumed (its bulk result read again from its checkpoint).
pub async fn claim(
    store: &Store,
    shop: &str,
    run_id: i64,
    now: i64,
    stale_after_secs: i64,
) -> Result<Claim> {
    let mut tx = store.writer().begin().await?;
    let interrupted = sqlx::query(
        "UPDATE mining_runs SET state = 'failed', finished_at = $2, updated_at = $2, \
         error = 'interrupted: the server stopped during the import; the next import resumes it' \
         WHERE shop = $1 AND run_id <> $3 AND ((state = 'running' AND updated_at < $4) \
         OR (state = 'waiting' AND updated_at < $5)) RETURNING run_id, bulk_operation_id, first_day",
    )
    .bind(shop)
    .bind(now)
    .bind(run_id)
    .bind(now - stale_after_secs)
    .bind(now - 3600)
    .fetch_all(&mut *tx)
    .await?;
    let mut resume: Option<Resume> = None;
    for r in &interrupted {
        let id: i64 = r.get(0);
        let Some(op) = r.get::<Option<String>, _>(1) else {
            continue;
        };
        if resume.as_ref().is_none_or(|best| id > best.run_id) {
            resume = Some(Resume {
                run_id: id,
                bulk_operation_id: op,
                first_day: r
                    .get::<Option<i64>, _>(2)
                    .and_then(|d| u32::try_from(d).ok()),
                checkpoint: None,
            });
        }
    }
    let busy = sqlx::query(
        "SELECT COUNT(*) FROM mining_runs WHERE shop = $1 AND state = 'running' AND run_id <> $2",
    )
    .bind(shop)
    .bind(run_id)
    .fetch_one(&mut *tx)
    .await?
    .get::<i64, _>(0)
        > 0;
    if busy {
        tx.commit().await?;
        return Ok(Claim::Busy);
    }
    if let Some(resume) = resume.as_mut() {
        resume.checkpoint = read_checkpoint(&mut tx, shop, resume.run_id).await?;
    }
    sqlx::query(
        "UPDATE mining_runs SET state = 'running', started_at = $3, updated_at = $3, resumed_from = $4 \
         WHERE shop = $1 AND run_id = $2",
    )
    .bind(shop)
    .bind(run_id)
    .bind(now)
    .bind(resume.as_ref().map(|r| r.run_id))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Claim::Claimed { resume })
}

/// Records the import's bulk operation and search day (so a restarted import can resume it)
/// and, once known, the rows its result holds; also the heartbeat.
pub async fn set_bulk(
    store: &Store,
    shop: &str,
    run_id: i64,
    bulk_operation: &str,
    first_day: Option<u32>,
    expected_objects: Option<u64>,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE mining_runs SET bulk_operation_id = $3, first_day = $4, expected_objects = $5, updated_at = $6 \
         WHERE shop = $1 AND run_id = $2",
    )
    .bind(shop)
    .bind(run_id)
    .bind(bulk_operation)
    .bind(first_day.map(i64::from))
    .bind(expected_objects.and_then(|n| i64::try_from(n).ok()))
    .bind(now)
    .execute(store.writer())
    .await?;
    Ok(())
}

fn int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Writes the import's counters; its heartbeat.
pub async fn progress(
    store: &Store,
    shop: &str,
    run_id: i64,
    c: &RunCounts,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE mining_runs SET lines = $3, position = $4, counted = $5, duplicates = $6, \
         outside_window = $7, too_large = $8, no_products = $9, undated = $10, malformed = $11, \
         late_lines = $12, updated_at = $13 WHERE shop = $1 AND run_id = $2",
    )
    .bind(shop)
    .bind(run_id)
    .bind(int(c.lines))
    .bind(int(c.position))
    .bind(int(c.counted))
    .bind(int(c.duplicates))
    .bind(int(c.outside_window))
    .bind(int(c.too_large))
    .bind(int(c.no_products))
    .bind(int(c.undated))
    .bind(int(c.malformed))
    .bind(int(c.late_lines))
    .bind(now)
    .execute(store.writer())
    .await?;
    Ok(())
}

/// Checkpoint bytes per part (one INSERT each, a few milliseconds of SQLite's one writer).
const PART_BYTES: usize = 64 << 10;

/// Stores the run's checkpoint (replacing its previous one): the parts of a new generation,
/// then the switch to it, then the old generation's parts deleted.
pub async fn save_checkpoint(
    store: &Store,
    shop: &str,
    run_id: i64,
    position: u64,
    bytes: &[u8],
    now: i64,
) -> Result<()> {
    let generation: i64 = sqlx::query(
        "SELECT COALESCE(MAX(generation), 0) + 1 FROM mining_checkpoint_parts WHERE shop = $1 AND run_id = $2",
    )
    .bind(shop)
    .bind(run_id)
    .fetch_one(store.writer())
    .await?
    .get(0);
    for (part, chunk) in bytes.chunks(PART_BYTES).enumerate() {
        sqlx::query(
            "INSERT INTO mining_checkpoint_parts (shop, run_id, generation, part, bytes) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(shop)
        .bind(run_id)
        .bind(generation)
        .bind(part as i64)
        .bind(chunk)
        .execute(store.writer())
        .await?;
    }
    sqlx::query(
        "INSERT INTO mining_checkpoints (shop, run_id, position, generation, written_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (shop, run_id) DO UPDATE SET position = excluded.position, generation = excluded.generation, \
         written_at = excluded.written_at",
    )
    .bind(shop)
    .bind(run_id)
    .bind(int(position))
    .bind(generation)
    .bind(now)
    .execute(store.writer())
    .await?;
    delete_parts(store, shop, run_id, Some(generation)).await
}

/// Deletes a run's checkpoint parts, one part per statement, except `keep`'s.
async fn delete_parts(store: &Store, shop: &str, run_id: i64, keep: Option<i64>) -> Result<()> {
    loop {
        let deleted = sqlx::query(
            "DELETE FROM mining_checkpoint_parts WHERE (shop, run_id, generation, part) IN \
             (SELECT shop, run_id, generation, part FROM mining_checkpoint_parts \
             WHERE shop = $1 AND run_id = $2 AND generation <> $3 LIMIT 1)",
        )
        .bind(shop)
        .bind(run_id)
        .bind(keep.unwrap_or(-1))
        .execute(store.writer())
        .await?
        .rows_affected();
        if deleted == 0 {
            return Ok(());
        }
    }
}

/// A run's checkpoint: (orders read, the miner's bytes) from its current generation's parts.
async fn read_checkpoint(
    conn: &mut sqlx::AnyConnection,
    shop: &str,
    run_id: i64,
) -> Result<Option<(u64, Vec<u8>)>> {
    let Some(head) = sqlx::query(
        "SELECT position, generation FROM mining_checkpoints WHERE shop = $1 AND run_id = $2",
    )
    .bind(shop)
    .bind(run_id)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let parts = sqlx::query(
        "SELECT bytes FROM mining_checkpoint_parts WHERE shop = $1 AND run_id = $2 AND generation = $3 ORDER BY part",
    )
    .bind(shop)
    .bind(run_id)
    .bind(head.get::<i64, _>(1))
    .fetch_all(&mut *conn)
    .await?;
    let mut bytes = Vec::new();
    for p in &parts {
        bytes.extend_from_slice(&p.get::<Vec<u8>, _>(0));
    }
    Ok(Some((head.get::<i64, _>(0).max(0) as u64, bytes)))
}

/// The live miner's checkpoint: the latest complete import's (run id, bytes).
pub async fn live_checkpoint(store: &Store, shop: &str) -> Result<Option<(i64, Vec<u8>)>> {
    let Some(run_id) = live_checkpoint_run(store, shop).await? else {
        return Ok(None);
    };
    let mut conn = store.reader().acquire().await?;
    Ok(read_checkpoint(&mut conn, shop, run_id)
        .await?
        .map(|(_, bytes)| (run_id, bytes)))
}

/// The run whose checkpoint is the live one (the latest complete import's).
pub async fn live_checkpoint_run(store: &Store, shop: &str) -> Result<Option<i64>> {
    let row = sqlx::query(
        "SELECT MAX(c.run_id) FROM mining_checkpoints c JOIN mining_runs r \
         ON r.shop = c.shop AND r.run_id = c.run_id WHERE c.shop = $1 AND r.state = 'complete'",
    )
    .bind(shop)
    .fetch_one(store.reader())
    .await?;
    Ok(row.get(0))
}

/// The orders a run read of its bulk result.
pub async fn run_position(store: &Store, shop: &str, run_id: i64) -> Result<u64> {
    let row = sqlx::query("SELECT position FROM mining_runs WHERE shop = $1 AND run_id = $2")
        .bind(shop)
        .bind(run_id)
        .fetch_optional(store.reader())
        .await?;
    Ok(row.map_or(0, |r| r.get::<i64, _>(0).max(0) as u64))
}

/// Ends an import: complete, its checkpoint the live one, older checkpoints deleted, and the
/// inbox rows it read again (received an hour before it started) deleted.
pub async fn complete(
    store: &Store,
    shop: &str,
    run_id: i64,
    started_at: i64,
    now: i64,
) -> Result<()> {
    let mut tx = store.writer().begin().await?;
    sqlx::query(
        "UPDATE mining_runs SET state = 'complete', finished_at = $3, updated_at = $3, error = NULL \
         WHERE shop = $1 AND run_id = $2",
    )
    .bind(shop)
    .bind(run_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let old_runs = sqlx::query(
        "DELETE FROM mining_checkpoints WHERE shop = $1 AND run_id <> $2 RETURNING run_id",
    )
    .bind(shop)
    .bind(run_id)
    .fetch_all(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM mining_inbox WHERE shop = $1 AND received_at < $2")
        .bind(shop)
        .bind(started_at - INBOX_MARGIN_SECS)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    for r in &old_runs {
        delete_parts(store, shop, r.get(0), None).await?;
    }
    Ok(())
}

/// Ends an import with an error (the live miner and suggestions are untouched).
pub async fn fail(store: &Store, shop: &str, run_id: i64, error: &str, now: i64) -> Result<()> {
    let mut tx = store.writer().begin().await?;
    sqlx::query(
        "UPDATE mining_runs SET state = 'failed', finished_at = $3, updated_at = $3, error = $4 \
         WHERE shop = $1 AND run_id = $2",
    )
    .bind(shop)
    .bind(run_id)
    .bind(now)
    .bind(error)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM mining_checkpoints WHERE shop = $1 AND run_id = $2")
        .bind(shop)
        .bind(run_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    delete_parts(store, shop, run_id, None).await
}

/// Every order waiting in the inbox, oldest day first.
pub async fn inbox(store: &Store, shop: &str) -> Result<Vec<Order>> {
    let rows = sqlx::query(
        "SELECT order_id, day, products FROM mining_inbox WHERE shop = $1 ORDER BY day, order_id",
    )
    .bind(shop)
    .fetch_all(store.reader())
    .await?;
    let mut orders = Vec::with_capacity(rows.len());
    for r in &rows {
        let id: String = r.get(0);
        // Rows are written by `incremental` from typed payloads; one that does not read back
        // is skipped rather than stopping the shop's mining.
        let (Ok(id), Ok(day)) = (id.parse::<u64>(), u32::try_from(r.get::<i64, _>(1))) else {
            tracing::warn!(shop, order = %id, "an unreadable mining inbox row was skipped");
            continue;
        };
        let products: Vec<String> = serde_json::from_str(&r.get::<String, _>(2))?;
        orders.push(Order {
            id: OrderId(id),
            day: Day(day),
            products,
        });
    }
    Ok(orders)
}

/// Orders waiting in the inbox (for the status).
pub async fn inbox_len(store: &Store, shop: &str) -> Result<i64> {
    Ok(
        sqlx::query("SELECT COUNT(*) FROM mining_inbox WHERE shop = $1")
            .bind(shop)
            .fetch_one(store.reader())
            .await?
            .get(0),
    )
}

/// Installed shops whose latest import never finished and was last written before `before`
/// (the server's start): it was waiting or running when its process stopped (or runs in
/// another instance, which the next import waits for). An import queued since the start is
/// this process's own and is not taken for a leftover.
pub async fn unfinished(store: &Store, before: i64) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT r.shop FROM mining_runs r JOIN shops s ON s.domain = r.shop \
         WHERE s.uninstalled_at IS NULL AND r.state IN ('waiting', 'running') \
         AND r.updated_at < $1 \
         AND r.run_id = (SELECT MAX(m.run_id) FROM mining_runs m WHERE m.shop = r.shop) \
         ORDER BY r.shop",
    )
    .bind(before)
    .fetch_all(store.reader())
    .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Installed shops imported before whose latest import (complete or failed) started before
/// `before`: their co-purchases are due for a fresh import.
pub async fn due(store: &Store, before: i64) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT r.shop FROM mining_runs r JOIN shops s ON s.domain = r.shop \
         WHERE s.uninstalled_at IS NULL AND r.state IN ('complete', 'failed') AND r.started_at < $1 \
         AND r.run_id = (SELECT MAX(m.run_id) FROM mining_runs m WHERE m.shop = r.shop) \
         AND EXISTS (SELECT 1 FROM mining_runs c WHERE c.shop = r.shop AND c.state = 'complete') \
         ORDER BY r.shop",
    )
    .bind(before)
    .fetch_all(store.reader())
    .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}
