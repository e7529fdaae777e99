//! The live catalog changed one webhook delivery at a time, inside the delivery's transaction
//! ([`Tx`]): the caller decides (older updates, removed products), this module reads and writes.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;
use sqlx::Row;

use super::{ProductRow, VariantRow};
use crate::{Result, Tx};

/// How many versions of change log a shop keeps (older ones are never needed: an instance that
/// far behind reloads everything).
const KEPT_CHANGES: i64 = 1000;

/// A variant that draws on an inventory item: (variant id, data, product id).
#[derive(Debug, Clone)]
pub struct ItemVariant {
    pub variant_id: String,
    pub data: Value,
    pub product_id: String,
}

impl Tx {
    /// Locks the shop row and answers its currency (`None`: a shop Encore does not know).
    /// The shop row is locked before any catalog row, the order a sync's switch takes them in
    /// (it bumps the version first): the other order deadlocked on PostgreSQL when a webhook
    /// came during the switch. The no-op update changes nothing and notifies no one.
    pub async fn lock_shop(&mut self, shop: &str) -> Result<Option<String>> {
        Ok(sqlx::query(
            "UPDATE shops SET data_version = data_version WHERE domain = $1 RETURNING currency_code",
        )
        .bind(shop)
        .fetch_optional(&mut *self.0)
        .await?
        .map(|r| r.get::<String, _>(0)))
    }

