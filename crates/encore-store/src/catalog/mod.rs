//! The catalog: rows ready for its tables, the live catalog loaded by hand (operator routes,
//! the demo seed), a full sync's staging generation and its status.

pub mod generation;
pub mod live;
pub mod status;

use serde_json::Value;
use sqlx::Row;

use crate::{Result, Store};

/// A product row ready for the catalog tables.
#[derive(Debug, Clone)]
pub struct ProductRow {
    pub id: String,
    pub updated_at: Option<i64>,
    pub data: Value,
}

/// A variant row ready for the catalog tables.
#[derive(Debug, Clone)]
pub struct VariantRow {
    pub id: String,
    pub product_id: String,
    pub inventory_item_id: Option<String>,
    pub data: Value,
}

/// An inventory item's level at one location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LevelRow {
    pub location_id: String,
    pub available: i64,
    pub updated_at: i64,
}

/// A collection as the catalog keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionRow {
    pub id: String,
    pub title: String,
    pub handle: String,
}

/// A product to upsert: (product id, product facts, [(variant id, variant data)]).
pub type CatalogProduct = (String, Value, Vec<(String, Value)>);

impl Store {
    /// True when the shop sells the item and has no level of it yet.
    pub async fn item_unreported(&self, shop: &str, item: &str) -> Result<bool> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM catalog_variants WHERE shop = $1 AND inventory_item_id = $2), \
             (SELECT COUNT(*) FROM inventory_levels WHERE shop = $1 AND inventory_item_id = $2)",
        )
        .bind(shop)
        .bind(item)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.get::<i64, _>(0) > 0 && row.get::<i64, _>(1) == 0)
    }

    /// Upserts an item's levels, never over a newer one (a webhook that came in meanwhile).
    pub async fn fill_levels(&self, shop: &str, item: &str, levels: &[LevelRow]) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        for level in levels {
            sqlx::query(
                "INSERT INTO inventory_levels (shop, inventory_item_id, location_id, available, updated_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (shop, inventory_item_id, location_id) DO UPDATE SET \
                 available = excluded.available, updated_at = excluded.updated_at \
                 WHERE inventory_levels.updated_at < excluded.updated_at",
            )
            .bind(shop)
            .bind(item)
            .bind(&level.location_id)
            .bind(level.available)
            .bind(level.updated_at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The shop's collections.
    pub async fn collections(&self, shop: &str) -> Result<Vec<CollectionRow>> {
        let rows = sqlx::query(
            "SELECT collection_id, title, handle FROM catalog_collections WHERE shop = $1",
        )
        .bind(shop)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CollectionRow {
                    id: r.try_get(0)?,
                    title: r.try_get(1)?,
                    handle: r.try_get(2)?,
                })
            })
            .collect()
    }

    /// Upserts products (facts) and their variants. Each item: (product id, product facts,
    /// [(variant id, variant data)]).
    pub async fn upsert_catalog(&self, shop: &str, products: &[CatalogProduct]) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        self.bump(&mut tx, shop).await?;
        for (product_id, facts, variants) in products {
            sqlx::query(
                "INSERT INTO catalog_products (shop, product_id, data) VALUES ($1, $2, $3) \
                 ON CONFLICT (shop, product_id) DO UPDATE SET data = excluded.data",
            )
            .bind(shop)
            .bind(product_id)
            .bind(serde_json::to_string(facts)?)
            .execute(&mut *tx)
            .await?;
            for (variant_id, data) in variants {
                sqlx::query(
                    "INSERT INTO catalog_variants (shop, variant_id, product_id, data) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (shop, variant_id) DO UPDATE SET product_id = excluded.product_id, data = excluded.data",
                )
                .bind(shop)
                .bind(variant_id)
                .bind(product_id)
                .bind(serde_json::to_string(data)?)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}
