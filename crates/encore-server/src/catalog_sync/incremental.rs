//! Catalog webhooks: products/create|update|delete, inventory_levels/update and
//! collections/update, each applied in one transaction together with its delivery receipt, so
//! a delivery is recorded as handled exactly when its effect is committed.
//!
//! Deliveries arrive late, twice and out of order. A redelivery finds its receipt and changes
//! nothing; an update older than what is stored (Shopify's `updated_at`, compared as instants)
//! is recorded and ignored; a removed product stays removed against older updates.

use std::collections::{BTreeSet, HashMap};

use encore_engine::money::Currency;
use encore_shopify::webhook::{
    CollectionPayload, InventoryLevelPayload, Payload, ProductPayload, Topic,
};
use serde_json::Value;
use sqlx::{Any, Row, Transaction};

use super::rows::{self, KeptVariantFacts, PayloadError};
use crate::store::{Store, StoreError};

/// The delivery a change came with.
#[derive(Debug, Clone)]
pub struct Receipt<'a> {
    pub webhook_id: &'a str,
    pub shop: &'a str,
    pub topic: &'a str,
}

/// What a delivery came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The catalog changed (and the shop's data_version with it).
    Changed,
    /// Older than what is stored, or about a shop or item Encore does not know: recorded only.
    Ignored,
    /// This delivery was handled before.
    Duplicate,
}

