//! Co-purchase mining: the shop's order history imported through a bulk
//! operation into `encore-mining`'s miner, `orders/create` counted as it comes, and the
//! suggestions published to `co_purchases` as versions that `auto` offers read whole.
//!
//! - [`import`]: one import — queued per shop, the orders bulk operation (taking the shop's
//!   bulk turn shared with the catalog sync), its JSONL counted in chunks on a blocking thread,
//!   checkpointed, resumed after an interruption.
//! - [`incremental`]: `orders/create` into the inbox with its receipt; the live miner loaded,
//!   brought up to date and published.
//! - [`pairs`]: the co-purchase pair behind each `auto` offer, and the refund rates per pair
//!   that demote a pair whose offers come back.
//! - [`schedule`]: unfinished imports resumed when the server starts, co-purchases refreshed by
//!   a new import every `ENCORE_MINING_REFRESH_HOURS`.
//! - `encore_store::mining::{runs, publish, status}`: the SQL of runs, checkpoints and the
//!   inbox; a ranking written as a new version in batches, switched live in one small
//!   transaction; the status the server's `mining` routes answer.

pub mod import;
pub mod incremental;
pub mod pairs;
pub mod schedule;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use encore_mining::Miner;

use crate::catalog_sync::access::{AdminAccess, NoAccess};

/// How mining paces itself.
#[derive(Debug, Clone)]
pub struct MiningOptions {
    /// How often a running bulk operation is polled.
    pub poll_every: Duration,
    /// How long the orders bulk operation may run.
    pub bulk_deadline: Duration,
    /// The whole download of the result file.
    pub download_timeout: Duration,
    /// Orders counted per blocking-thread task: the offer endpoint's workers are never
    /// occupied by mining, and a chunk is short enough to cancel between.
    pub chunk_orders: usize,
    /// A running import writes a checkpoint after this many orders.
    pub checkpoint_orders: u64,
    /// How often the live miner publishes the orders/create counted since its last publication.
    pub publish_every: Duration,
    /// Granted `read_all_orders`: the window is all history instead of 60 days.
    pub read_all_orders: bool,
    /// A running import that has not written for this long was interrupted (its process
    /// stopped): the next import of the shop resumes it. Imports write at every poll and chunk.
    pub stale_after: Duration,
}

impl Default for MiningOptions {
    fn default() -> Self {
        Self {
            poll_every: Duration::from_secs(2),
            bulk_deadline: Duration::from_secs(6 * 3600),
            download_timeout: Duration::from_secs(4 * 3600),
            chunk_orders: 2_000,
            checkpoint_orders: 250_000,
            publish_every: Duration::from_secs(600),
            read_all_orders: false,
            stale_after: Duration::from_secs(120),
        }
    }
}

/// A shop's mining in this process: one import at a time, and the live miner.
#[derive(Default)]
pub(crate) struct ShopMining {
    /// Held by the shop's import for its whole run.
    pub(crate) import: tokio::sync::Mutex<()>,
    /// The live miner (the last complete import's, with orders/create since), loaded when first
    /// needed; `None` until then.
    pub(crate) live: tokio::sync::Mutex<Option<Miner>>,
    /// Orders arrived since the last publication.
    pub(crate) dirty: AtomicBool,
}

/// Mining's shared parts: Admin API access, the per-shop state and the options.
pub struct Mining {
    access: RwLock<Arc<dyn AdminAccess>>,
    shops: Mutex<HashMap<String, Arc<ShopMining>>>,
    http: reqwest::Client,
    options: RwLock<MiningOptions>,
}

impl Default for Mining {
    fn default() -> Self {
        Self::new(Arc::new(NoAccess))
    }
}

impl Mining {
    pub fn new(access: Arc<dyn AdminAccess>) -> Self {
        Self {
            access: RwLock::new(access),
            shops: Mutex::new(HashMap::new()),
            http: crate::catalog_sync::access::http_client(),
            options: RwLock::new(MiningOptions::default()),
        }
    }

    /// Replaces how mining gets Admin API access (stored credentials plug in here).
    pub fn set_access(&self, access: Arc<dyn AdminAccess>) {
        *self.access.write().expect("access lock") = access;
    }

    pub fn set_options(&self, options: MiningOptions) {
        *self.options.write().expect("options lock") = options;
    }

    pub fn options(&self) -> MiningOptions {
        self.options.read().expect("options lock").clone()
    }

    fn access(&self) -> Arc<dyn AdminAccess> {
        self.access.read().expect("access lock").clone()
    }

    pub(crate) fn shop(&self, shop: &str) -> Arc<ShopMining> {
        self.shops
            .lock()
            .expect("shops lock")
            .entry(shop.to_string())
            .or_default()
            .clone()
    }

    /// Shops with orders counted since their last publication.
    pub(crate) fn dirty_shops(&self) -> Vec<String> {
        self.shops
            .lock()
            .expect("shops lock")
            .iter()
            .filter(|(_, s)| s.dirty.load(Ordering::Relaxed))
            .map(|(shop, _)| shop.clone())
            .collect()
    }

    /// Forgets the shop's live miner (shop/redact deleted what it was built from).
    pub fn forget(&self, shop: &str) {
        self.shops.lock().expect("shops lock").remove(shop);
    }
}
