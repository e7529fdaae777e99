//! One full sync of a shop's catalog: queued per shop, one bulk operation, its JSONL streamed
//! through `CatalogReader` into a staging generation in batches, and the generation switched
//! live only when every line was read.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use encore_engine::money::Currency;
use encore_shopify::admin::BulkStatus;
use encore_shopify::bulk::{
    download, CatalogAssembler, CatalogEntry, CatalogReader, CatalogStats, Child, ProductStatus,
    SellingPlanIndex,
};
use encore_shopify::ids::BulkOperationId;
use encore_shopify::ShopDomain;

use super::access::ShopAdmin;
use super::bulk_operation::BulkError;
pub use super::bulk_operation::SyncError;
use super::bulk_operation::{start_bulk, wait, Heartbeat};
use super::{SyncOptions, Syncer};
use crate::catalog::rows;
use crate::clock::now;
use encore_store::catalog::generation::{self, Batch, Claim, Counts, LateCollection};
use encore_store::catalog::status::SyncState;
use encore_store::catalog::{ProductRow, VariantRow};
use encore_store::{Store, StoreError};

/// What a sync reports to its caller as it goes (the CLI's progress bar, logs).
#[derive(Debug, Clone)]
pub struct Progress {
    pub sync_id: i64,
    pub state: SyncState,
    /// Rows the bulk result holds, once the operation completed.
    pub expected_objects: Option<u64>,
    pub lines: u64,
    pub products: u64,
    pub variants: u64,
    pub malformed: u64,
}

/// A finished sync.
#[derive(Debug, Clone)]
pub struct SyncReport {
    pub sync_id: i64,
    pub products: u64,
    pub variants: u64,
    pub malformed: u64,
    pub skipped: u64,
    pub elapsed: Duration,
}

/// A sync added to the shop's queue (its `catalog_syncs` row is `waiting`).
#[derive(Debug, Clone, Copy)]
pub struct QueuedSync {
    pub sync_id: i64,
    currency: Currency,
}

/// Adds a sync of `shop` to its queue; [`run_queued`] runs it.
pub async fn enqueue(store: &Store, shop: &ShopDomain) -> Result<QueuedSync, SyncError> {
    let domain = shop.as_str();
    let row = store
        .shop(domain)
        .await?
        .ok_or_else(|| SyncError::UnknownShop(domain.to_string()))?;
    if row.uninstalled {
        return Err(SyncError::Uninstalled(domain.to_string()));
    }
    let currency = Currency::from_code(&row.currency_code)
        .ok_or_else(|| SyncError::Currency(row.currency_code.clone()))?;
    let sync_id = generation::enqueue(store, domain, now()).await?;
    Ok(QueuedSync { sync_id, currency })
}

/// Runs one full sync of `shop`. `observe` sees the progress after each step and batch.
pub async fn full_sync(
    store: &Store,
    syncer: &Syncer,
    shop: &ShopDomain,
    observe: &(dyn Fn(&Progress) + Send + Sync),
) -> Result<SyncReport, SyncError> {
    let queued = enqueue(store, shop).await?;
    run_queued(store, syncer, shop, queued, observe).await
}

/// Runs a queued sync to its end; on any error the sync is recorded as failed, its staging
/// rows deleted, and the live catalog left as it was.
pub async fn run_queued(
    store: &Store,
    syncer: &Syncer,
    shop: &ShopDomain,
    queued: QueuedSync,
    observe: &(dyn Fn(&Progress) + Send + Sync),
) -> Result<SyncReport, SyncError> {
    let domain = shop.as_str();
    let sync_id = queued.sync_id;
    let mut progress = Progress {
        sync_id,
        state: SyncState::Waiting,
        expected_objects: None,
        lines: 0,
        products: 0,
        variants: 0,
        malformed: 0,
    };
    observe(&progress);
    let started = Instant::now();
    let result = run(store, syncer, shop, queued.currency, &mut progress, observe).await;
    match result {
        Ok(report) => {
            tracing::info!(
                shop = domain,
                sync_id,
                products = report.products,
                variants = report.variants,
                malformed = report.malformed,
                seconds = started.elapsed().as_secs_f64(),
                "catalog sync complete: the new catalog is live"
            );
            Ok(SyncReport {
                elapsed: started.elapsed(),
                ..report
            })
        }
        Err(e) => {
            tracing::warn!(shop = domain, sync_id, error = %e, "catalog sync failed: the previous catalog stays live");
            if let Err(store_error) =
                generation::fail(store, domain, sync_id, &e.to_string(), now()).await
            {
                tracing::error!(shop = domain, sync_id, error = %store_error, "cannot record the failed sync");
            }
            progress.state = SyncState::Failed;
            observe(&progress);
            Err(e)
        }
    }
}

