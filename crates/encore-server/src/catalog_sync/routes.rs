//! The admin's sync routes (operator token, as the other admin routes):
//! `GET /api/sync/status?shop=` and `POST /api/sync?shop=`, which queues a full sync, runs it in
//! the background and answers at once (202) with the status showing it (`latest.syncId`).

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use encore_shopify::ShopDomain;
use serde::Deserialize;

use super::run::{enqueue, run_queued, SyncError};
use super::status::{sync_status, SyncStatus};
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Deserialize)]
struct ShopQuery {
    shop: Option<String>,
}

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/sync/status", get(get_status))
        .route("/api/sync", post(start_sync))
}

/// The shop named by `?shop=`, which must be a `*.myshopify.com` domain Encore knows.
async fn known_shop(state: &AppState, q: &ShopQuery) -> Result<ShopDomain, ApiError> {
    let text = q
        .shop
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::BadRequest("add ?shop=<shop>.myshopify.com".into()))?;
    let shop = ShopDomain::parse(text).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    match state.store.shop(shop.as_str()).await? {
        Some(_) => Ok(shop),
        None => Err(ApiError::UnknownShop(shop.as_str().to_string())),
    }
}

async fn get_status(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<ShopQuery>,
) -> Result<Json<SyncStatus>, ApiError> {
    crate::admin::check_admin(&state, &headers)?;
    let shop = known_shop(&state, &q).await?;
    Ok(Json(sync_status(&state.store, shop.as_str()).await?))
}

async fn start_sync(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<ShopQuery>,
) -> Result<(StatusCode, Json<SyncStatus>), ApiError> {
    crate::admin::check_admin(&state, &headers)?;
    let shop = known_shop(&state, &q).await?;
    let queued = enqueue(&state.store, &shop).await.map_err(|e| match e {
        SyncError::Store(e) => ApiError::from(e),
        other => ApiError::BadRequest(other.to_string()),
    })?;
    let background = state.clone();
    let domain = shop.clone();
    // The sync's outcome lands in catalog_syncs (and the logs); the caller polls the status.
    tokio::spawn(async move {
        let _ = run_queued(
            &background.store,
            &background.sync,
            &domain,
            queued,
            &|_| {},
        )
        .await;
    });
    Ok((
        StatusCode::ACCEPTED,
        Json(sync_status(&state.store, shop.as_str()).await?),
    ))
}
