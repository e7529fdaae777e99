//! Shared server state: settings, store, token verifier, changeset signer, Function runner, caches.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use tokio::sync::Semaphore;

use crate::changeset::ChangesetSigner;
use crate::runner::OfferRunner;
use crate::settings::Settings;
use crate::store::{ShopFacts, Store, StoreError};

/// How long a server reuses a shop's offer statistics. They feed guardrails over many
/// purchases (refund rates), so another instance's accepts may be this late; this instance's
/// own accepts are seen at once.
pub const OFFER_STATS_MAX_AGE: Duration = Duration::from_secs(1);
use crate::token::TokenVerifier;

/// A shop's offer statistics and when they were read.
type CachedStats = (Instant, Arc<Vec<Value>>);

/// Everything a request handler needs.
pub struct AppState {
    pub settings: Settings,
    pub store: Store,
    pub verifier: TokenVerifier,
    pub signer: ChangesetSigner,
    pub runner: Arc<dyn OfferRunner>,
    /// Bounds concurrent Function runs to the cores we have.
    pub run_permits: Arc<Semaphore>,
    /// Per-shop facts keyed by domain, valid while their data_version is current.
    pub facts_cache: Mutex<HashMap<String, Arc<ShopFacts>>>,
    /// Per-shop offer statistics and when they were read.
    offer_stats_cache: Mutex<HashMap<String, CachedStats>>,
}

impl AppState {
    pub fn new(settings: Settings, store: Store, runner: Arc<dyn OfferRunner>) -> Arc<Self> {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        Arc::new(Self {
            verifier: TokenVerifier::new(&settings.api_secret, &settings.api_key),
            signer: ChangesetSigner::new(&settings.api_secret, &settings.api_key),
            settings,
            store,
            runner,
            run_permits: Arc::new(Semaphore::new(cores.max(1))),
            facts_cache: Mutex::new(HashMap::new()),
            offer_stats_cache: Mutex::new(HashMap::new()),
        })
    }

    /// The shop's offer statistics, read at most [`OFFER_STATS_MAX_AGE`] ago.
    pub async fn offer_stats(&self, shop: &str) -> Result<Arc<Vec<Value>>, StoreError> {
        if let Some((read_at, stats)) = self.offer_stats_cache.lock().expect("cache lock").get(shop)
        {
            if read_at.elapsed() < OFFER_STATS_MAX_AGE {
                return Ok(stats.clone());
            }
        }
        let read_at = Instant::now();
        let stats = Arc::new(self.store.offer_stats(shop).await?);
        self.offer_stats_cache
            .lock()
            .expect("cache lock")
            .insert(shop.to_string(), (read_at, stats.clone()));
        Ok(stats)
    }

    /// Forgets the shop's cached statistics after this instance changed them.
    pub fn offer_stats_changed(&self, shop: &str) {
        self.offer_stats_cache
            .lock()
            .expect("cache lock")
            .remove(shop);
    }
}
