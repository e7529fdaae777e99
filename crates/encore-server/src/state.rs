//! Shared server state: settings, store, token verifier, changeset signer, Function runner, caches.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::Semaphore;

use crate::changeset::ChangesetSigner;
use crate::runner::OfferRunner;
use crate::settings::Settings;
use crate::store::{ShopFacts, Store};
use crate::token::TokenVerifier;

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
        })
    }
}
