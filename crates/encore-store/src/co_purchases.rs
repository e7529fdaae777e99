//! Co-purchase pairs loaded by hand (version 0), and the refunds of each mined pair's offers.

use sqlx::Row;

use crate::decisions::SuggestedPair;
use crate::{Result, Store};

/// Units of a pair's offers that attribution confirmed on orders, and those refunded since.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairRefunds {
    pub pair: SuggestedPair,
    pub accepted_units: i64,
    pub refunded_units: i64,
}

impl Store {
    /// Upserts co-purchase pairs loaded by hand (version 0, beside the mined versions):
    /// (product id, suggested product id, lift in permille).
    pub async fn upsert_co_purchases(
        &self,
        shop: &str,
        pairs: &[(String, String, i64)],
    ) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        self.bump(&mut tx, shop).await?;
        for (a, b, lift) in pairs {
            sqlx::query(
                "INSERT INTO co_purchases (shop, product_id, suggested_product_id, lift_permille) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (shop, version, product_id, suggested_product_id) DO UPDATE SET lift_permille = excluded.lift_permille",
            )
            .bind(shop)
            .bind(a)
            .bind(b)
            .bind(*lift)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Per pair of the shop, the offer units confirmed on orders and refunded (a cancelled order
    /// refunds every offer unit: `attribution::recompute_refunds`).
    pub async fn pair_refunds(&self, shop: &str) -> Result<Vec<PairRefunds>> {
        let rows = sqlx::query(
            "SELECT d.pair_product_id, d.pair_suggested_product_id, CAST(SUM(o.units) AS BIGINT), \
             CAST(SUM(o.refunded_units) AS BIGINT) \
             FROM offer_lines o JOIN decisions d ON d.id = o.decision_id \
             WHERE o.shop = $1 AND d.pair_product_id IS NOT NULL AND d.pair_suggested_product_id IS NOT NULL \
             GROUP BY d.pair_product_id, d.pair_suggested_product_id \
             ORDER BY d.pair_product_id, d.pair_suggested_product_id",
        )
        .bind(shop)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| PairRefunds {
                pair: SuggestedPair {
                    product_id: r.get(0),
                    suggested_product_id: r.get(1),
                },
                accepted_units: r.get(2),
                refunded_units: r.get(3),
            })
            .collect())
    }
}
