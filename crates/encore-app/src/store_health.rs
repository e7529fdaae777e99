//! Store status for the merchant (the server's `GET /api/store-health?shop=`): per webhook topic Encore
//! subscribes to, when a delivery last arrived and which failed; the offer Function's recent
//! runs for this shop with the instructions they executed against Shopify's limit. Read from
//! the database, so every instance answers the same (process metrics stay at `/metrics`).

use serde::Serialize;

use crate::clock::rfc3339;
use encore_store::{Store, StoreError};

/// The topics shopify.app.toml subscribes to (a test keeps the two lists equal).
pub const SUBSCRIBED_TOPICS: [&str; 13] = [
    "orders/edited",
    "orders/create",
    "refunds/create",
    "products/create",
    "products/update",
    "products/delete",
    "inventory_levels/update",
    "collections/update",
    "bulk_operations/finish",
    "app/uninstalled",
    "customers/data_request",
    "customers/redact",
    "shop/redact",
];

/// The window of the webhook counts.
const WEBHOOK_WINDOW_SECONDS: i64 = 7 * 24 * 3600;
/// The runs the instruction figures cover, newest first.
pub const RECENT_RUNS: i64 = 1000;

/// One topic's deliveries.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TopicHealth {
    pub topic: String,
    pub last_received_at: Option<String>,
    /// Deliveries handled in the last 7 days.
    pub received: i64,
    /// Signed deliveries Encore could not handle in the last 7 days.
    pub failures: i64,
    pub last_failure_at: Option<String>,
    pub last_failure: Option<String>,
}

/// The offer Function's recent runs for the shop.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionHealth {
    /// Runs measured (at most [`RECENT_RUNS`], newest first).
    pub runs: i64,
    /// Of those, the runs that offered something.
    pub offered: i64,
    pub since: Option<String>,
    pub median: Option<u64>,
    pub p95: Option<u64>,
    pub max: Option<u64>,
    /// Shopify's instruction limit for an unscaled input.
    pub limit: u64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreHealth {
    pub shop: String,
    pub webhook_window_days: i64,
    pub webhooks: Vec<TopicHealth>,
    pub function: FunctionHealth,
}

/// The shop's webhook deliveries over the last week and its Function's recent runs, at `now`.
pub async fn store_health(store: &Store, shop: &str, now: i64) -> Result<StoreHealth, StoreError> {
    Ok(StoreHealth {
        shop: shop.to_string(),
        webhook_window_days: WEBHOOK_WINDOW_SECONDS / 86400,
        webhooks: webhook_health(store, shop, now - WEBHOOK_WINDOW_SECONDS).await?,
        function: function_health(store, shop).await?,
    })
}

/// The index of `topic` in `topics`, added (empty) when the shop received one Encore does not
/// subscribe to any more.
fn entry(topics: &mut Vec<TopicHealth>, topic: String) -> usize {
    if let Some(i) = topics.iter().position(|t| t.topic == topic) {
        return i;
    }
    topics.push(TopicHealth::empty(topic));
    topics.len() - 1
}

impl TopicHealth {
    fn empty(topic: String) -> Self {
        Self {
            topic,
            last_received_at: None,
            received: 0,
            failures: 0,
            last_failure_at: None,
            last_failure: None,
        }
    }
}

/// The value at `share` (0..=1) of sorted `values`, by the nearest-rank method.
fn nearest_rank(sorted: &[u64], share: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (share * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

/// Every subscribed topic (and any other the shop received) since `since`, in subscription
/// order.
async fn webhook_health(
    store: &Store,
    shop: &str,
    since: i64,
) -> Result<Vec<TopicHealth>, StoreError> {
    let activity = store.webhook_activity(shop, since).await?;
    let mut topics: Vec<TopicHealth> = SUBSCRIBED_TOPICS
        .iter()
        .map(|t| TopicHealth::empty((*t).to_string()))
        .collect();
    for r in activity.received {
        let i = entry(&mut topics, r.topic);
        topics[i].last_received_at = r.last_received_at.map(rfc3339);
        topics[i].received = r.received;
    }
    for f in activity.failures {
        let i = entry(&mut topics, f.topic);
        topics[i].failures += 1;
        if topics[i].last_failure_at.is_none() {
            topics[i].last_failure_at = Some(rfc3339(f.failed_at));
            topics[i].last_failure = Some(f.error);
        }
    }
    Ok(topics)
}

/// The shop's last [`RECENT_RUNS`] measured Function runs.
async fn function_health(store: &Store, shop: &str) -> Result<FunctionHealth, StoreError> {
    let runs = store.recent_function_runs(shop, RECENT_RUNS).await?;
    let mut counts = Vec::with_capacity(runs.len());
    let mut offered = 0;
    let mut since = None;
    for r in &runs {
        counts.push(u64::try_from(r.instructions).unwrap_or(0));
        offered += i64::from(r.render);
        since = Some(r.created_at);
    }
    counts.sort_unstable();
    Ok(FunctionHealth {
        runs: counts.len() as i64,
        offered,
        since: since.map(rfc3339),
        median: nearest_rank(&counts, 0.5),
        p95: nearest_rank(&counts, 0.95),
        max: counts.last().copied(),
        limit: encore_host::Limits::shopify().instructions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_values_that_were_measured() {
        let v: Vec<u64> = (1..=20).map(|n| n * 100).collect();
        assert_eq!(nearest_rank(&v, 0.5), Some(1000));
        assert_eq!(nearest_rank(&v, 0.95), Some(1900));
        assert_eq!(nearest_rank(&[7], 0.95), Some(7));
        assert_eq!(nearest_rank(&[], 0.5), None);
    }

    #[test]
    fn the_topics_are_the_ones_shopify_app_toml_subscribes_to() {
        let toml = include_str!("../../../shopify.app.toml");
        let mut subscribed: Vec<&str> = toml
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with("topics") || l.starts_with("compliance_topics"))
            .flat_map(|l| l.split('"').skip(1).step_by(2))
            .collect();
        subscribed.sort_unstable();
        let mut ours = SUBSCRIBED_TOPICS.to_vec();
        ours.sort_unstable();
        assert_eq!(ours, subscribed);
    }
}
