//! Stock at locations that have not reported. A variant's `available` after a webhook is the sum
//! of its item's levels per location; until every location of an item had sent a level, that
//! sum left the quiet ones out. So the first time any location reports a level of an item Encore
//! sells (no level of the item stored yet), the item's levels at every location are read from the
//! Admin API (`graphql/inventory_item_levels.graphql`) and stored before the webhook is applied.
//!
//! The read is bounded by [`READ_BUDGET`] (Shopify waits five seconds for a webhook's answer);
//! when it fails or is late the webhook is applied as before, counting only the locations that
//! reported, which withholds an offer rather than overselling.

use std::time::Duration;

use encore_shopify::webhook::InventoryLevelPayload;
use encore_shopify::ShopDomain;
use encore_store::catalog::LevelRow;

use crate::app::App;
use crate::catalog::rows;
use encore_store::StoreError;

/// How long a webhook waits for the item's levels.
pub const READ_BUDGET: Duration = Duration::from_secs(2);

/// Stores the levels of the item's other locations when this is its first reported level.
pub async fn fill_unreported(app: &App, shop: &str, level: &InventoryLevelPayload) {
    let item = level.inventory_item_id;
    match first_report(app, shop, &item.get().to_string()).await {
        Ok(true) => {}
        Ok(false) => return,
        Err(e) => {
            tracing::warn!(shop, item = item.get(), error = %e, "cannot tell whether the item's levels are known");
            return;
        }
    }
    let Ok(domain) = ShopDomain::parse(shop) else {
        return;
    };
    let read = async {
        let admin = app
            .credentials
            .admin_client(&domain)
            .await
            .map_err(|e| e.to_string())?;
        admin
            .client()
            .inventory_levels(admin.token(), item)
            .await
            .map_err(|e| e.to_string())
    };
    let levels = match tokio::time::timeout(READ_BUDGET, read).await {
        Ok(Ok(Some(levels))) => levels,
        Ok(Ok(None)) => return,
        Ok(Err(e)) => {
            tracing::info!(shop, item = item.get(), error = %e, "the item's other locations could not be read; counting the reported ones");
            return;
        }
        Err(_) => {
            tracing::info!(
                shop,
                item = item.get(),
                "reading the item's other locations took too long; counting the reported ones"
            );
            return;
        }
    };
    let others: Vec<_> = levels
        .into_iter()
        .filter(|l| l.location != level.location_id)
        .filter_map(|l| Some((l.location, l.available, rows::unix_seconds(&l.updated_at)?)))
        .collect();
    if let Err(e) = store_levels(app, shop, &item.get().to_string(), &others).await {
        tracing::warn!(shop, item = item.get(), error = %e, "the item's other locations could not be stored");
    }
}

/// True when Encore sells the item and has no level of it yet.
async fn first_report(app: &App, shop: &str, item: &str) -> Result<bool, StoreError> {
    app.store.item_unreported(shop, item).await
}

/// Upserts levels, never over a newer one (a webhook that came in meanwhile).
async fn store_levels(
    app: &App,
    shop: &str,
    item: &str,
    levels: &[(encore_shopify::ids::LocationId, i64, i64)],
) -> Result<(), StoreError> {
    let levels: Vec<LevelRow> = levels
        .iter()
        .map(|(location, available, updated_at)| LevelRow {
            location_id: location.get().to_string(),
            available: *available,
            updated_at: *updated_at,
        })
        .collect();
    app.store.fill_levels(shop, item, &levels).await
}
