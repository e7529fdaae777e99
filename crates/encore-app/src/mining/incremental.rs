//! `orders/create` between imports: the order written to the inbox with its delivery receipt
//! in one transaction, counted into the live miner, and published with the others every
//! `publish_every` (or by [`refresh`]).
//!
//! The live miner is loaded when first needed from the last complete import's checkpoint, and
//! every inbox order is counted into it again (an order id counts once, so replaying is
//! harmless): whatever process received a delivery, the next publication counts it.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use encore_mining::{Day, Miner, MinerConfig, Order, OrderId};
use encore_shopify::webhook::OrderPayload;

use super::import::{blocking, day_of, MiningError};
use encore_store::mining::publish::{self, Made, Publication};
use encore_store::mining::runs;

use super::{pairs, Mining};
use crate::app::App;
use crate::catalog::incremental::{Applied, Receipt};
use crate::clock::now;
use encore_store::{Store, StoreError};

/// Why an orders/create delivery was refused (nothing was recorded: Shopify's retry applies it).
#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    #[error("created_at {0:?} is not an RFC 3339 time")]
    CreatedAt(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The order as mining counts it.
fn order(payload: &OrderPayload) -> Result<Order, OrderError> {
    Ok(Order {
        id: OrderId(payload.id.get()),
        day: Day::from_rfc3339(&payload.created_at)
            .ok_or_else(|| OrderError::CreatedAt(payload.created_at.clone()))?,
        products: payload
            .line_items
            .iter()
            .filter_map(|l| l.product_id)
            .map(|p| p.get().to_string())
            .collect(),
    })
}

/// Records an orders/create delivery: its order in the inbox and its receipt, in one
/// transaction; then counts it into the live miner if this process has it loaded.
pub async fn order_created(
    store: &Store,
    mining: &Mining,
    receipt: &Receipt<'_>,
    payload: &OrderPayload,
    now: i64,
) -> Result<Applied, OrderError> {
    let order = order(payload)?;
    // The receipt first: a redelivery stops here.
    let Some(mut tx) = store
        .begin_delivery(receipt.webhook_id, receipt.shop, receipt.topic, now)
        .await?
    else {
        return Ok(Applied::Duplicate);
    };
    // An uninstalled shop's orders are not kept for mining (nothing mines it until reinstall).
    if !tx.shop_installed(receipt.shop).await? {
        tx.commit().await?;
        return Ok(Applied::Ignored);
    }
    let added = tx.add_to_inbox(receipt.shop, &order, now).await?;
    tx.commit().await?;
    if !added {
        return Ok(Applied::Ignored);
    }
    let shop = mining.shop(receipt.shop);
    if let Some(miner) = shop.live.lock().await.as_mut() {
        miner.add_order(&order);
    }
    shop.dirty.store(true, Ordering::Relaxed);
    Ok(Applied::Changed)
}

/// Loads the shop's live miner if this process has not yet: the last complete import's
/// checkpoint, or an empty miner for a shop never imported.
async fn load(store: &Store, mining: &Mining, shop: &str) -> Result<Miner, MiningError> {
    let today = day_of(now());
    let config = MinerConfig::for_shop(mining.options().read_all_orders);
    match runs::live_checkpoint(store, shop).await? {
        Some((_, bytes)) => Ok(blocking(move || Miner::from_checkpoint(&bytes)).await??),
        None => Ok(Miner::new(config, today)),
    }
}

/// Brings the shop's live miner up to date (the inbox counted, the window moved to today) and
/// publishes its ranking; its checkpoint replaces the last import's.
pub async fn refresh(
    store: &Store,
    mining: &Mining,
    shop: &str,
) -> Result<Publication, MiningError> {
    if store.shop(shop).await?.is_none_or(|row| row.uninstalled) {
        mining.forget(shop);
        return Err(MiningError::Uninstalled(shop.to_string()));
    }
    let lane = mining.shop(shop);
    lane.dirty.store(false, Ordering::Relaxed);
    let mut live = lane.live.lock().await;
    let miner = match live.take() {
        Some(miner) => miner,
        None => load(store, mining, shop).await?,
    };
    let inbox = runs::inbox(store, shop).await?;
    let demotion = pairs::shop_demotion(store, shop).await?;
    let ((miner, ranking, min_support), bytes) = blocking(move || {
        let mut miner = miner;
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
    let run_id = runs::live_checkpoint_run(store, shop).await?;
    if let Some(run_id) = run_id {
        let position = runs::run_position(store, shop, run_id).await?;
        runs::save_checkpoint(store, shop, run_id, position, &bytes, now()).await?;
    }
    drop(bytes);
    let orders_in_window = miner.orders_in_window();
    *live = Some(miner);
    let publication = publish::publish(
        store,
        shop,
        &ranking,
        Made {
            orders_in_window,
            min_support,
            run_id,
        },
        now(),
    )
    .await?;
    Ok(publication)
}

/// Publishes, every `publish_every`, the shops that received orders since their last
/// publication.
pub fn spawn(app: Arc<App>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let every = app.mining.options().publish_every;
            tokio::time::sleep(every).await;
            for shop in app.mining.dirty_shops() {
                if let Err(e) = refresh(&app.store, &app.mining, &shop).await {
                    tracing::warn!(shop = %shop, error = %e, "publishing the orders counted since the last import failed; retried next time");
                    app.mining.shop(&shop).dirty.store(true, Ordering::Relaxed);
                }
            }
        }
    })
}
