//! One import of a shop's order history: queued per shop, the orders bulk operation started
//! in the shop's bulk turn (shared with the catalog sync), its JSONL read as a stream and
//! counted in chunks on a low-priority thread, checkpointed, and the ranking published. An
//! interrupted import is resumed by the next one: its bulk result is read again from the
//! checkpoint's position (orders read twice count once).

use std::time::{Duration, Instant};

use encore_mining::{CheckpointError, Day, Miner, MinerConfig, Order, OrderId};
use encore_shopify::admin::{AdminError, BulkOperation, BulkStatus};
use encore_shopify::bulk::{download, OrderReader, OrderRecord};
use encore_shopify::ids::BulkOperationId;
use encore_shopify::ShopDomain;

use super::{pairs, Mining};
use crate::catalog_sync::access::{AccessError, AdminAccess, ShopAdmin};
use crate::catalog_sync::bulk_operation::BulkError;
use crate::catalog_sync::Syncer;
use crate::clock::now;
use encore_store::mining::publish::{self, Made, Publication};
use encore_store::mining::runs::{self, Claim, Resume, RunCounts, RunState};
use encore_store::{Store, StoreError};

/// Why an import stopped. The live suggestions are untouched whatever the error.
#[derive(Debug, thiserror::Error)]
pub enum MiningError {
    #[error("no shop {0} in Encore's store")]
    UnknownShop(String),
    #[error("{0} uninstalled Encore: its orders are not imported until it installs again")]
    Uninstalled(String),
    #[error(transparent)]
    Bulk(#[from] BulkError),
    #[error("the stored miner cannot be read: {0}")]
    Checkpoint(#[from] CheckpointError),
    #[error("the mining thread stopped: {0}")]
    Worker(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<AdminError> for MiningError {
    fn from(e: AdminError) -> Self {
        MiningError::Bulk(e.into())
    }
}

impl From<AccessError> for MiningError {
    fn from(e: AccessError) -> Self {
        MiningError::Bulk(e.into())
    }
}

/// What an import reports to its caller as it goes (the CLI's progress bar).
#[derive(Debug, Clone)]
pub struct ImportProgress {
    pub run_id: i64,
    pub state: RunState,
    /// Rows the bulk result holds, once the operation completed.
    pub expected_objects: Option<u64>,
    pub counts: RunCounts,
}

/// A finished import.
#[derive(Debug, Clone)]
pub struct ImportReport {
    pub run_id: i64,
    pub counts: RunCounts,
    pub orders_in_window: u64,
    pub distinct_pairs: usize,
    pub publication: Publication,
    /// The interrupted import this one continued.
    pub resumed_from: Option<i64>,
    pub elapsed: Duration,
}

/// The UTC day of a unix time.
pub(crate) fn day_of(unix: i64) -> Day {
    Day(u32::try_from(unix.div_euclid(86_400)).unwrap_or(0))
}

/// Adds an import of `shop` to its queue; [`run_queued`] runs it.
pub async fn enqueue(store: &Store, shop: &ShopDomain) -> Result<i64, MiningError> {
    let domain = shop.as_str();
    match store.shop(domain).await? {
        None => return Err(MiningError::UnknownShop(domain.to_string())),
        Some(row) if row.uninstalled => return Err(MiningError::Uninstalled(domain.to_string())),
        Some(_) => {}
    }
    Ok(runs::enqueue(store, domain, now()).await?)
}

/// Stops an import whose shop uninstalled Encore meanwhile (app/uninstalled): checked at every
/// poll and chunk, so the rest of the history is neither read nor published.
async fn still_installed(store: &Store, shop: &str) -> Result<(), MiningError> {
    match store.shop(shop).await? {
        Some(row) if !row.uninstalled => Ok(()),
        _ => Err(MiningError::Uninstalled(shop.to_string())),
    }
}

/// Imports the shop's order history and publishes its suggestions.
pub async fn import(
    store: &Store,
    mining: &Mining,
    syncer: &Syncer,
    shop: &ShopDomain,
    observe: &(dyn Fn(&ImportProgress) + Send + Sync),
) -> Result<ImportReport, MiningError> {
    let run_id = enqueue(store, shop).await?;
    run_queued(store, mining, syncer, shop, run_id, observe).await
}

/// Runs a queued import to its end; on an error the import is recorded as failed and the
/// live suggestions stay as they were.
pub async fn run_queued(
    store: &Store,
    mining: &Mining,
    syncer: &Syncer,
    shop: &ShopDomain,
    run_id: i64,
    observe: &(dyn Fn(&ImportProgress) + Send + Sync),
) -> Result<ImportReport, MiningError> {
    let domain = shop.as_str();
    let mut progress = ImportProgress {
        run_id,
        state: RunState::Waiting,
        expected_objects: None,
        counts: RunCounts::default(),
    };
    observe(&progress);
    let started = Instant::now();
    match run(store, mining, syncer, shop, &mut progress, observe).await {
        Ok(report) => {
            tracing::info!(
                shop = domain,
                run_id,
                orders = report.counts.position,
                counted = report.counts.counted,
                suggestions = report.publication.suggestions,
                version = report.publication.version,
                seconds = started.elapsed().as_secs_f64(),
                "order history import complete: suggestions published"
            );
            Ok(ImportReport {
                elapsed: started.elapsed(),
                ..report
            })
        }
        Err(e) => {
            tracing::warn!(shop = domain, run_id, error = %e, "order history import failed: the previous suggestions stay live");
            if let Err(store_error) = runs::fail(store, domain, run_id, &e.to_string(), now()).await
            {
                tracing::error!(shop = domain, run_id, error = %store_error, "cannot record the failed import");
            }
            progress.state = RunState::Failed;
            observe(&progress);
            Err(e)
        }
    }
}

async fn run(
    store: &Store,
    mining: &Mining,
    syncer: &Syncer,
    shop: &ShopDomain,
    progress: &mut ImportProgress,
    observe: &(dyn Fn(&ImportProgress) + Send + Sync),
) -> Result<ImportReport, MiningError> {
    let domain = shop.as_str();
    let run_id = progress.run_id;
    let options = mining.options();
    let lane = mining.shop(domain);
    let _import = lane.import.lock().await;
    let stale = i64::try_from(options.stale_after.as_secs()).unwrap_or(i64::MAX);
    let resume = loop {
        match runs::claim(store, domain, run_id, now(), stale).await? {
            Claim::Claimed { resume } => break resume,
            Claim::Busy => tokio::time::sleep(options.poll_every).await,
        }
    };
    let started_at = now();
    progress.state = RunState::Running;
    observe(progress);
    tracing::info!(shop = domain, run_id, resumed_from = ?resume.as_ref().map(|r| r.run_id), "order history import started");

    let today = day_of(started_at);
    let config = MinerConfig::for_shop(options.read_all_orders);
    let access = mining.access();
    let (operation, first_day, miner, position) = start_or_resume(
        store,
        syncer,
        access.as_ref(),
        shop,
        run_id,
        resume.as_ref(),
        config,
        today,
        &options,
    )
    .await?;
    let resumed_from = resume.as_ref().map(|r| r.run_id);

    let done = wait(
        store,
        access.as_ref(),
        shop,
        run_id,
        operation,
        first_day,
        &options,
    )
    .await?;
    if done.status != BulkStatus::Completed {
        return Err(MiningError::Bulk(BulkError::Ended {
            status: done.status,
            code: done.error_code,
        }));
    }
    progress.expected_objects = Some(done.object_count);
    runs::set_bulk(
        store,
        domain,
        run_id,
        &operation.gid(),
        first_day,
        Some(done.object_count),
        now(),
    )
    .await?;
    observe(progress);

    let mut miner = count_result(
        store,
        mining,
        domain,
        run_id,
        done.url.as_deref(),
        miner,
        position,
        &options,
        progress,
        observe,
    )
    .await?;

    // orders/create deliveries are counted into the new miner too (duplicates count once),
    // and it becomes the live miner; the shop's live lock keeps incremental publications out.
    let mut live = lane.live.lock().await;
    let inbox = runs::inbox(store, domain).await?;
    let demotion = pairs::shop_demotion(store, domain).await?;
    let (ranked, bytes) = blocking(move || {
        for order in &inbox {
            miner.add_order(order);
        }
        miner.advance_to(day_of(now()));
        let options = pairs::rank_options(miner.orders_in_window(), demotion);
        let ranking = miner.rank(&options);
        let bytes = miner.checkpoint();
        ((miner, ranking, options.min_support), bytes)
    })
    .await?;
    let (miner, ranking, min_support) = ranked;
    runs::save_checkpoint(
        store,
        domain,
        run_id,
        progress.counts.position,
        &bytes,
        now(),
    )
    .await?;
    drop(bytes);
    let publication = publish::publish(
        store,
        domain,
        &ranking,
        Made {
            orders_in_window: miner.orders_in_window(),
            min_support,
            run_id: Some(run_id),
        },
        now(),
    )
    .await?;
    runs::complete(store, domain, run_id, started_at, now()).await?;
    let report = ImportReport {
        run_id,
        counts: progress.counts,
        orders_in_window: miner.orders_in_window(),
        distinct_pairs: miner.distinct_pairs(),
        publication,
        resumed_from,
        elapsed: Duration::ZERO,
    };
    *live = Some(miner);
    progress.state = RunState::Complete;
    observe(progress);
    Ok(report)
}

/// Runs `work` on a thread of its own at a lower scheduling priority (nice 10 on Linux): mining
/// never occupies the workers that answer offers, and when the cores are busy the offer path
/// goes first. A chunk is a few milliseconds of work, so a thread per chunk costs little.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, MiningError> {
    let (done, result) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("encore-mining".into())
        .spawn(move || {
            lower_priority();
            let _ = done.send(work());
        })
        .map_err(|e| MiningError::Worker(e.to_string()))?;
    result
        .await
        .map_err(|_| MiningError::Worker("the mining thread panicked".into()))
}

/// Lowers the calling thread's priority (Linux applies setpriority to one thread when given its
/// id). Failing to is harmless: mining then runs at the server's priority.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: gettid and setpriority take no pointers; they only read and set this thread's
    // scheduling priority.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS, tid, 10);
    }
}

/// The bulk operation to read, the window's first day it searched from, the miner to count
/// into and the orders of the result already counted: an interrupted import's when it can be
/// resumed, else a new operation and an empty miner.
#[allow(clippy::too_many_arguments)]
async fn start_or_resume(
    store: &Store,
    syncer: &Syncer,
    access: &dyn AdminAccess,
    shop: &ShopDomain,
    run_id: i64,
    resume: Option<&Resume>,
    config: MinerConfig,
    today: Day,
    options: &super::MiningOptions,
) -> Result<(BulkOperationId, Option<u32>, Miner, u64), MiningError> {
    let domain = shop.as_str();
    if let Some(resume) = resume {
        let admin = access.admin(shop).await?;
        if let Ok(id) = BulkOperationId::parse(&resume.bulk_operation_id) {
            let usable = matches!(
                admin.client.bulk_operation(&admin.token, id).await?,
                Some(op) if matches!(op.status, BulkStatus::Created | BulkStatus::Running | BulkStatus::Completed)
            );
            if usable {
                let (miner, position) = match resume.checkpoint.clone() {
                    Some((position, bytes)) => {
                        match blocking(move || Miner::from_checkpoint(&bytes)).await? {
                            Ok(miner) => (miner, position),
                            Err(e) => {
                                tracing::warn!(shop = domain, run_id, error = %e, "the interrupted import's checkpoint is unreadable: its result is read from the start");
                                (Miner::new(config, today), 0)
                            }
                        }
                    }
                    None => (Miner::new(config, today), 0),
                };
                tracing::info!(shop = domain, run_id, operation = %id, position, "resuming the interrupted import's bulk operation");
                runs::set_bulk(
                    store,
                    domain,
                    run_id,
                    &id.gid(),
                    resume.first_day,
                    None,
                    now(),
                )
                .await?;
                return Ok((id, resume.first_day, miner, position));
            }
        }
    }
    let first_day = config.window.start(today).map(|d| d.0);
    // The shop's bulk turn until this operation is final: the catalog sync waits meanwhile.
    let turn = syncer.bulk_turn(domain).await;
    let admin = access.admin(shop).await?;
    let id = start(&admin, first_day, options).await?;
    runs::set_bulk(store, domain, run_id, &id.gid(), first_day, None, now()).await?;
    let _ = wait_turn(&admin, id, options, &turn).await;
    Ok((id, first_day, Miner::new(config, today), 0))
}

/// Holds the bulk turn until the operation is final (errors are left to the poll after).
async fn wait_turn(
    admin: &ShopAdmin,
    id: BulkOperationId,
    options: &super::MiningOptions,
    turn: &crate::catalog_sync::BulkTurn,
) -> Result<(), AdminError> {
    let started = Instant::now();
    loop {
        let notified = turn.finished().notified();
        match admin.client.bulk_operation(&admin.token, id).await? {
            Some(op) if !op.status.is_final() => {}
            _ => return Ok(()),
        }
        if started.elapsed() >= options.bulk_deadline {
            return Ok(());
        }
        tokio::select! {
            _ = tokio::time::sleep(options.poll_every) => {}
            _ = notified => {}
        }
    }
}

/// Starts the orders bulk query; OPERATION_IN_PROGRESS (a bulk query started elsewhere) is
/// waited out, then the start is tried again.
async fn start(
    admin: &ShopAdmin,
    first_day: Option<u32>,
    options: &super::MiningOptions,
) -> Result<BulkOperationId, MiningError> {
    let start = || admin.client.start_orders_bulk(&admin.token, first_day);
    Ok(crate::catalog_sync::bulk_operation::start_bulk(
        admin,
        options.bulk_deadline,
        options.poll_every,
        start,
    )
    .await?)
}

/// Polls the operation until it is final; each poll is the import's heartbeat and asks for
/// access again (an operation can outlast an access token).
async fn wait(
    store: &Store,
    access: &dyn AdminAccess,
    shop: &ShopDomain,
    run_id: i64,
    id: BulkOperationId,
    first_day: Option<u32>,
    options: &super::MiningOptions,
) -> Result<BulkOperation, MiningError> {
    let started = Instant::now();
    loop {
        let admin = access.admin(shop).await?;
        let op = admin
            .client
            .bulk_operation(&admin.token, id)
            .await?
            .ok_or_else(|| AdminError::Decode(format!("bulk operation {id} not found")))?;
        if op.status.is_final() {
            return Ok(op);
        }
        if started.elapsed() >= options.bulk_deadline {
            return Err(AdminError::BulkDeadline.into());
        }
        still_installed(store, shop.as_str()).await?;
        runs::set_bulk(
            store,
            shop.as_str(),
            run_id,
            &id.gid(),
            first_day,
            None,
            now(),
        )
        .await?;
        tokio::time::sleep(options.poll_every).await;
    }
}

/// An order of the bulk result as mining counts it; `None` when its `createdAt` is not a
/// timestamp.
fn order(record: OrderRecord) -> Option<Order> {
    Some(Order {
        id: OrderId(record.id.get()),
        day: Day::from_rfc3339(&record.created_at)?,
        products: record
            .products
            .iter()
            .map(|p| p.get().to_string())
            .collect(),
    })
}

/// Reads the result file from `position` and counts it, a chunk at a time on a blocking
/// thread, writing the counters after every chunk and a checkpoint every
/// `checkpoint_orders` orders.
#[allow(clippy::too_many_arguments)]
async fn count_result(
    store: &Store,
    mining: &Mining,
    shop: &str,
    run_id: i64,
    url: Option<&str>,
    mut miner: Miner,
    position: u64,
    options: &super::MiningOptions,
    progress: &mut ImportProgress,
    observe: &(dyn Fn(&ImportProgress) + Send + Sync),
) -> Result<Miner, MiningError> {
    let counts = &mut progress.counts;
    counts.position = position;
    set_counts(counts, &miner);
    // No file: the shop has no orders in the window.
    let Some(url) = url else {
        return Ok(miner);
    };
    let body = download::open(&mining.http, url, options.download_timeout).await?;
    let mut reader = OrderReader::new(body);
    let download_error = |reader: &OrderReader<_>, source| {
        MiningError::Bulk(BulkError::Download {
            lines: reader.stats().lines,
            source,
        })
    };
    // Orders an interrupted import counted already: read past them.
    let mut skipped = 0;
    while skipped < position {
        match reader.next().await {
            Ok(Some(_)) => skipped += 1,
            Ok(None) => break,
            Err(e) => return Err(download_error(&reader, e)),
        }
    }
    let chunk_orders = options.chunk_orders.max(1);
    let mut undated = counts.undated;
    let mut last_checkpoint = position;
    let mut at = position;
    loop {
        let mut chunk = Vec::with_capacity(chunk_orders);
        let mut ended = false;
        while chunk.len() < chunk_orders {
            match reader.next().await {
                Ok(Some(record)) => {
                    at += 1;
                    match order(record) {
                        Some(order) => chunk.push(order),
                        None => undated += 1,
                    }
                }
                Ok(None) => {
                    ended = true;
                    break;
                }
                Err(e) => return Err(download_error(&reader, e)),
            }
        }
        let checkpoint = ended || at - last_checkpoint >= options.checkpoint_orders;
        let (fed, bytes) = blocking(move || {
            for order in &chunk {
                miner.add_order(order);
            }
            // The final checkpoint is written after the inbox is counted.
            let bytes = (checkpoint && !ended).then(|| miner.checkpoint());
            (miner, bytes)
        })
        .await?;
        miner = fed;
        let counts = &mut progress.counts;
        counts.position = at;
        counts.undated = undated;
        counts.lines = reader.stats().lines;
        counts.malformed = reader.stats().malformed;
        counts.late_lines = reader.stats().late_lines;
        set_counts(counts, &miner);
        if let Some(bytes) = bytes {
            runs::save_checkpoint(store, shop, run_id, at, &bytes, now()).await?;
            last_checkpoint = at;
        }
        runs::progress(store, shop, run_id, counts, now()).await?;
        observe(progress);
        still_installed(store, shop).await?;
        if ended {
            for m in &reader.stats().first_malformed {
                tracing::warn!(shop, run_id, line = m.line, reason = %m.reason, "a malformed line of the orders bulk result was skipped");
            }
            return Ok(miner);
        }
    }
}

fn set_counts(counts: &mut RunCounts, miner: &Miner) {
    let p = miner.progress();
    counts.counted = p.counted;
    counts.duplicates = p.duplicates;
    counts.outside_window = p.outside_window;
    counts.too_large = p.too_large;
    counts.no_products = p.no_products;
}