async fn run(
    store: &Store,
    syncer: &Syncer,
    shop: &ShopDomain,
    currency: Currency,
    progress: &mut Progress,
    observe: &(dyn Fn(&Progress) + Send + Sync),
) -> Result<SyncReport, SyncError> {
    let domain = shop.as_str();
    let sync_id = progress.sync_id;
    let options = syncer.options();
    let lane = syncer.lane(domain);
    // This instance's bulk work for the shop runs one at a time; another instance's is seen
    // in catalog_syncs.
    let _turn = lane.bulk.lock().await;
    let resumable = loop {
        match generation::claim(store, domain, sync_id, now()).await? {
            Claim::Claimed { resumable } => break resumable,
            Claim::Busy => tokio::time::sleep(options.busy_retry).await,
        }
    };
    let claimed_at = now();
    progress.state = SyncState::Running;
    observe(progress);
    tracing::info!(shop = domain, sync_id, "catalog sync started");

    let plans =
        super::selling_plans::read(store, syncer, shop, sync_id, &options, &lane.finished).await?;
    let admin = syncer.access().admin(shop).await?;
    let operation = start_or_resume(&admin, resumable, &options).await?;
    generation::set_bulk(store, domain, sync_id, &operation.gid(), None, now()).await?;
    let access = syncer.access();
    let done = wait(
        store,
        sync_id,
        access.as_ref(),
        shop,
        operation,
        &options,
        &lane.finished,
        Heartbeat::Record,
    )
    .await?;
    if done.status != BulkStatus::Completed {
        return Err(SyncError::Bulk(BulkError::Ended {
            status: done.status,
            code: done.error_code,
        }));
    }
    progress.expected_objects = Some(done.object_count);
    generation::set_bulk(
        store,
        domain,
        sync_id,
        &operation.gid(),
        i64::try_from(done.object_count).ok(),
        now(),
    )
    .await?;
    observe(progress);
    tracing::info!(
        shop = domain,
        sync_id,
        objects = done.object_count,
        "bulk operation complete; reading its result"
    );

    // Batches are written by their own task while the next one is read: downloading and
    // parsing overlap with the database's work. Two batches in flight at most bound memory.
    let (batches, pending) = tokio::sync::mpsc::channel(2);
    let staging = tokio::spawn(write_batches(
        store.clone(),
        domain.to_string(),
        sync_id,
        pending,
    ));
    let mut writer = BatchWriter {
        currency,
        plans,
        batch_products: options.batch_products.max(1),
        batches,
        products: Vec::new(),
        variants: Vec::new(),
        late: Vec::new(),
        in_batch: HashMap::new(),
        skipped_products: 0,
        written_products: 0,
        written_variants: 0,
    };
    let read = read_result(
        syncer,
        domain,
        done.url.as_deref(),
        &options,
        &mut writer,
        progress,
        observe,
    )
    .await;
    drop(writer.batches);
    // Every batch sent is written (or the writing failed) before the sync goes on or is
    // failed, so no staging row appears after its sync ended.
    let written = staging
        .await
        .map_err(|e| StoreError::Interrupted(format!("the staging writer stopped: {e}")))?;
    let stats = match (read, written) {
        (Err(e), _) => return Err(e),
        (Ok(_), Err(e)) => return Err(e.into()),
        (Ok(stats), Ok(())) => stats,
    };
    generation::complete(store, domain, sync_id, claimed_at, now()).await?;
    progress.state = SyncState::Complete;
    observe(progress);
    Ok(SyncReport {
        sync_id,
        products: writer.written_products,
        variants: writer.written_variants,
        malformed: stats.malformed,
        skipped: writer.skipped_products,
        elapsed: Duration::ZERO,
    })
}

/// Reads the result file into batches; the stats of what was read.
async fn read_result(
    syncer: &Syncer,
    shop: &str,
    url: Option<&str>,
    options: &SyncOptions,
    writer: &mut BatchWriter,
    progress: &mut Progress,
    observe: &(dyn Fn(&Progress) + Send + Sync),
) -> Result<CatalogStats, SyncError> {
    // No file: the shop has no products.
    let Some(url) = url else {
        writer.flush(&CatalogStats::default()).await;
        return Ok(CatalogStats::default());
    };
    let body = download::open(&syncer.http, url, options.download_timeout).await?;
    let mut reader = CatalogReader::new(body, CatalogAssembler::new(writer.currency));
    let mut next_log = 10_000;
    loop {
        let entry = reader.next().await.map_err(|source| {
            SyncError::Bulk(BulkError::Download {
                lines: reader.stats().lines,
                source,
            })
        })?;
        let Some(entry) = entry else { break };
        writer.push(entry);
        if writer.full() {
            if !writer.flush(reader.stats()).await {
                // The writer failed; its error is the sync's.
                return Ok(reader.stats().clone());
            }
            update(progress, writer, reader.stats());
            observe(progress);
            if writer.written_variants >= next_log {
                next_log += 10_000;
                tracing::info!(
                    shop,
                    sync_id = progress.sync_id,
                    lines = reader.stats().lines,
                    variants = writer.written_variants,
                    "catalog sync progress"
                );
            }
        }
    }
    writer.flush(reader.stats()).await;
    update(progress, writer, reader.stats());
    Ok(reader.stats().clone())
}