/// Why a catalog webhook could not be applied (nothing was recorded).
#[derive(Debug, thiserror::Error)]
pub enum IncrementalError {
    #[error(transparent)]
    Payload(#[from] PayloadError),
    #[error("updated_at {0:?} is not an RFC 3339 time")]
    Time(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for IncrementalError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(e.into())
    }
}

impl From<serde_json::Error> for IncrementalError {
    fn from(e: serde_json::Error) -> Self {
        Self::Store(e.into())
    }
}

type Result<T> = std::result::Result<T, IncrementalError>;

/// True for the topics this module applies.
pub fn is_catalog_topic(topic: &Topic) -> bool {
    matches!(
        topic,
        Topic::ProductsCreate
            | Topic::ProductsUpdate
            | Topic::ProductsDelete
            | Topic::InventoryLevelsUpdate
            | Topic::CollectionsUpdate
    )
}

/// Applies a catalog delivery and records its receipt in the same transaction.
pub async fn apply(
    store: &Store,
    receipt: &Receipt<'_>,
    payload: &Payload,
    now: i64,
) -> Result<Applied> {
    let mut tx = store.writer().begin().await?;
    // The receipt first: a redelivery stops here, and SQLite takes the write lock at once.
    let new = sqlx::query(
        "INSERT INTO webhook_receipts (webhook_id, shop, topic, received_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (webhook_id) DO NOTHING",
    )
    .bind(receipt.webhook_id)
    .bind(receipt.shop)
    .bind(receipt.topic)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if !new {
        return Ok(Applied::Duplicate);
    }
    // The shop row is locked before any catalog row, the order a sync's switch takes them in
    // (it bumps the version first): the other order deadlocked on PostgreSQL when a webhook
    // came during the switch. The no-op update changes nothing and notifies no one.
    let currency = sqlx::query(
        "UPDATE shops SET data_version = data_version WHERE domain = $1 RETURNING currency_code",
    )
    .bind(receipt.shop)
    .fetch_optional(&mut *tx)
    .await?
    .map(|r| r.get::<String, _>(0));
    // The products this delivery changed, for the caches to re-read (facts_cache).
    let mut touched = BTreeSet::new();
    let applied = match (currency, payload) {
        (None, _) => Applied::Ignored,
        (Some(code), Payload::ProductUpsert(p)) => {
            let currency = Currency::from_code(&code).ok_or_else(|| PayloadError {
                variant: String::new(),
                reason: format!("the shop's currency {code} is unknown"),
            })?;
            touched.insert(p.id.get().to_string());
            upsert_product(&mut tx, receipt.shop, p, &currency, now).await?
        }
        (Some(_), Payload::ProductDelete(d)) => {
            let id = d.id.get().to_string();
            remove_product(&mut tx, receipt.shop, &id, now).await?;
            touched.insert(id);
            Applied::Changed
        }
        (Some(_), Payload::InventoryLevel(l)) => {
            inventory_level(&mut tx, receipt.shop, l, &mut touched).await?
        }
        (Some(_), Payload::Collection(c)) => collection(&mut tx, receipt.shop, c).await?,
        (Some(_), _) => Applied::Ignored,
    };
    if applied == Applied::Changed {
        crate::facts_cache::record_change(&mut tx, receipt.shop, &touched).await?;
    }
    tx.commit().await?;
    Ok(applied)
}

fn time_of(text: Option<&str>) -> Result<Option<i64>> {
    text.map(|t| rows::unix_seconds(t).ok_or_else(|| IncrementalError::Time(t.to_string())))
        .transpose()
}

/// The newest time the product is known at: its row's `updated_at` or its removal.
async fn known_at(
    tx: &mut Transaction<'_, Any>,
    shop: &str,
    product: &str,
) -> Result<(Option<i64>, Option<Value>)> {
    let live = sqlx::query(
        "SELECT updated_at, data FROM catalog_products WHERE shop = $1 AND product_id = $2",
    )
    .bind(shop)
    .bind(product)
    .fetch_optional(&mut **tx)
    .await?;
    let removed: Option<i64> = sqlx::query(
        "SELECT removed_at FROM catalog_removed_products WHERE shop = $1 AND product_id = $2",
    )
    .bind(shop)
    .bind(product)
    .fetch_optional(&mut **tx)
    .await?
    .map(|r| r.get(0));
    let (updated, data) = match live {
        Some(r) => (
            r.get::<Option<i64>, _>(0),
            Some(serde_json::from_str(&r.get::<String, _>(1))?),
        ),
        None => (None, None),
    };
    Ok((updated.max(removed), data))
}

async fn upsert_product(
    tx: &mut Transaction<'_, Any>,
    shop: &str,
    p: &ProductPayload,
    currency: &Currency,
    now: i64,
) -> Result<Applied> {
    let id = p.id.get().to_string();
    let incoming = time_of(p.updated_at.as_deref())?;
    let (known, stored) = known_at(tx, shop, &id).await?;
    if let (Some(known), Some(incoming)) = (known, incoming) {
        if incoming < known {
            return Ok(Applied::Ignored);
        }
    }
    if p.status
        .as_deref()
        .is_some_and(|s| !s.eq_ignore_ascii_case("active"))
    {
        remove_product(tx, shop, &id, incoming.unwrap_or(now)).await?;
        return Ok(Applied::Changed);
    }
    let mut kept: HashMap<String, Value> = HashMap::new();
    for r in sqlx::query(
        "SELECT variant_id, data FROM catalog_variants WHERE shop = $1 AND product_id = $2",
    )
    .bind(shop)
    .bind(&id)
    .fetch_all(&mut **tx)
    .await?
    {
        kept.insert(r.get(0), serde_json::from_str(&r.get::<String, _>(1))?);
    }
    let mut levels: HashMap<u64, i64> = HashMap::new();
    for item in p.variants.iter().filter_map(|v| v.inventory_item_id) {
        if let Some(sum) = levels_sum(tx, shop, &item.get().to_string()).await? {
            levels.insert(item.get(), sum);
        }
    }
    let collections = stored
        .as_ref()
        .and_then(|d| d.get("collectionIds").cloned())
        .unwrap_or_else(|| Value::Array(Vec::new()));
    let (product, variants) =
        rows::product_from_webhook(p, collections, currency, |v| KeptVariantFacts {
            data: kept.get(&v.id.get().to_string()).cloned(),
            levels_sum: v
                .inventory_item_id
                .and_then(|i| levels.get(&i.get()).copied()),
        })?;
    sqlx::query("DELETE FROM catalog_variants WHERE shop = $1 AND product_id = $2")
        .bind(shop)
        .bind(&id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM catalog_removed_products WHERE shop = $1 AND product_id = $2")
        .bind(shop)
        .bind(&id)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO catalog_products (shop, product_id, data, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (shop, product_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at",
    )
    .bind(shop)
    .bind(&id)
    .bind(product.data.to_string())
    .bind(product.updated_at.or(Some(now)))
    .execute(&mut **tx)
    .await?;
    for v in &variants {
        sqlx::query(
            "INSERT INTO catalog_variants (shop, variant_id, product_id, data, inventory_item_id) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (shop, variant_id) DO UPDATE SET \
             product_id = excluded.product_id, data = excluded.data, inventory_item_id = excluded.inventory_item_id",
        )
        .bind(shop)
        .bind(&v.id)
        .bind(&v.product_id)
        .bind(v.data.to_string())
        .bind(&v.inventory_item_id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(Applied::Changed)
}

/// Removes a product and its variants, remembering when (so older updates stay out).
async fn remove_product(
    tx: &mut Transaction<'_, Any>,
    shop: &str,
    id: &str,
    at: i64,
) -> Result<()> {
    for table in ["catalog_variants", "catalog_products"] {
        sqlx::query(&format!(
            "DELETE FROM {table} WHERE shop = $1 AND product_id = $2"
        ))
        .bind(shop)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    }
    sqlx::query(
        "INSERT INTO catalog_removed_products (shop, product_id, removed_at) VALUES ($1, $2, $3) \
         ON CONFLICT (shop, product_id) DO UPDATE SET removed_at = excluded.removed_at \
         WHERE catalog_removed_products.removed_at < excluded.removed_at",
    )
    .bind(shop)
    .bind(id)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn levels_sum(tx: &mut Transaction<'_, Any>, shop: &str, item: &str) -> Result<Option<i64>> {
    let row = sqlx::query(
        "SELECT COUNT(*), CAST(COALESCE(SUM(available), 0) AS BIGINT) FROM inventory_levels \
         WHERE shop = $1 AND inventory_item_id = $2",
    )
    .bind(shop)
    .bind(item)
    .fetch_one(&mut **tx)
    .await?;
    Ok((row.get::<i64, _>(0) > 0).then(|| row.get(1)))
}

/// Keeps the level per item and location; the item's variants take the sum over locations
/// (the Function applies tracking and the out-of-stock policy to it).
async fn inventory_level(
    tx: &mut Transaction<'_, Any>,
    shop: &str,
    l: &InventoryLevelPayload,
    touched: &mut BTreeSet<String>,
) -> Result<Applied> {
    let at = time_of(Some(&l.updated_at))?.unwrap_or_default();
    let item = l.inventory_item_id.get().to_string();
    let written = sqlx::query(
        "INSERT INTO inventory_levels (shop, inventory_item_id, location_id, available, updated_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (shop, inventory_item_id, location_id) DO UPDATE SET \
         available = excluded.available, updated_at = excluded.updated_at \
         WHERE inventory_levels.updated_at <= excluded.updated_at",
    )
    .bind(shop)
    .bind(&item)
    .bind(l.location_id.get().to_string())
    .bind(l.available)
    .bind(at)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if written == 0 {
        return Ok(Applied::Ignored);
    }
    let sum = levels_sum(tx, shop, &item).await?.unwrap_or_default();
    let variants = sqlx::query(
        "SELECT variant_id, data, product_id FROM catalog_variants WHERE shop = $1 AND inventory_item_id = $2",
    )
    .bind(shop)
    .bind(&item)
    .fetch_all(&mut **tx)
    .await?;
    if variants.is_empty() {
        return Ok(Applied::Ignored);
    }
    for r in &variants {
        touched.insert(r.get::<String, _>(2));
        let mut data: Value = serde_json::from_str(&r.get::<String, _>(1))?;
        if let Some(inventory) = data.get_mut("inventory").and_then(Value::as_object_mut) {
            inventory.insert("available".into(), Value::from(sum));
        }
        sqlx::query("UPDATE catalog_variants SET data = $3 WHERE shop = $1 AND variant_id = $2")
            .bind(shop)
            .bind(r.get::<String, _>(0))
            .bind(data.to_string())
            .execute(&mut **tx)
            .await?;
    }
    Ok(Applied::Changed)
}

/// Keeps a collection's handle and title (the payload does not list its products; membership
/// comes with full syncs). The Function reads only collection ids, so offers do not change.
async fn collection(
    tx: &mut Transaction<'_, Any>,
    shop: &str,
    c: &CollectionPayload,
) -> Result<Applied> {
    let at = time_of(c.updated_at.as_deref())?.unwrap_or_default();
    sqlx::query(
        "INSERT INTO catalog_collections (shop, collection_id, handle, title, updated_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (shop, collection_id) DO UPDATE SET \
         handle = excluded.handle, title = excluded.title, updated_at = excluded.updated_at \
         WHERE catalog_collections.updated_at <= excluded.updated_at",
    )
    .bind(shop)
    .bind(c.id.get().to_string())
    .bind(&c.handle)
    .bind(&c.title)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(Applied::Ignored)
}
