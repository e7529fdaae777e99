//! Durable storage on SQLite (default, one WAL file) or PostgreSQL, through sqlx's `Any` driver.
//!
//! The SQL is written once for both backends (numbered `$n` parameters, `ON CONFLICT`,
//! `COUNT(CASE …)`); the schema has one migration directory per backend because the DDL
//! differs in little ways. Writes that must not double-count are single conditional
//! statements inside a transaction whose first statement is a write, so SQLite never has to
//! upgrade a read lock and PostgreSQL needs no explicit row locks.

use std::str::FromStr;
use std::sync::LazyLock;
use std::time::Duration;

use serde_json::Value;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor, Row};

/// A storage failure, with what the operator can do about it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("ENCORE_DATABASE_URL must start with sqlite:// or postgres:// (got {0})")]
    UnsupportedUrl(String),
    #[error("cannot open the database: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("cannot migrate the database schema: {0}")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("stored JSON is corrupt: {0}")]
    Json(#[from] serde_json::Error),
}

type Result<T> = std::result::Result<T, StoreError>;

/// Which database the store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The connection pools and the backend they speak to.
#[derive(Clone)]
pub struct Store {
    /// Reads (and, on PostgreSQL, everything).
    pool: AnyPool,
    /// Writes. On SQLite one connection: SQLite has one writer at a time, and writers that
    /// find the lock taken sleep in its busy handler for milliseconds; queueing them here
    /// instead keeps the latency tail short. On PostgreSQL the same pool as reads.
    writer: AnyPool,
    backend: Backend,
}

/// A product to upsert: (product id, product facts, [(variant id, variant data)]).
pub type CatalogProduct = (String, Value, Vec<(String, Value)>);

/// A shop row.
#[derive(Debug, Clone)]
pub struct ShopRow {
    pub domain: String,
    pub currency_code: String,
    pub data_version: i64,
    /// app/uninstalled arrived and no reinstall since: offers stop (data kept until shop/redact).
    pub uninstalled: bool,
}

/// A purchase's funnel position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunnelRow {
    pub seq: i64,
    pub campaign_id: Option<String>,
    pub step_id: Option<String>,
}

impl FunnelRow {
    /// Where a purchase without a funnel row is: before its first answered offer.
    pub const START: FunnelRow = FunnelRow {
        seq: 0,
        campaign_id: None,
        step_id: None,
    };
}

/// What an offer request starts from.
#[derive(Debug, Clone)]
pub struct PurchaseState {
    pub shop: ShopRow,
    pub funnel: FunnelRow,
    pub decisions: Vec<DecisionRow>,
    /// The buyer's stored facts when the purchase names a known customer.
    pub customer: Option<crate::customer_facts::StoredCustomer>,
}

/// A stored decision.
#[derive(Debug, Clone)]
pub struct DecisionRow {
    pub id: String,
    pub shop: String,
    pub reference_id: String,
    pub seq: i64,
    pub render: bool,
    pub campaign_id: Option<String>,
    pub step_id: Option<String>,
    pub experiment_id: Option<String>,
    pub arm_id: Option<String>,
    pub next_on_accept: Option<String>,
    pub next_on_decline: Option<String>,
    pub offer: Option<String>,
    pub reasons: String,
    pub changes: Option<String>,
    pub offer_amount: Option<String>,
    pub currency_code: Option<String>,
    pub variant_ids: String,
    pub product_ids: String,
    pub units: i64,
    pub shown: bool,
    pub outcome: Option<String>,
    /// For an `auto` offer, the co-purchase pair that suggested its product (mining demotes
    /// pairs whose offers are refunded: `mining::pairs`).
    pub pair: Option<SuggestedPair>,
}

/// A co-purchase pair: after buying `product_id`, `suggested_product_id` was offered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuggestedPair {
    pub product_id: String,
    pub suggested_product_id: String,
}

