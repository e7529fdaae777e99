//! Publishing a ranking: the suggestions written to `co_purchases` as a new version in batches
//! (each its own short write, so offers' writes interleave), then `co_purchase_versions`
//! switched to it with the shop's `data_version` in one small transaction, then the old
//! version deleted in batches. `facts_cache` reads the live version in one statement:
//! offers see the old suggestions or the new ones, never a mix.

use encore_mining::Ranking;
use serde::Serialize;
use sqlx::Row;

use crate::{Store, StoreError};

type Result<T> = std::result::Result<T, StoreError>;

/// Suggestions per INSERT statement (7 parameters each, under both databases' limits).
const ROWS_PER_STATEMENT: usize = 500;
/// Products whose rows one DELETE removes (at most 20 rows each).
const PRODUCTS_PER_DELETE: i64 = 500;

/// A published version, as the status shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Publication {
    pub version: i64,
    pub published_at: i64,
    pub suggestions: i64,
    pub orders_in_window: i64,
    pub min_support: i64,
    pub run_id: Option<i64>,
}

/// What the ranking was made from.
#[derive(Debug, Clone, Copy)]
pub struct Made {
    pub orders_in_window: u64,
    pub min_support: u32,
    pub run_id: Option<i64>,
}

/// Writes `ranking` as the shop's next version and makes it live.
pub async fn publish(
    store: &Store,
    shop: &str,
    ranking: &Ranking,
    made: Made,
    now: i64,
) -> Result<Publication> {
    let row = sqlx::query(
        "INSERT INTO co_purchase_versions (shop, live_version, last_version, published_at, suggestions, \
         orders_in_window, min_support) VALUES ($1, 0, 1, $2, 0, 0, 0) \
         ON CONFLICT (shop) DO UPDATE SET last_version = co_purchase_versions.last_version + 1 \
         RETURNING last_version, live_version",
    )
    .bind(shop)
    .bind(now)
    .fetch_one(store.writer())
    .await?;
    let (version, live): (i64, i64) = (row.get(0), row.get(1));
    // Versions a publication that died left behind.
    let stale = sqlx::query(
        "SELECT DISTINCT version FROM co_purchases WHERE shop = $1 AND version NOT IN (0, $2, $3)",
    )
    .bind(shop)
    .bind(live)
    .bind(version)
    .fetch_all(store.reader())
    .await?;
    for r in &stale {
        delete_version(store, shop, r.get(0)).await?;
    }
    for chunk in ranking.suggestions.chunks(ROWS_PER_STATEMENT) {
        let mut sql = String::from(
            "INSERT INTO co_purchases (shop, version, product_id, suggested_product_id, lift_permille, \
             support, confidence_bp) VALUES ",
        );
        for i in 0..chunk.len() {
            let at = i * 5;
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "($1, $2, ${}, ${}, ${}, ${}, ${})",
                at + 3,
                at + 4,
                at + 5,
                at + 6,
                at + 7
            ));
        }
        let mut query = sqlx::query(&sql).bind(shop).bind(version);
        for s in chunk {
            query = query
                .bind(&s.product_id)
                .bind(&s.suggested_product_id)
                .bind(s.lift_permille)
                .bind(i64::from(s.support))
                .bind(i64::from(s.confidence_bp));
        }
        query.execute(store.writer()).await?;
    }
    let suggestions = i64::try_from(ranking.suggestions.len()).unwrap_or(i64::MAX);
    let orders_in_window = i64::try_from(made.orders_in_window).unwrap_or(i64::MAX);
    let mut tx = store.writer().begin().await?;
    sqlx::query(
        "UPDATE co_purchase_versions SET live_version = $2, published_at = $3, suggestions = $4, \
         orders_in_window = $5, min_support = $6, run_id = $7 WHERE shop = $1",
    )
    .bind(shop)
    .bind(version)
    .bind(now)
    .bind(suggestions)
    .bind(orders_in_window)
    .bind(i64::from(made.min_support))
    .bind(made.run_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE shops SET data_version = data_version + 1 WHERE domain = $1")
        .bind(shop)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    if live != 0 {
        delete_version(store, shop, live).await?;
    }
    Ok(Publication {
        version,
        published_at: now,
        suggestions,
        orders_in_window,
        min_support: i64::from(made.min_support),
        run_id: made.run_id,
    })
}

/// Deletes one version's rows, a few hundred products per statement.
async fn delete_version(store: &Store, shop: &str, version: i64) -> Result<()> {
    loop {
        let deleted = sqlx::query(
            "DELETE FROM co_purchases WHERE shop = $1 AND version = $2 AND product_id IN \
             (SELECT DISTINCT product_id FROM co_purchases WHERE shop = $1 AND version = $2 \
             ORDER BY product_id LIMIT $3)",
        )
        .bind(shop)
        .bind(version)
        .bind(PRODUCTS_PER_DELETE)
        .execute(store.writer())
        .await?
        .rows_affected();
        if deleted == 0 {
            return Ok(());
        }
    }
}

/// The live publication of the shop, if any.
pub async fn live(store: &Store, shop: &str) -> Result<Option<Publication>> {
    let row = sqlx::query(
        "SELECT live_version, published_at, suggestions, orders_in_window, min_support, run_id \
         FROM co_purchase_versions WHERE shop = $1 AND live_version > 0",
    )
    .bind(shop)
    .fetch_optional(store.reader())
    .await?;
    Ok(row.map(|r| Publication {
        version: r.get(0),
        published_at: r.get(1),
        suggestions: r.get(2),
        orders_in_window: r.get(3),
        min_support: r.get(4),
        run_id: r.get(5),
    }))
}
