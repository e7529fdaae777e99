//! Keeping the catalog true: full syncs through a bulk operation, incremental webhook updates,
//! and the sync status.
//!
//! - [`access`]: the seam that gives a shop's Admin API client and token.
//! - [`run`]: one full sync — queue, bulk operation, JSONL streamed into a staging generation in
//!   batches, switched live in one transaction.
//! - `encore_store::catalog::generation`: the staging generation's SQL and the switch.
//! - `crate::catalog::incremental`: products, inventory levels and collections from
//!   webhooks, each applied with its delivery receipt in one transaction, never letting an
//!   older update win; `crate::catalog::rows`: Shopify's records in the catalog tables'
//!   shapes.
//! - `encore_store::catalog::status`: what `GET /api/sync/status` (the server's
//!   `catalog_sync` routes) answers.

pub mod access;
pub mod bulk_operation;
pub mod locations;
pub mod run;
mod selling_plans;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use tokio::sync::Notify;

use access::{AdminAccess, NoAccess};

/// How a full sync paces itself.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// How often a running bulk operation is polled (the bulk_operations/finish webhook wakes
    /// the poll early).
    pub poll_every: Duration,
    /// How long a bulk operation (ours or one started elsewhere) may run.
    pub bulk_deadline: Duration,
    /// The whole download of the result file.
    pub download_timeout: Duration,
    /// Products per staging batch (one transaction each).
    pub batch_products: usize,
    /// How often a sync queued behind another instance's sync looks again.
    pub busy_retry: Duration,
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            poll_every: Duration::from_secs(2),
            bulk_deadline: Duration::from_secs(4 * 3600),
            download_timeout: Duration::from_secs(3600),
            batch_products: 500,
            busy_retry: Duration::from_secs(5),
        }
    }
}

/// Per shop: one bulk operation at a time (Shopify allows one bulk query per app and shop),
/// and the wake-up of a poll when Shopify says the operation finished.
#[derive(Default)]
struct ShopLane {
    bulk: Arc<tokio::sync::Mutex<()>>,
    finished: Notify,
}

/// The shop's turn for bulk work, held until its bulk operation is final (shared with
/// co-purchase mining: Shopify runs one bulk query per app and shop).
pub struct BulkTurn {
    _turn: tokio::sync::OwnedMutexGuard<()>,
    lane: Arc<ShopLane>,
}

impl BulkTurn {
    /// Notified when `bulk_operations/finish` arrives for the shop.
    pub fn finished(&self) -> &Notify {
        &self.lane.finished
    }
}

/// The sync's shared parts: Admin API access, the per-shop queue of bulk work, the HTTP
/// client for result files and the options.
pub struct Syncer {
    access: RwLock<Arc<dyn AdminAccess>>,
    lanes: Mutex<HashMap<String, Arc<ShopLane>>>,
    pub(crate) http: reqwest::Client,
    options: RwLock<SyncOptions>,
}

impl Default for Syncer {
    fn default() -> Self {
        Self::new(Arc::new(NoAccess))
    }
}

impl Syncer {
    pub fn new(access: Arc<dyn AdminAccess>) -> Self {
        Self {
            access: RwLock::new(access),
            lanes: Mutex::new(HashMap::new()),
            http: access::http_client(),
            options: RwLock::new(SyncOptions::default()),
        }
    }

    /// Replaces how the sync gets Admin API access (stored credentials plug in here).
    pub fn set_access(&self, access: Arc<dyn AdminAccess>) {
        *self.access.write().expect("access lock") = access;
    }

    pub fn set_options(&self, options: SyncOptions) {
        *self.options.write().expect("options lock") = options;
    }

    pub fn options(&self) -> SyncOptions {
        self.options.read().expect("options lock").clone()
    }

    fn access(&self) -> Arc<dyn AdminAccess> {
        self.access.read().expect("access lock").clone()
    }

    fn lane(&self, shop: &str) -> Arc<ShopLane> {
        self.lanes
            .lock()
            .expect("lanes lock")
            .entry(shop.to_string())
            .or_default()
            .clone()
    }

    /// Waits for the shop's turn for bulk work (another part's bulk operation to be final).
    pub async fn bulk_turn(&self, shop: &str) -> BulkTurn {
        let lane = self.lane(shop);
        BulkTurn {
            _turn: lane.bulk.clone().lock_owned().await,
            lane,
        }
    }

    /// `bulk_operations/finish` arrived for the shop: wake its poll.
    pub fn bulk_finished(&self, shop: &str) {
        self.lane(shop).finished.notify_waiters();
    }
}