/// What happened to an offer on the post-purchase page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Shown,
    Accepted,
    Declined,
    /// Shopify's calculateChangeset priced the offer differently (or could not price it): the
    /// extension did not show it. The decision and the funnel stay as they are.
    PriceMismatch,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Shown => "shown",
            EventKind::Accepted => "accepted",
            EventKind::Declined => "declined",
            EventKind::PriceMismatch => "price_mismatch",
        }
    }
}

/// An event to record for a decision.
#[derive(Debug, Clone, Copy)]
pub struct NewEvent<'a> {
    pub kind: EventKind,
    /// Shopify's status (applyChangeset's, or calculateChangeset's for a price mismatch).
    pub status: Option<&'a str>,
    /// Shopify's errors, as JSON text.
    pub errors: Option<&'a str>,
    /// A price mismatch's amounts, as JSON text.
    pub detail: Option<&'a str>,
    /// False for an accept whose changeset Shopify did not process.
    pub accepted_ok: bool,
}

/// A `price_mismatch` event as the merchant sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceMismatchRow {
    pub decision_id: String,
    pub campaign_id: Option<String>,
    pub step_id: Option<String>,
    /// `{"currencyCode", "expected", "calculated"}` as the extension reported it (JSON text).
    pub detail: Option<String>,
    pub status: Option<String>,
    /// Shopify's errors when it could not calculate (JSON text).
    pub errors: Option<String>,
    pub created_at: i64,
}

/// What recording an event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventEffect {
    /// The same event was already recorded for this decision: nothing changed.
    Duplicate,
    /// Recorded; the funnel advanced if this answered the purchase's current step.
    Recorded { advanced: bool },
}

/// Per-shop totals for the analytics summary.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub decisions: i64,
    pub offers: i64,
    pub shown: i64,
    pub accepted: i64,
    pub declined: i64,
    /// What buyers paid for offer units attribution found on their orders, in minor units of
    /// the shop currency, and what was refunded of them (cancellations included).
    pub confirmed_revenue_minor: i64,
    pub refunded_minor: i64,
    pub price_mismatches: i64,
    /// The latest price mismatches, newest first (at most [`LATEST_PRICE_MISMATCHES`]).
    pub latest_price_mismatches: Vec<PriceMismatchRow>,
}

/// How many of the latest price mismatches the summary lists.
pub const LATEST_PRICE_MISMATCHES: i64 = 20;

const DECISION_COLUMNS: &str =
    "id, shop, reference_id, seq, render, campaign_id, step_id, experiment_id, arm_id, \
     next_on_accept, next_on_decline, offer, reasons, changes, offer_amount, currency_code, \
     variant_ids, product_ids, units, shown, outcome, pair_product_id, pair_suggested_product_id";

