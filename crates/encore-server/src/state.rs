//! Shared server state: settings, store, token verifier, changeset signer, Function runner, caches.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use tokio::sync::Semaphore;

use crate::settings::Settings;
use encore_app::runner::OfferRunner;
use encore_shopify::post_purchase::changeset::ChangesetSigner;
use encore_shopify::post_purchase::token::TokenVerifier;
use encore_store::{Store, StoreError};

/// How long a server reuses a shop's offer statistics. They feed guardrails over many
/// purchases (refund rates), so another instance's accepts may be this late; this instance's
/// own accepts are seen at once.
pub const OFFER_STATS_MAX_AGE: Duration = Duration::from_secs(1);

/// Offer statistics per shop, reused for [`OFFER_STATS_MAX_AGE`].
#[derive(Default)]
pub struct StatsCache {
    shops: Mutex<HashMap<String, CachedStats>>,
}

#[derive(Default)]
struct CachedStats {
    /// The statistics and when their read began.
    stats: Option<(Instant, Arc<Vec<Value>>)>,
    /// Bumped by every change this instance makes: a read that began before a change does
    /// not go into the cache after it.
    generation: u64,
}

/// What a lookup found: fresh statistics, or the generation a new read starts at.
pub enum StatsLookup {
    Fresh(Arc<Vec<Value>>),
    Stale { generation: u64 },
}

impl StatsCache {
    /// The shop's statistics if they are fresh at `now`.
    pub fn lookup(&self, shop: &str, now: Instant) -> StatsLookup {
        let shops = self.shops.lock().expect("cache lock");
        let cached = shops.get(shop);
        match cached.and_then(|c| c.stats.as_ref()) {
            Some((read_at, stats)) if now.duration_since(*read_at) < OFFER_STATS_MAX_AGE => {
                StatsLookup::Fresh(stats.clone())
            }
            _ => StatsLookup::Stale {
                generation: cached.map_or(0, |c| c.generation),
            },
        }
    }

    /// Keeps statistics whose read began at `read_at` in `generation`, unless this instance
    /// changed them since.
    pub fn store(&self, shop: &str, generation: u64, read_at: Instant, stats: Arc<Vec<Value>>) {
        let mut shops = self.shops.lock().expect("cache lock");
        let cached = shops.entry(shop.to_string()).or_default();
        if cached.generation == generation {
            cached.stats = Some((read_at, stats));
        }
    }

    /// Forgets the shop's statistics, and any read of them still in flight.
    pub fn changed(&self, shop: &str) {
        let mut shops = self.shops.lock().expect("cache lock");
        let cached = shops.entry(shop.to_string()).or_default();
        cached.stats = None;
        cached.generation += 1;
    }
}

/// Everything a request handler needs.
pub struct AppState {
    pub settings: Settings,
    pub store: Store,
    pub verifier: TokenVerifier,
    pub signer: ChangesetSigner,
    pub runner: Arc<dyn OfferRunner>,
    /// Bounds concurrent Function runs to the cores we have.
    pub run_permits: Arc<Semaphore>,
    /// Per-shop facts (config, catalog, co-purchases) by data_version; see `facts_cache`.
    pub facts: Arc<encore_app::facts_cache::FactsCache>,
    /// Per-shop offer statistics and when they were read.
    offer_stats_cache: StatsCache,
    /// Counters and histograms for `GET /metrics`.
    pub metrics: crate::metrics::Metrics,
    /// Shop tokens and Admin API clients (`Credentials::admin_client`).
    pub credentials: encore_app::credentials::Credentials,
    /// Verifies the embedded admin's App Bridge session tokens.
    pub sessions: encore_shopify::session::SessionVerifier,
    /// Catalog syncs: Admin API access (the stored credentials) and the per-shop queue of bulk
    /// work.
    pub sync: crate::catalog_sync::Syncer,
    /// The buyer's facts for customer triggers, read from the Admin API within a budget.
    pub customer_facts: crate::customer_facts::CustomerFacts,
    /// Co-purchase mining: order history imports and the live miners (`mining`).
    pub mining: crate::mining::Mining,
}

impl AppState {
    pub fn new(settings: Settings, store: Store, runner: Arc<dyn OfferRunner>) -> Arc<Self> {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        let credentials =
            encore_app::credentials::Credentials::new(&settings.credentials(), store.clone());
        Arc::new(Self {
            verifier: TokenVerifier::new(&settings.api_secret, &settings.api_key),
            signer: ChangesetSigner::new(&settings.api_secret, &settings.api_key),
            sync: crate::catalog_sync::Syncer::new(Arc::new(credentials.clone())),
            customer_facts: crate::customer_facts::CustomerFacts::new(
                store.clone(),
                credentials.clone(),
                settings.customer_facts_budget,
            ),
            mining: crate::mining::Mining::new(Arc::new(credentials.clone())),
            credentials,
            sessions: encore_shopify::session::SessionVerifier::new(
                &settings.api_key,
                &encore_shopify::Secret::new(settings.api_secret.clone()),
            ),
            settings,
            store,
            runner,
            run_permits: Arc::new(Semaphore::new(cores.max(1))),
            facts: Arc::default(),
            offer_stats_cache: StatsCache::default(),
            metrics: crate::metrics::Metrics::new(),
        })
    }

    /// The shop's offer statistics, read at most [`OFFER_STATS_MAX_AGE`] ago and after this
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn statistics_are_reused_for_a_second_and_never_outlive_a_change() {
        let cache = StatsCache::default();
        let t0 = Instant::now();
        let before = Arc::new(vec![json!({"accepts": 0})]);
        let StatsLookup::Stale { generation } = cache.lookup("s", t0) else {
            panic!("an empty cache has nothing fresh")
        };
        cache.store("s", generation, t0, before.clone());
        assert!(
            matches!(cache.lookup("s", t0 + Duration::from_millis(999)), StatsLookup::Fresh(s) if s == before)
        );
        assert!(matches!(
            cache.lookup("s", t0 + OFFER_STATS_MAX_AGE),
            StatsLookup::Stale { .. }
        ));

        // A read begins, an accept on this instance changes the statistics, the read ends:
        // its older result must not be reused.
        cache.changed("s");
        let StatsLookup::Stale { generation } = cache.lookup("s", t0) else {
            panic!("a change forgets the statistics")
        };
        cache.changed("s");
        cache.store("s", generation, t0, before);
        assert!(matches!(cache.lookup("s", t0), StatsLookup::Stale { .. }));
        // Another shop is not affected.
        assert!(matches!(
            cache.lookup("other", t0),
            StatsLookup::Stale { generation: 0 }
        ));
    }
}
