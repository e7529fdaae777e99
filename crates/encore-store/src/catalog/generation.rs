//! The staging generation of a full sync, written in batches, and its switch to live in one
//! transaction.
//!
//! A sync owns a row in `catalog_syncs` and its rows in `catalog_staging_*`; the live tables are
//! touched only by [`complete`]. Offers read the live tables, so until then they see the last
//! complete catalog, whatever happens to the sync (an error, Shopify unreachable, a crash).

use serde_json::Value;
use sqlx::Row;

use super::status::SyncState;
use super::{ProductRow, VariantRow};
use crate::{Backend, Store, StoreError};

type Result<T> = std::result::Result<T, StoreError>;

/// A running sync that has not written for this long was interrupted (its process stopped):
/// the next sync of the shop discards its partial generation. Running syncs write at least
/// every poll of the bulk operation and every batch.
pub const STALE_AFTER_SECS: i64 = 120;

/// A webhook applied at most this long before the sync's bulk operation started may be newer
/// than what the bulk operation read (clocks differ): such live rows are compared by
/// `updated_at` instead of being replaced.
const CLOCK_MARGIN_SECS: i64 = 60;

/// Rows per INSERT statement (well under SQLite's and PostgreSQL's parameter limits).
const ROWS_PER_STATEMENT: usize = 200;

/// Counts written with each batch, for the status.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    pub lines: i64,
    pub products: i64,
    pub variants: i64,
    pub malformed: i64,
    pub skipped: i64,
    /// JSON [{line, reason}] of the first malformed lines.
    pub malformed_lines: String,
}

/// What claiming a sync found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This sync may run; `resumable` is the bulk operation of the latest interrupted sync.
    Claimed { resumable: Option<String> },
    /// Another instance runs a sync of this shop.
    Busy,
}

/// Adds a waiting sync and returns its id.
pub async fn enqueue(store: &Store, shop: &str, now: i64) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO catalog_syncs (shop, sync_id, state, started_at, updated_at) \
         SELECT $1, COALESCE(MAX(sync_id), 0) + 1, 'waiting', $2, $2 FROM catalog_syncs WHERE shop = $1 \
         RETURNING sync_id",
    )
    .bind(shop)
    .bind(now)
    .fetch_one(store.writer())
    .await?;
    Ok(row.get(0))
}

/// Makes a waiting sync the running one, unless another instance's sync runs. Syncs that
/// stopped writing are marked failed and their partial generations deleted.
pub async fn claim(store: &Store, shop: &str, sync_id: i64, now: i64) -> Result<Claim> {
    let mut tx = store.writer().begin().await?;
    let interrupted = sqlx::query(
        "UPDATE catalog_syncs SET state = 'failed', finished_at = $2, updated_at = $2, \
         error = 'interrupted: the server stopped during the sync; its partial catalog was discarded' \
         WHERE shop = $1 AND sync_id <> $3 AND ((state = 'running' AND updated_at < $4) \
         OR (state = 'waiting' AND updated_at < $5)) RETURNING sync_id, bulk_operation_id",
    )
    .bind(shop)
    .bind(now)
    .bind(sync_id)
    .bind(now - STALE_AFTER_SECS)
    .bind(now - 3600)
    .fetch_all(&mut *tx)
    .await?;
    let mut resumable: Option<(i64, String)> = None;
    for r in &interrupted {
        let id: i64 = r.get(0);
        if let Some(op) = r.get::<Option<String>, _>(1) {
            if resumable.as_ref().is_none_or(|(best, _)| id > *best) {
                resumable = Some((id, op));
            }
        }
    }
    let busy = sqlx::query(
        "SELECT COUNT(*) FROM catalog_syncs WHERE shop = $1 AND state = 'running' AND sync_id <> $2",
    )
    .bind(shop)
    .bind(sync_id)
    .fetch_one(&mut *tx)
    .await?
    .get::<i64, _>(0)
        > 0;
    if busy {
        tx.commit().await?;
        return Ok(Claim::Busy);
    }
    // Partial generations of syncs that will never finish.
    for table in ["catalog_staging_variants", "catalog_staging_products"] {
        sqlx::query(&format!(
            "DELETE FROM {table} WHERE shop = $1 AND sync_id <> $2"
        ))
        .bind(shop)
        .bind(sync_id)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query(
        "UPDATE catalog_syncs SET state = 'running', started_at = $3, updated_at = $3 \
         WHERE shop = $1 AND sync_id = $2",
    )
    .bind(shop)
    .bind(sync_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Claim::Claimed {
        resumable: resumable.map(|(_, op)| op),
    })
}

/// Records the sync's bulk operation (so a restarted sync can resume it) and, once known, the
/// number of rows its result holds; also the sync's heartbeat.
pub async fn set_bulk(
    store: &Store,
    shop: &str,
    sync_id: i64,
    bulk_operation: &str,
    expected_objects: Option<i64>,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE catalog_syncs SET bulk_operation_id = $3, expected_objects = $4, updated_at = $5 \
         WHERE shop = $1 AND sync_id = $2",
    )
    .bind(shop)
    .bind(sync_id)
    .bind(bulk_operation)
    .bind(expected_objects)
    .bind(now)
    .execute(store.writer())
    .await?;
    Ok(())
}

