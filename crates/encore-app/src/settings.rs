//! The settings the use cases take, as plain values: the server reads and checks them from its
//! environment; nothing here parses variables.

use std::time::Duration;

/// How the use cases pace themselves and how long they keep and wait, already read and
/// checked.
#[derive(Debug, Clone)]
pub struct AppSettings {
    /// How long rows are kept and how often they are pruned.
    pub retention: RetentionSettings,
    /// How long an accepted offer may take to show up on an order before analytics reports it
    /// as unconfirmed.
    pub attribution_window: Duration,
    /// How often the attribution reconciler runs a pass over every shop; `None`: never.
    pub reconcile_every: Option<Duration>,
    /// How often idle shops' refresh tokens are checked.
    pub refresh_sweep: Duration,
    /// How old a shop's last order history import may get before a scheduled import refreshes
    /// its co-purchases; `None`: never.
    pub mining_refresh: Option<Duration>,
    /// How long an offer waits for the buyer's facts from the Admin API.
    pub customer_facts_budget: Duration,
}

/// Default for ENCORE_RETENTION_DECISIONS_DAYS: a year of seasons to compare with the next,
/// plus a month for refunds and chargebacks that come back late.
pub const DEFAULT_DECISIONS_DAYS: u32 = 400;
/// Default for ENCORE_RETENTION_WEBHOOKS_DAYS: receipts only stop redeliveries from being handled
/// twice, and Shopify retries a failed delivery for hours, not weeks.
pub const DEFAULT_WEBHOOK_RECEIPTS_DAYS: u32 = 30;
/// Default for ENCORE_RETENTION_DATA_REQUESTS_DAYS: Shopify gives the merchant 30 days to answer
/// a customer's data request; three times that leaves room to fetch the export late.
pub const DEFAULT_DATA_REQUESTS_DAYS: u32 = 90;
/// Default for ENCORE_RETENTION_EVERY_MINUTES.
pub const DEFAULT_EVERY_MINUTES: u32 = 60;

/// How long rows are kept, in days; `None` keeps them forever.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionSettings {
    /// Decisions with their events and funnels (ENCORE_RETENTION_DECISIONS_DAYS).
    pub decisions_days: Option<u32>,
    /// Webhook receipts (ENCORE_RETENTION_WEBHOOKS_DAYS).
    pub webhook_receipts_days: Option<u32>,
    /// Customer data requests (ENCORE_RETENTION_DATA_REQUESTS_DAYS).
    pub data_requests_days: Option<u32>,
    /// How often the background task prunes; `None` runs it only when asked
    /// (ENCORE_RETENTION_EVERY_MINUTES).
    pub every: Option<Duration>,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        Self {
            decisions_days: Some(DEFAULT_DECISIONS_DAYS),
            webhook_receipts_days: Some(DEFAULT_WEBHOOK_RECEIPTS_DAYS),
            data_requests_days: Some(DEFAULT_DATA_REQUESTS_DAYS),
            every: Some(Duration::from_secs(u64::from(DEFAULT_EVERY_MINUTES) * 60)),
        }
    }
}
