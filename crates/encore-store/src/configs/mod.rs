//! Configuration versions: the live one and every accepted one, and their history.

pub mod history;

use serde_json::Value;
use sqlx::Row;

use crate::{Result, Store};

impl Store {
    /// Stores a validated config as the shop's next version and makes it live, recorded in the
    /// history as Encore's own (the demo seed, loading scripts); the admin routes save through
    /// [`Store::save_config`](self::history) with their caller.
    pub async fn put_config(&self, shop: &str, config: &Value, now: i64) -> Result<i64> {
        use self::history::{Actor, SaveOutcome};
        match self
            .save_config(shop, config, None, &Actor::Encore, now, |_| Ok(()))
            .await?
        {
            SaveOutcome::Saved { version, .. } => Ok(version),
            // Without a base nothing is merged and nothing validated here.
            other => unreachable!("a save without a base version ended as {other:?}"),
        }
    }

    pub async fn live_config(&self, shop: &str) -> Result<Option<(i64, Value)>> {
        let row = sqlx::query(
            "SELECT version, config FROM config_versions WHERE shop = $1 ORDER BY version DESC LIMIT 1",
        )
        .bind(shop)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            None => Ok(None),
            Some(r) => {
                let text: String = r.get(1);
                Ok(Some((r.get(0), serde_json::from_str(&text)?)))
            }
        }
    }

    /// Every accepted version: (version, created_at), newest first.
    pub async fn config_versions(&self, shop: &str) -> Result<Vec<(i64, i64)>> {
        let rows = sqlx::query(
            "SELECT version, created_at FROM config_versions WHERE shop = $1 ORDER BY version DESC",
        )
        .bind(shop)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    pub async fn config_version(&self, shop: &str, version: i64) -> Result<Option<Value>> {
        let row =
            sqlx::query("SELECT config FROM config_versions WHERE shop = $1 AND version = $2")
                .bind(shop)
                .bind(version)
                .fetch_optional(&self.pool)
                .await?;
        match row {
            None => Ok(None),
            Some(r) => Ok(Some(serde_json::from_str(&r.get::<String, _>(0))?)),
        }
    }
}