    /// The newest time the product is known at (its row's `updated_at` or its removal) and its
    /// stored facts.
    pub async fn product_known_at(
        &mut self,
        shop: &str,
        product: &str,
    ) -> Result<(Option<i64>, Option<Value>)> {
        let live = sqlx::query(
            "SELECT updated_at, data FROM catalog_products WHERE shop = $1 AND product_id = $2",
        )
        .bind(shop)
        .bind(product)
        .fetch_optional(&mut *self.0)
        .await?;
        let removed: Option<i64> = sqlx::query(
            "SELECT removed_at FROM catalog_removed_products WHERE shop = $1 AND product_id = $2",
        )
        .bind(shop)
        .bind(product)
        .fetch_optional(&mut *self.0)
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

    /// The stored data of the product's variants, by variant id.
    pub async fn product_variants(
        &mut self,
        shop: &str,
        product: &str,
    ) -> Result<HashMap<String, Value>> {
        let mut kept = HashMap::new();
        for r in sqlx::query(
            "SELECT variant_id, data FROM catalog_variants WHERE shop = $1 AND product_id = $2",
        )
        .bind(shop)
        .bind(product)
        .fetch_all(&mut *self.0)
        .await?
        {
            kept.insert(r.get(0), serde_json::from_str(&r.get::<String, _>(1))?);
        }
        Ok(kept)
    }

    /// The item's available units summed over its locations; `None` when no location reported.
    pub async fn levels_sum(&mut self, shop: &str, item: &str) -> Result<Option<i64>> {
        let row = sqlx::query(
            "SELECT COUNT(*), CAST(COALESCE(SUM(available), 0) AS BIGINT) FROM inventory_levels \
             WHERE shop = $1 AND inventory_item_id = $2",
        )
        .bind(shop)
        .bind(item)
        .fetch_one(&mut *self.0)
        .await?;
        Ok((row.get::<i64, _>(0) > 0).then(|| row.get(1)))
    }

    /// Replaces a product and its variants (and forgets its removal); the row's `updated_at`
    /// is `now` when Shopify gave none.
    pub async fn replace_product(
        &mut self,
        shop: &str,
        product: &ProductRow,
        variants: &[VariantRow],
        now: i64,
    ) -> Result<()> {
        sqlx::query("DELETE FROM catalog_variants WHERE shop = $1 AND product_id = $2")
            .bind(shop)
            .bind(&product.id)
            .execute(&mut *self.0)
            .await?;
        sqlx::query("DELETE FROM catalog_removed_products WHERE shop = $1 AND product_id = $2")
            .bind(shop)
            .bind(&product.id)
            .execute(&mut *self.0)
            .await?;
        sqlx::query(
            "INSERT INTO catalog_products (shop, product_id, data, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (shop, product_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at",
        )
        .bind(shop)
        .bind(&product.id)
        .bind(product.data.to_string())
        .bind(product.updated_at.or(Some(now)))
        .execute(&mut *self.0)
        .await?;
        for v in variants {
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
            .execute(&mut *self.0)
            .await?;
        }
        Ok(())
    }

    /// Removes a product and its variants, remembering when (so older updates stay out).
    pub async fn remove_product(&mut self, shop: &str, id: &str, at: i64) -> Result<()> {
        for table in ["catalog_variants", "catalog_products"] {
            sqlx::query(&format!(
                "DELETE FROM {table} WHERE shop = $1 AND product_id = $2"
            ))
            .bind(shop)
            .bind(id)
            .execute(&mut *self.0)
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
        .execute(&mut *self.0)
        .await?;
        Ok(())
    }

    /// Keeps the level of an item at a location unless a newer one is stored: false when it was
    /// older than the stored one.
    pub async fn upsert_inventory_level(
        &mut self,
        shop: &str,
        item: &str,
        location: &str,
        available: Option<i64>,
        at: i64,
    ) -> Result<bool> {
        let written = sqlx::query(
            "INSERT INTO inventory_levels (shop, inventory_item_id, location_id, available, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (shop, inventory_item_id, location_id) DO UPDATE SET \
             available = excluded.available, updated_at = excluded.updated_at \
             WHERE inventory_levels.updated_at <= excluded.updated_at",
        )
        .bind(shop)
        .bind(item)
        .bind(location)
        .bind(available)
        .bind(at)
        .execute(&mut *self.0)
        .await?
        .rows_affected();
        Ok(written > 0)
    }

    /// The variants that draw on an inventory item.
    pub async fn item_variants(&mut self, shop: &str, item: &str) -> Result<Vec<ItemVariant>> {
        let rows = sqlx::query(
            "SELECT variant_id, data, product_id FROM catalog_variants WHERE shop = $1 AND inventory_item_id = $2",
        )
        .bind(shop)
        .bind(item)
        .fetch_all(&mut *self.0)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ItemVariant {
                    variant_id: r.get(0),
                    data: serde_json::from_str(&r.get::<String, _>(1))?,
                    product_id: r.get(2),
                })
            })
            .collect()
    }

    /// Rewrites a variant's data.
    pub async fn set_variant_data(
        &mut self,
        shop: &str,
        variant: &str,
        data: &Value,
    ) -> Result<()> {
        sqlx::query("UPDATE catalog_variants SET data = $3 WHERE shop = $1 AND variant_id = $2")
            .bind(shop)
            .bind(variant)
            .bind(data.to_string())
            .execute(&mut *self.0)
            .await?;
        Ok(())
    }

    /// Keeps a collection's handle and title unless a newer one is stored.
    pub async fn upsert_collection(
        &mut self,
        shop: &str,
        id: &str,
        handle: &str,
        title: &str,
        at: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO catalog_collections (shop, collection_id, handle, title, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (shop, collection_id) DO UPDATE SET \
             handle = excluded.handle, title = excluded.title, updated_at = excluded.updated_at \
             WHERE catalog_collections.updated_at <= excluded.updated_at",
        )
        .bind(shop)
        .bind(id)
        .bind(handle)
        .bind(title)
        .bind(at)
        .execute(&mut *self.0)
        .await?;
        Ok(())
    }

    /// Bumps the shop's `data_version` and logs the products the change touched, in this
    /// transaction (the one that made the change), so caches can re-read only those.
    pub async fn record_change(&mut self, shop: &str, products: &BTreeSet<String>) -> Result<()> {
        sqlx::query("UPDATE shops SET data_version = data_version + 1 WHERE domain = $1")
            .bind(shop)
            .execute(&mut *self.0)
            .await?;
        let ids = serde_json::to_string(products).unwrap_or_else(|_| "[]".into());
        sqlx::query(
            "INSERT INTO facts_changes (shop, data_version, product_ids) \
             SELECT domain, data_version, $2 FROM shops WHERE domain = $1",
        )
        .bind(shop)
        .bind(ids)
        .execute(&mut *self.0)
        .await?;
        sqlx::query(
            "DELETE FROM facts_changes WHERE shop = $1 AND data_version <= \
             (SELECT data_version FROM shops WHERE domain = $1) - $2",
        )
        .bind(shop)
        .bind(KEPT_CHANGES)
        .execute(&mut *self.0)
        .await?;
        Ok(())
    }
}
