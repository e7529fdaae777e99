//! `GET /api/data-requests?shop=` and `GET /api/data-requests/{id}?shop=` (admin token or the
//! shop's session): the customer data requests `encore_app::data_request` recorded, and the
//! export for one.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::session::AdminCaller;
use crate::state::AppState;
use encore_app::data_request::{export, request_of, DataExport, RequestOut};

#[derive(Deserialize)]
struct ShopQuery {
    shop: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RequestList {
    shop: String,
    data_requests: Vec<RequestOut>,
}

/// `GET /api/data-requests?shop=`: the shop's recorded requests, newest first.
async fn list(
    State(state): State<Arc<AppState>>,
    caller: AdminCaller,
    Query(q): Query<ShopQuery>,
) -> Result<Json<RequestList>, ApiError> {
    let shop = caller.shop_domain(q.shop.as_deref())?.to_string();
    let data_requests = state
        .store
        .data_requests(&shop)
        .await?
        .into_iter()
        .map(request_of)
        .collect();
    Ok(Json(RequestList {
        shop,
        data_requests,
    }))
}

/// `GET /api/data-requests/{id}?shop=`: the export for one request.
async fn get_export(
    State(state): State<Arc<AppState>>,
    caller: AdminCaller,
    Path(id): Path<String>,
    Query(q): Query<ShopQuery>,
) -> Result<Json<DataExport>, ApiError> {
    let shop = caller.shop_domain(q.shop.as_deref())?.to_string();
    let export = export(&state.store, &shop, &id, encore_app::clock::now())
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no data request {id} for {shop}")))?;
    Ok(Json(export))
}

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/data-requests", get(list))
        .route("/api/data-requests/{id}", get(get_export))
}
