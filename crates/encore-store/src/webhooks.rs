//! Webhook deliveries: once per delivery id, the ones that failed, and per-topic activity.

use sqlx::Row;

use crate::{Result, Store};

/// Failures are kept this long.
const FAILURES_KEPT_SECONDS: i64 = 30 * 24 * 3600;

/// One topic's handled deliveries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicReceipts {
    pub topic: String,
    pub last_received_at: Option<i64>,
    /// Deliveries received since the window's start.
    pub received: i64,
}

/// A signed delivery Encore could not handle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookFailure {
    pub topic: String,
    pub failed_at: i64,
    pub error: String,
}

/// A shop's webhook deliveries since a time: receipts per topic, failures newest first.
#[derive(Debug, Clone, Default)]
pub struct WebhookActivity {
    pub received: Vec<TopicReceipts>,
    pub failures: Vec<WebhookFailure>,
}

impl Store {
    /// Records a webhook delivery; false when this delivery id was handled before.
    pub async fn record_webhook(
        &self,
        webhook_id: &str,
        shop: &str,
        topic: &str,
        now: i64,
    ) -> Result<bool> {
        let inserted = sqlx::query(
            "INSERT INTO webhook_receipts (webhook_id, shop, topic, received_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (webhook_id) DO NOTHING",
        )
        .bind(webhook_id)
        .bind(shop)
        .bind(topic)
        .bind(now)
        .execute(&self.writer)
        .await?;
        Ok(inserted.rows_affected() == 1)
    }

    /// True when this delivery id was handled before.
    pub async fn webhook_seen(&self, webhook_id: &str) -> Result<bool> {
        Ok(
            sqlx::query("SELECT 1 FROM webhook_receipts WHERE webhook_id = $1")
                .bind(webhook_id)
                .fetch_optional(&self.pool)
                .await?
                .is_some(),
        )
    }

    /// Records a signed webhook delivery Encore could not handle (and forgets old ones).
    pub async fn record_webhook_failure(
        &self,
        shop: &str,
        topic: &str,
        error: &str,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("DELETE FROM webhook_failures WHERE shop = $1 AND failed_at < $2")
            .bind(shop)
            .bind(now - FAILURES_KEPT_SECONDS)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO webhook_failures (shop, topic, failed_at, error) VALUES ($1, $2, $3, $4)",
        )
        .bind(shop)
        .bind(topic)
        .bind(now)
        .bind(error.chars().take(500).collect::<String>())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Receipts per topic (the latest ever, the count since `since`) and failures since `since`.
    pub async fn webhook_activity(&self, shop: &str, since: i64) -> Result<WebhookActivity> {
        let received = sqlx::query(
            "SELECT topic, MAX(received_at), SUM(CASE WHEN received_at >= $2 THEN 1 ELSE 0 END) \
             FROM webhook_receipts WHERE shop = $1 GROUP BY topic",
        )
        .bind(shop)
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        let failed = sqlx::query(
            "SELECT topic, failed_at, error FROM webhook_failures WHERE shop = $1 AND failed_at >= $2 \
             ORDER BY failed_at DESC",
        )
        .bind(shop)
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        let mut activity = WebhookActivity::default();
        for r in &received {
            activity.received.push(TopicReceipts {
                topic: r.try_get(0)?,
                last_received_at: r.try_get(1)?,
                received: r.try_get::<Option<i64>, _>(2)?.unwrap_or(0),
            });
        }
        for r in &failed {
            activity.failures.push(WebhookFailure {
                topic: r.try_get(0)?,
                failed_at: r.try_get(1)?,
                error: r.try_get(2)?,
            });
        }
        Ok(activity)
    }
}
