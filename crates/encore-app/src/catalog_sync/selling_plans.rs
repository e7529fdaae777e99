//! Selling plans for a full sync. The catalog's bulk query cannot reach them (a plan is three
//! connections deep under a product, past the two levels a bulk query may nest), so a sync runs
//! a second bulk operation first (`graphql/selling_plans_bulk.graphql`: the groups, their plans,
//! the products and single variants they apply to), holds the plan ids per product and variant
//! in memory, and writes each synced variant's `sellingPlans` as the catalog is staged.
//!
//! The operation's id is not recorded in `catalog_syncs` (only the catalog's is, for an
//! interrupted sync to resume): an interrupted sync reads the plans again.

use encore_shopify::admin::BulkStatus;
use encore_shopify::bulk::{download, SellingPlanIndex};
use encore_shopify::ids::{ProductId, VariantId};
use encore_shopify::ShopDomain;
use serde_json::{json, Value};

use super::bulk_operation::{start_bulk, wait, BulkError, Heartbeat, SyncError};
use super::{SyncOptions, Syncer};
use encore_store::catalog::VariantRow;
use encore_store::Store;

/// Runs the selling plans' bulk operation and reads its result.
pub(super) async fn read(
    store: &Store,
    syncer: &Syncer,
    shop: &ShopDomain,
    sync_id: i64,
    options: &SyncOptions,
    finished: &tokio::sync::Notify,
) -> Result<SellingPlanIndex, SyncError> {
    let admin = syncer.access().admin(shop).await?;
    let id = start_bulk(&admin, options.bulk_deadline, options.poll_every, || {
        admin.client.start_selling_plans_bulk(&admin.token)
    })
    .await?;
    let access = syncer.access();
    let done = wait(
        store,
        sync_id,
        access.as_ref(),
        shop,
        id,
        options,
        finished,
        Heartbeat::Only,
    )
    .await?;
    if done.status != BulkStatus::Completed {
        return Err(SyncError::Bulk(BulkError::Ended {
            status: done.status,
            code: done.error_code,
        }));
    }
    // No file: the shop has no selling plan groups.
    let Some(url) = done.url else {
        return Ok(SellingPlanIndex::default());
    };
    let body = download::open(&syncer.http, &url, options.download_timeout).await?;
    let index = SellingPlanIndex::read(body)
        .await
        .map_err(|source| SyncError::Bulk(BulkError::Download { lines: 0, source }))?;
    tracing::info!(
        shop = shop.as_str(),
        sync_id,
        lines = index.lines,
        malformed = index.malformed,
        "selling plans read"
    );
    Ok(index)
}

/// Sets a staged variant's `sellingPlans` (`[{id}]`, plain numbers as the Function's ids are).
pub(super) fn attach(row: &mut VariantRow, index: &SellingPlanIndex) {
    if index.is_empty() {
        return;
    }
    let (Ok(product), Ok(variant)) = (ProductId::parse(&row.product_id), VariantId::parse(&row.id))
    else {
        return;
    };
    let plans: Vec<Value> = index
        .plans_for(product, variant)
        .into_iter()
        .map(|plan| json!({"id": plan.get().to_string()}))
        .collect();
    if let Some(data) = row.data.as_object_mut() {
        data.insert("sellingPlans".into(), Value::Array(plans));
    }
}