/// Marks the sync alive without changing its bulk operation (a poll of another operation).
pub async fn heartbeat(store: &Store, shop: &str, sync_id: i64, now: i64) -> Result<()> {
    sqlx::query("UPDATE catalog_syncs SET updated_at = $3 WHERE shop = $1 AND sync_id = $2")
        .bind(shop)
        .bind(sync_id)
        .bind(now)
        .execute(store.writer())
        .await?;
    Ok(())
}

/// A child whose product was written in an earlier batch: a collection to add to it.
#[derive(Debug, Clone)]
pub struct LateCollection {
    pub product_id: String,
    pub collection_id: String,
}

/// One batch of the staging generation.
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a> {
    pub products: &'a [ProductRow],
    pub variants: &'a [VariantRow],
    pub late_collections: &'a [LateCollection],
}

/// Writes one batch into the staging generation, with the sync's counts, in one transaction.
pub async fn write_batch(
    store: &Store,
    shop: &str,
    sync_id: i64,
    batch: Batch<'_>,
    counts: &Counts,
    now: i64,
) -> Result<()> {
    let Batch {
        products,
        variants,
        late_collections,
    } = batch;
    let mut tx = store.writer().begin().await?;
    for chunk in products.chunks(ROWS_PER_STATEMENT) {
        let sql = insert_sql(
            "catalog_staging_products (shop, sync_id, product_id, updated_at, data)",
            5,
            chunk.len(),
        );
        let mut q = sqlx::query(&sql);
        for p in chunk {
            q = q
                .bind(shop)
                .bind(sync_id)
                .bind(&p.id)
                .bind(p.updated_at)
                .bind(p.data.to_string());
        }
        q.execute(&mut *tx).await?;
    }
    for chunk in variants.chunks(ROWS_PER_STATEMENT) {
        let sql = insert_sql(
            "catalog_staging_variants (shop, sync_id, variant_id, product_id, inventory_item_id, data)",
            6,
            chunk.len(),
        );
        let mut q = sqlx::query(&sql);
        for v in chunk {
            q = q
                .bind(shop)
                .bind(sync_id)
                .bind(&v.id)
                .bind(&v.product_id)
                .bind(&v.inventory_item_id)
                .bind(v.data.to_string());
        }
        q.execute(&mut *tx).await?;
    }
    for late in late_collections {
        let row = sqlx::query(
            "SELECT data FROM catalog_staging_products WHERE shop = $1 AND sync_id = $2 AND product_id = $3",
        )
        .bind(shop)
        .bind(sync_id)
        .bind(&late.product_id)
        .fetch_optional(&mut *tx)
        .await?;
        // A product that was skipped (not active) keeps no collections.
        let Some(row) = row else { continue };
        let mut data: Value = serde_json::from_str(&row.get::<String, _>(0))?;
        if !add_collection(&mut data, &late.collection_id) {
            continue;
        }
        sqlx::query(
            "UPDATE catalog_staging_products SET data = $4 WHERE shop = $1 AND sync_id = $2 AND product_id = $3",
        )
        .bind(shop)
        .bind(sync_id)
        .bind(&late.product_id)
        .bind(data.to_string())
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query(
        "UPDATE catalog_syncs SET lines = $3, products = $4, variants = $5, malformed = $6, \
         skipped = $7, malformed_lines = $8, updated_at = $9 WHERE shop = $1 AND sync_id = $2",
    )
    .bind(shop)
    .bind(sync_id)
    .bind(counts.lines)
    .bind(counts.products)
    .bind(counts.variants)
    .bind(counts.malformed)
    .bind(counts.skipped)
    .bind(&counts.malformed_lines)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Adds a collection id to product facts; false when it was there already.
pub fn add_collection(data: &mut Value, collection_id: &str) -> bool {
    let Some(list) = data.get_mut("collectionIds").and_then(Value::as_array_mut) else {
        return false;
    };
    if list.iter().any(|c| c.as_str() == Some(collection_id)) {
        return false;
    }
    list.push(Value::String(collection_id.to_string()));
    true
}

fn insert_sql(table: &str, columns: usize, rows: usize) -> String {
    let mut sql = format!("INSERT INTO {table} VALUES ");
    let mut n = 1;
    for r in 0..rows {
        if r > 0 {
            sql.push(',');
        }
        sql.push('(');
        for c in 0..columns {
            if c > 0 {
                sql.push(',');
            }
            sql.push('$');
            sql.push_str(&n.to_string());
            n += 1;
        }
        sql.push(')');
    }
    sql.push_str(" ON CONFLICT DO NOTHING");
    sql
}

/// Ends a sync that cannot complete: its generation is deleted, the live catalog untouched.
pub async fn fail(store: &Store, shop: &str, sync_id: i64, error: &str, now: i64) -> Result<()> {
    let mut tx = store.writer().begin().await?;
    sqlx::query(
        "UPDATE catalog_syncs SET state = 'failed', error = $3, finished_at = $4, updated_at = $4 \
         WHERE shop = $1 AND sync_id = $2",
    )
    .bind(shop)
    .bind(sync_id)
    .bind(error)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    for table in ["catalog_staging_variants", "catalog_staging_products"] {
        sqlx::query(&format!(
            "DELETE FROM {table} WHERE shop = $1 AND sync_id = $2"
        ))
        .bind(shop)
        .bind(sync_id)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Makes the staging generation the live catalog in one transaction and bumps the shop's
/// data_version so every instance reloads it.
///
/// Webhooks keep updating the live catalog while a sync runs, and the bulk operation read each
/// product at some moment after `started_at`. So a live product newer than the staged one
/// stays; a live product the bulk result does not have stays only if a webhook wrote it during
/// the sync (otherwise it was deleted in Shopify); a product removed during the sync is not
/// brought back; and an item whose stock changed during the sync takes its levels' sum.
pub async fn complete(
    store: &Store,
    shop: &str,
    sync_id: i64,
    started_at: i64,
    now: i64,
) -> Result<()> {
    let threshold = started_at - CLOCK_MARGIN_SECS;
    if store.backend() == Backend::Postgres {
        // Freshly filled tables have no statistics; without them PostgreSQL plans the joins
        // below as nested scans (minutes instead of a second at 100,000 variants).
        sqlx::query("ANALYZE catalog_staging_products, catalog_staging_variants, catalog_products, catalog_variants")
            .execute(store.writer())
            .await?;
    }
    let mut tx = store.writer().begin().await?;
    // The first statement writes, so SQLite takes the write lock at once.
    sqlx::query("UPDATE shops SET data_version = data_version + 1 WHERE domain = $1")
        .bind(shop)
        .execute(&mut *tx)
        .await?;
    // Staged products that a webhook made newer, or removed, during the sync: few, found from
    // the rows written since the sync began.
    let superseded: Vec<String> = sqlx::query(
        "SELECT l.product_id FROM catalog_products l JOIN catalog_staging_products s            ON s.shop = l.shop AND s.sync_id = $2 AND s.product_id = l.product_id          WHERE l.shop = $1 AND l.updated_at >= $3 AND l.updated_at > COALESCE(s.updated_at, 0)          UNION SELECT r.product_id FROM catalog_removed_products r JOIN catalog_staging_products s            ON s.shop = r.shop AND s.sync_id = $2 AND s.product_id = r.product_id          WHERE r.shop = $1 AND r.removed_at >= COALESCE(s.updated_at, 0)",
    )
    .bind(shop)
    .bind(sync_id)
    .bind(threshold)
    .fetch_all(&mut *tx)
    .await?
    .iter()
    .map(|r| r.get(0))
    .collect();
    for product in &superseded {
        for table in ["catalog_staging_variants", "catalog_staging_products"] {
            sqlx::query(&format!(
                "DELETE FROM {table} WHERE shop = $1 AND sync_id = $2 AND product_id = $3"
            ))
            .bind(shop)
            .bind(sync_id)
            .bind(product)
            .execute(&mut *tx)
            .await?;
        }
    }
    // Live rows the generation does not keep: variants a synced product no longer has, and
    // products (with their variants) the bulk result lacks and no webhook wrote since before
    // the sync began (deleted in Shopify). Everything else is upserted below, so a re-sync of
    // a mostly unchanged catalog rewrites only what changed (deleting and re-inserting every
    // live row made PostgreSQL's re-sync slower than its first sync).
    let staged_product = |alias: &str| {
        format!(
            "EXISTS (SELECT 1 FROM catalog_staging_products s WHERE s.shop = $1 AND s.sync_id = $2 \
               AND s.product_id = {alias}.product_id)"
        )
    };
    let gone_product = |alias: &str| {
        format!(
            "(NOT {staged} AND EXISTS (SELECT 1 FROM catalog_products p WHERE p.shop = $1 \
               AND p.product_id = {alias}.product_id AND (p.updated_at IS NULL OR p.updated_at < $3)))",
            staged = staged_product(alias)
        )
    };
    sqlx::query(&format!(
        "DELETE FROM catalog_variants WHERE shop = $1 AND (({staged} AND NOT EXISTS ( \
           SELECT 1 FROM catalog_staging_variants sv WHERE sv.shop = $1 AND sv.sync_id = $2 \
           AND sv.variant_id = catalog_variants.variant_id)) OR {gone})",
        staged = staged_product("catalog_variants"),
        gone = gone_product("catalog_variants"),
    ))
    .bind(shop)
    .bind(sync_id)
    .bind(threshold)
    .execute(&mut *tx)
    .await?;
    sqlx::query(&format!(
        "DELETE FROM catalog_products WHERE shop = $1 AND {}",
        gone_product("catalog_products")
    ))
    .bind(shop)
    .bind(sync_id)
    .bind(threshold)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO catalog_products (shop, product_id, data, updated_at) \
         SELECT shop, product_id, data, updated_at FROM catalog_staging_products \
         WHERE shop = $1 AND sync_id = $2 \
         ON CONFLICT (shop, product_id) DO UPDATE SET data = excluded.data, \
         updated_at = excluded.updated_at \
         WHERE catalog_products.data <> excluded.data \
         OR catalog_products.updated_at IS DISTINCT FROM excluded.updated_at",
    )
    .bind(shop)
    .bind(sync_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO catalog_variants (shop, variant_id, product_id, data, inventory_item_id) \
         SELECT v.shop, v.variant_id, v.product_id, v.data, v.inventory_item_id \
         FROM catalog_staging_variants v WHERE v.shop = $1 AND v.sync_id = $2 AND EXISTS (\
           SELECT 1 FROM catalog_staging_products p WHERE p.shop = v.shop AND p.sync_id = v.sync_id \
           AND p.product_id = v.product_id) \
         ON CONFLICT (shop, variant_id) DO UPDATE SET product_id = excluded.product_id, \
         data = excluded.data, inventory_item_id = excluded.inventory_item_id \
         WHERE catalog_variants.data <> excluded.data \
         OR catalog_variants.product_id <> excluded.product_id \
         OR catalog_variants.inventory_item_id IS DISTINCT FROM excluded.inventory_item_id",
    )
    .bind(shop)
    .bind(sync_id)
    .execute(&mut *tx)
    .await?;
    // Stock that changed during the sync: the levels are newer than the bulk's quantity.
    let moved_items: Vec<String> = sqlx::query(
        "SELECT DISTINCT inventory_item_id FROM inventory_levels WHERE shop = $1 AND updated_at >= $2",
    )
    .bind(shop)
    .bind(threshold)
    .fetch_all(&mut *tx)
    .await?
    .iter()
    .map(|r| r.get(0))
    .collect();
    for item in &moved_items {
        let sum: i64 = sqlx::query(
            "SELECT CAST(COALESCE(SUM(available), 0) AS BIGINT) FROM inventory_levels \
             WHERE shop = $1 AND inventory_item_id = $2",
        )
        .bind(shop)
        .bind(item)
        .fetch_one(&mut *tx)
        .await?
        .get(0);
        let variants = sqlx::query(
            "SELECT variant_id, data FROM catalog_variants WHERE shop = $1 AND inventory_item_id = $2",
        )
        .bind(shop)
        .bind(item)
        .fetch_all(&mut *tx)
        .await?;
        for r in &variants {
            let mut data: Value = serde_json::from_str(&r.get::<String, _>(1))?;
            if let Some(inventory) = data.get_mut("inventory").and_then(Value::as_object_mut) {
                inventory.insert("available".into(), Value::from(sum));
            }
            sqlx::query(
                "UPDATE catalog_variants SET data = $3 WHERE shop = $1 AND variant_id = $2",
            )
            .bind(shop)
            .bind(r.get::<String, _>(0))
            .bind(data.to_string())
            .execute(&mut *tx)
            .await?;
        }
    }
    sqlx::query(
        "UPDATE catalog_syncs SET state = $3, finished_at = $4, updated_at = $4 \
         WHERE shop = $1 AND sync_id = $2",
    )
    .bind(shop)
    .bind(sync_id)
    .bind(SyncState::Complete.as_str())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    for table in ["catalog_staging_variants", "catalog_staging_products"] {
        sqlx::query(&format!(
            "DELETE FROM {table} WHERE shop = $1 AND sync_id = $2"
        ))
        .bind(shop)
        .bind(sync_id)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_inserts_number_every_parameter_once() {
        assert_eq!(
            insert_sql("t (a, b)", 2, 2),
            "INSERT INTO t (a, b) VALUES ($1,$2),($3,$4) ON CONFLICT DO NOTHING"
        );
    }

    #[test]
    fn a_late_collection_is_added_once() {
        let mut data = serde_json::json!({"collectionIds": ["1"]});
        assert!(add_collection(&mut data, "2"));
        assert!(!add_collection(&mut data, "2"));
        assert_eq!(data["collectionIds"], serde_json::json!(["1", "2"]));
    }
}