/// Writes batches in order until the channel closes or a write fails.
async fn write_batches(
    store: Store,
    shop: String,
    sync_id: i64,
    mut pending: tokio::sync::mpsc::Receiver<StagedBatch>,
) -> Result<(), StoreError> {
    while let Some(batch) = pending.recv().await {
        generation::write_batch(
            &store,
            &shop,
            sync_id,
            Batch {
                products: &batch.products,
                variants: &batch.variants,
                late_collections: &batch.late,
            },
            &batch.counts,
            now(),
        )
        .await?;
    }
    Ok(())
}

fn update(progress: &mut Progress, writer: &BatchWriter, stats: &CatalogStats) {
    progress.lines = stats.lines;
    progress.products = writer.written_products;
    progress.variants = writer.written_variants;
    progress.malformed = stats.malformed;
}

/// Starts the catalog's bulk operation, or takes over the one an interrupted sync started.
async fn start_or_resume(
    admin: &ShopAdmin,
    resumable: Option<String>,
    options: &SyncOptions,
) -> Result<BulkOperationId, SyncError> {
    if let Some(id) = resumable.and_then(|gid| BulkOperationId::parse(&gid).ok()) {
        match admin.client.bulk_operation(&admin.token, id).await? {
            Some(op)
                if matches!(
                    op.status,
                    BulkStatus::Created | BulkStatus::Running | BulkStatus::Completed
                ) =>
            {
                tracing::info!(shop = admin.client.shop().as_str(), operation = %id, "resuming the interrupted sync's bulk operation");
                return Ok(id);
            }
            _ => {}
        }
    }
    Ok(
        start_bulk(admin, options.bulk_deadline, options.poll_every, || {
            admin.client.start_catalog_bulk(&admin.token)
        })
        .await?,
    )
}

/// A batch on its way to the staging tables.
struct StagedBatch {
    products: Vec<ProductRow>,
    variants: Vec<VariantRow>,
    late: Vec<LateCollection>,
    counts: Counts,
}

/// Collects entries into batches and hands them to the staging writer.
struct BatchWriter {
    currency: Currency,
    /// Selling plans by product and variant, read before the catalog.
    plans: SellingPlanIndex,
    batch_products: usize,
    batches: tokio::sync::mpsc::Sender<StagedBatch>,
    products: Vec<ProductRow>,
    variants: Vec<VariantRow>,
    late: Vec<LateCollection>,
    /// Index in `products` by product id, for children that arrive detached.
    in_batch: HashMap<String, usize>,
    skipped_products: u64,
    written_products: u64,
    written_variants: u64,
}

impl BatchWriter {
    fn push_variant(&mut self, mut row: VariantRow) {
        super::selling_plans::attach(&mut row, &self.plans);
        self.variants.push(row);
    }

    fn full(&self) -> bool {
        self.products.len() >= self.batch_products
    }

    fn push(&mut self, entry: CatalogEntry) {
        match entry {
            CatalogEntry::Product(p) => {
                // Only what buyers can buy may be offered.
                if p.status != ProductStatus::Active {
                    self.skipped_products += 1;
                    return;
                }
                let row = rows::product_from_bulk(&p);
                for v in &p.variants {
                    self.push_variant(rows::variant_from_bulk(&row.id, v, &self.currency));
                }
                self.in_batch.insert(row.id.clone(), self.products.len());
                self.products.push(row);
            }
            CatalogEntry::Detached { product, child } => {
                let product_id = product.get().to_string();
                match child {
                    Child::Variant(v) => {
                        self.push_variant(rows::variant_from_bulk(&product_id, &v, &self.currency))
                    }
                    Child::Collection(c) => {
                        let collection_id = c.id.get().to_string();
                        match self.in_batch.get(&product_id) {
                            Some(&at) => {
                                generation::add_collection(
                                    &mut self.products[at].data,
                                    &collection_id,
                                );
                            }
                            None => self.late.push(LateCollection {
                                product_id,
                                collection_id,
                            }),
                        }
                    }
                    // The Function reads selling plans, not their groups.
                    Child::SellingPlanGroup(_) => {}
                }
            }
        }
    }

    /// Hands the batch to the writer; false when the writer has stopped (on an error).
    async fn flush(&mut self, stats: &CatalogStats) -> bool {
        self.written_products += self.products.len() as u64;
        self.written_variants += self.variants.len() as u64;
        let counts = Counts {
            lines: stats.lines as i64,
            products: self.written_products as i64,
            variants: self.written_variants as i64,
            malformed: stats.malformed as i64,
            skipped: self.skipped_products as i64,
            malformed_lines: serde_json::Value::Array(
                stats
                    .first_malformed
                    .iter()
                    .map(|m| serde_json::json!({"line": m.line, "reason": m.reason}))
                    .collect(),
            )
            .to_string(),
        };
        self.in_batch.clear();
        let batch = StagedBatch {
            products: std::mem::take(&mut self.products),
            variants: std::mem::take(&mut self.variants),
            late: std::mem::take(&mut self.late),
            counts,
        };
        self.batches.send(batch).await.is_ok()
    }
}
