//! A write transaction the use cases hold while they decide: a delivery's receipt, its effect
//! and the change log commit together, and the SQL stays in this crate.

use sqlx::{Any, Transaction};

use crate::{Result, Store};

/// An open write transaction; dropped without [`Tx::commit`], it rolls back.
pub struct Tx(pub(crate) Transaction<'static, Any>);

impl Tx {
    pub async fn commit(self) -> Result<()> {
        self.0.commit().await?;
        Ok(())
    }
}

impl Store {
    /// Records a webhook delivery's receipt as the first statement of a write transaction
    /// (SQLite takes the write lock at once): `None` when this delivery id was handled before.
    /// The receipt commits with whatever the caller writes next.
    pub async fn begin_delivery(
        &self,
        webhook_id: &str,
        shop: &str,
        topic: &str,
        now: i64,
    ) -> Result<Option<Tx>> {
        let mut tx = self.writer.begin().await?;
        let new = sqlx::query(
            "INSERT INTO webhook_receipts (webhook_id, shop, topic, received_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (webhook_id) DO NOTHING",
        )
        .bind(webhook_id)
        .bind(shop)
        .bind(topic)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        Ok(new.then_some(Tx(tx)))
    }
}
