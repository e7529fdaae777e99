//! `POST /api/retention/prune` (admin token): prunes now with `encore_app::retention` and says
//! what it deleted.

use std::sync::Arc;

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use serde::Serialize;

use crate::error::ApiError;
use crate::state::AppState;
use encore_app::retention::{prune, Pruned};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PruneAnswer {
    pruned: Pruned,
    windows_days: WindowsOut,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WindowsOut {
    decisions: Option<u32>,
    webhook_receipts: Option<u32>,
    data_requests: Option<u32>,
}

/// `POST /api/retention/prune` (admin token): prunes now and says what it deleted.
async fn prune_now(
    State(state): State<Arc<AppState>>,
    _: crate::session::Operator,
) -> Result<Json<PruneAnswer>, ApiError> {
    let pruned = prune(&state, encore_app::clock::now()).await?;
    tracing::info!(?pruned, "retention: pruned on request");
    let w = &state.settings.app.retention;
    Ok(Json(PruneAnswer {
        pruned,
        windows_days: WindowsOut {
            decisions: w.decisions_days,
            webhook_receipts: w.webhook_receipts_days,
            data_requests: w.data_requests_days,
        },
    }))
}

pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/api/retention/prune", post(prune_now))
}