impl Store {
    /// Opens (creating if needed) and migrates the database at `url`.
    pub async fn connect(url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let (backend, url) = if url.starts_with("sqlite:") {
            let mut u = url.to_string();
            if !u.contains("mode=") && !u.contains(":memory:") {
                u.push_str(if u.contains('?') {
                    "&mode=rwc"
                } else {
                    "?mode=rwc"
                });
            }
            (Backend::Sqlite, u)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Backend::Postgres, url.to_string())
        } else {
            return Err(StoreError::UnsupportedUrl(redact_url(url)));
        };
        let options = AnyConnectOptions::from_str(&url).map_err(StoreError::Connect)?;
        let pool_options = |max_connections| {
            AnyPoolOptions::new()
                .max_connections(max_connections)
                .min_connections(1)
                .acquire_timeout(Duration::from_secs(10))
                .after_connect(move |conn, _meta| {
                    Box::pin(async move {
                        if backend == Backend::Sqlite {
                            conn.execute("PRAGMA busy_timeout = 10000").await?;
                            conn.execute("PRAGMA synchronous = NORMAL").await?;
                            conn.execute("PRAGMA foreign_keys = ON").await?;
                        }
                        Ok(())
                    })
                })
        };
        let (pool, writer) = match backend {
            // Each connection to :memory: is its own database: one connection does all.
            Backend::Sqlite if url.contains(":memory:") => {
                // Kept for good: a recycled connection would take the database with it.
                let pool = pool_options(1)
                    .idle_timeout(None)
                    .max_lifetime(None)
                    .connect_with(options)
                    .await
                    .map_err(StoreError::Connect)?;
                (pool.clone(), pool)
            }
            Backend::Sqlite => {
                let writer = pool_options(1)
                    .connect_with(options.clone())
                    .await
                    .map_err(StoreError::Connect)?;
                // Persistent in the file: readers never wait for the writer.
                writer.execute("PRAGMA journal_mode = WAL").await?;
                let readers = pool_options(8)
                    .connect_with(options)
                    .await
                    .map_err(StoreError::Connect)?;
                (readers, writer)
            }
            Backend::Postgres => {
                let pool = pool_options(16)
                    .connect_with(options)
                    .await
                    .map_err(StoreError::Connect)?;
                (pool.clone(), pool)
            }
        };
        let migrator = match backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("./migrations/postgres"),
        };
        migrator.run(&writer).await.map_err(StoreError::Migrate)?;
        Ok(Self {
            pool,
            writer,
            backend,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The read pool, for modules that keep their own SQL (retention, data requests).
    pub(crate) fn reader(&self) -> &AnyPool {
        &self.pool
    }

    /// The write pool (one connection on SQLite), for modules that keep their own SQL.
    pub(crate) fn writer(&self) -> &AnyPool {
        &self.writer
    }

    /// A cheap round trip, for readiness.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
        self.writer.close().await;
    }

    // ---- shops -------------------------------------------------------------------------

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

    async fn bump(&self, tx: &mut sqlx::Transaction<'_, sqlx::Any>, shop: &str) -> Result<()> {
        sqlx::query("UPDATE shops SET data_version = data_version + 1 WHERE domain = $1")
            .bind(shop)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    // ---- webhooks and privacy ------------------------------------------------------------

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

    // ---- configs -----------------------------------------------------------------------

    /// Stores a validated config as the shop's next version and makes it live, recorded in the
    /// history as Encore's own (the demo seed, loading scripts); the admin routes save through
    /// [`Store::save_config`](crate::config_history) with their caller.
    pub async fn put_config(&self, shop: &str, config: &Value, now: i64) -> Result<i64> {
        use crate::config_history::{Actor, SaveOutcome};
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

    // ---- catalog, customers, co-purchases ------------------------------------------------

    /// Upserts products (facts) and their variants. Each item: (product id, product facts,
    /// [(variant id, variant data)]).
    pub async fn upsert_catalog(&self, shop: &str, products: &[CatalogProduct]) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        self.bump(&mut tx, shop).await?;
        for (product_id, facts, variants) in products {
            sqlx::query(
                "INSERT INTO catalog_products (shop, product_id, data) VALUES ($1, $2, $3) \
                 ON CONFLICT (shop, product_id) DO UPDATE SET data = excluded.data",
            )
            .bind(shop)
            .bind(product_id)
            .bind(serde_json::to_string(facts)?)
            .execute(&mut *tx)
            .await?;
            for (variant_id, data) in variants {
                sqlx::query(
                    "INSERT INTO catalog_variants (shop, variant_id, product_id, data) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (shop, variant_id) DO UPDATE SET product_id = excluded.product_id, data = excluded.data",
                )
                .bind(shop)
                .bind(variant_id)
                .bind(product_id)
                .bind(serde_json::to_string(data)?)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
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

    // ---- funnels and decisions ----------------------------------------------------------

    /// The shop, the purchase's funnel position (at its start when it has no row), its
    /// decisions in funnel order and the customer's facts: one query, because it starts every
    /// offer request.
    pub async fn purchase_state(
        &self,
        shop: &str,
        reference_id: &str,
        customer_id: Option<&str>,
    ) -> Result<Option<PurchaseState>> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT s.domain, s.currency_code, s.data_version, f.seq, f.campaign_id, f.step_id, \
                 s.uninstalled_at, c.data, c.read_at, c.read_for, c.last_order_at, {} FROM shops s \
                 LEFT JOIN funnels f ON f.shop = s.domain AND f.reference_id = $2 \
                 LEFT JOIN customers c ON c.shop = s.domain AND c.customer_id = $3 \
                 LEFT JOIN decisions d ON d.shop = s.domain AND d.reference_id = $2 \
                 WHERE s.domain = $1 ORDER BY d.seq",
                DECISION_COLUMNS
                    .split(", ")
                    .map(|c| format!("d.{c}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        });
        let rows = sqlx::query(SQL.as_str())
            .bind(shop)
            .bind(reference_id)
            .bind(customer_id)
            .fetch_all(&self.pool)
            .await?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let funnel = match first.get::<Option<i64>, _>(3) {
            Some(seq) => FunnelRow {
                seq,
                campaign_id: first.get(4),
                step_id: first.get(5),
            },
            None => FunnelRow::START,
        };
        Ok(Some(PurchaseState {
            shop: ShopRow {
                domain: first.get(0),
                currency_code: first.get(1),
                data_version: first.get(2),
                uninstalled: first.get::<Option<i64>, _>(6).is_some(),
            },
            funnel,
            customer: crate::customer_facts::from_columns(first, 7)?,
            decisions: rows
                .iter()
                .filter(|r| r.get::<Option<String>, _>(11).is_some())
                .map(|r| decision_from_row_at(r, 11))
                .collect(),
        }))
    }

    pub async fn decision(&self, id: &str) -> Result<Option<DecisionRow>> {
        let row = sqlx::query(&format!(
            "SELECT {DECISION_COLUMNS} FROM decisions WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(decision_from_row))
    }

    /// Stores a decision unless one exists for the same purchase and seq; returns the stored one.
    /// `customer_id` is the purchase's customer (for customer data requests); `purchase_total`
    /// its value before offers in shop money, (amount, currency) as the token gave it (AOV lift);
    /// `instructions` what the Function's run executed (Store status).
    pub async fn insert_decision(
        &self,
        d: &DecisionRow,
        customer_id: Option<&str>,
        purchase_total: Option<(&str, &str)>,
        instructions: Option<u64>,
        now: i64,
    ) -> Result<DecisionRow> {
        let inserted = sqlx::query(&format!(
            "INSERT INTO decisions ({DECISION_COLUMNS}, created_at, customer_id, purchase_total, purchase_currency, instructions) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28) \
             ON CONFLICT (shop, reference_id, seq) DO NOTHING RETURNING {DECISION_COLUMNS}"
        ))
        .bind(&d.id)
        .bind(&d.shop)
        .bind(&d.reference_id)
        .bind(d.seq)
        .bind(d.render as i64)
        .bind(&d.campaign_id)
        .bind(&d.step_id)
        .bind(&d.experiment_id)
        .bind(&d.arm_id)
        .bind(&d.next_on_accept)
        .bind(&d.next_on_decline)
        .bind(&d.offer)
        .bind(&d.reasons)
        .bind(&d.changes)
        .bind(&d.offer_amount)
        .bind(&d.currency_code)
        .bind(&d.variant_ids)
        .bind(&d.product_ids)
        .bind(d.units)
        .bind(d.shown as i64)
        .bind(&d.outcome)
        .bind(d.pair.as_ref().map(|p| &p.product_id))
        .bind(d.pair.as_ref().map(|p| &p.suggested_product_id))
        .bind(now)
        .bind(customer_id)
        .bind(purchase_total.map(|(amount, _)| amount))
        .bind(purchase_total.map(|(_, currency)| currency))
        .bind(instructions.and_then(|n| i64::try_from(n).ok()))
        .fetch_optional(&self.writer)
        .await?;
        if let Some(row) = inserted {
            return Ok(decision_from_row(&row));
        }
        // A concurrent request for the same step stored its decision first: that one stands.
        let row = sqlx::query(&format!(
            "SELECT {DECISION_COLUMNS} FROM decisions WHERE shop = $1 AND reference_id = $2 AND seq = $3"
        ))
        .bind(&d.shop)
        .bind(&d.reference_id)
        .bind(d.seq)
        .fetch_one(&self.pool)
        .await?;
        Ok(decision_from_row(&row))
    }

    /// Records a buyer event once per (decision, event) and advances the funnel when it
    /// answers the purchase's current step. An accept whose changeset Shopify did not process
    /// (`accepted_ok` false) moves the funnel on as a decline does.
    pub async fn record_event(
        &self,
        d: &DecisionRow,
        event: &NewEvent<'_>,
        now: i64,
    ) -> Result<EventEffect> {
        let NewEvent {
            kind,
            status,
            errors,
            detail,
            accepted_ok,
        } = *event;
        let mut tx = self.writer.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO events (decision_id, event, status, errors, detail, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (decision_id, event) DO NOTHING",
        )
        .bind(&d.id)
        .bind(kind.as_str())
        .bind(status)
        .bind(errors)
        .bind(detail)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            tx.commit().await?;
            return Ok(EventEffect::Duplicate);
        }
        let mut advanced = false;
        match kind {
            EventKind::PriceMismatch => {}
            EventKind::Shown => {
                sqlx::query("UPDATE decisions SET shown = 1 WHERE id = $1")
                    .bind(&d.id)
                    .execute(&mut *tx)
                    .await?;
            }
            EventKind::Accepted | EventKind::Declined => {
                let outcome = match (kind, accepted_ok) {
                    (EventKind::Accepted, true) => "accepted",
                    (EventKind::Accepted, false) => "accept_failed",
                    _ => "declined",
                };
                let won = sqlx::query(
                    "UPDATE decisions SET outcome = $1, shown = 1 WHERE id = $2 AND outcome IS NULL",
                )
                .bind(outcome)
                .bind(&d.id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                    == 1;
                if won {
                    let next = if outcome == "accepted" {
                        &d.next_on_accept
                    } else {
                        &d.next_on_decline
                    };
                    // The funnel row is created by the first answer (a purchase without one is
                    // at its start) and moves on only from the step this decision was for.
                    advanced = sqlx::query(
                        "INSERT INTO funnels (shop, reference_id, seq, campaign_id, step_id, updated_at) \
                         VALUES ($4, $5, $6 + 1, $1, $2, $3) ON CONFLICT (shop, reference_id) DO UPDATE SET \
                         seq = excluded.seq, campaign_id = excluded.campaign_id, step_id = excluded.step_id, \
                         updated_at = excluded.updated_at WHERE funnels.seq = $6",
                    )
                    .bind(&d.campaign_id)
                    .bind(next)
                    .bind(now)
                    .bind(&d.shop)
                    .bind(&d.reference_id)
                    .bind(d.seq)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
                        == 1;
                    if outcome == "accepted" {
                        if let (Some(c), Some(s)) = (&d.campaign_id, &d.step_id) {
                            sqlx::query(
                                "INSERT INTO offer_stats (shop, campaign_id, step_id, accepts, accepted_units, refunded_units) \
                                 VALUES ($1, $2, $3, 1, $4, 0) ON CONFLICT (shop, campaign_id, step_id) DO UPDATE SET \
                                 accepts = offer_stats.accepts + 1, accepted_units = offer_stats.accepted_units + excluded.accepted_units",
                            )
                            .bind(&d.shop)
                            .bind(c)
                            .bind(s)
                            .bind(d.units)
                            .execute(&mut *tx)
                            .await?;
                        }
                    }
                }
            }
        }
        tx.commit().await?;
        Ok(EventEffect::Recorded { advanced })
    }

    /// Events recorded for a decision: (event, status).
    pub async fn events_of(&self, decision_id: &str) -> Result<Vec<(String, Option<String>)>> {
        let rows =
            sqlx::query("SELECT event, status FROM events WHERE decision_id = $1 ORDER BY id")
                .bind(decision_id)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    pub async fn summary(&self, shop: &str) -> Result<Summary> {
        let r = sqlx::query(
            "SELECT COUNT(*), COUNT(CASE WHEN render = 1 THEN 1 END), \
             COUNT(CASE WHEN render = 1 AND (shown = 1 OR outcome IS NOT NULL) THEN 1 END), \
             COUNT(CASE WHEN outcome = 'accepted' THEN 1 END), \
             COUNT(CASE WHEN outcome = 'declined' THEN 1 END) FROM decisions WHERE shop = $1",
        )
        .bind(shop)
        .fetch_one(&self.pool)
        .await?;
        // Revenue is what attribution confirmed on orders (docs/analytics.md), never an accept.
        let revenue = sqlx::query(
            "SELECT CAST(COALESCE(SUM(o.amount_minor), 0) AS BIGINT), \
             CAST(COALESCE(SUM(o.refunded_minor), 0) AS BIGINT) FROM offer_lines o \
             JOIN decision_orders l ON l.decision_id = o.decision_id \
             WHERE o.shop = $1 AND l.status = 'confirmed'",
        )
        .bind(shop)
        .fetch_one(&self.pool)
        .await?;
        let mismatches = sqlx::query(
            "SELECT COUNT(*) FROM events e JOIN decisions d ON d.id = e.decision_id \
             WHERE d.shop = $1 AND e.event = 'price_mismatch'",
        )
        .bind(shop)
        .fetch_one(&self.pool)
        .await?;
        let latest = sqlx::query(
            "SELECT e.decision_id, d.campaign_id, d.step_id, e.detail, e.status, e.errors, e.created_at \
             FROM events e JOIN decisions d ON d.id = e.decision_id \
             WHERE d.shop = $1 AND e.event = 'price_mismatch' ORDER BY e.id DESC LIMIT $2",
        )
        .bind(shop)
        .bind(LATEST_PRICE_MISMATCHES)
        .fetch_all(&self.pool)
        .await?;
        Ok(Summary {
            price_mismatches: mismatches.get(0),
            latest_price_mismatches: latest
                .iter()
                .map(|r| PriceMismatchRow {
                    decision_id: r.get(0),
                    campaign_id: r.get(1),
                    step_id: r.get(2),
                    detail: r.get(3),
                    status: r.get(4),
                    errors: r.get(5),
                    created_at: r.get(6),
                })
                .collect(),
            decisions: r.get(0),
            offers: r.get(1),
            shown: r.get(2),
            accepted: r.get(3),
            declined: r.get(4),
            confirmed_revenue_minor: revenue.get(0),
            refunded_minor: revenue.get(1),
        })
    }
}

fn decision_from_row(r: &sqlx::any::AnyRow) -> DecisionRow {
    decision_from_row_at(r, 0)
}

/// A decision from [`DECISION_COLUMNS`] starting at column `at`.
fn decision_from_row_at(r: &sqlx::any::AnyRow, at: usize) -> DecisionRow {
    DecisionRow {
        id: r.get(at),
        shop: r.get(at + 1),
        reference_id: r.get(at + 2),
        seq: r.get(at + 3),
        render: r.get::<i64, _>(at + 4) != 0,
        campaign_id: r.get(at + 5),
        step_id: r.get(at + 6),
        experiment_id: r.get(at + 7),
        arm_id: r.get(at + 8),
        next_on_accept: r.get(at + 9),
        next_on_decline: r.get(at + 10),
        offer: r.get(at + 11),
        reasons: r.get(at + 12),
        changes: r.get(at + 13),
        offer_amount: r.get(at + 14),
        currency_code: r.get(at + 15),
        variant_ids: r.get(at + 16),
        product_ids: r.get(at + 17),
        units: r.get(at + 18),
        shown: r.get::<i64, _>(at + 19) != 0,
        outcome: r.get(at + 20),
        pair: match (r.get(at + 21), r.get(at + 22)) {
            (Some(product_id), Some(suggested_product_id)) => Some(SuggestedPair {
                product_id,
                suggested_product_id,
            }),
            _ => None,
        },
    }
}

/// A database URL without its password, for messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}://{}:***@{}", &url[..s], user, &url[at + 1..])
        }
        _ => url.to_string(),
    }
}
