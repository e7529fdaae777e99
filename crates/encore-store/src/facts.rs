//! The reads behind the offer path's facts cache: one read-only snapshot per load (repeatable
//! read on PostgreSQL), the change log since a version, and the notifications other instances'
//! changes send (PostgreSQL `LISTEN`).

use std::collections::BTreeSet;

use serde_json::Value;
use sqlx::{Any, Row, Transaction};

use crate::{Backend, Result, Store, StoreError};

/// The catalog rows a load reads: products `(id, facts)`, variants `(product id, variant id,
/// data)`.
#[derive(Debug, Clone, Default)]
pub struct CatalogRows {
    pub products: Vec<(String, Value)>,
    pub variants: Vec<(String, String, Value)>,
}

/// A co-purchase pair the offers read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoPurchase {
    pub product_id: String,
    pub suggested_product_id: String,
    pub lift_permille: i64,
}

/// A read-only snapshot; [`Snapshot::end`] releases it.
pub struct Snapshot(Transaction<'static, Any>);

impl Store {
    /// Opens a snapshot on the read pool.
    pub async fn snapshot(&self) -> Result<Snapshot> {
        let mut tx = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await?;
        }
        Ok(Snapshot(tx))
    }
}

impl Snapshot {
    /// The shop's `data_version` and `created_at`; `None` for a shop Encore does not know.
    pub async fn shop_version(&mut self, shop: &str) -> Result<Option<(i64, i64)>> {
        Ok(
            sqlx::query("SELECT data_version, created_at FROM shops WHERE domain = $1")
                .bind(shop)
                .fetch_optional(&mut *self.0)
                .await?
                .map(|row| (row.get(0), row.get(1))),
        )
    }

    /// The products changed after version `from` up to `to`, when the log has every version
    /// between and they are at most `max`.
    pub async fn changed_products(
        &mut self,
        shop: &str,
        from: i64,
        to: i64,
        max: usize,
    ) -> Result<Option<BTreeSet<String>>> {
        let rows = sqlx::query(
            "SELECT product_ids FROM facts_changes WHERE shop = $1 AND data_version > $2 \
             AND data_version <= $3",
        )
        .bind(shop)
        .bind(from)
        .bind(to)
        .fetch_all(&mut *self.0)
        .await?;
        if rows.len() as i64 != to - from {
            return Ok(None);
        }
        let mut changed = BTreeSet::new();
        for r in &rows {
            let ids: Vec<String> = serde_json::from_str(&r.get::<String, _>(0))?;
            changed.extend(ids);
            if changed.len() > max {
                return Ok(None);
            }
        }
        Ok(Some(changed))
    }

    /// The live config.
    pub async fn live_config(&mut self, shop: &str) -> Result<Option<Value>> {
        Ok(sqlx::query(
            "SELECT config FROM config_versions WHERE shop = $1 ORDER BY version DESC LIMIT 1",
        )
        .bind(shop)
        .fetch_optional(&mut *self.0)
        .await?
        .map(|r| serde_json::from_str::<Value>(&r.get::<String, _>(0)))
        .transpose()?)
    }

    /// The live catalog's products and variants: all of them, or those of `only` products.
    pub async fn catalog_of(
        &mut self,
        shop: &str,
        only: Option<&BTreeSet<String>>,
    ) -> Result<CatalogRows> {
        let (products_sql, variants_sql) = match only {
            None => (
                "SELECT product_id, data FROM catalog_products WHERE shop = $1".to_string(),
                "SELECT product_id, variant_id, data FROM catalog_variants WHERE shop = $1"
                    .to_string(),
            ),
            Some(ids) => {
                let list = (0..ids.len())
                    .map(|i| format!("${}", i + 2))
                    .collect::<Vec<_>>()
                    .join(", ");
                (
                    format!(
                        "SELECT product_id, data FROM catalog_products WHERE shop = $1 \
                         AND product_id IN ({list})"
                    ),
                    format!(
                        "SELECT product_id, variant_id, data FROM catalog_variants WHERE shop = $1 \
                         AND product_id IN ({list})"
                    ),
                )
            }
        };
        let mut products = sqlx::query_as::<_, (String, String)>(&products_sql).bind(shop);
        let mut variants = sqlx::query_as::<_, (String, String, String)>(&variants_sql).bind(shop);
        for id in only.into_iter().flatten() {
            products = products.bind(id);
            variants = variants.bind(id);
        }
        let products = products.fetch_all(&mut *self.0).await?;
        let variants = variants.fetch_all(&mut *self.0).await?;
        Ok(CatalogRows {
            products: products
                .into_iter()
                .map(|(id, data)| Ok((id, serde_json::from_str(&data)?)))
                .collect::<Result<_>>()?,
            variants: variants
                .into_iter()
                .map(|(product, variant, data)| {
                    Ok((product, variant, serde_json::from_str(&data)?))
                })
                .collect::<Result<_>>()?,
        })
    }

    /// The pairs loaded by hand (version 0) and the live mined version, by product and
    /// suggestion; a pair in both is the hand-loaded one.
    pub async fn live_co_purchases(&mut self, shop: &str) -> Result<Vec<CoPurchase>> {
        let rows = sqlx::query(
            "SELECT product_id, suggested_product_id, lift_permille FROM co_purchases WHERE shop = $1 \
             AND (version = 0 OR version = (SELECT live_version FROM co_purchase_versions WHERE shop = $1)) \
             ORDER BY product_id, suggested_product_id, version",
        )
        .bind(shop)
        .fetch_all(&mut *self.0)
        .await?;
        let mut previous: Option<(String, String)> = None;
        Ok(rows
            .iter()
            .filter(|r| {
                let pair = (r.get::<String, _>(0), r.get::<String, _>(1));
                previous.replace(pair.clone()) != Some(pair)
            })
            .map(|r| CoPurchase {
                product_id: r.get(0),
                suggested_product_id: r.get(1),
                lift_permille: r.get(2),
            })
            .collect())
    }

    /// Ends the snapshot (it wrote nothing).
    pub async fn end(self) -> Result<()> {
        self.0.rollback().await?;
        Ok(())
    }
}

/// Other instances' changes as PostgreSQL notifies them (`shop version` payloads).
pub struct Notifications(sqlx::postgres::PgListener);

impl Notifications {
    pub async fn connect(url: &str) -> Result<Self> {
        Ok(Self(
            sqlx::postgres::PgListener::connect(url)
                .await
                .map_err(StoreError::Connect)?,
        ))
    }

    pub async fn listen(&mut self, channel: &str) -> Result<()> {
        self.0.listen(channel).await?;
        Ok(())
    }

    /// The next notification's payload.
    pub async fn recv(&mut self) -> Result<String> {
        Ok(self.0.recv().await?.payload().to_string())
    }
}
