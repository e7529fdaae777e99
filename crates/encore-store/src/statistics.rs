//! Offer statistics as the Function reads them.

use serde_json::Value;
use sqlx::Row;

use crate::{Result, Store};

impl Store {
    /// Offer statistics as the Function's `offerStats` list.
    pub async fn offer_stats(&self, shop: &str) -> Result<Vec<Value>> {
        let rows = sqlx::query(
            "SELECT campaign_id, step_id, accepts, accepted_units, refunded_units FROM offer_stats \
             WHERE shop = $1 ORDER BY campaign_id, step_id",
        )
        .bind(shop)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| {
                serde_json::json!({
                    "campaignId": r.get::<String, _>(0),
                    "stepId": r.get::<String, _>(1),
                    "accepts": r.get::<i64, _>(2),
                    "acceptedUnits": r.get::<i64, _>(3),
                    "refundedUnits": r.get::<i64, _>(4),
                })
            })
            .collect())
    }

    /// Sets offer statistics (campaign, step, accepts, accepted units, refunded units), as a
    /// loader or a refunds webhook would.
    pub async fn upsert_offer_stats(
        &self,
        shop: &str,
        stats: &[(String, String, i64, i64, i64)],
    ) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        for (campaign, step, accepts, units, refunded) in stats {
            sqlx::query(
                "INSERT INTO offer_stats (shop, campaign_id, step_id, accepts, accepted_units, refunded_units) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (shop, campaign_id, step_id) DO UPDATE SET \
                 accepts = excluded.accepts, accepted_units = excluded.accepted_units, refunded_units = excluded.refunded_units",
            )
            .bind(shop)
            .bind(campaign)
            .bind(step)
            .bind(*accepts)
            .bind(*units)
            .bind(*refunded)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
