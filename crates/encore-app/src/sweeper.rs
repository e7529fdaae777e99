//! The background refresh of idle shops' tokens, before their refresh tokens lapse.

use std::sync::Arc;

use crate::app::App;
use crate::clock::now;

/// Refreshes idle shops every `settings.refresh_sweep` in the background.
pub fn spawn_sweeper(app: Arc<App>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        // The first sweep one period after start: a shop installed at start has fresh tokens,
        // and a sweep racing the install would refresh what was just issued.
        let period = app.settings.refresh_sweep;
        let mut every = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            match app.credentials.refresh_idle_shops(now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(shops = n, "refreshed idle shops' tokens"),
                Err(e) => tracing::error!(error = %e, "idle-shop refresh sweep failed"),
            }
        }
    })
}
