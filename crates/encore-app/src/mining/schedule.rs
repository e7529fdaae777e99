//! Mining on its own: when the server starts, every installed shop whose last import never
//! finished (its process stopped) is imported again, which resumes the interrupted bulk
//! operation from its checkpoint (`runs::claim`); then, every `check_every`, the installed
//! shops imported before whose last import started `refresh_every` ago are imported afresh
//! (the window moves on, and orders edited or cancelled since are read as they are now).
//! A shop that uninstalled Encore is skipped until it installs again.

use std::sync::Arc;
use std::time::Duration;

use encore_shopify::ShopDomain;

use super::import::{enqueue, run_queued, MiningError};
use crate::app::App;
use crate::clock::now;
use encore_store::mining::runs;

/// How often due shops are looked for.
const CHECK_EVERY: Duration = Duration::from_secs(300);

/// Queues an import of `shop` and runs it in the background; its outcome lands in
/// `mining_runs` and the logs, like `POST /api/mining`.
fn import_in_background(app: &Arc<App>, shop: &str) -> Result<(), MiningError> {
    let domain = ShopDomain::parse(shop).map_err(|_| MiningError::UnknownShop(shop.into()))?;
    let app = app.clone();
    tokio::spawn(async move {
        let run_id = match enqueue(&app.store, &domain).await {
            Ok(id) => id,
            Err(e) => {
                tracing::warn!(shop = %domain, error = %e, "a scheduled import could not be queued");
                return;
            }
        };
        let _ = run_queued(&app.store, &app.mining, &app.sync, &domain, run_id, &|_| {}).await;
    });
    Ok(())
}

/// Imports again the installed shops whose last import never finished and was last written
/// before `started_at` (this server's start: an import queued since, by a merchant or the
/// CLI, is already running here); returns them.
pub async fn resume_unfinished(
    app: &Arc<App>,
    started_at: i64,
) -> Result<Vec<String>, MiningError> {
    let shops = runs::unfinished(&app.store, started_at).await?;
    for shop in &shops {
        tracing::info!(shop = %shop, "resuming the order history import the last run left unfinished");
        import_in_background(app, shop)?;
    }
    Ok(shops)
}

/// Imports afresh the installed shops whose last import started `refresh_every` before `at`;
/// returns them.
pub async fn refresh_due(
    app: &Arc<App>,
    refresh_every: Duration,
    at: i64,
) -> Result<Vec<String>, MiningError> {
    let age = i64::try_from(refresh_every.as_secs()).unwrap_or(i64::MAX);
    let shops = runs::due(&app.store, at.saturating_sub(age)).await?;
    for shop in &shops {
        tracing::info!(shop = %shop, "refreshing the shop's co-purchases: a scheduled import");
        import_in_background(app, shop)?;
    }
    Ok(shops)
}

/// Resumes unfinished imports now, then refreshes due shops every [`CHECK_EVERY`] (never when
/// `ENCORE_MINING_REFRESH_HOURS` is 0).
pub fn spawn(app: Arc<App>) -> tokio::task::JoinHandle<()> {
    // Taken before the server accepts its first request.
    let started_at = now();
    tokio::spawn(async move {
        if let Err(e) = resume_unfinished(&app, started_at).await {
            tracing::warn!(error = %e, "unfinished imports could not be looked up; the next import of each shop resumes them");
        }
        let Some(refresh_every) = app.settings.mining_refresh else {
            return;
        };
        loop {
            tokio::time::sleep(CHECK_EVERY.min(refresh_every)).await;
            if let Err(e) = refresh_due(&app, refresh_every, now()).await {
                tracing::warn!(error = %e, "shops due for a co-purchase refresh could not be looked up; tried again later");
            }
        }
    })
}
