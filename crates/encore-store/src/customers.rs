//! Customers: facts loaded by the operator or read from Shopify.

use serde_json::Value;
use sqlx::Row;

use crate::{Result, Store};

/// A customer's row in `customers`.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCustomer {
    /// `{id, tags, numberOfOrders, amountSpent: {amount}}`: Shopify's figures as read, or the
    /// operator's as loaded.
    pub data: Value,
    /// When Encore read it from Shopify (unix seconds); `None` for operator-loaded rows.
    pub read_at: Option<i64>,
    /// The purchase (referenceId) it was read for.
    pub read_for: Option<String>,
    /// When the customer's latest order was created, as Shopify said at `read_at`.
    pub last_order_at: Option<i64>,
}

impl Store {
    /// Upserts a customer read from Shopify. No `data_version` bump: customers are not in the
    /// cached shop facts, and a read per purchase must not reload every instance's catalog.
    pub async fn save_customer(&self, shop: &str, c: &StoredCustomer) -> Result<()> {
        let id = c.data.get("id").and_then(Value::as_str).unwrap_or_default();
        sqlx::query(
            "INSERT INTO customers (shop, customer_id, data, read_at, read_for, last_order_at) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (shop, customer_id) DO UPDATE SET data = excluded.data, read_at = excluded.read_at, \
             read_for = excluded.read_for, last_order_at = excluded.last_order_at \
             WHERE customers.read_at IS NOT NULL AND customers.read_at <= excluded.read_at",
        )
        .bind(shop)
        .bind(id)
        .bind(c.data.to_string())
        .bind(c.read_at)
        .bind(&c.read_for)
        .bind(c.last_order_at)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub async fn upsert_customers(&self, shop: &str, customers: &[(String, Value)]) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        self.bump(&mut tx, shop).await?;
        for (id, data) in customers {
            sqlx::query(
                "INSERT INTO customers (shop, customer_id, data) VALUES ($1, $2, $3) \
                 ON CONFLICT (shop, customer_id) DO UPDATE SET data = excluded.data, \
                 read_at = NULL, read_for = NULL, last_order_at = NULL",
            )
            .bind(shop)
            .bind(id)
            .bind(serde_json::to_string(data)?)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn customer(&self, shop: &str, id: &str) -> Result<Option<Value>> {
        let row = sqlx::query("SELECT data FROM customers WHERE shop = $1 AND customer_id = $2")
            .bind(shop)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            None => Ok(None),
            Some(r) => Ok(Some(serde_json::from_str(&r.get::<String, _>(0))?)),
        }
    }
}

/// A customer row as `purchase_state` selects it: `data`, `read_at`, `read_for`,
/// `last_order_at`.
pub(crate) fn from_columns(row: &sqlx::any::AnyRow, at: usize) -> Result<Option<StoredCustomer>> {
    let Some(data) = row.get::<Option<String>, _>(at) else {
        return Ok(None);
    };
    Ok(Some(StoredCustomer {
        data: serde_json::from_str(&data)?,
        read_at: row.get(at + 1),
        read_for: row.get(at + 2),
        last_order_at: row.get(at + 3),
    }))
}
