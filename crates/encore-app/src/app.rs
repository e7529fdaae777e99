//! The use cases' shared parts: the store, the shops' credentials, the facts cache, the Function
//! runner and the coordinators of background work, built once from [`AppSettings`]. The server
//! wraps it with what only HTTP needs; its background tasks and the CLI take it as it is.

use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;
use tokio::sync::Semaphore;

use crate::catalog_sync::Syncer;
use crate::counters::Counters;
use crate::credentials::{CredentialSettings, Credentials};
use crate::customer_facts::CustomerFacts;
use crate::facts_cache::FactsCache;
use crate::mining::Mining;
use crate::offer_stats::{StatsCache, StatsLookup};
use crate::runner::OfferRunner;
use crate::settings::AppSettings;
use encore_shopify::post_purchase::changeset::ChangesetSigner;
use encore_store::{Store, StoreError};

/// Everything a use case needs, shared by the HTTP handlers, background tasks and the CLI.
pub struct App {
    pub settings: AppSettings,
    pub store: Store,
    /// Signs exactly the changeset the Function produced.
    pub signer: ChangesetSigner,
    pub runner: Arc<dyn OfferRunner>,
    /// Bounds concurrent Function runs to the cores we have.
    pub run_permits: Arc<Semaphore>,
    /// Per-shop facts (config, catalog, co-purchases) by data_version; see `facts_cache`.
    pub facts: Arc<FactsCache>,
    /// Per-shop offer statistics and when they were read.
    offer_stats_cache: StatsCache,
    /// Shop tokens and Admin API clients (`Credentials::admin_client`).
    pub credentials: Credentials,
    /// Catalog syncs: Admin API access (the stored credentials) and the per-shop queue of bulk
    /// work.
    pub sync: Syncer,
    /// The buyer's facts for customer triggers, read from the Admin API within a budget.
    pub customer_facts: CustomerFacts,
    /// Co-purchase mining: order history imports and the live miners.
    pub mining: Mining,
    /// Where the use cases' counts go (the server's metrics).
    pub counters: Arc<dyn Counters>,
}

impl App {
    /// `credentials`: Shopify's host, the app's key and secret, the vault for tokens at rest.
    pub fn new(
        settings: AppSettings,
        credentials: &CredentialSettings,
        store: Store,
        runner: Arc<dyn OfferRunner>,
        counters: Arc<dyn Counters>,
    ) -> Self {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        let signer = ChangesetSigner::new(&credentials.api_secret, &credentials.api_key);
        let credentials = Credentials::new(credentials, store.clone());
        Self {
            signer,
            sync: Syncer::new(Arc::new(credentials.clone())),
            customer_facts: CustomerFacts::new(
                store.clone(),
                credentials.clone(),
                settings.customer_facts_budget,
            ),
            mining: Mining::new(Arc::new(credentials.clone())),
            credentials,
            settings,
            store,
            runner,
            run_permits: Arc::new(Semaphore::new(cores.max(1))),
            facts: Arc::default(),
            offer_stats_cache: StatsCache::default(),
            counters,
        }
    }

    /// The shop's offer statistics, read at most
    /// [`OFFER_STATS_MAX_AGE`](crate::offer_stats::OFFER_STATS_MAX_AGE) ago and after this
    /// instance's last change to them.
    pub async fn offer_stats(&self, shop: &str) -> Result<Arc<Vec<Value>>, StoreError> {
        let read_at = Instant::now();
        match self.offer_stats_cache.lookup(shop, read_at) {
            StatsLookup::Fresh(stats) => Ok(stats),
            StatsLookup::Stale { generation } => {
                let stats = Arc::new(self.store.offer_stats(shop).await?);
                self.offer_stats_cache
                    .store(shop, generation, read_at, stats.clone());
                Ok(stats)
            }
        }
    }

    /// Forgets the shop's cached statistics after this instance changed them.
    pub fn offer_stats_changed(&self, shop: &str) {
        self.offer_stats_cache.changed(shop);
    }
}
