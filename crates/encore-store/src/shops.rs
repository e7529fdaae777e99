//! Shops: the row offers start from, its `data_version`, and the compliance redactions.

use sqlx::Row;

use crate::{Result, Store};

/// A shop row.
#[derive(Debug, Clone)]
pub struct ShopRow {
    pub domain: String,
    pub currency_code: String,
    pub data_version: i64,
    /// app/uninstalled arrived and no reinstall since: offers stop (data kept until shop/redact).
    pub uninstalled: bool,
}

impl crate::Tx {
    /// True when Encore knows the shop and it is installed.
    pub async fn shop_installed(&mut self, shop: &str) -> Result<bool> {
        Ok(
            sqlx::query("SELECT 1 FROM shops WHERE domain = $1 AND uninstalled_at IS NULL")
                .bind(shop)
                .fetch_optional(&mut *self.0)
                .await?
                .is_some(),
        )
    }
}

impl Store {
    pub async fn upsert_shop(&self, domain: &str, currency_code: &str, now: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO shops (domain, currency_code, data_version, created_at) VALUES ($1, $2, 1, $3) \
             ON CONFLICT (domain) DO UPDATE SET currency_code = excluded.currency_code, \
             data_version = shops.data_version + 1",
        )
        .bind(domain)
        .bind(currency_code)
        .bind(now)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub async fn shop(&self, domain: &str) -> Result<Option<ShopRow>> {
        let row = sqlx::query(
            "SELECT domain, currency_code, data_version, uninstalled_at FROM shops WHERE domain = $1",
        )
        .bind(domain)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| ShopRow {
            domain: r.get(0),
            currency_code: r.get(1),
            data_version: r.get(2),
            uninstalled: r.get::<Option<i64>, _>(3).is_some(),
        }))
    }

    /// Every shop's domain, in order.
    pub async fn shop_domains(&self) -> Result<Vec<String>> {
        Ok(
            sqlx::query_scalar("SELECT domain FROM shops ORDER BY domain")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    pub(crate) async fn bump(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        shop: &str,
    ) -> Result<()> {
        sqlx::query("UPDATE shops SET data_version = data_version + 1 WHERE domain = $1")
            .bind(shop)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Deletes what Encore keeps about one customer of a shop (`customers/redact`): their facts
    /// and data requests, and the link from their purchases' decisions to them.
    pub async fn redact_customer(&self, shop: &str, customer_id: &str) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        self.bump(&mut tx, shop).await?;
        for sql in [
            "DELETE FROM customers WHERE shop = $1 AND customer_id = $2",
            "DELETE FROM data_requests WHERE shop = $1 AND customer_id = $2",
            "UPDATE decisions SET customer_id = NULL WHERE shop = $1 AND customer_id = $2",
        ] {
            sqlx::query(sql)
                .bind(shop)
                .bind(customer_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Deletes everything Encore keeps about a shop (`shop/redact`, 48 hours after uninstall).
    pub async fn redact_shop(&self, shop: &str) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "DELETE FROM events WHERE decision_id IN (SELECT id FROM decisions WHERE shop = $1)",
        )
        .bind(shop)
        .execute(&mut *tx)
        .await?;
        for table in [
            "offer_lines",
            "decision_orders",
            "refund_lines",
            "order_edit_additions",
            "attribution_orders",
            "decisions",
            "funnels",
            "offer_stats",
            "co_purchases",
            // Co-purchase mining (migrations 0010 and 0011).
            "co_purchase_versions",
            "mining_inbox",
            "mining_checkpoints",
            "mining_checkpoint_parts",
            "mining_runs",
            "customers",
            "catalog_variants",
            "catalog_products",
            // Catalog sync (migration 0006).
            "catalog_staging_variants",
            "catalog_staging_products",
            "catalog_syncs",
            "catalog_removed_products",
            "inventory_levels",
            "catalog_collections",
            // Facts cache change log (migration 0009).
            "facts_changes",
            "config_audit",
            "webhook_failures",
            "config_versions",
            "data_requests",
            "shop_credentials",
        ] {
            sqlx::query(&format!("DELETE FROM {table} WHERE shop = $1"))
                .bind(shop)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("DELETE FROM shops WHERE domain = $1")
            .bind(shop)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
