//! Co-purchase pairs loaded by hand (version 0).

use crate::{Result, Store};

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
}
